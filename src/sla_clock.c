/*
 * sla_clock.c — the ims.sla_clock type and its functions (SPEC section 2).
 * The operations live in src/core/sla_clock_math.c; this file converts
 * Datums and raises the core's errors.
 *
 * Binary form: version byte, state byte, then target, elapsed, since and
 * started as int64; checked by the same validator as the text form.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "ims.h"
#include "sla_clock.h"

static void
check_finite(TimestampTz t)
{
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("SLA clock timestamp out of range"),
				 errdetail("SLA clock times must be finite.")));
}

static ImsSlaClock *
new_clock(void)
{
	return (ImsSlaClock *) palloc0(sizeof(ImsSlaClock));
}

ImsSlaClock *
ims_sla_start(int64 target_usecs, TimestampTz at)
{
	ImsSlaClock *r = new_clock();
	ImsError	err;

	check_finite(at);
	if (ims_clock_start(target_usecs, at, r, &err) != IMS_OK)
		ims_raise_error(&err);
	return r;
}

ImsSlaClock *
ims_sla_pause(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz at)
{
	ImsSlaClock *r = new_clock();
	ImsError	err;

	check_finite(at);
	if (ims_clock_pause(c, cal, at, r, &err) != IMS_OK)
		ims_raise_error(&err);
	return r;
}

ImsSlaClock *
ims_sla_resume(const ImsSlaClock *c, TimestampTz at)
{
	ImsSlaClock *r = new_clock();
	ImsError	err;

	check_finite(at);
	if (ims_clock_resume(c, at, r, &err) != IMS_OK)
		ims_raise_error(&err);
	return r;
}

ImsSlaClock *
ims_sla_stop(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz at)
{
	ImsSlaClock *r = new_clock();
	ImsError	err;

	check_finite(at);
	if (ims_clock_stop(c, cal, at, r, &err) != IMS_OK)
		ims_raise_error(&err);
	return r;
}

int64
ims_sla_elapsed(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz at)
{
	ImsError	err;
	int64_t		v;

	check_finite(at);
	if (ims_clock_elapsed(c, cal, at, &v, &err) != IMS_OK)
		ims_raise_error(&err);
	return v;
}

bool
ims_sla_due(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz *due)
{
	ImsError	err;
	int64_t		v;
	bool		isnull;

	if (ims_clock_due(c, cal, &v, &isnull, &err) != IMS_OK)
		ims_raise_error(&err);
	if (isnull)
		return false;
	*due = v;
	return true;
}

/* ------------------------------------------------------------------ */
/* type I/O                                                             */

IMS_FUNCTION(ims_sla_clock_in);
Datum
ims_sla_clock_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	ImsSlaClock *r = new_clock();
	ImsError	err;

	if (ims_clock_parse(s, strlen(s), r, &err) != IMS_OK)
		ims_raise_error(&err);
	PG_RETURN_POINTER(r);
}

IMS_FUNCTION(ims_sla_clock_out);
Datum
ims_sla_clock_out(PG_FUNCTION_ARGS)
{
	ImsSlaClock *c = DatumGetImsSlaClockP(PG_GETARG_DATUM(0));
	char	   *buf = palloc(IMS_CLOCK_TEXT_MAX);

	ims_clock_print(c, buf, IMS_CLOCK_TEXT_MAX);
	PG_RETURN_CSTRING(buf);
}

IMS_FUNCTION(ims_sla_clock_recv);
Datum
ims_sla_clock_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	ImsSlaClock *r = new_clock();
	ImsError	err;

	r->version = (uint8) pq_getmsgbyte(buf);
	if (r->version != IMS_CLOCK_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported ims.sla_clock binary format version %d", r->version)));
	r->state = (uint8) pq_getmsgbyte(buf);
	r->target = pq_getmsgint64(buf);
	r->elapsed = pq_getmsgint64(buf);
	r->since = pq_getmsgint64(buf);
	r->started = pq_getmsgint64(buf);
	if (ims_clock_validate(r, &err) != IMS_OK)
	{
		err.status = IMS_ERR_SYNTAX;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg_internal("%s", err.message)));
	}
	PG_RETURN_POINTER(r);
}

