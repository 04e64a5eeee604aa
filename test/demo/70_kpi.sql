-- Demo chapter 70: the KPI report over the real event log (loaded in chapter
-- 30), outages recorded by incidents, and the BI views.  Chapter 71 draws the
-- charts into $IMS_DEMO_OUT.
\echo
\echo '== KPIs: the BI views over the real ServiceNow event log'
SET TimeZone = 'UTC';
\getenv IMS_DEMO_OUT IMS_DEMO_OUT
\if :{?IMS_DEMO_OUT}
\else
\set IMS_DEMO_OUT .
\endif
ANALYZE ims.incident;
\echo 'SLA policies for the log (24x7): resolution P1 8 h, P2 24 h, P3 5 days, P4/P5 10 days; response P1/P2 1 h.'
\echo 'ims.sla_rebuild() replays every incident''s history with all policies (these and chapter 30''s):'
INSERT INTO ims.sla_policy (name, metric, target, priorities) VALUES
  ('log P1 resolution 8h', 'resolution', '8 hours', '{1}'), ('log P2 resolution 24h', 'resolution', '24 hours', '{2}'),
  ('log P3 resolution 5d', 'resolution', '5 days', '{3}'), ('log P4-P5 resolution 10d', 'resolution', '10 days', '{4,5}'),
  ('log P1-P2 response 1h', 'response', '1 hour', '{1,2}');
\timing on
SELECT ims.sla_rebuild() AS incidents_rebuilt;
\timing off
\echo 'Closed months are stored by ims.refresh_kpis() (schedule it with pg_cron every 15 minutes);'
\echo 'the current month and any month touched since are computed live, so the view is always exact.'
\timing on
SELECT ims.refresh_kpis() AS fact_rows_written;
\timing off
SELECT covered_until, round(refresh_ms) AS refresh_ms, fact_rows, months_written FROM ims.kpi_refresh_state;
\echo 'A pg_cron job keeps the stored months fresh:'
SELECT coalesce(current_setting('cron.database_name', true) = current_database(), false) AS cron_here \gset
\if :cron_here
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT cron.schedule('ims-kpi-refresh', '*/15 * * * *', 'select ims.refresh_kpis()') > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'ims-kpi-refresh';
\else
\echo '(pg_cron runs in another database here; there: SELECT cron.schedule(''ims-kpi-refresh'', ''*/15 * * * *'', ''select ims.refresh_kpis()'');)'
\endif

\echo
\echo 'MTTR, MTTA and SLA compliance by priority over the whole log, from ims.v_incident_kpi_monthly,'
\echo 'next to the compliance the source system recorded with its own SLAs (made_sla on each incident''s last event):'
CREATE TEMP VIEW kpi_by_priority AS
WITH k AS (
    SELECT priority, sum(resolved_count) AS resolved, sum(acknowledged_count) AS acked,
           sum(mttr_hours * resolved_count) AS ttr_hours, sum(mtta_hours * acknowledged_count) AS tta_hours,
           sum(reopened_count) AS reopened, sum(sla_measured_count) AS sla_n, sum(sla_met_count) AS sla_met
      FROM ims.v_incident_kpi_monthly GROUP BY priority
), sla AS (
    SELECT i.priority, count(*) AS measured, count(*) FILTER (WHERE r.made_sla = 'true') AS met
      FROM ims.incident i
      JOIN LATERAL (SELECT x.made_sla FROM ims_load.raw x WHERE x.number = i.number ORDER BY x.line DESC LIMIT 1) r ON true
     WHERE i.resolved_at IS NOT NULL
     GROUP BY i.priority
)
SELECT k.priority, k.resolved AS resolved_count,
       round(k.ttr_hours / nullif(k.resolved, 0), 2) AS mttr_hours,
       round(k.tta_hours / nullif(k.acked, 0), 2) AS mtta_hours,
       round(100.0 * k.reopened / nullif(k.resolved, 0), 2) AS reopen_rate_pct,
       round(100.0 * k.sla_met / nullif(k.sla_n, 0), 2) AS sla_compliance_pct,
       round(100.0 * sla.met / nullif(sla.measured, 0), 2) AS source_made_sla_pct
  FROM k LEFT JOIN sla USING (priority)
 ORDER BY k.priority;
