/*
 * gate.c — trigger gates: C row triggers that decide whether a PL/pgSQL
 * trigger function has anything to do for an updated incident, and call it
 * only then.
 *
 * A WHEN clause does the same job, but PostgreSQL reads a WHEN clause back
 * from its stored node tree and plans it again for every statement, which
 * for the one-row UPDATEs agents issue costs more than the trigger it saves.
 * A gate tests the same columns in C and hands the very same trigger data to
 * the PL/pgSQL function when it must run, so that function sees TG_OP, OLD
 * and NEW as if it had been the trigger itself.
 *
 * ims._incident_outage_gate(): AFTER UPDATE of ims.incident, in front of
 *   ims._incident_outage().  The outage rules have work only when the row
 *   records an outage before or after the update (outage_kind set) and one of
 *   the columns they read changed, or when the incident ends (its state
 *   category goes from open or paused to another): an ending incident closes
 *   every open period recorded with its id, rows written directly included.
 * ims._kpi_mark_dirty_gate(): AFTER UPDATE of ims.incident, in front of
 *   ims._kpi_mark_dirty(): only when a column the monthly KPIs read changed.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/pg_list.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ims.h"
#include "workflow.h"

/* The functions the gates call, found by name once (pg_proc changes reset). */
typedef enum GateTarget
{
	GATE_OUTAGE = 0,
	GATE_KPI,
	GATE_NTARGETS
} GateTarget;

static const char *const gate_target_names[GATE_NTARGETS] = {"_incident_outage", "_kpi_mark_dirty"};
static Oid	gate_target_oid[GATE_NTARGETS];

static void
gate_proc_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	for (int i = 0; i < GATE_NTARGETS; i++)
		gate_target_oid[i] = InvalidOid;
}

/* Per query (fn_extra of the gate): the target's FmgrInfo. */
typedef struct GateCall
{
	Oid			fn;
	FmgrInfo	flinfo;
} GateCall;

/* Run the trigger function t with the gate's own trigger data. */
static Datum
gate_call(FunctionCallInfo fcinfo, GateTarget t)
{
	GateCall   *gc = (GateCall *) fcinfo->flinfo->fn_extra;
	LOCAL_FCINFO(tfc, 0);

	if (!OidIsValid(gate_target_oid[t]))
	{
		List	   *names = list_make2(makeString("ims"), makeString(pstrdup(gate_target_names[t])));

		gate_target_oid[t] = LookupFuncName(names, 0, NULL, false);
	}
	if (gc == NULL || gc->fn != gate_target_oid[t])
	{
		if (gc == NULL)
			gc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(GateCall));
		fmgr_info_cxt(gate_target_oid[t], &gc->flinfo, fcinfo->flinfo->fn_mcxt);
		gc->fn = gate_target_oid[t];
		fcinfo->flinfo->fn_extra = gc;
	}
	InitFunctionCallInfoData(*tfc, &gc->flinfo, 0, InvalidOid, fcinfo->context, NULL);
	(void) FunctionCallInvoke(tfc);	/* an AFTER trigger's result is ignored */
	return PointerGetDatum(NULL);
}

static TriggerData *
gate_check(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be fired AFTER UPDATE FOR EACH ROW", name)));
	return td;
}

/*
 * Column numbers of ims.incident for each gate, kept per backend and dropped
 * by any relcache invalidation of the table (a rename or a new column).
 */
static const char *const gate_outage_colnames[] = {"state", "outage_kind", "outage_start", "ci_id", "service_id"};
static const char *const gate_kpi_colnames[] = {"service_id", "priority", "tenant", "opened_at", "acknowledged_at",
"resolved_at", "closed_at", "reopen_count"};

#define GATE_MAXCOLS 8
typedef struct GateCols
{
	Oid			relid;			/* InvalidOid: not looked up */
	int			n[GATE_MAXCOLS];
} GateCols;

static GateCols gate_cols_of[GATE_NTARGETS];

static void
gate_relcache_callback(Datum arg, Oid relid)
{
	for (int i = 0; i < GATE_NTARGETS; i++)
		if (!OidIsValid(relid) || gate_cols_of[i].relid == relid)
			gate_cols_of[i].relid = InvalidOid;
}

