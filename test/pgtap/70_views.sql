-- pgTAP: the BI views (columns, data dictionary, readable by ims_reader and
-- not writable), the problem workflow, and the monthly KPI view checked
-- against a brute-force SQL formulation over random incidents: all live,
-- from stored facts, after backdated changes (dirty months) and after a
-- refresh.
BEGIN;
SELECT plan(70);

SET LOCAL TimeZone = 'UTC';
SELECT setseed(0.7070);

-- ---------------------------------------------------------------------------
-- Columns and comments.
SELECT columns_are('ims', 'v_incident', ARRAY[
  'incident_id', 'number', 'title', 'state', 'state_category', 'is_open', 'priority', 'impact', 'urgency',
  'service_id', 'service_name', 'ci_id', 'ci_name', 'ci_class', 'assignment_group', 'assignee', 'category',
  'tenant', 'opened_at', 'acknowledged_at', 'resolved_at', 'closed_at', 'opened_month', 'resolved_month',
  'time_to_acknowledge_hours', 'time_to_resolve_hours', 'time_to_close_hours', 'reopen_count', 'was_reopened',
  'resolution_code', 'outage_kind', 'outage_hours', 'problem_count', 'sla_count', 'response_breached',
  'resolution_breached', 'sla_breached', 'resolution_due_at']);
SELECT columns_are('ims', 'v_incident_kpi_monthly', ARRAY[
  'month', 'service_id', 'service_name', 'priority', 'tenant', 'opened_count', 'acknowledged_count',
  'resolved_count', 'backlog_count', 'reopened_count', 'mttr_hours', 'mtta_hours', 'reopen_rate_pct',
  'sla_measured_count', 'sla_met_count', 'sla_compliance_pct']);
SELECT columns_are('ims', 'v_service_availability_monthly', ARRAY[
  'service_id', 'service_name', 'tenant', 'month', 'period_hours', 'availability_pct', 'downtime_hours',
  'mtbf_hours', 'outage_count', 'degradation_hours', 'planned_hours', 'incident_count']);
SELECT columns_are('ims', 'v_ci_impact', ARRAY[
  'ci_id', 'ci_name', 'ci_class', 'ci_status', 'criticality', 'tenant', 'dependent_count',
  'impacted_service_count', 'impacted_services', 'open_incident_count', 'open_problem_count', 'in_outage']);
SELECT columns_are('ims', 'v_change_kpi_monthly', ARRAY[
  'month', 'tenant', 'requested_count', 'standard_count', 'normal_count', 'emergency_count', 'emergency_ratio_pct',
  'implemented_count', 'lead_time_hours', 'completed_count', 'successful_count', 'failed_count', 'backed_out_count',
  'success_rate_pct', 'implementation_hours']);

CREATE TEMP TABLE tap_views (v text);
INSERT INTO tap_views VALUES ('v_incident'), ('v_incident_kpi_monthly'), ('v_service_availability_monthly'), ('v_ci_impact'),
  ('v_change_kpi_monthly'), ('v_sla_status');
GRANT SELECT ON tap_views TO PUBLIC;

SELECT ok(obj_description(('ims.' || v)::regclass, 'pg_class') IS NOT NULL, v || ' has a COMMENT') FROM tap_views ORDER BY v;
SELECT is((SELECT count(*) FROM pg_attribute a
            WHERE a.attrelid = ('ims.' || v)::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND col_description(a.attrelid, a.attnum) IS NULL), 0::bigint,
          v || ': every column has a COMMENT') FROM tap_views ORDER BY v;
SELECT is((SELECT count(*) FROM pg_attribute a
            WHERE a.attrelid = ('ims.' || v)::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND a.attname !~ '^[a-z][a-z0-9_]*$'), 0::bigint,
          v || ': column names are lower_snake_case') FROM tap_views ORDER BY v;

