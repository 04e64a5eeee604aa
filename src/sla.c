/*
 * sla.c — the fast path of the incident SLA trigger.
 *
 * The clock rules live in SQL (src/sql/32_sla.sql: ims._sla_step,
 * ims._sla_replay), shared by the trigger and ims.sla_rebuild.  This file
 * runs the common case of ims._incident_sla() in C: a state, group or
 * acknowledgement change that pauses, resumes or stops clocks without
 * crossing a warning threshold.  It makes exactly the moves ims._sla_step
 * makes (same calendar functions, same order), and hands every other case
 * (a new incident, a priority, service or CI change, a clock that crossed a
 * threshold, a reopen) to the SQL rules.
 *
 * The calendar and clock functions are called through fmgr, found by name
 * once per backend (and again when the extension was re-created).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "common/hashfn.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "rewrite/prs2lock.h"
#include "nodes/parsenodes.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/datum.h"
#include "catalog/pg_type_d.h"
#include "utils/timestamp.h"

#include "ims.h"
#include "compat.h"
#include "workflow.h"

/* Functions of the calendar area, looked up by name. */
typedef struct SlaFns
{
	Oid			for_rel;		/* ims.incident_sla when looked up */
	FmgrInfo	state;			/* sla_state(sla_clock) */
	FmgrInfo	pause;			/* sla_pause(sla_clock, calendar, timestamptz) */
	FmgrInfo	resume;			/* sla_resume(sla_clock, timestamptz) */
	FmgrInfo	stop;			/* sla_stop(sla_clock, calendar, timestamptz) */
	FmgrInfo	due;			/* sla_due(sla_clock, calendar) */
	FmgrInfo	elapsed;		/* sla_elapsed(sla_clock, calendar, timestamptz) */
	FmgrInfo	add;			/* business_add(calendar, timestamptz, interval) */
	Oid			clock_type;
	SPIPlanPtr	slow_plan;
	SPIPlanPtr	replay_plan;
} SlaFns;

static SlaFns sla_fns;

/*
 * Policies and calendars, cached per backend and checked against the tables
 * (a fingerprint of the rows the snapshot sees) once per statement.
 */
typedef struct SlaPolicy
{
	int64		id;
	bool		response;		/* metric */
	bool		ola;			/* agreement */
	char	   *group;			/* OLA group, NULL: any */
	int			npause;
	char	  **pause;
	Interval	target;
	bool		active;
	bool		any_priority;
	int			npriorities;
	int16	   *priorities;
	bool		any_service;
	int64		service_id;
} SlaPolicy;

typedef struct SlaCal
{
	int64		id;
	Datum		cal;			/* ims.calendar, in sla_cache_cxt */
} SlaCal;

static MemoryContext sla_cache_cxt = NULL;
static uint64 sla_cache_fp = 0;
static bool sla_cache_valid = false;
static ImsConfigCheck sla_check;
static int	sla_npol = 0,
			sla_maxpol = 0;
static SlaPolicy *sla_pol = NULL;
static int	sla_ncal = 0,
			sla_maxcal = 0;
static SlaCal *sla_cal = NULL;
static Datum sla_24x7 = (Datum) 0;

/*
 * Relation and column numbers the trigger uses for every row, looked up once
 * per backend and forgotten on any relcache invalidation of the two tables
 * (a dropped and re-created extension, a renamed column).
 */
static struct
{
	bool		valid;
	Oid			nsp;
	Oid			sla_rel;		/* ims.incident_sla */
	Oid			inc_rel;		/* the trigger's table */
	int			policy,
				clock,
				due,
				check,
				changed,
				thr,
				cal;			/* columns of ims.incident_sla */
	int			id,
				state,
				group,
				ack,
				upd,
				prio,
				service,
				ci;				/* columns of ims.incident */
}			sla_rc;
static bool sla_rc_callback_set = false;
static int	sla_when_n = -1;

static void
sla_rc_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == sla_rc.sla_rel || relid == sla_rc.inc_rel)
		sla_rc.valid = false;
	if (!OidIsValid(relid) || relid == sla_rc.sla_rel)
		sla_when_n = -1;		/* the compiled WHEN clauses, see sla_when_fill */
}

static void sla_rc_ensure(Relation increl);

/*
 * Open ims.incident_sla with the column cache valid for what is open (taking
 * the lock takes in pending invalidations).
 */
