/*
 * calendar_math.c — business-time arithmetic whose cost does not grow with
 * the span.
 *
 * Two layers.
 *
 * Local layer.  In local wall time the open set L is the union of the windows
 * of every local day.  SumDays(D1, D2) — the business time of all windows
 * starting on days D1 .. D2-1 — is arithmetic:
 *
 *     weekly value of whole weeks and a remainder (prefix sums per weekday)
 *   - yearly closed days (per year a lookup in a table by leap-ness and the
 *     weekday of 1 January; 400-year cycles in one multiplication)
 *   - explicit closed ranges (binary search, prefix sums over the ranges,
 *     minus what the yearly closings already removed from them)
 *   + date-specific entries (binary search, prefix sums of "entry minus what
 *     the date would otherwise have")
 *
 * and the business time of local [x, y) is SumDays plus the parts of the
 * first and last days.  Finding where a duration runs out uses the same sums
 * (galloping and binary search over days).  Metric 1 of the same machinery
 * counts business days instead of microseconds.
 *
 * UTC layer.  Between two offset changes of the zone, UTC and local time
 * differ by a constant, so business time in UTC [a, b) is business time in
 * local [a+o, b+o).  Summed over the segments between transitions this
 * telescopes: measure(a, b) = Lmeasure(a+o_first, b+o_last) plus, for each
 * transition T inside, Lmeasure(T+o_after, T+o_before) (minus the local hour
 * skipped in spring, plus the local hour repeated in autumn).  That equals
 * the exact definition (images of windows under PostgreSQL's local-to-UTC
 * conversion) for every window whose ends lie outside the transition's
 * gap/overlap band.  Windows with an end inside the band ("dirty" windows,
 * e.g. 01:00-02:30 on a spring-forward day) are handled by a fix-up zone per
 * transition: a short UTC interval in which the open set is the explicit
 * union of the exactly converted window images.  Transitions, their offsets
 * and their zones are cached per calendar (the glue keeps the calendar in a
 * per-call-site cache), so a call costs a few binary searches plus the work
 * for the transitions inside the span (two a year in Europe).
 */
#include <stdlib.h>
#include <string.h>

#include "core/calendar_math.h"

#define DAY			IMS_USECS_PER_DAY
#define MIN			IMS_USECS_PER_MIN
#define ZONE_REACH	(3 * DAY)	/* a fix-up zone lies within this of its transition */
#define CACHE_PAD	(400 * DAY)
#define MAX_TRANS	40000		/* cached transitions before the cache is rebuilt */
#define DAY_MIN		(-2451545 - 8)	/* about 4714 BC, below every timestamp */
#define DAY_MAX		(106751992 + 8)
/* bounds of cached UTC ranges (END_TIMESTAMP lies 8 days below INT64_MAX) */
#define TS_FLOOR	(IMS_MIN_TIMESTAMP - 2 * CACHE_PAD)
#define TS_CEIL		(IMS_END_TIMESTAMP + 4 * DAY)
#define MAX_SPAN_DAYS 106000000	/* keeps day sums inside int64 */

/* ------------------------------------------------------------------ */
/* days and windows                                                     */

/* 0 = Monday; 2000-01-01 (day 0) was a Saturday */
static inline int
wday(int32_t day)
{
	int			m = (int) ((day + 5) % 7);

	return m < 0 ? m + 7 : m;
}

static bool
yearly_closed(const ImsCalendar *cal, int32_t day)
{
	int32_t		y;
	int			m,
				d;

	if (cal->nyearly == 0)
		return false;
	ims_civil_from_days(day, &y, &m, &d);
	return cal->yearly_set[m][d] != 0;
}

/* Index of the first closed range whose last day is >= day (branch-free). */
static inline int32_t
closed_lower(const ImsCalendar *cal, int32_t day)
{
	const ImsDayRange *base = cal->closed;
	int32_t		n = cal->nclosed;

	if (n == 0)
		return 0;
	while (n > 1)
	{
		int32_t		half = n / 2;

		base = (base[half - 1].last < day) ? base + half : base;
		n -= half;
	}
	return (int32_t) (base - cal->closed) + (base->last < day ? 1 : 0);
}

static inline bool
explicit_closed(const ImsCalendar *cal, int32_t day)
{
	int32_t		i;

	if (cal->nclosed == 0 || day < cal->closed[0].first || day > cal->closed[cal->nclosed - 1].last)
		return false;
	i = closed_lower(cal, day);

	return i < cal->nclosed && cal->closed[i].first <= day;
}

static inline bool
is_closed(const ImsCalendar *cal, int32_t day)
{
	return explicit_closed(cal, day) || yearly_closed(cal, day);
}

