-- 70_views.sql — the documented BI views and the monthly KPI facts behind them (SPEC section 9).
-- doc/metrics.md "BI views" is the data dictionary; every view and column
-- also carries a COMMENT.  Months are calendar months in UTC.
\echo Use "CREATE EXTENSION ims" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Small helpers.

CREATE FUNCTION ims.kpi_month(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', t))::date $$;
COMMENT ON FUNCTION ims.kpi_month(timestamptz) IS 'The KPI month of a time: the first day of its calendar month in UTC';

CREATE FUNCTION ims.kpi_month_start(month date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.timezone('UTC', month::timestamp) $$;
COMMENT ON FUNCTION ims.kpi_month_start(date) IS 'The instant a KPI month starts: midnight UTC of the given date';

CREATE FUNCTION ims.hours(d interval) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.round(EXTRACT(epoch FROM d) OPERATOR(pg_catalog./) 3600, 2) $$;
COMMENT ON FUNCTION ims.hours(interval) IS 'An interval as hours, rounded to 2 decimals (how the BI views give durations)';

-- The state of ims.mttr / ims.mtta without the final mean: the monthly KPI
-- facts keep it, so means stay exact however rows are combined.
CREATE AGGREGATE ims.duration_state(start timestamptz, stop timestamptz) (
    SFUNC = ims.mean_state_accum,
    STYPE = ims.mean_state,
    INITCOND = '(0,0)',
    COMBINEFUNC = ims.mean_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.duration_state(timestamptz, timestamptz) IS 'The partial state of ims.mttr / ims.mtta (count and exact sum of stop - start over rows with both set); finish with ims.mean_state_mean, merge with ims.mean_state_combine';

-- ---------------------------------------------------------------------------
-- Monthly incident KPI facts.  ims.refresh_kpis() stores every closed month
-- (before the current UTC month); v_incident_kpi_monthly reads the stored
-- months and computes only the rest live.  Row triggers on
-- ims.incident record which months a change touched (ims.kpi_dirty), so the
-- view never shows a stale stored month: those months are computed live
-- until the next refresh.

CREATE TABLE ims.kpi_incident_monthly_fact (
    month              date NOT NULL,
    service_id         bigint,
    priority           smallint NOT NULL,
    tenant             text,
    opened_count       int NOT NULL,
    acknowledged_count int NOT NULL,
    resolved_count     int NOT NULL,
    backlog_count      int NOT NULL,
    reopened_count     int NOT NULL,
    tta_state          ims.mean_state NOT NULL,
    ttr_state          ims.mean_state NOT NULL,
    sla_measured_count int NOT NULL,
    sla_met_count      int NOT NULL
);
CREATE INDEX kpi_incident_monthly_fact_month_idx ON ims.kpi_incident_monthly_fact (month);
COMMENT ON TABLE ims.kpi_incident_monthly_fact IS 'Stored monthly incident KPIs per service, priority and tenant for closed months, written by ims.refresh_kpis(); read through ims.v_incident_kpi_monthly';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.tta_state IS 'ims.duration_state(opened_at, acknowledged_at) over incidents acknowledged in the month';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.ttr_state IS 'ims.duration_state(opened_at, resolved_at) over incidents resolved in the month';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.sla_measured_count IS 'Incidents resolved in the month with at least one clock of an SLA (agreement sla)';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.sla_met_count IS 'Of those, incidents none of whose SLA clocks was breached';
SELECT pg_catalog.pg_extension_config_dump('ims.kpi_incident_monthly_fact', '');

CREATE TABLE ims.kpi_dirty (
    months    daterange NOT NULL CHECK (NOT pg_catalog.isempty(months) AND NOT pg_catalog.lower_inf(months)),
    marked_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ims.kpi_dirty IS 'KPI months touched by incident changes since the last ims.refresh_kpis() (unbounded: up to now); stored facts of these months are not used until refreshed';
COMMENT ON COLUMN ims.kpi_dirty.months IS 'The months (first days of UTC months) whose KPIs the change may have altered';
COMMENT ON COLUMN ims.kpi_dirty.marked_at IS 'When the change was made';
SELECT pg_catalog.pg_extension_config_dump('ims.kpi_dirty', '');

CREATE TABLE ims.kpi_refresh_state (
    singleton     bool PRIMARY KEY DEFAULT true CHECK (singleton),
    covered_until date NOT NULL,
    refreshed_at  timestamptz NOT NULL,
    refresh_ms    float8 NOT NULL,
    fact_rows     bigint NOT NULL,
    months_written int NOT NULL
);
COMMENT ON TABLE ims.kpi_refresh_state IS 'The last ims.refresh_kpis(): stored KPI facts cover the months before covered_until (one row; none before the first refresh)';
COMMENT ON COLUMN ims.kpi_refresh_state.covered_until IS 'Facts exist for every month before this one (the first day of the UTC month of the refresh)';
COMMENT ON COLUMN ims.kpi_refresh_state.refreshed_at IS 'When the last refresh ran';
COMMENT ON COLUMN ims.kpi_refresh_state.refresh_ms IS 'How long it took, in milliseconds';
COMMENT ON COLUMN ims.kpi_refresh_state.fact_rows IS 'Fact rows it wrote';
COMMENT ON COLUMN ims.kpi_refresh_state.months_written IS 'Months it (re)computed';
SELECT pg_catalog.pg_extension_config_dump('ims.kpi_refresh_state', '');

-- The KPI-relevant columns of an incident: keys (service, priority, tenant),
-- opened_at, acknowledged_at, resolved_at, closed_at (the end of a cancelled
-- incident) and reopen_count.  Indexes for the live part of the view.
CREATE INDEX incident_acknowledged_at_idx ON ims.incident (acknowledged_at);
CREATE INDEX incident_ended_at_idx ON ims.incident ((coalesce(resolved_at, closed_at)));

-- KPI rows for every month from lo on (lo NULL: from the first month).
--   opened: opened_at in the month; acknowledged and mtta: acknowledged_at in
--   the month; resolved, mttr and reopened: resolved_at in the month;
--   backlog: opened before the month's end and neither resolved nor
--   cancelled before it (by the current stamps).
-- backlog(M) = backlog at lo + opened since lo - ended since lo, where an
-- incident ends in the month of greatest(opened_at, coalesce(resolved_at,
-- closed_at)); only incidents opened, acknowledged or ended since lo, or
-- still open, are read.  An infinite timestamp (or lo) falls in no month: it
-- is left out, so the month grid always ends.
CREATE FUNCTION ims._kpi_incident_months(lo date)
RETURNS TABLE (month date, service_id bigint, priority smallint, tenant text,
               opened_count int, acknowledged_count int, resolved_count int, backlog_count int,
               reopened_count int, tta_state ims.mean_state, ttr_state ims.mean_state,
               sla_measured_count int, sla_met_count int)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off       -- the month grid's row estimate is far too high; JIT then costs seconds
AS $fn$
DECLARE
    lo_t timestamptz := CASE WHEN lo IS NULL THEN '-infinity'::timestamptz ELSE ims.kpi_month_start(lo) END;
BEGIN
    -- Dynamic SQL: planned with the real bound, so the live part of the view
    -- reads a month through the indexes instead of scanning every incident.
    RETURN QUERY EXECUTE pg_catalog.format($q$
    WITH inc AS (
        SELECT i.service_id, i.priority, i.tenant, i.opened_at, i.acknowledged_at, i.resolved_at,
               i.reopen_count, coalesce(i.resolved_at, i.closed_at) AS ended_at, sla.measured, sla.met
          FROM ims.incident i
          LEFT JOIN LATERAL (
                -- SLA outcome of a resolved incident: measured when it has a
                -- clock of an SLA (agreement sla), met when none breached
                SELECT true AS measured, bool_and(s.breached_at IS NULL) AS met
                  FROM ims.incident_sla s JOIN ims.sla_policy p ON p.id = s.policy_id
                 WHERE i.resolved_at >= %1$L AND s.incident_id = i.id AND p.agreement = 'sla'
                HAVING count(*) > 0) sla ON true
         WHERE i.opened_at >= %1$L OR i.acknowledged_at >= %1$L
            OR coalesce(i.resolved_at, i.closed_at) >= %1$L OR coalesce(i.resolved_at, i.closed_at) IS NULL
    ), ev AS (
        SELECT e.month, inc.service_id, inc.priority, inc.tenant, e.kind, e.a, e.b, inc.reopen_count,
               inc.measured, inc.met
          FROM inc
         CROSS JOIN LATERAL (VALUES
            ('base', %2$L::date, NULL::timestamptz, NULL::timestamptz,
             inc.opened_at < %1$L AND (inc.ended_at IS NULL OR inc.ended_at >= %1$L)),
            ('open', ims.kpi_month(inc.opened_at), NULL, NULL, inc.opened_at >= %1$L),
            ('end', ims.kpi_month(greatest(inc.opened_at, inc.ended_at)), NULL, NULL,
             inc.ended_at IS NOT NULL AND greatest(inc.opened_at, inc.ended_at) >= %1$L),
            ('ack', ims.kpi_month(inc.acknowledged_at), inc.opened_at, inc.acknowledged_at, inc.acknowledged_at >= %1$L),
            ('res', ims.kpi_month(inc.resolved_at), inc.opened_at, inc.resolved_at, inc.resolved_at >= %1$L)
         ) AS e(kind, month, a, b, here)
         WHERE e.here AND pg_catalog.isfinite(e.month)   -- an infinite time has no month (and no end to the grid)
    ), agg AS (
        SELECT ev.month, ev.service_id, ev.priority, ev.tenant,
               count(*) FILTER (WHERE ev.kind = 'open')::int AS opened,
               count(*) FILTER (WHERE ev.kind = 'ack')::int AS acked,
               count(*) FILTER (WHERE ev.kind = 'res')::int AS resolved,
               count(*) FILTER (WHERE ev.kind = 'res' AND ev.reopen_count > 0)::int AS reopened,
               (count(*) FILTER (WHERE ev.kind IN ('base', 'open'))
                - count(*) FILTER (WHERE ev.kind = 'end'))::int AS net,
               ims.duration_state(ev.a, ev.b) FILTER (WHERE ev.kind = 'ack') AS tta,
               ims.duration_state(ev.a, ev.b) FILTER (WHERE ev.kind = 'res') AS ttr,
               count(*) FILTER (WHERE ev.kind = 'res' AND ev.measured)::int AS sla_measured,
               count(*) FILTER (WHERE ev.kind = 'res' AND ev.measured AND ev.met)::int AS sla_met
          FROM ev
         GROUP BY ev.month, ev.service_id, ev.priority, ev.tenant
    ), span AS (        -- up to the current month at least: open incidents stay in the backlog
        SELECT min(agg.month) AS first, greatest(max(agg.month), ims.kpi_month(now())) AS last FROM agg
    ), keys AS (
        SELECT DISTINCT agg.service_id, agg.priority, agg.tenant FROM agg
    ), grid AS (
        SELECT m::date AS month, k.service_id, k.priority, k.tenant
          FROM span, keys k, generate_series(span.first::timestamp, span.last::timestamp, interval '1 month') m
    ), filled AS (
        SELECT g.month, g.service_id, g.priority, g.tenant,
               coalesce(a.opened, 0) AS opened, coalesce(a.acked, 0) AS acked,
               coalesce(a.resolved, 0) AS resolved, coalesce(a.reopened, 0) AS reopened,
               sum(coalesce(a.net, 0)) OVER (PARTITION BY g.service_id, g.priority, g.tenant ORDER BY g.month)::int AS backlog,
               coalesce(a.tta, '(0,0)') AS tta, coalesce(a.ttr, '(0,0)') AS ttr,
               coalesce(a.sla_measured, 0) AS sla_measured, coalesce(a.sla_met, 0) AS sla_met
          FROM grid g
          LEFT JOIN agg a ON a.month = g.month AND a.service_id IS NOT DISTINCT FROM g.service_id
                         AND a.priority = g.priority AND a.tenant IS NOT DISTINCT FROM g.tenant
    )
    SELECT f.month, f.service_id, f.priority, f.tenant, f.opened, f.acked, f.resolved, f.backlog,
           f.reopened, f.tta, f.ttr, f.sla_measured, f.sla_met
      FROM filled f
     WHERE f.opened > 0 OR f.acked > 0 OR f.resolved > 0 OR f.backlog <> 0
    $q$, lo_t, lo);
END
$fn$;
-- SECURITY DEFINER so that readers of the view need no privilege on
-- ims.incident: like the views it belongs to, it must be owned by a role
-- that is subject to row-level security (90_security.sql gives it to
-- ims_view_owner), so each reader still sees only their tenants' incidents.
COMMENT ON FUNCTION ims._kpi_incident_months(date) IS 'Monthly incident KPI rows (the columns of ims.kpi_incident_monthly_fact) for every month from lo on, computed from ims.incident (lo NULL: all months); used by ims.refresh_kpis() and the live part of ims.v_incident_kpi_monthly';

-- Where the live part of the view starts: the first month not stored, or the
-- first dirty month when earlier; NULL when nothing is stored (all live).
CREATE FUNCTION ims._kpi_live_from() RETURNS date
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN s.covered_until IS NOT NULL
                THEN least(s.covered_until, (SELECT min(pg_catalog.lower(d.months)) FROM ims.kpi_dirty d)) END
      FROM (SELECT NULL::date) AS dummy
      LEFT JOIN ims.kpi_refresh_state s ON true
$$;
COMMENT ON FUNCTION ims._kpi_live_from() IS 'First month ims.v_incident_kpi_monthly computes live: the month after the stored facts, or the first month an incident change touched since the refresh; NULL when no facts are stored';

CREATE FUNCTION ims.refresh_kpis(full_rebuild bool DEFAULT false) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t0      timestamptz := pg_catalog.clock_timestamp();
    new_wm  date := ims.kpi_month(pg_catalog.now());
    old_wm  date;
    dmin    date;
    lo      date;
    n       bigint := 0;
    n_months int := 0;
BEGIN
    -- One refresh at a time; readers of the views are never blocked.
    LOCK TABLE ims.kpi_refresh_state IN EXCLUSIVE MODE;
    SELECT s.covered_until INTO old_wm FROM ims.kpi_refresh_state s;
    -- Take the dirty marks this snapshot sees; marks of transactions still
    -- running stay and keep their months live until the next refresh.
    WITH d AS (DELETE FROM ims.kpi_dirty x RETURNING x.months)
    SELECT min(pg_catalog.lower(d.months)) INTO dmin FROM d;
    IF full_rebuild OR old_wm IS NULL THEN
        lo := NULL;
    ELSE
        lo := least(old_wm, dmin);
    END IF;
    IF lo IS NULL OR lo < new_wm THEN
        DELETE FROM ims.kpi_incident_monthly_fact f WHERE lo IS NULL OR f.month >= lo;
        INSERT INTO ims.kpi_incident_monthly_fact
        SELECT k.* FROM ims._kpi_incident_months(lo) k WHERE k.month < new_wm;
        GET DIAGNOSTICS n = ROW_COUNT;
        SELECT count(DISTINCT f.month) INTO n_months FROM ims.kpi_incident_monthly_fact f
         WHERE lo IS NULL OR f.month >= lo;
    END IF;
    INSERT INTO ims.kpi_refresh_state AS s (singleton, covered_until, refreshed_at, refresh_ms, fact_rows, months_written)
    VALUES (true, new_wm, pg_catalog.now(),
            EXTRACT(epoch FROM pg_catalog.clock_timestamp() - t0) * 1000, n, n_months)
    ON CONFLICT (singleton) DO UPDATE
       SET covered_until = EXCLUDED.covered_until, refreshed_at = EXCLUDED.refreshed_at,
           refresh_ms = EXCLUDED.refresh_ms, fact_rows = EXCLUDED.fact_rows,
           months_written = EXCLUDED.months_written;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ims.refresh_kpis(bool) IS 'Stores the monthly incident KPIs of every closed month that is new or touched since the last run (all of them with full_rebuild); returns the fact rows written.  Schedule it with pg_cron: cron.schedule(''ims-kpi-refresh'', ''*/15 * * * *'', ''select ims.refresh_kpis()'')';

-- Refreshing is an administrator's (or pg_cron's) job.
REVOKE EXECUTE ON FUNCTION ims.refresh_kpis(bool) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.refresh_kpis(bool) TO ims_admin;

-- Dirty marks: a row trigger that runs only when a KPI column changed (a
-- gate in C checks the columns, so state changes between open states, title,
-- assignee ... cost next to nothing); it records the months the change may
-- have altered, and skips the insert when an existing mark covers them.
CREATE FUNCTION ims._kpi_mark_dirty() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    lo    timestamptz;
    hi    timestamptz;
    unb   bool := false;
    o_end timestamptz;
    n_end timestamptz := coalesce(NEW.resolved_at, NEW.closed_at);
    r     daterange;
BEGIN
    IF ims._bulk_restore() THEN
        RETURN NULL;        -- pg_restore brings the marks along with the rows
    END IF;
    IF TG_OP = 'INSERT' THEN
        lo := least(NEW.opened_at, NEW.acknowledged_at, NEW.resolved_at, NEW.closed_at);
        hi := greatest(NEW.opened_at, NEW.acknowledged_at, NEW.resolved_at, NEW.closed_at);
        unb := n_end IS NULL;
    ELSE
        o_end := coalesce(OLD.resolved_at, OLD.closed_at);
        IF (OLD.service_id, OLD.priority, OLD.tenant, OLD.opened_at)
           IS DISTINCT FROM (NEW.service_id, NEW.priority, NEW.tenant, NEW.opened_at) THEN
            -- moved to another group, or opened at another time: its whole life
            lo := least(OLD.opened_at, NEW.opened_at);
            unb := true;
        END IF;
        IF OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at THEN
            lo := least(lo, OLD.acknowledged_at, NEW.acknowledged_at);
            hi := greatest(hi, OLD.acknowledged_at, NEW.acknowledged_at);
        END IF;
        IF (OLD.resolved_at, o_end, OLD.reopen_count) IS DISTINCT FROM (NEW.resolved_at, n_end, NEW.reopen_count) THEN
            -- resolved, cancelled or reopened: from the earlier end on; up to
            -- now when one side is open (the backlog of every month between)
            lo := least(lo, OLD.resolved_at, NEW.resolved_at, o_end, n_end);
            hi := greatest(hi, OLD.resolved_at, NEW.resolved_at, o_end, n_end, OLD.opened_at, NEW.opened_at);
            unb := unb OR o_end IS NULL OR n_end IS NULL;
        END IF;
    END IF;
    IF lo IS NULL THEN
        RETURN NULL;
    END IF;
    r := pg_catalog.daterange(ims.kpi_month(lo),
                              CASE WHEN unb OR hi IS NULL THEN NULL
                                   ELSE (ims.kpi_month(hi) + interval '1 month')::date END);
    IF NOT EXISTS (SELECT 1 FROM ims.kpi_dirty d WHERE d.months @> r) THEN
        INSERT INTO ims.kpi_dirty (months) VALUES (r);
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ims._kpi_mark_dirty() IS 'Row trigger of ims.incident (run on INSERT, and on UPDATE by ims._kpi_mark_dirty_gate() when a KPI column changed): records in ims.kpi_dirty the KPI months the change touched';

CREATE TRIGGER incident_95_kpi_insert AFTER INSERT ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._kpi_mark_dirty();
-- On UPDATE a gate in C (src/gate.c) calls ims._kpi_mark_dirty() only when
-- one of (service_id, priority, tenant, opened_at, acknowledged_at,
-- resolved_at, coalesce(resolved_at, closed_at), reopen_count) changed; a
-- WHEN clause would be read back and planned again for every statement.
CREATE FUNCTION ims._kpi_mark_dirty_gate() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_kpi_mark_dirty_gate'
    LANGUAGE C;
COMMENT ON FUNCTION ims._kpi_mark_dirty_gate() IS 'AFTER UPDATE trigger of ims.incident: calls ims._kpi_mark_dirty() when a column the monthly KPIs read changed';
CREATE TRIGGER incident_95_kpi_update AFTER UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._kpi_mark_dirty_gate();

-- A stored month's SLA compliance changes when a resolved incident's clocks
-- change (ims.sla_rebuild after a policy edit, a policy deleted): mark the
-- month it was resolved in.
CREATE FUNCTION ims._kpi_mark_dirty_sla() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    res timestamptz;
    r   daterange;
BEGIN
    IF ims._bulk_restore() THEN
        RETURN NULL;
    END IF;
    SELECT i.resolved_at INTO res FROM ims.incident i
     WHERE i.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.incident_id ELSE NEW.incident_id END;
    IF res IS NULL THEN
        RETURN NULL;        -- not resolved: no stored month counts it
    END IF;
    r := pg_catalog.daterange(ims.kpi_month(res), (ims.kpi_month(res) + interval '1 month')::date);
    IF NOT EXISTS (SELECT 1 FROM ims.kpi_dirty d WHERE d.months @> r) THEN
        INSERT INTO ims.kpi_dirty (months) VALUES (r);
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ims._kpi_mark_dirty_sla() IS 'Row trigger of ims.incident_sla: a changed SLA outcome of a resolved incident marks its resolution month in ims.kpi_dirty';

CREATE TRIGGER incident_sla_kpi_insert_delete AFTER INSERT OR DELETE ON ims.incident_sla
    FOR EACH ROW EXECUTE FUNCTION ims._kpi_mark_dirty_sla();
CREATE TRIGGER incident_sla_kpi_update AFTER UPDATE ON ims.incident_sla
    FOR EACH ROW WHEN (OLD.breached_at IS DISTINCT FROM NEW.breached_at OR OLD.policy_id IS DISTINCT FROM NEW.policy_id)
    EXECUTE FUNCTION ims._kpi_mark_dirty_sla();

-- ---------------------------------------------------------------------------
-- ims.v_incident

CREATE VIEW ims.v_incident AS
SELECT i.id AS incident_id,
       i.number,
       i.title,
       i.state,
       ws.category AS state_category,
       (ws.category IN ('open', 'paused')) AS is_open,
       i.priority,
       i.impact,
       i.urgency,
       i.service_id,
       s.name AS service_name,
       i.ci_id,
       c.name AS ci_name,
       c.class AS ci_class,
       i.assignment_group,
       i.assignee,
       i.category,
       i.tenant,
       i.opened_at,
       i.acknowledged_at,
       i.resolved_at,
       i.closed_at,
       ims.kpi_month(i.opened_at) AS opened_month,
       ims.kpi_month(i.resolved_at) AS resolved_month,
       ims.hours(i.acknowledged_at - i.opened_at) AS time_to_acknowledge_hours,
       ims.hours(i.resolved_at - i.opened_at) AS time_to_resolve_hours,
       ims.hours(i.closed_at - i.opened_at) AS time_to_close_hours,
       i.reopen_count,
       (i.reopen_count > 0) AS was_reopened,
       i.resolution_code,
       i.outage_kind,
       (SELECT ims.hours(ims.downtime(o.period)) FROM ims.outage o
         WHERE o.incident_id = i.id AND o.kind = 'outage' AND NOT pg_catalog.upper_inf(o.period)) AS outage_hours,
       (SELECT count(*) FROM ims.problem_incident pi WHERE pi.incident_id = i.id)::int AS problem_count,
       sla.sla_count,
       sla.response_breached,
       sla.resolution_breached,
       sla.sla_breached,
       sla.resolution_due_at
  FROM ims.incident i
  LEFT JOIN LATERAL (
        -- breached: the breach was seen (breached_at), or a running clock is past due
        SELECT count(*)::int AS sla_count,
               bool_or(b.breached) FILTER (WHERE p.metric = 'response') AS response_breached,
               bool_or(b.breached) FILTER (WHERE p.metric = 'resolution') AS resolution_breached,
               bool_or(b.breached) FILTER (WHERE p.agreement = 'sla') AS sla_breached,
               min(s.due_at) FILTER (WHERE p.metric = 'resolution') AS resolution_due_at
          FROM ims.incident_sla s
          JOIN ims.sla_policy p ON p.id = s.policy_id
         CROSS JOIN LATERAL (SELECT (s.breached_at IS NOT NULL OR coalesce(s.due_at <= pg_catalog.now(), false)) AS breached) b
         WHERE s.incident_id = i.id) sla ON true
  LEFT JOIN ims.workflow_state ws ON ws.workflow = 'incident' AND ws.state = i.state
  LEFT JOIN ims.ci s ON s.id = i.service_id
  LEFT JOIN ims.ci c ON c.id = i.ci_id;
COMMENT ON VIEW ims.v_incident IS 'One flat row per incident for BI tools: names instead of ids, durations in hours, flags';
COMMENT ON COLUMN ims.v_incident.incident_id IS 'ims.incident.id';
COMMENT ON COLUMN ims.v_incident.number IS 'Incident number (INC0000001)';
COMMENT ON COLUMN ims.v_incident.title IS 'Short description';
COMMENT ON COLUMN ims.v_incident.state IS 'Current state on the incident workflow';
COMMENT ON COLUMN ims.v_incident.state_category IS 'Category of the state: open, paused, resolved, closed or cancelled';
COMMENT ON COLUMN ims.v_incident.is_open IS 'true while the incident is being worked or waits (category open or paused)';
COMMENT ON COLUMN ims.v_incident.priority IS '1 (critical) to 5 (planning)';
COMMENT ON COLUMN ims.v_incident.impact IS '1 (high) to 3 (low)';
COMMENT ON COLUMN ims.v_incident.urgency IS '1 (high) to 3 (low)';
COMMENT ON COLUMN ims.v_incident.service_id IS 'Affected business service (ims.ci.id), NULL when not recorded';
COMMENT ON COLUMN ims.v_incident.service_name IS 'Name of the affected business service';
COMMENT ON COLUMN ims.v_incident.ci_id IS 'Configuration item at fault (ims.ci.id), NULL when not recorded';
COMMENT ON COLUMN ims.v_incident.ci_name IS 'Name of the configuration item at fault';
COMMENT ON COLUMN ims.v_incident.ci_class IS 'Class of the configuration item at fault';
COMMENT ON COLUMN ims.v_incident.assignment_group IS 'Group working the incident';
COMMENT ON COLUMN ims.v_incident.assignee IS 'Person working the incident';
COMMENT ON COLUMN ims.v_incident.category IS 'Category given by the caller or agent';
COMMENT ON COLUMN ims.v_incident.tenant IS 'Tenant owning the incident';
COMMENT ON COLUMN ims.v_incident.opened_at IS 'When the incident was opened';
COMMENT ON COLUMN ims.v_incident.acknowledged_at IS 'When it first left state new';
COMMENT ON COLUMN ims.v_incident.resolved_at IS 'When it was resolved (NULL while open or after a reopen)';
COMMENT ON COLUMN ims.v_incident.closed_at IS 'When it was closed or cancelled';
COMMENT ON COLUMN ims.v_incident.opened_month IS 'First day of the UTC month it was opened in';
COMMENT ON COLUMN ims.v_incident.resolved_month IS 'First day of the UTC month it was resolved in';
COMMENT ON COLUMN ims.v_incident.time_to_acknowledge_hours IS 'acknowledged_at - opened_at in hours (2 decimals), NULL until acknowledged';
COMMENT ON COLUMN ims.v_incident.time_to_resolve_hours IS 'resolved_at - opened_at in hours (2 decimals), NULL until resolved';
COMMENT ON COLUMN ims.v_incident.time_to_close_hours IS 'closed_at - opened_at in hours (2 decimals), NULL until closed or cancelled';
COMMENT ON COLUMN ims.v_incident.reopen_count IS 'How often it was reopened';
COMMENT ON COLUMN ims.v_incident.was_reopened IS 'true when reopened at least once';
COMMENT ON COLUMN ims.v_incident.resolution_code IS 'How it was resolved';
COMMENT ON COLUMN ims.v_incident.outage_kind IS 'outage or degradation when the incident records one in ims.outage, else NULL';
COMMENT ON COLUMN ims.v_incident.outage_hours IS 'Length in hours of the union of the ended outages (kind outage) the incident recorded; NULL when none';
COMMENT ON COLUMN ims.v_incident.problem_count IS 'Number of problems linked to the incident (ims.problem_incident)';
COMMENT ON COLUMN ims.v_incident.sla_count IS 'SLA, OLA and UC clocks running, paused or stopped for the incident (ims.incident_sla)';
COMMENT ON COLUMN ims.v_incident.response_breached IS 'true when a response clock is breached (seen, or running past due now); NULL without response clocks';
COMMENT ON COLUMN ims.v_incident.resolution_breached IS 'true when a resolution clock is breached (seen, or running past due now); NULL without resolution clocks';
COMMENT ON COLUMN ims.v_incident.sla_breached IS 'true when any clock of an SLA (agreement sla, not OLA or UC) is breached; NULL without SLA clocks';
COMMENT ON COLUMN ims.v_incident.resolution_due_at IS 'Earliest due time of the running resolution clocks; NULL when none runs';

-- ---------------------------------------------------------------------------
-- ims.v_incident_kpi_monthly

CREATE VIEW ims.v_incident_kpi_monthly AS
WITH live AS (SELECT ims._kpi_live_from() AS live_from),
k AS (
    SELECT f.month, f.service_id, f.priority, f.tenant, f.opened_count, f.acknowledged_count,
           f.resolved_count, f.backlog_count, f.reopened_count, f.tta_state, f.ttr_state,
           f.sla_measured_count, f.sla_met_count
      FROM ims.kpi_incident_monthly_fact f, live
     WHERE f.month < live.live_from
    UNION ALL
    SELECT m.month, m.service_id, m.priority, m.tenant, m.opened_count, m.acknowledged_count,
           m.resolved_count, m.backlog_count, m.reopened_count, m.tta_state, m.ttr_state,
           m.sla_measured_count, m.sla_met_count
      FROM live, ims._kpi_incident_months(live.live_from) m
)
SELECT k.month,
       k.service_id,
       s.name AS service_name,
       k.priority,
       k.tenant,
       k.opened_count,
       k.acknowledged_count,
       k.resolved_count,
       k.backlog_count,
       k.reopened_count,
       ims.hours(ims.mean_state_mean(k.ttr_state)) AS mttr_hours,
       ims.hours(ims.mean_state_mean(k.tta_state)) AS mtta_hours,
       CASE WHEN k.resolved_count > 0
            THEN pg_catalog.round(100.0 * k.reopened_count / k.resolved_count, 2) END AS reopen_rate_pct,
       k.sla_measured_count,
       k.sla_met_count,
       CASE WHEN k.sla_measured_count > 0
            THEN pg_catalog.round(100.0 * k.sla_met_count / k.sla_measured_count, 2) END AS sla_compliance_pct
  FROM k
  LEFT JOIN ims.ci s ON s.id = k.service_id;
COMMENT ON VIEW ims.v_incident_kpi_monthly IS 'Incident KPIs per UTC month, service, priority and tenant: closed months are read from the facts ims.refresh_kpis() stores, the rest is computed live, so the view is always exact';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.service_id IS 'Business service (ims.ci.id); NULL groups incidents without a service';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.service_name IS 'Name of the business service';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.priority IS 'Incident priority, 1 (critical) to 5 (planning), as it is now';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.tenant IS 'Tenant owning the incidents';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.opened_count IS 'Incidents opened in the month';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.acknowledged_count IS 'Incidents acknowledged (first left new) in the month; the base of mtta_hours';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.resolved_count IS 'Incidents resolved in the month (by their current resolved_at); the base of mttr_hours and reopen_rate_pct';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.backlog_count IS 'Incidents open at the end of the month: opened before it and not resolved or cancelled before it';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.reopened_count IS 'Incidents resolved in the month that had been reopened at least once';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.mttr_hours IS 'Mean time to resolve in hours (ims.mttr of opened_at, resolved_at over incidents resolved in the month); NULL when none';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.mtta_hours IS 'Mean time to acknowledge in hours (ims.mtta of opened_at, acknowledged_at over incidents acknowledged in the month); NULL when none';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.reopen_rate_pct IS '100 * reopened_count / resolved_count; NULL when nothing was resolved';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.sla_measured_count IS 'Incidents resolved in the month that had at least one SLA clock (a policy with agreement sla): the base of sla_compliance_pct';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.sla_met_count IS 'Of those, incidents none of whose SLA clocks was breached';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.sla_compliance_pct IS '100 * sla_met_count / sla_measured_count; NULL when no resolved incident had an SLA';

-- ---------------------------------------------------------------------------
-- ims.v_service_availability_monthly

CREATE VIEW ims.v_service_availability_monthly AS
WITH RECURSIVE svc_class(name) AS (
    SELECT 'business_service'::text
    UNION
    SELECT c.name FROM ims.ci_class c JOIN svc_class p ON c.parent = p.name
), svc AS (
    SELECT c.id, c.name, c.tenant FROM ims.ci c WHERE c.class IN (SELECT name FROM svc_class)
), outage_ci AS (
    SELECT DISTINCT o.ci_id FROM ims.outage o
), hits AS (        -- which services each outage CI takes down (itself, when a service)
    SELECT oc.ci_id, x.ci_id AS service_id
      FROM outage_ci oc CROSS JOIN LATERAL ims.impacted_services(ARRAY[oc.ci_id]) x
), alone AS (
    SELECT h.service_id, o.id, o.period, o.kind
      FROM hits h JOIN ims.outage o ON o.ci_id = h.ci_id
), pooled AS (      -- CIs whose failures can add up: what the CIs with min_up depend on
    SELECT d.ci_id
      FROM ims.dependencies((SELECT pg_catalog.array_agg(c.id) FROM ims.ci c WHERE c.min_up IS NOT NULL)) d
), pooled_outage AS (
    SELECT o.id, o.ci_id, o.period, o.kind FROM ims.outage o WHERE o.ci_id IN (SELECT p.ci_id FROM pooled p)
), edge AS (       -- cut their time line wherever the set of those CIs down changes:
                    -- k numbers the distinct start and end instants of a kind in time order
    SELECT e.id, e.kind, e.ci_id, e.starts, e.t,
           pg_catalog.dense_rank() OVER (PARTITION BY e.kind ORDER BY e.t) AS k
      FROM (SELECT po.id, po.kind, po.ci_id, true AS starts, pg_catalog.lower(po.period) AS t FROM pooled_outage po
            UNION ALL
            SELECT po.id, po.kind, po.ci_id, false, pg_catalog.upper(po.period) FROM pooled_outage po
             WHERE NOT pg_catalog.upper_inf(po.period)) e
), piece AS (       -- piece k runs from instant k to instant k + 1 (the last one on)
    SELECT d.kind, d.k, d.t AS lo, pg_catalog.lead(d.t) OVER (PARTITION BY d.kind ORDER BY d.k) AS hi,
           max(d.k) OVER (PARTITION BY d.kind) AS n
      FROM (SELECT DISTINCT ed.kind, ed.k, ed.t FROM edge ed) d
), covered AS (     -- an outage covers the pieces from the one it starts to the one before it ends
    SELECT sp.kind, g.k, sp.ci_id
      FROM (SELECT ed.id, ed.kind, ed.ci_id, min(ed.k) FILTER (WHERE ed.starts) AS k1,
                   min(ed.k) FILTER (WHERE NOT ed.starts) AS k2
              FROM edge ed GROUP BY ed.id, ed.kind, ed.ci_id) sp
      JOIN (SELECT DISTINCT p.kind, p.n FROM piece p) last ON last.kind = sp.kind
     CROSS JOIN LATERAL pg_catalog.generate_series(sp.k1, coalesce(sp.k2 - 1, last.n)) AS g(k)
), together AS (    -- pieces in which two or more of them are down at once
    SELECT c.kind, c.k, pg_catalog.array_agg(DISTINCT c.ci_id ORDER BY c.ci_id) AS ci_ids
      FROM covered c
     GROUP BY c.kind, c.k
    HAVING count(DISTINCT c.ci_id) > 1
), together_hits AS (   -- each distinct set of CIs down asked once
    SELECT sets.ci_ids, x.ci_id AS service_id
      FROM (SELECT DISTINCT t.ci_ids FROM together t) sets
     CROSS JOIN LATERAL ims.impacted_services(sets.ci_ids) x
), svc_outage AS (  -- what each CI takes down alone, and what CIs down together take down
    SELECT a.service_id, a.id, a.period, a.kind FROM alone a
    UNION ALL
    SELECT th.service_id, NULL::bigint, pg_catalog.tstzrange(p.lo, p.hi), t.kind
      FROM together t
      JOIN piece p ON p.kind = t.kind AND p.k = t.k
      JOIN together_hits th ON th.ci_ids = t.ci_ids
), incidents AS (
    SELECT k.service_id, k.month, sum(k.opened_count)::int AS n
      FROM ims.v_incident_kpi_monthly k
     WHERE k.service_id IN (SELECT id FROM svc)
     GROUP BY k.service_id, k.month
), span AS (
    SELECT least((SELECT min(ims.kpi_month(pg_catalog.lower(so.period))) FROM svc_outage so),
                 (SELECT min(i.month) FROM incidents i)) AS first,
           ims.kpi_month(pg_catalog.now()) AS last
), months AS (
    SELECT m::date AS month,
           pg_catalog.tstzrange(ims.kpi_month_start(m::date),
                                least(ims.kpi_month_start((m + interval '1 month')::date), pg_catalog.now())) AS period
      FROM span, generate_series(span.first::timestamp, span.last::timestamp, interval '1 month') m
     WHERE ims.kpi_month_start(m::date) < pg_catalog.now()
)
SELECT s.id AS service_id,
       s.name AS service_name,
       s.tenant,
       m.month,
       ims.hours(pg_catalog.upper(m.period) - pg_catalog.lower(m.period)) AS period_hours,
       pg_catalog.round((100 * ims.availability(CASE WHEN o.kind = 'outage' THEN o.period END, m.period))::numeric, 4) AS availability_pct,
       coalesce(ims.hours(ims.downtime(o.period * m.period) FILTER (WHERE o.kind = 'outage')), 0.00) AS downtime_hours,
       ims.hours(ims.mtbf(CASE WHEN o.kind = 'outage' THEN o.period END, m.period)) AS mtbf_hours,
       (count(DISTINCT o.id) FILTER (WHERE o.kind = 'outage'))::int AS outage_count,
       coalesce(ims.hours(ims.downtime(o.period * m.period) FILTER (WHERE o.kind = 'degradation')), 0.00) AS degradation_hours,
       coalesce(ims.hours(ims.downtime(o.period * m.period) FILTER (WHERE o.kind = 'planned')), 0.00) AS planned_hours,
       coalesce((SELECT i.n FROM incidents i WHERE i.service_id = s.id AND i.month = m.month), 0) AS incident_count
  FROM svc s
 CROSS JOIN months m
  LEFT JOIN svc_outage o ON o.service_id = s.id AND o.period && m.period
 GROUP BY s.id, s.name, s.tenant, m.month, m.period;
COMMENT ON VIEW ims.v_service_availability_monthly IS 'Availability of every business service per UTC month, from the first month with an outage or incident up to the current month (counted up to now): the service is down while it, or a CI whose failure impacts it (ims.impacted_services, honouring min_up), is in outage, and while several CIs are down at once whose failures together impact it (members of a redundant pool); evaluated on today''s CMDB graph';
COMMENT ON COLUMN ims.v_service_availability_monthly.service_id IS 'The business service (ims.ci.id)';
COMMENT ON COLUMN ims.v_service_availability_monthly.service_name IS 'Its name';
COMMENT ON COLUMN ims.v_service_availability_monthly.tenant IS 'Tenant owning the service CI';
COMMENT ON COLUMN ims.v_service_availability_monthly.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.v_service_availability_monthly.period_hours IS 'Hours measured: the whole month, or up to now for the current month';
COMMENT ON COLUMN ims.v_service_availability_monthly.availability_pct IS '100 * ims.availability over the outages (kind outage only) in the period, 4 decimals; 100 without outages';
COMMENT ON COLUMN ims.v_service_availability_monthly.downtime_hours IS 'Hours down in the period (ims.downtime: overlapping outages count once)';
COMMENT ON COLUMN ims.v_service_availability_monthly.mtbf_hours IS 'Mean time between failures in hours (ims.mtbf: up time / merged failures); NULL without failures';
COMMENT ON COLUMN ims.v_service_availability_monthly.outage_count IS 'Outage records (kind outage) overlapping the period of the service or of CIs whose failure alone impacts it, before merging overlaps; failures that take the service down only together (a redundant pool) add to downtime_hours and mtbf_hours but not to this count';
COMMENT ON COLUMN ims.v_service_availability_monthly.degradation_hours IS 'Hours degraded in the period (kind degradation; not counted against availability)';
COMMENT ON COLUMN ims.v_service_availability_monthly.planned_hours IS 'Hours of planned outage in the period (kind planned; not counted against availability)';
COMMENT ON COLUMN ims.v_service_availability_monthly.incident_count IS 'Incidents opened against the service (service_id) in the month';

-- ---------------------------------------------------------------------------
-- ims.v_ci_impact

CREATE VIEW ims.v_ci_impact AS
SELECT c.id AS ci_id,
       c.name AS ci_name,
       c.class AS ci_class,
       c.status AS ci_status,
       c.criticality,
       c.tenant,
       imp.dependent_count,
       svc.impacted_service_count,
       svc.impacted_services,
       (SELECT count(*) FROM ims.incident i
         WHERE i.ci_id = c.id AND coalesce(i.resolved_at, i.closed_at) IS NULL)::int AS open_incident_count,
       (SELECT count(*) FROM ims.problem p
         WHERE p.ci_id = c.id AND p.resolved_at IS NULL AND p.closed_at IS NULL)::int AS open_problem_count,
       EXISTS (SELECT 1 FROM ims.outage o
                WHERE o.ci_id = c.id AND o.kind = 'outage' AND pg_catalog.upper_inf(o.period)) AS in_outage
  FROM ims.ci c
 CROSS JOIN LATERAL (SELECT (count(*) FILTER (WHERE x.depth > 0))::int AS dependent_count
                       FROM ims.impacted(ARRAY[c.id]) x) imp
 CROSS JOIN LATERAL (SELECT count(*)::int AS impacted_service_count,
                            pg_catalog.string_agg(sc.name, ', ' ORDER BY sc.name) AS impacted_services
                       FROM ims.impacted_services(ARRAY[c.id]) y JOIN ims.ci sc ON sc.id = y.ci_id) svc;
COMMENT ON VIEW ims.v_ci_impact IS 'Per CI: how much depends on it (ims.impacted, honouring min_up), which business services its failure takes down, and its open incidents and problems; filter by ci_id for speed (each row walks the graph)';
COMMENT ON COLUMN ims.v_ci_impact.ci_id IS 'ims.ci.id';
COMMENT ON COLUMN ims.v_ci_impact.ci_name IS 'CI name';
COMMENT ON COLUMN ims.v_ci_impact.ci_class IS 'CI class';
COMMENT ON COLUMN ims.v_ci_impact.ci_status IS 'CI status (operational, degraded, down, ...)';
COMMENT ON COLUMN ims.v_ci_impact.criticality IS 'CI criticality 1 (highest) to 5';
COMMENT ON COLUMN ims.v_ci_impact.tenant IS 'Tenant owning the CI (NULL: shared)';
COMMENT ON COLUMN ims.v_ci_impact.dependent_count IS 'CIs that would be impacted if this CI failed alone (not counting itself)';
COMMENT ON COLUMN ims.v_ci_impact.impacted_service_count IS 'Business services impacted if this CI failed alone (a service counts itself)';
COMMENT ON COLUMN ims.v_ci_impact.impacted_services IS 'Their names, comma-separated, in name order; NULL when none';
COMMENT ON COLUMN ims.v_ci_impact.open_incident_count IS 'Incidents on this CI (ci_id) neither resolved nor closed';
COMMENT ON COLUMN ims.v_ci_impact.open_problem_count IS 'Problems on this CI (ci_id) neither resolved nor closed';
COMMENT ON COLUMN ims.v_ci_impact.in_outage IS 'true while an outage (kind outage) of this CI is open';

-- ---------------------------------------------------------------------------
-- ims.v_change_kpi_monthly (changes are few: computed live)

CREATE VIEW ims.v_change_kpi_monthly AS
WITH ev AS (
    SELECT ims.kpi_month(c.created_at) AS month, c.tenant, 'requested'::text AS kind, c.type, c.outcome,
           NULL::timestamptz AS a, NULL::timestamptz AS b
      FROM ims.change_request c
    UNION ALL
    SELECT ims.kpi_month(pg_catalog.lower(c.actual)), c.tenant, 'started', c.type, c.outcome,
           c.created_at, pg_catalog.lower(c.actual)
      FROM ims.change_request c
     WHERE c.actual IS NOT NULL AND pg_catalog.lower(c.actual) > '-infinity' AND pg_catalog.lower(c.actual) < 'infinity'
    UNION ALL
    SELECT ims.kpi_month(pg_catalog.upper(c.actual)), c.tenant, 'completed', c.type, c.outcome,
           pg_catalog.lower(c.actual), pg_catalog.upper(c.actual)
      FROM ims.change_request c
     WHERE c.outcome IS NOT NULL AND c.actual IS NOT NULL AND NOT pg_catalog.upper_inf(c.actual)
       AND pg_catalog.lower(c.actual) > '-infinity' AND pg_catalog.upper(c.actual) < 'infinity'
), agg AS (
    SELECT ev.month, ev.tenant,
           count(*) FILTER (WHERE ev.kind = 'requested')::int AS requested_count,
           count(*) FILTER (WHERE ev.kind = 'requested' AND ev.type = 'standard')::int AS standard_count,
           count(*) FILTER (WHERE ev.kind = 'requested' AND ev.type = 'normal')::int AS normal_count,
           count(*) FILTER (WHERE ev.kind = 'requested' AND ev.type = 'emergency')::int AS emergency_count,
           count(*) FILTER (WHERE ev.kind = 'started')::int AS implemented_count,
           ims.mttr(ev.a, ev.b) FILTER (WHERE ev.kind = 'started') AS lead_time,
           count(*) FILTER (WHERE ev.kind = 'completed')::int AS completed_count,
           count(*) FILTER (WHERE ev.kind = 'completed' AND ev.outcome = 'successful')::int AS successful_count,
           count(*) FILTER (WHERE ev.kind = 'completed' AND ev.outcome = 'failed')::int AS failed_count,
           count(*) FILTER (WHERE ev.kind = 'completed' AND ev.outcome = 'backed_out')::int AS backed_out_count,
           ims.mttr(ev.a, ev.b) FILTER (WHERE ev.kind = 'completed') AS implementation
      FROM ev
     GROUP BY ev.month, ev.tenant
)
SELECT agg.month,
       agg.tenant,
       agg.requested_count,
       agg.standard_count,
       agg.normal_count,
       agg.emergency_count,
       CASE WHEN agg.requested_count > 0
            THEN pg_catalog.round(100.0 * agg.emergency_count / agg.requested_count, 2) END AS emergency_ratio_pct,
       agg.implemented_count,
       ims.hours(agg.lead_time) AS lead_time_hours,
       agg.completed_count,
       agg.successful_count,
       agg.failed_count,
       agg.backed_out_count,
       CASE WHEN agg.completed_count > 0
            THEN pg_catalog.round(100.0 * agg.successful_count / agg.completed_count, 2) END AS success_rate_pct,
       ims.hours(agg.implementation) AS implementation_hours
  FROM agg;
COMMENT ON VIEW ims.v_change_kpi_monthly IS 'Change KPIs per UTC month and tenant: requests by type and the emergency ratio (by request month), lead time (by implementation start month), success rate and implementation time (by completion month)';
COMMENT ON COLUMN ims.v_change_kpi_monthly.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.v_change_kpi_monthly.tenant IS 'Tenant owning the changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.requested_count IS 'Changes requested (created_at) in the month';
COMMENT ON COLUMN ims.v_change_kpi_monthly.standard_count IS 'Of those, standard (pre-approved) changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.normal_count IS 'Of those, normal changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.emergency_count IS 'Of those, emergency changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.emergency_ratio_pct IS '100 * emergency_count / requested_count; NULL when nothing was requested';
COMMENT ON COLUMN ims.v_change_kpi_monthly.implemented_count IS 'Changes whose implementation started (lower(actual)) in the month; the base of lead_time_hours';
COMMENT ON COLUMN ims.v_change_kpi_monthly.lead_time_hours IS 'Mean lead time in hours from request (created_at) to the start of implementation (lower(actual)), over changes started in the month';
COMMENT ON COLUMN ims.v_change_kpi_monthly.completed_count IS 'Changes whose implementation ended (upper(actual)) in the month with an outcome; the base of success_rate_pct';
COMMENT ON COLUMN ims.v_change_kpi_monthly.successful_count IS 'Of those, outcome successful';
COMMENT ON COLUMN ims.v_change_kpi_monthly.failed_count IS 'Of those, outcome failed';
COMMENT ON COLUMN ims.v_change_kpi_monthly.backed_out_count IS 'Of those, outcome backed_out';
COMMENT ON COLUMN ims.v_change_kpi_monthly.success_rate_pct IS '100 * successful_count / completed_count; NULL when nothing was completed';
COMMENT ON COLUMN ims.v_change_kpi_monthly.implementation_hours IS 'Mean length in hours of the implementation windows (actual) completed in the month';

-- ---------------------------------------------------------------------------
-- Readers.  (90_security.sql gives the views and ims._kpi_incident_months to
-- ims_view_owner, which is subject to row-level security.)
GRANT SELECT ON ims.v_incident, ims.v_incident_kpi_monthly, ims.v_service_availability_monthly,
                ims.v_ci_impact, ims.v_change_kpi_monthly TO ims_reader;
-- The impact functions in v_ci_impact and v_service_availability_monthly read
-- the CMDB with the reader's rights (the same grant 90_security.sql makes).
GRANT SELECT ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation,
                ims.ci_history, ims.ci_relation_history, ims.relation_type_history, ims.graph_version TO ims_reader;
