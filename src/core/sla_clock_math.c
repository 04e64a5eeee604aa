/*
 * sla_clock_math.c — SLA clock operations and the clock's text form.
 *
 * Conventions (SPEC section 2, doc/calendars.md):
 * - pausing a paused clock, resuming a running one and stopping a stopped one
 *   return it unchanged;
 * - pausing or resuming a stopped clock is an error (IMS_ERR_STATE, 55000);
 * - an event earlier than the clock's last event is an error (IMS_ERR_PARAM,
 *   22023): time does not go backwards;
 * - reading a clock (elapsed) at an instant before its last event reads it as
 *   of that event, so reports never see negative business time.
 */
#include <stdio.h>
#include <string.h>

#include "core/sla_clock_math.h"

const char *
ims_clock_state_name(int state)
{
	switch (state)
	{
		case IMS_CLOCK_RUNNING:
			return "running";
		case IMS_CLOCK_PAUSED:
			return "paused";
		case IMS_CLOCK_STOPPED:
			return "stopped";
	}
	return "invalid";
}

static bool
ts_ok(int64_t t)
{
	return t >= IMS_CLOCK_MIN_TS && t < IMS_END_TIMESTAMP;
}

ImsStatus
ims_clock_validate(const ImsSlaClock *c, ImsError *err)
{
	int			i;

	if (c->version != IMS_CLOCK_FORMAT_VERSION)
		return ims_fail(err, IMS_ERR_SYNTAX, "unsupported SLA clock format version %d", c->version);
	if (c->state < IMS_CLOCK_RUNNING || c->state > IMS_CLOCK_STOPPED)
		return ims_fail(err, IMS_ERR_SYNTAX, "invalid SLA clock state %d", c->state);
	for (i = 0; i < 6; i++)
		if (c->pad[i] != 0)
			return ims_fail(err, IMS_ERR_SYNTAX, "invalid SLA clock: padding is not zero");
	if (c->target <= 0)
		return ims_fail(err, IMS_ERR_SYNTAX, "invalid SLA clock: target must be positive");
	if (c->elapsed < 0)
		return ims_fail(err, IMS_ERR_SYNTAX, "invalid SLA clock: elapsed time must not be negative");
	if (!ts_ok(c->since) || !ts_ok(c->started))
		return ims_fail(err, IMS_ERR_SYNTAX, "invalid SLA clock: timestamp out of range");
	if (c->started > c->since)
		return ims_fail(err, IMS_ERR_SYNTAX, "invalid SLA clock: started lies after since");
	return IMS_OK;
}

static ImsStatus
backwards(const ImsSlaClock *c, int64_t at, ImsError *err, const char *op)
{
	char		a[40],
				b[40];

	ims_format_utc(at, a, sizeof(a));
	ims_format_utc(c->since, b, sizeof(b));
	ims_fail(err, IMS_ERR_PARAM, "cannot %s an SLA clock at %s, before its last event at %s", op, a, b);
	ims_fail_detail(err, "Clock events must be applied in time order.");
	return IMS_ERR_PARAM;
}

static ImsStatus
check_at(int64_t at, ImsError *err)
{
	if (!ts_ok(at))
	{
		ims_fail(err, IMS_ERR_RANGE, "SLA clock timestamp out of range");
		ims_fail_detail(err, "SLA clock times lie between 0001-01-01 and 294276-12-31, and are finite.");
		return IMS_ERR_RANGE;
	}
	return IMS_OK;
}

ImsStatus
ims_clock_start(int64_t target, int64_t at, ImsSlaClock *out, ImsError *err)
{
	ImsStatus	st;

	if (target <= 0)
	{
		ims_fail(err, IMS_ERR_PARAM, "SLA target must be a positive duration");
		ims_fail_detail(err, "A clock measures business time towards a target greater than zero.");
		return IMS_ERR_PARAM;
	}
	if ((st = check_at(at, err)) != IMS_OK)
		return st;
	memset(out, 0, sizeof(*out));
	out->version = IMS_CLOCK_FORMAT_VERSION;
	out->state = IMS_CLOCK_RUNNING;
	out->target = target;
	out->elapsed = 0;
	out->since = at;
	out->started = at;
	return IMS_OK;
}