static Relation
sla_open(Relation increl, LOCKMODE mode)
{
	for (;;)
	{
		Relation	rel;

		sla_rc_ensure(increl);
		rel = table_open(sla_rc.sla_rel, mode);
		if (sla_rc.valid)
			return rel;
		table_close(rel, mode);
	}
}

static int
sla_col(TupleDesc d, const char *name, const char *rel)
{
	int			n = SPI_fnumber(d, name);

	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of %s does not exist", name, rel)));
	return n;
}

static void
sla_rc_ensure(Relation increl)
{
	Relation	rel;
	TupleDesc	d;

	if (sla_rc.valid && sla_rc.inc_rel == RelationGetRelid(increl))
		return;
	if (!sla_rc_callback_set)
	{
		CacheRegisterRelcacheCallback(sla_rc_callback, (Datum) 0);
		sla_rc_callback_set = true;
	}
	sla_rc.valid = false;
	sla_rc.nsp = get_namespace_oid("ims", false);
	sla_rc.sla_rel = get_relname_relid("incident_sla", sla_rc.nsp);
	if (!OidIsValid(sla_rc.sla_rel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the SLA objects of ims are missing"),
				 errhint("Run ALTER EXTENSION ims UPDATE or re-create the extension.")));
	rel = table_open(sla_rc.sla_rel, AccessShareLock);
	d = RelationGetDescr(rel);
	sla_rc.policy = sla_col(d, "policy_id", "ims.incident_sla");
	sla_rc.clock = sla_col(d, "clock", "ims.incident_sla");
	sla_rc.due = sla_col(d, "due_at", "ims.incident_sla");
	sla_rc.check = sla_col(d, "next_check_at", "ims.incident_sla");
	sla_rc.changed = sla_col(d, "changed_at", "ims.incident_sla");
	sla_rc.thr = sla_col(d, "next_threshold", "ims.incident_sla");
	sla_rc.cal = sla_col(d, "calendar_id", "ims.incident_sla");
	table_close(rel, AccessShareLock);
	d = RelationGetDescr(increl);
	sla_rc.id = sla_col(d, "id", "ims.incident");
	sla_rc.state = sla_col(d, "state", "ims.incident");
	sla_rc.group = sla_col(d, "assignment_group", "ims.incident");
	sla_rc.ack = sla_col(d, "acknowledged_at", "ims.incident");
	sla_rc.upd = sla_col(d, "updated_at", "ims.incident");
	sla_rc.prio = sla_col(d, "priority", "ims.incident");
	sla_rc.service = sla_col(d, "service_id", "ims.incident");
	sla_rc.ci = sla_col(d, "ci_id", "ims.incident");
	sla_rc.inc_rel = RelationGetRelid(increl);
	sla_rc.valid = true;
}

static void
sla_load_policy(HeapTuple tup, TupleDesc d, void *arg)
{
	bool		isnull;
	SlaPolicy  *p;
	Datum		v;

	if (sla_npol == sla_maxpol)
	{
		sla_maxpol = sla_maxpol ? 2 * sla_maxpol : 16;
		sla_pol = sla_pol ? repalloc(sla_pol, sla_maxpol * sizeof(SlaPolicy))
			: MemoryContextAlloc(sla_cache_cxt, sla_maxpol * sizeof(SlaPolicy));
	}
	p = &sla_pol[sla_npol++];
	p->id = DatumGetInt64(heap_getattr(tup, SPI_fnumber(d, "id"), d, &isnull));
	p->response = strcmp(TextDatumGetCString(heap_getattr(tup, SPI_fnumber(d, "metric"), d, &isnull)), "response") == 0;
	p->ola = strcmp(TextDatumGetCString(heap_getattr(tup, SPI_fnumber(d, "agreement"), d, &isnull)), "ola") == 0;
	v = heap_getattr(tup, SPI_fnumber(d, "assignment_group"), d, &isnull);
	p->group = isnull ? NULL : TextDatumGetCString(v);
	p->target = *DatumGetIntervalP(heap_getattr(tup, SPI_fnumber(d, "target"), d, &isnull));
	p->active = DatumGetBool(heap_getattr(tup, SPI_fnumber(d, "active"), d, &isnull));
	v = heap_getattr(tup, SPI_fnumber(d, "service_id"), d, &isnull);
	p->any_service = isnull;
	p->service_id = isnull ? 0 : DatumGetInt64(v);
	v = heap_getattr(tup, SPI_fnumber(d, "priorities"), d, &isnull);
	p->any_priority = isnull;
	p->npriorities = 0;
	p->priorities = NULL;
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(v), INT2OID, 2, true, TYPALIGN_SHORT, &elems, &nulls, &n);
		p->priorities = palloc(Max(n, 1) * sizeof(int16));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				p->priorities[p->npriorities++] = DatumGetInt16(elems[i]);
	}
	v = heap_getattr(tup, SPI_fnumber(d, "pause_states"), d, &isnull);
	p->npause = 0;
	p->pause = NULL;
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(v), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		p->pause = palloc(Max(n, 1) * sizeof(char *));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				p->pause[p->npause++] = TextDatumGetCString(elems[i]);
	}
}

