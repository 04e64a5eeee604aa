-- pgTAP: SLA policies and clocks (SPEC section 4).  A scripted history in a
-- Berlin calendar with on-hold periods across a weekend and the Easter
-- holidays, a response clock, an OLA, a priority change that adds a policy
-- retroactively, ims.sla_tick (idempotent, NOTIFY), ims.sla_rebuild against
-- the trigger-built clocks on a few hundred random histories, and pg_cron.
BEGIN;
SELECT plan(48);
SET LOCAL TimeZone = 'UTC';
SET LOCAL client_min_messages = warning;

INSERT INTO ims.business_calendar (id, name, cal) OVERRIDING SYSTEM VALUE VALUES
  (9001, 'tap berlin office', 'tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-04-03,2026-04-06');
INSERT INTO ims.sla_policy (id, name, metric, target, calendar_id, priorities) OVERRIDING SYSTEM VALUE VALUES
  (9001, 'tap P2 resolution 16h', 'resolution', '16 hours', 9001, '{2}'),
  (9002, 'tap P2 response 1h', 'response', '1 hour', 9001, '{2}'),
  (9003, 'tap P1 resolution 4h 24x7', 'resolution', '4 hours', NULL, '{1}');
INSERT INTO ims.sla_policy (id, name, agreement, metric, target, assignment_group) OVERRIDING SYSTEM VALUE VALUES
  (9004, 'tap OLA network 8h', 'ola', 'resolution', '8 hours', 'network');
CREATE FUNCTION pg_temp.clock(inc bigint, pol bigint) RETURNS ims.incident_sla LANGUAGE sql AS
  'SELECT s FROM ims.incident_sla s WHERE incident_id = inc AND policy_id = pol';
CREATE FUNCTION pg_temp.elapsed(inc bigint, pol bigint, at timestamptz) RETURNS interval LANGUAGE sql AS
  'SELECT ims.sla_elapsed(s.clock, ims._sla_cal(s.calendar_id), at) FROM ims.incident_sla s WHERE incident_id = inc AND policy_id = pol';

-- Thursday 2 April 2026, 10:00 in Berlin (08:00 UTC): a P2 incident opens.
SET LOCAL ims.event_time = '2026-04-02 10:00 Europe/Berlin';
INSERT INTO ims.incident (id, title, impact, urgency) VALUES (9001, 'VPN down', 2, 1);
SELECT is(priority, 2::smallint, 'impact 2 x urgency 1 is priority 2') FROM ims.incident WHERE id = 9001;
SELECT set_eq('SELECT policy_id FROM ims.incident_sla WHERE incident_id = 9001', ARRAY[9001, 9002]::bigint[],
              'the P2 resolution and response policies start; the OLA waits for its group, P1 does not match');
SELECT is(ims.sla_state((pg_temp.clock(9001, 9001)).clock), 'running', 'the resolution clock runs');
SELECT is((pg_temp.clock(9001, 9001)).due_at, '2026-04-08 10:00 Europe/Berlin'::timestamptz,
          'due after 16 business hours: Thu 7h, Good Friday, the weekend and Easter Monday closed, Tue 8h, Wed 1h');
SELECT is((pg_temp.clock(9001, 9002)).due_at, '2026-04-02 11:00 Europe/Berlin'::timestamptz, 'response due in 1 hour');

-- 12:00: acknowledged and assigned to network.
SET LOCAL ims.event_time = '2026-04-02 12:00 Europe/Berlin';
UPDATE ims.incident SET state = 'in_progress', assignment_group = 'network' WHERE id = 9001;
SELECT is(ims.sla_state((pg_temp.clock(9001, 9002)).clock), 'stopped', 'acknowledgement stops the response clock');
SELECT is(ims.sla_elapsed((pg_temp.clock(9001, 9002)).clock, ims._sla_cal(9001)), '02:00:00'::interval, 'after 2 business hours');
SELECT is((pg_temp.clock(9001, 9002)).breached_at, '2026-04-02 11:00 Europe/Berlin'::timestamptz, 'so it breached at 11:00');
SELECT results_eq($$SELECT kind, threshold, at FROM ims.sla_event WHERE incident_id = 9001 AND policy_id = 9002 ORDER BY threshold$$,
  $$VALUES ('warning', 0.5::float8, '2026-04-02 10:30 Europe/Berlin'::timestamptz),
           ('warning', 0.75::float8, '2026-04-02 10:45 Europe/Berlin'::timestamptz),
           ('breach', 1::float8, '2026-04-02 11:00 Europe/Berlin'::timestamptz)$$,
  'its warnings and breach are recorded at the instants they happened');
