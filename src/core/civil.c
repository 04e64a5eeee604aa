/*
 * civil.c — proleptic Gregorian calendar arithmetic on day numbers.
 *
 * Howard Hinnant's days_from_civil / civil_from_days algorithms, shifted to
 * PostgreSQL's epoch (2000-01-01).  They are exact over the whole int32 year
 * range because all intermediate values are computed in 64 bits.
 */
#include "core/civil.h"

/* 2000-01-01 is day 10957 after 1970-01-01. */
#define DAYS_1970_TO_2000 10957

int32_t
ims_days_from_civil(int32_t y, int m, int d)
{
	int64_t		yy = (int64_t) y - (m <= 2);
	int64_t		era = ims_floor_div(yy, 400);
	int64_t		yoe = yy - era * 400;	/* [0, 399] */
	int64_t		doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* [0, 365] */
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */

	return (int32_t) (era * 146097 + doe - 719468 - DAYS_1970_TO_2000);
}

void
ims_civil_from_days(int32_t days, int32_t *y, int *m, int *d)
{
	int64_t		z = (int64_t) days + DAYS_1970_TO_2000 + 719468;
	int64_t		era = ims_floor_div(z, 146097);
	int64_t		doe = z - era * 146097;	/* [0, 146096] */
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int			mm = (int) (mp < 10 ? mp + 3 : mp - 9);

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = mm;
	*y = (int32_t) (yoe + era * 400 + (mm <= 2));
}

int
ims_iso_weekday(int32_t days)
{
	/* 2000-01-01 was a Saturday (ISO 6). */
	return (int) ims_floor_mod((int64_t) days + 5, 7) + 1;
}

bool
ims_is_leap_year(int32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
ims_days_in_month(int32_t y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && ims_is_leap_year(y))
		return 29;
	return mdays[m - 1];
}

bool
ims_valid_date(int32_t y, int m, int d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= ims_days_in_month(y, m);
}
