/*
 * calendar_parse.c — the text form of a business calendar: parser and
 * canonical printer.
 *
 * Grammar (clauses separated by ';', keywords and weekdays case-insensitive,
 * spaces allowed around ';' and ','):
 *
 *   24x7                                   every day 00:00-24:00 (zone UTC unless a tz clause says otherwise)
 *   tz NAME                                IANA zone (checked by the caller's zone_check), default UTC
 *   DAYS WINDOWS | DAYS closed             DAYS: mon | mon-fri | sun-thu | mon,wed,fri-sat
 *   closed DATE[..DATE][,DATE[..DATE]...]  holidays, inclusive ranges
 *   closed yearly MM-DD[..MM-DD][,...]     every year
 *   DATE[..DATE][,...] WINDOWS | ... closed   date-specific hours replacing the date's windows
 *
 *   WINDOWS: HH:MM-HH:MM[,HH:MM-HH:MM...]; 24:00 only as an end; an end
 *   before the start is an overnight window running into the next day.
 *
 * The canonical form is what ims_cal_print writes: tz first, weekday runs with
 * identical windows as mon-fri, one closed clause, one closed yearly clause,
 * date-specific entries in date order, merged runs everywhere; `24x7` when
 * the calendar is exactly that.  Parsing the printed text gives an equal
 * calendar (the fuzz target checks this).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar_math.h"

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* ------------------------------------------------------------------ */
/* small growable arrays allocated through ImsMem                      */

typedef struct Vec
{
	void	   *data;
	size_t		n;
	size_t		cap;
	size_t		elem;
} Vec;

typedef struct ParseState
{
	const ImsMem *mem;
	ImsError   *err;
	const char *text;
	/* current clause, for messages */
	const char *clause;
	size_t		clause_len;
	int			clause_no;
	/* collected items */
	char		tz[IMS_CAL_TZ_MAX];
	bool		have_tz;
	Vec			wk[7];			/* TmpWin */
	Vec			closed;			/* ImsDayRange */
	uint8_t		yearly[13][32];
	Vec			over;			/* TmpOver */
	bool		oom;
} ParseState;

typedef struct TmpWin
{
	int32_t		start;
	int32_t		end;
	int32_t		clause_no;
	int32_t		clause_off;		/* clause position in the input */
	int32_t		clause_len;
} TmpWin;

typedef struct TmpOver
{
	int32_t		day;
	TmpWin		w;
} TmpOver;

static bool
vec_push(ParseState *ps, Vec *v, const void *item)
{
	if (v->n == v->cap)
	{
		size_t		ncap = v->cap ? v->cap * 2 : 16;
		void	   *nd = ps->mem->alloc(ps->mem->arg, ncap * v->elem);

		if (nd == NULL)
		{
			ps->oom = true;
			return false;
		}
		if (v->n)
			memcpy(nd, v->data, v->n * v->elem);
		if (v->data && ps->mem->free)
			ps->mem->free(ps->mem->arg, v->data);
		v->data = nd;
		v->cap = ncap;
	}
	memcpy((char *) v->data + v->n * v->elem, item, v->elem);
	v->n++;
	return true;
}

static void
vec_free(ParseState *ps, Vec *v)
{
	if (v->data && ps->mem->free)
		ps->mem->free(ps->mem->arg, v->data);
	v->data = NULL;
	v->n = v->cap = 0;
}

/* ------------------------------------------------------------------ */
/* errors                                                               */

static ImsStatus
clause_error(ParseState *ps, const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 2, 3)))
#endif
			;

static void
quote_clause(char *buf, size_t bufsz, const char *c, size_t len)
{
	size_t		max = 60;

	if (len > max)
		snprintf(buf, bufsz, "%.*s...", (int) max, c);
	else
		snprintf(buf, bufsz, "%.*s", (int) len, c);
}

static ImsStatus
clause_error(ParseState *ps, const char *fmt,...)
{
	char		q[80];
	va_list		ap;

	quote_clause(q, sizeof(q), ps->clause, ps->clause_len);
	ims_fail(ps->err, IMS_ERR_SYNTAX, "invalid calendar clause \"%s\"", q);
	if (ps->err)
	{
		va_start(ap, fmt);
		vsnprintf(ps->err->detail, sizeof(ps->err->detail), fmt, ap);
		va_end(ap);
	}
	return IMS_ERR_SYNTAX;
}

/* Error about a clause identified by its position (used after all clauses
 * were read, when windows from different clauses are compared). */
static ImsStatus
clause_error_at(ParseState *ps, int32_t off, int32_t len, const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 4, 5)))
#endif
			;
static ImsStatus
clause_error_at(ParseState *ps, int32_t off, int32_t len, const char *fmt,...)
{
	char		q[80];
	va_list		ap;

	quote_clause(q, sizeof(q), ps->text + off, (size_t) len);
	ims_fail(ps->err, IMS_ERR_SYNTAX, "invalid calendar clause \"%s\"", q);
	if (ps->err)
	{
		va_start(ap, fmt);
		vsnprintf(ps->err->detail, sizeof(ps->err->detail), fmt, ap);
		va_end(ap);
	}
	return IMS_ERR_SYNTAX;
}

/* ------------------------------------------------------------------ */
/* lexical helpers                                                      */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* Case-insensitive compare of a token against a lowercase word. */
static bool
tok_eq(const char *s, size_t len, const char *word)
{
	size_t		i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
		if (lower(s[i]) != word[i])
			return false;
	return true;
}

/* Split off the first whitespace-delimited token of [*s, end). */
static bool
next_token(const char **s, const char *end, const char **tok, size_t *toklen)
{
	const char *p = *s;

	while (p < end && is_space(*p))
		p++;
	if (p == end)
		return false;
	*tok = p;
	while (p < end && !is_space(*p))
		p++;
	*toklen = (size_t) (p - *tok);
	*s = p;
	return true;
}

