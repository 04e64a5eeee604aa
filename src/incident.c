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

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "ims.h"
#include "compat.h"
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

/* ---------------------------------------------------------------------------
 * The incident triggers in C (the pgbench goal wants them cheap).
 *
 * ims._incident_before(): BEFORE INSERT OR UPDATE, after the workflow guard.
 *   Priority from the matrix, opened_at, acknowledged/resolved/closed stamps,
 *   the resolution code, reopen count, updated_at/updated_by.
 * ims._incident_after(): AFTER INSERT OR UPDATE.  One ims.incident_event row
 *   (written as the owner of ims.incident_event, so agents need no INSERT
 *   right on it) and NOTIFY ims_incident on inserts and state changes.
 */

/*
 * Column numbers of ims.incident, looked up by name once per backend and
 * again after the table changes (a relcache invalidation: ALTER TABLE).
 */
typedef struct IncCols
{
	Oid			relid;			/* InvalidOid: not looked up yet */
	int			id,
				number,
				state,
				impact,
				urgency,
				priority,
				assignment_group,
				opened_at,
				acknowledged_at,
				resolved_at,
				closed_at,
				resolution_code,
				reopen_count,
				updated_at,
				updated_by;
} IncCols;

static int
inc_col(TupleDesc desc, const char *name)
{
	int			n = SPI_fnumber(desc, name);

	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of ims.incident does not exist", name)));
	return n;
}

static IncCols inc_cache;
static bool inc_cache_callback = false;

static void
inc_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == inc_cache.relid)
		inc_cache.relid = InvalidOid;
}

static IncCols *
inc_cols(TriggerData *td)
{
	IncCols    *c = &inc_cache;
	TupleDesc	desc = RelationGetDescr(td->tg_relation);

	if (c->relid == RelationGetRelid(td->tg_relation))
		return c;
	if (!inc_cache_callback)
	{
		CacheRegisterRelcacheCallback(inc_relcache_callback, (Datum) 0);
		inc_cache_callback = true;
	}
	c->relid = InvalidOid;		/* until every column is found */
	c->id = inc_col(desc, "id");
	c->number = inc_col(desc, "number");
	c->state = inc_col(desc, "state");
	c->impact = inc_col(desc, "impact");
	c->urgency = inc_col(desc, "urgency");
	c->priority = inc_col(desc, "priority");
	c->assignment_group = inc_col(desc, "assignment_group");
	c->opened_at = inc_col(desc, "opened_at");
	c->acknowledged_at = inc_col(desc, "acknowledged_at");
	c->resolved_at = inc_col(desc, "resolved_at");
	c->closed_at = inc_col(desc, "closed_at");
	c->resolution_code = inc_col(desc, "resolution_code");
	c->reopen_count = inc_col(desc, "reopen_count");
	c->updated_at = inc_col(desc, "updated_at");
	c->updated_by = inc_col(desc, "updated_by");
	c->relid = RelationGetRelid(td->tg_relation);
	return c;
}

static void
inc_check_trigger(FunctionCallInfo fcinfo, const char *name, bool before)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be called as a trigger", name)));
	if ((before ? !TRIGGER_FIRED_BEFORE(td->tg_event) : !TRIGGER_FIRED_AFTER(td->tg_event)) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be fired %s INSERT OR UPDATE FOR EACH ROW", name, before ? "BEFORE" : "AFTER")));
}

/* Small accessors. */
static inline bool
att_null(HeapTuple t, TupleDesc d, int col)
{
	return heap_attisnull(t, col, d);
}

static inline Datum
att(HeapTuple t, TupleDesc d, int col, bool *isnull)
{
	return heap_getattr(t, col, d, isnull);
}

static char *
att_text(HeapTuple t, TupleDesc d, int col)
{
	bool		isnull;
	Datum		v = heap_getattr(t, col, d, &isnull);

	return isnull ? NULL : TextDatumGetCString(v);
}

static int
att_int(HeapTuple t, TupleDesc d, int col, int dflt)
{
	bool		isnull;
	Datum		v = heap_getattr(t, col, d, &isnull);
	Oid			typ = TupleDescAttr(d, col - 1)->atttypid;

	if (isnull)
		return dflt;
	if (typ == INT2OID)
		return DatumGetInt16(v);
	if (typ == INT8OID)
		return (int) DatumGetInt64(v);
	return DatumGetInt32(v);
}

/* The number of the incident, for messages. */
static char *
inc_number(HeapTuple t, TupleDesc d, IncCols *c)
{
	char	   *n = att_text(t, d, c->number);

	return n ? n : pstrdup("(without number)");
}