static void
sla_load_calendar(HeapTuple tup, TupleDesc d, void *arg)
{
	bool		isnull;
	int			col = SPI_fnumber(d, "cal");
	Form_pg_attribute a = TupleDescAttr(d, col - 1);
	Datum		v;

	if (sla_ncal == sla_maxcal)
	{
		sla_maxcal = sla_maxcal ? 2 * sla_maxcal : 16;
		sla_cal = sla_cal ? repalloc(sla_cal, sla_maxcal * sizeof(SlaCal))
			: MemoryContextAlloc(sla_cache_cxt, sla_maxcal * sizeof(SlaCal));
	}
	v = heap_getattr(tup, col, d, &isnull);
	if (isnull)
		return;
	sla_cal[sla_ncal].id = DatumGetInt64(heap_getattr(tup, SPI_fnumber(d, "id"), d, &isnull));
	sla_cal[sla_ncal].cal = a->attlen == -1 ? PointerGetDatum(PG_DETOAST_DATUM_COPY(v)) : datumCopy(v, a->attbyval, a->attlen);
	sla_ncal++;
}

/* Make the policy and calendar cache agree with what snap sees. */
static void
sla_cache_ensure(Oid nsp, Snapshot snap)
{
	uint64		fp;
	MemoryContext old;

	if (sla_cache_valid && ims_config_fast(&sla_check))
		return;
	fp = ims_table_scan(nsp, "sla_policy", snap, NULL, NULL);
	fp = hash_combine64(fp, ims_table_scan(nsp, "business_calendar", snap, NULL, NULL));
	if (sla_cache_valid && fp == sla_cache_fp)
	{
		ims_config_checked(&sla_check);
		return;
	}
	sla_cache_valid = false;
	if (sla_cache_cxt == NULL)
		sla_cache_cxt = AllocSetContextCreate(TopMemoryContext, "ims SLA cache", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(sla_cache_cxt);
	sla_pol = NULL;
	sla_cal = NULL;
	sla_npol = sla_maxpol = sla_ncal = sla_maxcal = 0;
	old = MemoryContextSwitchTo(sla_cache_cxt);
	ims_table_scan(nsp, "sla_policy", snap, sla_load_policy, NULL);
	ims_table_scan(nsp, "business_calendar", snap, sla_load_calendar, NULL);
	{
		Oid			typin,
					ioparam;
		Oid			caltype = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("calendar"), ObjectIdGetDatum(nsp));

		getTypeInputInfo(caltype, &typin, &ioparam);
		sla_24x7 = OidInputFunctionCall(typin, "24x7", ioparam, -1);
	}
	MemoryContextSwitchTo(old);
	sla_cache_fp = fp;
	sla_cache_valid = true;
	ims_config_checked(&sla_check);
}

static SlaPolicy *
sla_policy(int64 id)
{
	for (int i = 0; i < sla_npol; i++)
		if (sla_pol[i].id == id)
			return &sla_pol[i];
	return NULL;
}

static Datum
sla_calendar(bool isnull, int64 id)
{
	if (!isnull)
		for (int i = 0; i < sla_ncal; i++)
			if (sla_cal[i].id == id)
				return sla_cal[i].cal;
	return sla_24x7;
}

static void
sla_lookup(FmgrInfo *f, const char *name, int nargs, Oid *types)
{
	List	   *names = list_make2(makeString("ims"), makeString(pstrdup(name)));
	Oid			fn = LookupFuncName(names, nargs, types, false);

	fmgr_info_cxt(fn, f, TopMemoryContext);
}

