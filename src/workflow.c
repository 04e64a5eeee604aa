/*
 * workflow.c — the state-machine trigger ims.workflow_guard() and its cache.
 *
 * Workflows are rows of ims.workflow, ims.workflow_state and
 * ims.workflow_transition (and the incident priority matrix is read with
 * them).  Each backend keeps them in memory, parsed into
 * one small struct per workflow.  The cache is checked against the tables at
 * the first row of every statement (and at every call of
 * ims.workflow_state_category): a fingerprint over the (ctid, xmin) of every
 * row the statement's snapshot sees in the three tables.  A rule added in
 * this transaction is visible to its next statement (own writes change the
 * visible set), a rule another session adds is seen once that session has
 * committed and our snapshot includes it, and a rolled-back edit is forgotten
 * again; the same holds under REPEATABLE READ, where the snapshot decides.
 * Scanning three tiny tables costs a few microseconds, and no version table,
 * invalidation message or trigger on the workflow tables is needed.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "access/genam.h"
#include "storage/proc.h"
#include "utils/inval.h"

#include "ims.h"
#include "compat.h"
#include "workflow.h"

/* One workflow, parsed. */
typedef struct WfState
{
	char	   *name;
	WfCategory	category;
} WfState;

typedef struct WfTrans
{
	int			from;			/* index into states */
	int			to;
	char	   *role;			/* NULL: anyone */
} WfTrans;

struct Workflow
{
	char		name[NAMEDATALEN];	/* hash key */
	char	   *initial;
	int			initial_idx;	/* -1 when initial_state is not a state */
	int			nstates;
	int			maxstates;
	WfState    *states;
	int			ntrans;
	int			maxtrans;
	WfTrans    *trans;
};

static MemoryContext wf_cxt = NULL;
static HTAB *wf_hash = NULL;
static uint64 wf_fingerprint = 0;
static bool wf_valid = false;
static uint64 wf_generation = 0;

/*
 * Changes this backend made to the configuration tables: bumped by a
 * statement trigger on each of them (ims._config_changed) and by every
 * subtransaction abort.  Another transaction's changes show in the snapshot;
 * our own show here, so the command id need not be compared (it moves with
 * every statement a trigger runs, which would force a rescan per row).
 */
static uint64 wf_local_generation = 1;

/*
 * Changes other backends committed to the configuration tables: the same
 * statement trigger sends a relcache invalidation for the table, which every
 * backend receives after the commit.  Between invalidations a READ COMMITTED
 * backend can skip the table scans altogether (see ims_config_fast).
 */
static uint64 wf_remote_generation = 1;
#define WF_MAX_CONFIG_RELS 16
static Oid	wf_config_rels[WF_MAX_CONFIG_RELS];
static int	wf_nconfig_rels = 0;

static void
wf_note_config_rel(Oid relid)
{
	for (int i = 0; i < wf_nconfig_rels; i++)
		if (wf_config_rels[i] == relid)
			return;
	if (wf_nconfig_rels < WF_MAX_CONFIG_RELS)
		wf_config_rels[wf_nconfig_rels++] = relid;
	else
		wf_config_rels[0] = relid;	/* never expected: 6 tables today */
}

static void
wf_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid))
	{
		wf_remote_generation++;
		return;
	}
	for (int i = 0; i < wf_nconfig_rels; i++)
		if (wf_config_rels[i] == relid)
		{
			wf_remote_generation++;
			return;
		}
}

/*
 * ims_config_fast: may a cache last checked as *c be used without scanning
 * its tables?  Only under READ COMMITTED (a statement snapshot is newer than
 * every invalidation already received), only when no invalidation and no
 * change of our own came since, and only once two full checks in a row saw
 * the same invalidation count: the second one's snapshot was taken after the
 * invalidation arrived, so it saw the commit that sent it.
 */
bool
ims_config_fast(ImsConfigCheck *c)
{
	AcceptInvalidationMessages();
	return c->valid && c->confirmed && !IsolationUsesXactSnapshot() &&
		c->remote == wf_remote_generation && c->local == wf_local_generation;
}

