/*
 * metric_state.c — arithmetic, validation and exact text forms of the metric
 * aggregates' partial states.  See metric_state.h for the grammar.
 */
#include "core/metric_state.h"

#include <string.h>

#ifndef __SIZEOF_INT128__
#error "ims needs a compiler with 128-bit integers (gcc or clang on a 64-bit target)"
#endif

typedef __int128 i128;
typedef unsigned __int128 u128;

static inline i128
mean_sum(const ims_mean *m)
{
	return (i128) (((u128) (uint64_t) m->sum_hi << 64) | (u128) m->sum_lo);
}

static inline void
mean_set_sum(ims_mean *m, i128 s)
{
	m->sum_hi = (int64_t) (s >> 64);
	m->sum_lo = (uint64_t) s;
}

int
ims_mean_valid(const ims_mean *m)
{
	i128		s = mean_sum(m);
	u128		mag = s < 0 ? (u128) 0 - (u128) s : (u128) s;

	if (m->count < 0)
		return IMS_STATE_ECOUNT;
	if (m->count == 0 && s != 0)
		return IMS_STATE_ECOUNT;
	if (mag > (u128) m->count << 63)
		return IMS_STATE_ESUM;
	return IMS_STATE_OK;
}

int
ims_mean_combine(ims_mean *a, const ims_mean *b)
{
	int64_t		c;

	if (__builtin_add_overflow(a->count, b->count, &c))
		return -1;
	/* |sum| <= count * 2^63 < 2^126 on both sides: the sum cannot overflow */
	mean_set_sum(a, mean_sum(a) + mean_sum(b));
	a->count = c;
	return 0;
}

int
ims_mean_result(const ims_mean *m, int64_t *mean)
{
	i128		s = mean_sum(m),
				q,
				r;

	if (m->count <= 0)
		return 1;
	q = s / m->count;
	r = s % m->count;
	/* round half away from zero: |2r| >= count */
	if (r < 0 ? -2 * r >= m->count : 2 * r >= m->count)
		q += (s < 0) ? -1 : 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return -1;
	*mean = (int64_t) q;
	return 0;
}

static inline int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * parse_u128 reads a canonical unsigned decimal (no sign, no leading zero
 * except "0" itself) at *p, advancing it.  Returns 0, or an error code.
 */