static SPIPlanPtr
sla_prepare(const char *sql, int nargs, Oid *types)
{
	/* A generic plan: the statements are tiny, re-planning them costs more. */
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result))));
	SPI_keepplan(plan);
	return plan;
}

/* Called inside SPI. */
static void
sla_setup(Oid nsp)
{
	Oid			rel = get_relname_relid("incident_sla", nsp);
	Oid			clock;
	Oid			cal;
	Oid			t1[1];
	Oid			t2[2];
	Oid			t3[3];

	if (sla_fns.for_rel == rel && OidIsValid(rel))
		return;
	clock = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("sla_clock"), ObjectIdGetDatum(nsp));
	cal = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("calendar"), ObjectIdGetDatum(nsp));
	if (!OidIsValid(rel) || !OidIsValid(clock) || !OidIsValid(cal))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the SLA objects of ims are missing"),
				 errhint("Run ALTER EXTENSION ims UPDATE or re-create the extension.")));

	t1[0] = clock;
	sla_lookup(&sla_fns.state, "sla_state", 1, t1);
	t3[0] = clock; t3[1] = cal; t3[2] = TIMESTAMPTZOID;
	sla_lookup(&sla_fns.pause, "sla_pause", 3, t3);
	sla_lookup(&sla_fns.stop, "sla_stop", 3, t3);
	sla_lookup(&sla_fns.elapsed, "sla_elapsed", 3, t3);
	t2[0] = clock; t2[1] = TIMESTAMPTZOID;
	sla_lookup(&sla_fns.resume, "sla_resume", 2, t2);
	t2[0] = clock; t2[1] = cal;
	sla_lookup(&sla_fns.due, "sla_due", 2, t2);
	t3[0] = cal; t3[1] = TIMESTAMPTZOID; t3[2] = INTERVALOID;
	sla_lookup(&sla_fns.add, "business_add", 3, t3);

	if (sla_fns.slow_plan)
		SPI_freeplan(sla_fns.slow_plan);
	if (sla_fns.replay_plan)
		SPI_freeplan(sla_fns.replay_plan);
	{
		Oid			ti[1] = {INT8OID};

		sla_fns.replay_plan = sla_prepare("SELECT ims._sla_replay($1)", 1, ti);
	}
	{
		Oid			ts[5] = {INT8OID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID};

		sla_fns.slow_plan = sla_prepare("SELECT ims._incident_sla_apply($1, $2, $3, $4, $5)", 5, ts);
	}
	sla_fns.clock_type = clock;
	sla_fns.for_rel = rel;
}

/* What a clock should do: the rule of ims._sla_want, in C. */
static const char *
sla_want(const SlaPolicy *p, const char *state, const char *grp, bool acknowledged)
{
	Workflow   *wf = ims_wf_lookup("incident");
	int			cat = wf ? ims_wf_state_category(wf, state) : -1;

	if (cat == WF_RESOLVED || cat == WF_CLOSED || cat == WF_CANCELLED || (p->response && acknowledged))
		return "stopped";
	for (int i = 0; i < p->npause; i++)
		if (strcmp(p->pause[i], state) == 0)
			return "paused";
	if (p->ola && !(p->group ? (grp && strcmp(grp, p->group) == 0) : (grp != NULL)))
		return "paused";
	return "running";
}

/* Does policy p cover an incident with this priority and service (ims._sla_policies)? */
static bool
sla_matches(const SlaPolicy *p, int priority, bool service_null, int64 service_id)
{
	bool		pri = p->any_priority;

	if (!p->active)
		return false;
	for (int i = 0; !pri && i < p->npriorities; i++)
		pri = (p->priorities[i] == priority);
	if (!pri)
		return false;
	return p->any_service || (!service_null && p->service_id == service_id);
}

/* One clock of the incident, as read. */
typedef struct SlaRow
{
	HeapTuple	tuple;			/* as read (a copy) */
	int64		policy_id;
	Datum		clock;
	bool		check_null;
	TimestampTz check;
	TimestampTz changed;
	bool		thr_null;
	float8		thr;
	bool		cal_null;
	int64		calendar_id;
} SlaRow;