IMS_FUNCTION(ims_sla_clock_send);
Datum
ims_sla_clock_send(PG_FUNCTION_ARGS)
{
	ImsSlaClock *c = DatumGetImsSlaClockP(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, c->version);
	pq_sendbyte(&buf, c->state);
	pq_sendint64(&buf, c->target);
	pq_sendint64(&buf, c->elapsed);
	pq_sendint64(&buf, c->since);
	pq_sendint64(&buf, c->started);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

IMS_FUNCTION(ims_sla_clock_eq);
Datum
ims_sla_clock_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(memcmp(PG_GETARG_POINTER(0), PG_GETARG_POINTER(1), sizeof(ImsSlaClock)) == 0);
}

IMS_FUNCTION(ims_sla_clock_ne);
Datum
ims_sla_clock_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(memcmp(PG_GETARG_POINTER(0), PG_GETARG_POINTER(1), sizeof(ImsSlaClock)) != 0);
}

/* ------------------------------------------------------------------ */
/* operations                                                           */

#define ARG_CLOCK(n) DatumGetImsSlaClockP(PG_GETARG_DATUM(n))

IMS_FUNCTION(ims_sla_start_sql);
Datum
ims_sla_start_sql(PG_FUNCTION_ARGS)
{
	int64		target = ims_interval_business_usecs(PG_GETARG_INTERVAL_P(0));

	PG_RETURN_POINTER(ims_sla_start(target, PG_GETARG_TIMESTAMPTZ(1)));
}

IMS_FUNCTION(ims_sla_pause_sql);
Datum
ims_sla_pause_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);

	PG_RETURN_POINTER(ims_sla_pause(ARG_CLOCK(0), cal, PG_GETARG_TIMESTAMPTZ(2)));
}

IMS_FUNCTION(ims_sla_resume_sql);
Datum
ims_sla_resume_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ims_sla_resume(ARG_CLOCK(0), PG_GETARG_TIMESTAMPTZ(1)));
}

IMS_FUNCTION(ims_sla_stop_sql);
Datum
ims_sla_stop_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);

	PG_RETURN_POINTER(ims_sla_stop(ARG_CLOCK(0), cal, PG_GETARG_TIMESTAMPTZ(2)));
}

IMS_FUNCTION(ims_sla_elapsed_sql);
Datum
ims_sla_elapsed_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);

	PG_RETURN_INTERVAL_P(ims_usecs_interval(ims_sla_elapsed(ARG_CLOCK(0), cal, PG_GETARG_TIMESTAMPTZ(2))));
}

IMS_FUNCTION(ims_sla_remaining_sql);
Datum
ims_sla_remaining_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);
	ImsSlaClock *c = ARG_CLOCK(0);
	int64		e = ims_sla_elapsed(c, cal, PG_GETARG_TIMESTAMPTZ(2));

	PG_RETURN_INTERVAL_P(ims_usecs_interval(c->target - e));
}

IMS_FUNCTION(ims_sla_progress_sql);
Datum
ims_sla_progress_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);
	ImsSlaClock *c = ARG_CLOCK(0);
	int64		e = ims_sla_elapsed(c, cal, PG_GETARG_TIMESTAMPTZ(2));

	PG_RETURN_FLOAT8((double) e / (double) c->target);
}

IMS_FUNCTION(ims_sla_breached_sql);
Datum
ims_sla_breached_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);
	ImsSlaClock *c = ARG_CLOCK(0);

	PG_RETURN_BOOL(ims_sla_elapsed(c, cal, PG_GETARG_TIMESTAMPTZ(2)) > c->target);
}

IMS_FUNCTION(ims_sla_due_sql);
Datum
ims_sla_due_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 1);
	TimestampTz due;

	if (!ims_sla_due(ARG_CLOCK(0), cal, &due))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(due);
}

IMS_FUNCTION(ims_sla_state_sql);
Datum
ims_sla_state_sql(PG_FUNCTION_ARGS)
{
	ImsSlaClock *c = ARG_CLOCK(0);
	ImsError	err;

	if (ims_clock_validate(c, &err) != IMS_OK)
		ims_raise_error(&err);
	PG_RETURN_TEXT_P(cstring_to_text(ims_clock_state_name(c->state)));
}
