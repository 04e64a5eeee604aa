/*
 * Unit tests of src/core/calendar_parse.c and calendar_math.c: text form,
 * errors, and the fast arithmetic against a brute-force reference (every
 * window converted one by one) with a fixed zone and a hand-written DST rule.
 */
#include <stdio.h>

#include "core/calendar_math.h"
#include "unit.h"
#include "testzone.h"

#define H IMS_USECS_PER_HOUR
#define M IMS_USECS_PER_MIN
#define D IMS_USECS_PER_DAY

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int64_t
rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t) (rnd() % (uint64_t) (hi - lo + 1));
}

/* UTC instant of a UTC civil time */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return (int64_t) ims_days_from_civil(y, mo, d) * D + h * H + mi * M;
}

static void
check_roundtrip(const char *in, const char *want)
{
	ImsCalendar *a = NULL,
			   *b = NULL;
	ImsError	err;
	char	   *p1,
			   *p2 = NULL;
	char		name[300];

	snprintf(name, sizeof(name), "canonical form of \"%.200s\"", in);
	if (ims_cal_parse(in, strlen(in), &tz_mem, tz_check, NULL, &a, &err) != IMS_OK)
	{
		CHECK(0, name);
		printf("#   error: %s: %s\n", err.message, err.detail);
		return;
	}
	p1 = ims_cal_print(a, &tz_mem);
	CHECK_STR(p1, want, name);
	if (ims_cal_parse(p1, strlen(p1), &tz_mem, tz_check, NULL, &b, &err) == IMS_OK)
	{
		p2 = ims_cal_print(b, &tz_mem);
		CHECK(ims_cal_equal(a, b) && strcmp(p1, p2) == 0, "re-parsing the canonical form gives an equal calendar");
		free(p2);
		ims_cal_free(b);
	}
	else
		CHECK(0, "canonical form re-parses");
	free(p1);
	ims_cal_free(a);
}

static void
check_error(const char *in, const char *detail_part)
{
	ImsCalendar *a = NULL;
	ImsError	err;
	char		name[300];
	ImsStatus	st;

	memset(&err, 0, sizeof(err));
	st = ims_cal_parse(in, strlen(in), &tz_mem, tz_check, NULL, &a, &err);
	snprintf(name, sizeof(name), "rejects \"%.100s\" (%s)", in, detail_part);
	CHECK(st == IMS_ERR_SYNTAX && (strstr(err.detail, detail_part) || strstr(err.message, detail_part)), name);
	if (st != IMS_ERR_SYNTAX || !(strstr(err.detail, detail_part) || strstr(err.message, detail_part)))
		printf("#   got status %d: %s / %s\n", st, err.message, err.detail);
	if (a)
		ims_cal_free(a);
}

