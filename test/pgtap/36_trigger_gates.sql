-- pgTAP: the trigger gates of ims.incident (src/gate.c) that stand in front
-- of the PL/pgSQL rules for outages (ims._incident_outage) and KPI dirty marks
-- (ims._kpi_mark_dirty): the rules still run whenever they have work, and
-- are not called when they have none (counted with track_functions).
BEGIN;
SELECT plan(14);
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

SELECT * FROM finish();
ROLLBACK;