-- ---------------------------------------------------------------------------
-- Readable by ims_reader, not writable.
SET LOCAL ROLE ims_reader;
SELECT lives_ok(format('SELECT * FROM ims.%I', v), v || ' is readable as ims_reader') FROM tap_views ORDER BY v;
SELECT throws_ok(format('INSERT INTO ims.%I DEFAULT VALUES', v), '55000', NULL, v || ' refuses INSERT')
  FROM tap_views ORDER BY v;
SELECT throws_ok(format('UPDATE ims.%I SET tenant = NULL', v), '55000', NULL, v || ' refuses UPDATE')
  FROM tap_views ORDER BY v;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- The problem workflow.
SET LOCAL ims.event_time = '2026-04-01 09:00+00';
INSERT INTO ims.problem (id, title) VALUES (7001, 'tap problem');
SELECT is((SELECT (number ~ '^PRB[0-9]{7}$') AND state = 'new' FROM ims.problem WHERE id = 7001), true,
          'a problem starts in new with a PRB number');
SELECT is(ims.problem_number(42), 'PRB0000042', 'ims.problem_number pads to seven digits');
SELECT throws_ok($$INSERT INTO ims.problem (title, state) VALUES ('x', 'assess')$$, 'IM001', NULL,
                 'a problem cannot start in another state');
SELECT throws_ok($$UPDATE ims.problem SET state = 'resolved' WHERE id = 7001$$, 'IM001', NULL,
                 'new cannot jump to resolved');
SELECT lives_ok($$UPDATE ims.problem SET state = 'assess' WHERE id = 7001$$, 'new -> assess');
SELECT lives_ok($$UPDATE ims.problem SET state = 'new' WHERE id = 7001$$, 'assess -> new (more information)');
SELECT lives_ok($$UPDATE ims.problem SET state = 'assess' WHERE id = 7001;
                  UPDATE ims.problem SET state = 'root_cause_analysis' WHERE id = 7001$$, 'assess -> root_cause_analysis');
SELECT throws_ok($$UPDATE ims.problem SET state = 'fix_in_progress', known_error = true, root_cause = 'x' WHERE id = 7001$$,
                 'IM004', NULL, 'a known error needs a workaround');
SELECT lives_ok($$UPDATE ims.problem SET state = 'fix_in_progress', known_error = true, root_cause = 'disk full',
                                          workaround = 'purge logs' WHERE id = 7001$$,
                'root_cause_analysis -> fix_in_progress as a known error');
SELECT is((SELECT known_error_at FROM ims.problem WHERE id = 7001), '2026-04-01 09:00+00'::timestamptz,
          'known_error_at is stamped');
SET LOCAL ims.event_time = '2026-04-03 09:00+00';
SELECT lives_ok($$UPDATE ims.problem SET state = 'resolved' WHERE id = 7001$$, 'fix_in_progress -> resolved');
SELECT is((SELECT resolved_at FROM ims.problem WHERE id = 7001), '2026-04-03 09:00+00'::timestamptz, 'resolved_at is stamped');
SELECT lives_ok($$UPDATE ims.problem SET state = 'fix_in_progress' WHERE id = 7001$$, 'resolved -> fix_in_progress (reopen)');
SELECT ok((SELECT resolved_at IS NULL FROM ims.problem WHERE id = 7001), 'a reopen clears resolved_at');
SELECT lives_ok($$UPDATE ims.problem SET state = 'resolved' WHERE id = 7001$$, 'resolved again');
CREATE ROLE tap_problem_user;
GRANT USAGE ON SCHEMA ims TO tap_problem_user;
GRANT SELECT, UPDATE ON ims.problem TO tap_problem_user;
SET LOCAL ROLE tap_problem_user;
SELECT throws_ok($$UPDATE ims.problem SET state = 'closed' WHERE id = 7001$$, '42501', NULL,
                 'only members of ims_agent close a problem');
