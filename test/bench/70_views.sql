-- BI views: monthly incident KPIs over 1,000,000 incidents.
--  1. This month's KPIs (service x priority) from ims.v_incident_kpi_monthly
--     (closed months stored by ims.refresh_kpis(), this month live) vs the
--     same numbers computed by plain SQL from ims.incident (goal: 10x).
--  2. A year of monthly KPIs from the view vs plain SQL (goal: 10x).
--  3. One month two years back, after a backdated change made it dirty (the
--     view computes every month from it on live until the next refresh) vs
--     plain SQL for that one month (goal: at most 4x its cost).
-- Also printed: the initial full refresh, a refresh with nothing to do (what
-- the 15-minute pg_cron job costs most of the time), and the dirty-mark
-- trigger's cost on single-incident updates.
\set ON_ERROR_STOP 1
SET TimeZone = 'UTC';

\echo views: generating 1,000,000 incidents over 36 months (triggers off for the load)
INSERT INTO ims.ci (id, name, class)
SELECT 900000 + s, 'bench service ' || s, 'business_service' FROM generate_series(1, 50) s;
SET session_replication_role = replica;
INSERT INTO ims.incident (number, title, state, impact, urgency, priority, service_id, opened_at,
                          acknowledged_at, resolved_at, closed_at, reopen_count, updated_at, updated_by)
SELECT 'BENCH' || g, 'bench', st, 3, 3, 1 + (g % 5), 900000 + 1 + (g % 50), o,
       CASE WHEN st <> 'new' THEN least(now(), o + random() * interval '4 hours') END,
       CASE WHEN st IN ('resolved', 'closed') THEN least(now(), o + interval '4 hours' + random() * interval '5 days') END,
       CASE WHEN st = 'closed' THEN least(now(), o + interval '7 days') END,
       CASE WHEN random() < 0.05 THEN 1 ELSE 0 END, o, 'bench'
  FROM generate_series(1, (1000000 * :scale)::int) g,
       LATERAL (SELECT now() - random() * interval '1095 days' + g * interval '0 s') AS t(o),
       LATERAL (SELECT CASE WHEN o > now() - interval '5 days' AND random() < 0.6 THEN 'in_progress'
                            WHEN random() < 0.5 THEN 'closed' ELSE 'resolved' END) AS s(st);
SET session_replication_role = origin;
ANALYZE ims.incident;

\echo views: initial full refresh
SELECT ims.refresh_kpis(true) AS fact_rows \gset
SELECT round(refresh_ms) AS full_refresh_ms, fact_rows, months_written FROM ims.kpi_refresh_state;
SELECT round(bench.time_ms('SELECT ims.refresh_kpis()', 5)::numeric, 2) AS noop_refresh_ms;

-- Plain SQL for the KPIs of the months [m0, m1): what a report would run
-- against the incident table without the view.
CREATE FUNCTION pg_temp.plain_kpi(m0 date, m1 date) RETURNS TABLE (month date, service_id bigint, priority smallint,
    opened int, acked int, resolved int, backlog int, mttr_hours numeric, mtta_hours numeric)
LANGUAGE sql STABLE AS $$
    SELECT m.d::date, i.service_id, i.priority,
           count(*) FILTER (WHERE i.opened_at >= m.s AND i.opened_at < m.e)::int,
           count(*) FILTER (WHERE i.acknowledged_at >= m.s AND i.acknowledged_at < m.e)::int,
           count(*) FILTER (WHERE i.resolved_at >= m.s AND i.resolved_at < m.e)::int,
           count(*) FILTER (WHERE i.opened_at < m.e AND (coalesce(i.resolved_at, i.closed_at) IS NULL
                                                         OR coalesce(i.resolved_at, i.closed_at) >= m.e))::int,
           round(extract(epoch FROM avg(i.resolved_at - i.opened_at) FILTER (WHERE i.resolved_at >= m.s AND i.resolved_at < m.e)) / 3600, 2),
           round(extract(epoch FROM avg(i.acknowledged_at - i.opened_at) FILTER (WHERE i.acknowledged_at >= m.s AND i.acknowledged_at < m.e)) / 3600, 2)
      FROM generate_series(m0::timestamp, m1::timestamp - interval '1 month', interval '1 month') AS m0s(d)
     CROSS JOIN LATERAL (SELECT m0s.d, ims.kpi_month_start(m0s.d::date) AS s,
                                ims.kpi_month_start((m0s.d + interval '1 month')::date) AS e) m
      JOIN ims.incident i ON i.opened_at < m.e
     GROUP BY 1, 2, 3
