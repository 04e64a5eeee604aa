/*
 * graph.c — SQL-callable dependency-graph traversal over the CMDB
 * (ims.impacted, ims.dependencies, ims.dependency_path,
 * ims.dependency_cycles, ims.common_dependencies, ims.impacted_services,
 * ims.graph_cache_info; for change management ims.change_neighbourhood,
 * ims.change_collisions and ims.change_impacted_services).
 *
 * The graph is read from ims.ci / ims.ci_relation / ims.relation_type (or,
 * for as_of, from the history tables) through SPI and kept per backend as a
 * CSR graph (src/core/graph.c).  Cache validity follows the snapshot:
 *
 *   Every statement that changes what the traversal reads first updates the
 *   single row of ims.graph_version (statement-level BEFORE trigger).  Row
 *   updates serialise, so the xmin of the version-row tuple a snapshot sees
 *   names exactly the committed state of the graph that snapshot sees.  The
 *   cache key is (table oid, that xmin, current user: row-level security may
 *   show each role other rows).
 *
 *   When that xmin belongs to the current transaction (it changed the CMDB
 *   itself), the graph also depends on the transaction's own changes up to
 *   the snapshot's command id, so the key adds the top transaction id and the
 *   snapshot's curcid; such entries are dropped at transaction end.
 *
 * A relation inserted earlier in the same transaction is therefore seen; one
 * committed by another session after a REPEATABLE READ snapshot was taken is
 * not (the snapshot still sees the older version row).
 *
 * The rows are read through SPI with the caller's privileges (not by a raw
 * heap scan, which would be faster to build but would bypass row-level
 * security on the CMDB tables); the key therefore includes the user.
 *
 * Parallel safety: a parallel worker shares the leader's snapshot and
 * transaction state (TransactionIdIsCurrentTransactionId works there), reads
 * the same rows through SPI, and keeps its own cache for its short life, so
 * the functions are PARALLEL SAFE; the cost is one graph build per worker.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "portability/instr_time.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "ims.h"
#include "core/graph.h"

typedef struct GraphKey
{
	Oid			relid;			/* ims.graph_version, so a recreated extension misses */
	Oid			userid;			/* row-level security may show each role other rows */
	TransactionId vxmin;		/* xmin of the version row the snapshot sees */
	bool		own;			/* vxmin is (a subtransaction of) ours */
	TransactionId topxid;		/* own only */
	CommandId	curcid;			/* own only */
	bool		has_as_of;
	TimestampTz as_of;
	Oid			outer_userid;	/* the role ims.current_tenants() filters for (SET ROLE) */
	uint64		roles_epoch;	/* role catalog changes seen by this backend */
	uint64		policies;		/* row-level security of the CMDB tables (graph_check_access) */
} GraphKey;

typedef struct GraphSlot
{
	bool		used;
	GraphKey	key;
	MemoryContext cxt;
	ImsGraph   *g;
	int			ntypes;
	char	  **type_names;		/* sorted, as relation_type ORDER BY name */
	uint8	   *propagates;
	uint8	   *service;		/* per node: class business_service or below */
	int32		nsvc;			/* business services with their names: */
	int32	   *svc_node;		/* nsvc nodes, ascending */
	uint32	   *svc_name;		/* nsvc offsets into svc_pool */
	char	   *svc_pool;		/* their names, NUL-terminated */
	uint32	   *nb_stamp;		/* change_neighbourhood scratch (lazily, n each) */
	int32	   *nb_queue;
	uint32		nb_epoch;
	TimestampTz built_at;
	double		build_ms;
	uint64		hits;
	TimestampTz epoch_lo;		/* as_of: the CMDB history is the same for */
	TimestampTz epoch_hi;		/* every as_of in [epoch_lo, epoch_hi) */
} GraphSlot;

/* 0: current committed graph, 1: own transaction's graph, 2: an as_of graph */
#define NSLOTS 3
static GraphSlot slots[NSLOTS];
static uint64 graph_builds = 0;
static SPIPlanPtr version_plan = NULL;

/*
 * Which tenants a role sees (ims.current_tenants(), hence row-level security
 * on the CMDB) depends on role memberships and role attributes as well as on
 * ims.tenant_member (whose changes touch ims.graph_version).  GRANT, REVOKE,
 * ALTER ROLE and DROP ROLE change catalogs only, so the cache key carries a
 * counter that their invalidation messages advance.
 */
static uint64 roles_epoch = 0;

static void
graph_roles_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	roles_epoch++;
}

/*
 * Row-level security of the CMDB tables (CREATE, ALTER and DROP POLICY,
 * ENABLE or FORCE ROW LEVEL SECURITY) changes catalogs only, too.  A relcache
 * invalidation of one of the tables (also sent by VACUUM and ANALYZE) marks
 * the policies for a re-read; the cache key holds a hash of their content,
 * so only a real change of the policies drops the cached graphs.
 */
#define CMDB_TABLES 7
static Oid	cmdb_relids[CMDB_TABLES];
static uint64 cmdb_invals = 1;	/* relcache invalidations of the tables seen */
static uint64 cmdb_policies_at = 0;	/* cmdb_invals when the hash was taken */
static uint64 cmdb_policies_hash = 0;

static void
graph_rel_changed(Datum arg, Oid relid)
{
	for (int i = 0; i < CMDB_TABLES; i++)
		if (relid == InvalidOid || relid == cmdb_relids[i])
		{
			cmdb_invals++;
			return;
		}
}

/* A hash of what row-level security does on rel. */
static uint64
policies_hash(Relation rel)
{
	uint64		h = hash_bytes_uint32((uint32) RelationGetRelid(rel));
	ListCell   *lc;

	h = hash_combine64(h, (uint64) (rel->rd_rel->relrowsecurity ? 1 : 0) |
					   (uint64) (rel->rd_rel->relforcerowsecurity ? 2 : 0));
	if (rel->rd_rsdesc == NULL)
		return h;
	foreach(lc, rel->rd_rsdesc->policies)
	{
		RowSecurityPolicy *p = (RowSecurityPolicy *) lfirst(lc);
		char	   *qual = nodeToString(p->qual);
		char	   *check = nodeToString(p->with_check_qual);

		h = hash_combine64(h, hash_bytes((const unsigned char *) p->policy_name, strlen(p->policy_name)));
		h = hash_combine64(h, (uint64) (unsigned char) p->polcmd | (p->permissive ? 256 : 0));
		h = hash_combine64(h, hash_bytes((const unsigned char *) p->roles, VARSIZE(p->roles)));
		h = hash_combine64(h, hash_bytes((const unsigned char *) qual, strlen(qual)));
		h = hash_combine64(h, hash_bytes((const unsigned char *) check, strlen(check)));
		pfree(qual);
		pfree(check);
	}
	return h;
}

static void
graph_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

static void *
graph_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size ? size : 1,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
graph_release(void *ctx, void *ptr)
{
	pfree(ptr);
}

static void
slot_free(GraphSlot *s)
{
	if (s->cxt)
		MemoryContextDelete(s->cxt);
	memset(s, 0, sizeof(GraphSlot));
}

/*
 * Memory for the rows of ims.impacted and ims.dependencies.  Their
 * tuplestores allocate here instead of in the query's memory: the executor
 * frees every row (tuplestore_end), and the freed chunks serve the next
 * call, so a large closure does not fault tens of megabytes of fresh pages
 * into the process and unmap them again on every call (a fifth of the CPU
 * time of a 300,000-row closure).  At the end of a transaction no tuplestore
 * is left (holdable cursors copy their rows before commit); after an abort,
 * or when the kept memory exceeds the cached graphs' own, it is released.
 */
static MemoryContext result_cxt = NULL;

static MemoryContext
result_context(void)
{
	if (result_cxt == NULL)
		result_cxt = AllocSetContextCreate(TopMemoryContext, "ims graph results", ALLOCSET_DEFAULT_SIZES);
	return result_cxt;
}

