-- Problems, outages opened and closed by incidents, and the BI views on a
-- small fixture whose every value is worked out by hand in the comments.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;
SET DateStyle = 'ISO, YMD';

-- CMDB: shop (a business service) depends on app1, which runs on db1; mail
-- is a business service of its own.
-- Everything here has tenant rt, so rows of other tests stay out of the views.
INSERT INTO ims.ci (id, name, class, tenant) VALUES
  (101, 'shop', 'business_service', 'rt'), (102, 'app1', 'application', 'rt'),
  (103, 'db1', 'database', 'rt'), (104, 'mail', 'business_service', 'rt');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES
  (101, 102, 'depends_on'), (102, 103, 'runs_on');

-- SLA policies (24x7): P1 response in 45 minutes and resolution in 8 hours;
-- P3 resolved within 72 hours (paused while on hold).
INSERT INTO ims.sla_policy (id, name, metric, target, priorities) VALUES
  (701, 'rt P1 response', 'response', '45 minutes', '{1}'),
  (702, 'rt P1 resolution', 'resolution', '8 hours', '{1}'),
  (703, 'rt P3 resolution', 'resolution', '72 hours', '{3}');

-- ---------------------------------------------------------------------------
-- Incidents (ims.event_time backdates each step).
-- A: shop/db1 p1, records an outage; ack 1 h, resolved after 4 h.
SET ims.event_time = '2026-01-10 08:00';
INSERT INTO ims.incident (id, title, impact, urgency, service_id, ci_id, outage_kind, tenant)
VALUES (1001, 'A: db1 down', 1, 1, 101, 103, 'outage', 'rt');
SELECT ci_id, period, kind, incident_id FROM ims.outage ORDER BY id;
SET ims.event_time = '2026-01-10 09:00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 1001;
SET ims.event_time = '2026-01-10 12:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 1001;
-- resolving closed the period at resolved_at
SELECT ci_id, period, kind, incident_id FROM ims.outage ORDER BY id;
SET ims.event_time = '2026-01-12 12:00';
UPDATE ims.incident SET state = 'closed' WHERE id = 1001;

-- B: shop/app1 p1, ack 30 min, resolved 13 days later (312 h) in February.
SET ims.event_time = '2026-01-20 10:00';
INSERT INTO ims.incident (id, title, impact, urgency, service_id, ci_id, tenant) VALUES (1002, 'B: app1 slow', 1, 1, 101, 102, 'rt');
SET ims.event_time = '2026-01-20 10:30';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 1002;
SET ims.event_time = '2026-02-02 10:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 1002;

-- C: shop p5, opened just before the end of January, cancelled in February
-- (leaving new stamps acknowledged_at: 2 h).
SET ims.event_time = '2026-01-31 23:00';
INSERT INTO ims.incident (id, title, service_id, tenant) VALUES (1003, 'C: duplicate', 101, 'rt');
SET ims.event_time = '2026-02-01 01:00';
UPDATE ims.incident SET state = 'cancelled' WHERE id = 1003;

-- D: mail p3, records a degradation; on hold, resolved, reopened, resolved.
SET ims.event_time = '2026-02-10 00:00';
INSERT INTO ims.incident (id, title, impact, urgency, service_id, outage_kind, tenant)
VALUES (1004, 'D: mail slow', 2, 2, 104, 'degradation', 'rt');
SET ims.event_time = '2026-02-10 06:00';
UPDATE ims.incident SET state = 'on_hold' WHERE id = 1004;
SET ims.event_time = '2026-02-11 00:00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 1004;
SET ims.event_time = '2026-02-12 00:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'workaround' WHERE id = 1004;
SET ims.event_time = '2026-02-13 00:00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 1004;
-- the reopen started a new period; the time in between was up
SELECT ci_id, period, kind, incident_id FROM ims.outage WHERE incident_id = 1004 ORDER BY id;
SET ims.event_time = '2026-02-14 00:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 1004;

-- E: no service, p5, resolved at first contact after 6 h.
SET ims.event_time = '2026-03-01 00:00';
INSERT INTO ims.incident (id, title, tenant) VALUES (1005, 'E: password', 'rt');
SET ims.event_time = '2026-03-01 06:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 1005;

