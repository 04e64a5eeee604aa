/*
 * agg_mean.c — ims.mean_state and the ims.mttr / ims.mtta aggregates.
 *
 * The state is a fixed-length, pass-by-reference SQL type (24 bytes: a row
 * count and an exact 128-bit sum of microseconds, src/core/metric_state.h),
 * so partial aggregates travel between parallel workers (and Citus nodes, as
 * text) without serialize functions.  Called as an aggregate, the transition
 * and combine functions update the state in place, like int8inc does: no copy
 * per row.
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "calendar.h"
#include "core/metric_state.h"
#include "ims.h"

#define DatumGetMeanP(d)		((ims_mean *) DatumGetPointer(d))
#define PG_GETARG_MEAN_P(n)		DatumGetMeanP(PG_GETARG_DATUM(n))

StaticAssertDecl(sizeof(ims_mean) == 24, "ims.mean_state is 24 bytes");

/* mean_error reports a state rejected by the core validator. */
static void
mean_error(int rc, const char *text, bool binary)
{
	if (binary)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type ims.mean_state"),
				 errdetail("%s", ims_state_strerror(rc))));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type ims.mean_state: \"%s\"", text),
			 errdetail("%s", ims_state_strerror(rc)),
			 errhint("The form is (count,sum) with the sum in microseconds, e.g. (2,5400000000).")));
}

/* ims.mean_state_in(cstring): "(count,sum_microseconds)". */
IMS_FUNCTION(ims_mean_state_in);
Datum
ims_mean_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	ims_mean   *m = palloc(sizeof(ims_mean));
	int			rc = ims_mean_parse(str, m);

	if (rc != IMS_STATE_OK)
		mean_error(rc, str, false);
	PG_RETURN_POINTER(m);
}

IMS_FUNCTION(ims_mean_state_out);
Datum
ims_mean_state_out(PG_FUNCTION_ARGS)
{
	ims_mean   *m = PG_GETARG_MEAN_P(0);
	char	   *buf = palloc(IMS_MEAN_TEXT_MAX);

	ims_mean_format(m, buf);
	PG_RETURN_CSTRING(buf);
}

/* Binary form: int64 count, int64 high and int64 low word of the sum. */
IMS_FUNCTION(ims_mean_state_recv);
Datum
ims_mean_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	ims_mean   *m = palloc(sizeof(ims_mean));
	int			rc;

	m->count = pq_getmsgint64(buf);
	m->sum_hi = pq_getmsgint64(buf);
	m->sum_lo = (uint64) pq_getmsgint64(buf);
	if ((rc = ims_mean_valid(m)) != IMS_STATE_OK)
		mean_error(rc, NULL, true);
	PG_RETURN_POINTER(m);
}

IMS_FUNCTION(ims_mean_state_send);
Datum
ims_mean_state_send(PG_FUNCTION_ARGS)
{
	ims_mean   *m = PG_GETARG_MEAN_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, m->count);
	pq_sendint64(&buf, m->sum_hi);
	pq_sendint64(&buf, (int64) m->sum_lo);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* check_finite_pair rejects infinite timestamps with the aggregates' error. */
static inline void
check_finite_pair(TimestampTz opened, TimestampTz closed)
{
	if (unlikely(TIMESTAMP_NOT_FINITE(opened) || TIMESTAMP_NOT_FINITE(closed)))
	{
		/* timestamptz_to_str returns a static buffer: copy the first */
		char	   *start = pstrdup(timestamptz_to_str(opened));

		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cannot measure a duration from an infinite timestamp"),
				 errdetail("Row with start %s and end %s.",
						   start, timestamptz_to_str(closed)),
				 errhint("Use NULL for a time that has not happened yet.")));
	}
}

/*
 * mean_add_in_place adds d to the state of argument 0: in place inside an
 * aggregate (the state lives in the aggregate context), on a copy otherwise.
 */