/* Transaction end: graphs that saw this transaction's own changes go. */
static void
graph_xact_callback(XactEvent event, void *arg)
{
	int			i;
	Size		keep = (Size) work_mem * 1024;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].used && !slots[i].key.own && slots[i].cxt)
			keep = Max(keep, MemoryContextMemAllocated(slots[i].cxt, true));
	if (result_cxt != NULL &&
		(event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		 MemoryContextMemAllocated(result_cxt, true) > keep))
		MemoryContextReset(result_cxt);
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].used && slots[i].key.own)
			slot_free(&slots[i]);
		else if (!slots[i].used && slots[i].cxt)
			slot_free(&slots[i]);
}

void
ims_graph_init(void)
{
	ims_graph_interrupt_hook = graph_check_interrupts;
	RegisterXactCallback(graph_xact_callback, NULL);
	CacheRegisterSyscacheCallback(AUTHMEMMEMROLE, graph_roles_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, graph_roles_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, graph_roles_changed, (Datum) 0);
	CacheRegisterRelcacheCallback(graph_rel_changed, (Datum) 0);
}

/* Does cached slot s (built for key a) serve key b? */
static bool
key_equal(const GraphKey *a, const GraphKey *b, const GraphSlot *s)
{
	if (a->relid != b->relid || a->userid != b->userid || a->vxmin != b->vxmin || a->own != b->own ||
		a->has_as_of != b->has_as_of)
		return false;
	/* ims.current_tenants() looks at the SET ROLE role (doc/security.md) */
	if (a->outer_userid != b->outer_userid || a->roles_epoch != b->roles_epoch || a->policies != b->policies)
		return false;
	if (a->own && (a->topxid != b->topxid || a->curcid != b->curcid))
		return false;
	/* an as_of graph serves every as_of of its stretch of unchanged history */
	if (a->has_as_of && (b->as_of < s->epoch_lo || b->as_of >= s->epoch_hi))
		return false;
	return true;
}

/* The key for what the active snapshot sees (SPI connected). */
static void
current_key(GraphKey *key, bool has_as_of, TimestampTz as_of)
{
	bool		isnull;
	Datum		d;

	if (version_plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("SELECT v.xmin, v.tableoid FROM ims.graph_version v", 0, NULL);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		version_plan = p;
	}
	if (SPI_execute_plan(version_plan, NULL, NULL, true, 2) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ims.graph_version must hold exactly one row"),
				 errhint("Reinstall the extension or insert the row: INSERT INTO ims.graph_version VALUES (true).")));
	memset(key, 0, sizeof(GraphKey));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	key->vxmin = DatumGetTransactionId(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	key->relid = DatumGetObjectId(d);
	SPI_freetuptable(SPI_tuptable);
	key->userid = GetUserId();
	key->own = TransactionIdIsCurrentTransactionId(key->vxmin);
	if (key->own)
	{
		key->topxid = GetTopTransactionIdIfAny();
		key->curcid = ActiveSnapshotSet() ? GetActiveSnapshot()->curcid : GetCurrentCommandId(false);
	}
	key->has_as_of = has_as_of;
	key->as_of = has_as_of ? as_of : 0;
	key->outer_userid = GetOuterUserId();
	key->roles_epoch = roles_epoch;
}

/* growable arrays for the build */
typedef struct NodeBuf
{
	int64	   *ids;
	int32	   *min_up;
	uint8	   *down;
	uint8	   *service;
	int64		n,
				cap;
	/* business services and their names (first row of an id only) */
	int64	   *svc_ids;
	uint32	   *svc_off;
	int64		nsvc,
				svc_cap;
	StringInfoData pool;
} NodeBuf;

typedef struct EdgeBuf
{
	int64	   *src;
	int64	   *dst;
	uint16	   *type;
	int64		m,
				cap;
} EdgeBuf;

static int
type_index(GraphSlot *s, text *t, int *last)
{
	const char *p = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i;

	if (*last >= 0 && strncmp(s->type_names[*last], p, len) == 0 && s->type_names[*last][len] == '\0')
		return *last;
	for (i = 0; i < s->ntypes; i++)
		if (strncmp(s->type_names[i], p, len) == 0 && s->type_names[i][len] == '\0')
		{
			*last = i;
			return i;
		}
	return -1;
}

static Portal
open_cursor(const char *sql, bool has_as_of, TimestampTz as_of)
{
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1] = {TimestampTzGetDatum(as_of)};
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, has_as_of ? 1 : 0, argtypes, CURSOR_OPT_NO_SCROLL);
	Portal		portal;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, has_as_of ? values : NULL, NULL, true);
	return portal;
}

/*
 * The stretch of time around as_of in which the CMDB history does not change:
 * from the last change at or before as_of to the first one after it.  Every
 * as_of in [lo, hi) sees the same rows of ims.ci, ims.ci_relation,
 * ims.relation_type and their histories (a row is valid at t when valid_from
 * <= t, a history row when lower(valid) <= t < upper(valid)), so the graph
 * built for one serves them all; a change to any of those tables touches
 * ims.graph_version, which is part of the cache key.  One pass over each
 * table, like the build's own (no index to keep up on every CMDB write: the
 * build reads every row anyway).  SPI connected.
 */
static void
as_of_epoch(TimestampTz as_of, TimestampTz *lo, TimestampTz *hi)
{
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1] = {TimestampTzGetDatum(as_of)};
	bool		isnull;
	Datum		d;