/* elapsed + business time of [since, at) for a running clock */
static ImsStatus
accrue(const ImsSlaClock *c, ImsCalendar *cal, int64_t at, int64_t *out, ImsError *err)
{
	int64_t		bt;
	ImsStatus	st = ims_cal_business_time(cal, c->since, at, &bt, err);

	if (st != IMS_OK)
		return st;
	if (bt > INT64_MAX - c->elapsed)
		return ims_fail(err, IMS_ERR_RANGE, "SLA clock elapsed time out of range");
	*out = c->elapsed + bt;
	return IMS_OK;
}

ImsStatus
ims_clock_pause(const ImsSlaClock *c, ImsCalendar *cal, int64_t at, ImsSlaClock *out, ImsError *err)
{
	ImsStatus	st;

	if ((st = ims_clock_validate(c, err)) != IMS_OK || (st = check_at(at, err)) != IMS_OK)
		return st;
	*out = *c;
	if (c->state == IMS_CLOCK_PAUSED)
		return IMS_OK;
	if (c->state == IMS_CLOCK_STOPPED)
	{
		ims_fail(err, IMS_ERR_STATE, "cannot pause a stopped SLA clock");
		ims_fail_detail(err, "The clock was stopped; a stopped clock keeps its final value.");
		ims_fail_hint(err, "Start a new clock with ims.sla_start, or test ims.sla_state(clock) first.");
		return IMS_ERR_STATE;
	}
	if (at < c->since)
		return backwards(c, at, err, "pause");
	if ((st = accrue(c, cal, at, &out->elapsed, err)) != IMS_OK)
		return st;
	out->state = IMS_CLOCK_PAUSED;
	out->since = at;
	return IMS_OK;
}

ImsStatus
ims_clock_resume(const ImsSlaClock *c, int64_t at, ImsSlaClock *out, ImsError *err)
{
	ImsStatus	st;

	if ((st = ims_clock_validate(c, err)) != IMS_OK || (st = check_at(at, err)) != IMS_OK)
		return st;
	*out = *c;
	if (c->state == IMS_CLOCK_RUNNING)
		return IMS_OK;
	if (c->state == IMS_CLOCK_STOPPED)
	{
		ims_fail(err, IMS_ERR_STATE, "cannot resume a stopped SLA clock");
		ims_fail_detail(err, "The clock was stopped; a stopped clock keeps its final value.");
		ims_fail_hint(err, "Start a new clock with ims.sla_start, or test ims.sla_state(clock) first.");
		return IMS_ERR_STATE;
	}
	if (at < c->since)
		return backwards(c, at, err, "resume");
	out->state = IMS_CLOCK_RUNNING;
	out->since = at;
	return IMS_OK;
}

ImsStatus
ims_clock_stop(const ImsSlaClock *c, ImsCalendar *cal, int64_t at, ImsSlaClock *out, ImsError *err)
{
	ImsStatus	st;

	if ((st = ims_clock_validate(c, err)) != IMS_OK || (st = check_at(at, err)) != IMS_OK)
		return st;
	*out = *c;
	if (c->state == IMS_CLOCK_STOPPED)
		return IMS_OK;
	if (at < c->since)
		return backwards(c, at, err, "stop");
	if (c->state == IMS_CLOCK_RUNNING && (st = accrue(c, cal, at, &out->elapsed, err)) != IMS_OK)
		return st;
	out->state = IMS_CLOCK_STOPPED;
	out->since = at;
	return IMS_OK;
}

ImsStatus
ims_clock_elapsed(const ImsSlaClock *c, ImsCalendar *cal, int64_t at, int64_t *out, ImsError *err)
{
	ImsStatus	st;

	if ((st = ims_clock_validate(c, err)) != IMS_OK || (st = check_at(at, err)) != IMS_OK)
		return st;
	if (c->state != IMS_CLOCK_RUNNING || at <= c->since)
	{
		*out = c->elapsed;
		return IMS_OK;
	}
	return accrue(c, cal, at, out, err);
}

