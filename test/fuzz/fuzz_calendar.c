/*
 * fuzz_calendar.c — libFuzzer target for the calendar text parser and the
 * arithmetic behind it (src/core/calendar_parse.c, calendar_math.c).
 *
 * Invariants checked on every input the parser accepts (abort() on failure):
 *   - print(parse(x)) re-parses to an equal calendar and prints identically;
 *   - business_time is additive and business_add inverts it, on instants
 *     derived from the input, in a zone with DST (test/unit/testzone.h).
 * Rejected inputs must come back as IMS_ERR_SYNTAX with a message.
 *
 * Long run: see doc/testing.md (make fuzz; test/fuzz/bin/fuzz_calendar -max_total_time=3600 corpus/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar_math.h"
#include "../unit/testzone.h"

static int	initialised = 0;

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ImsCalendar *a = NULL,
			   *b = NULL;
	ImsError	err;
	char	   *p1,
			   *p2;
	ImsStatus	st;
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	if (!initialised)
	{
		tz_init();
		initialised = 1;
	}
	memset(&err, 0, sizeof(err));
	st = ims_cal_parse((const char *) data, size, &tz_mem, tz_check, NULL, &a, &err);
	if (st != IMS_OK)
	{
		if (st != IMS_ERR_SYNTAX || err.message[0] == '\0' || a != NULL)
			abort();
		return 0;
	}
	p1 = ims_cal_print(a, &tz_mem);
	if (p1 == NULL)
		abort();
	if (ims_cal_parse(p1, strlen(p1), &tz_mem, tz_check, NULL, &b, &err) != IMS_OK)
	{
		fprintf(stderr, "canonical form does not re-parse: %s\n%s: %s\n", p1, err.message, err.detail);
		abort();
	}
	p2 = ims_cal_print(b, &tz_mem);
	if (!ims_cal_equal(a, b) || strcmp(p1, p2) != 0)
	{
		fprintf(stderr, "round trip changed the calendar:\n%s\n%s\n", p1, p2);
		abort();
	}

	/* arithmetic invariants on a few instants derived from the input */
	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	tz_attach(a);
	for (i = 0; i < 4; i++)
	{
		uint64_t	r1 = mix(h + i * 3 + 1),
					r2 = mix(h + i * 3 + 2),
					r3 = mix(h + i * 3 + 3);
		int64_t		t0 = (int64_t) ims_days_from_civil(2025, 1, 1) * TZ_D + (int64_t) (r1 % (uint64_t) (1500 * TZ_D));
		int64_t		t1 = t0 + (int64_t) (r2 % (uint64_t) (30 * TZ_D));
		int64_t		tm;
		int64_t		x,
					y,
					z,
					t2,
					back;

		if (i % 2)
		{
			t0 -= t0 % (15 * IMS_USECS_PER_MIN);
			t1 -= t1 % (15 * IMS_USECS_PER_MIN);
		}
		tm = t0 + (t1 - t0) / 2;
		if (ims_cal_business_time(a, t0, tm, &x, &err) != IMS_OK ||
			ims_cal_business_time(a, tm, t1, &y, &err) != IMS_OK ||
			ims_cal_business_time(a, t0, t1, &z, &err) != IMS_OK)
			abort();
		if (x + y != z || x < 0 || y < 0 || z > t1 - t0)
		{
			fprintf(stderr, "additivity broken for %s\n", p1);
			abort();
		}
		if (z > 0)
		{
			int64_t		d = 1 + (int64_t) (r3 % (uint64_t) z);

			if (ims_cal_business_add(a, t0, d, &t2, &err) != IMS_OK ||
				ims_cal_business_time(a, t0, t2, &back, &err) != IMS_OK || back != d || t2 > t1)
			{
				fprintf(stderr, "business_add does not invert business_time for %s\n", p1);
				abort();
			}
			if (ims_cal_business_add(a, t1, -d, &t2, &err) != IMS_OK ||
				ims_cal_business_time(a, t2, t1, &back, &err) != IMS_OK || back != d || t2 < t0)
			{
				fprintf(stderr, "negative business_add does not invert business_time for %s\n", p1);
				abort();
			}
		}
	}
	free(p1);
	free(p2);
	ims_cal_free(a);
	ims_cal_free(b);
	return 0;
}