#define LE(x) "pg_catalog.max(" x ") FILTER (WHERE " x " OPERATOR(pg_catalog.<=) $1)"
#define GT(x) "pg_catalog.min(" x ") FILTER (WHERE " x " OPERATOR(pg_catalog.>) $1)"
#define CURRENT(tab, alias) "(SELECT " LE("valid_from") " AS lo, " GT("valid_from") " AS hi FROM " tab ") " alias
#define HISTORY(tab, alias) \
	"(SELECT GREATEST(" LE("pg_catalog.lower(valid)") ", " LE("pg_catalog.upper(valid)") ") AS lo," \
	" LEAST(" GT("pg_catalog.lower(valid)") ", " GT("pg_catalog.upper(valid)") ") AS hi FROM " tab ") " alias
	if (SPI_execute_with_args("SELECT GREATEST(c.lo, ch.lo, r.lo, rh.lo, t.lo, th.lo),"
							  " LEAST(c.hi, ch.hi, r.hi, rh.hi, t.hi, th.hi) FROM "
							  CURRENT("ims.ci", "c") ", " HISTORY("ims.ci_history", "ch") ", "
							  CURRENT("ims.ci_relation", "r") ", " HISTORY("ims.ci_relation_history", "rh") ", "
							  CURRENT("ims.relation_type", "t") ", " HISTORY("ims.relation_type_history", "th"),
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the CMDB history bounds failed");
#undef LE
#undef GT
#undef CURRENT
#undef HISTORY
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*lo = isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	*hi = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	SPI_freetuptable(SPI_tuptable);
	/* as_of itself is always inside (defensive: bounds only ever narrow) */
	if (*lo > as_of)
		*lo = as_of;
	if (*hi <= as_of)
		*hi = as_of + 1;
}

/* Read the graph the snapshot sees (or as of key->as_of) into slot s (SPI connected). */
static void
build_slot(GraphSlot *s, const GraphKey *key)
{
	MemoryContext cxt,
				tmp,
				old;
	NodeBuf		nb = {0};
	EdgeBuf		eb = {0};
	Portal		portal;
	instr_time	t0,
				t1;
	int			last = -1;
	uint64		i;

	INSTR_TIME_SET_CURRENT(t0);
	cxt = AllocSetContextCreate(TopTransactionContext, "ims graph cache", ALLOCSET_DEFAULT_SIZES);
	tmp = AllocSetContextCreate(cxt, "ims graph build", ALLOCSET_DEFAULT_SIZES);

	/* relation types (as_of: the versions valid then, from the history too) */
	if (key->has_as_of)
	{
		Oid			argtypes[1] = {TIMESTAMPTZOID};
		Datum		values[1] = {TimestampTzGetDatum(key->as_of)};

		if (SPI_execute_with_args("SELECT t.name, t.propagates_impact FROM ("
								  " SELECT name, propagates_impact FROM ims.relation_type"
								  "  WHERE valid_from OPERATOR(pg_catalog.<=) $1"
								  " UNION ALL SELECT name, propagates_impact FROM ims.relation_type_history"
								  "  WHERE valid OPERATOR(pg_catalog.@>) $1) t"
								  " ORDER BY t.name COLLATE \"C\"",
								  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading ims.relation_type failed");
	}
	else if (SPI_execute("SELECT name, propagates_impact FROM ims.relation_type ORDER BY name COLLATE \"C\"",
						 true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading ims.relation_type failed");
	s->ntypes = (int) SPI_processed;
	if (s->ntypes > 65535)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many relation types: %d", s->ntypes),
				 errdetail("The traversal supports at most 65535 relation types.")));
	s->type_names = MemoryContextAllocZero(cxt, sizeof(char *) * (s->ntypes + 1));
	s->propagates = MemoryContextAllocZero(cxt, s->ntypes + 1);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		s->type_names[i] = MemoryContextStrdup(cxt, TextDatumGetCString(d));
		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		s->propagates[i] = !isnull && DatumGetBool(d);
	}
	SPI_freetuptable(SPI_tuptable);

	/* CIs */
	nb.cap = 1024;
	nb.ids = MemoryContextAllocHuge(tmp, sizeof(int64) * nb.cap);
	nb.min_up = MemoryContextAllocHuge(tmp, sizeof(int32) * nb.cap);
	nb.down = MemoryContextAllocHuge(tmp, nb.cap);
	nb.service = MemoryContextAllocHuge(tmp, nb.cap);
	nb.svc_cap = 256;
	nb.svc_ids = MemoryContextAllocHuge(tmp, sizeof(int64) * nb.svc_cap);
	nb.svc_off = MemoryContextAllocHuge(tmp, sizeof(uint32) * nb.svc_cap);
	old = MemoryContextSwitchTo(tmp);
	initStringInfo(&nb.pool);
	MemoryContextSwitchTo(old);

	/*
	 * The fourth column flags business services: class business_service or
	 * any class below it in the current ims.ci_class (changes to ims.ci_class
	 * and to ims.ci.class touch ims.graph_version, so the flag follows them).
	 * The fifth is the name of a business service (changes to ims.ci.name
	 * touch ims.graph_version too), for the impact rows of a change.
	 */
#define SERVICE_CLASSES \
	"WITH RECURSIVE svc(name) AS (SELECT 'business_service'::text UNION" \
	" SELECT k.name FROM ims.ci_class k JOIN svc ON k.parent OPERATOR(pg_catalog.=) svc.name)," \
	" sc AS (SELECT pg_catalog.array_agg(svc.name) AS names FROM svc) "
	portal = open_cursor(key->has_as_of
						 ? SERVICE_CLASSES
						 "SELECT c.id, c.min_up, c.status OPERATOR(pg_catalog.=) 'down',"
						 "       c.class OPERATOR(pg_catalog.=) ANY (sc.names),"
						 "       CASE WHEN c.class OPERATOR(pg_catalog.=) ANY (sc.names) THEN c.name END"
						 "  FROM ims.ci c, sc"
						 "  WHERE c.valid_from OPERATOR(pg_catalog.<=) $1"
						 " UNION ALL SELECT h.ci_id, h.min_up, h.status OPERATOR(pg_catalog.=) 'down',"
						 "       h.class OPERATOR(pg_catalog.=) ANY (sc.names),"
						 "       CASE WHEN h.class OPERATOR(pg_catalog.=) ANY (sc.names) THEN h.name END"
						 "  FROM ims.ci_history h, sc"
						 "  WHERE h.valid OPERATOR(pg_catalog.@>) $1 ORDER BY 1"
						 : SERVICE_CLASSES
						 "SELECT c.id, c.min_up, c.status OPERATOR(pg_catalog.=) 'down',"
						 "       c.class OPERATOR(pg_catalog.=) ANY (sc.names),"
						 "       CASE WHEN c.class OPERATOR(pg_catalog.=) ANY (sc.names) THEN c.name END"
						 "  FROM ims.ci c, sc ORDER BY c.id",
						 key->has_as_of, key->as_of);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 20000);
		if (SPI_processed == 0)
			break;
		CHECK_FOR_INTERRUPTS();
		if (nb.n + (int64) SPI_processed > nb.cap)
		{
			while (nb.n + (int64) SPI_processed > nb.cap)
				nb.cap *= 2;
			nb.ids = repalloc_huge(nb.ids, sizeof(int64) * nb.cap);
			nb.min_up = repalloc_huge(nb.min_up, sizeof(int32) * nb.cap);
			nb.down = repalloc_huge(nb.down, nb.cap);
			nb.service = repalloc_huge(nb.service, nb.cap);
		}
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			Datum		d;

			d = SPI_getbinval(tup, td, 1, &isnull);
			nb.ids[nb.n] = DatumGetInt64(d);
			d = SPI_getbinval(tup, td, 2, &isnull);
			nb.min_up[nb.n] = isnull ? 0 : DatumGetInt32(d);
			d = SPI_getbinval(tup, td, 3, &isnull);
			nb.down[nb.n] = !isnull && DatumGetBool(d);
			d = SPI_getbinval(tup, td, 4, &isnull);
			nb.service[nb.n] = !isnull && DatumGetBool(d);
			d = SPI_getbinval(tup, td, 5, &isnull);
			/* rows come by id: a duplicate id (as_of) keeps its first row */
			if (!isnull && nb.service[nb.n] && (nb.n == 0 || nb.ids[nb.n - 1] != nb.ids[nb.n]))
			{
				text	   *t = DatumGetTextPP(d);

				if (nb.nsvc >= nb.svc_cap)
				{
					nb.svc_cap *= 2;
					nb.svc_ids = repalloc_huge(nb.svc_ids, sizeof(int64) * nb.svc_cap);
					nb.svc_off = repalloc_huge(nb.svc_off, sizeof(uint32) * nb.svc_cap);
				}
				if ((Size) nb.pool.len + VARSIZE_ANY_EXHDR(t) + 1 >= (Size) PG_UINT32_MAX)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("the names of the business services exceed 4 GB")));
				nb.svc_ids[nb.nsvc] = nb.ids[nb.n];
				nb.svc_off[nb.nsvc] = (uint32) nb.pool.len;
				old = MemoryContextSwitchTo(tmp);
				appendBinaryStringInfo(&nb.pool, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				appendStringInfoChar(&nb.pool, '\0');
				MemoryContextSwitchTo(old);
				nb.nsvc++;
			}
			nb.n++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);

	/* relations */
	eb.cap = 4096;
	eb.src = MemoryContextAllocHuge(tmp, sizeof(int64) * eb.cap);
	eb.dst = MemoryContextAllocHuge(tmp, sizeof(int64) * eb.cap);
	eb.type = MemoryContextAllocHuge(tmp, sizeof(uint16) * eb.cap);
	portal = open_cursor(key->has_as_of
						 ? "SELECT source_id, target_id, type FROM ims.ci_relation"
						 "  WHERE valid_from OPERATOR(pg_catalog.<=) $1"
						 " UNION ALL SELECT source_id, target_id, type FROM ims.ci_relation_history"
						 "  WHERE valid OPERATOR(pg_catalog.@>) $1"
						 : "SELECT source_id, target_id, type FROM ims.ci_relation",
						 key->has_as_of, key->as_of);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 50000);
		if (SPI_processed == 0)
			break;
		CHECK_FOR_INTERRUPTS();
		if (eb.m + (int64) SPI_processed > eb.cap)
		{
			while (eb.m + (int64) SPI_processed > eb.cap)
				eb.cap *= 2;
			eb.src = repalloc_huge(eb.src, sizeof(int64) * eb.cap);
			eb.dst = repalloc_huge(eb.dst, sizeof(int64) * eb.cap);
			eb.type = repalloc_huge(eb.type, sizeof(uint16) * eb.cap);
		}
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			Datum		d;
			int			ti;

			d = SPI_getbinval(tup, td, 3, &isnull);
			ti = type_index(s, DatumGetTextPP(d), &last);
			if (ti < 0)
				continue;		/* as_of: a type that did not exist then */
			eb.type[eb.m] = (uint16) ti;
			d = SPI_getbinval(tup, td, 1, &isnull);
			eb.src[eb.m] = DatumGetInt64(d);
			d = SPI_getbinval(tup, td, 2, &isnull);
			eb.dst[eb.m] = DatumGetInt64(d);
			eb.m++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);

	old = MemoryContextSwitchTo(cxt);
	s->g = ims_graph_build(graph_alloc, graph_release, cxt,
						   nb.n, nb.ids, nb.min_up, nb.down,
						   eb.m, eb.src, eb.dst, eb.type, s->ntypes);
	MemoryContextSwitchTo(old);
	if (s->g == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the CMDB graph is too large: %lld CIs, %lld relations",
						(long long) nb.n, (long long) eb.m),
				 errdetail("The traversal supports up to 2^31 CIs and 2^32 relations.")));

	/* service flags by node; backwards, so a duplicate id keeps its first row */
	s->service = MemoryContextAllocExtended(cxt, (Size) s->g->n + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = nb.n; i > 0; i--)
	{
		int32		v = ims_graph_node(s->g, nb.ids[i - 1]);

		if (v >= 0)
			s->service[v] = nb.service[i - 1];
	}
	/* the names of the business services, by node (= id) */
	s->svc_node = MemoryContextAllocExtended(cxt, sizeof(int32) * ((Size) nb.nsvc + 1), MCXT_ALLOC_HUGE);
	s->svc_name = MemoryContextAllocExtended(cxt, sizeof(uint32) * ((Size) nb.nsvc + 1), MCXT_ALLOC_HUGE);
	s->svc_pool = MemoryContextAllocExtended(cxt, (Size) nb.pool.len + 1, MCXT_ALLOC_HUGE);
	memcpy(s->svc_pool, nb.pool.data, nb.pool.len);
	s->nsvc = 0;
	for (i = 0; i < (uint64) nb.nsvc; i++)
	{
		int32		v = ims_graph_node(s->g, nb.svc_ids[i]);

		if (v >= 0 && s->service[v])
		{
			s->svc_node[s->nsvc] = v;
			s->svc_name[s->nsvc] = nb.svc_off[i];
			s->nsvc++;
		}
	}
	MemoryContextDelete(tmp);
	if (key->has_as_of)
		as_of_epoch(key->as_of, &s->epoch_lo, &s->epoch_hi);

	/* success: keep it beyond this transaction */
	MemoryContextSetParent(cxt, TopMemoryContext);
	s->cxt = cxt;
	s->key = *key;
	s->used = true;
	s->hits = 0;
	s->built_at = GetCurrentTimestamp();
	INSTR_TIME_SET_CURRENT(t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	s->build_ms = INSTR_TIME_GET_MILLISEC(t1);
	graph_builds++;
}

