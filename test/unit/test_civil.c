/* Unit tests of src/core/civil.c: day numbers, weekdays, date validity. */
#include "core/civil.h"
#include "unit.h"

int
main(void)
{
	int32_t		y;
	int			m,
				d;
	int32_t		n;
	int			roundtrip_ok = 1;

	CHECK_INT(ims_days_from_civil(2000, 1, 1), 0, "epoch is day 0");
	CHECK_INT(ims_days_from_civil(1970, 1, 1), -10957, "unix epoch");
	CHECK_INT(ims_days_from_civil(2026, 11, 22), 9822, "2026-11-22");
	CHECK_INT(ims_days_from_civil(2000, 3, 1), 60, "leap day 2000 counted");
	CHECK_INT(ims_days_from_civil(1900, 3, 1) - ims_days_from_civil(1900, 2, 28), 1,
			  "1900 is not a leap year");

	ims_civil_from_days(9822, &y, &m, &d);
	CHECK(y == 2026 && m == 11 && d == 22, "inverse of 2026-11-22");
	ims_civil_from_days(-1, &y, &m, &d);
	CHECK(y == 1999 && m == 12 && d == 31, "day -1 is 1999-12-31");

	for (n = -800000; n <= 800000; n += 37)
	{
		ims_civil_from_days(n, &y, &m, &d);
		if (ims_days_from_civil(y, m, d) != n || !ims_valid_date(y, m, d))
			roundtrip_ok = 0;
	}
	CHECK(roundtrip_ok, "civil <-> days round-trips over +-2190 years");

	CHECK_INT(ims_iso_weekday(0), 6, "2000-01-01 was a Saturday");
	CHECK_INT(ims_iso_weekday(ims_days_from_civil(2026, 11, 22)), 7, "2026-11-22 is a Sunday");
	CHECK_INT(ims_iso_weekday(ims_days_from_civil(1999, 12, 27)), 1, "1999-12-27 was a Monday");

	CHECK(ims_valid_date(2024, 2, 29), "2024-02-29 exists");
	CHECK(!ims_valid_date(2026, 2, 29), "2026-02-29 does not exist");
	CHECK(!ims_valid_date(2026, 2, 30), "2026-02-30 does not exist");
	CHECK(!ims_valid_date(2026, 13, 1), "month 13 does not exist");
	CHECK(!ims_valid_date(2026, 4, 31), "April has 30 days");
	CHECK(!ims_valid_date(2026, 1, 0), "day 0 does not exist");
	CHECK_INT(ims_days_in_month(2000, 2), 29, "2000 is a leap year");
	CHECK_INT(ims_days_in_month(2100, 2), 28, "2100 is not a leap year");

	CHECK_INT(ims_floor_div(-7, 2), -4, "floor_div rounds down");
	CHECK_INT(ims_floor_mod(-7, 7), 0, "floor_mod of a multiple");
	CHECK_INT(ims_floor_mod(-1, 7), 6, "floor_mod is never negative");

	return unit_done();
}
