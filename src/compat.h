/*
 * compat.h — the few PostgreSQL server APIs ims uses that changed between
 * major versions 13 and 17.  ims is developed and tested on 15; these shims
 * keep 13, 14, 16 and 17 building (test/compat_check.sh compiles every file
 * against the 13 and 17 headers).
 */
#ifndef IMS_COMPAT_H
#define IMS_COMPAT_H

#include "postgres.h"

#include "catalog/dependency.h"
#include "access/relation.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/rel.h"

/* The local transaction id of this backend moved into MyProc->vxid in 17. */
#if PG_VERSION_NUM >= 170000
#define IMS_MY_LXID() (MyProc->vxid.lxid)
#else
#define IMS_MY_LXID() (MyProc->lxid)
#endif

/* HASH_STRINGS appeared in 14; before it, string keys were the default. */
#ifndef HASH_STRINGS
#define HASH_STRINGS 0
#endif

/* MarkGUCPrefixReserved replaced EmitWarningsOnPlaceholders in 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* getIdentitySequence takes the Relation instead of its OID from 17 on. */
static inline Oid
ims_identity_sequence(Oid relid, AttrNumber attnum)
{
#if PG_VERSION_NUM >= 170000
	Relation	rel = relation_open(relid, AccessShareLock);
	Oid			seq = getIdentitySequence(rel, attnum, false);

	relation_close(rel, AccessShareLock);
	return seq;
#else
	return getIdentitySequence(relid, attnum, false);
#endif
}

/* The range table takes the permission infos from 16 on. */
static inline void
ims_init_range_table(EState *estate, RangeTblEntry *rte)
{
#if PG_VERSION_NUM >= 160000
	ExecInitRangeTable(estate, list_make1(rte), NIL);
#else
	ExecInitRangeTable(estate, list_make1(rte));
#endif
}

/* EvalPlanQualInit names the result relations from 17 on. */
static inline void
ims_epq_init(EPQState *epq, EState *estate)
{
#if PG_VERSION_NUM >= 170000
	EvalPlanQualInit(epq, estate, NULL, NIL, -1, NIL);
#else
	EvalPlanQualInit(epq, estate, NULL, NIL, -1);
#endif
}

/*
 * One result relation for ExecSimpleRelationInsert/Update: 14 keeps a list
 * of opened result relations and passes the ResultRelInfo; 13 keeps an
 * array and a "current" one in the EState.
 */
static inline void
ims_open_result_relation(EState *estate, ResultRelInfo *rri)
{
#if PG_VERSION_NUM >= 140000
	estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, rri);
#else
	estate->es_result_relations = rri;
	estate->es_num_result_relations = 1;
	estate->es_result_relation_info = rri;
#endif
}

static inline void
ims_close_result_relation(EState *estate, ResultRelInfo *rri)
{
#if PG_VERSION_NUM >= 140000
	ExecCloseResultRelations(estate);	/* closes the indexes too */
#else
	ExecCloseIndices(rri);
	ExecCleanUpTriggerState(estate);
#endif
}

static inline void
ims_simple_insert(ResultRelInfo *rri, EState *estate, TupleTableSlot *slot)
{
#if PG_VERSION_NUM >= 140000
	ExecSimpleRelationInsert(rri, estate, slot);
#else
	ExecSimpleRelationInsert(estate, slot);
#endif
}

static inline void
ims_simple_update(ResultRelInfo *rri, EState *estate, EPQState *epq,
				  TupleTableSlot *oldslot, TupleTableSlot *newslot)
{
#if PG_VERSION_NUM >= 140000
	ExecSimpleRelationUpdate(rri, estate, epq, oldslot, newslot);
#else
	ExecSimpleRelationUpdate(estate, epq, oldslot, newslot);
#endif
}

#endif							/* IMS_COMPAT_H */