static const int *
gate_cols(TriggerData *td, GateTarget t)
{
	GateCols   *c = &gate_cols_of[t];
	const char *const *names = t == GATE_OUTAGE ? gate_outage_colnames : gate_kpi_colnames;
	int			ncols = t == GATE_OUTAGE ? lengthof(gate_outage_colnames) : lengthof(gate_kpi_colnames);
	TupleDesc	desc = RelationGetDescr(td->tg_relation);

	if (c->relid == RelationGetRelid(td->tg_relation))
		return c->n;
	c->relid = InvalidOid;
	for (int i = 0; i < ncols; i++)
	{
		int			n = SPI_fnumber(desc, names[i]);

		if (n <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of ims.incident does not exist", names[i])));
		c->n[i] = n;
	}
	c->relid = RelationGetRelid(td->tg_relation);
	return c->n;
}

void
ims_gate_init(void)
{
	CacheRegisterSyscacheCallback(PROCOID, gate_proc_callback, (Datum) 0);
	CacheRegisterRelcacheCallback(gate_relcache_callback, (Datum) 0);
}

/* Is the workflow category c that of a running incident (open or paused)? */
static inline bool
gate_live(int c)
{
	return c == WF_OPEN || c == WF_PAUSED;
}

/*
 * ims._incident_outage_gate(): the WHEN clause the outage trigger had, and
 * in addition: nothing to do unless outage_kind is set on either side or the
 * incident ends.  With outage_kind NULL before and after, the rules of
 * ims._incident_outage() only close the open periods of an ending incident;
 * when the gate cannot tell (a state without a category), it calls them.
 */
IMS_FUNCTION(ims_incident_outage_gate);
Datum
ims_incident_outage_gate(PG_FUNCTION_ARGS)
{
	TriggerData *td = gate_check(fcinfo, "ims._incident_outage_gate");
	TupleDesc	d = RelationGetDescr(td->tg_relation);
	HeapTuple	o = td->tg_trigtuple;
	HeapTuple	n = td->tg_newtuple;
	const int  *c = gate_cols(td, GATE_OUTAGE);
	enum
	{
		STATE, KIND, START, CI, SERVICE
	};
	bool		state_same = ims_attr_same(o, n, d, c[STATE]);
	bool		old_kind = !heap_attisnull(o, c[KIND], d);
	bool		new_kind = !heap_attisnull(n, c[KIND], d);

	/* The trigger's former WHEN clause. */
	if (state_same && ims_attr_same(o, n, d, c[KIND]) && ims_attr_same(o, n, d, c[START]) &&
		!(new_kind && (!ims_attr_same(o, n, d, c[CI]) || !ims_attr_same(o, n, d, c[SERVICE]))))
		return PointerGetDatum(NULL);

	if (!old_kind && !new_kind)
	{
		Workflow   *wf;
		int			oc,
					nc;
		bool		isnull;

		if (state_same)
			return PointerGetDatum(NULL);
		ims_wf_ensure(ims_wf_snapshot());
		wf = ims_wf_lookup("incident");
		if (wf != NULL)
		{
			char	   *os = TextDatumGetCString(heap_getattr(o, c[STATE], d, &isnull));
			char	   *ns = TextDatumGetCString(heap_getattr(n, c[STATE], d, &isnull));

			oc = ims_wf_state_category(wf, os);
			nc = ims_wf_state_category(wf, ns);
			/* Still running, or ended before: no open period to close. */
			if (oc >= 0 && nc >= 0 && (gate_live(nc) || !gate_live(oc)))
				return PointerGetDatum(NULL);
		}
	}
	return gate_call(fcinfo, GATE_OUTAGE);
}

/*
 * ims._kpi_mark_dirty_gate(): calls ims._kpi_mark_dirty() when a column the
 * monthly KPIs read changed: service, priority, tenant, opened,
 * acknowledged, resolved, the end (resolved, else closed) or the reopen count.
 */
IMS_FUNCTION(ims_kpi_mark_dirty_gate);
Datum
ims_kpi_mark_dirty_gate(PG_FUNCTION_ARGS)
{
	TriggerData *td = gate_check(fcinfo, "ims._kpi_mark_dirty_gate");
	TupleDesc	d = RelationGetDescr(td->tg_relation);
	HeapTuple	o = td->tg_trigtuple;
	HeapTuple	n = td->tg_newtuple;
	const int  *c = gate_cols(td, GATE_KPI);
	enum
	{
		SERVICE, PRIORITY, TENANT, OPENED, ACK, RESOLVED, CLOSED, REOPEN
	};
	bool		changed = false;

	for (int i = SERVICE; i <= RESOLVED && !changed; i++)
		changed = !ims_attr_same(o, n, d, c[i]);
	if (!changed)
		changed = !ims_attr_same(o, n, d, c[REOPEN]);
	/* coalesce(resolved_at, closed_at): resolved_at is equal here */
	if (!changed && heap_attisnull(n, c[RESOLVED], d))
		changed = !ims_attr_same(o, n, d, c[CLOSED]);
	if (!changed)
		return PointerGetDatum(NULL);
	return gate_call(fcinfo, GATE_KPI);
}