#define INC_MAXSET 16

IMS_FUNCTION(ims_incident_before);
Datum
ims_incident_before(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	IncCols    *c;
	HeapTuple	newtup,
				oldtup = NULL;
	bool		is_insert;
	TimestampTz t;
	int			cols[INC_MAXSET];
	Datum		vals[INC_MAXSET];
	bool		nulls[INC_MAXSET];
	int			nset = 0;
	int			impact,
				urgency,
				prio;

#define SET_COL(col_, val_, null_) \
	do { cols[nset] = (col_); vals[nset] = (val_); nulls[nset] = (null_); nset++; } while (0)

	inc_check_trigger(fcinfo, "ims._incident_before", true);
	desc = RelationGetDescr(td->tg_relation);
	is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	if (is_insert)
		newtup = td->tg_trigtuple;
	else
	{
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	if (ims_bulk_restore())
		return PointerGetDatum(newtup);

	c = inc_cols(td);
	t = ims_event_timestamp();
	ims_wf_ensure(ims_wf_snapshot());

	/* Stamped columns belong to the triggers. */
	if (is_insert)
	{
		if (!att_null(newtup, desc, c->acknowledged_at) || !att_null(newtup, desc, c->resolved_at) ||
			!att_null(newtup, desc, c->closed_at) || att_int(newtup, desc, c->reopen_count, 0) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("cannot insert an incident with acknowledged_at, resolved_at, closed_at or reopen_count set"),
					 errdetail("These columns are stamped by the incident workflow."),
					 errhint("Insert the incident, then replay its transitions with ims.event_time set (members of ims_admin).")));
		if (att_null(newtup, desc, c->opened_at))
			SET_COL(c->opened_at, TimestampTzGetDatum(t), false);
	}
	else if (!ims_attr_same(oldtup, newtup, desc, c->acknowledged_at) ||
			 !ims_attr_same(oldtup, newtup, desc, c->resolved_at) ||
			 !ims_attr_same(oldtup, newtup, desc, c->closed_at) ||
			 !ims_attr_same(oldtup, newtup, desc, c->reopen_count))
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot change acknowledged_at, resolved_at, closed_at or reopen_count of incident %s",
						inc_number(oldtup, desc, c)),
				 errdetail("These columns are stamped by the incident workflow."),
				 errhint("Change the state; members of ims_admin may backdate it with ims.event_time.")));

	/* Priority comes from the matrix. */
	if (is_insert || !ims_attr_same(oldtup, newtup, desc, c->impact) ||
		!ims_attr_same(oldtup, newtup, desc, c->urgency) || !ims_attr_same(oldtup, newtup, desc, c->priority))
	{
		impact = att_int(newtup, desc, c->impact, 0);
		urgency = att_int(newtup, desc, c->urgency, 0);
		prio = ims_priority(impact, urgency);
		if (prio < 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("no priority for impact %d and urgency %d", impact, urgency),
					 errdetail("ims.priority_matrix has no row for this pair."),
					 errhint("Add the pair to ims.priority_matrix.")));
		if (!att_null(newtup, desc, c->priority) && att_int(newtup, desc, c->priority, 0) != prio &&
			(is_insert || !ims_attr_same(oldtup, newtup, desc, c->priority)))
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("priority %d does not match impact %d and urgency %d",
							att_int(newtup, desc, c->priority, 0), impact, urgency),
					 errdetail("ims.priority_matrix gives priority %d.", prio),
					 errhint("Priority is derived: set impact and urgency instead.")));
		SET_COL(c->priority, Int16GetDatum((int16) prio), false);
	}

	/* Workflow stamps. */
	if (!is_insert)
	{
		char	   *from = att_text(oldtup, desc, c->state);
		char	   *to = att_text(newtup, desc, c->state);

		if (from && to && strcmp(from, to) != 0)
		{
			Workflow   *wf = ims_wf_lookup("incident");
			int			oc = wf ? ims_wf_state_category(wf, from) : -1;
			int			nc = wf ? ims_wf_state_category(wf, to) : -1;

			if (strcmp(from, "new") == 0 && att_null(newtup, desc, c->acknowledged_at))
				SET_COL(c->acknowledged_at, TimestampTzGetDatum(t), false);
			if (nc == WF_RESOLVED || nc == WF_CLOSED)
			{
				char	   *code = att_text(newtup, desc, c->resolution_code);
				bool		blank = true;

				for (char *p = code; p && *p; p++)
					if (*p != ' ')
						blank = false;
				if (blank)
					ereport(ERROR,
							(errcode(ERRCODE_IMS_MISSING_REQUIRED_FIELD),
							 errmsg("incident %s cannot become %s without a resolution code",
									inc_number(oldtup, desc, c), to),
							 errdetail("Entering state \"%s\" needs resolution_code.", to),
							 errhint("Set resolution_code in the same UPDATE.")));
				if (nc == WF_RESOLVED)
					SET_COL(c->resolved_at, TimestampTzGetDatum(t), false);
				else
				{
					if (att_null(newtup, desc, c->resolved_at))
						SET_COL(c->resolved_at, TimestampTzGetDatum(t), false);
					SET_COL(c->closed_at, TimestampTzGetDatum(t), false);
				}
			}
			else if (nc == WF_CANCELLED)
				SET_COL(c->closed_at, TimestampTzGetDatum(t), false);
			else if (oc == WF_RESOLVED || oc == WF_CLOSED || oc == WF_CANCELLED)
			{
				/* Back to work: a reopen. */
				SET_COL(c->reopen_count, Int32GetDatum(att_int(oldtup, desc, c->reopen_count, 0) + 1), false);
				SET_COL(c->resolved_at, (Datum) 0, true);
				SET_COL(c->closed_at, (Datum) 0, true);
			}
		}
	}

	SET_COL(c->updated_at, TimestampTzGetDatum(t), false);
	SET_COL(c->updated_by, CStringGetTextDatum(GetUserNameFromId(GetUserId(), false)), false);