/* Record a full check of a cache (after its table scans). */
void
ims_config_checked(ImsConfigCheck *c)
{
	c->confirmed = c->valid && !IsolationUsesXactSnapshot() &&
		c->remote == wf_remote_generation && c->local == wf_local_generation;
	c->remote = wf_remote_generation;
	c->local = wf_local_generation;
	c->valid = true;
}

static ImsConfigCheck wf_check;

/*
 * The snapshot the cache was last checked against.  A snapshot that sees
 * exactly the same other transactions (same local transaction, same xmin,
 * xmax and in-progress lists) and no new change of our own sees the same
 * rows, so a statement and the triggers it fires check the tables once.
 */
static struct
{
	bool		valid;
	LocalTransactionId lxid;
	uint64		local_generation;
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	TransactionId *xip;			/* in wf_snap_cxt */
	TransactionId *subxip;
}			wf_checked;
static MemoryContext wf_snap_cxt = NULL;

static bool
wf_snapshot_is_checked(Snapshot snap)
{
	return wf_checked.valid &&
		wf_checked.lxid == IMS_MY_LXID() &&
		wf_checked.local_generation == wf_local_generation &&
		wf_checked.xmin == snap->xmin &&
		wf_checked.xmax == snap->xmax &&
		wf_checked.xcnt == snap->xcnt &&
		wf_checked.subxcnt == snap->subxcnt &&
		wf_checked.suboverflowed == snap->suboverflowed &&
		(snap->xcnt == 0 || memcmp(wf_checked.xip, snap->xip, snap->xcnt * sizeof(TransactionId)) == 0) &&
		(snap->subxcnt <= 0 || memcmp(wf_checked.subxip, snap->subxip, snap->subxcnt * sizeof(TransactionId)) == 0);
}

static void
wf_snapshot_remember(Snapshot snap)
{
	wf_checked.valid = false;
	if (snap->snapshot_type != SNAPSHOT_MVCC)
		return;
	if (wf_snap_cxt == NULL)
		wf_snap_cxt = AllocSetContextCreate(TopMemoryContext, "ims workflow snapshot", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(wf_snap_cxt);
	wf_checked.lxid = IMS_MY_LXID();
	wf_checked.local_generation = wf_local_generation;
	wf_checked.xmin = snap->xmin;
	wf_checked.xmax = snap->xmax;
	wf_checked.xcnt = snap->xcnt;
	wf_checked.subxcnt = snap->subxcnt;
	wf_checked.suboverflowed = snap->suboverflowed;
	wf_checked.xip = MemoryContextAlloc(wf_snap_cxt, Max(snap->xcnt, 1) * sizeof(TransactionId));
	if (snap->xcnt > 0)
		memcpy(wf_checked.xip, snap->xip, snap->xcnt * sizeof(TransactionId));
	wf_checked.subxip = MemoryContextAlloc(wf_snap_cxt, Max(snap->subxcnt, 1) * sizeof(TransactionId));
	if (snap->subxcnt > 0)
		memcpy(wf_checked.subxip, snap->subxip, snap->subxcnt * sizeof(TransactionId));
	wf_checked.valid = true;
}

/* impact x urgency -> priority from ims.priority_matrix; 0 where missing. */
static int16 wf_prio[4][4];
static int16 wf_prio_new[4][4];

static const char *const wf_category_names[] = {"open", "paused", "resolved", "closed", "cancelled"};

const char *
ims_wf_category_name(WfCategory c)
{
	return wf_category_names[c];
}

static WfCategory
wf_category_from_name(const char *s)
{
	for (int i = 0; i < lengthof(wf_category_names); i++)
		if (strcmp(s, wf_category_names[i]) == 0)
			return (WfCategory) i;
	return WF_OPEN;				/* the table's CHECK makes this unreachable */
}

/* ---------------------------------------------------------------------------
 * Reading the workflow tables.
 */

/*
 * ims_table_scan reads every row of ims.<relname> visible to snap, calls fn for each
 * (when fn is not NULL) and returns a fingerprint of the visible set.
 */
uint64
ims_table_scan(Oid nsp, const char *relname, Snapshot snap, ImsRowFn fn, void *arg)
{
	Oid			relid = get_relname_relid(relname, nsp);
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	uint64		h = hash_bytes_uint32_extended((uint32) relid, 0);
	uint32		n = 0;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ims.%s\" does not exist", relname),
				 errhint("Run CREATE EXTENSION ims in this database.")));

	wf_note_config_rel(relid);
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		uint32		blk = ItemPointerGetBlockNumberNoCheck(&tup->t_self);
		uint32		off = ItemPointerGetOffsetNumberNoCheck(&tup->t_self);

		CHECK_FOR_INTERRUPTS();
		h = hash_combine64(h, hash_bytes_uint32_extended(blk, off));
		h = hash_combine64(h, hash_bytes_uint32_extended(HeapTupleHeaderGetRawXmin(tup->t_data), n));
		n++;
		if (fn)
			fn(tup, RelationGetDescr(rel), arg);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return hash_combine64(h, n);
}