#define SLA_MAXROWS 64

/*
 * Read the incident's clocks through the primary key, with the latest
 * snapshot: every writer of an incident's clocks holds the incident's row
 * lock, which this trigger's UPDATE holds now, so the latest committed
 * version is the one to move on.
 */
static int
sla_read(Relation increl, int64 incident, SlaRow *rows)
{
	Relation	rel = sla_open(increl, AccessShareLock);
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	TupleDesc	d = RelationGetDescr(rel);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	int			n = 0;
	int			c_policy = sla_rc.policy,
				c_clock = sla_rc.clock,
				c_check = sla_rc.check,
				c_changed = sla_rc.changed,
				c_thr = sla_rc.thr,
				c_cal = sla_rc.cal;
	Form_pg_attribute ca = TupleDescAttr(d, c_clock - 1);

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(incident));
	scan = systable_beginscan(rel, pk, true, GetLatestSnapshot(), 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		SlaRow	   *r;
		Datum		v;

		if (n == SLA_MAXROWS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("incident " INT64_FORMAT " has more than %d SLA clocks", incident, SLA_MAXROWS)));
		r = &rows[n++];
		r->tuple = heap_copytuple(tup);
		r->policy_id = DatumGetInt64(heap_getattr(tup, c_policy, d, &isnull));
		v = heap_getattr(tup, c_clock, d, &isnull);
		r->clock = datumCopy(v, ca->attbyval, ca->attlen);
		v = heap_getattr(tup, c_check, d, &r->check_null);
		r->check = r->check_null ? 0 : DatumGetTimestampTz(v);
		r->changed = DatumGetTimestampTz(heap_getattr(tup, c_changed, d, &isnull));
		v = heap_getattr(tup, c_thr, d, &r->thr_null);
		r->thr = r->thr_null ? 0 : DatumGetFloat8(v);
		v = heap_getattr(tup, c_cal, d, &r->cal_null);
		r->calendar_id = r->cal_null ? 0 : DatumGetInt64(v);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * WHEN clauses of the triggers on ims.incident_sla, compiled once per backend.
 * The executor reads a WHEN clause back from its node tree and plans it for
 * every query, and every clock write here is a query of its own; the
 * compiled expressions are handed to it in the ResultRelInfo instead (the
 * slot it would fill the first time), exactly as it would have built them.
 * Kept while the table's trigger list is the same (trigger OIDs and WHEN
 * texts compared on every use).
 */
static MemoryContext sla_when_cxt = NULL;
static Oid *sla_when_tgoid;
static char **sla_when_qual;
static ExprState **sla_when_state;

static void
sla_when_fill(ResultRelInfo *rri)
{
	TriggerDesc *trig = rri->ri_TrigDesc;
	bool		same;

	if (trig == NULL || rri->ri_TrigWhenExprs == NULL)
		return;
	same = sla_when_n == trig->numtriggers;
	for (int i = 0; same && i < trig->numtriggers; i++)
		same = sla_when_tgoid[i] == trig->triggers[i].tgoid &&
			((sla_when_qual[i] == NULL && trig->triggers[i].tgqual == NULL) ||
			 (sla_when_qual[i] != NULL && trig->triggers[i].tgqual != NULL &&
			  strcmp(sla_when_qual[i], trig->triggers[i].tgqual) == 0));
	if (!same)
	{
		MemoryContext old;

		if (sla_when_cxt == NULL)
			sla_when_cxt = AllocSetContextCreate(TopMemoryContext, "ims SLA trigger WHEN clauses", ALLOCSET_SMALL_SIZES);
		MemoryContextReset(sla_when_cxt);
		sla_when_n = -1;
		old = MemoryContextSwitchTo(sla_when_cxt);
		sla_when_tgoid = palloc0(Max(trig->numtriggers, 1) * sizeof(Oid));
		sla_when_qual = palloc0(Max(trig->numtriggers, 1) * sizeof(char *));
		sla_when_state = palloc0(Max(trig->numtriggers, 1) * sizeof(ExprState *));
		for (int i = 0; i < trig->numtriggers; i++)
		{
			Trigger    *t = &trig->triggers[i];
			Node	   *qual;

			sla_when_tgoid[i] = t->tgoid;
			if (t->tgqual == NULL)
				continue;
			sla_when_qual[i] = pstrdup(t->tgqual);
			/* as TriggerEnabled() in commands/trigger.c does */
			qual = stringToNode(t->tgqual);
			ChangeVarNodes(qual, PRS2_OLD_VARNO, INNER_VAR, 0);
			ChangeVarNodes(qual, PRS2_NEW_VARNO, OUTER_VAR, 0);
			qual = (Node *) make_ands_implicit((Expr *) qual);
			qual = (Node *) expression_planner((Expr *) qual);
			sla_when_state[i] = ExecInitQual((List *) qual, NULL);
		}
		MemoryContextSwitchTo(old);
		sla_when_n = trig->numtriggers;
	}
	for (int i = 0; i < trig->numtriggers; i++)
		rri->ri_TrigWhenExprs[i] = sla_when_state[i];
}

