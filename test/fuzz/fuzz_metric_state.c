/*
 * libFuzzer target for the text parsers of the metric states
 * (src/core/metric_state.c).  The first byte picks the parser ('m' mean,
 * anything else outage set); whatever parses must format to text that parses
 * back to the same value and prints identically (exact round-trip).
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

	if (data[0] == 'm')
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