/* Copy [s, end) without whitespace into buf (NUL-terminated); false if too long. */
static bool
squeeze(const char *s, const char *end, char *buf, size_t bufsz)
{
	size_t		n = 0;

	for (; s < end; s++)
	{
		if (is_space(*s))
			continue;
		if (n + 1 >= bufsz)
			return false;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return true;
}

/* Parse exactly `digits` decimal digits. */
static bool
parse_fixed(const char *s, int digits, int *out)
{
	int			v = 0,
				i;

	for (i = 0; i < digits; i++)
	{
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* YYYY-MM-DD, exactly 10 characters. */
static bool
parse_date(const char *s, size_t len, int32_t *day, bool *bad_value)
{
	int			y,
				m,
				d;

	*bad_value = false;
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (!parse_fixed(s, 4, &y) || !parse_fixed(s + 5, 2, &m) || !parse_fixed(s + 8, 2, &d))
		return false;
	if (y < IMS_CAL_MIN_YEAR || !ims_valid_date(y, m, d))
	{
		*bad_value = true;
		return false;
	}
	*day = ims_days_from_civil(y, m, d);
	return true;
}

/* MM-DD, exactly 5 characters; 02-29 is accepted. */
static bool
parse_md(const char *s, size_t len, int *m, int *d, bool *bad_value)
{
	*bad_value = false;
	if (len != 5 || s[2] != '-')
		return false;
	if (!parse_fixed(s, 2, m) || !parse_fixed(s + 3, 2, d))
		return false;
	if (!ims_valid_date(2000, *m, *d))
	{
		*bad_value = true;
		return false;
	}
	return true;
}

/* H:MM or HH:MM, 00:00 .. 24:00. */
static bool
parse_hm(const char *s, size_t len, int32_t *minutes)
{
	int			h,
				mi;

	if (len == 4 && s[1] == ':')
	{
		if (!parse_fixed(s, 1, &h) || !parse_fixed(s + 2, 2, &mi))
			return false;
	}
	else if (len == 5 && s[2] == ':')
	{
		if (!parse_fixed(s, 2, &h) || !parse_fixed(s + 3, 2, &mi))
			return false;
	}
	else
		return false;
	if (mi > 59 || h > 24 || (h == 24 && mi != 0))
		return false;
	*minutes = h * 60 + mi;
	return true;
}

void
ims_cal_format_hm(int32_t m, bool is_end, char *buf)
{
	if (m > 1440 || (m == 1440 && !is_end))
		m -= 1440;
	if (m < 0 || m > 1440)
		m = 0;
	buf[0] = (char) ('0' + m / 600);
	buf[1] = (char) ('0' + (m / 60) % 10);
	buf[2] = ':';
	buf[3] = (char) ('0' + (m % 60) / 10);
	buf[4] = (char) ('0' + (m % 60) % 10);
	buf[5] = '\0';
}

static void
format_date(int32_t day, char *buf)
{
	int32_t		y;
	int			m,
				d;

	ims_civil_from_days(day, &y, &m, &d);
	snprintf(buf, 11, "%04d-%02d-%02d", (int) y, m, d);
}

/* ------------------------------------------------------------------ */
/* clause parsers                                                       */

/*
 * Parse a comma-separated window list (whitespace already removed) and hand
 * each window to add().  "closed" yields no windows.
 */
typedef bool (*WinSink) (ParseState *ps, void *arg, int32_t start, int32_t end);

static ImsStatus
parse_windows(ParseState *ps, const char *s, const char *end, WinSink sink, void *arg)
{
	char		buf[4096];
	char	   *p,
			   *item;

	if (!squeeze(s, end, buf, sizeof(buf)))
		return clause_error(ps, "The list of opening windows is too long.");
	if (buf[0] == '\0')
		return clause_error(ps, "Opening windows such as 09:00-17:00, or the word closed, must follow.");
	if (tok_eq(buf, strlen(buf), "closed"))
		return IMS_OK;
	p = buf;
	while (p != NULL)
	{
		char	   *comma = strchr(p, ',');
		char	   *dash;
		int32_t		a,
					b;

		item = p;
		if (comma)
		{
			*comma = '\0';
			p = comma + 1;
		}
		else
			p = NULL;
		if (item[0] == '\0')
			return clause_error(ps, "The list of opening windows has an empty item.");
		dash = strchr(item, '-');
		if (dash == NULL)
			return clause_error(ps, "\"%.40s\" is not an opening window such as 09:00-17:00.", item);
		*dash = '\0';
		if (!parse_hm(item, strlen(item), &a))
			return clause_error(ps, "\"%.40s\" is not a time of day (00:00 to 24:00).", item);
		if (!parse_hm(dash + 1, strlen(dash + 1), &b))
			return clause_error(ps, "\"%.40s\" is not a time of day (00:00 to 24:00).", dash + 1);
		if (a == 1440)
			return clause_error(ps, "A window cannot start at 24:00.");
		if (a == b)
			return clause_error(ps, "The window %.5s-%.5s is empty (reversed or zero length).", item, dash + 1);
		if (b < a)
			b += 1440;			/* overnight: runs into the next day */
		if (!sink(ps, arg, a, b))
			return ps->oom ? ims_fail(ps->err, IMS_ERR_INTERNAL, "out of memory") :
				clause_error(ps, "Too many windows.");
	}
	return IMS_OK;
}

static bool
clause_window(ParseState *ps, TmpWin *w, int32_t a, int32_t b)
{
	w->start = a;
	w->end = b;
	w->clause_no = ps->clause_no;
	w->clause_off = (int32_t) (ps->clause - ps->text);
	w->clause_len = (int32_t) ps->clause_len;
	return true;
}

typedef struct DaySinkArg
{
	bool		days[7];
} DaySinkArg;

static bool
day_sink(ParseState *ps, void *arg, int32_t a, int32_t b)
{
	DaySinkArg *da = arg;
	int			d;

	for (d = 0; d < 7; d++)
	{
		TmpWin		w;

		if (!da->days[d])
			continue;
		if (ps->wk[d].n >= IMS_CAL_MAX_WINDOWS)
			return false;
		clause_window(ps, &w, a, b);
		if (!vec_push(ps, &ps->wk[d], &w))
			return false;
	}
	return true;
}

static int
weekday_index(const char *s, size_t len)
{
	int			d;

	for (d = 0; d < 7; d++)
		if (tok_eq(s, len, day_names[d]))
			return d;
	return -1;
}

/* DAYS token: mon | mon-fri | mon,wed,fri-sun (wrapping ranges such as sun-thu allowed). */
static ImsStatus
parse_days(ParseState *ps, const char *tok, size_t len, bool days[7])
{
	const char *p = tok,
			   *end = tok + len;

	memset(days, 0, 7 * sizeof(bool));
	while (p < end)
	{
		const char *item = p,
				   *iend,
				   *dash;
		int			a,
					b;

		while (p < end && *p != ',')
			p++;
		iend = p;
		if (p < end)
			p++;
		if (iend == item)
			return clause_error(ps, "The list of weekdays has an empty item.");
		dash = memchr(item, '-', (size_t) (iend - item));
		if (dash)
		{
			a = weekday_index(item, (size_t) (dash - item));
			b = weekday_index(dash + 1, (size_t) (iend - dash - 1));
		}
		else
			a = b = weekday_index(item, (size_t) (iend - item));
		if (a < 0 || b < 0)
			return clause_error(ps, "\"%.*s\" is not a weekday or weekday range (mon, tue, wed, thu, fri, sat, sun).",
								(int) ((iend - item) > 40 ? 40 : (iend - item)), item);
		for (;;)
		{
			days[a] = true;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
	}
	return IMS_OK;
}

/* One DATE or DATE..DATE item. */
static ImsStatus
parse_date_item(ParseState *ps, const char *s, size_t len, ImsDayRange *r)
{
	const char *dots = NULL;
	size_t		i;
	bool		bad;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '.' && s[i + 1] == '.')
		{
			dots = s + i;
			break;
		}
	if (dots)
	{
		size_t		l1 = (size_t) (dots - s);

		if (!parse_date(s, l1, &r->first, &bad))
			return clause_error(ps, bad ? "\"%.*s\" is not a valid date." :
								"\"%.*s\" is not a date in the form YYYY-MM-DD.", (int) (l1 > 40 ? 40 : l1), s);
		if (!parse_date(dots + 2, len - l1 - 2, &r->last, &bad))
			return clause_error(ps, bad ? "\"%.*s\" is not a valid date." :
								"\"%.*s\" is not a date in the form YYYY-MM-DD.",
								(int) ((len - l1 - 2) > 40 ? 40 : (len - l1 - 2)), dots + 2);
		if (r->last < r->first)
			return clause_error(ps, "The date range %.*s is reversed.", (int) (len > 40 ? 40 : len), s);
	}
	else
	{
		if (!parse_date(s, len, &r->first, &bad))
			return clause_error(ps, bad ? "\"%.*s\" is not a valid date." :
								"\"%.*s\" is not a date in the form YYYY-MM-DD.", (int) (len > 40 ? 40 : len), s);
		r->last = r->first;
	}
	return IMS_OK;
}

/* Iterate comma items of a whitespace-free list. */
typedef ImsStatus (*ItemFn) (ParseState *ps, void *arg, const char *s, size_t len);

static ImsStatus
for_each_item(ParseState *ps, const char *s, const char *end, ItemFn fn, void *arg, const char *what)
{
	size_t		cap = (size_t) (end - s) + 1;
	char	   *buf = ps->mem->alloc(ps->mem->arg, cap);
	char	   *p;
	ImsStatus	st = IMS_OK;

	if (buf == NULL)
		return ims_fail(ps->err, IMS_ERR_INTERNAL, "out of memory");
	squeeze(s, end, buf, cap);
	if (buf[0] == '\0')
		st = clause_error(ps, "A list of %s must follow.", what);
	p = buf;
	while (st == IMS_OK && p)
	{
		char	   *comma = strchr(p, ',');
		size_t		len = comma ? (size_t) (comma - p) : strlen(p);

		if (len == 0)
			st = clause_error(ps, "The list of %s has an empty item.", what);
		else
			st = fn(ps, arg, p, len);
		p = comma ? comma + 1 : NULL;
	}
	if (ps->mem->free)
		ps->mem->free(ps->mem->arg, buf);
	return st;
}

static ImsStatus
closed_item(ParseState *ps, void *arg, const char *s, size_t len)
{
	ImsDayRange r;
	ImsStatus	st = parse_date_item(ps, s, len, &r);

	if (st != IMS_OK)
		return st;
	if (ps->closed.n >= IMS_CAL_MAX_CLOSED)
		return clause_error(ps, "A calendar holds at most %d closed dates or ranges.", IMS_CAL_MAX_CLOSED);
	if (!vec_push(ps, &ps->closed, &r))
		return ims_fail(ps->err, IMS_ERR_INTERNAL, "out of memory");
	return IMS_OK;
}

/* Day of year (0-based) of month/day in a leap year: orders MM-DD values. */
static int
leap_doy(int m, int d)
{
	return ims_days_from_civil(2000, m, d) - ims_days_from_civil(2000, 1, 1);
}

static ImsStatus
yearly_item(ParseState *ps, void *arg, const char *s, size_t len)
{
	const char *dots = NULL;
	size_t		i;
	int			m1,
				d1,
				m2,
				d2;
	bool		bad;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '.' && s[i + 1] == '.')
		{
			dots = s + i;
			break;
		}
	if (dots)
	{
		size_t		l1 = (size_t) (dots - s);

		if (!parse_md(s, l1, &m1, &d1, &bad) || !parse_md(dots + 2, len - l1 - 2, &m2, &d2, &bad))
			return clause_error(ps, bad ? "\"%.*s\" is not a valid month and day." :
								"\"%.*s\" is not a yearly date in the form MM-DD or MM-DD..MM-DD.",
								(int) (len > 40 ? 40 : len), s);
		if (leap_doy(m2, d2) < leap_doy(m1, d1))
			return clause_error(ps, "The yearly range %.*s is reversed; a yearly range may not run past 12-31.",
								(int) (len > 40 ? 40 : len), s);
	}
	else
	{
		if (!parse_md(s, len, &m1, &d1, &bad))
			return clause_error(ps, bad ? "\"%.*s\" is not a valid month and day." :
								"\"%.*s\" is not a yearly date in the form MM-DD.", (int) (len > 40 ? 40 : len), s);
		m2 = m1;
		d2 = d1;
	}
	{
		int			a = leap_doy(m1, d1),
					b = leap_doy(m2, d2),
					k;

		for (k = a; k <= b; k++)
		{
			int32_t		y;
			int			m,
						d;

			ims_civil_from_days(ims_days_from_civil(2000, 1, 1) + k, &y, &m, &d);
			ps->yearly[m][d] = 1;
		}
	}
	return IMS_OK;
}

typedef struct OverArg
{
	ImsDayRange *ranges;
	int			n;
	int			cap;
} OverArg;

static ImsStatus
over_date_item(ParseState *ps, void *arg, const char *s, size_t len)
{
	OverArg    *oa = arg;
	ImsStatus	st;

	if (oa->n >= oa->cap)
		return clause_error(ps, "Too many dates in one clause.");
	st = parse_date_item(ps, s, len, &oa->ranges[oa->n]);
	if (st == IMS_OK)
		oa->n++;
	return st;
}

typedef struct OverSinkArg
{
	OverArg    *oa;
	bool		any;
} OverSinkArg;

static bool
over_sink(ParseState *ps, void *arg, int32_t a, int32_t b)
{
	OverSinkArg *osa = arg;
	int			i;

	osa->any = true;
	for (i = 0; i < osa->oa->n; i++)
	{
		int32_t		d;

		for (d = osa->oa->ranges[i].first; d <= osa->oa->ranges[i].last; d++)
		{
			TmpOver		o;

			if (ps->over.n >= (size_t) IMS_CAL_MAX_DATES * 4)
				return false;
			o.day = d;
			clause_window(ps, &o.w, a, b);
			if (!vec_push(ps, &ps->over, &o))
				return false;
		}
	}
	return true;
}

static ImsStatus
parse_clause(ParseState *ps, const char *c, const char *end, ImsZoneCheck zone_check, void *zone_arg)
{
	const char *p = c;
	const char *tok;
	size_t		toklen;

	if (!next_token(&p, end, &tok, &toklen))
		return IMS_OK;			/* empty clause (e.g. a trailing ';') */

	if (tok_eq(tok, toklen, "tz"))
	{
		const char *name;
		size_t		namelen,
					i;
		char		buf[IMS_CAL_TZ_MAX];
		const char *q;

		if (!next_token(&p, end, &name, &namelen))
			return clause_error(ps, "A time zone name such as Europe/Berlin must follow tz.");
		q = p;
		if (next_token(&q, end, &tok, &toklen))
			return clause_error(ps, "A time zone name has no spaces.");
		if (ps->have_tz)
			return clause_error(ps, "The time zone is given twice.");
		if (namelen >= IMS_CAL_TZ_MAX)
			return clause_error(ps, "The time zone name is too long.");
		for (i = 0; i < namelen; i++)
		{
			char		ch = name[i];

			if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || is_digit(ch) ||
				  ch == '/' || ch == '_' || ch == '-' || ch == '+' || ch == '.'))
				return clause_error(ps, "\"%.*s\" is not a time zone name.", (int) namelen, name);
		}
		memcpy(buf, name, namelen);
		buf[namelen] = '\0';
		if (zone_check)
		{
			char		canon[IMS_CAL_TZ_MAX];

			canon[0] = '\0';
			if (!zone_check(zone_arg, buf, canon, sizeof(canon)) || canon[0] == '\0')
				return clause_error(ps, "Time zone \"%s\" is not recognized.", buf);
			/* the canonical name must itself be printable and re-parseable */
			for (i = 0; canon[i]; i++)
			{
				char		ch = canon[i];

				if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || is_digit(ch) ||
					  ch == '/' || ch == '_' || ch == '-' || ch == '+' || ch == '.'))
					return clause_error(ps, "Time zone \"%s\" is not supported.", buf);
			}
			memcpy(ps->tz, canon, strlen(canon) + 1);
		}
		else
		{
			if (strcmp(buf, "UTC") != 0)
				return clause_error(ps, "Time zone \"%s\" is not recognized.", buf);
			memcpy(ps->tz, buf, namelen + 1);
		}
		ps->have_tz = true;
		return IMS_OK;
	}

	if (tok_eq(tok, toklen, "24x7"))
	{
		DaySinkArg	da;
		const char *q = p;

		if (next_token(&q, end, &tok, &toklen))
			return clause_error(ps, "24x7 stands alone.");
		memset(&da, 0, sizeof(da));
		memset(da.days, 1, sizeof(da.days));
		if (!day_sink(ps, &da, 0, 1440))
			return ps->oom ? ims_fail(ps->err, IMS_ERR_INTERNAL, "out of memory") :
				clause_error(ps, "Too many windows.");
		return IMS_OK;
	}

	if (tok_eq(tok, toklen, "closed"))
	{
		const char *q = p;
		const char *t2;
		size_t		l2;

		if (next_token(&q, end, &t2, &l2) && tok_eq(t2, l2, "yearly"))
			return for_each_item(ps, q, end, yearly_item, NULL, "yearly dates (MM-DD)");
		return for_each_item(ps, p, end, closed_item, NULL, "dates (YYYY-MM-DD)");
	}

	if (is_digit(tok[0]))
	{
		ImsDayRange ranges[64];
		OverArg		oa;
		OverSinkArg osa;
		ImsStatus	st;
		int			i;
		int64_t		ndays = 0;

		oa.ranges = ranges;
		oa.n = 0;
		oa.cap = 64;
		st = for_each_item(ps, tok, tok + toklen, over_date_item, &oa, "dates");
		if (st != IMS_OK)
			return st;
		for (i = 0; i < oa.n; i++)
			ndays += (int64_t) ranges[i].last - ranges[i].first + 1;
		if (ndays > IMS_CAL_MAX_DATES)
			return clause_error(ps, "A calendar holds at most %d date-specific entries.", IMS_CAL_MAX_DATES);
		osa.oa = &oa;
		osa.any = false;
		st = parse_windows(ps, p, end, over_sink, &osa);
		if (st != IMS_OK)
			return st;
		if (!osa.any)
		{
			/* "DATE closed" is a holiday */
			for (i = 0; i < oa.n; i++)
			{
				if (ps->closed.n >= IMS_CAL_MAX_CLOSED)
					return clause_error(ps, "A calendar holds at most %d closed dates or ranges.", IMS_CAL_MAX_CLOSED);
				if (!vec_push(ps, &ps->closed, &ranges[i]))
					return ims_fail(ps->err, IMS_ERR_INTERNAL, "out of memory");
			}
		}
		return IMS_OK;
	}

	{
		bool		first_alpha = (lower(tok[0]) >= 'a' && lower(tok[0]) <= 'z');
		DaySinkArg	da;
		ImsStatus	st;

		if (first_alpha && weekday_index(tok, toklen >= 3 ? 3 : toklen) >= 0)
		{
			st = parse_days(ps, tok, toklen, da.days);
			if (st != IMS_OK)
				return st;
			return parse_windows(ps, p, end, day_sink, &da);
		}
	}
	return clause_error(ps, "A clause starts with tz, closed, 24x7, a weekday such as mon or mon-fri, or a date such as 2026-12-31.");
}