static const char *const cmdb_tables[CMDB_TABLES] = {"ci", "ci_relation", "relation_type", "ci_class",
"ci_history", "ci_relation_history", "relation_type_history"};

#define CMDB_CURRENT_TABLES 4	/* the first four; the rest are read for as_of */

/*
 * The caller must still be allowed to read what the graph was built from: a
 * cached graph would otherwise keep answering after REVOKE SELECT on a CMDB
 * table (the build itself reads through SPI with the caller's rights and
 * fails the same way).  Also notes the tables' oids for graph_rel_changed.
 */
static void
graph_check_access(Oid version_relid, bool has_as_of)
{
	Oid			nsp = get_rel_namespace(version_relid);

	for (int i = 0; i < CMDB_TABLES; i++)
	{
		Oid			relid = get_relname_relid(cmdb_tables[i], nsp);

		if (relid != cmdb_relids[i])
		{
			cmdb_relids[i] = relid;
			cmdb_invals++;		/* another table (a re-created extension) */
		}
		if (OidIsValid(relid) && (i < CMDB_CURRENT_TABLES || has_as_of) &&
			pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, cmdb_tables[i]);
	}
}

/*
 * The hash of the CMDB tables' row-level security, for the cache key: kept
 * until a relcache invalidation of one of the tables, then read again.
 */
static uint64
cmdb_policies(void)
{
	uint64		invals = cmdb_invals;	/* one arriving while we read: read again next time */
	uint64		h = 0;

	if (cmdb_policies_at == invals)
		return cmdb_policies_hash;
	for (int i = 0; i < CMDB_TABLES; i++)
	{
		Relation	rel;

		if (!OidIsValid(cmdb_relids[i]))
			continue;
		rel = table_open(cmdb_relids[i], AccessShareLock);
		h = hash_combine64(h, policies_hash(rel));
		table_close(rel, AccessShareLock);
	}
	cmdb_policies_hash = h;
	cmdb_policies_at = invals;
	return h;
}

/* The graph for the active snapshot (or as_of), from the cache or built now. */
static GraphSlot *
graph_get(bool has_as_of, TimestampTz as_of)
{
	GraphKey	key;
	GraphSlot  *s;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	current_key(&key, has_as_of, as_of);
	graph_check_access(key.relid, has_as_of);
	key.policies = cmdb_policies();
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].used && key_equal(&slots[i].key, &key, &slots[i]))
		{
			slots[i].hits++;
			SPI_finish();
			return &slots[i];
		}
	s = &slots[has_as_of ? 2 : (key.own ? 1 : 0)];
	slot_free(s);
	build_slot(s, &key);
	SPI_finish();
	return s;
}

/* ---------------------------------------------------------------------- */
/* arguments and results */

typedef struct TraversalArgs
{
	GraphSlot  *slot;
	int32	   *starts;
	int32		nstarts;
	int32		max_depth;		/* -1: unlimited */
	uint8	   *type_ok;
	bool		has_as_of;
	TimestampTz as_of;
} TraversalArgs;

static int32
arg_max_depth(FunctionCallInfo fcinfo, int argno)
{
	int32		d;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return -1;
	d = PG_GETARG_INT32(argno);
	if (d < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_depth must not be negative: %d", d),
				 errhint("Pass NULL for no depth limit.")));
	return d;
}

static void
arg_as_of(FunctionCallInfo fcinfo, int argno, TraversalArgs *a)
{
	a->has_as_of = PG_NARGS() > argno && !PG_ARGISNULL(argno);
	a->as_of = a->has_as_of ? PG_GETARG_TIMESTAMPTZ(argno) : 0;
	if (a->has_as_of && TIMESTAMP_NOT_FINITE(a->as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
}

/*
 * Which relation types to follow: rel_types (NULL: all; NULL elements are
 * ignored; an unknown name is an error), and for impact searches only those
 * that propagate impact.
 */
static uint8 *
arg_types(FunctionCallInfo fcinfo, int argno, GraphSlot *s, bool propagating_only)
{
	uint8	   *ok = palloc0(s->ntypes + 1);
	int			i;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		memset(ok, 1, s->ntypes + 1);
	else
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
		for (i = 0; i < nelems; i++)
		{
			int			last = -1,
						ti;

			if (nulls[i])
				continue;
			ti = type_index(s, DatumGetTextPP(elems[i]), &last);
			if (ti < 0 && s->key.has_as_of)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("relation type \"%s\" did not exist at %s", TextDatumGetCString(elems[i]),
								timestamptz_to_str(s->key.as_of)),
						 errhint("as_of answers with the relation types of that moment (ims.relation_type and ims.relation_type_history).")));
			if (ti < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("relation type \"%s\" does not exist", TextDatumGetCString(elems[i])),
						 errhint("Relation types are the rows of ims.relation_type.")));
			ok[ti] = 1;
		}
	}
	if (propagating_only)
		for (i = 0; i < s->ntypes; i++)
			ok[i] = ok[i] && s->propagates[i];
	return ok;
}