#undef SET_COL
	return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, nset, cols, vals, nulls));
}

/* ---------------------------------------------------------------------------
 * History.
 */

/* Append value v of type typid as JSON. */
static void
json_value(StringInfo buf, Datum v, bool isnull, Oid typid)
{
	char		dt[MAXDATELEN + 1];

	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	switch (typid)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(v) ? "true" : "false");
			return;
		case INT2OID:
			appendStringInfo(buf, "%d", (int) DatumGetInt16(v));
			return;
		case INT4OID:
			appendStringInfo(buf, "%d", DatumGetInt32(v));
			return;
		case INT8OID:
			appendStringInfo(buf, INT64_FORMAT, DatumGetInt64(v));
			return;
		case TEXTOID:
		case VARCHAROID:
			escape_json(buf, TextDatumGetCString(v));
			return;
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
		case DATEOID:
			appendStringInfoChar(buf, '"');
			appendStringInfoString(buf, JsonEncodeDateTime(dt, v, typid, NULL));
			appendStringInfoChar(buf, '"');
			return;
		case JSONOID:
		case JSONBOID:
			{
				Oid			out;
				bool		isvarlena;

				getTypeOutputInfo(typid, &out, &isvarlena);
				appendStringInfoString(buf, OidOutputFunctionCall(out, v));
				return;
			}
		default:
			{
				Oid			out;
				bool		isvarlena;

				getTypeOutputInfo(typid, &out, &isvarlena);
				escape_json(buf, OidOutputFunctionCall(out, v));
				return;
			}
	}
}

static bool
inc_skip_col(Form_pg_attribute a)
{
	return a->attisdropped ||
		strcmp(NameStr(a->attname), "updated_at") == 0 ||
		strcmp(NameStr(a->attname), "updated_by") == 0;
}

/* {"col": [old, new], ...} over the changed columns; NULL when none changed. */
static char *
inc_changes(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc)
{
	StringInfoData buf;
	bool		any = false;
	Datum	   *ovals = palloc(sizeof(Datum) * desc->natts),
			   *nvals = palloc(sizeof(Datum) * desc->natts);
	bool	   *onulls = palloc(sizeof(bool) * desc->natts),
			   *nnulls = palloc(sizeof(bool) * desc->natts);

	/* deform once: heap_getattr past a NULL or varlena column walks from the start */
	heap_deform_tuple(newtup, desc, nvals, nnulls);
	if (oldtup)
		heap_deform_tuple(oldtup, desc, ovals, onulls);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 1; i <= desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i - 1);
		bool		on = oldtup ? onulls[i - 1] : true,
					nn = nnulls[i - 1];
		Datum		ov = oldtup ? ovals[i - 1] : (Datum) 0,
					nv = nvals[i - 1];

		if (inc_skip_col(a))
			continue;
		if (on && nn)
			continue;
		if (!on && !nn && datumIsEqual(ov, nv, a->attbyval, a->attlen))
			continue;
		if (!on && !nn && !a->attbyval)
		{
			/* Same value stored differently (e.g. toasted)? Compare the text. */
			Oid			out;
			bool		isvarlena;

			getTypeOutputInfo(a->atttypid, &out, &isvarlena);
			if (strcmp(OidOutputFunctionCall(out, ov), OidOutputFunctionCall(out, nv)) == 0)
				continue;
		}
		if (any)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, NameStr(a->attname));
		appendStringInfoString(&buf, ": [");
		json_value(&buf, ov, on, a->atttypid);
		appendStringInfoString(&buf, ", ");
		json_value(&buf, nv, nn, a->atttypid);
		appendStringInfoChar(&buf, ']');
		any = true;
	}
	appendStringInfoChar(&buf, '}');
	return any ? buf.data : NULL;
}