$$;

SELECT ims.kpi_month(now()) AS this_month, (ims.kpi_month(now()) - interval '12 months')::date AS year_ago,
       (ims.kpi_month(now()) - interval '24 months')::date AS two_years_ago \gset

SELECT bench.record('v_incident_kpi_monthly: this month (1M incidents)',
  format($$SELECT * FROM ims.v_incident_kpi_monthly WHERE month = %L$$, :'this_month'),
  'plain SQL over ims.incident',
  format($$SELECT * FROM pg_temp.plain_kpi(%L, (%L::date + interval '1 month')::date)$$, :'this_month', :'this_month'),
  'ims >= 10x faster', 10);
SELECT bench.record('v_incident_kpi_monthly: 12 months (1M incidents)',
  format($$SELECT * FROM ims.v_incident_kpi_monthly WHERE month >= %L AND month < %L$$, :'year_ago', :'this_month'),
  'plain SQL over ims.incident',
  format($$SELECT * FROM pg_temp.plain_kpi(%L, %L)$$, :'year_ago', :'this_month'),
  'ims >= 10x faster', 10, 1);

-- A backdated change two years back: that month and every later one are
-- computed live until the next refresh.
SET ims.event_time = '2026-01-01';
UPDATE ims.incident SET urgency = 2
 WHERE id = (SELECT id FROM ims.incident WHERE opened_at >= :'two_years_ago' AND state = 'resolved' AND priority <> 4
               ORDER BY opened_at LIMIT 1);   -- (3, 2) gives priority 4: a real change
RESET ims.event_time;
SELECT ims._kpi_live_from() AS live_from;
SELECT bench.record('v_incident_kpi_monthly: a dirty month 2 years back (live until refreshed)',
  format($$SELECT * FROM ims.v_incident_kpi_monthly WHERE month = %L$$, :'two_years_ago'),
  'plain SQL over ims.incident',
  format($$SELECT * FROM pg_temp.plain_kpi(%L, (%L::date + interval '1 month')::date)$$, :'two_years_ago', :'two_years_ago'),
  'at most 4x the cost (until refreshed)', 0.25, 1);
SELECT ims.refresh_kpis() AS rewritten_rows;
SELECT round(refresh_ms) AS incremental_refresh_ms, months_written FROM ims.kpi_refresh_state;

-- The dirty-mark trigger's cost: 2,000 single-row transitions with and without it
-- (in_progress <-> on_hold changes no KPI column, so its WHEN clause skips it; the
-- resolutions of old incidents below do fire it).
CREATE TEMP TABLE upd_ids AS
SELECT id, row_number() OVER (ORDER BY id) <= 1000 AS with_trigger
  FROM ims.incident WHERE state = 'in_progress' ORDER BY id LIMIT 2000;
CREATE FUNCTION pg_temp.move_all(w bool, to_state text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); r record;
BEGIN
    FOR r IN SELECT id FROM upd_ids WHERE with_trigger = w LOOP
        UPDATE ims.incident SET state = to_state, resolution_code = 'bench' WHERE id = r.id;
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
-- Warm both halves first; then without the trigger, then with it.
SELECT count(*) FROM ims.incident i JOIN upd_ids u ON u.id = i.id;
ALTER TABLE ims.incident DISABLE TRIGGER incident_95_kpi_update;
SELECT round(pg_temp.move_all(false, 'on_hold')::numeric) AS hold_1000_without_trigger_ms,
       round(pg_temp.move_all(false, 'resolved')::numeric) AS resolve_1000_without_trigger_ms;
ALTER TABLE ims.incident ENABLE TRIGGER incident_95_kpi_update;
SELECT round(pg_temp.move_all(true, 'on_hold')::numeric) AS hold_1000_with_trigger_ms,
       round(pg_temp.move_all(true, 'resolved')::numeric) AS resolve_1000_with_trigger_ms;

DROP FUNCTION pg_temp.plain_kpi(date, date);
