/*
 * civil.h — proleptic Gregorian calendar arithmetic on day numbers.
 *
 * Plain C, no PostgreSQL headers.  Day numbers count days from 2000-01-01,
 * PostgreSQL's own epoch (POSTGRES_EPOCH_JDATE), so a day number times
 * 86400000000 is a PostgreSQL timestamp at midnight of that date.
 */
#ifndef IMS_CORE_CIVIL_H
#define IMS_CORE_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define IMS_USECS_PER_SEC	INT64_C(1000000)
#define IMS_USECS_PER_MIN	INT64_C(60000000)
#define IMS_USECS_PER_HOUR	INT64_C(3600000000)
#define IMS_USECS_PER_DAY	INT64_C(86400000000)

/* Days from 2000-01-01 to y-m-d (m 1..12, d 1..31); valid for any int32 year. */
extern int32_t ims_days_from_civil(int32_t y, int m, int d);

/* Inverse of ims_days_from_civil. */
extern void ims_civil_from_days(int32_t days, int32_t *y, int *m, int *d);

/* ISO weekday of a day number: 1 = Monday .. 7 = Sunday. */
extern int	ims_iso_weekday(int32_t days);

extern bool ims_is_leap_year(int32_t y);

/* Days in month m (1..12) of year y; 0 when m is out of range. */
extern int	ims_days_in_month(int32_t y, int m);

/* True when y-m-d names a real date (rejects 2026-02-30). */
extern bool ims_valid_date(int32_t y, int m, int d);

/* Floor division helpers: the quotient rounded towards minus infinity. */
static inline int64_t
ims_floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static inline int64_t
ims_floor_mod(int64_t a, int64_t b)
{
	return a - ims_floor_div(a, b) * b;
}

#endif							/* IMS_CORE_CIVIL_H */