RESET ROLE;
SELECT lives_ok($$UPDATE ims.problem SET state = 'closed' WHERE id = 7001$$, 'an agent closes it');
SELECT throws_ok($$UPDATE ims.problem SET closed_at = now() WHERE id = 7001$$, '428C9', NULL,
                 'stamped columns cannot be set');
SELECT throws_ok($$UPDATE ims.problem SET known_error = false, state = 'fix_in_progress' WHERE id = 7001$$, 'IM001', NULL,
                 'closed is final');
RESET ims.event_time;

-- ---------------------------------------------------------------------------
-- The KPI view against brute force over random incidents (tenant tap).
INSERT INTO ims.ci (id, name, class, tenant) VALUES
  (7101, 'tap svc a', 'business_service', 'tap'), (7102, 'tap svc b', 'business_service', 'tap');
SET LOCAL session_replication_role = replica;       -- load without the workflow triggers
INSERT INTO ims.incident (id, number, title, state, impact, urgency, priority, service_id, opened_at,
                          acknowledged_at, resolved_at, closed_at, reopen_count, tenant, updated_at, updated_by)
SELECT 70000 + g, 'TAP' || g, 'tap', st, 3, 3, 1 + (g % 5),
       (ARRAY[7101, 7102, NULL])[1 + (g % 3)], o,
       CASE WHEN st <> 'new' THEN least(now(), o + random() * interval '2 days') END,
       CASE WHEN st IN ('resolved', 'closed') THEN least(now(), o + interval '2 days' + random() * interval '40 days') END,
       CASE WHEN st = 'closed' THEN least(now(), o + interval '50 days')
            WHEN st = 'cancelled' THEN least(now(), o + random() * interval '10 days') END,
       CASE WHEN random() < 0.1 THEN 1 ELSE 0 END, 'tap', o, 'tap'
  FROM generate_series(1, 1500) g,
       LATERAL (SELECT timestamptz '2025-06-01' + random() * (now() - timestamptz '2025-06-01') + g * interval '0 s') AS t(o),
       LATERAL (SELECT CASE WHEN o > now() - interval '60 days' AND random() < 0.5 THEN (ARRAY['new', 'in_progress'])[1 + (g % 2)]
                            WHEN random() < 0.05 THEN 'cancelled'
                            WHEN random() < 0.5 THEN 'closed' ELSE 'resolved' END) AS s(st);
UPDATE ims.incident SET resolved_at = NULL, closed_at = NULL, reopen_count = 0
 WHERE tenant = 'tap' AND state IN ('new', 'in_progress');
SET LOCAL session_replication_role = origin;