/* ------------------------------------------------------------------ */
/* assembling the calendar                                              */

static int
cmp_tmpwin(const void *a, const void *b)
{
	const TmpWin *x = a,
			   *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static int
cmp_range(const void *a, const void *b)
{
	const ImsDayRange *x = a,
			   *y = b;

	if (x->first != y->first)
		return (x->first > y->first) - (x->first < y->first);
	return (x->last > y->last) - (x->last < y->last);
}

static int
cmp_tmpover(const void *a, const void *b)
{
	const TmpOver *x = a,
			   *y = b;

	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->w.start > y->w.start) - (x->w.start < y->w.start);
}

/*
 * Sort windows, reject overlaps, merge touching ones.  out receives at most
 * IMS_CAL_MAX_WINDOWS windows; what names the day for messages.
 */
static ImsStatus
normalise_windows(ParseState *ps, TmpWin *w, size_t n, ImsWindow *out, int32_t *nout, const char *what)
{
	size_t		i;
	int32_t		k = 0;

	if (n > 1)
		qsort(w, n, sizeof(TmpWin), cmp_tmpwin);
	for (i = 0; i < n; i++)
	{
		if (k > 0 && out[k - 1].end > w[i].start)
		{
			char		a1[6],
						a2[6],
						b1[6],
						b2[6];

			ims_cal_format_hm(w[i - 1].start, false, a1);
			ims_cal_format_hm(w[i - 1].end, true, a2);
			ims_cal_format_hm(w[i].start, false, b1);
			ims_cal_format_hm(w[i].end, true, b2);
			return clause_error_at(ps, w[i].clause_off, w[i].clause_len,
								   "Windows %s-%s and %s-%s on %s overlap.", a1, a2, b1, b2, what);
		}
		/* touching windows merge, unless the result could not be written
		 * as one window (24 hours from a start other than 00:00) */
		if (k > 0 && out[k - 1].end == w[i].start &&
			(w[i].end - out[k - 1].start < 1440 || (out[k - 1].start == 0 && w[i].end == 1440)))
		{
			out[k - 1].end = w[i].end;
			continue;
		}
		if (k >= IMS_CAL_MAX_WINDOWS)
			return clause_error_at(ps, w[i].clause_off, w[i].clause_len,
								   "A day has at most %d windows.", IMS_CAL_MAX_WINDOWS);
		out[k].start = w[i].start;
		out[k].end = w[i].end;
		k++;
	}
	*nout = k;
	return IMS_OK;
}