static void
test_text(void)
{
	check_roundtrip("tz UTC; mon 09:00-10:00", "tz UTC; mon 09:00-10:00");
	check_roundtrip("24x7", "24x7");
	check_roundtrip("tz UTC; mon-sun 00:00-24:00", "24x7");
	check_roundtrip("tz TestEU; 24x7", "tz TestEU; mon-sun 00:00-24:00");
	check_roundtrip("tz TestEU; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01; 2026-12-31 09:00-12:00",
					"tz TestEU; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01; 2026-12-31 09:00-12:00");
	check_roundtrip("  TZ testeu ;MON-FRI 9:00-12:00 , 12:00-17:00;", "tz TestEU; mon-fri 09:00-17:00");
	check_roundtrip("tz UTC; mon 09:00-12:00; tue 09:00-12:00; wed 09:00-12:00; fri 09:00-12:00",
					"tz UTC; mon-wed 09:00-12:00; fri 09:00-12:00");
	check_roundtrip("tz UTC; sun-tue 22:00-06:00", "tz UTC; mon-tue 22:00-06:00; sun 22:00-06:00");
	check_roundtrip("tz UTC; mon-fri 08:00-16:00; closed 2026-01-02, 2026-01-01, 2026-01-03..2026-01-05, 2026-01-04",
					"tz UTC; mon-fri 08:00-16:00; closed 2026-01-01..2026-01-05");
	check_roundtrip("tz UTC; mon 22:00-00:00", "tz UTC; mon 22:00-24:00");
	check_roundtrip("tz UTC; mon-fri 09:00-17:00; closed yearly 12-26,12-24..12-25,01-01,02-28..03-01",
					"tz UTC; mon-fri 09:00-17:00; closed yearly 01-01,02-28..03-01,12-24..12-26");
	check_roundtrip("tz UTC; mon-fri 09:00-17:00; 2026-12-24..2026-12-26 10:00-12:00; 2026-12-27 11:00-12:00",
					"tz UTC; mon-fri 09:00-17:00; 2026-12-24..2026-12-26 10:00-12:00; 2026-12-27 11:00-12:00");
	check_roundtrip("tz UTC; mon-fri 09:00-17:00; 2026-12-24 closed", "tz UTC; mon-fri 09:00-17:00; closed 2026-12-24");
	check_roundtrip("tz UTC", "tz UTC");
	check_roundtrip("tz UTC; mon closed", "tz UTC");

	check_error("", "empty");
	check_error("  ;  ; ", "empty");
	check_error("tz Mars/Olympus; mon 09:00-17:00", "not recognized");
	check_error("tz UTC; mon-fri 09:00-17:00; tz UTC", "twice");
	check_error("tz UTC; moon 09:00-17:00", "A clause starts with");
	check_error("tz UTC; mon-fry 09:00-17:00", "not a weekday");
	check_error("tz UTC; lunch 12:00-13:00", "A clause starts with");
	check_error("tz UTC; mon 25:00-26:00", "25:00");
	check_error("tz UTC; mon 09:60-10:00", "09:60");
	check_error("tz UTC; mon 24:00-02:00", "cannot start at 24:00");
	check_error("tz UTC; mon 09:00-09:00", "empty");
	check_error("tz UTC; mon 09:00-12:00,11:00-13:00", "overlap");
	check_error("tz UTC; mon 09:00-12:00; mon 11:30-13:00", "overlap");
	check_error("tz UTC; mon 22:00-06:00; tue 05:00-09:00", "overnight window");
	check_error("tz UTC; sun 22:00-06:00; mon 05:00-09:00", "overnight window");
	check_error("tz UTC; closed 2026-02-30", "not a valid date");
	check_error("tz UTC; closed 2026-13-01", "not a valid date");
	check_error("tz UTC; closed 2026-1-1", "YYYY-MM-DD");
	check_error("tz UTC; closed 2026-12-26..2026-12-24", "reversed");
	check_error("tz UTC; closed yearly 02-30", "not a valid month");
	check_error("tz UTC; closed yearly 12-31..01-01", "reversed");
	check_error("tz UTC; 2026-02-30 09:00-10:00", "not a valid date");
	check_error("tz UTC; mon 09:00", "not an opening window");
	check_error("tz UTC; mon", "must follow");
	check_error("tz UTC; mon 09:00-10:00,", "empty item");
	check_error("tz UTC; mon-fri 22:00-06:00; 2026-12-01 05:00-07:00", "overnight");
	check_error("tz UTC; mon 09:00-17:00\xc3\x28", "not allowed");
	check_error("tz UTC; mon 09:00-17:00\x01", "not allowed");
	check_error("tz UTC; 24x7 please", "stands alone");
	check_error("tz UTC; mon 24x7", "not an opening window");
	{
		char	   *big = malloc(IMS_CAL_MAX_TEXT + 10);

		memset(big, ' ', IMS_CAL_MAX_TEXT + 9);
		big[IMS_CAL_MAX_TEXT + 9] = '\0';
		check_error(big, "too long");
		free(big);
	}
}