/*
 * Write the moved clocks straight through the executor's simple-update path
 * (as logical replication does): indexes, constraints and any triggers on
 * ims.incident_sla still apply, without planning an UPDATE per event.  The
 * rows cannot change under us: every writer of an incident's clocks holds the
 * incident's row lock first (ims.sla_tick included).
 */
static void
sla_write(Relation increl, SlaRow *rows, int nrows, const char **want, Datum *a_policy, Datum *a_clock,
		  Datum *a_due, bool *n_due, Datum *a_check, bool *n_check, Datum *a_changed, int nupd)
{
	Relation	rel = sla_open(increl, RowExclusiveLock);
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	EState	   *estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	EPQState	epq;
	TupleTableSlot *oldslot,
			   *newslot;
	int			cols[4];

	cols[0] = sla_rc.clock;
	cols[1] = sla_rc.due;
	cols[2] = sla_rc.check;
	cols[3] = sla_rc.changed;

	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ims_init_range_table(estate, rte);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	sla_when_fill(rri);
	ims_open_result_relation(estate, rri);
	estate->es_output_cid = GetCurrentCommandId(true);
	estate->es_snapshot = GetActiveSnapshot();
	ims_epq_init(&epq, estate);
	AfterTriggerBeginQuery();
	ExecOpenIndices(rri, false);
	oldslot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsHeapTuple);
	newslot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsHeapTuple);

	for (int u = 0; u < nupd; u++)
	{
		Datum		vals[4];
		bool		nulls[4];
		HeapTuple	old = NULL;
		HeapTuple	neu;

		for (int r = 0; r < nrows; r++)
			if (rows[r].policy_id == DatumGetInt64(a_policy[u]))
				old = rows[r].tuple;
		vals[0] = a_clock[u];
		nulls[0] = false;
		vals[1] = a_due[u];
		nulls[1] = n_due[u];
		vals[2] = a_check[u];
		nulls[2] = n_check[u];
		vals[3] = a_changed[u];
		nulls[3] = false;
		neu = heap_modify_tuple_by_cols(old, desc, 4, cols, vals, nulls);
		ExecStoreHeapTuple(old, oldslot, false);
		ExecStoreHeapTuple(neu, newslot, false);
		ims_simple_update(rri, estate, &epq, oldslot, newslot);
		ExecClearTuple(oldslot);
		ExecClearTuple(newslot);
	}

	EvalPlanQualEnd(&epq);
	AfterTriggerEndQuery(estate);
	ims_close_result_relation(estate, rri);	/* closes the indexes too */
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
}

/* Connect to SPI (once) and make sure the functions and plans are set up. */
static void
sla_spi(bool *connected, Oid nsp)
{
	if (*connected)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("SPI_connect failed")));
	*connected = true;
	sla_setup(nsp);
}

/* Per-statement state (fn_extra): the cache is checked once per statement. */
typedef struct SlaStmt
{
	bool		checked;
} SlaStmt;