static void *
mem_alloc0(const ImsMem *mem, size_t n)
{
	void	   *p = mem->alloc(mem->arg, n ? n : 1);

	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

/* Overnight tail of `prev` (windows of one day) running into a day with windows `next`. */
static bool
tail_overlaps(const ImsWindow *prev, int32_t nprev, const ImsWindow *next, int32_t nnext)
{
	if (nprev == 0 || nnext == 0)
		return false;
	return prev[nprev - 1].end - 1440 > next[0].start;
}

ImsStatus
ims_cal_parse(const char *text, size_t len, const ImsMem *mem,
			  ImsZoneCheck zone_check, void *zone_arg,
			  ImsCalendar **out, ImsError *err)
{
	ParseState	ps;
	ImsCalendar *cal = NULL;
	ImsStatus	st = IMS_OK;
	size_t		i;
	const char *p,
			   *end;
	int			d,
				nclauses = 0;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.mem = mem;
	ps.err = err;
	ps.text = text;
	for (d = 0; d < 7; d++)
		ps.wk[d].elem = sizeof(TmpWin);
	ps.closed.elem = sizeof(ImsDayRange);
	ps.over.elem = sizeof(TmpOver);
	strcpy(ps.tz, "UTC");

	if (len > IMS_CAL_MAX_TEXT)
	{
		ims_fail(err, IMS_ERR_SYNTAX, "calendar text is too long");
		ims_fail_detail(err, "The text has %zu bytes; at most %d are accepted.", len, IMS_CAL_MAX_TEXT);
		return IMS_ERR_SYNTAX;
	}
	for (i = 0; i < len; i++)
	{
		unsigned char ch = (unsigned char) text[i];

		if (ch >= 0x80 || (ch < 0x20 && !is_space((char) ch)) || ch == 0x7f)
		{
			ims_fail(err, IMS_ERR_SYNTAX, "invalid byte in calendar text");
			ims_fail_detail(err, "Byte 0x%02x at position %zu is not allowed; a calendar is written in ASCII.",
							ch, i + 1);
			return IMS_ERR_SYNTAX;
		}
	}

	/* clauses */
	p = text;
	end = text + len;
	while (p <= end && st == IMS_OK)
	{
		const char *semi = memchr(p, ';', (size_t) (end - p));
		const char *cend = semi ? semi : end;
		const char *cs = p,
				   *ce = cend;

		while (cs < ce && is_space(*cs))
			cs++;
		while (ce > cs && is_space(ce[-1]))
			ce--;
		if (ce > cs)
		{
			ps.clause = cs;
			ps.clause_len = (size_t) (ce - cs);
			ps.clause_no = ++nclauses;
			st = parse_clause(&ps, cs, ce, zone_check, zone_arg);
		}
		if (!semi)
			break;
		p = semi + 1;
	}
	if (st == IMS_OK && nclauses == 0)
	{
		ims_fail(err, IMS_ERR_SYNTAX, "calendar text is empty");
		ims_fail_detail(err, "A calendar has at least one clause, for example \"tz Europe/Berlin; mon-fri 09:00-17:00\" or \"24x7\".");
		st = IMS_ERR_SYNTAX;
	}
	if (st != IMS_OK)
		goto done;

	cal = mem_alloc0(mem, sizeof(ImsCalendar));
	if (cal == NULL)
	{
		st = ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
		goto done;
	}
	cal->mem = *mem;
	memcpy(cal->tz, ps.tz, sizeof(cal->tz));

	/* weekly windows */
	for (d = 0; d < 7; d++)
	{
		st = normalise_windows(&ps, ps.wk[d].data, ps.wk[d].n, cal->wk[d], &cal->nwk[d], day_names[d]);
		if (st != IMS_OK)
			goto done;
	}
	for (d = 0; d < 7; d++)
	{
		int			nx = (d + 1) % 7;

		if (tail_overlaps(cal->wk[d], cal->nwk[d], cal->wk[nx], cal->nwk[nx]))
		{
			TmpWin	   *tw = ps.wk[d].data;
			size_t		k;
			char		a1[6],
						a2[6],
						b1[6],
						b2[6];

			/* name the clause that holds the overnight window */
			for (k = 0; k < ps.wk[d].n; k++)
				if (tw[k].end == cal->wk[d][cal->nwk[d] - 1].end)
					break;
			if (k == ps.wk[d].n)
				k = ps.wk[d].n - 1;
			ims_cal_format_hm(cal->wk[d][cal->nwk[d] - 1].start, false, a1);
			ims_cal_format_hm(cal->wk[d][cal->nwk[d] - 1].end, true, a2);
			ims_cal_format_hm(cal->wk[nx][0].start, false, b1);
			ims_cal_format_hm(cal->wk[nx][0].end, true, b2);
			st = clause_error_at(&ps, tw[k].clause_off, tw[k].clause_len,
								 "The overnight window %s-%s on %s overlaps the window %s-%s on %s.",
								 a1, a2, day_names[d], b1, b2, day_names[nx]);
			goto done;
		}
	}

	/* closed dates: sort and merge overlapping or adjacent ranges */
	if (ps.closed.n)
	{
		ImsDayRange *r = ps.closed.data;
		size_t		k = 0;

		qsort(r, ps.closed.n, sizeof(ImsDayRange), cmp_range);
		for (i = 1; i < ps.closed.n; i++)
		{
			if ((int64_t) r[i].first <= (int64_t) r[k].last + 1)
			{
				if (r[i].last > r[k].last)
					r[k].last = r[i].last;
			}
			else
				r[++k] = r[i];
		}
		cal->nclosed = (int32_t) (k + 1);
		cal->closed = mem_alloc0(mem, sizeof(ImsDayRange) * (size_t) cal->nclosed);
		if (cal->closed == NULL)
		{
			st = ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
			goto done;
		}
		memcpy(cal->closed, r, sizeof(ImsDayRange) * (size_t) cal->nclosed);
	}

	/* yearly dates */
	{
		int			m,
					dd,
					n = 0;

		memcpy(cal->yearly_set, ps.yearly, sizeof(cal->yearly_set));
		for (m = 1; m <= 12; m++)
			for (dd = 1; dd <= 31; dd++)
				if (ps.yearly[m][dd])
					n++;
		cal->nyearly = n;
		cal->yearly = mem_alloc0(mem, sizeof(uint16_t) * (size_t) (n ? n : 1));
		cal->y_doy[0] = mem_alloc0(mem, sizeof(int16_t) * (size_t) (n ? n : 1));
		cal->y_doy[1] = mem_alloc0(mem, sizeof(int16_t) * (size_t) (n ? n : 1));
		if (!cal->yearly || !cal->y_doy[0] || !cal->y_doy[1])
		{
			st = ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
			goto done;
		}
		n = 0;
		for (m = 1; m <= 12; m++)
			for (dd = 1; dd <= 31; dd++)
				if (ps.yearly[m][dd])
				{
					cal->yearly[n++] = (uint16_t) (m * 100 + dd);
					/* non-leap year 2001, leap year 2000 */
					if (!(m == 2 && dd == 29))
						cal->y_doy[0][cal->ny_doy[0]++] =
							(int16_t) (ims_days_from_civil(2001, m, dd) - ims_days_from_civil(2001, 1, 1));
					cal->y_doy[1][cal->ny_doy[1]++] =
						(int16_t) (ims_days_from_civil(2000, m, dd) - ims_days_from_civil(2000, 1, 1));
				}
	}

	/* date-specific windows */
	if (ps.over.n)
	{
		TmpOver    *o = ps.over.data;
		size_t		a = 0;
		int32_t		nov = 0;
		TmpWin		tmp[IMS_CAL_MAX_WINDOWS + 1];

		qsort(o, ps.over.n, sizeof(TmpOver), cmp_tmpover);
		/* count distinct days */
		for (i = 0; i < ps.over.n; i++)
			if (i == 0 || o[i].day != o[i - 1].day)
				nov++;
		if (nov > IMS_CAL_MAX_DATES)
		{
			st = clause_error_at(&ps, o[0].w.clause_off, o[0].w.clause_len,
								 "A calendar holds at most %d date-specific entries.", IMS_CAL_MAX_DATES);
			goto done;
		}
		cal->over = mem_alloc0(mem, sizeof(ImsOverride) * (size_t) nov);
		cal->ovwin = mem_alloc0(mem, sizeof(ImsWindow) * ps.over.n);
		if (!cal->over || !cal->ovwin)
		{
			st = ims_fail(err, IMS_ERR_INTERNAL, "out of memory");
			goto done;
		}
		while (a < ps.over.n)
		{
			size_t		b = a;
			size_t		nt = 0;
			char		dname[11];
			ImsOverride *ov = &cal->over[cal->nover];

			while (b < ps.over.n && o[b].day == o[a].day)
			{
				if (nt > IMS_CAL_MAX_WINDOWS)
				{
					st = clause_error_at(&ps, o[b].w.clause_off, o[b].w.clause_len,
										 "A day has at most %d windows.", IMS_CAL_MAX_WINDOWS);
					goto done;
				}
				tmp[nt++] = o[b].w;
				b++;
			}
			format_date(o[a].day, dname);
			ov->day = o[a].day;
			ov->first = cal->novwin;
			st = normalise_windows(&ps, tmp, nt, cal->ovwin + cal->novwin, &ov->nwin, dname);
			if (st != IMS_OK)
				goto done;
			cal->novwin += ov->nwin;
			cal->nover++;
			a = b;
		}
	}

	st = ims_cal_prepare(cal, err);
	if (st != IMS_OK)
		goto done;

	/* overnight windows around date-specific entries */
	for (i = 0; i < (size_t) cal->nover; i++)
	{
		const ImsOverride *ov = &cal->over[i];
		const ImsWindow *pw,
				   *nw,
				   *cw = cal->ovwin + ov->first;
		int			np = ims_cal_day_windows(cal, ov->day - 1, &pw);
		int			nn = ims_cal_day_windows(cal, ov->day + 1, &nw);
		char		dname[11];

		if (tail_overlaps(pw, np, cw, ov->nwin) || tail_overlaps(cw, ov->nwin, nw, nn))
		{
			TmpOver    *o = ps.over.data;
			size_t		k;

			for (k = 0; k < ps.over.n; k++)
				if (o[k].day == ov->day)
					break;
			format_date(ov->day, dname);
			st = clause_error_at(&ps, o[k].w.clause_off, o[k].w.clause_len,
								 "The windows of %s overlap an overnight window running into or out of that date.",
								 dname);
			goto done;
		}
	}

done:
	for (d = 0; d < 7; d++)
		vec_free(&ps, &ps.wk[d]);
	vec_free(&ps, &ps.closed);
	vec_free(&ps, &ps.over);
	if (st != IMS_OK)
	{
		if (cal && mem->free)
			ims_cal_free(cal);
		return st;
	}
	*out = cal;
	return IMS_OK;
}

/* ------------------------------------------------------------------ */
/* printing                                                             */

typedef struct Buf
{
	const ImsMem *mem;
	char	   *s;
	size_t		n;
	size_t		cap;
	bool		oom;
} Buf;

static void
buf_put(Buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len + 1 > b->cap)
	{
		size_t		ncap = b->cap ? b->cap * 2 : 256;
		char	   *ns;

		while (ncap < b->n + len + 1)
			ncap *= 2;
		ns = b->mem->alloc(b->mem->arg, ncap);
		if (ns == NULL)
		{
			b->oom = true;
			return;
		}
		if (b->n)
			memcpy(ns, b->s, b->n);
		if (b->s && b->mem->free)
			b->mem->free(b->mem->arg, b->s);
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->n, s, len);
	b->n += len;
	b->s[b->n] = '\0';
}

