/*
 * ims.c — module entry point: the magic block, _PG_init and ims.version().
 *
 * Each concept lives in its own file (calendar.c, sla_clock.c, workflow.c,
 * graph.c, agg_*.c); this one only wires the library together.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"

#include "ims.h"
#include "compat.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init defines the ims.* settings.  Files that own a setting register it
 * from here so that the prefix can be reserved once, at the end.
 */
void
_PG_init(void)
{
	ims_graph_init();
	ims_incident_init();
	ims_workflow_init();
	ims_change_init();
	ims_gate_init();
	MarkGUCPrefixReserved("ims");
}

/* ims.version() → text: the version of the loaded library. */
IMS_FUNCTION(ims_version);
Datum
ims_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(IMS_VERSION));
}

/*
 * Is attribute col the same in both tuples (IS NOT DISTINCT FROM)?  Equal
 * bytes are equal values; text whose bytes differ (one copy compressed or
 * with another header) is compared as text.  The triggers use it to skip
 * work when an UPDATE left the columns they read alone.
 */
bool
ims_attr_same(HeapTuple a, HeapTuple b, TupleDesc d, int col)
{
	bool		an,
				bn;
	Datum		av = heap_getattr(a, col, d, &an);
	Datum		bv = heap_getattr(b, col, d, &bn);
	Form_pg_attribute att = TupleDescAttr(d, col - 1);

	if (an || bn)
		return an == bn;
	if (datumIsEqual(av, bv, att->attbyval, att->attlen))
		return true;
	if (att->atttypid == TEXTOID)
		return DatumGetBool(DirectFunctionCall2Coll(texteq, att->attcollation, av, bv));
	return false;
}
