/*
 * change.c — settings of change management (SPEC section 6).
 *
 * ims.change_collision_depth: how far through the dependency graph a
 * collision between two changes is looked for (1 = the affected CIs, their
 * direct dependents and their direct dependencies).  The SQL side
 * (src/sql/50_change.sql) reads it with current_setting().
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "ims.h"

static int	ims_change_collision_depth = 1;

/* ims_change_init registers the change-management settings (from _PG_init). */
void
ims_change_init(void)
{
	DefineCustomIntVariable("ims.change_collision_depth",
							"Dependency depth within which two overlapping changes collide.",
							"0 compares the affected CIs only; 1 adds their direct dependents and dependencies; and so on.",
							&ims_change_collision_depth,
							1, 0, 10,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/* ims.change_collision_depth() → int: the current ims.change_collision_depth. */
IMS_FUNCTION(ims_change_collision_depth_get);
Datum
ims_change_collision_depth_get(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ims_change_collision_depth);
}