IMS_FUNCTION(ims_incident_sla);
Datum
ims_incident_sla(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtup,
				oldtup;
	int			c_id,
				c_state,
				c_group,
				c_ack,
				c_upd,
				c_prio,
				c_service,
				c_ci;
	bool		isnull;
	Datum		id;
	char	   *state;
	char	   *grp;
	bool		ack;
	TimestampTz t;
	Oid			save_userid;
	int			save_sec;
	bool		slow = false;
	bool		spi = false;
	Oid			nsp;
	SlaStmt    *st;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ims._incident_sla() must be fired AFTER INSERT OR UPDATE FOR EACH ROW")));
	if (ims_bulk_restore())
		return PointerGetDatum(NULL);

	desc = RelationGetDescr(td->tg_relation);
	newtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	oldtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_trigtuple : NULL;
	sla_rc_ensure(td->tg_relation);
	c_id = sla_rc.id;
	c_state = sla_rc.state;
	c_group = sla_rc.group;
	c_ack = sla_rc.ack;
	c_upd = sla_rc.upd;
	c_prio = sla_rc.prio;
	c_service = sla_rc.service;
	c_ci = sla_rc.ci;
	id = heap_getattr(newtup, c_id, desc, &isnull);

	if (oldtup != NULL &&
		ims_attr_same(oldtup, newtup, desc, c_prio) && ims_attr_same(oldtup, newtup, desc, c_service) &&
		ims_attr_same(oldtup, newtup, desc, c_ci) && ims_attr_same(oldtup, newtup, desc, c_state) &&
		ims_attr_same(oldtup, newtup, desc, c_group) && ims_attr_same(oldtup, newtup, desc, c_ack))
		return PointerGetDatum(NULL);	/* nothing the clocks depend on */

	nsp = sla_rc.nsp;
	st = (SlaStmt *) fcinfo->flinfo->fn_extra;
	if (st == NULL)
	{
		st = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SlaStmt));
		fcinfo->flinfo->fn_extra = st;
	}

	/* Run as the owner of the SLA tables: agents have no rights on them. */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(td->tg_relation->rd_rel->relowner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	/* SPI only for the SQL rules (and to prepare them once): not on the fast path. */
	if (sla_fns.for_rel != sla_rc.sla_rel)
		sla_spi(&spi, nsp);

	if (oldtup == NULL ||
		!ims_attr_same(oldtup, newtup, desc, c_prio) ||
		!ims_attr_same(oldtup, newtup, desc, c_service) ||
		!ims_attr_same(oldtup, newtup, desc, c_ci))
	{
		/* New incident, or a new set of policies: rebuild from the history. */
		sla_spi(&spi, nsp);
		if (SPI_execute_plan(sla_fns.replay_plan, &id, NULL, false, 0) < 0)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("ims._sla_replay failed")));
		goto done;
	}

	state = TextDatumGetCString(heap_getattr(newtup, c_state, desc, &isnull));
	grp = heap_attisnull(newtup, c_group, desc) ? NULL : TextDatumGetCString(heap_getattr(newtup, c_group, desc, &isnull));
	ack = !heap_attisnull(newtup, c_ack, desc);
	t = DatumGetTimestampTz(heap_getattr(newtup, c_upd, desc, &isnull));

	/* A group change may start an OLA: the SQL rules handle that. */
	if (!ims_attr_same(oldtup, newtup, desc, c_group))
		slow = true;

	if (!slow)
	{
		SlaRow		rows[SLA_MAXROWS];
		const char *want[SLA_MAXROWS];
		int			nrows;
		Datum		a_policy[SLA_MAXROWS],
					a_clock[SLA_MAXROWS],
					a_due[SLA_MAXROWS],
					a_check[SLA_MAXROWS],
					a_changed[SLA_MAXROWS];
		bool		n_due[SLA_MAXROWS],
					n_check[SLA_MAXROWS];
		int			nupd = 0;

		ims_wf_ensure(ims_wf_snapshot());
		if (!st->checked)
		{
			sla_cache_ensure(nsp, ims_wf_snapshot());
			st->checked = true;	/* once per statement at most */
		}
		nrows = sla_read(td->tg_relation, DatumGetInt64(id), rows);

		/* First pass: can every clock take the fast path? */
		for (int r = 0; r < nrows && !slow; r++)
		{
			SlaPolicy  *p = sla_policy(rows[r].policy_id);
			char	   *cur;

			if (p == NULL)
			{
				slow = true;
				break;
			}
			cur = TextDatumGetCString(FunctionCall1(&sla_fns.state, rows[r].clock));
			want[r] = sla_want(p, state, grp, ack);
			if (strcmp(want[r], cur) == 0)
			{
				want[r] = NULL;
				continue;
			}
			if (strcmp(cur, "stopped") == 0)
				slow = true;	/* a reopen */
			else if (strcmp(cur, "running") == 0 && !rows[r].check_null &&
					 rows[r].check <= Max(t, rows[r].changed))
				slow = true;	/* a threshold was crossed */
		}

		/* An OLA that has no clock yet and should run now starts: the SQL rules do that. */
		for (int i = 0; i < sla_npol && !slow; i++)
		{
			SlaPolicy  *p = &sla_pol[i];
			bool		has = false;
			bool		snull;
			Datum		sv = heap_getattr(newtup, c_service, desc, &snull);

			if (!p->ola || !sla_matches(p, DatumGetInt16(heap_getattr(newtup, c_prio, desc, &isnull)),
										snull, snull ? 0 : DatumGetInt64(sv)))
				continue;
			for (int r = 0; r < nrows; r++)
				if (rows[r].policy_id == p->id)
					has = true;
			if (!has && strcmp(sla_want(p, state, grp, ack), "running") == 0)
				slow = true;
		}

		/* Second pass: move the clocks. */
		for (int r = 0; r < nrows && !slow; r++)
		{
			SlaPolicy  *p;
			Datum		cal;
			TimestampTz at;
			Datum		newclock;

			if (want[r] == NULL)
				continue;
			p = sla_policy(rows[r].policy_id);
			cal = sla_calendar(rows[r].cal_null, rows[r].calendar_id);
			at = Max(t, rows[r].changed);
			n_due[nupd] = true;
			a_due[nupd] = (Datum) 0;

			/*
			 * next_check_at stays as it was on a pause or stop (ims.sla_tick
			 * clears it when it comes due) and a resume only lowers it: a
			 * pause delays the crossing, so the earlier instant still bounds
			 * it, and an unchanged index key lets the update be HOT.  The
			 * rule of ims._sla_step.
			 */
			n_check[nupd] = rows[r].check_null;
			a_check[nupd] = rows[r].check_null ? (Datum) 0 : TimestampTzGetDatum(rows[r].check);
			if (strcmp(want[r], "running") == 0)
			{
				newclock = FunctionCall2(&sla_fns.resume, rows[r].clock, TimestampTzGetDatum(at));
				a_due[nupd] = FunctionCall2(&sla_fns.due, newclock, cal);
				n_due[nupd] = false;
				if (!rows[r].thr_null)
				{
					Datum		part = DirectFunctionCall2(interval_mul, IntervalPGetDatum(&p->target),
														   Float8GetDatum(rows[r].thr));
					Datum		el = FunctionCall3(&sla_fns.elapsed, newclock, cal, TimestampTzGetDatum(at));
					Datum		rest = DirectFunctionCall2(interval_mi, part, el);

					TimestampTz cross = DatumGetTimestampTz(FunctionCall3(&sla_fns.add, cal,
																	 TimestampTzGetDatum(at), rest));

					if (rows[r].check_null || cross < rows[r].check)
					{
						a_check[nupd] = TimestampTzGetDatum(cross);
						n_check[nupd] = false;
					}
				}
			}
			else if (strcmp(want[r], "paused") == 0)
				newclock = FunctionCall3(&sla_fns.pause, rows[r].clock, cal, TimestampTzGetDatum(at));
			else
				newclock = FunctionCall3(&sla_fns.stop, rows[r].clock, cal, TimestampTzGetDatum(at));
			a_policy[nupd] = Int64GetDatum(rows[r].policy_id);
			a_clock[nupd] = newclock;
			a_changed[nupd] = TimestampTzGetDatum(at);
			nupd++;
		}
		if (!slow && nupd > 0)
			sla_write(td->tg_relation, rows, nrows, want, a_policy, a_clock, a_due, n_due, a_check, n_check, a_changed, nupd);
	}
	if (slow)
	{
		Datum		args[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

		args[0] = id;
		args[1] = CStringGetTextDatum(state);
		args[2] = grp ? CStringGetTextDatum(grp) : (Datum) 0;
		nulls[2] = grp ? ' ' : 'n';
		args[3] = BoolGetDatum(ack);
		args[4] = TimestampTzGetDatum(t);
		sla_spi(&spi, nsp);
		if (SPI_execute_plan(sla_fns.slow_plan, args, nulls, false, 0) < 0)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("ims._incident_sla_apply failed")));
	}

done:
	if (spi)
		SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec);
	return PointerGetDatum(NULL);
}
