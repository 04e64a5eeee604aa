/*
 * Unit tests of src/core/interval_set.c and src/core/metric_state.c: span
 * union, clipping, totals, and the exact text forms of the metric states.
 */
#include <stdlib.h>

#include "core/interval_set.h"
#include "core/metric_state.h"
#include "unit.h"

/* brute force: measure of the union of spans inside [0, limit) on a grid */
static uint64_t
brute_measure(const ims_span *v, size_t n, int64_t limit, size_t *pieces)
{
	uint64_t	total = 0;
	int			prev = 0;

	*pieces = 0;
	for (int64_t t = 0; t < limit; t++)
	{
		int			in = 0;

		for (size_t i = 0; i < n && !in; i++)
			in = v[i].lo <= t && t < v[i].hi;
		total += in;
		if (in && !prev)
			(*pieces)++;
		prev = in;
	}
	return total;
}

static int
same_oset(const ims_oset *a, const ims_oset *b)
{
	if (a->has_period != b->has_period || a->n != b->n)
		return 0;
	if (a->has_period && (a->plo != b->plo || a->phi != b->phi))
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->spans[i].lo != b->spans[i].lo || a->spans[i].hi != b->spans[i].hi)
			return 0;
	return 1;
}

static int
oset_roundtrip(const char *text)
{
	ims_span	spans[64],
				spans2[64];
	ims_oset	o = {.spans = spans},
				o2 = {.spans = spans2};
	char		buf[4096];
	size_t		bad;

	if (ims_oset_count_upper(text) > 64 || ims_oset_parse(text, &o, &bad) != 0)
		return 0;
	if (ims_oset_format(&o, buf) != ims_oset_text_len(&o))
		return 0;
	if (ims_oset_parse(buf, &o2, &bad) != 0 || !same_oset(&o, &o2))
		return 0;
	return strcmp(buf, text) == 0;
}

static int
oset_error(const char *text)
{
	ims_span	spans[64];
	ims_oset	o = {.spans = spans};
	size_t		bad;

	return ims_oset_parse(text, &o, &bad);
}

static int
mean_error(const char *text)
{
	ims_mean	m;

	return ims_mean_parse(text, &m);
}

