-- ims 0.1 -> 0.2.  Run by ALTER EXTENSION ims UPDATE; keep in step with the
-- pieces in src/sql/ (test/pgtap/01_upgrade.sql compares an upgraded install
-- with a fresh one, object by object and definition by definition).
\echo Use "ALTER EXTENSION ims UPDATE TO '0.2'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- v_service_availability_monthly: CIs down at the same time whose failures
-- together take a service down (members of a min_up pool) count as downtime.
CREATE OR REPLACE VIEW ims.v_service_availability_monthly AS
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
COMMENT ON COLUMN ims.v_service_availability_monthly.outage_count IS 'Outage records (kind outage) overlapping the period of the service or of CIs whose failure alone impacts it, before merging overlaps; failures that take the service down only together (a redundant pool) add to downtime_hours and mtbf_hours but not to this count';

-- ---------------------------------------------------------------------------
-- Incident triggers: C gates instead of WHEN clauses for the outage and KPI
-- rules (src/gate.c).
CREATE FUNCTION ims._incident_outage_gate() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_incident_outage_gate'
    LANGUAGE C;
COMMENT ON FUNCTION ims._incident_outage_gate() IS 'AFTER UPDATE trigger of ims.incident: calls ims._incident_outage() when the incident records an outage and a column it reads changed, or when the incident ends';
DROP TRIGGER incident_51_outage ON ims.incident;
CREATE TRIGGER incident_51_outage AFTER UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._incident_outage_gate();

COMMENT ON FUNCTION ims._kpi_mark_dirty() IS 'Row trigger of ims.incident (run on INSERT, and on UPDATE by ims._kpi_mark_dirty_gate() when a KPI column changed): records in ims.kpi_dirty the KPI months the change touched';
CREATE FUNCTION ims._kpi_mark_dirty_gate() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_kpi_mark_dirty_gate'
    LANGUAGE C;
COMMENT ON FUNCTION ims._kpi_mark_dirty_gate() IS 'AFTER UPDATE trigger of ims.incident: calls ims._kpi_mark_dirty() when a column the monthly KPIs read changed';
DROP TRIGGER incident_95_kpi_update ON ims.incident;
CREATE TRIGGER incident_95_kpi_update AFTER UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._kpi_mark_dirty_gate();
