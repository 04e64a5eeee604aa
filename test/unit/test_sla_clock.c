/* Unit tests of src/core/sla_clock_math.c: operations, conventions, text form. */
#include <stdio.h>

#include "core/sla_clock_math.h"
#include "unit.h"
#include "testzone.h"

#define H IMS_USECS_PER_HOUR
#define D IMS_USECS_PER_DAY

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return (int64_t) ims_days_from_civil(y, mo, d) * D + h * H + mi * IMS_USECS_PER_MIN;
}

int
main(void)
{
	ImsCalendar *cal;
	ImsSlaClock c,
				p,
				r,
				s,
				back;
	ImsError	err;
	int64_t		v;
	bool		isnull;
	char		buf[IMS_CLOCK_TEXT_MAX];

	tz_init();
	cal = tz_parse("tz UTC; mon-fri 09:00-17:00");

	CHECK(ims_clock_start(8 * H, utc(2026, 11, 20, 15, 0), &c, &err) == IMS_OK, "start");
	CHECK(ims_clock_start(0, utc(2026, 11, 20, 15, 0), &c, &err) == IMS_ERR_PARAM, "zero target is refused");
	CHECK(ims_clock_start(-H, utc(2026, 11, 20, 15, 0), &c, &err) == IMS_ERR_PARAM, "negative target is refused");
	CHECK(ims_clock_start(H, IMS_END_TIMESTAMP, &c, &err) == IMS_ERR_RANGE, "timestamp beyond the range is refused");
	ims_clock_start(8 * H, utc(2026, 11, 20, 15, 0), &c, &err);
	ims_clock_due(&c, cal, &v, &isnull, &err);
	CHECK(!isnull && v == utc(2026, 11, 23, 15, 0), "due: Fri 15:00 + 8h = Mon 15:00");
	ims_clock_elapsed(&c, cal, utc(2026, 11, 23, 10, 0), &v, &err);
	CHECK_INT(v, 3 * H, "elapsed over the weekend");

	CHECK(ims_clock_pause(&c, cal, utc(2026, 11, 20, 16, 30), &p, &err) == IMS_OK && p.state == IMS_CLOCK_PAUSED &&
		  p.elapsed == 90 * IMS_USECS_PER_MIN, "pause accrues 1.5h");
	ims_clock_due(&p, cal, &v, &isnull, &err);
	CHECK(isnull, "a paused clock has no due time");
	CHECK(ims_clock_pause(&p, cal, utc(2026, 11, 20, 10, 0), &r, &err) == IMS_OK && memcmp(&r, &p, sizeof(r)) == 0,
		  "pausing a paused clock returns it unchanged");
	CHECK(ims_clock_resume(&p, utc(2026, 11, 20, 16, 0), &r, &err) == IMS_ERR_PARAM, "resuming before the pause is an error");
	CHECK(ims_clock_resume(&p, utc(2026, 11, 23, 10, 0), &r, &err) == IMS_OK && r.state == IMS_CLOCK_RUNNING, "resume");
	CHECK(ims_clock_resume(&r, utc(2026, 11, 23, 11, 0), &back, &err) == IMS_OK && memcmp(&r, &back, sizeof(r)) == 0,
		  "resuming a running clock returns it unchanged");
	ims_clock_due(&r, cal, &v, &isnull, &err);
	CHECK(!isnull && v == utc(2026, 11, 23, 16, 30), "due after resume: 6.5h from Mon 10:00");
	CHECK(ims_clock_stop(&r, cal, utc(2026, 11, 23, 16, 0), &s, &err) == IMS_OK && s.state == IMS_CLOCK_STOPPED &&
		  s.elapsed == 7 * H + 30 * IMS_USECS_PER_MIN, "stop accrues the running segment");
	CHECK(ims_clock_stop(&s, cal, utc(2026, 11, 30, 0, 0), &back, &err) == IMS_OK && memcmp(&s, &back, sizeof(s)) == 0,
		  "stopping a stopped clock returns it unchanged");
	CHECK(ims_clock_pause(&s, cal, utc(2026, 11, 30, 0, 0), &back, &err) == IMS_ERR_STATE, "pausing a stopped clock is an error");
	CHECK(ims_clock_resume(&s, utc(2026, 11, 30, 0, 0), &back, &err) == IMS_ERR_STATE, "resuming a stopped clock is an error");
	ims_clock_elapsed(&s, cal, utc(2026, 12, 30, 0, 0), &v, &err);
	CHECK_INT(v, 7 * H + 30 * IMS_USECS_PER_MIN, "a stopped clock keeps its value");
	ims_clock_elapsed(&r, cal, utc(2026, 11, 1, 0, 0), &v, &err);
	CHECK_INT(v, 90 * IMS_USECS_PER_MIN, "reading before the last event reads as of that event");

	/* breached in an earlier segment: due is the start of the current one */
	ims_clock_start(H, utc(2026, 11, 23, 9, 0), &c, &err);
	ims_clock_pause(&c, cal, utc(2026, 11, 23, 12, 0), &p, &err);
	ims_clock_resume(&p, utc(2026, 11, 24, 9, 0), &r, &err);
	ims_clock_due(&r, cal, &v, &isnull, &err);
	CHECK(!isnull && v == utc(2026, 11, 24, 9, 0), "overdue clock: due = start of the running segment");

	/* text form */
	ims_clock_print(&r, buf, sizeof(buf));
	CHECK_STR(buf, "running target=01:00:00 elapsed=03:00:00 since=2026-11-24T09:00:00Z started=2026-11-23T09:00:00Z", "text form");
	CHECK(ims_clock_parse(buf, strlen(buf), &back, &err) == IMS_OK && memcmp(&back, &r, sizeof(r)) == 0, "text round trip");
	CHECK(ims_clock_parse("running target=1:00:00 elapsed=0:00:00 since=2026-11-24T09:00:00.000001Z started=0001-01-01T00:00:00Z",
						  strlen("running target=1:00:00 elapsed=0:00:00 since=2026-11-24T09:00:00.000001Z started=0001-01-01T00:00:00Z"),
						  &back, &err) == IMS_OK && back.started == IMS_CLOCK_MIN_TS, "year 0001 and microseconds parse");
	CHECK(ims_clock_parse("running", 7, &back, &err) == IMS_ERR_SYNTAX, "truncated text is refused");
	CHECK(ims_clock_parse("running target=01:00:00 elapsed=00:00:00 since=294277-01-01T00:00:00Z started=2026-11-23T09:00:00Z",
						  strlen("running target=01:00:00 elapsed=00:00:00 since=294277-01-01T00:00:00Z started=2026-11-23T09:00:00Z"),
						  &back, &err) == IMS_ERR_SYNTAX, "a year past the timestamp range is refused");
	r.pad[0] = 1;
	CHECK(ims_clock_validate(&r, &err) == IMS_ERR_SYNTAX, "non-zero padding is refused (binary input)");
	r.pad[0] = 0;
	r.state = 9;
	CHECK(ims_clock_validate(&r, &err) == IMS_ERR_SYNTAX, "unknown state is refused");
	ims_format_duration(-90 * IMS_USECS_PER_MIN, buf, sizeof(buf));
	CHECK_STR(buf, "-01:30:00", "negative durations print with a sign");
	ims_cal_free(cal);
	return unit_done();
}