static int
parse_u128(const char **p, u128 limit, u128 *out)
{
	const char *s = *p;
	u128		v = 0;

	if (*s < '0' || *s > '9')
		return IMS_STATE_ESYNTAX;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return IMS_STATE_ESYNTAX;
	while (*s >= '0' && *s <= '9')
	{
		unsigned	d = (unsigned) (*s - '0');

		if (v > limit / 10 || (v == limit / 10 && d > limit % 10))
			return IMS_STATE_ERANGE;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return IMS_STATE_OK;
}

/* parse_signed: optional '-', then a canonical magnitude; "-0" is refused. */
static int
parse_signed(const char **p, u128 poslimit, u128 neglimit, i128 *out)
{
	int			neg = 0,
				rc;
	u128		v;

	if (**p == '-')
	{
		neg = 1;
		(*p)++;
	}
	rc = parse_u128(p, neg ? neglimit : poslimit, &v);
	if (rc)
		return rc;
	if (neg && v == 0)
		return IMS_STATE_ESYNTAX;
	*out = neg ? -(i128) v : (i128) v;
	return IMS_STATE_OK;
}

/* format_u128 writes v in decimal, returns the length (no NUL). */
static size_t
format_u128(u128 v, char *buf)
{
	char		tmp[48];
	size_t		n = 0;

	do
	{
		tmp[n++] = (char) ('0' + (int) (v % 10));
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static size_t
format_i128(i128 v, char *buf)
{
	if (v < 0)
	{
		buf[0] = '-';
		return 1 + format_u128((u128) 0 - (u128) v, buf + 1);
	}
	return format_u128((u128) v, buf);
}

int
ims_mean_parse(const char *s, ims_mean *m)
{
	i128		v;
	int			rc;

	while (is_blank(*s))
		s++;
	if (*s++ != '(')
		return IMS_STATE_ESYNTAX;
	if ((rc = parse_signed(&s, (u128) INT64_MAX, 0, &v)) != 0)
		return rc;
	m->count = (int64_t) v;
	if (*s++ != ',')
		return IMS_STATE_ESYNTAX;
	if ((rc = parse_signed(&s, (u128) 1 << 126, (u128) 1 << 126, &v)) != 0)
		return rc;
	mean_set_sum(m, v);
	if (*s++ != ')')
		return IMS_STATE_ESYNTAX;
	while (is_blank(*s))
		s++;
	if (*s != '\0')
		return IMS_STATE_ESYNTAX;
	return ims_mean_valid(m);
}

size_t
ims_mean_format(const ims_mean *m, char *buf)
{
	size_t		n = 0;

	buf[n++] = '(';
	n += format_i128(m->count, buf + n);
	buf[n++] = ',';
	n += format_i128(mean_sum(m), buf + n);
	buf[n++] = ')';
	buf[n] = '\0';
	return n;
}

/* ---- outage sets ---- */

/* parse_ts: "-inf", "inf", or a canonical int64 that is a valid timestamp. */
static int
parse_ts(const char **p, int64_t *out)
{
	i128		v;
	int			rc;

	if (strncmp(*p, "-inf", 4) == 0)
	{
		*p += 4;
		*out = IMS_TS_NEG_INF;
		return IMS_STATE_OK;
	}
	if (strncmp(*p, "inf", 3) == 0)
	{
		*p += 3;
		*out = IMS_TS_POS_INF;
		return IMS_STATE_OK;
	}
	rc = parse_signed(p, (u128) INT64_MAX, (u128) INT64_MAX + 1, &v);
	if (rc)
		return rc;
	if (v < IMS_TS_MIN || v >= IMS_TS_END)
		return IMS_STATE_ERANGE;
	*out = (int64_t) v;
	return IMS_STATE_OK;
}

static size_t
format_ts(int64_t t, char *buf)
{
	if (t == IMS_TS_NEG_INF)
	{
		memcpy(buf, "-inf", 4);
		return 4;
	}
	if (t == IMS_TS_POS_INF)
	{
		memcpy(buf, "inf", 3);
		return 3;
	}
	return format_i128(t, buf);
}

/* parse_span: "[" ts "," ts ")" */
static int
parse_span(const char **p, ims_span *sp)
{
	int			rc;

	if (**p != '[')
		return IMS_STATE_ESYNTAX;
	(*p)++;
	if ((rc = parse_ts(p, &sp->lo)) != 0)
		return rc;
	if (**p != ',')
		return IMS_STATE_ESYNTAX;
	(*p)++;
	if ((rc = parse_ts(p, &sp->hi)) != 0)
		return rc;
	if (**p != ')')
		return IMS_STATE_ESYNTAX;
	(*p)++;
	return IMS_STATE_OK;
}

int
ims_oset_valid(const ims_oset *o, size_t *bad_span)
{
	*bad_span = 0;
	if (o->has_period &&
		(o->plo == IMS_TS_NEG_INF || o->phi == IMS_TS_POS_INF ||
		 !ims_ts_valid(o->plo) || !ims_ts_valid(o->phi) || o->plo >= o->phi))
		return IMS_STATE_EPERIOD;
	for (size_t i = 0; i < o->n; i++)
	{
		const ims_span *s = &o->spans[i];

		*bad_span = i + 1;
		if (!ims_ts_valid(s->lo) || !ims_ts_valid(s->hi))
			return IMS_STATE_ERANGE;
		if (s->lo >= s->hi)
			return IMS_STATE_EEMPTY;
		if (i > 0 && s->lo <= o->spans[i - 1].hi)
			return IMS_STATE_EORDER;
		if (o->has_period && (s->lo < o->plo || s->hi > o->phi))
			return IMS_STATE_EOUTSIDE;
	}
	*bad_span = 0;
	return IMS_STATE_OK;
}

size_t
ims_oset_count_upper(const char *s)
{
	size_t		n = 0;

	for (; *s; s++)
		if (*s == '[')
			n++;
	return n;
}

int
ims_oset_parse(const char *s, ims_oset *o, size_t *bad_span)
{
	int			rc;
	ims_span	sp;

	*bad_span = 0;
	o->n = 0;
	o->has_period = 0;
	o->plo = o->phi = 0;
	while (is_blank(*s))
		s++;
	if (strncmp(s, "none", 4) == 0)
		s += 4;
	else
	{
		if ((rc = parse_span(&s, &sp)) != 0)
			return rc;
		o->has_period = 1;
		o->plo = sp.lo;
		o->phi = sp.hi;
	}
	if (*s++ != ':')
		return IMS_STATE_ESYNTAX;
	if (*s++ != '{')
		return IMS_STATE_ESYNTAX;
	if (*s != '}')
	{
		for (;;)
		{
			*bad_span = o->n + 1;
			if ((rc = parse_span(&s, &o->spans[o->n])) != 0)
				return rc;
			o->n++;
			if (*s != ',')
				break;
			s++;
		}
	}
	*bad_span = 0;
	if (*s++ != '}')
		return IMS_STATE_ESYNTAX;
	while (is_blank(*s))
		s++;
	if (*s != '\0')
		return IMS_STATE_ESYNTAX;
	return ims_oset_valid(o, bad_span);
}

size_t
ims_oset_text_len(const ims_oset *o)
{
	char		tmp[48];
	size_t		n;

	n = o->has_period ? 3 + format_ts(o->plo, tmp) + format_ts(o->phi, tmp) : 4;
	n += 3;						/* ":{}" */
	for (size_t i = 0; i < o->n; i++)
		n += 3 + (i > 0) + format_ts(o->spans[i].lo, tmp) + format_ts(o->spans[i].hi, tmp);
	return n;
}

size_t
ims_oset_format(const ims_oset *o, char *buf)
{
	size_t		n = 0;

	if (o->has_period)
	{
		buf[n++] = '[';
		n += format_ts(o->plo, buf + n);
		buf[n++] = ',';
		n += format_ts(o->phi, buf + n);
		buf[n++] = ')';
	}
	else
	{
		memcpy(buf, "none", 4);
		n = 4;
	}
	buf[n++] = ':';
	buf[n++] = '{';
	for (size_t i = 0; i < o->n; i++)
	{
		if (i > 0)
			buf[n++] = ',';
		buf[n++] = '[';
		n += format_ts(o->spans[i].lo, buf + n);
		buf[n++] = ',';
		n += format_ts(o->spans[i].hi, buf + n);
		buf[n++] = ')';
	}
	buf[n++] = '}';
	buf[n] = '\0';
	return n;
}

const char *
ims_state_strerror(int code)
{
	switch (code)
	{
		case IMS_STATE_OK:
			return "No error.";
		case IMS_STATE_ESYNTAX:
			return "The text does not follow the state's grammar.";
		case IMS_STATE_ERANGE:
			return "A number is out of range.";
		case IMS_STATE_ECOUNT:
			return "The count is negative, or there is a sum without a count.";
		case IMS_STATE_ESUM:
			return "The sum is larger than the count allows.";
		case IMS_STATE_EPERIOD:
			return "The period must be finite with its start before its end.";
		case IMS_STATE_EEMPTY:
			return "An interval does not start before it ends.";
		case IMS_STATE_EORDER:
			return "Intervals must be sorted and must neither overlap nor touch.";
		case IMS_STATE_EOUTSIDE:
			return "An interval lies outside the period.";
	}
	return "Unknown error.";
}