CREATE TEMP VIEW tap_brute AS
WITH months AS (
    SELECT d::date AS month, ims.kpi_month_start(d::date) AS ms, ims.kpi_month_start((d + interval '1 month')::date) AS me
      FROM generate_series('2025-06-01'::timestamp, ims.kpi_month(now())::timestamp, interval '1 month') d
), keys AS (
    SELECT DISTINCT service_id, priority, tenant FROM ims.incident WHERE tenant = 'tap'
), b AS (
    SELECT m.month, k.service_id, k.priority,
           (SELECT count(*) FROM ims.incident i WHERE i.tenant = 'tap' AND i.service_id IS NOT DISTINCT FROM k.service_id
               AND i.priority = k.priority AND i.opened_at >= m.ms AND i.opened_at < m.me)::int AS opened,
           (SELECT count(*) FROM ims.incident i WHERE i.tenant = 'tap' AND i.service_id IS NOT DISTINCT FROM k.service_id
               AND i.priority = k.priority AND i.acknowledged_at >= m.ms AND i.acknowledged_at < m.me)::int AS acked,
           (SELECT count(*) FROM ims.incident i WHERE i.tenant = 'tap' AND i.service_id IS NOT DISTINCT FROM k.service_id
               AND i.priority = k.priority AND i.resolved_at >= m.ms AND i.resolved_at < m.me)::int AS resolved,
           (SELECT count(*) FROM ims.incident i WHERE i.tenant = 'tap' AND i.service_id IS NOT DISTINCT FROM k.service_id
               AND i.priority = k.priority AND i.opened_at < m.me
               AND (coalesce(i.resolved_at, i.closed_at) IS NULL OR coalesce(i.resolved_at, i.closed_at) >= m.me))::int AS backlog,
           (SELECT count(*) FROM ims.incident i WHERE i.tenant = 'tap' AND i.service_id IS NOT DISTINCT FROM k.service_id
               AND i.priority = k.priority AND i.resolved_at >= m.ms AND i.resolved_at < m.me AND i.reopen_count > 0)::int AS reopened,
           (SELECT ims.hours(ims.mttr(i.opened_at, i.resolved_at)) FROM ims.incident i WHERE i.tenant = 'tap'
               AND i.service_id IS NOT DISTINCT FROM k.service_id AND i.priority = k.priority
               AND i.resolved_at >= m.ms AND i.resolved_at < m.me) AS mttr,
           (SELECT ims.hours(ims.mtta(i.opened_at, i.acknowledged_at)) FROM ims.incident i WHERE i.tenant = 'tap'
               AND i.service_id IS NOT DISTINCT FROM k.service_id AND i.priority = k.priority
               AND i.acknowledged_at >= m.ms AND i.acknowledged_at < m.me) AS mtta
      FROM months m, keys k
)
SELECT * FROM b WHERE opened > 0 OR acked > 0 OR resolved > 0 OR backlog > 0;
CREATE TEMP VIEW tap_view AS
SELECT month, service_id, priority, opened_count, acknowledged_count, resolved_count, backlog_count,
       reopened_count, mttr_hours, mtta_hours
  FROM ims.v_incident_kpi_monthly WHERE tenant = 'tap';

SELECT ok((SELECT count(*) FROM tap_brute) > 100, 'the random data gives many KPI rows');
DELETE FROM ims.kpi_incident_monthly_fact;
DELETE FROM ims.kpi_refresh_state;
DELETE FROM ims.kpi_dirty;
SELECT set_eq('SELECT * FROM tap_view', 'SELECT * FROM tap_brute', 'all live: the view equals brute force');
SELECT ok(ims.refresh_kpis() > 0, 'refresh stores the closed months');
SELECT is(ims._kpi_live_from(), ims.kpi_month(now()), 'only the current month is live after a refresh');
SELECT set_eq('SELECT * FROM tap_view', 'SELECT * FROM tap_brute', 'from stored facts: the view equals brute force');

-- Backdated changes through the triggers: priority changes, resolutions (some
-- before opened_at), reopens.
SET LOCAL ims.event_time = '2026-02-15 12:00+00';
UPDATE ims.incident SET urgency = 1 WHERE tenant = 'tap' AND id % 37 = 0;
UPDATE ims.incident SET state = 'resolved', resolution_code = 'tap'
 WHERE tenant = 'tap' AND state = 'in_progress' AND id % 3 = 0;
SET LOCAL ims.event_time = '2026-05-20 08:00+00';
UPDATE ims.incident SET state = 'in_progress' WHERE tenant = 'tap' AND state = 'resolved' AND id % 41 = 0;
RESET ims.event_time;
SELECT ok(ims._kpi_live_from() < ims.kpi_month(now()), 'the changes made stored months dirty');
SELECT set_eq('SELECT * FROM tap_view', 'SELECT * FROM tap_brute', 'dirty months are live: the view equals brute force');
SELECT ok(ims.refresh_kpis() > 0, 'refresh rewrites the dirty months');
SELECT is((SELECT count(*) FROM ims.kpi_dirty), 0::bigint, 'no dirty marks are left');
SELECT set_eq('SELECT * FROM tap_view', 'SELECT * FROM tap_brute', 'after the refresh: the view equals brute force');

SELECT * FROM finish();
ROLLBACK;