int
main(void)
{
	ims_span	v[8];
	size_t		n;
	uint64_t	total;
	int			all_ok;

	/* normalize: overlap, nesting, touching, gaps, empty spans */
	v[0] = (ims_span) {10, 20};
	v[1] = (ims_span) {0, 5};
	v[2] = (ims_span) {12, 15};	/* nested in [10,20) */
	v[3] = (ims_span) {20, 25};	/* touches [10,20) */
	v[4] = (ims_span) {30, 30};	/* empty */
	v[5] = (ims_span) {18, 22};	/* overlaps */
	v[6] = (ims_span) {6, 7};
	n = ims_spans_normalize(v, 7, 0, NULL);
	CHECK_INT(n, 3, "normalize merges overlap, nesting and touching, drops empty");
	CHECK(v[0].lo == 0 && v[0].hi == 5 && v[1].lo == 6 && v[1].hi == 7 &&
		  v[2].lo == 10 && v[2].hi == 25, "normalize result is [0,5) [6,7) [10,25)");
	CHECK(ims_spans_is_normalized(v, n), "normalized list passes the check");
	CHECK(ims_spans_total(v, n, &total) == 0 && total == 5 + 1 + 15, "total length 21");
	CHECK_INT(ims_spans_normalize(v, 0, 0, NULL), 0, "normalize of nothing");

	/* sorted prefix plus tail, with scratch */
	{
		ims_span	w[6] = {{0, 2}, {4, 6}, {8, 10}, {5, 9}, {1, 3}, {20, 21}};
		ims_span	scratch[6];

		n = ims_spans_normalize(w, 6, 3, scratch);
		CHECK(n == 3 && w[0].lo == 0 && w[0].hi == 3 && w[1].lo == 4 && w[1].hi == 10 &&
			  w[2].lo == 20 && w[2].hi == 21, "normalize with sorted prefix and scratch");
	}

	/* not normalized: touching, overlapping, unsorted, empty */
	{
		ims_span	t1[2] = {{0, 5}, {5, 6}};
		ims_span	t2[2] = {{3, 5}, {0, 1}};
		ims_span	t3[1] = {{3, 3}};

		CHECK(!ims_spans_is_normalized(t1, 2), "touching spans are not normalized");
		CHECK(!ims_spans_is_normalized(t2, 2), "unsorted spans are not normalized");
		CHECK(!ims_spans_is_normalized(t3, 1), "an empty span is not normalized");
	}

	/* clipping */
	{
		ims_span	s = {IMS_TS_NEG_INF, 50};

		CHECK(ims_span_clip(&s, 10, 100) && s.lo == 10 && s.hi == 50, "clip an unbounded start");
		s = (ims_span) {90, IMS_TS_POS_INF};
		CHECK(ims_span_clip(&s, 10, 100) && s.lo == 90 && s.hi == 100, "clip an unbounded end");
		s = (ims_span) {100, 120};
		CHECK(!ims_span_clip(&s, 10, 100), "a span starting at the period end is clipped away");
		s = (ims_span) {0, 10};
		CHECK(!ims_span_clip(&s, 10, 100), "a span ending at the period start is clipped away");
	}

	/* infinite total */
	v[0] = (ims_span) {IMS_TS_NEG_INF, 0};
	CHECK_INT(ims_spans_total(v, 1, &total), -1, "an infinite span has no finite total");
	v[0] = (ims_span) {IMS_TS_MIN, IMS_TS_END - 1};
	CHECK(ims_spans_total(v, 1, &total) == 0 && total == (uint64_t) (IMS_TS_END - 1) - (uint64_t) IMS_TS_MIN,
		  "the whole timestamp range fits the unsigned total");

	/* random lists against brute force, with every way of normalizing */
	all_ok = 1;
	srand(7);
	for (int round = 0; round < 2000 && all_ok; round++)
	{
		ims_span	r[200],
					r2[200],
					scratch[200];
		size_t		cnt = (size_t) (rand() % 200),
					pieces,
					k,
					half;
		uint64_t	want;

		for (size_t i = 0; i < cnt; i++)
		{
			int64_t		lo = rand() % 500;

			r[i].lo = lo;
			r[i].hi = lo + rand() % 12 - 1;	/* some empty and reversed */
		}
		want = brute_measure(r, cnt, 520, &pieces);
		memcpy(r2, r, sizeof(r));
		k = ims_spans_normalize(r, cnt, 0, NULL);
		if (k != pieces || !ims_spans_is_normalized(r, k) ||
			ims_spans_total(r, k, &total) != 0 || total != want)
			all_ok = 0;
		/* normalize a prefix first, then the whole with scratch */
		half = cnt / 2;
		half = ims_spans_normalize(r2, half, 0, NULL);
		memmove(r2 + half, r2 + cnt / 2, (cnt - cnt / 2) * sizeof(ims_span));
		k = ims_spans_normalize(r2, half + (cnt - cnt / 2), half, scratch);
		if (k != pieces || memcmp(r, r2, k * sizeof(ims_span)) != 0)
			all_ok = 0;
	}
	CHECK(all_ok, "2000 random span lists: union count and length match brute force");

	/* radix path: large random tails with scratch, negative and wide keys */
	all_ok = 1;
	for (int round = 0; round < 20 && all_ok; round++)
	{
		size_t		cnt = 3000 + (size_t) (rand() % 3000),
					pre = (size_t) (rand() % 1000),
					k1,
					k2;
		ims_span   *a = malloc(cnt * sizeof(ims_span)),
				   *b = malloc(cnt * sizeof(ims_span)),
				   *scr = malloc(cnt * sizeof(ims_span));

		for (size_t i = 0; i < cnt; i++)
		{
			int64_t		lo = ((int64_t) rand() << 20) ^ rand();

			if (round % 2)
				lo -= (int64_t) 1 << 40;	/* cross zero: sign handling */
			if (round % 5 == 0)
				lo = (int64_t) (rand() % 50);	/* only the low byte varies */
			a[i].lo = lo;
			a[i].hi = lo + rand() % 100000;
		}
		a[0].lo = IMS_TS_NEG_INF;
		a[0].hi = IMS_TS_NEG_INF + 10;
		a[1].lo = IMS_TS_POS_INF - 10;
		a[1].hi = IMS_TS_POS_INF;
		memcpy(b, a, cnt * sizeof(ims_span));
		k1 = ims_spans_normalize(a, cnt, 0, NULL);	/* quicksort */
		k2 = ims_spans_normalize(b, pre, 0, scr);	/* prefix, then radix tail */
		memmove(b + k2, b + pre, (cnt - pre) * sizeof(ims_span));
		k2 = ims_spans_normalize(b, k2 + cnt - pre, k2, scr);
		if (k1 != k2 || memcmp(a, b, k1 * sizeof(ims_span)) != 0 || !ims_spans_is_normalized(a, k1))
			all_ok = 0;
		memcpy(b, a, k1 * sizeof(ims_span));
		free(a);
		free(b);
		free(scr);
	}
	CHECK(all_ok, "radix sort of large tails equals quicksort, across signs and infinities");

	/* large sort: many spans, sorted, reversed and equal keys */
	{
		size_t		big = 100000;
		ims_span   *b = malloc(big * sizeof(ims_span));

		for (size_t i = 0; i < big; i++)
			b[i] = (ims_span) {(int64_t) (big - i) * 10, (int64_t) (big - i) * 10 + 5};
		n = ims_spans_normalize(b, big, 0, NULL);
		CHECK(n == big && ims_spans_is_normalized(b, n), "100000 reversed disjoint spans stay disjoint");
		for (size_t i = 0; i < big; i++)
			b[i] = (ims_span) {7, 9};
		CHECK_INT(ims_spans_normalize(b, big, 0, NULL), 1, "100000 equal spans merge into one");
		free(b);
	}

	/* mean state */
	{
		ims_mean	m = {0, 0, 0},
					m2;
		int64_t		mean;
		char		buf[IMS_MEAN_TEXT_MAX];

		CHECK_INT(ims_mean_result(&m, &mean), 1, "empty mean has no result");
		ims_mean_add(&m, 3600000000LL);
		ims_mean_add(&m, 7200000000LL);
		CHECK(ims_mean_result(&m, &mean) == 0 && mean == 5400000000LL, "mean of 1h and 2h is 1.5h");
		ims_mean_format(&m, buf);
		CHECK_STR(buf, "(2,10800000000)", "mean state text");
		ims_mean_add(&m, -10800000000LL - 1);
		ims_mean_format(&m, buf);
		CHECK_STR(buf, "(3,-1)", "negative durations are summed");
		CHECK(ims_mean_result(&m, &mean) == 0 && mean == 0, "-1/3 rounds to 0");
		m = (ims_mean) {2, 0, 0};
		ims_mean_add(&m, -3);
		CHECK(ims_mean_result(&m, &mean) == 0 && mean == -1, "-3/3 is -1");
		m = (ims_mean) {1, 0, 0};
		ims_mean_add(&m, -3);
		CHECK(ims_mean_result(&m, &mean) == 0 && mean == -2, "-1.5 rounds away from zero to -2");
		m = (ims_mean) {1, 0, 0};
		ims_mean_add(&m, 3);
		CHECK(ims_mean_result(&m, &mean) == 0 && mean == 2, "1.5 rounds away from zero to 2");

		/* carries into the high word and back */
		m = (ims_mean) {0, 0, 0};
		for (int i = 0; i < 4; i++)
			ims_mean_add(&m, INT64_MAX);
		ims_mean_format(&m, buf);
		CHECK_STR(buf, "(4,36893488147419103228)", "sum beyond 64 bits");
		CHECK(ims_mean_result(&m, &mean) == 0 && mean == INT64_MAX, "mean of 4 x INT64_MAX");
		CHECK(ims_mean_parse(buf, &m2) == 0 && m2.count == m.count && m2.sum_hi == m.sum_hi &&
			  m2.sum_lo == m.sum_lo, "wide sum round-trips");
		for (int i = 0; i < 8; i++)
			ims_mean_add(&m, INT64_MIN);
		ims_mean_format(&m, buf);
		CHECK_STR(buf, "(12,-36893488147419103236)", "negative wide sum");
		CHECK(ims_mean_parse(" (12,-36893488147419103236)\n", &m2) == 0 && m2.count == 12 &&
			  m2.sum_hi == m.sum_hi && m2.sum_lo == m.sum_lo, "parse allows surrounding blanks");

		m = (ims_mean) {1, 0, 0};
		m2 = (ims_mean) {INT64_MAX, 0, 0};
		CHECK_INT(ims_mean_combine(&m, &m2), -1, "combine refuses a count overflow");
		m2 = (ims_mean) {2, 0, 7};
		CHECK(ims_mean_combine(&m, &m2) == 0 && m.count == 3 && m.sum_lo == 7, "combine adds");

		CHECK_INT(mean_error("(0,0)"), 0, "(0,0) is the empty state");
		CHECK_INT(mean_error("(0,5)"), IMS_STATE_ECOUNT, "a sum without a count");
		CHECK_INT(mean_error("(-1,0)"), IMS_STATE_ERANGE, "a negative count");
		CHECK_INT(mean_error("(1,9223372036854775809)"), IMS_STATE_ESUM, "sum above count * 2^63");
		CHECK_INT(mean_error("(1,-9223372036854775808)"), 0, "sum of -2^63 with one row");
		CHECK_INT(mean_error("(9223372036854775808,0)"), IMS_STATE_ERANGE, "count above int64");
		CHECK_INT(mean_error("(01,5)"), IMS_STATE_ESYNTAX, "leading zero");
		CHECK_INT(mean_error("(1,-0)"), IMS_STATE_ESYNTAX, "minus zero");
		CHECK_INT(mean_error("(1,+5)"), IMS_STATE_ESYNTAX, "plus sign");
		CHECK_INT(mean_error("(1, 5)"), IMS_STATE_ESYNTAX, "blank inside");
		CHECK_INT(mean_error("(1,5)x"), IMS_STATE_ESYNTAX, "trailing garbage");
		CHECK_INT(mean_error("(1,5"), IMS_STATE_ESYNTAX, "missing parenthesis");
		CHECK_INT(mean_error(""), IMS_STATE_ESYNTAX, "empty text");
		CHECK_INT(mean_error("(1,99999999999999999999999999999999999999999)"), IMS_STATE_ERANGE,
				  "sum above 2^126");
	}

	/* outage set text */
	CHECK(oset_roundtrip("none:{}"), "empty set without period round-trips");
	CHECK(oset_roundtrip("[0,86400000000):{}"), "empty set with period round-trips");
	CHECK(oset_roundtrip("[0,86400000000):{[3600000000,7200000000),[7200000001,86400000000)}"),
		  "set with period round-trips");
	CHECK(oset_roundtrip("none:{[-inf,-5),[-3,inf)}"), "infinite spans without period round-trip");
	CHECK(oset_roundtrip("none:{[-211813488000000000,9223371331199999999)}"),
		  "extreme finite timestamps round-trip");
	CHECK_INT(oset_error("none:{[0,5),[5,6)}"), IMS_STATE_EORDER, "touching spans refused");
	CHECK_INT(oset_error("none:{[3,5),[0,1)}"), IMS_STATE_EORDER, "unsorted spans refused");
	CHECK_INT(oset_error("none:{[5,5)}"), IMS_STATE_EEMPTY, "empty span refused");
	CHECK_INT(oset_error("none:{[inf,inf)}"), IMS_STATE_EEMPTY, "[inf,inf) refused");
	CHECK_INT(oset_error("[0,10):{[5,11)}"), IMS_STATE_EOUTSIDE, "span beyond the period refused");
	CHECK_INT(oset_error("[0,10):{[-inf,5)}"), IMS_STATE_EOUTSIDE, "infinite span with a period refused");
	CHECK_INT(oset_error("[10,10):{}"), IMS_STATE_EPERIOD, "empty period refused");
	CHECK_INT(oset_error("[-inf,10):{}"), IMS_STATE_EPERIOD, "infinite period refused");
	CHECK_INT(oset_error("none:{[0,9223372036854775807)}"), IMS_STATE_ERANGE,
			  "INT64_MAX must be written inf");
	CHECK_INT(oset_error("none:{[-211813488000000001,0)}"), IMS_STATE_ERANGE,
			  "before PostgreSQL's first timestamp");
	CHECK_INT(oset_error("none:{[0,1),}"), IMS_STATE_ESYNTAX, "trailing comma");
	CHECK_INT(oset_error("none:{[0,1)"), IMS_STATE_ESYNTAX, "missing brace");
	CHECK_INT(oset_error("none{}"), IMS_STATE_ESYNTAX, "missing colon");
	CHECK_INT(oset_error("none:{[00,1)}"), IMS_STATE_ESYNTAX, "leading zero");
	CHECK_INT(oset_error("none:{[-0,1)}"), IMS_STATE_ESYNTAX, "minus zero");
	CHECK_INT(oset_error("none:{[0,1]}"), IMS_STATE_ESYNTAX, "closed bracket");
	CHECK_INT(oset_error("none:{[0 ,1)}"), IMS_STATE_ESYNTAX, "blank inside");
	CHECK_INT(oset_error("nonsense"), IMS_STATE_ESYNTAX, "not a state");
	CHECK_INT(oset_error("  none:{}  "), 0, "surrounding blanks allowed");
	{
		ims_span	spans[4];
		ims_oset	o = {.spans = spans};
		size_t		bad;

		CHECK(ims_oset_parse("none:{[0,5),[9,12),[11,20)}", &o, &bad) == IMS_STATE_EORDER && bad == 3,
			  "the offending span is named");
	}

	return unit_done();
}