static void
test_basic_math(void)
{
	ImsCalendar *c = tz_parse("tz UTC; mon-fri 09:00-17:00; closed 2026-12-25");
	ImsError	err;
	int64_t		v;
	bool		b;

	/* 2026-11-20 is a Friday */
	ims_cal_business_time(c, utc(2026, 11, 20, 16, 0), utc(2026, 11, 23, 10, 0), &v, &err);
	CHECK_INT(v, 2 * H, "Fri 16:00 to Mon 10:00 is 2 hours");
	ims_cal_business_time(c, utc(2026, 11, 23, 10, 0), utc(2026, 11, 20, 16, 0), &v, &err);
	CHECK_INT(v, -2 * H, "reversed span is negative");
	ims_cal_business_add(c, utc(2026, 11, 20, 16, 0), 1 * H, &v, &err);
	CHECK_INT(v, utc(2026, 11, 20, 17, 0), "ending exactly at closing returns the closing instant");
	ims_cal_business_add(c, utc(2026, 11, 20, 16, 0), 1 * H + 1, &v, &err);
	CHECK_INT(v, utc(2026, 11, 23, 9, 0) + 1, "one microsecond more goes to Monday");
	ims_cal_business_add(c, utc(2026, 11, 23, 10, 0), -1 * H, &v, &err);
	CHECK_INT(v, utc(2026, 11, 23, 9, 0), "negative duration may return an opening instant");
	ims_cal_business_add(c, utc(2026, 11, 23, 10, 0), -2 * H, &v, &err);
	CHECK_INT(v, utc(2026, 11, 20, 16, 0), "negative duration crosses the weekend");
	ims_cal_business_add(c, utc(2026, 11, 21, 10, 0), 0, &v, &err);
	CHECK_INT(v, utc(2026, 11, 21, 10, 0), "adding zero returns t");
	ims_cal_business_add(c, utc(2026, 12, 24, 16, 0), 2 * H, &v, &err);
	CHECK_INT(v, utc(2026, 12, 28, 10, 0), "holiday skipped");
	ims_cal_is_business_time(c, utc(2026, 11, 20, 9, 0), &b, &err);
	CHECK(b, "09:00 is business time");
	ims_cal_is_business_time(c, utc(2026, 11, 20, 17, 0), &b, &err);
	CHECK(!b, "17:00 is not");
	ims_cal_next_business_time(c, utc(2026, 11, 20, 17, 0), &v, &err);
	CHECK_INT(v, utc(2026, 11, 23, 9, 0), "next business time after closing");
	ims_cal_next_business_time(c, utc(2026, 11, 20, 12, 0), &v, &err);
	CHECK_INT(v, utc(2026, 11, 20, 12, 0), "next business time of an open instant is itself");
	ims_cal_business_days_add(c, utc(2026, 11, 20, 15, 0), 1, &v, &err);
	CHECK_INT(v, utc(2026, 11, 23, 15, 0), "Fri 15:00 + 1 business day = Mon 15:00");
	ims_cal_business_days_add(c, utc(2026, 12, 24, 15, 0), 1, &v, &err);
	CHECK_INT(v, utc(2026, 12, 28, 15, 0), "Thu before the holiday + 1 = Mon");
	ims_cal_business_days_add(c, utc(2026, 11, 23, 15, 0), -1, &v, &err);
	CHECK_INT(v, utc(2026, 11, 20, 15, 0), "Mon - 1 business day = Fri");
	ims_cal_business_days_add(c, utc(2026, 11, 21, 10, 0), 5, &v, &err);
	CHECK_INT(v, utc(2026, 11, 27, 10, 0), "Sat + 5 business days = next Fri");
	/* long spans are arithmetic */
	ims_cal_business_time(c, utc(2026, 1, 1, 0, 0), utc(2031, 1, 1, 0, 0), &v, &err);
	CHECK_INT(v, ((int64_t) 1304 - 1) * 8 * H, "five years: 1304 weekdays minus the closed Friday");
	ims_cal_free(c);

	c = tz_parse("tz UTC; mon-fri 22:00-06:00");
	ims_cal_business_time(c, utc(2026, 11, 20, 0, 0), utc(2026, 11, 21, 12, 0), &v, &err);
	CHECK_INT(v, 6 * H + 8 * H, "overnight: Thu night tail + Fri night");
	ims_cal_business_add(c, utc(2026, 11, 21, 5, 0), 2 * H, &v, &err);
	CHECK_INT(v, utc(2026, 11, 23, 23, 0), "overnight add resumes Monday night");
	ims_cal_free(c);

	c = tz_parse("tz UTC");
	CHECK(ims_cal_business_add(c, utc(2026, 1, 1, 0, 0), H, &v, &err) == IMS_ERR_NO_TIME,
		  "a calendar that is never open has no business time to add");
	CHECK(ims_cal_business_add(c, utc(2026, 1, 1, 0, 0), -H, &v, &err) == IMS_ERR_NO_TIME,
		  "nor to subtract");
	ims_cal_free(c);

	c = tz_parse("tz Fixed+2; mon-fri 09:00-17:00");
	ims_cal_business_add(c, utc(2026, 11, 20, 6, 0), H, &v, &err);
	CHECK_INT(v, utc(2026, 11, 20, 8, 0), "fixed offset: local 09:00 is 07:00 UTC");
	ims_cal_free(c);
}

static const char *random_cals[] = {
	"tz TestEU; mon-fri 09:00-17:00",
	"tz TestEU; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01,12-25; 2026-12-31 09:00-12:00",
	"tz TestEU; mon-sun 00:00-24:00",
	"tz TestEU; mon-sun 22:00-06:00",
	"tz TestEU; mon-sun 01:00-02:30,02:45-04:00",
	"tz TestEU; sun 02:00-03:00,03:00-03:30; sat 20:00-01:45; mon-fri 08:00-18:00",
	"tz TestEU; mon-fri 09:00-17:00; closed yearly 03-29..03-31,10-25; 2026-03-29 01:30-03:30; 2026-10-25 02:30-02:45,03:00-05:00; 2027-03-28 00:00-24:00",
	"tz TestEU; sat-sun 02:30-02:31; 2026-03-28..2026-03-30 02:10-02:50",
	"tz UTC; mon-fri 09:00-17:00; closed 2026-01-01..2026-03-15; closed yearly 07-01..08-31",
	"tz Fixed+2; tue,thu 23:00-01:00; 2026-06-01..2026-06-03 closed",
	"tz TestEU; 2026-03-29 01:00-04:00; 2026-10-25 01:30-03:30",
};