SELECT is(ims.sla_state((pg_temp.clock(9001, 9004)).clock), 'running', 'the network OLA starts when network gets the incident');
SELECT is((pg_temp.clock(9001, 9004)).due_at, '2026-04-02 20:00 Europe/Berlin'::timestamptz, 'the OLA runs 24x7');

-- 15:00: on hold until Tuesday (weekend and Easter holidays in between).
SET LOCAL ims.event_time = '2026-04-02 15:00 Europe/Berlin';
CREATE TEMP TABLE upd_before AS
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'ims.incident_sla'::regclass;
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9001;
SELECT is((SELECT (a.n_tup_upd - b.n_tup_upd, a.n_tup_hot_upd - b.n_tup_hot_upd)::text
             FROM pg_stat_xact_user_tables a, upd_before b WHERE a.relid = 'ims.incident_sla'::regclass),
          '(2,2)', 'pausing two clocks updates both rows in place (HOT: next_check_at, the indexed due time, is kept)');
SELECT is((pg_temp.clock(9001, 9001)).next_check_at, '2026-04-07 10:00 Europe/Berlin'::timestamptz,
          'a paused clock keeps next_check_at: the 50% crossing as it stood before the pause, now a lower bound');
SELECT is(ims.sla_state((pg_temp.clock(9001, 9001)).clock), 'paused', 'on hold pauses the resolution clock');
SELECT is(pg_temp.elapsed(9001, 9001, '2026-04-07 08:00 Europe/Berlin'), '05:00:00'::interval, 'it stays at 5 business hours while paused');
SELECT ok((pg_temp.clock(9001, 9001)).due_at IS NULL, 'a paused clock has no due time');
SELECT is(ims.sla_state((pg_temp.clock(9001, 9004)).clock), 'paused', 'and pauses the OLA');

-- Tuesday 7 April 11:00: back to work.
SET LOCAL ims.event_time = '2026-04-07 11:00 Europe/Berlin';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9001;
SELECT is(pg_temp.elapsed(9001, 9001, '2026-04-07 11:00 Europe/Berlin'), '05:00:00'::interval, 'no business time passed on hold');
SELECT is((pg_temp.clock(9001, 9001)).due_at, '2026-04-08 14:00 Europe/Berlin'::timestamptz,
          'due after 11 more business hours: Tue 6h, Wed 5h');
SELECT is((pg_temp.clock(9001, 9001)).next_check_at, '2026-04-07 10:00 Europe/Berlin'::timestamptz,
          'a resume keeps the earlier next_check_at (the pause only delayed the crossing)');
SELECT is(pg_temp.elapsed(9001, 9001, '2026-04-07 16:00 Europe/Berlin'), '10:00:00'::interval, 'elapsed keeps counting while running');

-- ims.sla_tick: warnings and the breach, once.
SELECT is(ims.sla_tick('2026-04-07 11:59 Europe/Berlin'), 0, 'nothing is due before 12:00');
SELECT is((pg_temp.clock(9001, 9001)).next_check_at, '2026-04-07 14:00 Europe/Berlin'::timestamptz,
          'the tick that passed the old bound made next_check_at exact: the 50% warning at 14:00');
