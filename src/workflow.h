/*
 * workflow.h — the per-backend workflow cache shared by workflow.c and
 * incident.c.
 */
#ifndef IMS_WORKFLOW_H
#define IMS_WORKFLOW_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "utils/snapshot.h"

typedef enum WfCategory
{
	WF_OPEN = 0,
	WF_PAUSED,
	WF_RESOLVED,
	WF_CLOSED,
	WF_CANCELLED
} WfCategory;

typedef struct Workflow Workflow;

/* Reads every row of ims.<relname> visible to snap (calling fn for each when
 * not NULL) and returns a fingerprint of the visible set. */
typedef void (*ImsRowFn) (HeapTuple tup, TupleDesc desc, void *arg);
extern uint64 ims_table_scan(Oid nsp, const char *relname, Snapshot snap, ImsRowFn fn, void *arg);

/* Whether a backend-local cache of configuration tables is still good. */
typedef struct ImsConfigCheck
{
	bool		valid;
	bool		confirmed;
	uint64		remote;
	uint64		local;
} ImsConfigCheck;
extern bool ims_config_fast(ImsConfigCheck *c);
extern void ims_config_checked(ImsConfigCheck *c);

extern void ims_wf_ensure(Snapshot snap);
extern Snapshot ims_wf_snapshot(void);
extern int	ims_priority(int impact, int urgency);
extern Workflow *ims_wf_lookup(const char *name);
extern int	ims_wf_state_category(const Workflow *wf, const char *state);
extern const char *ims_wf_initial(const Workflow *wf);
extern const char *ims_wf_category_name(WfCategory c);
extern bool ims_is_admin(void);
extern bool ims_bulk_restore(void);
extern TimestampTz ims_event_timestamp(void);

#endif							/* IMS_WORKFLOW_H */