static inline Datum
mean_add_in_place(FunctionCallInfo fcinfo, int64 d)
{
	ims_mean   *m = PG_GETARG_MEAN_P(0);

	if (!AggCheckCallContext(fcinfo, NULL))
	{
		ims_mean   *copy = palloc(sizeof(ims_mean));

		*copy = *m;
		m = copy;
	}
	ims_mean_add(m, d);
	PG_RETURN_POINTER(m);
}

/*
 * ims.mean_state_accum(state, opened, closed): adds closed - opened.  STRICT
 * with the initial state (0,0): the executor skips rows with a NULL timestamp.
 */
IMS_FUNCTION(ims_mean_state_accum);
Datum
ims_mean_state_accum(PG_FUNCTION_ARGS)
{
	TimestampTz opened = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz closed = PG_GETARG_TIMESTAMPTZ(2);
	int64		d;

	check_finite_pair(opened, closed);
	if (unlikely(pg_sub_s64_overflow(closed, opened, &d)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	return mean_add_in_place(fcinfo, d);
}

/*
 * ims.mean_state_accum(state, opened, closed, cal): adds the business time
 * of [opened, closed) in the calendar (negative when closed < opened).  The
 * parsed calendar is cached in fn_extra, keyed by the value's bytes, so a
 * calendar that is the same in every row (or changes per service) is parsed
 * once.  STRICT: rows with a NULL timestamp or calendar are skipped.
 */
IMS_FUNCTION(ims_mean_state_accum_business);
Datum
ims_mean_state_accum_business(PG_FUNCTION_ARGS)
{
	TimestampTz opened = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz closed = PG_GETARG_TIMESTAMPTZ(2);
	ImsCalendar *cal;

	check_finite_pair(opened, closed);
	cal = ims_calendar_from_datum(fcinfo, PG_GETARG_DATUM(3));
	return mean_add_in_place(fcinfo, ims_business_time(cal, opened, closed));
}

/* ims.mean_state_combine(a, b): a + b; NULL on either side is no rows. */
IMS_FUNCTION(ims_mean_state_combine);
Datum
ims_mean_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ims_mean   *a,
			   *b;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcontext) != 0;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_MEAN_P(1);
	if (PG_ARGISNULL(0) || !in_agg)
	{
		a = MemoryContextAlloc(in_agg ? aggcontext : CurrentMemoryContext, sizeof(ims_mean));
		if (PG_ARGISNULL(0))
		{
			*a = *b;
			PG_RETURN_POINTER(a);
		}
		*a = *PG_GETARG_MEAN_P(0);
	}
	else
		a = PG_GETARG_MEAN_P(0);
	if (ims_mean_combine(a, b) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("ims.mean_state row count out of range")));
	PG_RETURN_POINTER(a);
}

/* ims.mean_state_final(state) → interval: the mean, NULL for no rows. */
IMS_FUNCTION(ims_mean_state_final);
Datum
ims_mean_state_final(PG_FUNCTION_ARGS)
{
	ims_mean   *m = PG_GETARG_MEAN_P(0);
	int64		mean;
	Interval   *result;
	int			rc = ims_mean_result(m, &mean);

	if (rc > 0)
		PG_RETURN_NULL();
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	/* days and hours like timestamptz subtraction (interval_justify_hours) */
	result = palloc(sizeof(Interval));
	result->month = 0;
	result->day = (int32) (mean / USECS_PER_DAY);
	result->time = mean % USECS_PER_DAY;
	PG_RETURN_INTERVAL_P(result);
}

/*
 * ims.mean_state_business_mean(state) → interval: the mean as business time,
 * in hours, minutes and seconds only (like ims.business_time: a business day
 * is not 24 hours, so no day field); NULL for no rows.
 */
IMS_FUNCTION(ims_mean_state_final_business);
Datum
ims_mean_state_final_business(PG_FUNCTION_ARGS)
{
	ims_mean   *m = PG_GETARG_MEAN_P(0);
	int64		mean;
	int			rc = ims_mean_result(m, &mean);

	if (rc > 0)
		PG_RETURN_NULL();
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	PG_RETURN_INTERVAL_P(ims_usecs_interval(mean));
}