-- F: records an outage on app1 that turns into a degradation, then the CI is
-- corrected to db1 and the outage ends before the incident does.
SET ims.event_time = '2026-03-10 00:00';
INSERT INTO ims.incident (id, title, ci_id, outage_kind, outage_start, tenant)
VALUES (1006, 'F: checkout errors', 102, 'outage', '2026-03-09 23:00', 'rt');
SET ims.event_time = '2026-03-10 01:00';
UPDATE ims.incident SET outage_kind = 'degradation' WHERE id = 1006;
SET ims.event_time = '2026-03-10 02:00';
UPDATE ims.incident SET ci_id = 103 WHERE id = 1006;
SET ims.event_time = '2026-03-10 03:00';
UPDATE ims.incident SET outage_kind = NULL WHERE id = 1006;
SELECT ci_id, period, kind, incident_id FROM ims.outage WHERE incident_id = 1006 ORDER BY id;
SET ims.event_time = '2026-03-10 04:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 1006;
RESET ims.event_time;
-- an outage needs a CI or a service (IM004)
INSERT INTO ims.incident (number, title, outage_kind) VALUES ('INC-NO-CI', 'no ci', 'outage');

-- Outages written directly: app1 overlaps A's outage on db1; one on shop
-- itself crosses the month's end; planned work on mail.
INSERT INTO ims.outage (ci_id, period, kind) VALUES
  (102, '[2026-01-10 10:00, 2026-01-10 14:00)', 'outage'),
  (101, '[2026-01-31 22:00, 2026-02-01 02:00)', 'outage'),
  (104, '[2026-03-05 00:00, 2026-03-05 04:00)', 'planned');
\set VERBOSITY terse
INSERT INTO ims.outage (ci_id, period) VALUES (101, 'empty');
\set VERBOSITY default

-- ---------------------------------------------------------------------------
-- Problems.
SET ims.event_time = '2026-01-21 09:00';
INSERT INTO ims.problem (id, title, ci_id, service_id) VALUES (501, 'db1 crashes under load', 103, 101);
INSERT INTO ims.problem_incident (problem_id, incident_id) VALUES (501, 1001), (501, 1002);
SELECT number, state, known_error, opened_at FROM ims.problem;
UPDATE ims.problem SET state = 'assess';
UPDATE ims.problem SET state = 'root_cause_analysis';
-- a known error needs root cause and workaround; resolving needs a root cause
UPDATE ims.problem SET known_error = true, root_cause = 'connection pool too small';
UPDATE ims.problem SET state = 'resolved';
UPDATE ims.problem SET state = 'closed';
SET ims.event_time = '2026-01-22 09:00';
UPDATE ims.problem SET known_error = true, root_cause = 'connection pool too small', workaround = 'restart app1';
UPDATE ims.problem SET state = 'fix_in_progress';
SET ims.event_time = '2026-01-25 09:00';
UPDATE ims.problem SET state = 'resolved';
SELECT number, state, known_error, known_error_at, resolved_at, closed_at FROM ims.problem;
UPDATE ims.problem SET resolved_at = now();
RESET ims.event_time;

-- ---------------------------------------------------------------------------
-- ims.v_incident
SELECT incident_id, state, state_category, is_open, priority, service_name, ci_name,
       opened_month, time_to_acknowledge_hours, time_to_resolve_hours, time_to_close_hours,
       was_reopened, outage_kind, outage_hours, problem_count
  FROM ims.v_incident WHERE tenant = 'rt' ORDER BY incident_id;
-- SLA flags: A acknowledged after 1 h (45 min allowed); B resolved after
-- 312 h (8 h allowed); D took 54 business hours of 72 (18 h on hold)
SELECT incident_id, priority, sla_count, response_breached, resolution_breached, sla_breached, resolution_due_at
  FROM ims.v_incident WHERE tenant = 'rt' ORDER BY incident_id;

-- ---------------------------------------------------------------------------
-- ims.v_sla_status: the clocks (all stopped here, so the values do not
-- depend on the time the test runs)
SELECT incident_id, policy, metric, calendar, clock_state, elapsed_hours, remaining_hours,
       round(progress::numeric, 4) AS progress, due_at, breached, breached_at
  FROM ims.v_sla_status WHERE tenant = 'rt' ORDER BY incident_id, policy_id;

-- ---------------------------------------------------------------------------
-- ims.v_incident_kpi_monthly (nothing stored yet: all live)
--   2026-01 shop p1: opened A B, ack A 1 h B 0.5 h (mtta 0.75), resolved A 4 h, backlog B
--   2026-01 shop p5: opened C, backlog C (cancelled on 02-01)
--   2026-02 shop p1: resolved B 312 h;  shop p5: C acknowledged by its cancellation 2 h
--   2026-02 mail p3: D opened, ack 6 h, resolved 96 h after a reopen
--   2026-03 (none) p5: E 6 h;  (none) p5: F opened 03-10 00:00, resolved 04:00 (4 h, ack 4 h)
CREATE TEMP VIEW kpi AS
SELECT month, service_name, priority, opened_count AS op, acknowledged_count AS ack, resolved_count AS res,
       backlog_count AS backlog, reopened_count AS reop, mttr_hours, mtta_hours, reopen_rate_pct,
       sla_measured_count AS sla_n, sla_met_count AS sla_met, sla_compliance_pct
  FROM ims.v_incident_kpi_monthly WHERE tenant = 'rt' ORDER BY month, service_name, priority;