ImsStatus
ims_clock_due(const ImsSlaClock *c, ImsCalendar *cal, int64_t *out, bool *isnull, ImsError *err)
{
	ImsStatus	st;

	if ((st = ims_clock_validate(c, err)) != IMS_OK)
		return st;
	*isnull = false;
	if (c->state != IMS_CLOCK_RUNNING)
	{
		*isnull = true;
		return IMS_OK;
	}
	if (c->elapsed >= c->target)
	{
		/* breached in an earlier segment: due since this segment began */
		*out = c->since;
		return IMS_OK;
	}
	st = ims_cal_business_add(cal, c->since, c->target - c->elapsed, out, err);
	if (st == IMS_ERR_NO_TIME || st == IMS_ERR_RANGE)
	{
		/* the calendar never gives the clock enough time: due never comes */
		*out = INT64_MAX;		/* PostgreSQL's 'infinity' */
		return IMS_OK;
	}
	return st;
}

/* ------------------------------------------------------------------ */
/* text form                                                            */

void
ims_format_duration(int64_t usecs, char *buf, size_t bufsz)
{
	uint64_t	u = usecs < 0 ? (uint64_t) 0 - (uint64_t) usecs : (uint64_t) usecs;
	uint64_t	h = u / (uint64_t) IMS_USECS_PER_HOUR;
	unsigned	m = (unsigned) ((u / (uint64_t) IMS_USECS_PER_MIN) % 60);
	unsigned	s = (unsigned) ((u / (uint64_t) IMS_USECS_PER_SEC) % 60);
	unsigned	f = (unsigned) (u % (uint64_t) IMS_USECS_PER_SEC);

	if (f)
		snprintf(buf, bufsz, "%s%02llu:%02u:%02u.%06u", usecs < 0 ? "-" : "", (unsigned long long) h, m, s, f);
	else
		snprintf(buf, bufsz, "%s%02llu:%02u:%02u", usecs < 0 ? "-" : "", (unsigned long long) h, m, s);
}

void
ims_format_utc(int64_t ts, char *buf, size_t bufsz)
{
	int64_t		day = ims_floor_div(ts, IMS_USECS_PER_DAY);
	int64_t		tod = ts - day * IMS_USECS_PER_DAY;
	int32_t		y;
	int			m,
				d;
	unsigned	hh = (unsigned) (tod / IMS_USECS_PER_HOUR),
				mi = (unsigned) ((tod / IMS_USECS_PER_MIN) % 60),
				ss = (unsigned) ((tod / IMS_USECS_PER_SEC) % 60),
				f = (unsigned) (tod % IMS_USECS_PER_SEC);

	ims_civil_from_days((int32_t) day, &y, &m, &d);
	if (f)
		snprintf(buf, bufsz, "%04d-%02d-%02dT%02u:%02u:%02u.%06uZ", (int) y, m, d, hh, mi, ss, f);
	else
		snprintf(buf, bufsz, "%04d-%02d-%02dT%02u:%02u:%02uZ", (int) y, m, d, hh, mi, ss);
}

void
ims_clock_print(const ImsSlaClock *c, char *buf, size_t bufsz)
{
	char		t[40],
				e[40],
				s[40],
				st[40];

	ims_format_duration(c->target, t, sizeof(t));
	ims_format_duration(c->elapsed, e, sizeof(e));
	ims_format_utc(c->since, s, sizeof(s));
	ims_format_utc(c->started, st, sizeof(st));
	snprintf(buf, bufsz, "%s target=%s elapsed=%s since=%s started=%s",
			 ims_clock_state_name(c->state), t, e, s, st);
}

typedef struct Cursor
{
	const char *p;
	const char *end;
} Cursor;

static bool
cur_digits(Cursor *c, int min, int max, uint64_t *v)
{
	int			n = 0;

	*v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < max)
	{
		*v = *v * 10 + (uint64_t) (*c->p - '0');
		c->p++;
		n++;
	}
	if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		return false;			/* too many digits */
	return n >= min;
}

static bool
cur_char(Cursor *c, char ch)
{
	if (c->p < c->end && *c->p == ch)
	{
		c->p++;
		return true;
	}
	return false;
}

static bool
cur_word(Cursor *c, const char *w)
{
	size_t		n = strlen(w);

	if ((size_t) (c->end - c->p) >= n && memcmp(c->p, w, n) == 0)
	{
		c->p += n;
		return true;
	}
	return false;
}