static int32
node_of(TraversalArgs *a, int64 id)
{
	int32		v = ims_graph_node(a->slot->g, id);

	if (v < 0)
	{
		if (a->has_as_of)
			ereport(ERROR,
					(errcode(ERRCODE_IMS_UNKNOWN_CI),
					 errmsg("ci %lld did not exist at %s", (long long) id, timestamptz_to_str(a->as_of)),
					 errhint("as_of answers with the CIs of that moment (ims.ci and ims.ci_history).")));
		ereport(ERROR,
				(errcode(ERRCODE_IMS_UNKNOWN_CI),
				 errmsg("ci %lld does not exist", (long long) id),
				 errhint("CI ids are ims.ci.id values visible to the current snapshot.")));
	}
	return v;
}

/* CI ids to node numbers; NULL elements are skipped, unknown ids are an error. */
static void
arg_starts(FunctionCallInfo fcinfo, int argno, TraversalArgs *a)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems,
				i;

	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	a->starts = palloc(sizeof(int32) * (nelems + 1));
	a->nstarts = 0;
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			a->starts[a->nstarts++] = node_of(a, DatumGetInt64(elems[i]));
}

static void
srf_check(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
}

/*
 * The result tuplestore.  It keeps work_mem in memory, or more when the
 * caller knows the result (rows of about row_bytes each) and it fits in
 * mem_cap bytes: a closure no larger than the cached graph (which the
 * backend holds anyway) is not written to a temporary file.
 */
static Tuplestorestate *
srf_init_sized(FunctionCallInfo fcinfo, TupleDesc *desc, double rows, double row_bytes, double mem_cap,
			   bool kept_memory)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	td;
	Tuplestorestate *ts;
	int			kbytes = work_mem;
	double		need = rows * row_bytes;

	srf_check(fcinfo);
	if (need > (double) work_mem * 1024.0 && need <= mem_cap)
		kbytes = (int) Min(need / 1024.0 + 64.0, (double) (MAX_KILOBYTES / 2));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	td = CreateTupleDescCopy(td);
	if (kept_memory)
		MemoryContextSwitchTo(result_context());
	ts = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0, false, kbytes);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = td;
	MemoryContextSwitchTo(old);
	*desc = td;
	return ts;
}

static Tuplestorestate *
srf_init(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	return srf_init_sized(fcinfo, desc, 0, 0, 0, false);
}

/*
 * Memory a (ci_id bigint, depth int, via bigint) row takes in a tuplestore:
 * a 40-byte minimal tuple in a 64-byte chunk with its 16-byte header, and
 * its slot in the tuple array (grown by doubling).
 */
#define CLOSURE_ROW_BYTES 96.0

/*
 * Emit closure rows for nodes[0..n).  The ids of the via nodes are looked
 * up first, in a loop of independent loads the CPU overlaps (one at a time
 * between tuplestore calls, each is a cache miss on a large graph).
 */
#define EMIT_CHUNK 1024

static void
closure_emit(Tuplestorestate *ts, TupleDesc td, const ImsGraph *g, const int32 *nodes, int n)
{
	int64		via_id[EMIT_CHUNK];
	int			j;

	for (j = 0; j < n; j++)
	{
		int32		via = g->visit[nodes[j]].via;

		via_id[j] = via < 0 ? 0 : g->ids[via];
	}
	for (j = 0; j < n; j++)
	{
		int32		v = nodes[j];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(g->ids[v]);
		values[1] = Int32GetDatum(g->visit[v].dist);
		values[2] = Int64GetDatum(via_id[j]);
		nulls[2] = g->visit[v].via < 0;
		tuplestore_putvalues(ts, td, values, nulls);
	}
	CHECK_FOR_INTERRUPTS();
}

/* ci_ids, max_depth, rel_types, as_of → (ci_id, depth, via) */
static Datum
closure(FunctionCallInfo fcinfo, bool impact)
{
	TraversalArgs a = {0};
	TupleDesc	td;
	Tuplestorestate *ts;
	ImsGraph   *g;
	int32		count,
				i;
	int32		nodes[EMIT_CHUNK];
	int			nn = 0;

	srf_check(fcinfo);
	if (PG_ARGISNULL(0))
	{
		srf_init(fcinfo, &td);
		return (Datum) 0;
	}
	a.max_depth = arg_max_depth(fcinfo, 1);
	arg_as_of(fcinfo, 3, &a);
	a.slot = graph_get(a.has_as_of, a.as_of);
	a.type_ok = arg_types(fcinfo, 2, a.slot, impact);
	arg_starts(fcinfo, 0, &a);
	g = a.slot->g;
	count = impact ? ims_graph_impacted(g, a.starts, a.nstarts, a.max_depth, a.type_ok)
		: ims_graph_dependencies(g, a.starts, a.nstarts, a.max_depth, a.type_ok);
	ts = srf_init_sized(fcinfo, &td, count, CLOSURE_ROW_BYTES, (double) g->bytes, true);
	if ((int64) count * 16 >= g->n)
	{
		/*
		 * A large share of the graph: walk the visited bitmap, so the CI
		 * arrays are read in order (rows come in id order).
		 */
		int32		words = (g->n + 63) / 64,
					wi;

		for (wi = 0; wi < words; wi++)
		{
			uint64		bits = g->seen[wi];

			while (bits)
			{
				nodes[nn++] = wi * 64 + pg_rightmost_one_pos64(bits);
				bits &= bits - 1;
				if (nn == EMIT_CHUNK)
				{
					closure_emit(ts, td, g, nodes, nn);
					nn = 0;
				}
			}
		}
		closure_emit(ts, td, g, nodes, nn);
	}
	else
		for (i = 0; i < count; i += EMIT_CHUNK)
			closure_emit(ts, td, g, g->queue + i, Min(EMIT_CHUNK, count - i));
	return (Datum) 0;
}

/* ims.impacted(ci_ids bigint[], max_depth int, rel_types text[], as_of timestamptz) */
IMS_FUNCTION(ims_impacted);
Datum
ims_impacted(PG_FUNCTION_ARGS)
{
	return closure(fcinfo, true);
}

/* ims.dependencies(ci_ids bigint[], max_depth int, rel_types text[], as_of timestamptz) */
IMS_FUNCTION(ims_dependencies);
Datum
ims_dependencies(PG_FUNCTION_ARGS)
{
	return closure(fcinfo, false);
}