SELECT is(ims.sla_tick('2026-04-07 13:59 Europe/Berlin'), 1, 'by 13:59 the OLA crossed 50% (4 of 8 hours, at 12:00)');
SELECT is(ims.sla_tick('2026-04-07 14:00 Europe/Berlin'), 2, 'at 14:00 the resolution clock crosses 50% and the OLA 75%');
SELECT is(ims.sla_tick('2026-04-07 14:00 Europe/Berlin'), 0, 'sla_tick is idempotent');
SELECT is(ims.sla_tick('2026-04-08 14:30 Europe/Berlin'), 3, 'by Wednesday 14:30: the OLA breach, the 75% warning and the breach');
SELECT is(ims.sla_tick('2026-04-08 14:30 Europe/Berlin'), 0, 'each recorded once');
SELECT results_eq($$SELECT kind, threshold, at FROM ims.sla_event WHERE incident_id = 9001 AND policy_id = 9001 ORDER BY threshold$$,
  $$VALUES ('warning', 0.5::float8, '2026-04-07 14:00 Europe/Berlin'::timestamptz),
           ('warning', 0.75::float8, '2026-04-08 10:00 Europe/Berlin'::timestamptz),
           ('breach', 1::float8, '2026-04-08 14:00 Europe/Berlin'::timestamptz)$$,
  'resolution: 50% after 8 business hours (Tue 14:00), 75% after 12 (Wed 10:00), the breach at the due time');
SELECT results_eq($$SELECT kind, threshold, at FROM ims.sla_event WHERE incident_id = 9001 AND policy_id = 9004 ORDER BY threshold$$,
  $$VALUES ('warning', 0.5::float8, '2026-04-07 12:00 Europe/Berlin'::timestamptz),
           ('warning', 0.75::float8, '2026-04-07 14:00 Europe/Berlin'::timestamptz),
           ('breach', 1::float8, '2026-04-07 16:00 Europe/Berlin'::timestamptz)$$,
  'OLA: 3 hours on Thursday, then 24x7 from Tuesday 11:00');
SELECT is((pg_temp.clock(9001, 9001)).breached_at, '2026-04-08 14:00 Europe/Berlin'::timestamptz, 'breached_at is the due time');
SELECT ok(ims.sla_breached((pg_temp.clock(9001, 9001)).clock, ims._sla_cal(9001), '2026-04-08 14:30 Europe/Berlin'), 'sla_breached agrees');
SELECT ok((pg_temp.clock(9001, 9001)).next_check_at IS NULL, 'nothing left to check');

-- Wednesday 16:00: resolved.
SET LOCAL ims.event_time = '2026-04-08 16:00 Europe/Berlin';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'router replaced' WHERE id = 9001;
SELECT is(ims.sla_state((pg_temp.clock(9001, 9001)).clock), 'stopped', 'resolving stops the resolution clock');
SELECT is(pg_temp.elapsed(9001, 9001, '2026-04-20'), '18:00:00'::interval, 'at 18 business hours: 5 + Tue 6 + Wed 7');
-- Thursday 10:00: reopened, the clock goes on from where it stopped.
SET LOCAL ims.event_time = '2026-04-09 10:00 Europe/Berlin';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9001;
SELECT is(ims.sla_state((pg_temp.clock(9001, 9001)).clock), 'running', 'a reopen resumes the resolution clock');
SELECT is(pg_temp.elapsed(9001, 9001, '2026-04-09 11:00 Europe/Berlin'), '19:00:00'::interval, 'keeping its elapsed time');

-- A priority change adds the P1 policy retroactively, with the earlier pause honoured.
SET LOCAL ims.event_time = '2026-04-09 11:00 Europe/Berlin';
UPDATE ims.incident SET impact = 1, urgency = 1 WHERE id = 9001;
SELECT set_eq('SELECT policy_id FROM ims.incident_sla WHERE incident_id = 9001', ARRAY[9003, 9004]::bigint[],
              'priority 1: the P1 policy applies, the P2 ones no longer do');
SELECT is(pg_temp.elapsed(9001, 9003, '2026-04-09 11:00 Europe/Berlin'),
          '35:00:00'::interval,
          'the P1 clock counts from opened_at, 24x7, without the days on hold: Thu 10-15 (5h), Tue 11:00 - Wed 16:00 (29h), Thu 10-11 (1h)');
SELECT is((pg_temp.clock(9001, 9003)).breached_at, '2026-04-02 14:00 Europe/Berlin'::timestamptz,
          'and knows it breached on the first day');
SELECT ok(EXISTS (SELECT 1 FROM ims.sla_event WHERE incident_id = 9001 AND policy_id = 9003 AND kind = 'breach'),
          'the retroactive breach is recorded');

