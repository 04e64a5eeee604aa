/*
 * incident.c — the setting ims.event_time and the helpers the incident
 * triggers call: the effective time of an event and whether rows are being
 * restored.
 *
 * ims.event_time lets a loader replay a real event log with its true
 * timestamps.  Backdating is how an SLA report gets faked, so only members of
 * ims_admin may use it: SET is refused for anyone else, and the value is
 * checked again when it is used (it may have come from ALTER ROLE ... SET).
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "ims.h"
#include "workflow.h"

static char *ims_event_time_setting = NULL;

static bool
check_event_time(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	/* Role checks need catalog access: only inside a transaction. */
	if (IsTransactionState() && !ims_is_admin())
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("permission denied to set parameter \"ims.event_time\"");
		GUC_check_errdetail("Only members of ims_admin may backdate events.");
		return false;
	}
	return true;
}

void
ims_incident_init(void)
{
	DefineCustomStringVariable("ims.event_time",
							   "Effective time of incident events (backdating, for loaders; ims_admin only).",
							   "Empty: events happen at the statement time.",
							   &ims_event_time_setting,
							   "",
							   PGC_USERSET,
							   0,
							   check_event_time,
							   NULL,
							   NULL);
}

/*
 * ims_event_timestamp: the value of ims.event_time when set (after checking
 * who uses it), else the statement's start time.
 */
TimestampTz
ims_event_timestamp(void)
{
	if (ims_event_time_setting == NULL || ims_event_time_setting[0] == '\0')
		return GetCurrentStatementStartTimestamp();
	if (!ims_is_admin())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to use ims.event_time"),
				 errdetail("Only members of ims_admin may backdate events."),
				 errhint("RESET ims.event_time.")));
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
												   CStringGetDatum(ims_event_time_setting),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

/* ims.event_time() → timestamptz */
IMS_FUNCTION(ims_event_time);
Datum
ims_event_time(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(ims_event_timestamp());
}

/* ims._bulk_restore() → bool: see ims_bulk_restore() in workflow.c. */
IMS_FUNCTION(ims_bulk_restore_sql);
Datum
ims_bulk_restore_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ims_bulk_restore());
}