static void
buf_str(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void
buf_clause(Buf *b)
{
	if (b->n)
		buf_str(b, "; ");
}

static void
buf_windows(Buf *b, const ImsWindow *w, int n)
{
	int			i;
	char		t[6];

	for (i = 0; i < n; i++)
	{
		if (i)
			buf_str(b, ",");
		ims_cal_format_hm(w[i].start, false, t);
		buf_str(b, t);
		buf_str(b, "-");
		ims_cal_format_hm(w[i].end, true, t);
		buf_str(b, t);
	}
}

static bool
windows_equal(const ImsWindow *a, int na, const ImsWindow *b, int nb)
{
	return na == nb && (na == 0 || memcmp(a, b, sizeof(ImsWindow) * (size_t) na) == 0);
}

static bool
is_24x7(const ImsCalendar *cal)
{
	int			d;

	if (strcmp(cal->tz, "UTC") != 0 || cal->nclosed || cal->nyearly || cal->nover)
		return false;
	for (d = 0; d < 7; d++)
		if (cal->nwk[d] != 1 || cal->wk[d][0].start != 0 || cal->wk[d][0].end != 1440)
			return false;
	return true;
}

char *
ims_cal_print(const ImsCalendar *cal, const ImsMem *mem)
{
	Buf			b;
	int			d,
				i;
	char		t[16];

	memset(&b, 0, sizeof(b));
	b.mem = mem;
	if (is_24x7(cal))
	{
		buf_str(&b, "24x7");
		return b.oom ? NULL : b.s;
	}
	buf_str(&b, "tz ");
	buf_str(&b, cal->tz);

	for (d = 0; d < 7;)
	{
		int			e = d;

		if (cal->nwk[d] == 0)
		{
			d++;
			continue;
		}
		while (e + 1 < 7 && windows_equal(cal->wk[d], cal->nwk[d], cal->wk[e + 1], cal->nwk[e + 1]))
			e++;
		buf_clause(&b);
		buf_str(&b, day_names[d]);
		if (e > d)
		{
			buf_str(&b, "-");
			buf_str(&b, day_names[e]);
		}
		buf_str(&b, " ");
		buf_windows(&b, cal->wk[d], cal->nwk[d]);
		d = e + 1;
	}

	if (cal->nclosed)
	{
		buf_clause(&b);
		buf_str(&b, "closed ");
		for (i = 0; i < cal->nclosed; i++)
		{
			if (i)
				buf_str(&b, ",");
			format_date(cal->closed[i].first, t);
			buf_str(&b, t);
			if (cal->closed[i].last != cal->closed[i].first)
			{
				buf_str(&b, "..");
				format_date(cal->closed[i].last, t);
				buf_str(&b, t);
			}
		}
	}

	if (cal->nyearly)
	{
		int			k = 0;

		buf_clause(&b);
		buf_str(&b, "closed yearly ");
		while (k < cal->nyearly)
		{
			int			j = k;
			int			m1 = cal->yearly[k] / 100,
						d1 = cal->yearly[k] % 100;

			while (j + 1 < cal->nyearly &&
				   leap_doy(cal->yearly[j + 1] / 100, cal->yearly[j + 1] % 100) ==
				   leap_doy(cal->yearly[j] / 100, cal->yearly[j] % 100) + 1)
				j++;
			if (k)
				buf_str(&b, ",");
			snprintf(t, sizeof(t), "%02d-%02d", m1, d1);
			buf_str(&b, t);
			if (j > k)
			{
				snprintf(t, sizeof(t), "..%02d-%02d", cal->yearly[j] / 100, cal->yearly[j] % 100);
				buf_str(&b, t);
			}
			k = j + 1;
		}
	}

	for (i = 0; i < cal->nover;)
	{
		int			j = i;
		const ImsOverride *o = cal->over;

		while (j + 1 < cal->nover && o[j + 1].day == o[j].day + 1 &&
			   windows_equal(cal->ovwin + o[i].first, o[i].nwin, cal->ovwin + o[j + 1].first, o[j + 1].nwin))
			j++;
		buf_clause(&b);
		format_date(o[i].day, t);
		buf_str(&b, t);
		if (j > i)
		{
			buf_str(&b, "..");
			format_date(o[j].day, t);
			buf_str(&b, t);
		}
		buf_str(&b, " ");
		buf_windows(&b, cal->ovwin + o[i].first, o[i].nwin);
		i = j + 1;
	}
	return b.oom ? NULL : b.s;
}

bool
ims_cal_equal(const ImsCalendar *a, const ImsCalendar *b)
{
	int			d;

	if (strcmp(a->tz, b->tz) != 0)
		return false;
	for (d = 0; d < 7; d++)
		if (!windows_equal(a->wk[d], a->nwk[d], b->wk[d], b->nwk[d]))
			return false;
	if (a->nclosed != b->nclosed ||
		(a->nclosed && memcmp(a->closed, b->closed, sizeof(ImsDayRange) * (size_t) a->nclosed) != 0))
		return false;
	if (memcmp(a->yearly_set, b->yearly_set, sizeof(a->yearly_set)) != 0)
		return false;
	if (a->nover != b->nover)
		return false;
	for (d = 0; d < a->nover; d++)
		if (a->over[d].day != b->over[d].day ||
			!windows_equal(a->ovwin + a->over[d].first, a->over[d].nwin,
						   b->ovwin + b->over[d].first, b->over[d].nwin))
			return false;
	return true;
}
