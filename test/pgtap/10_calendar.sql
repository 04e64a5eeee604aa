-- pgTAP: business calendars and SLA clocks — properties over thousands of
-- random cases (seeded, so a failure can be replayed), errors by SQLSTATE,
-- and the catalog labels SPEC section 11 relies on.
BEGIN;
SELECT plan(54);
SET LOCAL timezone = 'UTC';
SELECT setseed(0.42);

CREATE TEMP TABLE cals (name text, c ims.calendar) ON COMMIT DROP;
INSERT INTO cals VALUES
  ('berlin office', 'tz Europe/Berlin; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01,12-25; 2026-12-31 09:00-12:00'),
  ('new york night shift', 'tz America/New_York; sun-thu 22:00-06:00; fri 07:00-09:30'),
  ('sydney 24x7', 'tz Australia/Sydney; 24x7'),
  ('berlin dst-edge windows', 'tz Europe/Berlin; mon-sun 01:00-02:30,02:45-04:00; 2026-03-29 01:30-03:30; 2026-10-25 02:30-02:45,03:00-05:00'),
  ('utc with a long closure', 'tz UTC; mon-fri 08:00-16:00; closed 2026-07-01..2026-08-31; closed yearly 01-01');

-- random instants 2025-2028 (crossing many DST changes), spans up to 20 days, durations up to 200 hours
CREATE TEMP TABLE cases ON COMMIT DROP AS
SELECT name, c,
       timestamptz '2025-01-01 00:00+00' + random() * interval '1400 days' AS t,
       (random() * 200 * 3600 * 1e6)::bigint * interval '1 microsecond' AS d,
       random() * interval '480 hours' AS span
  FROM cals, generate_series(1, 600);

SELECT is(count(*), 3000::bigint, 'there are 3000 random cases') FROM cases;

SELECT ok(bool_and(ims.business_time(c, t, ims.business_add(c, t, d)) = d),
          'business_time(c, t, business_add(c, t, d)) = d: ' || name)
  FROM cases GROUP BY name ORDER BY name;

SELECT ok(bool_and(ims.business_time(c, ims.business_add(c, t, -d), t) = d),
          'negative durations: business_time(c, business_add(c, t, -d), t) = d: ' || name)
  FROM cases GROUP BY name ORDER BY name;

SELECT ok(bool_and(ims.business_time(c, t, t + span / 3) + ims.business_time(c, t + span / 3, t + span)
                   = ims.business_time(c, t, t + span)),
          'additivity business_time(a,b) + business_time(b,c) = business_time(a,c): ' || name)
  FROM cases GROUP BY name ORDER BY name;

SELECT ok(bool_and(ims.business_time(c, t + span, t) = -ims.business_time(c, t, t + span)),
          'reversed spans are negative: ' || name)
  FROM cases GROUP BY name ORDER BY name;

SELECT ok(bool_and(ims.is_business_time(c, date_trunc('second', t))
                   = (ims.business_time(c, date_trunc('second', t), date_trunc('second', t) + interval '1 second') > '0')),
          'is_business_time agrees with a one-second business_time: ' || name)
  FROM cases GROUP BY name ORDER BY name;

SELECT ok(bool_and(ims.is_business_time(c, ims.next_business_time(c, t))
                   AND ims.business_time(c, t, ims.next_business_time(c, t)) = '0'),
          'next_business_time is business time with none before it: ' || name)
  FROM cases GROUP BY name ORDER BY name;

SELECT ok(bool_and(ims.business_time('24x7', t, t + span) = span AND ims.business_time('24x7', t, t + span)::text = span::text),
          'on 24x7 business time equals wall time')
  FROM cases;

SELECT ok(bool_and(ims.business_add(c, t, '0') = t), 'business_add of zero returns t') FROM cases;

SELECT ok(bool_and(ims.business_time(c, t, ims.business_add(c, t, d) - interval '1 microsecond') < d),
          'business_add returns the earliest such instant') FROM cases WHERE d > '0';
SELECT ok(bool_and(ims.business_time(c, ims.business_add(c, t, -d) + interval '1 microsecond', t) < d),
          'a negative business_add returns the latest such instant') FROM cases WHERE d > '0';
SELECT ok(bool_and(ims.business_days_add(c, ims.business_days_add(c, t, 3), -3) = t),
          'business_days_add(+3) then (-3) returns to a business instant (office hours, no overnight windows)')
  FROM cases WHERE name = 'berlin office' AND ims.is_business_time(c, t);

SELECT ok(bool_and(ims.business_add(c, t, d) = ims.business_add(c, ims.next_business_time(c, t), d)),
          'a duration from a closed instant starts at the next opening') FROM cases WHERE d > '0';