static char *
wf_text_attr(HeapTuple tup, TupleDesc desc, const char *col)
{
	int			attnum = SPI_fnumber(desc, col);
	bool		isnull;
	Datum		d;

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of an ims workflow table does not exist", col)));
	d = heap_getattr(tup, attnum, desc, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
wf_bool_attr(HeapTuple tup, TupleDesc desc, const char *col)
{
	int			attnum = SPI_fnumber(desc, col);
	bool		isnull;
	Datum		d;

	if (attnum <= 0)
		return true;
	d = heap_getattr(tup, attnum, desc, &isnull);
	return isnull ? false : DatumGetBool(d);
}

static Workflow *
wf_lookup_in(HTAB *hash, const char *name)
{
	char		key[NAMEDATALEN];

	if (strlen(name) >= NAMEDATALEN)
		return NULL;
	memset(key, 0, sizeof(key));
	strlcpy(key, name, NAMEDATALEN);
	return (Workflow *) hash_search(hash, key, HASH_FIND, NULL);
}

static int
wf_state_index(const Workflow *wf, const char *state)
{
	for (int i = 0; i < wf->nstates; i++)
		if (strcmp(wf->states[i].name, state) == 0)
			return i;
	return -1;
}

static void
wf_load_workflow(HeapTuple tup, TupleDesc desc, void *arg)
{
	HTAB	   *hash = (HTAB *) arg;
	char	   *name = wf_text_attr(tup, desc, "name");
	char		key[NAMEDATALEN];
	Workflow   *wf;
	bool		found;

	if (name == NULL || strlen(name) >= NAMEDATALEN)
		return;
	memset(key, 0, sizeof(key));
	strlcpy(key, name, NAMEDATALEN);
	wf = (Workflow *) hash_search(hash, key, HASH_ENTER, &found);
	wf->initial = wf_text_attr(tup, desc, "initial_state");
	wf->initial_idx = -1;
	wf->nstates = wf->ntrans = 0;
	wf->maxstates = 8;
	wf->maxtrans = 16;
	wf->states = palloc(wf->maxstates * sizeof(WfState));
	wf->trans = palloc(wf->maxtrans * sizeof(WfTrans));
}

static void
wf_load_state(HeapTuple tup, TupleDesc desc, void *arg)
{
	char	   *name = wf_text_attr(tup, desc, "workflow");
	Workflow   *wf = name ? wf_lookup_in((HTAB *) arg, name) : NULL;
	char	   *state;
	char	   *cat;

	if (wf == NULL)
		return;
	state = wf_text_attr(tup, desc, "state");
	cat = wf_text_attr(tup, desc, "category");
	if (state == NULL || cat == NULL)
		return;
	if (wf->nstates == wf->maxstates)
	{
		wf->maxstates *= 2;
		wf->states = repalloc(wf->states, wf->maxstates * sizeof(WfState));
	}
	wf->states[wf->nstates].name = state;
	wf->states[wf->nstates].category = wf_category_from_name(cat);
	wf->nstates++;
}

static void
wf_load_transition(HeapTuple tup, TupleDesc desc, void *arg)
{
	char	   *name = wf_text_attr(tup, desc, "workflow");
	Workflow   *wf = name ? wf_lookup_in((HTAB *) arg, name) : NULL;
	char	   *from;
	char	   *to;
	int			fi,
				ti;

	if (wf == NULL || !wf_bool_attr(tup, desc, "enabled"))
		return;
	from = wf_text_attr(tup, desc, "from_state");
	to = wf_text_attr(tup, desc, "to_state");
	if (from == NULL || to == NULL)
		return;
	fi = wf_state_index(wf, from);
	ti = wf_state_index(wf, to);
	if (fi < 0 || ti < 0)
		return;
	if (wf->ntrans == wf->maxtrans)
	{
		wf->maxtrans *= 2;
		wf->trans = repalloc(wf->trans, wf->maxtrans * sizeof(WfTrans));
	}
	wf->trans[wf->ntrans].from = fi;
	wf->trans[wf->ntrans].to = ti;
	wf->trans[wf->ntrans].role = wf_text_attr(tup, desc, "required_role");
	wf->ntrans++;
}

static void
wf_load_priority(HeapTuple tup, TupleDesc desc, void *arg)
{
	bool		n1,
				n2,
				n3;
	Datum		i = heap_getattr(tup, SPI_fnumber(desc, "impact"), desc, &n1);
	Datum		u = heap_getattr(tup, SPI_fnumber(desc, "urgency"), desc, &n2);
	Datum		p = heap_getattr(tup, SPI_fnumber(desc, "priority"), desc, &n3);

	if (n1 || n2 || n3)
		return;
	if (DatumGetInt16(i) >= 1 && DatumGetInt16(i) <= 3 && DatumGetInt16(u) >= 1 && DatumGetInt16(u) <= 3)
		wf_prio_new[DatumGetInt16(i)][DatumGetInt16(u)] = DatumGetInt16(p);
}

/* Priority for impact and urgency from ims.priority_matrix, or -1. */
int
ims_priority(int impact, int urgency)
{
	if (impact < 1 || impact > 3 || urgency < 1 || urgency > 3 || wf_prio[impact][urgency] == 0)
		return -1;
	return wf_prio[impact][urgency];
}

static int
wf_state_cmp(const void *a, const void *b)
{
	return strcmp(((const WfState *) a)->name, ((const WfState *) b)->name);
}

/*
 * ims_wf_ensure makes the backend's cache agree with what snap sees in the
 * workflow tables, reloading it when the fingerprint changed.
 */
void
ims_wf_ensure(Snapshot snap)
{
	Oid			nsp;
	uint64		fp;
	MemoryContext cxt;
	MemoryContext old;
	HASHCTL		ctl;
	HTAB	   *hash;
	HASH_SEQ_STATUS seq;
	Workflow   *wf;

	if (wf_valid && (ims_config_fast(&wf_check) || wf_snapshot_is_checked(snap)))
		return;
	nsp = get_namespace_oid("ims", false);
	fp = ims_table_scan(nsp, "workflow", snap, NULL, NULL);
	fp = hash_combine64(fp, ims_table_scan(nsp, "workflow_state", snap, NULL, NULL));
	fp = hash_combine64(fp, ims_table_scan(nsp, "workflow_transition", snap, NULL, NULL));
	fp = hash_combine64(fp, ims_table_scan(nsp, "priority_matrix", snap, NULL, NULL));
	if (wf_valid && fp == wf_fingerprint)
	{
		wf_snapshot_remember(snap);
		ims_config_checked(&wf_check);
		return;
	}

	/*
	 * Build the new cache in a context under the current one, so an error
	 * half way frees it; keep it only when complete.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ims workflow cache", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(Workflow);
	ctl.hcxt = cxt;
	hash = hash_create("ims workflows", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	fp = ims_table_scan(nsp, "workflow", snap, wf_load_workflow, hash);
	fp = hash_combine64(fp, ims_table_scan(nsp, "workflow_state", snap, wf_load_state, hash));
	/* States sorted by name, so messages list them in a stable order. */
	hash_seq_init(&seq, hash);
	while ((wf = (Workflow *) hash_seq_search(&seq)) != NULL)
	{
		qsort(wf->states, wf->nstates, sizeof(WfState), wf_state_cmp);
		wf->initial_idx = wf->initial ? wf_state_index(wf, wf->initial) : -1;
	}
	fp = hash_combine64(fp, ims_table_scan(nsp, "workflow_transition", snap, wf_load_transition, hash));
	memset(wf_prio_new, 0, sizeof(wf_prio_new));
	fp = hash_combine64(fp, ims_table_scan(nsp, "priority_matrix", snap, wf_load_priority, NULL));
	MemoryContextSwitchTo(old);
	memcpy(wf_prio, wf_prio_new, sizeof(wf_prio));

	MemoryContextSetParent(cxt, TopMemoryContext);
	if (wf_cxt)
		MemoryContextDelete(wf_cxt);
	wf_cxt = cxt;
	wf_hash = hash;
	wf_fingerprint = fp;
	wf_valid = true;
	wf_generation++;
	wf_snapshot_remember(snap);
	ims_config_checked(&wf_check);
}

Snapshot
ims_wf_snapshot(void)
{
	return ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
}

Workflow *
ims_wf_lookup(const char *name)
{
	return wf_hash ? wf_lookup_in(wf_hash, name) : NULL;
}

/* Category of state in wf, or -1 when wf has no such state. */
int
ims_wf_state_category(const Workflow *wf, const char *state)
{
	int			i = wf_state_index(wf, state);

	return i < 0 ? -1 : (int) wf->states[i].category;
}

const char *
ims_wf_initial(const Workflow *wf)
{
	return wf->initial;
}

/* ---------------------------------------------------------------------------
 * Who may do what.
 */

/* Is the current user a member of ims_admin (superusers are)? */
bool
ims_is_admin(void)
{
	Oid			r = get_role_oid("ims_admin", true);

	if (!OidIsValid(r))
		return superuser();
	return is_member_of_role(GetUserId(), r);
}

/*
 * ims_bulk_restore: rows are arriving through COPY FROM issued by a member of
 * ims_admin, which is what pg_restore does with a dump.  Such rows are taken
 * as they are (a restored incident is already closed, its history already
 * written), so the triggers of ims tables step aside.
 */
bool
ims_bulk_restore(void)
{
	if (ActivePortal == NULL || ActivePortal->commandTag != CMDTAG_COPY)
		return false;
	return ims_is_admin();
}

static bool
wf_role_ok(const char *role)
{
	Oid			r;

	if (role == NULL)
		return true;
	r = get_role_oid(role, true);
	if (!OidIsValid(r))
		return superuser();
	return is_member_of_role(GetUserId(), r);
}

/* ---------------------------------------------------------------------------
 * Messages.
 */

static char *
rel_display_name(Relation rel)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
}

/*
 * row_identity names a row for messages: its primary key as "(id)=(42)", else
 * its ctid, else "(new row)".
 */
static char *
row_identity(Relation rel, HeapTuple tup)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData names;
	StringInfoData vals;

	if (OidIsValid(pk))
	{
		Relation	idx = index_open(pk, AccessShareLock);
		int			nkeys = idx->rd_index->indnkeyatts;

		initStringInfo(&names);
		initStringInfo(&vals);
		for (int i = 0; i < nkeys; i++)
		{
			AttrNumber	attnum = idx->rd_index->indkey.values[i];
			char	   *v;

			if (attnum <= 0)
				continue;
			v = SPI_getvalue(tup, desc, attnum);
			appendStringInfo(&names, "%s%s", i ? ", " : "",
							 quote_identifier(NameStr(TupleDescAttr(desc, attnum - 1)->attname)));
			appendStringInfo(&vals, "%s%s", i ? ", " : "", v ? v : "null");
		}
		index_close(idx, AccessShareLock);
		return psprintf("(%s)=(%s)", names.data, vals.data);
	}
	if (ItemPointerIsValid(&tup->t_self))
		return psprintf("(ctid)=(%u,%u)",
						ItemPointerGetBlockNumber(&tup->t_self),
						ItemPointerGetOffsetNumber(&tup->t_self));
	return pstrdup("(new row)");
}

