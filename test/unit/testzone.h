/*
 * testzone.h — time zones for the core unit tests and fuzz targets, without
 * PostgreSQL: "UTC", "Fixed+2" (UTC+2 all year) and "TestEU" (UTC+1, UTC+2
 * from the last Sunday of March to the last Sunday of October, switching at
 * 01:00 UTC, years 1970-2100), whose local-to-UTC conversion copies
 * PostgreSQL's DetermineTimeZoneOffset rule (the later instant in a gap or an
 * overlap).  Also a malloc allocator and a brute-force reference measure.
 */
#ifndef IMS_TESTZONE_H
#define IMS_TESTZONE_H

#include <stdlib.h>
#include <string.h>

#include "core/calendar_math.h"

#define TZ_H IMS_USECS_PER_HOUR
#define TZ_D IMS_USECS_PER_DAY

typedef struct TestZone
{
	int			kind;			/* 0 UTC, 1 fixed +2, 2 EU rule */
	int			n;
	int64_t		at[400];
	int64_t		after[400];
} TestZone;

static TestZone tz_utc = {0, 0, {0}, {0}},
			tz_fixed = {1, 0, {0}, {0}},
			tz_eu = {2, 0, {0}, {0}};

static inline int32_t
tz_last_sunday(int32_t y, int m)
{
	int32_t		d = ims_days_from_civil(y, m, ims_days_in_month(y, m));

	while (ims_iso_weekday(d) != 7)
		d--;
	return d;
}

static inline void
tz_init(void)
{
	int32_t		y;

	tz_eu.n = 0;
	for (y = 1970; y <= 2100; y++)
	{
		tz_eu.at[tz_eu.n] = (int64_t) tz_last_sunday(y, 3) * TZ_D + TZ_H;
		tz_eu.after[tz_eu.n++] = 2 * TZ_H;
		tz_eu.at[tz_eu.n] = (int64_t) tz_last_sunday(y, 10) * TZ_D + TZ_H;
		tz_eu.after[tz_eu.n++] = 1 * TZ_H;
	}
}

static inline bool
tz_offset_at(void *arg, int64_t u, int64_t *off, int64_t *next, int64_t *next_off)
{
	TestZone   *z = arg;
	int			i;

	if (z->kind == 0 || z->kind == 1)
	{
		*off = z->kind == 0 ? 0 : 2 * TZ_H;
		*next = INT64_MAX;
		*next_off = *off;
		return true;
	}
	for (i = 0; i < z->n && z->at[i] <= u; i++)
		;
	*off = i == 0 ? TZ_H : z->after[i - 1];
	if (i == z->n)
	{
		*next = INT64_MAX;
		*next_off = *off;
	}
	else
	{
		*next = z->at[i];
		*next_off = z->after[i];
	}
	return true;
}

/* PostgreSQL's DetermineTimeZoneOffset, on microseconds. */
static inline int64_t
tz_local_to_utc(void *arg, int64_t l)
{
	int64_t		ob,
				T,
				oa,
				bt,
				at;

	if (!tz_offset_at(arg, l - TZ_D, &ob, &T, &oa) || T == INT64_MAX)
		return l - ob;
	bt = l - ob;
	at = l - oa;
	if (bt < T && at < T)
		return bt;
	if (bt >= T && at >= T)
		return at;
	return bt > at ? bt : at;
}

static inline bool
tz_check(void *arg, const char *name, char *canon, size_t sz)
{
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Fixed+2") == 0 || strcmp(name, "TestEU") == 0)
	{
		strncpy(canon, name, sz - 1);
		canon[sz - 1] = '\0';
		return true;
	}
	if (strcmp(name, "testeu") == 0)
	{
		strncpy(canon, "TestEU", sz - 1);
		return true;
	}
	return false;
}

static inline void *
tz_alloc(void *arg, size_t n)
{
	return malloc(n);
}

static inline void
tz_free(void *arg, void *p)
{
	free(p);
}

static const ImsMem tz_mem = {tz_alloc, tz_free, NULL};

static inline void
tz_attach(ImsCalendar *cal)
{
	ImsZoneOps	ops;

	ops.offset_at = tz_offset_at;
	ops.local_to_utc = tz_local_to_utc;
	ops.arg = strcmp(cal->tz, "TestEU") == 0 ? (void *) &tz_eu :
		strcmp(cal->tz, "Fixed+2") == 0 ? (void *) &tz_fixed : (void *) &tz_utc;
	ims_cal_attach_zone(cal, &ops);
}