/*
 * inc_event_insert writes one row of ims.incident_event directly through the
 * executor's simple-insert path (as logical replication's apply worker does):
 * constraints, every index and any triggers DBAs add to the history table
 * still apply, without planning an INSERT per event.  No permission check is
 * made, so agents need no INSERT right on the history.
 */
/*
 * What each column of ims.incident_event gets, per backend; forgotten on any
 * relcache invalidation of the table (a new column, a re-created extension).
 */
typedef enum EvCol
{
	EV_NULL = 0, EV_DROPPED, EV_ID, EV_INCIDENT, EV_AT, EV_RECORDED, EV_ACTOR, EV_FROM, EV_TO, EV_CHANGES
} EvCol;

static struct
{
	bool		valid;
	Oid			relid;
	Oid			seq;			/* the identity sequence of id */
	int			natts;
	EvCol	   *role;			/* in TopMemoryContext */
}			ev_cache;
static bool ev_callback_set = false;

static void
ev_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == ev_cache.relid)
		ev_cache.valid = false;
}

static Relation
ev_open(void)
{
	Relation	rel;
	TupleDesc	desc;

	if (!ev_callback_set)
	{
		CacheRegisterRelcacheCallback(ev_relcache_callback, (Datum) 0);
		ev_callback_set = true;
	}
	if (ev_cache.valid)
	{
		/* Opening the table takes in pending invalidations: check again. */
		rel = table_open(ev_cache.relid, RowExclusiveLock);
		if (ev_cache.valid)
			return rel;
		table_close(rel, RowExclusiveLock);
	}

	ev_cache.relid = get_relname_relid("incident_event", get_namespace_oid("ims", false));
	if (!OidIsValid(ev_cache.relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ims.incident_event\" does not exist")));
	rel = table_open(ev_cache.relid, RowExclusiveLock);
	desc = RelationGetDescr(rel);
	if (ev_cache.role)
		pfree(ev_cache.role);
	ev_cache.role = MemoryContextAllocZero(TopMemoryContext, Max(desc->natts, 1) * sizeof(EvCol));
	ev_cache.natts = desc->natts;
	ev_cache.seq = InvalidOid;
	for (int i = 1; i <= desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i - 1);
		const char *n = NameStr(a->attname);
		EvCol		r = EV_NULL;

		if (a->attisdropped)
			r = EV_DROPPED;
		else if (strcmp(n, "id") == 0)
		{
			r = EV_ID;
			ev_cache.seq = ims_identity_sequence(ev_cache.relid, i);
		}
		else if (strcmp(n, "incident_id") == 0)
			r = EV_INCIDENT;
		else if (strcmp(n, "at") == 0)
			r = EV_AT;
		else if (strcmp(n, "recorded_at") == 0)
			r = EV_RECORDED;
		else if (strcmp(n, "actor") == 0)
			r = EV_ACTOR;
		else if (strcmp(n, "from_state") == 0)
			r = EV_FROM;
		else if (strcmp(n, "to_state") == 0)
			r = EV_TO;
		else if (strcmp(n, "changes") == 0)
			r = EV_CHANGES;
		ev_cache.role[i - 1] = r;
	}
	ev_cache.valid = true;
	return rel;
}

/*
 * inc_event_insert writes one row of ims.incident_event directly through the
 * executor's simple-insert path (as logical replication's apply worker does):
 * constraints, every index and any triggers DBAs add to the history table
 * still apply, without planning an INSERT per event.  No permission check is
 * made, so agents need no INSERT right on the history.
 */