/* ims.graph_cache_info() → one row per cached graph of this backend */
IMS_FUNCTION(ims_graph_cache_info);
Datum
ims_graph_cache_info(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	static const char *const names[NSLOTS] = {"current", "own_transaction", "as_of"};
	int			i;

	for (i = 0; i < NSLOTS; i++)
	{
		GraphSlot  *s = &slots[i];
		Datum		values[11];
		bool		nulls[11] = {0};
		int64		bytes;

		if (!s->used)
			continue;
		bytes = (int64) MemoryContextMemAllocated(s->cxt, true);
		values[0] = CStringGetTextDatum(names[i]);
		values[1] = Int64GetDatum(s->g->n);
		values[2] = Int64GetDatum(s->g->m);
		values[3] = Int32GetDatum(s->ntypes);
		values[4] = Int64GetDatum(bytes);
		values[5] = Float8GetDatum(s->g->m > 0 ? (double) bytes / s->g->m : 0.0);
		values[6] = Float8GetDatum(s->g->m > 0 ? (double) s->g->edge_bytes / s->g->m : 0.0);
		values[7] = TimestampTzGetDatum(s->built_at);
		values[8] = Float8GetDatum(s->build_ms);
		values[9] = Int64GetDatum((int64) s->hits);
		if (s->key.has_as_of)
			values[10] = TimestampTzGetDatum(s->key.as_of);
		else
			nulls[10] = true;
		tuplestore_putvalues(ts, td, values, nulls);
	}
	return (Datum) 0;
}

/* ims.graph_cache_reset() → the number of cached graphs dropped */
IMS_FUNCTION(ims_graph_cache_reset);
Datum
ims_graph_cache_reset(PG_FUNCTION_ARGS)
{
	int			i,
				n = 0;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i].used)
		{
			slot_free(&slots[i]);
			n++;
		}
	PG_RETURN_INT32(n);
}

/*
 * ims.dependency_path(from_ci bigint, to_ci bigint, max_depth int,
 * rel_types text[], as_of timestamptz) → TABLE(step int, ci_id bigint, relation text)
 */
IMS_FUNCTION(ims_dependency_path);
Datum
ims_dependency_path(PG_FUNCTION_ARGS)
{
	TraversalArgs a = {0};
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	int32		from,
				to,
				len,
				i;
	int32	   *path;
	uint16	   *types;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	a.max_depth = arg_max_depth(fcinfo, 2);
	arg_as_of(fcinfo, 4, &a);
	a.slot = graph_get(a.has_as_of, a.as_of);
	a.type_ok = arg_types(fcinfo, 3, a.slot, false);
	from = node_of(&a, PG_GETARG_INT64(0));
	to = node_of(&a, PG_GETARG_INT64(1));
	path = palloc(sizeof(int32) * ((Size) a.slot->g->n + 1));
	types = palloc(sizeof(uint16) * ((Size) a.slot->g->n + 1));
	len = ims_graph_path(a.slot->g, from, to, a.max_depth, a.type_ok, path, types);
	for (i = 0; i < len; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int32GetDatum(i);
		values[1] = Int64GetDatum(a.slot->g->ids[path[i]]);
		if (i == 0)
		{
			values[2] = (Datum) 0;
			nulls[2] = true;
		}
		else
			values[2] = CStringGetTextDatum(a.slot->type_names[types[i]]);
		tuplestore_putvalues(ts, td, values, nulls);
	}
	return (Datum) 0;
}

/* ims.dependency_cycles(rel_types text[], as_of timestamptz) → TABLE(cycle int, ci_id bigint) */
IMS_FUNCTION(ims_dependency_cycles);
Datum
ims_dependency_cycles(PG_FUNCTION_ARGS)
{
	TraversalArgs a = {0};
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	int32	   *comp;
	int32		ncomp,
				c,
				v;
	MemoryContext scratch;

	arg_as_of(fcinfo, 1, &a);
	a.slot = graph_get(a.has_as_of, a.as_of);
	a.type_ok = arg_types(fcinfo, 0, a.slot, false);
	comp = palloc_extended(sizeof(int32) * ((Size) a.slot->g->n + 1), MCXT_ALLOC_HUGE);
	scratch = AllocSetContextCreate(CurrentMemoryContext, "ims graph cycles", ALLOCSET_DEFAULT_SIZES);
	ncomp = ims_graph_cycles(a.slot->g, a.type_ok, comp, graph_alloc, scratch);
	MemoryContextDelete(scratch);
	if (ncomp == 0)
		return (Datum) 0;
	{
		/* bucket nodes by component: counting sort keeps node (= id) order inside */
		int32	   *start = palloc0(sizeof(int32) * ((Size) ncomp + 2));
		int32	   *order;
		int32		total = 0;

		for (v = 0; v < a.slot->g->n; v++)
			if (comp[v] > 0)
			{
				start[comp[v] + 1]++;
				total++;
			}
		for (c = 1; c <= ncomp; c++)
			start[c + 1] += start[c];
		order = palloc(sizeof(int32) * ((Size) total + 1));
		for (v = 0; v < a.slot->g->n; v++)
			if (comp[v] > 0)
				order[start[comp[v]]++] = v;
		for (v = 0; v < total; v++)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};

			values[0] = Int32GetDatum(comp[order[v]]);
			values[1] = Int64GetDatum(a.slot->g->ids[order[v]]);
			tuplestore_putvalues(ts, td, values, nulls);
			if ((v & 4095) == 4095)
				CHECK_FOR_INTERRUPTS();
		}
	}
	return (Datum) 0;
}

/*
 * ims.common_dependencies(ci_ids bigint[], max_depth int, rel_types text[],
 * as_of timestamptz, min_covers int) → TABLE(ci_id bigint, covers int, depth int)
 */
IMS_FUNCTION(ims_common_dependencies);
Datum
ims_common_dependencies(PG_FUNCTION_ARGS)
{
	TraversalArgs a = {0};
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	int32		min_covers = 2,
				count,
				i;
	int32	   *out,
			   *cover,
			   *depth;
	MemoryContext scratch;

	if (PG_ARGISNULL(0))
		return (Datum) 0;
	a.max_depth = arg_max_depth(fcinfo, 1);
	arg_as_of(fcinfo, 3, &a);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		min_covers = PG_GETARG_INT32(4);
		if (min_covers < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("min_covers must be at least 1: %d", min_covers)));
	}
	a.slot = graph_get(a.has_as_of, a.as_of);
	a.type_ok = arg_types(fcinfo, 2, a.slot, true);
	arg_starts(fcinfo, 0, &a);
	out = palloc_extended(sizeof(int32) * ((Size) a.slot->g->n + 1), MCXT_ALLOC_HUGE);
	cover = palloc_extended(sizeof(int32) * ((Size) a.slot->g->n + 1), MCXT_ALLOC_HUGE);
	depth = palloc_extended(sizeof(int32) * ((Size) a.slot->g->n + 1), MCXT_ALLOC_HUGE);
	scratch = AllocSetContextCreate(CurrentMemoryContext, "ims graph common", ALLOCSET_DEFAULT_SIZES);
	count = ims_graph_common(a.slot->g, a.starts, a.nstarts, a.max_depth, a.type_ok, min_covers,
							 out, cover, depth, graph_alloc, scratch);
	MemoryContextDelete(scratch);
	for (i = 0; i < count; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(a.slot->g->ids[out[i]]);
		values[1] = Int32GetDatum(cover[i]);
		values[2] = Int32GetDatum(depth[i]);
		tuplestore_putvalues(ts, td, values, nulls);
	}
	return (Datum) 0;
}

typedef struct ServiceHit
{
	int32		depth;
	int32		node;			/* node order is id order */
} ServiceHit;

static int
service_hit_cmp(const void *a, const void *b)
{
	const ServiceHit *x = a,
			   *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node ? 1 : 0);
}