SELECT * FROM kpi;
SELECT ims._kpi_live_from() IS NULL AS all_live;

-- Store the closed months: the view reads the same from the facts.
SELECT ims.refresh_kpis() >= 6 AS stored;
SELECT covered_until = ims.kpi_month(now()) AS covers_closed_months, fact_rows >= 6 AS stored FROM ims.kpi_refresh_state;
SELECT ims._kpi_live_from() = ims.kpi_month(now()) AS live_from_this_month;
SELECT * FROM kpi;
SELECT ims.refresh_kpis() AS nothing_to_do;

-- A backdated change to a stored month: B's priority becomes 2.  Its months
-- become dirty and are computed live until the next refresh.  (B's P1
-- clocks go with the P1 policies, so February has no SLA measure left.)
UPDATE ims.incident SET urgency = 2 WHERE id = 1002;
SELECT lower(months), upper_inf(months) FROM ims.kpi_dirty;
SELECT ims._kpi_live_from();
SELECT * FROM kpi WHERE priority IN (1, 2);
SELECT ims.refresh_kpis() > 0 AS refreshed;
SELECT count(*) AS dirty_left FROM ims.kpi_dirty;
SELECT * FROM kpi WHERE priority IN (1, 2);
-- a field that no KPI reads marks nothing
UPDATE ims.incident SET assignee = 'kim' WHERE id = 1002;
SELECT count(*) AS dirty_after_assignee FROM ims.kpi_dirty;
-- a full rebuild gives the same facts
CREATE TEMP TABLE facts_before AS SELECT * FROM ims.kpi_incident_monthly_fact;
SELECT ims.refresh_kpis(full_rebuild => true) > 0 AS rebuilt;
SELECT count(*) AS differing FROM (
  (SELECT month, service_id, priority, tenant, opened_count, acknowledged_count, resolved_count, backlog_count,
          reopened_count, tta_state::text, ttr_state::text, sla_measured_count, sla_met_count FROM facts_before
   EXCEPT
   SELECT month, service_id, priority, tenant, opened_count, acknowledged_count, resolved_count, backlog_count,
          reopened_count, tta_state::text, ttr_state::text, sla_measured_count, sla_met_count FROM ims.kpi_incident_monthly_fact)
  UNION ALL
  (SELECT month, service_id, priority, tenant, opened_count, acknowledged_count, resolved_count, backlog_count,
          reopened_count, tta_state::text, ttr_state::text, sla_measured_count, sla_met_count FROM ims.kpi_incident_monthly_fact
   EXCEPT
   SELECT month, service_id, priority, tenant, opened_count, acknowledged_count, resolved_count, backlog_count,
          reopened_count, tta_state::text, ttr_state::text, sla_measured_count, sla_met_count FROM facts_before)) d;

-- ---------------------------------------------------------------------------
-- ims.v_service_availability_monthly
--   shop 2026-01 (744 h): db1 [08,12) (A) and app1 [10,14) impact shop: 6 h;
--     shop itself [01-31 22:00, 02-01 02:00): 2 h in January; 8 h down in
--     2 failures: 100 * (1 - 8/744) = 98.9247, mtbf (744 - 8) / 2 = 368 h
--   shop 2026-02 (672 h): 2 h down, 99.7024 %, mtbf 670 h
--   shop 2026-03: F's outage [03-09 23:00, 03-10 01:00) on app1: 2 h; 742 h over 1 failure;
--     F's degradation [01:00, 03:00), moved from app1 to db1 with the CI: 2 h
--   mail 2026-02: degradation [02-10, 02-12) and [02-13, 02-14): 72 h, availability 100
--   mail 2026-03: planned 4 h
SELECT service_name, month, period_hours, availability_pct, downtime_hours, mtbf_hours, outage_count,
       degradation_hours, planned_hours, incident_count
  FROM ims.v_service_availability_monthly
 WHERE tenant = 'rt' AND month < '2026-04-01' ORDER BY service_name, month;

