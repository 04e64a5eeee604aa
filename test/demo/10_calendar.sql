-- Demo chapter 10: business calendars and SLA clocks (doc/calendars.md).
\echo
\echo '== Business calendars: when does the SLA clock run?'
\echo 'A calendar is a value: a time zone, opening hours, holidays and special days.'
INSERT INTO ims.business_calendar (name, cal, description) VALUES
  ('berlin-office', 'tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-12-24; closed yearly 01-01,05-01,10-03,12-25,12-26; 2026-12-31 09:00-12:00',
   'Berlin service desk: office hours, German holidays, half day on New Year''s Eve'),
  ('24x7', '24x7', 'Always open (UTC)')
ON CONFLICT (name) DO NOTHING;
SELECT name, cal, description FROM ims.business_calendar WHERE name IN ('berlin-office', '24x7') ORDER BY name DESC;

\echo
\echo 'An incident opened Wednesday 2026-12-23 16:00 in Berlin with an 8-hour resolution target.'
\echo 'Office hours skip Christmas Eve (closed), Christmas Day (yearly) and the weekend:'
SELECT name,
       ims.business_add(cal, timestamp '2026-12-23 16:00' AT TIME ZONE 'Europe/Berlin', '8 hours')
         AT TIME ZONE 'Europe/Berlin' AS due_berlin_time
  FROM ims.business_calendar WHERE name IN ('berlin-office', '24x7') ORDER BY name DESC;

\echo
\echo 'How much business time lies between two instants (the same span, two calendars):'
SELECT name,
       ims.business_time(cal, timestamp '2026-12-23 16:00' AT TIME ZONE 'Europe/Berlin',
                              timestamp '2027-01-04 12:00' AT TIME ZONE 'Europe/Berlin') AS business_time
  FROM ims.business_calendar WHERE name IN ('berlin-office', '24x7') ORDER BY name DESC;

\echo
\echo 'Daylight saving time follows PostgreSQL: a 24x7 Berlin day has 23 hours in March.'
SELECT ims.business_time('tz Europe/Berlin; 24x7', timestamp '2026-03-29 00:00' AT TIME ZONE 'Europe/Berlin',
                                                   timestamp '2026-03-30 00:00' AT TIME ZONE 'Europe/Berlin') AS spring_day,
       ims.business_time('tz Europe/Berlin; 24x7', timestamp '2026-10-25 00:00' AT TIME ZONE 'Europe/Berlin',
                                                   timestamp '2026-10-26 00:00' AT TIME ZONE 'Europe/Berlin') AS autumn_day;

\echo
\echo '== An SLA clock, paused while waiting for the customer'
CREATE TEMP TABLE demo_clock (step int, event text, at timestamptz, clock ims.sla_clock);
INSERT INTO demo_clock VALUES (1, 'opened', timestamp '2026-12-23 16:00' AT TIME ZONE 'Europe/Berlin',
                               ims.sla_start('8 hours', timestamp '2026-12-23 16:00' AT TIME ZONE 'Europe/Berlin'));
INSERT INTO demo_clock SELECT 2, 'on hold: waiting for customer', timestamp '2026-12-28 11:00' AT TIME ZONE 'Europe/Berlin',
       ims.sla_pause(clock, (SELECT cal FROM ims.business_calendar WHERE name = 'berlin-office'),
                     timestamp '2026-12-28 11:00' AT TIME ZONE 'Europe/Berlin') FROM demo_clock WHERE step = 1;
INSERT INTO demo_clock SELECT 3, 'customer replied', timestamp '2026-12-30 14:00' AT TIME ZONE 'Europe/Berlin',
       ims.sla_resume(clock, timestamp '2026-12-30 14:00' AT TIME ZONE 'Europe/Berlin') FROM demo_clock WHERE step = 2;
INSERT INTO demo_clock SELECT 4, 'resolved', timestamp '2026-12-31 10:30' AT TIME ZONE 'Europe/Berlin',
       ims.sla_stop(clock, (SELECT cal FROM ims.business_calendar WHERE name = 'berlin-office'),
                    timestamp '2026-12-31 10:30' AT TIME ZONE 'Europe/Berlin') FROM demo_clock WHERE step = 3;
SELECT d.step, d.event, d.at AT TIME ZONE 'Europe/Berlin' AS at_berlin, ims.sla_state(d.clock) AS state,
       ims.sla_elapsed(d.clock, b.cal, d.at) AS elapsed,
       ims.sla_remaining(d.clock, b.cal, d.at) AS remaining,
       ims.sla_due(d.clock, b.cal) AT TIME ZONE 'Europe/Berlin' AS due_berlin,
       ims.sla_breached(d.clock, b.cal, d.at) AS breached
  FROM demo_clock d, ims.business_calendar b WHERE b.name = 'berlin-office' ORDER BY d.step;
\echo 'The clock is a value whose text form round-trips (times in UTC):'
SELECT clock FROM demo_clock WHERE step = 4;
\echo 'Resumed on Wednesday afternoon, the clock was due at 11:00 on the half day of New Year''s Eve;'
\echo 'resolved at 10:30 it used 7.5 of its 8 business hours.'