static char *
wf_known_states(const Workflow *wf)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < wf->nstates; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", wf->states[i].name);
	return s.data;
}

/* The targets allowed from state index `from`, or NULL when there are none. */
static char *
wf_allowed_targets(const Workflow *wf, int from)
{
	StringInfoData s;
	bool		any = false;

	initStringInfo(&s);
	for (int i = 0; i < wf->ntrans; i++)
	{
		if (wf->trans[i].from != from)
			continue;
		appendStringInfo(&s, "%s%s", any ? ", " : "", wf->states[wf->trans[i].to].name);
		if (wf->trans[i].role)
			appendStringInfo(&s, " (role %s)", wf->trans[i].role);
		any = true;
	}
	return any ? s.data : NULL;
}

/* ---------------------------------------------------------------------------
 * The trigger.
 */

typedef struct GuardInfo
{
	Oid			tgoid;
	uint64		generation;		/* wf_generation when wf was looked up */
	Workflow   *wf;
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	bool		is_text;
} GuardInfo;

/* The state held in column attnum of tup, or NULL. */
static char *
guard_state_value(GuardInfo *gi, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, gi->attnum, desc, &isnull);

	if (isnull)
		return NULL;
	if (gi->is_text)
		return TextDatumGetCString(d);
	return SPI_getvalue(tup, desc, gi->attnum);
}

