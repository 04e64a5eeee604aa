/*
 * sla_clock_math.h — the SLA clock value in plain C (SPEC section 2).
 *
 * A clock is a fixed-size value: its target (a business duration), its state
 * (running, paused, stopped), the business time accumulated up to `since`
 * (the instant of its last event: the start of the current running segment,
 * or the moment it was paused or stopped) and the instant it first started.
 * Business time is measured with an ImsCalendar passed to each operation, so
 * the clock itself never depends on a table.
 *
 * Text form (round-trips exactly; timestamps always in UTC):
 *   running target=08:00:00 elapsed=01:30:00 since=2026-11-20T09:00:00Z started=2026-11-20T08:00:00Z
 * Durations are hours:minutes:seconds with an optional .ffffff; hours are not
 * folded into days.
 */
#ifndef IMS_CORE_SLA_CLOCK_MATH_H
#define IMS_CORE_SLA_CLOCK_MATH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/calendar_math.h"
#include "core/ims_status.h"

#define IMS_CLOCK_FORMAT_VERSION 1
#define IMS_CLOCK_TEXT_MAX	160		/* printed form fits in this */

/* Clock timestamps lie in years 0001 .. 294276 (0001-01-01 is day -730119). */
#define IMS_CLOCK_MIN_TS	(INT64_C(-730119) * IMS_USECS_PER_DAY)

typedef enum ImsClockState
{
	IMS_CLOCK_RUNNING = 1,
	IMS_CLOCK_PAUSED = 2,
	IMS_CLOCK_STOPPED = 3
} ImsClockState;

typedef struct ImsSlaClock
{
	int64_t		target;			/* business microseconds, > 0 */
	int64_t		elapsed;		/* business microseconds up to since, >= 0 */
	int64_t		since;			/* last event (timestamptz) */
	int64_t		started;		/* first start (timestamptz), <= since */
	uint8_t		version;		/* IMS_CLOCK_FORMAT_VERSION */
	uint8_t		state;			/* ImsClockState */
	uint8_t		pad[6];			/* zero */
} ImsSlaClock;

extern const char *ims_clock_state_name(int state);

/* Checks every field (used by text input, binary input and every operation). */
extern ImsStatus ims_clock_validate(const ImsSlaClock *c, ImsError *err);

extern ImsStatus ims_clock_start(int64_t target, int64_t at, ImsSlaClock *out, ImsError *err);
extern ImsStatus ims_clock_pause(const ImsSlaClock *c, ImsCalendar *cal, int64_t at,
								 ImsSlaClock *out, ImsError *err);
extern ImsStatus ims_clock_resume(const ImsSlaClock *c, int64_t at, ImsSlaClock *out, ImsError *err);
extern ImsStatus ims_clock_stop(const ImsSlaClock *c, ImsCalendar *cal, int64_t at,
								ImsSlaClock *out, ImsError *err);

/* Business time elapsed at `at` (an instant before the last event reads as of that event). */
extern ImsStatus ims_clock_elapsed(const ImsSlaClock *c, ImsCalendar *cal, int64_t at,
								   int64_t *out, ImsError *err);

/* When a running clock reaches its target; *isnull for paused and stopped
 * clocks; INT64_MAX ('infinity') when the calendar never gives it enough time. */
extern ImsStatus ims_clock_due(const ImsSlaClock *c, ImsCalendar *cal, int64_t *out,
							   bool *isnull, ImsError *err);

/* Text form. */
extern void ims_clock_print(const ImsSlaClock *c, char *buf, size_t bufsz);
extern ImsStatus ims_clock_parse(const char *text, size_t len, ImsSlaClock *out, ImsError *err);

/* Helpers shared with the calendar glue and tests. */
extern void ims_format_duration(int64_t usecs, char *buf, size_t bufsz);
extern void ims_format_utc(int64_t ts, char *buf, size_t bufsz);

#endif							/* IMS_CORE_SLA_CLOCK_MATH_H */