static void
test_random_against_reference(void)
{
	size_t		ci;
	int			i;
	char		name[200];

	for (ci = 0; ci < sizeof(random_cals) / sizeof(random_cals[0]); ci++)
	{
		ImsCalendar *c = tz_parse(random_cals[ci]);
		int			bad_measure = 0,
					bad_add = 0,
					bad_sub = 0,
					bad_open = 0;
		ImsError	err;

		if (c == NULL)
		{
			CHECK(0, random_cals[ci]);
			continue;
		}
		for (i = 0; i < 3000; i++)
		{
			/* instants around 2026-2027, on a 15-minute grid half of the time */
			int64_t		a = utc(2026, 1, 1, 0, 0) + rnd_range(0, 700) * D + rnd_range(0, 24 * 60 - 1) * M;
			int64_t		span = rnd_range(0, 20) * D + rnd_range(0, 24 * 60) * M;
			int64_t		b,
						v,
						r,
						want;
			bool		open;

			if (rnd() % 2)
			{
				a -= a % (15 * M);
				span -= span % (15 * M);
			}
			if (rnd() % 8 == 0)
				span = rnd_range(0, 5 * H);
			b = a + span;
			ims_cal_business_time(c, a, b, &v, &err);
			want = ref_measure(c, a, b);
			if (v != want && bad_measure++ < 3)
				printf("#   measure %s [%lld, %lld): got %lld want %lld\n", random_cals[ci],
					   (long long) a, (long long) b, (long long) v, (long long) want);
			if (want > 0)
			{
				r = rnd_range(1, want);
				if (rnd() % 3 == 0)
					r = want;
				if (ims_cal_business_add(c, a, r, &v, &err) != IMS_OK ||
					!ref_add(c, a, r, 40, &want) || v != want)
				{
					if (bad_add++ < 3)
						printf("#   add %s %lld + %lld: got %lld want %lld (%s)\n", random_cals[ci],
							   (long long) a, (long long) r, (long long) v, (long long) want, err.message);
				}
				if (ims_cal_business_add(c, b, -r, &v, &err) != IMS_OK ||
					!ref_sub(c, b, r, 40, &want) || v != want)
				{
					if (bad_sub++ < 3)
						printf("#   sub %s %lld - %lld: got %lld want %lld (%s)\n", random_cals[ci],
							   (long long) b, (long long) r, (long long) v, (long long) want, err.message);
				}
			}
			ims_cal_is_business_time(c, a, &open, &err);
			if (open != (ref_measure(c, a, a + 1) == 1) && bad_open++ < 3)
				printf("#   is_business_time %s %lld: got %d\n", random_cals[ci], (long long) a, open);
		}
		snprintf(name, sizeof(name), "business_time matches the reference: %.80s", random_cals[ci]);
		CHECK(bad_measure == 0, name);
		snprintf(name, sizeof(name), "business_add matches the reference: %.80s", random_cals[ci]);
		CHECK(bad_add == 0, name);
		snprintf(name, sizeof(name), "negative business_add matches the reference: %.80s", random_cals[ci]);
		CHECK(bad_sub == 0, name);
		snprintf(name, sizeof(name), "is_business_time matches the reference: %.80s", random_cals[ci]);
		CHECK(bad_open == 0, name);
		ims_cal_free(c);
	}
}

static void
test_long_spans(void)
{
	ImsCalendar *c = tz_parse(random_cals[1]);
	ImsError	err;
	int			i,
				bad = 0,
				badadd = 0;

	/* additivity across many years, and add/measure inverse over long spans */
	for (i = 0; i < 2000; i++)
	{
		int64_t		a = utc(1975, 1, 1, 0, 0) + rnd_range(0, 365 * 120) * D + rnd_range(0, 1439) * M;
		int64_t		b = a + rnd_range(0, 365 * 10) * D + rnd_range(0, 1439) * M;
		int64_t		m = a + (b - a) / 3;
		int64_t		x,
					y,
					z,
					t2,
					back;

		ims_cal_business_time(c, a, m, &x, &err);
		ims_cal_business_time(c, m, b, &y, &err);
		ims_cal_business_time(c, a, b, &z, &err);
		if (x + y != z)
			bad++;
		if (z > 0)
		{
			ims_cal_business_add(c, a, z, &t2, &err);
			ims_cal_business_time(c, a, t2, &back, &err);
			if (back != z || t2 > b)
				badadd++;
		}
	}
	CHECK(bad == 0, "additivity over spans of up to 10 years, 1975-2105");
	CHECK(badadd == 0, "business_time(a, business_add(a, d)) = d over long spans");
	ims_cal_free(c);
}

int
main(void)
{
	tz_init();
	test_text();
	test_basic_math();
	test_random_against_reference();
	test_long_spans();
	return unit_done();
}