static inline ImsCalendar *
tz_parse(const char *text)
{
	ImsCalendar *cal = NULL;
	ImsError	err;

	if (ims_cal_parse(text, strlen(text), &tz_mem, tz_check, NULL, &cal, &err) != IMS_OK)
		return NULL;
	tz_attach(cal);
	return cal;
}

/* ---- brute-force reference: images of every window, merged ---- */

typedef struct RefImg
{
	int64_t		s,
				e;
} RefImg;

static inline int
ref_cmp(const void *a, const void *b)
{
	const RefImg *x = a,
			   *y = b;

	return (x->s > y->s) - (x->s < y->s);
}

/* merged images of windows of days [d1, d2]; caller frees */
static inline RefImg *
ref_images(ImsCalendar *cal, int32_t d1, int32_t d2, int *nout)
{
	int			cap = 64,
				n = 0,
				k = 0,
				i;
	RefImg	   *v = malloc(sizeof(RefImg) * (size_t) cap);
	int32_t		d;

	for (d = d1; d <= d2; d++)
	{
		const ImsWindow *w;
		int			nw = ims_cal_day_windows(cal, d, &w);

		for (i = 0; i < nw; i++)
		{
			int64_t		s = cal->zone.local_to_utc(cal->zone.arg, (int64_t) d * TZ_D + w[i].start * IMS_USECS_PER_MIN);
			int64_t		e = cal->zone.local_to_utc(cal->zone.arg, (int64_t) d * TZ_D + w[i].end * IMS_USECS_PER_MIN);

			if (e <= s)
				continue;
			if (n == cap)
			{
				cap *= 2;
				v = realloc(v, sizeof(RefImg) * (size_t) cap);
			}
			v[n].s = s;
			v[n].e = e;
			n++;
		}
	}
	qsort(v, (size_t) n, sizeof(RefImg), ref_cmp);
	for (i = 0; i < n; i++)
	{
		if (k > 0 && v[i].s <= v[k - 1].e)
		{
			if (v[i].e > v[k - 1].e)
				v[k - 1].e = v[i].e;
			continue;
		}
		v[k++] = v[i];
	}
	*nout = k;
	return v;
}

static inline int64_t
ref_measure(ImsCalendar *cal, int64_t a, int64_t b)
{
	int			n,
				i;
	RefImg	   *v;
	int64_t		sum = 0;

	if (a > b)
		return -ref_measure(cal, b, a);
	v = ref_images(cal, (int32_t) ims_floor_div(a, TZ_D) - 3, (int32_t) ims_floor_div(b, TZ_D) + 3, &n);
	for (i = 0; i < n; i++)
	{
		int64_t		s = v[i].s < a ? a : v[i].s,
					e = v[i].e > b ? b : v[i].e;

		if (e > s)
			sum += e - s;
	}
	free(v);
	return sum;
}

/* earliest t2 >= t with ref_measure(t, t2) = r (r > 0), searching up to horizon days */
static inline bool
ref_add(ImsCalendar *cal, int64_t t, int64_t r, int horizon, int64_t *out)
{
	int			n,
				i;
	RefImg	   *v;
	int32_t		d = (int32_t) ims_floor_div(t, TZ_D);

	v = ref_images(cal, d - 3, d + horizon, &n);
	for (i = 0; i < n; i++)
	{
		int64_t		s = v[i].s < t ? t : v[i].s;

		if (v[i].e <= s)
			continue;
		if (r <= v[i].e - s)
		{
			*out = s + r;
			free(v);
			return true;
		}
		r -= v[i].e - s;
	}
	free(v);
	return false;
}

/* latest t2 <= t with ref_measure(t2, t) = r (r > 0) */
static inline bool
ref_sub(ImsCalendar *cal, int64_t t, int64_t r, int horizon, int64_t *out)
{
	int			n,
				i;
	RefImg	   *v;
	int32_t		d = (int32_t) ims_floor_div(t, TZ_D);

	v = ref_images(cal, d - horizon, d + 3, &n);
	for (i = n - 1; i >= 0; i--)
	{
		int64_t		e = v[i].e > t ? t : v[i].e;

		if (e <= v[i].s)
			continue;
		if (r <= e - v[i].s)
		{
			*out = e - r;
			free(v);
			return true;
		}
		r -= e - v[i].s;
	}
	free(v);
	return false;
}

#endif							/* IMS_TESTZONE_H */