-- ims.sla_rebuild gives the clocks the triggers built, on random histories.
CREATE TEMP TABLE rnd_group (g text);
INSERT INTO rnd_group VALUES ('network'), ('desk'), (NULL);
SELECT setseed(0.31);
DO $$
DECLARE
    inc bigint;
    t timestamptz;
    nxt text;
    k int;
BEGIN
    FOR inc IN 20001..20300 LOOP
        t := '2026-03-02 08:00+00'::timestamptz + (random() * 40) * interval '1 day';
        PERFORM set_config('ims.event_time', t::text, true);
        INSERT INTO ims.incident (id, title, impact, urgency, assignment_group)
        VALUES (inc, 'random', 1 + floor(random() * 3), 1 + floor(random() * 3),
                (SELECT g FROM rnd_group ORDER BY random() LIMIT 1));
        FOR k IN 1..(2 + floor(random() * 10))::int LOOP
            t := t + (random() * random() * 72) * interval '1 hour';
            PERFORM set_config('ims.event_time', t::text, true);
            IF random() < 0.15 THEN
                UPDATE ims.incident SET impact = 1 + floor(random() * 3), urgency = 1 + floor(random() * 3) WHERE id = inc;
            ELSIF random() < 0.2 THEN
                UPDATE ims.incident SET assignment_group = (SELECT g FROM rnd_group ORDER BY random() LIMIT 1) WHERE id = inc;
            ELSE
                SELECT to_state INTO nxt FROM ims.workflow_targets('incident', (SELECT state FROM ims.incident WHERE id = inc))
                 ORDER BY random() LIMIT 1;
                EXIT WHEN nxt IS NULL;
                UPDATE ims.incident SET state = nxt, resolution_code = 'done' WHERE id = inc;
            END IF;
        END LOOP;
    END LOOP;
    PERFORM set_config('ims.event_time', '', true);
END $$;
SELECT cmp_ok((SELECT count(*) FROM ims.incident_sla WHERE incident_id BETWEEN 20001 AND 20300), '>', 200::bigint,
              'the random histories built a few hundred clocks');
CREATE TEMP TABLE built AS
SELECT incident_id, policy_id, calendar_id, clock::text AS clock, due_at, breached_at, next_threshold, next_check_at, changed_at
  FROM ims.incident_sla WHERE incident_id BETWEEN 20001 AND 20300;
SELECT is(ims.sla_rebuild(ARRAY(SELECT generate_series(20001, 20300)::bigint)), 300, 'sla_rebuild replays 300 incidents');
SELECT set_eq(
  $$SELECT incident_id, policy_id, calendar_id, clock::text, due_at, breached_at, next_threshold, next_check_at, changed_at
      FROM ims.incident_sla WHERE incident_id BETWEEN 20001 AND 20300$$,
  'SELECT * FROM built',
  'the rebuilt clocks equal the clocks the triggers built');
SELECT is((SELECT count(*) FROM built b JOIN ims.incident_sla s USING (incident_id, policy_id)
             JOIN ims.sla_policy p ON p.id = s.policy_id
            WHERE ims.sla_state(s.clock) = 'running' AND s.next_threshold IS NOT NULL
              AND (b.next_check_at IS NULL
                   OR b.next_check_at > ims._sla_crossing(s, p, ims._sla_cal(s.calendar_id), s.next_threshold))),
          0::bigint, 'no running clock''s next_check_at is later than its next crossing (sla_tick never misses one)');

-- Scheduling with pg_cron (cron.database_name is ims_test in the test cluster).
SELECT cmp_ok(cron.schedule('ims-sla-tick', '* * * * *', 'select ims.sla_tick()'), '>', 0::bigint, 'pg_cron schedules sla_tick every minute');
SELECT is((SELECT command FROM cron.job WHERE jobname = 'ims-sla-tick'), 'select ims.sla_tick()', 'the job runs ims.sla_tick()');
SELECT ok(cron.unschedule('ims-sla-tick'), 'and can be unscheduled');

SELECT * FROM finish();
ROLLBACK;
