-- sla_clock: the ims.sla_clock type, its text form, a paused-and-resumed
-- history checked at every step, and misuse errors.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
SET search_path = public, ims;

-- text form round-trips
SELECT 'running target=08:00:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z'::ims.sla_clock;
SELECT '  paused   target=100:30:00.25 elapsed=01:02:03.000004 since=2026-11-20T09:00:00.5Z started=2026-11-19T23:59:59Z '::ims.sla_clock;
SELECT ims.sla_start('2 days 4 hours', '2026-11-20 09:00+00') AS days_count_24h;
SELECT c::text::ims.sla_clock = c AS round_trip
  FROM (VALUES (ims.sla_start('8 hours', '2026-11-20 09:00:00.123456+00'))) v(c);

-- malformed clocks: 22P02
SELECT ''::ims.sla_clock;
SELECT 'ticking target=08:00:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z'::ims.sla_clock;
SELECT 'running target=08:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z'::ims.sla_clock;
SELECT 'running target=00:00:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z'::ims.sla_clock;
SELECT 'running target=08:00:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-21T09:00:00Z'::ims.sla_clock;
SELECT 'running target=08:00:00 elapsed=00:00:00 since=2026-02-30T09:00:00Z started=2026-02-01T09:00:00Z'::ims.sla_clock;
SELECT 'running target=08:00:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z extra'::ims.sla_clock;
SELECT 'running target=08:61:00 elapsed=00:00:00 since=2026-11-20T09:00:00Z started=2026-11-20T09:00:00Z'::ims.sla_clock;

-- misuse of the constructor
SELECT ims.sla_start('0', '2026-11-20 09:00+00');
SELECT ims.sla_start('-1 hour', '2026-11-20 09:00+00');
SELECT ims.sla_start('1 month', '2026-11-20 09:00+00');
SELECT ims.sla_start('1 hour', 'infinity');

-- A resolution clock of 8 business hours on Berlin office hours, opened
-- Friday 2026-11-20 15:00 Berlin (14:00 UTC), on hold over the weekend from
-- Friday 16:30 to Monday 10:00, resolved Monday 16:00.
CREATE TEMP TABLE hist (step int, what text, c ims.sla_clock);
INSERT INTO hist VALUES (1, 'opened', ims.sla_start('8 hours', '2026-11-20 15:00+01'));
INSERT INTO hist SELECT 2, 'on hold', ims.sla_pause(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-20 16:30+01') FROM hist WHERE step = 1;
INSERT INTO hist SELECT 3, 'on hold again (no-op)', ims.sla_pause(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 09:00+01') FROM hist WHERE step = 2;
INSERT INTO hist SELECT 4, 'back in progress', ims.sla_resume(c, '2026-11-23 10:00+01') FROM hist WHERE step = 3;
INSERT INTO hist SELECT 5, 'resumed again (no-op)', ims.sla_resume(c, '2026-11-23 11:00+01') FROM hist WHERE step = 4;
INSERT INTO hist SELECT 6, 'resolved', ims.sla_stop(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 16:00+01') FROM hist WHERE step = 5;
INSERT INTO hist SELECT 7, 'stopped again (no-op)', ims.sla_stop(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-24 16:00+01') FROM hist WHERE step = 6;
SELECT step, what, ims.sla_state(c) AS state,
       ims.sla_elapsed(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 15:00+01') AS elapsed_mon_15,
       ims.sla_remaining(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 15:00+01') AS remaining_mon_15,
       ims.sla_due(c, 'tz Europe/Berlin; mon-fri 09:00-17:00') AT TIME ZONE 'Europe/Berlin' AS due_berlin,
       round(ims.sla_progress(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 15:00+01')::numeric, 4) AS progress,
       ims.sla_breached(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 15:00+01') AS breached
  FROM hist ORDER BY step;
SELECT step, c FROM hist ORDER BY step;

-- breach: the same history, read at Monday 16:00 and 16:30
SELECT at AT TIME ZONE 'Europe/Berlin' AS at_berlin,
       ims.sla_elapsed(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', at) AS elapsed,
       ims.sla_remaining(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', at) AS remaining,
       ims.sla_breached(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', at) AS breached
  FROM hist, (VALUES ('2026-11-23 15:30+01'::timestamptz), ('2026-11-23 16:00+01'), ('2026-11-23 16:30+01')) v(at)
 WHERE step = 5 ORDER BY at;
-- a clock read before its last event reads as of that event
SELECT ims.sla_elapsed(c, 'tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-01 00:00+01') FROM hist WHERE step = 4;

-- misuse: time going backwards (22023), pausing or resuming a stopped clock (55000)
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'no error';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
SELECT pg_temp.sqlstate_of(q) FROM (VALUES
  ($q$SELECT ims.sla_pause(c, '24x7', '2026-11-20 14:00+01') FROM hist WHERE step = 1$q$),
  ($q$SELECT ims.sla_resume(c, '2026-11-20 16:00+01') FROM hist WHERE step = 2$q$),
  ($q$SELECT ims.sla_stop(c, '24x7', '2026-11-20 16:00+01') FROM hist WHERE step = 2$q$),
  ($q$SELECT ims.sla_pause(c, '24x7', '2026-11-30 09:00+01') FROM hist WHERE step = 6$q$),
  ($q$SELECT ims.sla_resume(c, '2026-11-30 09:00+01') FROM hist WHERE step = 6$q$),
  ($q$SELECT 'x'::ims.sla_clock$q$),
  ($q$SELECT 'x'::ims.calendar$q$),
  ($q$SELECT ims.business_add('24x7', now(), '1 mon')$q$),
  ($q$SELECT ims.business_add('tz UTC', now(), '1 hour')$q$),
  ($q$SELECT ims.business_time('24x7', '-infinity', now())$q$)) v(q);
SELECT ims.sla_resume(c, '2026-11-30 09:00+01') FROM hist WHERE step = 6;

-- defaults: at defaults to now() at the call site
SELECT ims.sla_state(ims.sla_start('1 hour')) AS state,
       ims.sla_elapsed(ims.sla_start('1 hour'), '24x7') = '0' AS zero_now;
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, pg_get_expr(p.proargdefaults, 0) AS defaults
  FROM pg_proc p WHERE p.pronamespace = 'ims'::regnamespace AND p.proname LIKE 'sla\_%' ORDER BY 1;

-- a calendar that never gives the clock enough time: due is infinity, not an error
SELECT ims.sla_due(ims.sla_start('1 hour', '2026-01-01 00:00+00'), 'tz UTC') AS never_open,
       ims.sla_due(ims.sla_start('1 hour', '2026-01-01 00:00+00'), 'tz UTC; 2026-01-05 09:00-09:30') AS too_little;
