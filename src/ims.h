/*
 * ims.h — shared declarations of the SQL-callable glue.
 *
 * Error codes of class IM (see doc/errors.md) are defined here once, so every
 * file raises the same SQLSTATE for the same kind of failure.
 */
#ifndef IMS_H
#define IMS_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/elog.h"

/* IM001 illegal workflow transition */
#define ERRCODE_IMS_ILLEGAL_TRANSITION	MAKE_SQLSTATE('I','M','0','0','1')
/* IM002 change not authorised (blocking conflicts) */
#define ERRCODE_IMS_CHANGE_NOT_AUTHORISED	MAKE_SQLSTATE('I','M','0','0','2')
/* IM003 segregation of duties */
#define ERRCODE_IMS_SEGREGATION_OF_DUTIES	MAKE_SQLSTATE('I','M','0','0','3')
/* IM004 missing required field */
#define ERRCODE_IMS_MISSING_REQUIRED_FIELD	MAKE_SQLSTATE('I','M','0','0','4')

/* IM050 unknown configuration item (graph traversal given a CI id that does not exist) */
#define ERRCODE_IMS_UNKNOWN_CI	MAKE_SQLSTATE('I','M','0','5','0')

/* PGDLLEXPORT is implied by PG_FUNCTION_INFO_V1 from PostgreSQL 16 on. */
#if PG_VERSION_NUM < 160000
#define IMS_FUNCTION(fn) PGDLLEXPORT PG_FUNCTION_INFO_V1(fn)
#else
#define IMS_FUNCTION(fn) PG_FUNCTION_INFO_V1(fn)
#endif

/* _PG_init work of each area (one line each in ims.c). */
extern void ims_incident_init(void);
extern void ims_workflow_init(void);
extern void ims_graph_init(void);
extern void ims_change_init(void);
extern void ims_gate_init(void);

/* Is column col of two versions of a row the same (IS NOT DISTINCT FROM)? */
extern bool ims_attr_same(HeapTuple a, HeapTuple b, TupleDesc d, int col);

#endif							/* IMS_H */