SELECT * FROM kpi_by_priority;
\o :IMS_DEMO_OUT/kpi_by_priority.dat
SELECT priority, coalesce(mttr_hours, 0), coalesce(sla_compliance_pct, 0), resolved_count, coalesce(source_made_sla_pct, 0) FROM kpi_by_priority \g (format=unaligned fieldsep=' ' tuples_only)
\o

\echo 'Month by month (all services and priorities): opened, resolved, backlog at month end, MTTR:'
CREATE TEMP VIEW kpi_by_month AS
SELECT month, sum(opened_count) AS opened, sum(resolved_count) AS resolved, sum(backlog_count) AS backlog_at_end,
       round(sum(mttr_hours * resolved_count) / nullif(sum(resolved_count), 0), 2) AS mttr_hours
  FROM ims.v_incident_kpi_monthly
 WHERE month BETWEEN '2016-02-01' AND '2017-02-01'
 GROUP BY month ORDER BY month;
SELECT * FROM kpi_by_month;
\o :IMS_DEMO_OUT/kpi_by_month.dat
SELECT to_char(month, 'YYYY-MM'), opened, resolved, backlog_at_end, coalesce(mttr_hours, 0) FROM kpi_by_month \g (format=unaligned fieldsep=' ' tuples_only)
\o

\echo
\echo '== Outages recorded by incidents, and service availability'
\echo 'An incident that sets outage_kind opens an outage on its CI; resolving it closes the period.'
SET ims.event_time = '2026-03-03 14:00+00';
INSERT INTO ims.incident (title, impact, urgency, ci_id, outage_kind)
SELECT 'orders-db unreachable', 1, 1, id, 'outage' FROM ims.ci WHERE name = 'orders-db'
RETURNING number, state, outage_kind;
SELECT c.name AS ci, o.period, o.kind FROM ims.outage o JOIN ims.ci c ON c.id = o.ci_id ORDER BY o.id;
SET ims.event_time = '2026-03-03 14:05+00';
UPDATE ims.incident SET state = 'in_progress' WHERE title = 'orders-db unreachable';
SET ims.event_time = '2026-03-03 15:30+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'failover' WHERE title = 'orders-db unreachable';
SELECT c.name AS ci, o.period, o.kind FROM ims.outage o JOIN ims.ci c ON c.id = o.ci_id ORDER BY o.id;
\echo 'A degradation of web-02 (the pool keeps the shop up, so it costs no availability) and a planned window:'
SET ims.event_time = '2026-03-10 09:00+00';
INSERT INTO ims.incident (title, ci_id, outage_kind)
SELECT 'web-02 slow', id, 'degradation' FROM ims.ci WHERE name = 'web-02';
SET ims.event_time = '2026-03-10 11:00+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'restarted' WHERE title = 'web-02 slow';
RESET ims.event_time;
INSERT INTO ims.outage (ci_id, period, kind, note)
SELECT id, '[2026-03-21 22:00+00, 2026-03-22 02:00+00)', 'planned', 'SAN firmware' FROM ims.ci WHERE name = 'san-01';
\echo 'orders-db takes the Web shop down (Reporting reads the replica, linked by connects_to, which does not propagate); March 2026:'
SELECT service_name, month, availability_pct, downtime_hours, mtbf_hours, outage_count,
       degradation_hours, planned_hours, incident_count
  FROM ims.v_service_availability_monthly WHERE month = '2026-03-01' ORDER BY service_name;
\echo 'What depends on what, and what is broken now (ims.v_ci_impact):'
SELECT ci_name, ci_class, dependent_count, impacted_services, open_incident_count, in_outage
  FROM ims.v_ci_impact WHERE ci_name IN ('orders-db', 'san-01', 'host-b', 'web-02', 'app-pool') ORDER BY dependent_count DESC;
\echo 'One flat row per incident for BI tools (ims.v_incident):'
SELECT number, state, priority, ci_name, time_to_acknowledge_hours, time_to_resolve_hours, outage_kind, outage_hours
  FROM ims.v_incident WHERE ci_name IN ('orders-db', 'web-02') ORDER BY number;
\echo 'Change KPIs of the changes of chapter 50 (ims.v_change_kpi_monthly):'
SELECT month, requested_count, emergency_ratio_pct, implemented_count, lead_time_hours,
       completed_count, success_rate_pct
  FROM ims.v_change_kpi_monthly ORDER BY month;
