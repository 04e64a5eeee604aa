/*
 * calendar.h — business calendars for other C code of ims (stable API).
 *
 * Use it from SLA triggers, business-time aggregates and anything else that
 * holds an ims.calendar Datum.  Every function raises a proper SQL error
 * (ereport) on failure; none returns an error code.
 *
 * Getting a calendar from a Datum parses its text once and keeps the result
 * in a cache keyed by the value's bytes:
 *
 *   - ims_calendar_from_datum(fcinfo, d) keeps the cache in
 *     fcinfo->flinfo->fn_extra (one cache per call site, living as long as
 *     the FmgrInfo).  Use it from SQL-callable functions and aggregate
 *     transition functions that do not use fn_extra themselves.
 *   - ims_calendar_cache_create(mcxt) + ims_calendar_cache_get(cache, d) for
 *     code whose fn_extra holds something else (trigger functions): keep the
 *     cache pointer in your own state; it lives in mcxt.
 *
 * The returned ImsCalendar pointer stays valid while its cache lives and at
 * most IMS_CALENDAR_CACHE_SIZE - 1 other calendars were fetched through the
 * same cache since.  It is not const: arithmetic fills a per-calendar cache of
 * the zone's DST transitions.
 *
 * Times are PostgreSQL TimestampTz values (microseconds since 2000-01-01 UTC);
 * durations are int64 microseconds of business time.
 */
#ifndef IMS_CALENDAR_H
#define IMS_CALENDAR_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/palloc.h"

typedef struct ImsCalendar ImsCalendar;
typedef struct ImsCalendarCache ImsCalendarCache;

#define IMS_CALENDAR_CACHE_SIZE 8

/* The parsed calendar of an ims.calendar Datum, cached in fn_extra. */
extern ImsCalendar *ims_calendar_from_datum(FunctionCallInfo fcinfo, Datum d);

/* The calendar of argument argno of the current SQL-callable function, cached
 * in fn_extra like ims_calendar_from_datum; when the argument is a literal
 * (a Const in the call), later calls skip even the byte comparison.  Use it
 * for at most one calendar argument per function. */
extern ImsCalendar *ims_calendar_arg(FunctionCallInfo fcinfo, int argno);

/* A cache owned by the caller, allocated in mcxt. */
extern ImsCalendarCache *ims_calendar_cache_create(MemoryContext mcxt);
extern ImsCalendar *ims_calendar_cache_get(ImsCalendarCache *cache, Datum d);

/* The calendar's IANA zone name (canonical spelling). */
extern const char *ims_calendar_zone(const ImsCalendar *cal);

/* Business microseconds in [from, to); negative when to < from. */
extern int64 ims_business_time(ImsCalendar *cal, TimestampTz from, TimestampTz to);

/* Earliest t2 >= t with business_time(t, t2) = usecs (usecs > 0), latest
 * t2 <= t with business_time(t2, t) = -usecs (usecs < 0), t for 0. */
extern TimestampTz ims_business_add(ImsCalendar *cal, TimestampTz t, int64 usecs);

/* Same local wall time n business dates later (n < 0: earlier). */
extern TimestampTz ims_business_days_add(ImsCalendar *cal, TimestampTz t, int32 n);

extern bool ims_is_business_time(ImsCalendar *cal, TimestampTz t);

/* t itself when it is business time, else the start of the next window. */
extern TimestampTz ims_next_business_time(ImsCalendar *cal, TimestampTz t);

/* An interval as business microseconds: months are rejected (22023), a day
 * counts 24 hours. */
extern int64 ims_interval_business_usecs(const Interval *iv);

/* An interval holding only microseconds (no day or month fields). */
extern Interval *ims_usecs_interval(int64 usecs);

/* Raise the SQL error described by a core ImsError (src/core/ims_status.h). */
struct ImsError;
extern void ims_raise_error(const struct ImsError *err) pg_attribute_noreturn();

#endif							/* IMS_CALENDAR_H */