/* Index of the first override with day >= day. */
static int32_t
over_lower(const ImsCalendar *cal, int32_t day)
{
	int32_t		lo = 0,
				hi = cal->nover;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (cal->over[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
day_windows_slow(const ImsCalendar *cal, int32_t day, const ImsWindow **w)
{
	if (cal->nover)
	{
		int32_t		i = over_lower(cal, day);

		if (i < cal->nover && cal->over[i].day == day)
		{
			*w = cal->ovwin + cal->over[i].first;
			return cal->over[i].nwin;
		}
	}
	if (is_closed(cal, day))
	{
		*w = NULL;
		return 0;
	}
	*w = cal->wk[wday(day)];
	return cal->nwk[wday(day)];
}

int
ims_cal_day_windows(const ImsCalendar *cal, int32_t day, const ImsWindow **w)
{
	/* the memo is a cache inside an otherwise immutable value */
	ImsDayMemo *m = (ImsDayMemo *) &cal->memo[(uint32_t) day % IMS_DAY_MEMO];

	if (cal->nover == 0 && cal->nclosed == 0 && cal->nyearly == 0)
	{
		*w = cal->wk[wday(day)];
		return cal->nwk[wday(day)];
	}
	if (m->day != day || m->w == NULL)
	{
		m->n = day_windows_slow(cal, day, &m->w);
		if (m->w == NULL)
			m->w = cal->wk[0];	/* n = 0: any non-NULL pointer marks the entry filled */
		m->day = day;
	}
	*w = m->w;
	return m->n;
}

static int64_t
windows_value(const ImsWindow *w, int n, int metric)
{
	int64_t		v = 0;
	int			i;

	if (metric == 1)
		return n > 0 ? 1 : 0;
	for (i = 0; i < n; i++)
		v += (int64_t) (w[i].end - w[i].start) * MIN;
	return v;
}

/* ------------------------------------------------------------------ */
/* SumDays                                                              */

/* Weekly value of days [d1, d2), d1 <= d2. */
static int64_t
sum_weekly(const ImsCalMetric *mt, int32_t d1, int32_t d2)
{
	int64_t		n = (int64_t) d2 - d1;
	int			w0 = wday(d1);
	int64_t		full = n / 7;
	int			rem = (int) (n % 7);

	return full * mt->week + mt->wkcum[w0 + rem] - mt->wkcum[w0];
}

/* Number of entries of a sorted int16 array below v. */
static int32_t
lower_i16(const int16_t *a, int32_t n, int v)
{
	int32_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Yearly-closed value of day-of-year [a, b) in year y. */
static int64_t
yearly_part(const ImsCalendar *cal, const ImsCalMetric *mt, int32_t y, int a, int b)
{
	int			leap = ims_is_leap_year(y) ? 1 : 0;
	int			jwd = wday(ims_days_from_civil(y, 1, 1));
	int32_t		i = lower_i16(cal->y_doy[leap], cal->ny_doy[leap], a);
	int32_t		j = lower_i16(cal->y_doy[leap], cal->ny_doy[leap], b);

	return mt->ycum[leap][jwd][j] - mt->ycum[leap][jwd][i];
}

/* Yearly-closed value of the whole years [ya, yb). */
static int64_t
yearly_full(const ImsCalendar *cal, const ImsCalMetric *mt, int32_t ya, int32_t yb)
{
	int64_t		n = (int64_t) yb - ya;
	int64_t		v = (n / 400) * mt->y400;
	int32_t		y = (int32_t) (ya + (n / 400) * 400);
	int			jwd,
				leap;

	if (y >= yb)
		return v;
	jwd = wday(ims_days_from_civil(y, 1, 1));
	for (; y < yb; y++)
	{
		leap = ims_is_leap_year(y) ? 1 : 0;
		v += mt->ycum[leap][jwd][cal->ny_doy[leap]];
		jwd = (jwd + 365 + leap) % 7;
	}
	return v;
}

/* Yearly-closed value of days [d1, d2), d1 <= d2. */
static int64_t
sum_yearly(const ImsCalendar *cal, const ImsCalMetric *mt, int32_t d1, int32_t d2)
{
	int32_t		y1,
				y2;
	int			m,
				d,
				doy1,
				doy2;

	if (cal->nyearly == 0 || d1 >= d2)
		return 0;
	ims_civil_from_days(d1, &y1, &m, &d);
	doy1 = d1 - ims_days_from_civil(y1, 1, 1);
	ims_civil_from_days(d2, &y2, &m, &d);
	doy2 = d2 - ims_days_from_civil(y2, 1, 1);
	if (y1 == y2)
		return yearly_part(cal, mt, y1, doy1, doy2);
	return yearly_part(cal, mt, y1, doy1, 367) + yearly_full(cal, mt, y1 + 1, y2) +
		yearly_part(cal, mt, y2, 0, doy2);
}

/* Value removed by explicit closed ranges from [d1, d2) (weekly minus yearly). */
static int64_t
sum_closed(const ImsCalendar *cal, const ImsCalMetric *mt, int32_t d1, int32_t d2)
{
	int32_t		i0,
				i1,
				i;
	int64_t		v;

	if (cal->nclosed == 0 || d1 >= d2)
		return 0;
	i0 = closed_lower(cal, d1);
	/* i1: first range with first >= d2 (a short scan for short spans) */
	i1 = i0;
	while (i1 < cal->nclosed && cal->closed[i1].first < d2)
	{
		if (i1 - i0 > 8)
		{
			int32_t		lo = i1,
						hi = cal->nclosed;

			while (lo < hi)
			{
				int32_t		mid = lo + (hi - lo) / 2;

				if (cal->closed[mid].first < d2)
					lo = mid + 1;
				else
					hi = mid;
			}
			i1 = lo;
			break;
		}
		i1++;
	}
	if (i0 >= i1)
		return 0;
	v = (mt->closed_wk[i1] - mt->closed_wk[i0]) - (mt->closed_y[i1] - mt->closed_y[i0]);
	/* replace the possibly clipped first and last ranges */
	for (i = i0; i < i1; i = (i == i0 && i1 - 1 > i0) ? i1 - 1 : i1)
	{
		const ImsDayRange *r = &cal->closed[i];
		int32_t		a = r->first < d1 ? d1 : r->first;
		int32_t		b = (int64_t) r->last + 1 > d2 ? d2 : r->last + 1;

		if (a != r->first || b != r->last + 1)
		{
			v -= (mt->closed_wk[i + 1] - mt->closed_wk[i]) - (mt->closed_y[i + 1] - mt->closed_y[i]);
			v += sum_weekly(mt, a, b) - sum_yearly(cal, mt, a, b);
		}
	}
	return v;
}

static int64_t
sum_over(const ImsCalendar *cal, const ImsCalMetric *mt, int32_t d1, int32_t d2)
{
	if (cal->nover == 0 || d1 >= d2)
		return 0;
	return mt->ov[over_lower(cal, d2)] - mt->ov[over_lower(cal, d1)];
}

int64_t
ims_cal_sum_days(const ImsCalendar *cal, int metric, int32_t d1, int32_t d2)
{
	const ImsCalMetric *mt = &cal->m[metric];

	if (d1 >= d2)
		return 0;
	return sum_weekly(mt, d1, d2) - sum_yearly(cal, mt, d1, d2) - sum_closed(cal, mt, d1, d2) +
		sum_over(cal, mt, d1, d2);
}

/* ------------------------------------------------------------------ */
/* prepare                                                              */

static void *
zalloc(ImsCalendar *cal, size_t n)
{
	void	   *p = cal->mem.alloc(cal->mem.arg, n ? n : 1);

	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

ImsStatus
ims_cal_prepare(ImsCalendar *cal, ImsError *err)
{
	int			metric,
				d,
				leap,
				jwd;
	int32_t		i;

	for (i = 0; i < IMS_DAY_MEMO; i++)
	{
		cal->memo[i].day = 0;
		cal->memo[i].w = NULL;
	}
	for (metric = 0; metric < 2; metric++)
	{
		ImsCalMetric *mt = &cal->m[metric];

		memset(mt, 0, sizeof(*mt));
		for (d = 0; d < 7; d++)
		{
			mt->wk[d] = windows_value(cal->wk[d], cal->nwk[d], metric);
			mt->week += mt->wk[d];
		}
		mt->wkcum[0] = 0;
		for (d = 0; d < 14; d++)
			mt->wkcum[d + 1] = mt->wkcum[d] + mt->wk[d % 7];

		for (leap = 0; leap < 2; leap++)
			for (jwd = 0; jwd < 7; jwd++)
			{
				int32_t		n = cal->ny_doy[leap];

				mt->ycum[leap][jwd] = zalloc(cal, sizeof(int64_t) * (size_t) (n + 1));
				if (mt->ycum[leap][jwd] == NULL)
					return ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
				for (i = 0; i < n; i++)
					mt->ycum[leap][jwd][i + 1] = mt->ycum[leap][jwd][i] +
						mt->wk[(jwd + cal->y_doy[leap][i]) % 7];
			}
		mt->y400 = 0;
		mt->y400 = yearly_full(cal, mt, 2000, 2400);

		mt->closed_wk = zalloc(cal, sizeof(int64_t) * (size_t) (cal->nclosed + 1));
		mt->closed_y = zalloc(cal, sizeof(int64_t) * (size_t) (cal->nclosed + 1));
		mt->ov = zalloc(cal, sizeof(int64_t) * (size_t) (cal->nover + 1));
		if (!mt->closed_wk || !mt->closed_y || !mt->ov)
			return ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
		for (i = 0; i < cal->nclosed; i++)
		{
			int32_t		a = cal->closed[i].first,
						b = cal->closed[i].last + 1;

			mt->closed_wk[i + 1] = mt->closed_wk[i] + sum_weekly(mt, a, b);
			mt->closed_y[i + 1] = mt->closed_y[i] + sum_yearly(cal, mt, a, b);
		}
		for (i = 0; i < cal->nover; i++)
		{
			const ImsOverride *o = &cal->over[i];
			int64_t		base = is_closed(cal, o->day) ? 0 : mt->wk[wday(o->day)];

			mt->ov[i + 1] = mt->ov[i] + windows_value(cal->ovwin + o->first, o->nwin, metric) - base;
		}
	}
	cal->open_forever = cal->m[0].week * 20871 > cal->m[0].y400;
	cal->last_override_day = cal->nover ? cal->over[cal->nover - 1].day : DAY_MIN;
	return IMS_OK;
}

void
ims_cal_free(ImsCalendar *cal)
{
	int			metric,
				leap,
				jwd;
	void		(*f) (void *, void *) = cal->mem.free;
	void	   *arg = cal->mem.arg;

	if (f == NULL)
		return;
#define FREE(p) do { if (p) f(arg, (p)); } while (0)
	for (metric = 0; metric < 2; metric++)
	{
		for (leap = 0; leap < 2; leap++)
			for (jwd = 0; jwd < 7; jwd++)
				FREE(cal->m[metric].ycum[leap][jwd]);
		FREE(cal->m[metric].closed_wk);
		FREE(cal->m[metric].closed_y);
		FREE(cal->m[metric].ov);
	}
	FREE(cal->closed);
	FREE(cal->yearly);
	FREE(cal->y_doy[0]);
	FREE(cal->y_doy[1]);
	FREE(cal->over);
	FREE(cal->ovwin);
	FREE(cal->trans);
	FREE(cal->zimg);
#undef FREE
	f(arg, cal);
}

/* ------------------------------------------------------------------ */
/* local layer                                                          */

static inline int32_t
day_of(int64_t x)
{
	return (int32_t) ims_floor_div(x, DAY);
}

/* Business time of windows w (of the day starting at base) lying before x. */
static inline int64_t
win_before(const ImsWindow *w, int n, int64_t base, int64_t x)
{
	int64_t		v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		int64_t		s = base + w[i].start * MIN,
					e = base + w[i].end * MIN;

		if (s >= x)
			break;
		v += (e < x ? e : x) - s;
	}
	return v;
}

/* Business time of windows w lying at or after x. */
static inline int64_t
win_after(const ImsWindow *w, int n, int64_t base, int64_t x)
{
	int64_t		v = 0;
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		int64_t		s = base + w[i].start * MIN,
					e = base + w[i].end * MIN;

		if (e <= x)
			break;
		v += e - (s > x ? s : x);
	}
	return v;
}

/* Business time of local [x, y), signed. */
int64_t
ims_cal_local_measure(const ImsCalendar *cal, int64_t x, int64_t y)
{
	int32_t		dx,
				dy;
	const ImsWindow *wxp,
			   *wx,
			   *wyp,
			   *wy;
	int			nxp,
				nx,
				nyp,
				ny;
	int64_t		v;

	if (x > y)
		return -ims_cal_local_measure(cal, y, x);
	if (x == y)
		return 0;
	dx = day_of(x);
	dy = day_of(y);
	nxp = ims_cal_day_windows(cal, dx - 1, &wxp);
	nx = ims_cal_day_windows(cal, dx, &wx);
	if (dy == dx)
	{
		wyp = wxp, nyp = nxp, wy = wx, ny = nx;
		v = 0;
	}
	else
	{
		if (dy == dx + 1)
			wyp = wx, nyp = nx;
		else
			nyp = ims_cal_day_windows(cal, dy - 1, &wyp);
		ny = ims_cal_day_windows(cal, dy, &wy);
		v = ims_cal_sum_days(cal, 0, dx, dy);
	}
	return v
		- win_after(wyp, nyp, (int64_t) (dy - 1) * DAY, y) + win_before(wy, ny, (int64_t) dy * DAY, y)
		+ win_after(wxp, nxp, (int64_t) (dx - 1) * DAY, x) - win_before(wx, nx, (int64_t) dx * DAY, x);
}

/*
 * Smallest E > s with SumDays(metric, s, E) >= r (r > 0); false when none
 * exists before DAY_MAX.
 */
static bool
find_day_forward(const ImsCalendar *cal, int metric, int32_t s, int64_t r, int32_t *out)
{
	const ImsCalMetric *mt = &cal->m[metric];
	int64_t		lo = s,
				hi,
				step;

	if (mt->week > 0)
		step = (r / mt->week) * 7;
	else
		step = 7;
	if (step < 1)
		step = 1;
	for (;;)
	{
		hi = lo + step;
		if (hi > DAY_MAX)
			hi = DAY_MAX;
		if (hi - s > MAX_SPAN_DAYS)
			hi = s + MAX_SPAN_DAYS;
		if (ims_cal_sum_days(cal, metric, s, (int32_t) hi) >= r)
			break;
		if (hi >= DAY_MAX || hi - s >= MAX_SPAN_DAYS)
			return false;
		lo = hi;
		step = step < 7 ? 7 : step * 2;
	}
	/* f(lo) < r <= f(hi) */
	while (hi - lo > 1)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (ims_cal_sum_days(cal, metric, s, (int32_t) mid) >= r)
			hi = mid;
		else
			lo = mid;
	}
	*out = (int32_t) hi;
	return true;
}

/* Largest S < e with SumDays(metric, S, e) >= r (r > 0). */
static bool
find_day_backward(const ImsCalendar *cal, int metric, int32_t e, int64_t r, int32_t *out)
{
	const ImsCalMetric *mt = &cal->m[metric];
	int64_t		hi = e,
				lo,
				step;

	if (mt->week > 0)
		step = (r / mt->week) * 7;
	else
		step = 7;
	if (step < 1)
		step = 1;
	for (;;)
	{
		lo = hi - step;
		if (lo < DAY_MIN)
			lo = DAY_MIN;
		if (e - lo > MAX_SPAN_DAYS)
			lo = e - MAX_SPAN_DAYS;
		if (ims_cal_sum_days(cal, metric, (int32_t) lo, e) >= r)
			break;
		if (lo <= DAY_MIN || e - lo >= MAX_SPAN_DAYS)
			return false;
		hi = lo;
		step = step < 7 ? 7 : step * 2;
	}
	/* g(hi) < r <= g(lo) */
	while (hi - lo > 1)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (ims_cal_sum_days(cal, metric, (int32_t) mid, e) >= r)
			lo = mid;
		else
			hi = mid;
	}
	*out = (int32_t) lo;
	return true;
}

/* Earliest local y >= x with Lmeasure(x, y) = r, r > 0. */
static bool
local_add(const ImsCalendar *cal, int64_t x, int64_t r, int64_t *out)
{
	int32_t		dx = day_of(x),
				d,
				e;
	const ImsWindow *w;
	int			n,
				i;
	int64_t		base;

	for (d = dx - 1; d <= dx; d++)
	{
		n = ims_cal_day_windows(cal, d, &w);
		base = (int64_t) d * DAY;
		for (i = 0; i < n; i++)
		{
			int64_t		s = base + w[i].start * MIN,
						en = base + w[i].end * MIN;

			if (s < x)
				s = x;
			if (en <= s)
				continue;
			if (r <= en - s)
			{
				*out = s + r;
				return true;
			}
			r -= en - s;
		}
	}
	if (!find_day_forward(cal, 0, dx + 1, r, &e))
		return false;
	d = e - 1;
	r -= ims_cal_sum_days(cal, 0, dx + 1, d);
	n = ims_cal_day_windows(cal, d, &w);
	base = (int64_t) d * DAY;
	for (i = 0; i < n; i++)
	{
		int64_t		len = (int64_t) (w[i].end - w[i].start) * MIN;

		if (r <= len)
		{
			*out = base + w[i].start * MIN + r;
			return true;
		}
		r -= len;
	}
	return false;					/* not reached */
}

/* Latest local y <= x with Lmeasure(y, x) = r, r > 0. */
static bool
local_sub(const ImsCalendar *cal, int64_t x, int64_t r, int64_t *out)
{
	int32_t		dx = day_of(x),
				d,
				s;
	const ImsWindow *w;
	int			n,
				i;
	int64_t		base;

	for (d = dx; d >= dx - 1; d--)
	{
		n = ims_cal_day_windows(cal, d, &w);
		base = (int64_t) d * DAY;
		for (i = n - 1; i >= 0; i--)
		{
			int64_t		st = base + w[i].start * MIN,
						en = base + w[i].end * MIN;

			if (en > x)
				en = x;
			if (en <= st)
				continue;
			if (r <= en - st)
			{
				*out = en - r;
				return true;
			}
			r -= en - st;
		}
	}
	if (!find_day_backward(cal, 0, dx - 1, r, &s))
		return false;
	r -= ims_cal_sum_days(cal, 0, s + 1, dx - 1);
	n = ims_cal_day_windows(cal, s, &w);
	base = (int64_t) s * DAY;
	for (i = n - 1; i >= 0; i--)
	{
		int64_t		len = (int64_t) (w[i].end - w[i].start) * MIN;

		if (r <= len)
		{
			*out = base + w[i].end * MIN - r;
			return true;
		}
		r -= len;
	}
	return false;					/* not reached */
}

/* ------------------------------------------------------------------ */
/* transitions and their fix-up zones                                   */

void
ims_cal_attach_zone(ImsCalendar *cal, const ImsZoneOps *zone)
{
	cal->zone = *zone;
	cal->zone_attached = true;
	cal->cache_valid = false;
	cal->ntrans = 0;
	cal->nzimg = 0;
}

typedef struct Img
{
	int64_t		s;
	int64_t		e;
} Img;

static int
cmp_img(const void *a, const void *b)
{
	const Img  *x = a,
			   *y = b;

	return (x->s > y->s) - (x->s < y->s);
}

static bool
grow(ImsCalendar *cal, void **arr, int32_t *cap, int32_t need, size_t elem, int32_t used)
{
	int32_t		ncap;
	void	   *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	n = cal->mem.alloc(cal->mem.arg, (size_t) ncap * elem);
	if (n == NULL)
		return false;
	if (used)
		memcpy(n, *arr, (size_t) used * elem);
	if (*arr && cal->mem.free)
		cal->mem.free(cal->mem.arg, *arr);
	*arr = n;
	*cap = ncap;
	return true;
}

/* Compute the fix-up zone of tr (images appended to cal->zimg). */
static bool
compute_zone(ImsCalendar *cal, ImsTransition *tr)
{
	int64_t		omin = tr->off_before < tr->off_after ? tr->off_before : tr->off_after;
	int64_t		omax = tr->off_before < tr->off_after ? tr->off_after : tr->off_before;
	int64_t		lo = tr->at + omin,
				hi = tr->at + omax;
	int32_t		dlo = day_of(lo) - 2,
				dhi = day_of(hi) + 1,
				d;
	bool		dirty = false;
	int64_t		z1 = INT64_MAX,
				z2 = INT64_MIN;
	Img			img[8 * IMS_CAL_MAX_WINDOWS];
	int			nimg = 0,
				k,
				i;

	tr->z1 = tr->z2 = 0;
	tr->nimg = 0;
	tr->img_first = 0;
	if (omin == omax)
		return true;
	for (d = dlo; d <= dhi; d++)
	{
		const ImsWindow *w;
		int			n = ims_cal_day_windows(cal, d, &w);
		int64_t		base = (int64_t) d * DAY;

		for (i = 0; i < n; i++)
		{
			int64_t		s = base + w[i].start * MIN,
						e = base + w[i].end * MIN;

			if ((s >= lo && s <= hi) || (e >= lo && e <= hi))
				dirty = true;
		}
	}
	if (!dirty)
		return true;
	for (d = dlo; d <= dhi; d++)
	{
		const ImsWindow *w;
		int			n = ims_cal_day_windows(cal, d, &w);
		int64_t		base = (int64_t) d * DAY;

		for (i = 0; i < n; i++)
		{
			int64_t		s = base + w[i].start * MIN,
						e = base + w[i].end * MIN;
			int64_t		us = cal->zone.local_to_utc(cal->zone.arg, s),
						ue = cal->zone.local_to_utc(cal->zone.arg, e);

			if ((s >= lo && s <= hi) || (e >= lo && e <= hi))
			{
				int64_t		a = s - omax < us ? s - omax : us;
				int64_t		b = e - omin > ue ? e - omin : ue;

				if (a < z1)
					z1 = a;
				if (b > z2)
					z2 = b;
			}
			if (ue > us && nimg < (int) (sizeof(img) / sizeof(img[0])))
			{
				img[nimg].s = us;
				img[nimg].e = ue;
				nimg++;
			}
		}
	}
	qsort(img, (size_t) nimg, sizeof(Img), cmp_img);
	/* merge, clip to [z1, z2) */
	k = 0;
	for (i = 0; i < nimg; i++)
	{
		int64_t		s = img[i].s < z1 ? z1 : img[i].s;
		int64_t		e = img[i].e > z2 ? z2 : img[i].e;

		if (e <= s)
			continue;
		if (k > 0 && s <= img[k - 1].e)
		{
			if (e > img[k - 1].e)
				img[k - 1].e = e;
			continue;
		}
		img[k].s = s;
		img[k].e = e;
		k++;
	}
	if (!grow(cal, (void **) &cal->zimg, &cal->zimg_cap, cal->nzimg + 2 * k, sizeof(int64_t), cal->nzimg))
		return false;
	tr->img_first = cal->nzimg;
	for (i = 0; i < k; i++)
	{
		cal->zimg[cal->nzimg++] = img[i].s;
		cal->zimg[cal->nzimg++] = img[i].e;
	}
	tr->nimg = k;
	tr->z1 = z1;
	tr->z2 = z2;
	return true;
}

/* Collect the transitions in (from, to) starting with offset query at from. */
static ImsStatus
collect(ImsCalendar *cal, int64_t from, int64_t to, bool include_to, ImsTransition **out,
		int32_t *nout, int32_t *cap, int64_t *off_from, bool *final, ImsError *err)
{
	int64_t		off,
				next,
				next_off;

	*nout = 0;
	*final = false;
	if (!cal->zone.offset_at(cal->zone.arg, from, &off, &next, &next_off))
		return ims_fail(err, IMS_ERR_INTERNAL, "time zone \"%s\" failed to convert a time", cal->tz);
	*off_from = off;
	while (next != INT64_MAX && (next < to || (include_to && next == to)))
	{
		ImsTransition tr;
		int64_t		o2,
					n2,
					no2;

		if (*nout >= MAX_TRANS)
			return ims_fail(err, IMS_ERR_RANGE, "span too long for time zone \"%s\"", cal->tz);
		memset(&tr, 0, sizeof(tr));
		tr.at = next;
		tr.off_before = off;
		tr.off_after = next_off;
		if (!grow(cal, (void **) out, cap, *nout + 1, sizeof(ImsTransition), *nout))
			return ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
		(*out)[(*nout)++] = tr;
		if (!cal->zone.offset_at(cal->zone.arg, next, &o2, &n2, &no2))
			return ims_fail(err, IMS_ERR_INTERNAL, "time zone \"%s\" failed to convert a time", cal->tz);
		if (n2 <= next)
			return ims_fail(err, IMS_ERR_INTERNAL, "time zone \"%s\" reported transitions out of order", cal->tz);
		off = o2;
		next = n2;
		next_off = no2;
	}
	if (next == INT64_MAX)
		*final = true;
	return IMS_OK;
}

static ImsStatus
zones_for(ImsCalendar *cal, ImsTransition *t, int32_t n, ImsError *err)
{
	int32_t		i;

	for (i = 0; i < n; i++)
	{
		if (!compute_zone(cal, &t[i]))
			return ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
		t[i].band = ims_cal_local_measure(cal, t[i].at + t[i].off_after, t[i].at + t[i].off_before);
	}
	return IMS_OK;
}

/* Prefix sums of band adjustments and zone counts over the cache. */
static void
finish_prefix(ImsCalendar *cal)
{
	int64_t		b = 0;
	int32_t		z = 0,
				i;

	for (i = 0; i < cal->ntrans; i++)
	{
		cal->trans[i].cum_band = b;
		cal->trans[i].cum_zones = z;
		b += cal->trans[i].band;
		z += cal->trans[i].z1 < cal->trans[i].z2 ? 1 : 0;
	}
	cal->band_total = b;
	cal->zones_total = z;
}

/* Make sure the transitions in [lo, hi] are cached. */
static ImsStatus
ensure_cover(ImsCalendar *cal, int64_t lo, int64_t hi, ImsError *err)
{
	ImsStatus	st;
	ImsTransition *tmp = NULL;
	int32_t		ntmp = 0,
				cap = 0;
	int64_t		off;
	bool		final;

	if (lo < TS_FLOOR)
		lo = TS_FLOOR;
	if (hi > TS_CEIL - 1)
		hi = TS_CEIL - 1;
	if (cal->cache_valid && lo >= cal->cov_lo && hi < cal->cov_hi)
		return IMS_OK;
	if (lo < TS_FLOOR)
		lo = TS_FLOOR;
	if (hi > TS_CEIL)
		hi = TS_CEIL;

	if (!cal->cache_valid || cal->ntrans > MAX_TRANS)
	{
		int64_t		from = lo - CACHE_PAD,
					to = hi > TS_CEIL - CACHE_PAD ? TS_CEIL : hi + CACHE_PAD;
		int64_t		o0,
					n0,
					no0;

		cal->ntrans = 0;
		cal->nzimg = 0;
		/* a zone without any transition is fixed for all time */
		if (!cal->zone.offset_at(cal->zone.arg, IMS_MIN_TIMESTAMP - 4 * CACHE_PAD, &o0, &n0, &no0))
			return ims_fail(err, IMS_ERR_INTERNAL, "time zone \"%s\" failed to convert a time", cal->tz);
		if (n0 == INT64_MAX)
		{
			cal->cov_lo = INT64_MIN;
			cal->cov_hi = INT64_MAX;
			cal->off_lo = o0;
			cal->cache_valid = true;
			finish_prefix(cal);
			return IMS_OK;
		}
		st = collect(cal, from, to, false, &cal->trans, &cal->ntrans, &cal->trans_cap, &off, &final, err);
		if (st != IMS_OK)
			return st;
		st = zones_for(cal, cal->trans, cal->ntrans, err);
		if (st != IMS_OK)
			return st;
		cal->cov_lo = from;
		cal->cov_hi = final ? INT64_MAX : to;
		cal->off_lo = off;
		cal->cache_valid = true;
		finish_prefix(cal);
		return IMS_OK;
	}

	if (lo < cal->cov_lo)
	{
		int64_t		from = lo - CACHE_PAD;

		st = collect(cal, from, cal->cov_lo, true, &tmp, &ntmp, &cap, &off, &final, err);
		if (st == IMS_OK)
			st = zones_for(cal, tmp, ntmp, err);
		if (st == IMS_OK && !grow(cal, (void **) &cal->trans, &cal->trans_cap, cal->ntrans + ntmp,
								  sizeof(ImsTransition), cal->ntrans))
			st = ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
		if (st != IMS_OK)
		{
			if (tmp && cal->mem.free)
				cal->mem.free(cal->mem.arg, tmp);
			return st;
		}
		memmove(cal->trans + ntmp, cal->trans, sizeof(ImsTransition) * (size_t) cal->ntrans);
		if (ntmp)
			memcpy(cal->trans, tmp, sizeof(ImsTransition) * (size_t) ntmp);
		cal->ntrans += ntmp;
		cal->cov_lo = from;
		cal->off_lo = off;
		if (tmp && cal->mem.free)
			cal->mem.free(cal->mem.arg, tmp);
		tmp = NULL;
		ntmp = cap = 0;
	}
	if (hi >= cal->cov_hi)
	{
		int64_t		to = hi > TS_CEIL - CACHE_PAD ? TS_CEIL : hi + CACHE_PAD;

		st = collect(cal, cal->cov_hi - 1, to, false, &tmp, &ntmp, &cap, &off, &final, err);
		if (st == IMS_OK)
			st = zones_for(cal, tmp, ntmp, err);
		if (st == IMS_OK && !grow(cal, (void **) &cal->trans, &cal->trans_cap, cal->ntrans + ntmp,
								  sizeof(ImsTransition), cal->ntrans))
			st = ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
		if (st != IMS_OK)
		{
			if (tmp && cal->mem.free)
				cal->mem.free(cal->mem.arg, tmp);
			return st;
		}
		if (ntmp)
			memcpy(cal->trans + cal->ntrans, tmp, sizeof(ImsTransition) * (size_t) ntmp);
		cal->ntrans += ntmp;
		cal->cov_hi = final ? INT64_MAX : to;
		if (tmp && cal->mem.free)
			cal->mem.free(cal->mem.arg, tmp);
	}
	finish_prefix(cal);
	return IMS_OK;
}

/* Index of the first cached transition with at > u (branch-free search). */
static inline int32_t
trans_after(const ImsCalendar *cal, int64_t u)
{
	const ImsTransition *base = cal->trans;
	int32_t		n = cal->ntrans;

	if (n == 0)
		return 0;
	while (n > 1)
	{
		int32_t		half = n / 2;

		base = (base[half].at <= u) ? base + half : base;
		n -= half;
	}
	return (int32_t) (base - cal->trans) + (base->at <= u ? 1 : 0);
}

/* Offset in force at u (u covered by the cache). */
static int64_t
offset_cached(const ImsCalendar *cal, int64_t u)
{
	int32_t		i = trans_after(cal, u);

	return i == 0 ? cal->off_lo : cal->trans[i - 1].off_after;
}

static inline int64_t
cum_band(const ImsCalendar *cal, int32_t k)
{
	return k < cal->ntrans ? cal->trans[k].cum_band : cal->band_total;
}

static inline int32_t
cum_zones(const ImsCalendar *cal, int32_t k)
{
	return k < cal->ntrans ? cal->trans[k].cum_zones : cal->zones_total;
}

/*
 * Segmented measure of [a, b), a <= b: instants whose local time lies in a
 * window, no fix-ups.  Telescoped over the transitions inside: O(log n).
 */
static int64_t
seg_measure(const ImsCalendar *cal, int64_t a, int64_t b)
{
	int32_t		i = trans_after(cal, a);
	int32_t		j = i;			/* transitions in (a, b) are i .. j-1 */
	int64_t		o0 = i == 0 ? cal->off_lo : cal->trans[i - 1].off_after;
	int64_t		on;

	while (j < cal->ntrans && cal->trans[j].at < b)
	{
		if (j - i > 8)
		{
			j = trans_after(cal, b - 1);
			break;
		}
		j++;
	}
	on = j > i ? cal->trans[j - 1].off_after : o0;
	return ims_cal_local_measure(cal, a + o0, b + on) + (cum_band(cal, j) - cum_band(cal, i));
}

static int64_t
img_measure(const ImsCalendar *cal, const ImsTransition *t, int64_t p, int64_t q)
{
	int32_t		i;
	int64_t		v = 0;

	for (i = 0; i < t->nimg; i++)
	{
		int64_t		s = cal->zimg[t->img_first + 2 * i],
					e = cal->zimg[t->img_first + 2 * i + 1];

		if (s < p)
			s = p;
		if (e > q)
			e = q;
		if (e > s)
			v += e - s;
	}
	return v;
}

static ImsStatus
check_attached(const ImsCalendar *cal, ImsError *err)
{
	if (!cal->zone_attached)
		return ims_fail(err, IMS_ERR_INTERNAL, "calendar used without a time zone");
	return IMS_OK;
}

static ImsStatus
check_ts(int64_t t, ImsError *err)
{
	if (t < IMS_MIN_TIMESTAMP || t >= IMS_END_TIMESTAMP)
		return ims_fail(err, IMS_ERR_RANGE, "timestamp out of range");
	return IMS_OK;
}

/* measure of [a, b), a <= b, exact definition */
static ImsStatus
measure(ImsCalendar *cal, int64_t a, int64_t b, int64_t *res, ImsError *err)
{
	ImsStatus	st = ensure_cover(cal, a - ZONE_REACH, b + ZONE_REACH, err);
	int32_t		i;
	int64_t		v;

	if (st != IMS_OK)
		return st;
	v = seg_measure(cal, a, b);
	if (cal->zones_total == 0)
	{
		*res = v;
		return IMS_OK;
	}
	/* fix-up zones touching [a, b) */
	i = trans_after(cal, a - ZONE_REACH);
	if (cum_zones(cal, trans_after(cal, b + ZONE_REACH)) == cum_zones(cal, i))
	{
		*res = v;
		return IMS_OK;
	}
	for (; i < cal->ntrans && cal->trans[i].at <= b + ZONE_REACH; i++)
	{
		const ImsTransition *t = &cal->trans[i];
		int64_t		p,
					q;

		if (t->z1 >= t->z2)
			continue;
		p = a > t->z1 ? a : t->z1;
		q = b < t->z2 ? b : t->z2;
		if (p >= q)
			continue;
		v += img_measure(cal, t, p, q) - seg_measure(cal, p, q);
	}
	*res = v;
	return IMS_OK;
}

ImsStatus
ims_cal_business_time(ImsCalendar *cal, int64_t from, int64_t to, int64_t *result, ImsError *err)
{
	ImsStatus	st;
	int64_t		v;

	if ((st = check_attached(cal, err)) != IMS_OK || (st = check_ts(from, err)) != IMS_OK ||
		(st = check_ts(to, err)) != IMS_OK)
		return st;
	if (from == to)
	{
		*result = 0;
		return IMS_OK;
	}
	if (from < to)
		st = measure(cal, from, to, &v, err);
	else
	{
		st = measure(cal, to, from, &v, err);
		v = -v;
	}
	if (st == IMS_OK)
		*result = v;
	return st;
}

static ImsStatus
no_time(ImsCalendar *cal, ImsError *err, bool forward)
{
	if (cal->open_forever)
		return ims_fail(err, IMS_ERR_RANGE, "timestamp out of range");
	ims_fail(err, IMS_ERR_NO_TIME, "not enough business time in the calendar %s this instant",
			 forward ? "after" : "before");
	ims_fail_detail(err, "The calendar's opening hours, closed dates and date-specific entries leave too little business time within the range of timestamps.");
	return IMS_ERR_NO_TIME;
}

/* Zone of a transition near index i containing u (forward: z1 <= u < z2). */
static const ImsTransition *
zone_at(const ImsCalendar *cal, int32_t i, int64_t u, bool forward)
{
	int32_t		j;

	for (j = i - 2; j <= i + 1; j++)
	{
		const ImsTransition *t;

		if (j < 0 || j >= cal->ntrans)
			continue;
		t = &cal->trans[j];
		if (t->z1 >= t->z2)
			continue;
		if (forward ? (t->z1 <= u && u < t->z2) : (t->z1 < u && u <= t->z2))
			return t;
	}
	return NULL;
}

static ImsStatus
add_forward(ImsCalendar *cal, int64_t t, int64_t r, int64_t *result, ImsError *err)
{
	int64_t		u = t;
	ImsStatus	st;

	for (;;)
	{
		int32_t		i,
					j;
		const ImsTransition *z;
		int64_t		o,
					p,
					m,
					y;

		if (u >= IMS_END_TIMESTAMP)
			return ims_fail(err, IMS_ERR_RANGE, "timestamp out of range");
		if (!cal->open_forever && day_of(u - 2 * DAY) > cal->last_override_day)
			return no_time(cal, err, true);
		st = ensure_cover(cal, u - ZONE_REACH, u + 2 * ZONE_REACH, err);
		if (st != IMS_OK)
			return st;
		i = trans_after(cal, u);
		o = i == 0 ? cal->off_lo : cal->trans[i - 1].off_after;
		z = zone_at(cal, i, u, true);
		if (z)
		{
			int32_t		k;

			for (k = 0; k < z->nimg; k++)
			{
				int64_t		s = cal->zimg[z->img_first + 2 * k],
							e = cal->zimg[z->img_first + 2 * k + 1];

				if (s < u)
					s = u;
				if (e <= s)
					continue;
				if (r <= e - s)
				{
					*result = s + r;
					return check_ts(*result, err);
				}
				r -= e - s;
			}
			u = z->z2;
			continue;
		}
		/* next boundary: a transition, a zone start or the end of the cache */
		p = cal->cov_hi;
		if (i < cal->ntrans && cal->trans[i].at < p)
			p = cal->trans[i].at;
		for (j = i - 1; j <= i + 2; j++)
			if (j >= 0 && j < cal->ntrans && cal->trans[j].z1 < cal->trans[j].z2 &&
				cal->trans[j].z1 > u && cal->trans[j].z1 < p)
				p = cal->trans[j].z1;
		/* not enough before the boundary: take what is there and go on */
		if (p != INT64_MAX && (m = ims_cal_local_measure(cal, u + o, p + o)) < r)
		{
			r -= m;
			u = p;
			continue;
		}
		/* the rest lies in one stretch of constant offset o */
		if (!local_add(cal, u + o, r, &y))
			return no_time(cal, err, true);
		*result = y - o;
		return check_ts(*result, err);
	}
}

static ImsStatus
add_backward(ImsCalendar *cal, int64_t t, int64_t r, int64_t *result, ImsError *err)
{
	int64_t		u = t;
	ImsStatus	st;

	for (;;)
	{
		int32_t		i,
					j;
		const ImsTransition *z;
		int64_t		o,
					p,
					m,
					y;

		if (u <= IMS_MIN_TIMESTAMP)
			return ims_fail(err, IMS_ERR_RANGE, "timestamp out of range");
		if (!cal->open_forever &&
			(cal->nover == 0 || day_of(u) + 2 < cal->over[0].day))
			return no_time(cal, err, false);
		st = ensure_cover(cal, u - 2 * ZONE_REACH, u + ZONE_REACH, err);
		if (st != IMS_OK)
			return st;
		i = trans_after(cal, u - 1);	/* transitions at <= u-1 lie before */
		o = i == 0 ? cal->off_lo : cal->trans[i - 1].off_after;
		z = zone_at(cal, i, u, false);
		if (z)
		{
			int32_t		k;

			for (k = z->nimg - 1; k >= 0; k--)
			{
				int64_t		s = cal->zimg[z->img_first + 2 * k],
							e = cal->zimg[z->img_first + 2 * k + 1];

				if (e > u)
					e = u;
				if (e <= s)
					continue;
				if (r <= e - s)
				{
					*result = e - r;
					return check_ts(*result, err);
				}
				r -= e - s;
			}
			u = z->z1;
			continue;
		}
		p = cal->cov_lo;
		if (i > 0 && cal->trans[i - 1].at > p)
			p = cal->trans[i - 1].at;
		for (j = i - 2; j <= i + 1; j++)
			if (j >= 0 && j < cal->ntrans && cal->trans[j].z1 < cal->trans[j].z2 &&
				cal->trans[j].z2 < u && cal->trans[j].z2 > p)
				p = cal->trans[j].z2;
		/* not enough after the boundary: take what is there and go on */
		if (p != INT64_MIN && (m = ims_cal_local_measure(cal, p + o, u + o)) < r)
		{
			r -= m;
			u = p;
			continue;
		}
		/* the rest lies in one stretch of constant offset o */
		if (!local_sub(cal, u + o, r, &y))
			return no_time(cal, err, false);
		*result = y - o;
		return check_ts(*result, err);
	}
}

ImsStatus
ims_cal_business_add(ImsCalendar *cal, int64_t t, int64_t d, int64_t *result, ImsError *err)
{
	ImsStatus	st;

	if ((st = check_attached(cal, err)) != IMS_OK || (st = check_ts(t, err)) != IMS_OK)
		return st;
	if (d == 0)
	{
		*result = t;
		return IMS_OK;
	}
	if (d == INT64_MIN)
		return ims_fail(err, IMS_ERR_RANGE, "interval out of range");
	if (d > 0)
		return add_forward(cal, t, d, result, err);
	return add_backward(cal, t, -d, result, err);
}

ImsStatus
ims_cal_is_business_time(ImsCalendar *cal, int64_t t, bool *result, ImsError *err)
{
	int64_t		v;
	ImsStatus	st;

	if ((st = check_attached(cal, err)) != IMS_OK || (st = check_ts(t, err)) != IMS_OK)
		return st;
	st = measure(cal, t, t + 1, &v, err);
	if (st == IMS_OK)
		*result = (v == 1);
	return st;
}

ImsStatus
ims_cal_next_business_time(ImsCalendar *cal, int64_t t, int64_t *result, ImsError *err)
{
	int64_t		v;
	ImsStatus	st = ims_cal_business_add(cal, t, 1, &v, err);

	if (st == IMS_OK)
		*result = v - 1;
	return st;
}

ImsStatus
ims_cal_business_days_add(ImsCalendar *cal, int64_t t, int32_t n, int64_t *result, ImsError *err)
{
	ImsStatus	st;
	int64_t		o,
				l,
				tod;
	int32_t		d0,
				d;

	if ((st = check_attached(cal, err)) != IMS_OK || (st = check_ts(t, err)) != IMS_OK)
		return st;
	if (n == 0)
	{
		*result = t;
		return IMS_OK;
	}
	st = ensure_cover(cal, t - ZONE_REACH, t + ZONE_REACH, err);
	if (st != IMS_OK)
		return st;
	o = offset_cached(cal, t);
	l = t + o;
	d0 = day_of(l);
	tod = l - (int64_t) d0 * DAY;
	if (n > 0)
	{
		int32_t		e;

		if (!find_day_forward(cal, 1, d0 + 1, n, &e))
			return no_time(cal, err, true);
		d = e - 1;
	}
	else
	{
		if (!find_day_backward(cal, 1, d0, -(int64_t) n, &d))
			return no_time(cal, err, false);
	}
	if (d <= DAY_MIN + 8 || d >= DAY_MAX - 8)
		return ims_fail(err, IMS_ERR_RANGE, "timestamp out of range");
	*result = cal->zone.local_to_utc(cal->zone.arg, (int64_t) d * DAY + tod);
	return check_ts(*result, err);
}