static void
inc_event_insert(Datum incident_id, Datum at, Datum actor, Datum from, bool from_null,
				 Datum to, Datum changes)
{
	Relation	rel = ev_open();
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	EState	   *estate;
	RangeTblEntry *rte;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	int			natts = desc->natts;

	Assert(natts == ev_cache.natts);
	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ims_init_range_table(estate, rte);
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ims_open_result_relation(estate, rri);
	estate->es_output_cid = GetCurrentCommandId(true);
	AfterTriggerBeginQuery();

	slot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(slot);
	for (int i = 0; i < natts; i++)
	{
		Datum		v = (Datum) 0;
		bool		isnull = false;

		switch (ev_cache.role[i])
		{
			case EV_ID:
				v = Int64GetDatum(nextval_internal(ev_cache.seq, false));
				break;
			case EV_INCIDENT:
				v = incident_id;
				break;
			case EV_AT:
				v = at;
				break;
			case EV_RECORDED:
				v = TimestampTzGetDatum(GetCurrentTimestamp());
				break;
			case EV_ACTOR:
				v = actor;
				break;
			case EV_FROM:
				v = from;
				isnull = from_null;
				break;
			case EV_TO:
				v = to;
				break;
			case EV_CHANGES:
				v = changes;
				break;
			case EV_NULL:
			case EV_DROPPED:
				isnull = true;
				break;
		}
		slot->tts_values[i] = v;
		slot->tts_isnull[i] = isnull;
	}
	ExecStoreVirtualTuple(slot);

	ExecOpenIndices(rri, false);
	ims_simple_insert(rri, estate, slot);

	AfterTriggerEndQuery(estate);
	ims_close_result_relation(estate, rri);	/* closes the indexes too */
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
}

IMS_FUNCTION(ims_incident_after);
Datum
ims_incident_after(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	IncCols    *c;
	HeapTuple	newtup,
				oldtup = NULL;
	bool		is_insert;
	char	   *changes;
	char	   *from = NULL;
	char	   *to;
	Datum		args[6];
	bool		isnull;

	inc_check_trigger(fcinfo, "ims._incident_after", false);
	desc = RelationGetDescr(td->tg_relation);
	is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	if (is_insert)
		newtup = td->tg_trigtuple;
	else
	{
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	if (ims_bulk_restore())
		return PointerGetDatum(NULL);

	c = inc_cols(td);
	changes = inc_changes(oldtup, newtup, desc);
	if (changes == NULL)
		return PointerGetDatum(NULL);	/* nothing changed */
	if (oldtup)
		from = att_text(oldtup, desc, c->state);
	to = att_text(newtup, desc, c->state);

	args[0] = heap_getattr(newtup, c->id, desc, &isnull);
	args[1] = heap_getattr(newtup, c->updated_at, desc, &isnull);
	if (isnull)
		args[1] = TimestampTzGetDatum(ims_event_timestamp());
	args[2] = heap_getattr(newtup, c->updated_by, desc, &isnull);
	if (isnull)
		args[2] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	args[3] = from ? CStringGetTextDatum(from) : (Datum) 0;
	args[4] = CStringGetTextDatum(to ? to : "");
	args[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(changes));

	inc_event_insert(args[0], args[1], args[2], args[3], from == NULL, args[4], args[5]);

	if (is_insert || (from && to && strcmp(from, to) != 0))
	{
		StringInfoData p;
		char		dt[MAXDATELEN + 1];
		bool		gnull;
		Datum		g = heap_getattr(newtup, c->assignment_group, desc, &gnull);
		/* fetched first: the order arguments are evaluated in is unspecified */
		Datum		number = heap_getattr(newtup, c->number, desc, &isnull);

		initStringInfo(&p);
		appendStringInfo(&p, "{\"incident\": " INT64_FORMAT ", \"number\": ", DatumGetInt64(args[0]));
		json_value(&p, number, isnull, TEXTOID);
		appendStringInfoString(&p, ", \"from\": ");
		json_value(&p, args[3], from == NULL, TEXTOID);
		appendStringInfoString(&p, ", \"to\": ");
		json_value(&p, args[4], false, TEXTOID);
		appendStringInfo(&p, ", \"at\": \"%s\", \"actor\": ", JsonEncodeDateTime(dt, args[1], TIMESTAMPTZOID, NULL));
		json_value(&p, args[2], false, TEXTOID);
		appendStringInfo(&p, ", \"priority\": %d, \"assignment_group\": ", att_int(newtup, desc, c->priority, 0));
		json_value(&p, g, gnull, TEXTOID);
		appendStringInfoChar(&p, '}');
		Async_Notify("ims_incident", p.data);
	}
	return PointerGetDatum(NULL);
}
