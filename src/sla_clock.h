/*
 * sla_clock.h — the ims.sla_clock type for other C code of ims (stable API).
 *
 * An ims.sla_clock Datum points to an ImsSlaClock (fixed size, 40 bytes,
 * pass by reference; see src/core/sla_clock_math.h for the fields).  The
 * functions below raise SQL errors (ereport) on misuse: 22023 when time goes
 * backwards, 55000 when pausing or resuming a stopped clock (doc/errors.md).
 */
#ifndef IMS_SLA_CLOCK_H
#define IMS_SLA_CLOCK_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"

#include "calendar.h"
#include "core/sla_clock_math.h"

#define DatumGetImsSlaClockP(d)		((ImsSlaClock *) DatumGetPointer(d))
#define ImsSlaClockPGetDatum(p)		PointerGetDatum(p)

/* Each returns a new palloc'd clock. */
extern ImsSlaClock *ims_sla_start(int64 target_usecs, TimestampTz at);
extern ImsSlaClock *ims_sla_pause(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz at);
extern ImsSlaClock *ims_sla_resume(const ImsSlaClock *c, TimestampTz at);
extern ImsSlaClock *ims_sla_stop(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz at);

/* Business microseconds elapsed at `at`. */
extern int64 ims_sla_elapsed(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz at);

/* Due instant of a running clock; false (no due time) for paused/stopped. */
extern bool ims_sla_due(const ImsSlaClock *c, ImsCalendar *cal, TimestampTz *due);

#endif							/* IMS_SLA_CLOCK_H */
