/*
 * interval_set.h — unions of half-open time spans, in plain C.
 *
 * A span is [lo, hi) in microseconds since 2000-01-01 00:00 UTC (PostgreSQL's
 * timestamptz representation).  IMS_TS_NEG_INF / IMS_TS_POS_INF stand for
 * -infinity / +infinity and for unbounded range ends.  A normalized list of
 * spans is sorted by lo, every span has lo < hi, and consecutive spans neither
 * overlap nor touch (v[i].hi < v[i+1].lo), so it is the unique, smallest
 * representation of a union: its length is the number of merged outages.
 *
 * No PostgreSQL headers: unit-tested (test/unit/test_interval_set.c) and
 * fuzzed on its own; src/agg_outage.c is the SQL glue.
 */
#ifndef IMS_CORE_INTERVAL_SET_H
#define IMS_CORE_INTERVAL_SET_H

#include <stddef.h>
#include <stdint.h>

#define IMS_TS_NEG_INF	INT64_MIN
#define IMS_TS_POS_INF	INT64_MAX
/* PostgreSQL's MIN_TIMESTAMP (4714-11-24 BC) and END_TIMESTAMP (294277 AD). */
#define IMS_TS_MIN		INT64_C(-211813488000000000)
#define IMS_TS_END		INT64_C(9223371331200000000)

typedef struct ims_span
{
	int64_t		lo;
	int64_t		hi;
} ims_span;

/* ims_ts_valid: a finite timestamp in PostgreSQL's range, or an infinity. */
int			ims_ts_valid(int64_t t);

/*
 * ims_spans_normalize sorts v[0..n) and merges overlapping and touching
 * spans in place; spans with lo >= hi are dropped.  Returns the new count.
 * When v[0..nsorted) is already normalized, only the tail is sorted before a
 * linear merge (scratch, when not NULL, must hold n spans; without it the
 * whole array is sorted).
 */
size_t		ims_spans_normalize(ims_span *v, size_t n, size_t nsorted, ims_span *scratch);

/* ims_spans_is_normalized: 1 when v[0..n) is normalized, else 0. */
int			ims_spans_is_normalized(const ims_span *v, size_t n);

/* ims_span_clip clips *s to [plo, phi); returns 0 when nothing is left. */
int			ims_span_clip(ims_span *s, int64_t plo, int64_t phi);

/*
 * ims_spans_total sums the lengths of a normalized list into *total.
 * Returns 0, or -1 when a span has an infinite end (the union is infinite).
 * Finite spans of valid timestamps never overflow the unsigned sum.
 */
int			ims_spans_total(const ims_span *v, size_t n, uint64_t *total);

#endif							/* IMS_CORE_INTERVAL_SET_H */