-- Redundancy: portal needs 2 of its 3 web servers (min_up = 2), so no one
-- server takes it down, but two down at once do.  On 2026-04-01 (UTC):
--   web1 [00:00, 04:00), web2 [02:00, 06:00), web3 [05:00, 07:00);
--   two or more down in [02:00, 04:00) and [05:00, 06:00): 3 h in 2 failures;
--   web1 alone again on 04-10 [00:00, 01:00): nothing.
--   On 04-20: web3 down from 00:00 and still down (open), web2 [10:00, 12:00),
--   web1 [11:00, 13:00): two or more down in [10:00, 13:00): 3 h, 1 failure.
--   April, 720 h: 6 h in 3 failures: 100 * (1 - 6/720) = 99.1667 %,
--   mtbf (720 - 6) / 3 = 238 h; outage_count 0 (no record takes portal down alone).
INSERT INTO ims.ci (id, name, class, min_up, tenant) VALUES
  (111, 'portal', 'business_service', 2, 'pool'), (112, 'web1', 'web_server', NULL, 'pool'),
  (113, 'web2', 'web_server', NULL, 'pool'), (114, 'web3', 'web_server', NULL, 'pool');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES
  (111, 112, 'depends_on'), (111, 113, 'depends_on'), (111, 114, 'depends_on');
INSERT INTO ims.outage (ci_id, period, kind) VALUES
  (112, '[2026-04-01 00:00, 2026-04-01 04:00)', 'outage'),
  (113, '[2026-04-01 02:00, 2026-04-01 06:00)', 'outage'),
  (114, '[2026-04-01 05:00, 2026-04-01 07:00)', 'outage'),
  (112, '[2026-04-10 00:00, 2026-04-10 01:00)', 'outage'),
  (114, '[2026-04-20 00:00,)', 'outage'),
  (113, '[2026-04-20 10:00, 2026-04-20 12:00)', 'outage'),
  (112, '[2026-04-20 11:00, 2026-04-20 13:00)', 'outage');
SELECT service_name, month, period_hours, availability_pct, downtime_hours, mtbf_hours, outage_count
  FROM ims.v_service_availability_monthly
 WHERE tenant = 'pool' AND month < '2026-05-01' ORDER BY month;

-- ---------------------------------------------------------------------------
-- ims.v_ci_impact
SET ims.event_time = '2026-03-20 00:00';
INSERT INTO ims.incident (id, title, ci_id, outage_kind, tenant) VALUES (1007, 'G: db1 down again', 103, 'outage', 'rt');
RESET ims.event_time;
SELECT ci_name, ci_class, dependent_count, impacted_service_count, impacted_services,
       open_incident_count, open_problem_count, in_outage
  FROM ims.v_ci_impact WHERE tenant = 'rt' ORDER BY ci_id;

-- ---------------------------------------------------------------------------
-- ims.v_change_kpi_monthly (changes loaded as a restore would, without the
-- approval workflow: only their stamps matter here)
--   2026-01: requested a (normal), b (emergency), c (standard): 33.33 % emergency;
--            started a (lead 5 days = 120 h) and b (2 h): 61 h; completed a
--            (successful, 2 h) and b (failed, 1 h): 50 %, 1.5 h
--   2026-02: requested d (normal), e (emergency): 50 %; started c (7 days =
--            168 h) and e (6 h): 87 h; completed c (backed out, 4 h): 0 %, 4 h
SET session_replication_role = replica;
INSERT INTO ims.change_request (title, type, state, created_at, actual, outcome, tenant) VALUES
  ('a', 'normal',    'closed',    '2026-01-05 00:00', '[2026-01-10 00:00, 2026-01-10 02:00)', 'successful', 'rt'),
  ('b', 'emergency', 'closed',    '2026-01-20 10:00', '[2026-01-20 12:00, 2026-01-20 13:00)', 'failed',     'rt'),
  ('c', 'standard',  'review',    '2026-01-25 00:00', '[2026-02-01 00:00, 2026-02-01 04:00)', 'backed_out', 'rt'),
  ('d', 'normal',    'assess',    '2026-02-03 00:00', NULL,                                   NULL,         'rt'),
  ('e', 'emergency', 'implement', '2026-02-10 00:00', '[2026-02-10 06:00,)',                  NULL,         'rt');
SET session_replication_role = origin;
SELECT month, requested_count AS req, standard_count AS std, normal_count AS nrm, emergency_count AS emg,
       emergency_ratio_pct, implemented_count AS impl, lead_time_hours, completed_count AS done,
       successful_count AS ok, failed_count AS failed, backed_out_count AS backed_out, success_rate_pct,
       implementation_hours
  FROM ims.v_change_kpi_monthly WHERE tenant = 'rt' ORDER BY month;