/* the name of business service v (the graph read it with the flag) */
static const char *
service_name(const GraphSlot *s, int32 v)
{
	int32		lo = 0,
				hi = s->nsvc - 1;

	while (lo <= hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (s->svc_node[mid] == v)
			return s->svc_pool + s->svc_name[mid];
		if (s->svc_node[mid] < v)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* impacted business services, by depth then id; with_names adds the name */
static Datum
impacted_services(FunctionCallInfo fcinfo, bool with_names)
{
	TraversalArgs a = {0};
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	ImsGraph   *g;
	ServiceHit *hits;
	int32		count,
				nhits = 0,
				i;

	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (with_names)
		a.max_depth = -1;
	else
	{
		a.max_depth = arg_max_depth(fcinfo, 1);
		arg_as_of(fcinfo, 3, &a);
	}
	a.slot = graph_get(a.has_as_of, a.as_of);
	a.type_ok = with_names ? arg_types(fcinfo, 99, a.slot, true) : arg_types(fcinfo, 2, a.slot, true);
	arg_starts(fcinfo, 0, &a);
	g = a.slot->g;
	count = ims_graph_impacted(g, a.starts, a.nstarts, a.max_depth, a.type_ok);
	hits = palloc_extended(sizeof(ServiceHit) * ((Size) count + 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < count; i++)
	{
		int32		v = g->queue[i];

		if (a.slot->service[v])
		{
			hits[nhits].depth = g->visit[v].dist;
			hits[nhits].node = v;
			nhits++;
		}
	}
	qsort(hits, nhits, sizeof(ServiceHit), service_hit_cmp);
	for (i = 0; i < nhits; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(g->ids[hits[i].node]);
		values[1] = Int32GetDatum(hits[i].depth);
		if (with_names)
		{
			const char *name = service_name(a.slot, hits[i].node);

			if (name == NULL)
				nulls[2] = true;
			else
				values[2] = CStringGetTextDatum(name);
		}
		tuplestore_putvalues(ts, td, values, nulls);
		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

/*
 * ims.impacted_services(ci_ids bigint[], max_depth int, rel_types text[],
 * as_of timestamptz) → TABLE(ci_id bigint, depth int): the impacted CIs the
 * cached graph flags as business services, by depth then id.  No lookup per
 * CI: the flag was read with the graph.
 */
IMS_FUNCTION(ims_impacted_services);
Datum
ims_impacted_services(PG_FUNCTION_ARGS)
{
	return impacted_services(fcinfo, false);
}

/*
 * ims.change_impacted_services(ci_ids bigint[]) → TABLE(ci_id bigint, depth
 * int, name text): the business services impacted by the CIs (every
 * propagating relation type, any depth, the current graph) with their names,
 * by depth then id: the impact rows of ims.change_conflicts without one
 * ims.ci lookup per service (the graph read the names with the flags).
 */
IMS_FUNCTION(ims_change_impacted_services);
Datum
ims_change_impacted_services(PG_FUNCTION_ARGS)
{
	return impacted_services(fcinfo, true);
}

typedef struct NbHit
{
	int32		node;
	int32		dist;
	int32		dir;			/* 0 self, 1 dependency, 2 dependent */
} NbHit;

static int
nb_hit_cmp(const void *a, const void *b)
{
	const NbHit *x = a,
			   *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return x->dir < y->dir ? -1 : (x->dir > y->dir ? 1 : 0);
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static void
nb_row(Tuplestorestate *ts, TupleDesc td, int64 start, int64 ci, int32 dist, int32 dir)
{
	static const char *const names[3] = {"self", "dependency", "dependent"};
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = Int64GetDatum(start);
	values[1] = Int64GetDatum(ci);
	values[2] = Int32GetDatum(dist);
	values[3] = CStringGetTextDatum(names[dir]);
	tuplestore_putvalues(ts, td, values, nulls);
}

/*
 * The collision neighbourhood of one start node v: the CIs within depth steps
 * upwards (what v depends on: dir 1, v itself dir 0) and downwards (what
 * depends on v: dir 2), each once at its shortest distance (a tie goes to
 * the dependency), sorted by node (= id).  Returns the count; *hits / *hcap
 * is a growable buffer the caller keeps between calls.
 */
static int32
nb_collect(GraphSlot *slot, int32 v, int32 depth, const uint8 *all_ok, NbHit **hits, int32 *hcap)
{
	ImsGraph   *g = slot->g;
	int32		up,
				nh = 0,
				head,
				tail,
				level_end,
				d,
				i,
				out;

	if (slot->nb_stamp == NULL)
	{
		slot->nb_stamp = MemoryContextAllocExtended(slot->cxt, sizeof(uint32) * ((Size) g->n + 1),
													MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		slot->nb_queue = MemoryContextAllocExtended(slot->cxt, sizeof(int32) * ((Size) g->n + 1),
													MCXT_ALLOC_HUGE);
		slot->nb_epoch = 0;
	}

	/* upwards: the dependency search of the core */
	up = ims_graph_dependencies(g, &v, 1, depth, all_ok);
	if (*hcap < up + 1)
	{
		int32		cap = Max(up + 1, *hcap * 2);

		*hits = *hits ? repalloc_huge(*hits, sizeof(NbHit) * cap)
			: palloc_extended(sizeof(NbHit) * cap, MCXT_ALLOC_HUGE);
		*hcap = cap;
	}
	for (i = 0; i < up; i++)
	{
		int32		w = g->queue[i];

		(*hits)[nh].node = w;
		(*hits)[nh].dist = g->visit[w].dist;
		(*hits)[nh].dir = g->visit[w].dist == 0 ? 0 : 1;
		nh++;
	}

	/* downwards: breadth-first over incoming edges of every type */
	if (++slot->nb_epoch == 0)
	{
		memset(slot->nb_stamp, 0, sizeof(uint32) * ((Size) g->n + 1));
		slot->nb_epoch = 1;
	}
	slot->nb_stamp[v] = slot->nb_epoch;
	slot->nb_queue[0] = v;
	head = 0;
	tail = 1;
	for (d = 1; d <= depth && head < tail; d++)
	{
		level_end = tail;
		for (; head < level_end; head++)
		{
			int32		u = slot->nb_queue[head];
			uint32		e;

			for (e = g->in_off[u]; e < g->in_off[u + 1]; e++)
			{
				int32		w = g->in_nbr[e];

				if (slot->nb_stamp[w] == slot->nb_epoch)
					continue;
				slot->nb_stamp[w] = slot->nb_epoch;
				slot->nb_queue[tail++] = w;
				if (nh >= *hcap)
				{
					*hcap *= 2;
					*hits = repalloc_huge(*hits, sizeof(NbHit) * *hcap);
				}
				(*hits)[nh].node = w;
				(*hits)[nh].dist = d;
				(*hits)[nh].dir = 2;
				nh++;
			}
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* each CI once, at its shortest distance, in id (= node) order */
	qsort(*hits, nh, sizeof(NbHit), nb_hit_cmp);
	out = 0;
	for (i = 0; i < nh; i++)
		if (i == 0 || (*hits)[i].node != (*hits)[i - 1].node)
			(*hits)[out++] = (*hits)[i];
	return out;
}

/* the distinct non-NULL ids of an int8[] argument, sorted; returns the count */
static int32
arg_sorted_ids(FunctionCallInfo fcinfo, int argno, int64 **out)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems,
				i;
	int32		n = 0,
				k = 0;
	int64	   *st;

	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	st = palloc(sizeof(int64) * (nelems + 1));
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			st[n++] = DatumGetInt64(elems[i]);
	if (n > 1)
		qsort(st, n, sizeof(int64), int64_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || st[i] != st[i - 1])
			st[k++] = st[i];
	*out = st;
	return k;
}

/*
 * ims.change_neighbourhood(ci_ids bigint[], max_depth int) → TABLE(start_ci
 * bigint, ci_id bigint, distance int, direction text): for every distinct
 * start CI, the CIs within max_depth steps over every relation type, upwards
 * (what it depends on: 'dependency', the start itself 'self') and downwards
 * (what depends on it: 'dependent'), each once at its shortest distance (a
 * tie goes to 'dependency'); by start, then CI id.  max_depth NULL or below
 * 0: the starts alone.  A start id that is not a CI gives its 'self' row
 * only (as the recursive SQL this replaces did).
 */
IMS_FUNCTION(ims_change_neighbourhood);
Datum
ims_change_neighbourhood(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	GraphSlot  *slot;
	ImsGraph   *g;
	int			i;
	int64	   *st;
	int32		nst,
				depth,
				si;
	uint8	   *all_ok;
	NbHit	   *hits = NULL;
	int32		hcap = 0;

	if (PG_ARGISNULL(0))
		return (Datum) 0;
	depth = PG_ARGISNULL(1) ? 0 : Max(PG_GETARG_INT32(1), 0);
	nst = arg_sorted_ids(fcinfo, 0, &st);
	if (nst == 0)
		return (Datum) 0;

	slot = graph_get(false, 0);
	g = slot->g;
	all_ok = palloc(slot->ntypes + 1);
	memset(all_ok, 1, slot->ntypes + 1);

	for (si = 0; si < nst; si++)
	{
		int32		v = ims_graph_node(g, st[si]),
					nh;

		if (v < 0)
		{
			nb_row(ts, td, st[si], st[si], 0, 0);
			continue;
		}
		nh = nb_collect(slot, v, depth, all_ok, &hits, &hcap);
		for (i = 0; i < nh; i++)
			nb_row(ts, td, st[si], g->ids[hits[i].node], hits[i].dist, hits[i].dir);
	}
	return (Datum) 0;
}

/* a scheduled or implementing change overlapping the period, on one CI */
typedef struct CollCand
{
	int64		ci;
	int64		change;
	int32		node;			/* -1: not in the graph */
} CollCand;

static int
coll_cand_cmp(const void *a, const void *b)
{
	const CollCand *x = a,
			   *y = b;

	if (x->ci != y->ci)
		return x->ci < y->ci ? -1 : 1;
	return x->change < y->change ? -1 : (x->change > y->change ? 1 : 0);
}

/* a (start, other change) match: the CI of the other change and how far it is */
typedef struct CollHit
{
	int64		change;
	int64		ci;
	int32		dist;
	int32		dir;
} CollHit;

static int
coll_hit_cmp(const void *a, const void *b)
{
	const CollHit *x = a,
			   *y = b;

	if (x->change != y->change)
		return x->change < y->change ? -1 : 1;
	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return x->ci < y->ci ? -1 : (x->ci > y->ci ? 1 : 0);
}

static SPIPlanPtr coll_plan = NULL;

/*
 * ims.change_collisions(change_id bigint, ci_ids bigint[], period tstzrange,
 * max_depth int) → TABLE(ci_id bigint, other_change bigint, other_ci bigint,
 * distance int, direction text): the scheduled or implementing changes other
 * than change_id whose planned window overlaps period, on a CI within
 * max_depth steps of one of ci_ids (the collision neighbourhood of
 * ims.change_neighbourhood); one row per (start CI, other change) with the
 * nearest CI of the other change (ties: the smaller id), by start CI, then
 * other change.
 *
 * It looks for the candidates first (the GiST index on the planned windows
 * of active changes: few), and then asks the cached graph whether their CIs
 * lie in each start's neighbourhood (binary search in the sorted
 * neighbourhood), instead of one ims.change_ci probe per neighbouring CI.
 * The rows are those of the recursive SQL it replaced
 * (test/pgtap/52_change_random.sql compares them).
 */
IMS_FUNCTION(ims_change_collisions);
Datum
ims_change_collisions(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Tuplestorestate *ts = srf_init(fcinfo, &td);
	GraphSlot  *slot;
	ImsGraph   *g;
	int64	   *st;
	int32		nst,
				depth,
				si;
	int64		i,
				ncand;
	CollCand   *cand;
	CollHit    *found;
	int64		nfound;
	uint8	   *all_ok;
	NbHit	   *hits = NULL;
	int32		hcap = 0;
	Datum		args[2];
	char		argnulls[2] = {' ', ' '};
	MemoryContext caller = CurrentMemoryContext;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return (Datum) 0;
	depth = PG_ARGISNULL(3) ? 0 : Max(PG_GETARG_INT32(3), 0);
	nst = arg_sorted_ids(fcinfo, 1, &st);
	if (nst == 0)
		return (Datum) 0;

	/* the candidates: active changes overlapping the period, with their CIs */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (coll_plan == NULL)
	{
		Oid			types[2] = {TSTZRANGEOID, INT8OID};
		SPIPlanPtr	p = SPI_prepare("SELECT occ.ci_id, o.id FROM ims.change_request o"
						" JOIN ims.change_ci occ ON occ.change_id OPERATOR(pg_catalog.=) o.id"
						" WHERE o.state OPERATOR(pg_catalog.=) ANY (ARRAY['scheduled', 'implement']::pg_catalog.text[])"
						"   AND o.planned OPERATOR(pg_catalog.&&) $1"
						"   AND o.id IS DISTINCT FROM $2", 2, types);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		coll_plan = p;
	}
	args[0] = PG_GETARG_DATUM(2);
	if (PG_ARGISNULL(0))
	{
		args[1] = (Datum) 0;
		argnulls[1] = 'n';
	}
	else
		args[1] = PG_GETARG_DATUM(0);
	if (SPI_execute_plan(coll_plan, args, argnulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(SPI_result));
	ncand = (int64) SPI_processed;
	cand = MemoryContextAllocExtended(caller, sizeof(CollCand) * ((Size) ncand + 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < ncand; i++)
	{
		bool		isnull;

		cand[i].ci = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		cand[i].change = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
	if (ncand == 0)
		return (Datum) 0;
	qsort(cand, ncand, sizeof(CollCand), coll_cand_cmp);

	slot = graph_get(false, 0);
	g = slot->g;
	for (i = 0; i < ncand; i++)
		cand[i].node = ims_graph_node(g, cand[i].ci);
	all_ok = palloc(slot->ntypes + 1);
	memset(all_ok, 1, slot->ntypes + 1);
	found = palloc_extended(sizeof(CollHit) * ((Size) ncand + 1), MCXT_ALLOC_HUGE);

	for (si = 0; si < nst; si++)
	{
		int32		v = ims_graph_node(g, st[si]);
		int64		k;

		nfound = 0;
		if (v < 0)
		{
			/* not a CI (or not visible): its own 'self' row alone */
			for (i = 0; i < ncand; i++)
				if (cand[i].ci == st[si])
				{
					found[nfound].change = cand[i].change;
					found[nfound].ci = cand[i].ci;
					found[nfound].dist = 0;
					found[nfound].dir = 0;
					nfound++;
				}
		}
		else
		{
			int32		nh = nb_collect(slot, v, depth, all_ok, &hits, &hcap);

			for (i = 0; i < ncand; i++)
			{
				int32		lo = 0,
							hi = nh - 1;

				if (cand[i].node < 0)
					continue;
				while (lo <= hi)
				{
					int32		mid = lo + (hi - lo) / 2;

					if (hits[mid].node == cand[i].node)
					{
						found[nfound].change = cand[i].change;
						found[nfound].ci = cand[i].ci;
						found[nfound].dist = hits[mid].dist;
						found[nfound].dir = hits[mid].dir;
						nfound++;
						break;
					}
					if (hits[mid].node < cand[i].node)
						lo = mid + 1;
					else
						hi = mid - 1;
				}
			}
		}
		/* per other change the nearest CI (then the smaller id) */
		qsort(found, nfound, sizeof(CollHit), coll_hit_cmp);
		for (k = 0; k < nfound; k++)
		{
			static const char *const names[3] = {"self", "dependency", "dependent"};
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			if (k > 0 && found[k].change == found[k - 1].change)
				continue;
			values[0] = Int64GetDatum(st[si]);
			values[1] = Int64GetDatum(found[k].change);
			values[2] = Int64GetDatum(found[k].ci);
			values[3] = Int32GetDatum(found[k].dist);
			values[4] = CStringGetTextDatum(names[found[k].dir]);
			tuplestore_putvalues(ts, td, values, nulls);
		}
		CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}
