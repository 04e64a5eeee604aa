-- pgTAP: the trigger gates of ims.incident (src/gate.c) that stand in front
-- of the PL/pgSQL rules for outages (ims._incident_outage) and KPI dirty marks
-- (ims._kpi_mark_dirty): the rules still run whenever they have work, and
-- are not called when they have none (counted with track_functions).
BEGIN;
SELECT plan(17);
SET LOCAL TimeZone = 'UTC';
SET LOCAL client_min_messages = warning;
SET LOCAL track_functions = 'pl';
CREATE FUNCTION pg_temp.calls(f regprocedure) RETURNS bigint LANGUAGE sql AS
  'SELECT coalesce(pg_stat_get_xact_function_calls(f), 0)';

INSERT INTO ims.ci (id, name, class) VALUES (9601, 'tap gate db', 'database');
SET LOCAL ims.event_time = '2026-06-01 08:00';
INSERT INTO ims.incident (id, title, ci_id) VALUES
  (9601, 'records no outage', 9601), (9602, 'will record a degradation', 9601), (9603, 'to be cancelled', 9601);
-- An outage written directly (by an admin) with 9601's id.
INSERT INTO ims.outage (ci_id, period, kind, incident_id) VALUES (9601, tstzrange('2026-06-01 07:00', NULL), 'outage', 9601);

-- Outages.
SET LOCAL ims.event_time = '2026-06-01 09:00';
CREATE TEMP TABLE tap_n AS SELECT pg_temp.calls('ims._incident_outage()') AS n;
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9601;
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9601;
UPDATE ims.incident SET state = 'in_progress', ci_id = NULL WHERE id = 9601;
SELECT is(pg_temp.calls('ims._incident_outage()') - (SELECT n FROM tap_n), 0::bigint,
          'no outage_kind, still running: the outage rules are not called');
SELECT ok(upper_inf(period), 'the directly written period stays open') FROM ims.outage WHERE incident_id = 9601;
SET LOCAL ims.event_time = '2026-06-01 10:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 9601;
SELECT is(pg_temp.calls('ims._incident_outage()') - (SELECT n FROM tap_n), 1::bigint, 'the incident ends: they are called');
SELECT is(period, tstzrange('2026-06-01 07:00', '2026-06-01 10:00'),
          'and close every open period with its id at resolved_at, outage_kind or not') FROM ims.outage WHERE incident_id = 9601;

SET LOCAL ims.event_time = '2026-06-01 11:00';
UPDATE ims.incident SET outage_kind = 'degradation' WHERE id = 9602;
SELECT is(count(*), 1::bigint, 'outage_kind set on a running incident opens a period')
  FROM ims.outage WHERE incident_id = 9602 AND upper_inf(period) AND kind = 'degradation';
SET LOCAL ims.event_time = '2026-06-01 12:00';
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9602;
SELECT is(count(*), 1::bigint, 'on hold it stays open') FROM ims.outage WHERE incident_id = 9602 AND upper_inf(period);
SELECT throws_ok($$UPDATE ims.incident SET ci_id = NULL WHERE id = 9602$$, 'IM004', NULL,
                 'an incident that records an outage still needs a CI or service');
SET LOCAL ims.event_time = '2026-06-01 13:00';
UPDATE ims.incident SET outage_kind = NULL WHERE id = 9602;
SELECT is(period, tstzrange('2026-06-01 11:00', '2026-06-01 13:00'), 'clearing outage_kind ends it')
  FROM ims.outage WHERE incident_id = 9602;

-- KPI dirty marks.
DELETE FROM ims.kpi_dirty;
CREATE TEMP TABLE tap_k AS SELECT pg_temp.calls('ims._kpi_mark_dirty()') AS n;
UPDATE ims.incident SET title = 'to be cancelled, renamed', assignee = 'tap', assignment_group = 'tap' WHERE id = 9603;
SELECT is(pg_temp.calls('ims._kpi_mark_dirty()') - (SELECT n FROM tap_k), 0::bigint,
          'title, assignee or group changes do not call the KPI rules');
