/*
 * fuzz_sla_clock.c — libFuzzer target for the SLA clock text parser and the
 * clock operations (src/core/sla_clock_math.c).
 *
 * Invariants (abort() on failure): an accepted text prints and re-parses to
 * the identical value; operations on it either succeed with a valid clock
 * whose elapsed time never decreases, or fail with a documented status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sla_clock_math.h"
#include "../unit/testzone.h"

static ImsCalendar *cal24 = NULL;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ImsSlaClock c,
				c2,
				r;
	ImsError	err;
	char		buf[IMS_CLOCK_TEXT_MAX],
				buf2[IMS_CLOCK_TEXT_MAX];
	int64_t		at,
				e0,
				e1;
	ImsStatus	st;

	if (cal24 == NULL)
	{
		tz_init();
		cal24 = tz_parse("tz TestEU; mon-fri 09:00-17:00; closed yearly 12-25");
		if (cal24 == NULL)
			abort();
	}
	if (ims_clock_parse((const char *) data, size, &c, &err) != IMS_OK)
	{
		if (err.status != IMS_ERR_SYNTAX || err.message[0] == '\0')
			abort();
		return 0;
	}
	ims_clock_print(&c, buf, sizeof(buf));
	if (strlen(buf) + 1 >= sizeof(buf))
		abort();
	if (ims_clock_parse(buf, strlen(buf), &c2, &err) != IMS_OK || memcmp(&c, &c2, sizeof(c)) != 0)
	{
		fprintf(stderr, "clock text does not round-trip: %s\n", buf);
		abort();
	}
	ims_clock_print(&c2, buf2, sizeof(buf2));
	if (strcmp(buf, buf2) != 0)
		abort();

	/* operations one business day after the last event */
	at = c.since + (size % 3) * IMS_USECS_PER_DAY + (int64_t) (size % 97) * IMS_USECS_PER_MIN;
	if (at >= IMS_END_TIMESTAMP - 400 * IMS_USECS_PER_DAY)
		return 0;
	if (ims_clock_elapsed(&c, cal24, at, &e0, &err) != IMS_OK)
		return 0;				/* e.g. too far in the future for the zone table */
	st = ims_clock_pause(&c, cal24, at, &r, &err);
	if (st == IMS_OK)
	{
		if (ims_clock_validate(&r, &err) != IMS_OK || ims_clock_elapsed(&r, cal24, at, &e1, &err) != IMS_OK || e1 != e0)
			abort();
	}
	else if (st != IMS_ERR_STATE || c.state != IMS_CLOCK_STOPPED)
		abort();
	st = ims_clock_stop(&c, cal24, at, &r, &err);
	if (st != IMS_OK || ims_clock_validate(&r, &err) != IMS_OK || r.state != IMS_CLOCK_STOPPED ||
		(c.state != IMS_CLOCK_STOPPED && r.elapsed != e0))
		abort();
	st = ims_clock_resume(&c, at, &r, &err);
	if ((st == IMS_OK) == (c.state == IMS_CLOCK_STOPPED))
		abort();
	return 0;
}
