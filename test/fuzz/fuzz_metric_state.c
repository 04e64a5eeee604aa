/*
 * libFuzzer target for the metric states (src/core/metric_state.c) and the
 * span union (src/core/interval_set.c).  The first byte picks the test:
 *   'm'  mean state text: whatever parses formats to text that parses back
 *        to the same value and prints identically (exact round-trip);
 *   'n'  span union: the rest is read as (lo, len) byte pairs; normalizing
 *        with and without scratch, all at once and in two steps, gives the
 *        same normalized list, whose length and count match a brute-force
 *        walk over the grid;
 *   else outage set text, with the same round-trip property.
 */
#include <stdlib.h>
#include <string.h>

#include "core/metric_state.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s;

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	if (data[0] == 'n')
	{
		size_t		cnt = (size - 1) / 2 > 601 ? 601 : (size - 1) / 2,
					k1,
					k2,
					half = cnt / 2,
					pieces = 0;
		ims_span   *a = malloc((cnt + 1) * sizeof(ims_span)),
				   *b = malloc((cnt + 1) * sizeof(ims_span)),
				   *scr = malloc((cnt + 1) * sizeof(ims_span));
		uint64_t	total,
					want = 0;
		unsigned char cover[300] = {0};

		for (size_t i = 0; i < cnt; i++)
		{
			a[i].lo = data[1 + 2 * i];
			a[i].hi = a[i].lo + (int8_t) data[2 + 2 * i] % 24;	/* some empty or reversed */
			for (int64_t t = a[i].lo; t < a[i].hi; t++)
				cover[t] = 1;
		}
		for (int t = 0; t < 300; t++)
		{
			want += cover[t];
			pieces += cover[t] && (t == 0 || !cover[t - 1]);
		}
		memcpy(b, a, cnt * sizeof(ims_span));
		k1 = ims_spans_normalize(a, cnt, 0, cnt % 2 ? scr : NULL);
		k2 = ims_spans_normalize(b, half, 0, NULL);
		memmove(b + k2, b + half, (cnt - half) * sizeof(ims_span));
		k2 = ims_spans_normalize(b, k2 + cnt - half, k2, scr);
		if (k1 != k2 || memcmp(a, b, k1 * sizeof(ims_span)) != 0)
			abort();
		if (!ims_spans_is_normalized(a, k1) || k1 != pieces ||
			ims_spans_total(a, k1, &total) != 0 || total != want)
			abort();
		free(a);
		free(b);
		free(scr);
	}
	else if (data[0] == 'm')
	{
		ims_mean	m,
					m2;
		char		buf[IMS_MEAN_TEXT_MAX],
					buf2[IMS_MEAN_TEXT_MAX];
		int64_t		mean;

		if (ims_mean_parse(s, &m) == 0)
		{
			ims_mean_format(&m, buf);
			if (ims_mean_parse(buf, &m2) != 0 || memcmp(&m, &m2, sizeof(m)) != 0)
				abort();
			ims_mean_format(&m2, buf2);
			if (strcmp(buf, buf2) != 0)
				abort();
			if (ims_mean_result(&m, &mean) < 0)
				abort();		/* valid states always have a mean */
		}
	}
	else
	{
		size_t		cap = ims_oset_count_upper(s) + 1,
					bad;
		ims_span   *sp = malloc(cap * sizeof(ims_span)),
				   *sp2 = malloc(cap * sizeof(ims_span));
		ims_oset	o = {.spans = sp},
					o2 = {.spans = sp2};

		if (ims_oset_parse(s, &o, &bad) == 0)
		{
			size_t		len = ims_oset_text_len(&o);
			char	   *buf = malloc(len + 1);

			if (ims_oset_format(&o, buf) != len || strlen(buf) != len)
				abort();
			if (ims_oset_parse(buf, &o2, &bad) != 0 || o2.n != o.n ||
				o2.has_period != o.has_period || o2.plo != o.plo || o2.phi != o.phi ||
				memcmp(sp, sp2, o.n * sizeof(ims_span)) != 0)
				abort();
			if (!ims_spans_is_normalized(sp, o.n))
				abort();
			free(buf);
		}
		free(sp);
		free(sp2);
	}
	free(s);
	return 0;
}