SELECT is((SELECT count(*) FROM ims.kpi_dirty), 0::bigint, 'and mark no month');
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9603;
SELECT ok(EXISTS (SELECT 1 FROM ims.kpi_dirty WHERE months @> '2026-06-01'::date), 'the acknowledgement marks its month');
DELETE FROM ims.kpi_dirty;
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9603;
SELECT is((SELECT count(*) FROM ims.kpi_dirty), 0::bigint, 'on hold marks nothing');
UPDATE ims.incident SET state = 'cancelled' WHERE id = 9603;
SELECT ok(EXISTS (SELECT 1 FROM ims.kpi_dirty WHERE months @> daterange('2026-06-01', NULL)),
          'cancelling (closed_at set, resolved_at still NULL: the end moved) marks every month from June on');
DELETE FROM ims.kpi_dirty;
UPDATE ims.incident SET impact = 1 WHERE id = 9601;
SELECT ok(EXISTS (SELECT 1 FROM ims.kpi_dirty), 'a priority change of a resolved incident marks its months');

-- The SLA trigger's clock writes (its C fast path) hand the executor the
-- WHEN clauses of ims.incident_sla's triggers compiled once per backend: a
-- trigger a DBA adds fires exactly when its WHEN clause holds, and the cache
-- follows triggers being added and dropped.
CREATE TABLE pg_temp.tap_sla_log (incident_id bigint, policy_id bigint, trigger_name text);
CREATE FUNCTION pg_temp.tap_sla_log() RETURNS trigger LANGUAGE plpgsql AS
  'BEGIN INSERT INTO pg_temp.tap_sla_log VALUES (NEW.incident_id, NEW.policy_id, TG_NAME); RETURN NULL; END';
INSERT INTO ims.sla_policy (id, name, metric, target) OVERRIDING SYSTEM VALUE VALUES
  (9601, 'tap gate resolution 8h', 'resolution', '8 hours'), (9602, 'tap gate resolution 9h', 'resolution', '9 hours');
SET LOCAL ims.event_time = '2026-06-01 14:00';
INSERT INTO ims.incident (id, title, ci_id) VALUES (9604, 'clocks', 9601), (9605, 'clocks too', 9601);
UPDATE ims.incident SET state = 'in_progress' WHERE id IN (9604, 9605);
CREATE TRIGGER tap_moved AFTER UPDATE ON ims.incident_sla FOR EACH ROW
  WHEN (OLD.changed_at IS DISTINCT FROM NEW.changed_at AND NEW.policy_id = 9602) EXECUTE FUNCTION pg_temp.tap_sla_log();
CREATE TRIGGER tap_never AFTER UPDATE ON ims.incident_sla FOR EACH ROW
  WHEN (OLD.changed_at IS NOT DISTINCT FROM NEW.changed_at) EXECUTE FUNCTION pg_temp.tap_sla_log();
SET LOCAL ims.event_time = '2026-06-01 15:00';
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9604;
SELECT results_eq('SELECT incident_id, policy_id, trigger_name FROM pg_temp.tap_sla_log',
                  $$VALUES (9604::bigint, 9602::bigint, 'tap_moved'::text)$$,
                  'a pause fires an added WHEN trigger on ims.incident_sla for the clock its WHEN clause selects');
DROP TRIGGER tap_moved ON ims.incident_sla;
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9605;
SELECT is((SELECT count(*) FROM pg_temp.tap_sla_log), 1::bigint, 'a dropped trigger no longer fires');
SELECT is(ims.sla_state((SELECT clock FROM ims.incident_sla WHERE incident_id = 9605 AND policy_id = 9601)), 'paused',
          'and the clocks still move');
DROP TRIGGER tap_never ON ims.incident_sla;

SELECT * FROM finish();
ROLLBACK;
