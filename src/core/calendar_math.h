/*
 * calendar_math.h — business calendars in plain C (no PostgreSQL headers).
 *
 * A calendar is a time zone name, weekly opening hours (windows of local wall
 * time, several per weekday, overnight windows running into the next day),
 * closed dates (single dates, inclusive ranges, yearly MM-DD) and
 * date-specific hours that replace a date's windows.  SPEC section 1.
 *
 * Time is counted in microseconds, as PostgreSQL counts it: a UTC instant is
 * microseconds since 2000-01-01 00:00 UTC (a timestamptz); a local wall time
 * is microseconds since 2000-01-01 00:00 local time (a timestamp without time
 * zone).  Local day D covers local times [D*day, (D+1)*day).
 *
 * Time zones come in through ImsZoneOps, filled by the caller: the SQL glue
 * fills it with PostgreSQL's own zone code (src/calendar.c), unit tests with
 * fixed offsets or a hand-written DST rule.
 *
 * The business clock runs at UTC instant u when u lies in the image of some
 * window: a window [s, e) of local day D maps to [utc(D+s), utc(D+e)), where
 * utc() is the zone's local-to-UTC conversion (PostgreSQL's, which takes the
 * later instant in a gap or overlap).  Instants covered by two images count
 * once.  How this is computed without walking days: calendar_math.c.
 */
#ifndef IMS_CORE_CALENDAR_MATH_H
#define IMS_CORE_CALENDAR_MATH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/civil.h"
#include "core/ims_status.h"

#define IMS_CAL_FORMAT_VERSION	1		/* first byte of the stored value */
#define IMS_CAL_MAX_TEXT		65536	/* longest accepted text input */
#define IMS_CAL_MAX_WINDOWS		48	/* windows per weekday or date */
#define IMS_CAL_MAX_DATES		20000	/* date-specific entries (after expanding ranges) */
#define IMS_CAL_MAX_CLOSED		20000	/* closed date items */
#define IMS_CAL_TZ_MAX			64	/* longest zone name, with the NUL */
#define IMS_MINUTE_USECS		IMS_USECS_PER_MIN

/* PostgreSQL's timestamp range (MIN_TIMESTAMP .. END_TIMESTAMP - 1). */
#define IMS_MIN_TIMESTAMP	INT64_C(-211813488000000000)
#define IMS_END_TIMESTAMP	INT64_C(9223371331200000000)

/* Calendar dates are limited to years 0001..9999 (four-digit text form). */
#define IMS_CAL_MIN_YEAR	1
#define IMS_CAL_MAX_YEAR	9999

/* One opening window: minutes after local midnight of its day.  end is at
 * most start + 1440 and may exceed 1440 (an overnight window). */
typedef struct ImsWindow
{
	int32_t		start;
	int32_t		end;
} ImsWindow;

/* Inclusive range of day numbers. */
typedef struct ImsDayRange
{
	int32_t		first;
	int32_t		last;
} ImsDayRange;

/* Date-specific windows: nwin windows at ovwin[first ...]. */
typedef struct ImsOverride
{
	int32_t		day;
	int32_t		nwin;
	int32_t		first;
} ImsOverride;

/*
 * Zone interface.  offset_at gives the offset (local minus UTC, microseconds)
 * in force at UTC instant u, the next instant > u at which the offset may
 * change (INT64_MAX when none is known) and the offset from then on; it
 * returns false when the zone library fails.  local_to_utc converts a local
 * wall time the way PostgreSQL's `timestamp AT TIME ZONE` does (the later
 * instant for a time in a gap or an overlap).
 */
typedef struct ImsZoneOps
{
	bool		(*offset_at) (void *arg, int64_t u, int64_t *off, int64_t *next, int64_t *next_off);
	int64_t		(*local_to_utc) (void *arg, int64_t local);
	void	   *arg;
} ImsZoneOps;

/* Allocator for everything a calendar owns (the glue passes palloc in a
 * memory context; free may be NULL when memory is reclaimed in bulk). */
typedef struct ImsMem
{
	void	   *(*alloc) (void *arg, size_t size);
	void		(*free) (void *arg, void *p);
	void	   *arg;
} ImsMem;

/* Validates a zone name and writes its canonical spelling into canon. */
typedef bool (*ImsZoneCheck) (void *arg, const char *name, char *canon, size_t canonsz);

/* A DST transition seen by the calendar, with its fix-up zone (see .c). */
typedef struct ImsTransition
{
	int64_t		at;				/* first instant with the new offset */
	int64_t		off_before;
	int64_t		off_after;
	int64_t		z1;				/* zone [z1, z2) with explicit images; z1 == z2: none */
	int64_t		z2;
	int32_t		nimg;
	int32_t		img_first;		/* images in cal->zimg[img_first ...], merged, sorted */
	int64_t		band;			/* local business time skipped (<0) or repeated (>0) */
	int64_t		cum_band;		/* sum of band over the cached transitions before this one */
	int32_t		cum_zones;		/* number of fix-up zones before this one */
} ImsTransition;

/* Per-metric derived data: metric 0 = business microseconds, 1 = business days. */
typedef struct ImsCalMetric
{
	int64_t		wk[7];			/* value of each weekday (0 = Monday) */
	int64_t		wkcum[15];		/* wkcum[i] = sum of wk[j % 7] for j < i */
	int64_t		week;			/* sum of wk */
	int64_t    *closed_wk;		/* prefix over closed ranges of weekly value */
	int64_t    *closed_y;		/* prefix over closed ranges of yearly-closed value */
	int64_t    *ov;				/* prefix over overrides of (override - base) */
	int64_t    *ycum[2][7];		/* [leap][jan1 weekday] prefix over yearly list */
	int64_t		y400;			/* yearly-closed value over a 400-year cycle */
} ImsCalMetric;