IMS_FUNCTION(ims_workflow_guard);
Datum
ims_workflow_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Trigger    *tg;
	Relation	rel;
	TupleDesc	desc;
	GuardInfo  *gi;
	HeapTuple	newtup;
	HeapTuple	oldtup = NULL;
	bool		is_update;
	char	   *to;
	char	   *from = NULL;
	int			ti,
				fi;
	Workflow   *wf;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ims.workflow_guard() must be called as a trigger")));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ims.workflow_guard() must be fired BEFORE INSERT OR UPDATE FOR EACH ROW")));

	tg = td->tg_trigger;
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	if (is_update)
	{
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	else
		newtup = td->tg_trigtuple;

	if (tg->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ims.workflow_guard() takes 2 arguments, trigger \"%s\" gives %d",
						tg->tgname, tg->tgnargs),
				 errhint("Use EXECUTE FUNCTION ims.workflow_guard('workflow name', 'state column').")));

	/* Per-statement set-up: fn_extra lives as long as the executor state. */
	gi = (GuardInfo *) fcinfo->flinfo->fn_extra;
	if (gi == NULL || gi->tgoid != tg->tgoid)
	{
		int			attnum = SPI_fnumber(desc, tg->tgargs[1]);
		Form_pg_attribute att;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							tg->tgargs[1], RelationGetRelationName(rel)),
					 errdetail("Trigger \"%s\" names it as the state column of workflow \"%s\".",
							   tg->tgname, tg->tgargs[0])));
		att = TupleDescAttr(desc, attnum - 1);
		gi = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(GuardInfo));
		gi->tgoid = tg->tgoid;
		gi->attnum = attnum;
		gi->typid = att->atttypid;
		gi->typmod = att->atttypmod;
		gi->is_text = (att->atttypid == TEXTOID || att->atttypid == VARCHAROID);
		gi->generation = 0;		/* not looked up yet */
		fcinfo->flinfo->fn_extra = gi;
	}

	if (ims_bulk_restore())
		return PointerGetDatum(newtup);

	if (gi->generation == 0 || gi->generation != wf_generation)
	{
		ims_wf_ensure(ims_wf_snapshot());
		gi->wf = ims_wf_lookup(tg->tgargs[0]);
		if (gi->wf == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("workflow \"%s\" does not exist", tg->tgargs[0]),
					 errdetail("Trigger \"%s\" on %s uses it.", tg->tgname, rel_display_name(rel)),
					 errhint("Workflows are rows of ims.workflow.")));
		if (gi->wf->initial_idx < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("initial state \"%s\" of workflow \"%s\" is not one of its states",
							gi->wf->initial ? gi->wf->initial : "", gi->wf->name),
					 errhint("Add it to ims.workflow_state or change ims.workflow.initial_state.")));
		gi->generation = wf_generation;
	}
	wf = gi->wf;

	to = guard_state_value(gi, newtup, desc);
	if (is_update)
	{
		from = guard_state_value(gi, oldtup, desc);
		/* Unchanged state: nothing to check (even a state since removed). */
		if (from != NULL && to != NULL && strcmp(from, to) == 0)
			return PointerGetDatum(newtup);
	}

	if (to == NULL)
	{
		Datum		d;
		bool		isnull = false;
		int			attnum = gi->attnum;

		if (is_update)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of %s %s violates workflow \"%s\"",
							NameStr(TupleDescAttr(desc, gi->attnum - 1)->attname),
							rel_display_name(rel), row_identity(rel, oldtup), wf->name),
					 errdetail("Every row of workflow \"%s\" is in one of its states.", wf->name)));
		/* Insert without a state: the row starts in the initial state. */
		if (gi->is_text)
			d = CStringGetTextDatum(wf->initial);
		else
		{
			Oid			typinput,
						typioparam;

			getTypeInputInfo(gi->typid, &typinput, &typioparam);
			d = OidInputFunctionCall(typinput, wf->initial, typioparam, gi->typmod);
		}
		return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, 1, &attnum, &d, &isnull));
	}

	ti = wf_state_index(wf, to);
	if (ti < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("unknown state \"%s\" for %s %s", to, rel_display_name(rel),
						row_identity(rel, is_update ? oldtup : newtup)),
				 errdetail("Column \"%s\" must hold a state of workflow \"%s\".",
						   NameStr(TupleDescAttr(desc, gi->attnum - 1)->attname), wf->name),
				 errhint("Known states: %s.", wf_known_states(wf))));

	if (!is_update || from == NULL)
	{
		if (ti != wf->initial_idx)
			ereport(ERROR,
					(errcode(ERRCODE_IMS_ILLEGAL_TRANSITION),
					 errmsg("illegal initial state \"%s\" for %s %s", to, rel_display_name(rel),
							row_identity(rel, is_update ? oldtup : newtup)),
					 errdetail("Rows of workflow \"%s\" start in \"%s\".", wf->name, wf->initial),
					 errhint("Insert with state \"%s\" (or NULL) and move the row on with UPDATE.",
							 wf->initial)));
		return PointerGetDatum(newtup);
	}

	fi = wf_state_index(wf, from);
	for (int i = 0; fi >= 0 && i < wf->ntrans; i++)
	{
		if (wf->trans[i].from != fi || wf->trans[i].to != ti)
			continue;
		if (!wf_role_ok(wf->trans[i].role))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for transition of %s %s from \"%s\" to \"%s\"",
							rel_display_name(rel), row_identity(rel, oldtup), from, to),
					 errdetail("Workflow \"%s\" allows this transition only to members of role \"%s\".",
							   wf->name, wf->trans[i].role)));
		return PointerGetDatum(newtup);
	}

	{
		char	   *allowed = fi >= 0 ? wf_allowed_targets(wf, fi) : NULL;

		ereport(ERROR,
				(errcode(ERRCODE_IMS_ILLEGAL_TRANSITION),
				 errmsg("illegal transition of %s %s from \"%s\" to \"%s\"",
						rel_display_name(rel), row_identity(rel, oldtup), from, to),
				 fi < 0 ?
				 errdetail("State \"%s\" is not a state of workflow \"%s\" (any more).", from, wf->name) :
				 errdetail("Workflow \"%s\" has no transition from \"%s\" to \"%s\".", wf->name, from, to),
				 allowed ?
				 errhint("Allowed from \"%s\": %s.", from, allowed) :
				 errhint("No transition leaves \"%s\" in workflow \"%s\".", from, wf->name)));
	}
	PG_RETURN_NULL();			/* not reached */
}

/* ims._config_changed(): statement trigger on the configuration tables. */
IMS_FUNCTION(ims_config_changed);
Datum
ims_config_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ims._config_changed() must be called as a trigger")));
	wf_local_generation++;
	CacheInvalidateRelcacheByRelid(RelationGetRelid(((TriggerData *) fcinfo->context)->tg_relation));
	return PointerGetDatum(NULL);
}

static void
wf_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		wf_local_generation++;
}

void
ims_workflow_init(void)
{
	RegisterSubXactCallback(wf_subxact_callback, NULL);
	CacheRegisterRelcacheCallback(wf_relcache_callback, (Datum) 0);
}

/* ims.workflow_state_category(workflow, state) → text */
IMS_FUNCTION(ims_workflow_state_category);
Datum
ims_workflow_state_category(PG_FUNCTION_ARGS)
{
	char	   *wfname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Workflow   *wf;
	int			c;

	ims_wf_ensure(ims_wf_snapshot());
	wf = ims_wf_lookup(wfname);
	if (wf == NULL)
		PG_RETURN_NULL();
	c = ims_wf_state_category(wf, state);
	if (c < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(wf_category_names[c]));
}