static void
cur_space(Cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* optional .ffffff (1 to 6 digits) */
static bool
cur_fraction(Cursor *c, uint64_t *f)
{
	*f = 0;
	if (cur_char(c, '.'))
	{
		const char *start = c->p;
		int			n;

		if (!cur_digits(c, 1, 6, f))
			return false;
		for (n = (int) (c->p - start); n < 6; n++)
			*f *= 10;
	}
	return true;
}

/* H+:MM:SS[.ffffff] */
static bool
parse_duration(Cursor *c, int64_t *out)
{
	uint64_t	h,
				m,
				s,
				f;

	if (!cur_digits(c, 1, 10, &h) || !cur_char(c, ':') || !cur_digits(c, 2, 2, &m) ||
		!cur_char(c, ':') || !cur_digits(c, 2, 2, &s) || !cur_fraction(c, &f))
		return false;
	if (m > 59 || s > 59 || h > 2562047787ULL)
		return false;
	*out = (int64_t) (h * (uint64_t) IMS_USECS_PER_HOUR + m * (uint64_t) IMS_USECS_PER_MIN +
					  s * (uint64_t) IMS_USECS_PER_SEC + f);
	return *out >= 0;
}

/* YYYY-MM-DDTHH:MM:SS[.ffffff]Z, year 4 to 6 digits */
static bool
parse_utc(Cursor *c, int64_t *out)
{
	uint64_t	y,
				mo,
				d,
				h,
				mi,
				s,
				f;

	if (!cur_digits(c, 4, 6, &y) || !cur_char(c, '-') || !cur_digits(c, 2, 2, &mo) ||
		!cur_char(c, '-') || !cur_digits(c, 2, 2, &d) || !cur_char(c, 'T') ||
		!cur_digits(c, 2, 2, &h) || !cur_char(c, ':') || !cur_digits(c, 2, 2, &mi) ||
		!cur_char(c, ':') || !cur_digits(c, 2, 2, &s) || !cur_fraction(c, &f) || !cur_char(c, 'Z'))
		return false;
	if (y < 1 || y > 294276 || !ims_valid_date((int32_t) y, (int) mo, (int) d) || h > 23 || mi > 59 || s > 59)
		return false;
	*out = (int64_t) ims_days_from_civil((int32_t) y, (int) mo, (int) d) * IMS_USECS_PER_DAY +
		(int64_t) h * IMS_USECS_PER_HOUR + (int64_t) mi * IMS_USECS_PER_MIN +
		(int64_t) s * IMS_USECS_PER_SEC + (int64_t) f;
	return ts_ok(*out);
}

ImsStatus
ims_clock_parse(const char *text, size_t len, ImsSlaClock *out, ImsError *err)
{
	Cursor		c;
	ImsSlaClock v;
	const char *what = "a state (running, paused or stopped)";

	memset(&v, 0, sizeof(v));
	v.version = IMS_CLOCK_FORMAT_VERSION;
	c.p = text;
	c.end = text + len;
	cur_space(&c);
	if (cur_word(&c, "running"))
		v.state = IMS_CLOCK_RUNNING;
	else if (cur_word(&c, "paused"))
		v.state = IMS_CLOCK_PAUSED;
	else if (cur_word(&c, "stopped"))
		v.state = IMS_CLOCK_STOPPED;
	else
		goto bad;
	what = "target=HH:MM:SS";
	cur_space(&c);
	if (!cur_word(&c, "target=") || !parse_duration(&c, &v.target))
		goto bad;
	what = "elapsed=HH:MM:SS";
	cur_space(&c);
	if (!cur_word(&c, "elapsed=") || !parse_duration(&c, &v.elapsed))
		goto bad;
	what = "since=YYYY-MM-DDTHH:MM:SSZ";
	cur_space(&c);
	if (!cur_word(&c, "since=") || !parse_utc(&c, &v.since))
		goto bad;
	what = "started=YYYY-MM-DDTHH:MM:SSZ";
	cur_space(&c);
	if (!cur_word(&c, "started=") || !parse_utc(&c, &v.started))
		goto bad;
	what = "the end of the text";
	cur_space(&c);
	if (c.p != c.end)
		goto bad;
	if (ims_clock_validate(&v, err) != IMS_OK)
		return IMS_ERR_SYNTAX;
	*out = v;
	return IMS_OK;

bad:
	ims_fail(err, IMS_ERR_SYNTAX, "invalid input syntax for type sla_clock");
	ims_fail_detail(err, "Expected %s at position %d.", what, (int) (c.p - text) + 1);
	ims_fail_hint(err, "The text form is: running target=08:00:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z");
	return IMS_ERR_SYNTAX;
}
