/*
 * metric_state.h — the partial states of the metric aggregates and their
 * exact text forms, in plain C (see doc/metrics.md, "State types").
 *
 * ims_mean: a count and an exact 128-bit sum of microseconds (for ims.mttr
 * and ims.mtta).  Text form "(count,sum)", e.g. "(2,5400000000)".
 *
 * ims_oset: a normalized union of spans and an optional period (for
 * ims.downtime, ims.availability and ims.mtbf).  Text form
 *     period ":" "{" span ["," span]... "}"
 * where period is "none" or "[lo,hi)" and span is "[lo,hi)", every bound an
 * integer of microseconds since 2000-01-01 00:00 UTC, or "-inf" / "inf".
 * e.g. "[0,86400000000):{[3600000000,7200000000)}".
 *
 * Parsers are strict: exactly the canonical form that the formatters print
 * (optional surrounding blanks aside), so text round-trips exactly.
 */
#ifndef IMS_CORE_METRIC_STATE_H
#define IMS_CORE_METRIC_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/interval_set.h"

typedef struct ims_mean
{
	int64_t		count;
	int64_t		sum_hi;			/* sum = sum_hi * 2^64 + sum_lo, two's complement */
	uint64_t	sum_lo;
} ims_mean;

/* ims_mean_add adds one duration (no overflow possible below 2^63 rows). */
static inline void
ims_mean_add(ims_mean *m, int64_t x)
{
	uint64_t	lo = m->sum_lo + (uint64_t) x;

	m->sum_hi += (x < 0 ? -1 : 0) + (lo < m->sum_lo ? 1 : 0);
	m->sum_lo = lo;
	m->count++;
}

/* ims_mean_combine adds b into a; returns -1 (a unchanged) on count overflow. */
int			ims_mean_combine(ims_mean *a, const ims_mean *b);

/*
 * ims_mean_result: the mean rounded to the nearest microsecond, halves away
 * from zero.  Returns 0, 1 when count is 0 (no mean), -1 when it is out of the
 * int64 range (impossible for states built from timestamps).
 */
int			ims_mean_result(const ims_mean *m, int64_t *mean);

/* ims_mean_valid: count >= 0, sum 0 when count is 0, |sum| <= count * 2^63. */
int			ims_mean_valid(const ims_mean *m);

/* Parse/format.  Parse returns 0 or an IMS_STATE_E* code. */
int			ims_mean_parse(const char *s, ims_mean *m);
/* Writes at most IMS_MEAN_TEXT_MAX bytes including the NUL; returns length. */
#define IMS_MEAN_TEXT_MAX 64
size_t		ims_mean_format(const ims_mean *m, char *buf);

typedef struct ims_oset
{
	int			has_period;
	int64_t		plo;
	int64_t		phi;
	size_t		n;
	ims_span   *spans;
} ims_oset;

/* ims_oset_valid checks everything the parser checks (for binary input). */
int			ims_oset_valid(const ims_oset *o, size_t *bad_span);

/* An upper bound of the number of spans in s (to size out->spans). */
size_t		ims_oset_count_upper(const char *s);

/*
 * ims_oset_parse parses s into *o; o->spans must hold ims_oset_count_upper(s)
 * spans.  On error returns the code and sets *bad_span to the 1-based index
 * of the offending span (0: the period or the overall syntax).
 */
int			ims_oset_parse(const char *s, ims_oset *o, size_t *bad_span);

/* Exact length of the text form (without NUL), and the formatter. */
size_t		ims_oset_text_len(const ims_oset *o);
size_t		ims_oset_format(const ims_oset *o, char *buf);

/* Error codes of the parsers and validators. */
enum
{
	IMS_STATE_OK = 0,
	IMS_STATE_ESYNTAX,			/* not the grammar */
	IMS_STATE_ERANGE,			/* a number out of range */
	IMS_STATE_ECOUNT,			/* negative count, or sum without a count */
	IMS_STATE_ESUM,				/* |sum| larger than count * 2^63 */
	IMS_STATE_EPERIOD,			/* period not finite with lo < hi */
	IMS_STATE_EEMPTY,			/* a span with lo >= hi */
	IMS_STATE_EORDER,			/* spans not sorted, overlapping or touching */
	IMS_STATE_EOUTSIDE			/* a span outside the period */
};

/* A sentence describing an error code, for errdetail. */
const char *ims_state_strerror(int code);

#endif							/* IMS_CORE_METRIC_STATE_H */