/* Memo of the windows in force on a day (direct-mapped by day number). */
#define IMS_DAY_MEMO 512
typedef struct ImsDayMemo
{
	int32_t		day;
	int32_t		n;
	const ImsWindow *w;
} ImsDayMemo;

typedef struct ImsCalendar
{
	char		tz[IMS_CAL_TZ_MAX];
	int32_t		nwk[7];
	ImsWindow	wk[7][IMS_CAL_MAX_WINDOWS];
	int32_t		nclosed;
	ImsDayRange *closed;		/* sorted, merged (adjacent ranges joined) */
	int32_t		nyearly;
	uint16_t   *yearly;			/* sorted month*100+day */
	uint8_t		yearly_set[13][32];
	int32_t		ny_doy[2];		/* yearly entries valid in a non-leap / leap year */
	int16_t    *y_doy[2];		/* their day of year (0-based), sorted */
	int32_t		nover;
	ImsOverride *over;			/* sorted by day */
	int32_t		novwin;
	ImsWindow  *ovwin;

	/* derived by ims_cal_prepare */
	ImsCalMetric m[2];
	bool		open_forever;	/* weekly hours survive the yearly closings */
	int32_t		last_override_day;

	ImsDayMemo	memo[IMS_DAY_MEMO];	/* filled lazily by ims_cal_day_windows */

	/* run-time state (set by ims_cal_attach_zone) */
	ImsMem		mem;
	ImsZoneOps	zone;
	bool		zone_attached;
	bool		cache_valid;
	int64_t		cov_lo;			/* transitions in [cov_lo, cov_hi) are listed */
	int64_t		cov_hi;
	int64_t		off_lo;			/* offset in force at cov_lo */
	int32_t		ntrans;
	int32_t		trans_cap;
	ImsTransition *trans;
	int64_t		band_total;		/* sum of band over all cached transitions */
	int32_t		zones_total;
	int32_t		nzimg;
	int32_t		zimg_cap;
	int64_t    *zimg;			/* pairs of UTC instants */
} ImsCalendar;

/* ---- text form (calendar_parse.c) ---- */

/*
 * Parse text (len bytes, need not be NUL-terminated) into a new calendar.
 * zone_check validates the tz clause; NULL accepts only "UTC".  The result is
 * prepared (ims_cal_prepare) but has no zone attached.
 */
extern ImsStatus ims_cal_parse(const char *text, size_t len, const ImsMem *mem,
							   ImsZoneCheck zone_check, void *zone_arg,
							   ImsCalendar **out, ImsError *err);

/* Canonical text; returns a NUL-terminated string allocated with mem. */
extern char *ims_cal_print(const ImsCalendar *cal, const ImsMem *mem);

/* Structural equality of two parsed calendars. */
extern bool ims_cal_equal(const ImsCalendar *a, const ImsCalendar *b);

/* Release a calendar and everything it owns (needs mem->free). */
extern void ims_cal_free(ImsCalendar *cal);

/* Print "HH:MM" for minutes m (0..2880 printed modulo a day, 24:00 kept). */
extern void ims_cal_format_hm(int32_t m, bool is_end, char *buf);

/* ---- arithmetic (calendar_math.c) ---- */

/* Compute the derived tables; called by ims_cal_parse. */
extern ImsStatus ims_cal_prepare(ImsCalendar *cal, ImsError *err);

/* Attach the zone implementation; must be done before any call below. */
extern void ims_cal_attach_zone(ImsCalendar *cal, const ImsZoneOps *zone);

/* Windows in force for local day `day` (date-specific, closed or weekly). */
extern int	ims_cal_day_windows(const ImsCalendar *cal, int32_t day, const ImsWindow **w);

/* Business time in [from, to) in microseconds; negative when to < from. */
extern ImsStatus ims_cal_business_time(ImsCalendar *cal, int64_t from, int64_t to,
									   int64_t *result, ImsError *err);

/* Earliest t2 >= t with business_time(t, t2) = d (d > 0), latest t2 <= t
 * with business_time(t2, t) = -d (d < 0), t itself when d = 0. */
extern ImsStatus ims_cal_business_add(ImsCalendar *cal, int64_t t, int64_t d,
									  int64_t *result, ImsError *err);

/* t moved to the same local wall time n business dates later (earlier). */
extern ImsStatus ims_cal_business_days_add(ImsCalendar *cal, int64_t t, int32_t n,
										   int64_t *result, ImsError *err);

extern ImsStatus ims_cal_is_business_time(ImsCalendar *cal, int64_t t, bool *result,
										  ImsError *err);

/* t when the clock runs at t, else the start of the next open window. */
extern ImsStatus ims_cal_next_business_time(ImsCalendar *cal, int64_t t, int64_t *result,
											ImsError *err);

/* Local-time helpers, exposed for tests: business time of the local open set
 * in local [x, y) (signed), and the local inverse. */
extern int64_t ims_cal_local_measure(const ImsCalendar *cal, int64_t x, int64_t y);
extern int64_t ims_cal_sum_days(const ImsCalendar *cal, int metric, int32_t d1, int32_t d2);

#endif							/* IMS_CORE_CALENDAR_MATH_H */
