-- pgTAP: SLA policies scoped to a service, and an OLA scoped to an
-- assignment group, matched alike by the triggers and by ims.sla_rebuild
-- (whose SQL path, ims._sla_policies, once compared service_id with itself
-- and so gave a service's policy to every incident that had any service).
-- All clocks 24x7, times in UTC, Monday 4 May 2026.
BEGIN;
SELECT plan(24);
SET LOCAL TimeZone = 'UTC';
SET LOCAL client_min_messages = warning;

INSERT INTO ims.ci (id, name, class) VALUES (9401, 'tap shop', 'business_service'), (9402, 'tap mail', 'business_service');
INSERT INTO ims.sla_policy (id, name, metric, target, service_id) OVERRIDING SYSTEM VALUE VALUES
  (9401, 'tap shop resolution 10h', 'resolution', '10 hours', 9401);
CREATE FUNCTION pg_temp.clock(inc bigint, pol bigint) RETURNS ims.incident_sla LANGUAGE sql AS
  'SELECT s FROM ims.incident_sla s WHERE incident_id = inc AND policy_id = pol';
CREATE FUNCTION pg_temp.elapsed(inc bigint, pol bigint, at timestamptz) RETURNS interval LANGUAGE sql AS
  'SELECT ims.sla_elapsed(s.clock, ims._sla_cal(s.calendar_id), at) FROM ims.incident_sla s WHERE incident_id = inc AND policy_id = pol';
CREATE FUNCTION pg_temp.clocks(inc bigint) RETURNS bigint[] LANGUAGE sql AS
  'SELECT coalesce(array_agg(policy_id ORDER BY policy_id), ''{}'') FROM ims.incident_sla WHERE incident_id = inc AND policy_id BETWEEN 9401 AND 9499';

-- The SQL matcher itself.
SELECT ok(9401 IN (SELECT id FROM ims._sla_policies(3::smallint, 9401)), '_sla_policies: the shop policy covers the shop');
SELECT ok(9401 NOT IN (SELECT id FROM ims._sla_policies(3::smallint, 9402)), '_sla_policies: it does not cover another service');
SELECT ok(9401 NOT IN (SELECT id FROM ims._sla_policies(3::smallint, NULL)), '_sla_policies: nor an incident without a service');

-- 08:00: four incidents open.
SET LOCAL ims.event_time = '2026-05-04 08:00';
INSERT INTO ims.incident (id, title, service_id, assignment_group) VALUES
  (9401, 'shop checkout fails', 9401, 'network'),
  (9402, 'mail slow, later found to be the shop', 9402, 'database'),
  (9403, 'no service given', NULL, 'network'),
  (9404, 'mail bounces', 9402, 'database');
SELECT is(pg_temp.clocks(9401), '{9401}'::bigint[], 'trigger: the shop incident gets the shop policy''s clock');
SELECT is(pg_temp.clocks(9402), '{}'::bigint[], 'trigger: a mail incident does not');
SELECT is(pg_temp.clocks(9403), '{}'::bigint[], 'trigger: nor an incident without a service');
SELECT is(pg_temp.clocks(9404), '{}'::bigint[], 'trigger: nor the other mail incident');

SET LOCAL ims.event_time = '2026-05-04 08:30';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9401;
-- 09:00: 9402 turns out to be the shop: its clock starts retroactively at 08:00.
SET LOCAL ims.event_time = '2026-05-04 09:00';
UPDATE ims.incident SET service_id = 9401 WHERE id = 9402;
SELECT is(pg_temp.clocks(9402), '{9401}'::bigint[], 'trigger: moving an incident to the shop starts the shop clock');
SELECT is(pg_temp.elapsed(9402, 9401, '2026-05-04 09:00'), '01:00:00'::interval, 'as of opened_at (1 hour ago)');
-- 10:00 - 12:00: the shop incident waits on hold.
SET LOCAL ims.event_time = '2026-05-04 10:00';
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9401;
SET LOCAL ims.event_time = '2026-05-04 11:00';
UPDATE ims.incident SET assignment_group = 'database' WHERE id = 9403;
SET LOCAL ims.event_time = '2026-05-04 12:00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9401;
SELECT is((pg_temp.clock(9401, 9401)).due_at, '2026-05-04 20:00'::timestamptz, 'trigger: 2 hours used, 2 on hold: due at 20:00');
SET LOCAL ims.event_time = '2026-05-04 13:00';
UPDATE ims.incident SET assignment_group = 'network' WHERE id = 9403;
SET LOCAL ims.event_time = '2026-05-04 14:00';
UPDATE ims.incident SET assignment_group = 'network' WHERE id = 9402;

-- 14:30: an OLA for the network group is added; the clocks come from
-- ims.sla_rebuild, which replays each history with today's policies.
INSERT INTO ims.sla_policy (id, name, agreement, metric, target, assignment_group) OVERRIDING SYSTEM VALUE VALUES
  (9402, 'tap OLA network 6h', 'ola', 'resolution', '6 hours', 'network');
SELECT is(ims.sla_rebuild(ARRAY[9401, 9402, 9403, 9404]::bigint[]), 4, 'sla_rebuild replays the four incidents');
SELECT is(pg_temp.clocks(9401), '{9401,9402}'::bigint[], 'rebuild: the shop incident, with network since it opened: shop policy and OLA');
SELECT is(pg_temp.clocks(9402), '{9401,9402}'::bigint[], 'rebuild: 9402 is the shop''s now and reached network at 14:00');
SELECT is(pg_temp.clocks(9403), '{9402}'::bigint[], 'rebuild: no service, so only the OLA');
SELECT is(pg_temp.clocks(9404), '{}'::bigint[], 'rebuild: a mail incident with database gets neither');
SELECT is(pg_temp.elapsed(9401, 9402, '2026-05-04 14:30'), '04:30:00'::interval,
          'OLA of 9401: 08:00-10:00 and 12:00-14:30, paused on hold');
SELECT is(pg_temp.elapsed(9402, 9402, '2026-05-04 14:30'), '00:30:00'::interval,
          'OLA of 9402: starts when network gets it (14:00)');
SELECT is((pg_temp.clock(9402, 9402)).changed_at, '2026-05-04 14:00'::timestamptz, 'and was started at 14:00');
SELECT is(pg_temp.elapsed(9403, 9402, '2026-05-04 14:30'), '04:30:00'::interval,
          'OLA of 9403: 08:00-11:00 and 13:00-14:30, paused while database had it');
SELECT is(ims.sla_state((pg_temp.clock(9403, 9402)).clock), 'running', 'and runs now');
SELECT is(pg_temp.elapsed(9402, 9401, '2026-05-04 14:30'), '06:30:00'::interval, 'shop clock of 9402: since 08:00, never paused');

-- The triggers move the rebuilt clocks on; a second rebuild gives the same clocks.
SET LOCAL ims.event_time = '2026-05-04 15:00';
UPDATE ims.incident SET state = 'on_hold' WHERE id IN (9402, 9403);
SET LOCAL ims.event_time = '2026-05-04 15:30';
UPDATE ims.incident SET assignment_group = 'database' WHERE id = 9401;
UPDATE ims.incident SET state = 'in_progress', service_id = 9402 WHERE id = 9402;
SELECT is(pg_temp.clocks(9402), '{9402}'::bigint[], 'trigger: 9402 back on mail loses the shop clock and keeps the OLA');
CREATE TEMP TABLE tap_by_trigger AS
SELECT incident_id, policy_id, calendar_id, clock::text AS clock, due_at, breached_at, next_threshold, next_check_at, changed_at
  FROM ims.incident_sla WHERE incident_id BETWEEN 9401 AND 9404;
SELECT is(ims.sla_rebuild(ARRAY[9401, 9402, 9403, 9404]::bigint[]), 4, 'rebuilt again');
SELECT set_eq(
  $$SELECT incident_id, policy_id, calendar_id, clock::text, due_at, breached_at, next_threshold, next_check_at, changed_at
      FROM ims.incident_sla WHERE incident_id BETWEEN 9401 AND 9404$$,
  'SELECT * FROM tap_by_trigger',
  'the clocks the triggers moved equal the replay of the same history');

SELECT * FROM finish();
ROLLBACK;