-- results do not depend on the session's TimeZone (the functions are honestly IMMUTABLE)
CREATE TEMP TABLE under_utc ON COMMIT DROP AS
SELECT name, t, ims.business_time(c, t, t + span) AS bt, ims.business_add(c, t, d) AS ba,
       ims.business_days_add(c, t, 2) AS bd, ims.next_business_time(c, t) AS nb
  FROM cases;
SET LOCAL timezone = 'Pacific/Chatham';
SELECT is((SELECT count(*) FROM cases x JOIN under_utc u USING (name, t)
            WHERE u.bt = ims.business_time(x.c, x.t, x.t + x.span) AND u.ba = ims.business_add(x.c, x.t, x.d)
              AND u.bd = ims.business_days_add(x.c, x.t, 2) AND u.nb = ims.next_business_time(x.c, x.t)),
          3000::bigint, 'the same 3000 results under TimeZone Pacific/Chatham');
SET LOCAL timezone = 'UTC';

-- errors carry SQLSTATEs
SELECT throws_ok($$SELECT 'tz Nowhere/Atlantis; mon 09:00-17:00'::ims.calendar$$, '22P02', NULL, 'unknown zone: 22P02');
SELECT throws_ok($$SELECT 'tz UTC; mon 25:00-26:00'::ims.calendar$$, '22P02', NULL, 'hour 25: 22P02');
SELECT throws_ok($$SELECT 'tz UTC; mon 09:00-12:00,11:00-13:00'::ims.calendar$$, '22P02', NULL, 'overlapping windows: 22P02');
SELECT throws_ok($$SELECT ''::ims.calendar$$, '22P02', NULL, 'empty text: 22P02');
SELECT throws_ok($$SELECT 'tz UTC; closed 2026-02-30'::ims.calendar$$, '22P02', NULL, 'bad date: 22P02');
SELECT throws_ok($$SELECT ims.business_add('24x7', now(), '1 month')$$, '22023', NULL, 'months in a business duration: 22023');
SELECT throws_ok($$SELECT ims.business_time('24x7', 'infinity', now())$$, '22008', NULL, 'infinite timestamps: 22008');
SELECT throws_ok($$SELECT ims.sla_pause(ims.sla_start('1 hour', '2026-01-02'), '24x7', '2026-01-01')$$, '22023', NULL, 'time going backwards: 22023');
SELECT throws_ok($$SELECT ims.sla_pause(ims.sla_stop(ims.sla_start('1 hour', '2026-01-01'), '24x7', '2026-01-02'), '24x7', '2026-01-03')$$,
                 '55000', NULL, 'pausing a stopped clock: 55000');
SELECT throws_ok($$SELECT 'running'::ims.sla_clock$$, '22P02', NULL, 'malformed clock: 22P02');

-- no-op cases return the clock unchanged
SELECT ok(ims.sla_pause(p, '24x7', '2026-01-05') OPERATOR(ims.=) p, 'pausing a paused clock returns it unchanged')
  FROM (SELECT ims.sla_pause(ims.sla_start('1 hour', '2026-01-01'), '24x7', '2026-01-02') AS p) x;
SELECT ok(ims.sla_stop(s, '24x7', '2026-01-05') OPERATOR(ims.=) s, 'stopping a stopped clock returns it unchanged')
  FROM (SELECT ims.sla_stop(ims.sla_start('1 hour', '2026-01-01'), '24x7', '2026-01-02') AS s) x;

-- catalog labels
SELECT is((SELECT string_agg(DISTINCT provolatile::text || proisstrict::text || proparallel::text, ',')
             FROM pg_proc WHERE pronamespace = 'ims'::regnamespace
              AND proname IN ('business_time', 'business_add', 'business_days_add', 'is_business_time',
                              'next_business_time', 'calendar', 'calendar_to_jsonb', 'sla_start', 'sla_pause',
                              'sla_resume', 'sla_stop', 'sla_elapsed', 'sla_remaining', 'sla_due',
                              'sla_progress', 'sla_breached', 'sla_state')),
          'itrues', 'calendar and clock functions are IMMUTABLE STRICT PARALLEL SAFE');
SELECT has_table('ims', 'business_calendar', 'ims.business_calendar exists');
SELECT col_is_unique('ims', 'business_calendar', 'name', 'calendar names are unique');
SELECT ok((SELECT 'ims.business_calendar'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'ims'),
          'ims.business_calendar is dumped by pg_dump');

SELECT * FROM finish();
ROLLBACK;
