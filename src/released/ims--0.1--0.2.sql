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

-- ---------------------------------------------------------------------------
-- Change management: collisions and impact rows from the cached graph;
-- scheduling serialises with CMDB and rules edits (ims.change_guard);
-- change_next_slot bounded to 100 years and linear in the busy periods.
DROP TRIGGER graph_touch_update ON ims.ci;
CREATE TRIGGER graph_touch_update BEFORE UPDATE OF id, name, class, status, min_up, valid_from ON ims.ci
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();

CREATE TABLE ims.change_guard (
    singleton bool PRIMARY KEY DEFAULT true CHECK (singleton)
);
INSERT INTO ims.change_guard VALUES (true);
COMMENT ON TABLE ims.change_guard IS 'Internal: one row updated by every statement that changes blackout windows, maintenance windows or approval policies; scheduling a change share-locks it (see doc/changes.md, Concurrency)';

CREATE FUNCTION ims.change_impacted_services(ci_ids bigint[])
RETURNS TABLE (ci_id bigint, depth int, name text)
    AS 'MODULE_PATHNAME', 'ims_change_impacted_services'
    LANGUAGE C STABLE PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION ims.change_impacted_services(bigint[]) IS 'The business services impacted by the CIs (any depth, relation types that propagate impact), with their names, by depth then id: ims.impacted_services plus the name, from the cached graph';


CREATE OR REPLACE FUNCTION ims.change_collisions(change_id bigint, ci_ids bigint[], period tstzrange, max_depth int)
RETURNS TABLE (ci_id bigint, other_change bigint, other_ci bigint, distance int, direction text)
    AS 'MODULE_PATHNAME', 'ims_change_collisions'
    LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ims.change_collisions(bigint, bigint[], tstzrange, int) IS 'Scheduled or implementing changes other than change_id whose planned window overlaps the period on a CI within max_depth dependency steps of the given CIs: one row per (given CI, other change) with the nearest CI of the other change, by CI then change (computed from the cached graph)';

CREATE OR REPLACE FUNCTION ims.change_conflicts_of(c ims.change_request)
RETURNS TABLE (kind text, blocking bool, ci_id bigint, other_change bigint, detail text)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pol ims.approval_policy;
    n_ok int;
    emergency_ok bool := false;
    cis bigint[];
    depth int := ims.change_collision_depth();
BEGIN
    IF c.id IS NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(cc.ci_id ORDER BY cc.ci_id) INTO cis
      FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) c.id;
    cis := coalesce(cis, '{}');

    -- approvals
    SELECT p.* INTO pol FROM ims.approval_policy p
     WHERE p.type OPERATOR(pg_catalog.=) c.type AND p.risk OPERATOR(pg_catalog.=) c.risk
     ORDER BY p.shipped LIMIT 1;
    SELECT pg_catalog.count(DISTINCT a.approver)::int INTO n_ok FROM ims.change_approval a
     WHERE a.change_id OPERATOR(pg_catalog.=) c.id AND a.invalidated_at IS NULL
       AND a.decision OPERATOR(pg_catalog.=) 'approved';
    IF pol.type IS NULL THEN
        RETURN QUERY SELECT 'missing_approval'::text, true, NULL::bigint, NULL::bigint,
            pg_catalog.format('no approval policy for %s changes of %s risk', c.type, c.risk);
    ELSIF n_ok OPERATOR(pg_catalog.<) pol.min_approvals THEN
        RETURN QUERY SELECT 'missing_approval'::text, true, NULL::bigint, NULL::bigint,
            pg_catalog.format('%s of %s required approvals by %s (%s change, %s risk)',
                              n_ok, pol.min_approvals, pol.approver_role, c.type, c.risk);
    ELSE
        emergency_ok := pol.emergency AND c.type OPERATOR(pg_catalog.=) 'emergency' AND n_ok OPERATOR(pg_catalog.>) 0;
    END IF;
    RETURN QUERY
        SELECT 'rejected'::text, true, NULL::bigint, NULL::bigint,
               pg_catalog.format('rejected by %s%s', a.approver,
                                 coalesce(': ' OPERATOR(pg_catalog.||) a.comment, ''))
          FROM ims.change_approval a
         WHERE a.change_id OPERATOR(pg_catalog.=) c.id AND a.invalidated_at IS NULL
           AND a.decision OPERATOR(pg_catalog.=) 'rejected'
         ORDER BY a.decided_at, a.id;

    -- retired CIs
    RETURN QUERY
        SELECT 'retired_ci'::text, true, ci.id, NULL::bigint,
               pg_catalog.format('%s is retired', ci.name)
          FROM ims.ci ci WHERE ci.id OPERATOR(pg_catalog.=) ANY (cis)
           AND ci.status OPERATOR(pg_catalog.=) 'retired'
         ORDER BY ci.id;

    -- the window and everything that depends on it
    IF c.planned IS NULL THEN
        RETURN QUERY SELECT 'no_window'::text, true, NULL::bigint, NULL::bigint,
            'the change has no planned window'::text;
    ELSE
        RETURN QUERY
            SELECT 'blackout'::text, NOT emergency_ok, h.ci_id, NULL::bigint,
                   pg_catalog.format('blackout "%s" %s (%s)%s', b.name, b.period, h.scope,
                                     CASE WHEN emergency_ok THEN ', passed with an emergency approval' ELSE '' END)
              FROM ims.change_blackouts(cis, c.planned) h
              JOIN ims.blackout_window b ON b.id OPERATOR(pg_catalog.=) h.blackout_id
             ORDER BY pg_catalog.lower(b.period), b.id, h.ci_id;

        RETURN QUERY
            SELECT 'collision'::text, true, k.ci_id, k.other_change,
                   pg_catalog.format('%s (%s, %s) on %s%s', o.number, o.state, o.planned, oci.name,
                       CASE k.direction WHEN 'self' THEN ''
                            WHEN 'dependency' THEN pg_catalog.format(', which %s depends on', sci.name)
                            ELSE pg_catalog.format(', which depends on %s', sci.name) END)
              FROM ims.change_collisions(c.id, cis, c.planned, depth) k
              JOIN ims.change_request o ON o.id OPERATOR(pg_catalog.=) k.other_change
              JOIN ims.ci oci ON oci.id OPERATOR(pg_catalog.=) k.other_ci
              JOIN ims.ci sci ON sci.id OPERATOR(pg_catalog.=) k.ci_id
             ORDER BY k.ci_id, k.other_change;

        -- maintenance windows (added with the calendar type)
        RETURN QUERY SELECT * FROM ims.change_window_conflicts(c.id, cis, c.planned);
    END IF;

    -- impacted business services (information only)
    RETURN QUERY
        -- the class flag and the name come with the cached graph (by depth, then id)
        SELECT 'impact'::text, false, i.ci_id, NULL::bigint,
               pg_catalog.format('business service %s is impacted', i.name)
          FROM ims.change_impacted_services(cis) i;
END
$$;

CREATE OR REPLACE FUNCTION ims.change_lock_cis(change_id bigint, ci_ids bigint[]) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n int;
BEGIN
    -- What the check reads besides other changes: the CMDB (relations, CI
    -- status and class, classes) and the rules (blackouts, maintenance
    -- windows, approval policies).  Their version rows are updated by every
    -- statement that edits them; a share lock waits for such an edit in
    -- flight (READ COMMITTED then checks with a snapshot that sees it) or
    -- fails with 40001 when one committed after a REPEATABLE READ snapshot,
    -- and keeps new edits waiting until this transaction ends.
    PERFORM 1 FROM ims.graph_version FOR SHARE;
    PERFORM 1 FROM ims.change_guard FOR SHARE;
    INSERT INTO ims.change_lock AS l (ci_id, change_id, locked_at)
    SELECT x.ci_id, change_lock_cis.change_id, pg_catalog.now()
      FROM (SELECT DISTINCT nb.ci_id FROM ims.change_neighbourhood(ci_ids, ims.change_collision_depth()) nb) x
     ORDER BY x.ci_id
    ON CONFLICT ON CONSTRAINT change_lock_pkey
    DO UPDATE SET change_id = EXCLUDED.change_id, locked_at = EXCLUDED.locked_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ims.change_lock_cis(bigint, bigint[]) IS 'Internal: share-lock the CMDB and rules version rows (ims.graph_version, ims.change_guard), then write the ims.change_lock rows of the CIs and their collision neighbourhood in sorted order (the concurrency guard of scheduling)';

CREATE FUNCTION ims.change_guard_touch() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE ims.change_guard SET singleton = true;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ims.change_guard_touch() IS 'Statement trigger on ims.blackout_window, ims.maintenance_window and ims.approval_policy: updates ims.change_guard, so the edit and a concurrent scheduling check serialise';
CREATE TRIGGER change_guard_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.blackout_window
    FOR EACH STATEMENT EXECUTE FUNCTION ims.change_guard_touch();
CREATE TRIGGER change_guard_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.maintenance_window
    FOR EACH STATEMENT EXECUTE FUNCTION ims.change_guard_touch();
CREATE TRIGGER change_guard_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.approval_policy
    FOR EACH STATEMENT EXECUTE FUNCTION ims.change_guard_touch();

CREATE OR REPLACE FUNCTION ims.change_next_slot(change_id bigint, after timestamptz DEFAULT pg_catalog.now(),
                                     within interval DEFAULT '90 days')
RETURNS tstzrange
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    c ims.change_request;
    cis bigint[];
    need interval;
    horizon timestamptz;
    busy tstzrange[];
    nbusy int;
    bi int := 1;
    t timestamptz;
    w tstzrange;
    hit tstzrange;
    steps int := 0;
BEGIN
    SELECT * INTO c FROM ims.change_request r WHERE r.id OPERATOR(pg_catalog.=) change_id;
    IF c.id IS NULL THEN
        RAISE EXCEPTION 'change % does not exist', change_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.planned IS NULL THEN
        RAISE EXCEPTION 'change % has no planned window to take the length from', c.number
              USING ERRCODE = 'IM004', HINT = 'Set planned to a window of the length the change needs.';
    END IF;
    IF within OPERATOR(pg_catalog.<) interval '0' OR after::text OPERATOR(pg_catalog.=) ANY (ARRAY['infinity', '-infinity']) THEN
        RAISE EXCEPTION 'change_next_slot needs a finite start and a non-negative horizon'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A bounded search: at most 100 years ahead (and at most 100,000 windows
    -- crossed, below), so a mistyped horizon cannot keep a backend busy.
    IF within OPERATOR(pg_catalog.>) interval '100 years' THEN
        RAISE EXCEPTION 'change_next_slot searches at most 100 years ahead, not %', within
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Pass a shorter within (the default is 90 days).';
    END IF;
    need := pg_catalog.upper(c.planned) OPERATOR(pg_catalog.-) pg_catalog.lower(c.planned);
    horizon := after OPERATOR(pg_catalog.+) within;
    SELECT pg_catalog.array_agg(cc.ci_id ORDER BY cc.ci_id) INTO cis
      FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) c.id;
    cis := coalesce(cis, '{}');

    -- the busy time as its ranges in ascending order (disjoint and not
    -- adjacent: a multirange is normalised); the candidate start only moves
    -- forward, so one pointer walks them once
    busy := ARRAY(SELECT r FROM pg_catalog.unnest(ims.change_busy(c, pg_catalog.tstzrange(after, horizon OPERATOR(pg_catalog.+) need))) AS r
                   ORDER BY pg_catalog.lower(r));
    nbusy := pg_catalog.cardinality(busy);

    -- Jump from window to window: to the next maintenance opening, past the
    -- busy range a candidate hits, or past the end of a window that is too short.
    t := after;
    LOOP
        steps := steps OPERATOR(pg_catalog.+) 1;
        IF steps OPERATOR(pg_catalog.>) 100000 THEN
            RAISE EXCEPTION 'change_next_slot gave up after % steps', steps OPERATOR(pg_catalog.-) 1
                  USING ERRCODE = 'program_limit_exceeded';
        END IF;
        w := ims.change_window_next(cis, t, need, horizon);
        EXIT WHEN w IS NULL OR pg_catalog.lower(w) OPERATOR(pg_catalog.>=) horizon;
        t := pg_catalog.lower(w);
        -- skip the busy ranges that end at or before t; the next one hits
        -- the candidate [t, t + need) when it starts before its end
        WHILE bi OPERATOR(pg_catalog.<=) nbusy
              AND NOT (busy[bi] OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(t, NULL)) LOOP
            bi := bi OPERATOR(pg_catalog.+) 1;
        END LOOP;
        hit := CASE WHEN bi OPERATOR(pg_catalog.<=) nbusy
                         AND busy[bi] OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(t, t OPERATOR(pg_catalog.+) need)
                    THEN busy[bi] END;
        IF hit IS NOT NULL THEN
            t := pg_catalog.upper(hit) OPERATOR(pg_catalog.+)
                 CASE WHEN pg_catalog.upper_inc(hit) THEN interval '1 microsecond' ELSE interval '0' END;
            CONTINUE;
        END IF;
        IF pg_catalog.upper(w) OPERATOR(pg_catalog.-) t OPERATOR(pg_catalog.>=) need THEN
            RETURN pg_catalog.tstzrange(t, t OPERATOR(pg_catalog.+) need);
        END IF;
        t := pg_catalog.upper(w);
    END LOOP;
    RAISE NOTICE 'no free window of % for change % between % and %', need, c.number, after, horizon;
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------
-- CMDB: relation types keep their history, so as_of traversals follow the
-- propagates_impact of that moment.  Types that exist at the upgrade count
-- as having always existed (their earlier history was not kept).
ALTER TABLE ims.relation_type ADD COLUMN valid_from timestamptz NOT NULL DEFAULT pg_catalog.now();
UPDATE ims.relation_type SET valid_from = '-infinity';
COMMENT ON COLUMN ims.relation_type.valid_from IS 'System time: since when this version of the type is valid (earlier versions are in ims.relation_type_history; -infinity for the shipped types)';
CREATE TABLE ims.relation_type_history (
    name              text NOT NULL,
    inverse_name      text NOT NULL,
    propagates_impact bool NOT NULL,
    valid             tstzrange NOT NULL CHECK (NOT pg_catalog.isempty(valid))
);
CREATE INDEX ON ims.relation_type_history (name);
COMMENT ON TABLE ims.relation_type_history IS 'Earlier versions of ims.relation_type rows (also deleted and renamed ones) with the system-time period each was valid, so as_of traversals follow the propagates_impact of that moment';
COMMENT ON COLUMN ims.relation_type_history.valid IS 'System-time period [from, to) in which this version of the type was current';
CREATE TRIGGER graph_touch BEFORE UPDATE OR DELETE OR TRUNCATE ON ims.relation_type_history
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
CREATE FUNCTION ims.relation_type_versioning() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
        IF NEW.valid_from IS NOT DISTINCT FROM OLD.valid_from THEN
            NEW.valid_from := pg_catalog.now();
        END IF;
        IF OLD.valid_from < NEW.valid_from THEN
            INSERT INTO ims.relation_type_history (name, inverse_name, propagates_impact, valid)
            VALUES (OLD.name, OLD.inverse_name, OLD.propagates_impact,
                    pg_catalog.tstzrange(OLD.valid_from, NEW.valid_from));
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO ims.relation_type_history (name, inverse_name, propagates_impact, valid)
        SELECT o.name, o.inverse_name, o.propagates_impact, pg_catalog.tstzrange(o.valid_from, pg_catalog.now())
          FROM ims.relation_type o
         WHERE o.valid_from OPERATOR(pg_catalog.<) pg_catalog.now();
        RETURN NULL;
    END IF;
    INSERT INTO ims.relation_type_history (name, inverse_name, propagates_impact, valid)
    SELECT o.name, o.inverse_name, o.propagates_impact, pg_catalog.tstzrange(o.valid_from, pg_catalog.now())
      FROM old_rows o
     WHERE o.valid_from OPERATOR(pg_catalog.<) pg_catalog.now();
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ims.relation_type_versioning() IS 'Trigger: keeps earlier, renamed and deleted versions of ims.relation_type rows in ims.relation_type_history';
CREATE TRIGGER relation_type_versioning BEFORE UPDATE ON ims.relation_type
    FOR EACH ROW EXECUTE FUNCTION ims.relation_type_versioning();
CREATE TRIGGER relation_type_versioning_delete AFTER DELETE ON ims.relation_type
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims.relation_type_versioning();
CREATE TRIGGER relation_type_versioning_truncate BEFORE TRUNCATE ON ims.relation_type
    FOR EACH STATEMENT EXECUTE FUNCTION ims.relation_type_versioning();
SELECT pg_catalog.pg_extension_config_dump('ims.relation_type_history', '');
ALTER FUNCTION ims.relation_type_versioning() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT SELECT ON ims.relation_type_history TO ims_reader, ims_view_owner;

-- ---------------------------------------------------------------------------
-- KPI months: an infinite timestamp falls in no month (the month grid always ends).
CREATE OR REPLACE FUNCTION ims._kpi_incident_months(lo date)
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

-- ---------------------------------------------------------------------------
-- SLA clocks: next_check_at is a lower bound that a pause, stop or resume
-- leaves alone where it can, so moving a clock is a HOT update; pages keep
-- room for those updates (existing pages get it at their next rewrite).
ALTER TABLE ims.incident_sla SET (fillfactor = 70);
COMMENT ON COLUMN ims.incident_sla.next_check_at IS 'No later than the instant the clock next crosses next_threshold while running (NULL: nothing left to check); a pause or stop keeps it and a resume only lowers it, so moving a clock leaves the index alone; ims.sla_tick finds clocks through its index and makes it exact';
CREATE OR REPLACE FUNCTION ims._sla_step(s ims.incident_sla, p ims.sla_policy, cal ims.calendar, want text, t timestamptz)
RETURNS ims.incident_sla
LANGUAGE plpgsql AS $$
DECLARE
    cur text := ims.sla_state(s.clock);
BEGIN
    IF want = cur THEN
        RETURN s;
    END IF;
    IF t < s.changed_at THEN
        t := s.changed_at;
    END IF;
    IF cur = 'running' AND s.next_check_at <= t THEN
        s := ims._sla_record(s, p, cal, t);     -- thresholds crossed before it stops running
    END IF;
    IF want = 'running' THEN
        s.clock := CASE cur WHEN 'paused' THEN ims.sla_resume(s.clock, t) ELSE ims._sla_restart(s.clock, t) END;
        s.due_at := ims.sla_due(s.clock, cal);
        -- a pause only delays the crossing: an earlier next_check_at still
        -- bounds it, and keeping it keeps the index as it was (HOT update)
        s.next_check_at := LEAST(s.next_check_at,
                     CASE WHEN s.next_threshold IS NOT NULL
                          THEN ims.business_add(cal, t, p.target * s.next_threshold - ims.sla_elapsed(s.clock, cal, t)) END);
    ELSE
        IF want = 'paused' THEN
            IF cur = 'stopped' THEN
                s.clock := ims._sla_restart(s.clock, t);
            END IF;
            s.clock := ims.sla_pause(s.clock, cal, t);
        ELSE
            s.clock := ims.sla_stop(s.clock, cal, t);
        END IF;
        s.due_at := NULL;
        -- next_check_at stays: ims.sla_tick clears it when it comes due
    END IF;
    s.changed_at := t;
    RETURN s;
END
$$;

-- ---------------------------------------------------------------------------
-- CMDB: moving a CI to another tenant changes which roles see it, so it
-- must drop the cached graphs (a tenant-only UPDATE did not touch
-- ims.graph_version, and a role kept seeing a CI it had lost).
DROP TRIGGER graph_touch_update ON ims.ci;
CREATE TRIGGER graph_touch_update BEFORE UPDATE OF id, name, class, status, min_up, valid_from, tenant ON ims.ci
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();

-- A history row imported by hand changes as_of graphs like an edit does.
CREATE TRIGGER graph_touch_insert BEFORE INSERT ON ims.ci_history
    FOR EACH STATEMENT WHEN (pg_catalog.pg_trigger_depth() OPERATOR(pg_catalog.<) 1) EXECUTE FUNCTION ims.graph_touch();
CREATE TRIGGER graph_touch_insert BEFORE INSERT ON ims.ci_relation_history
    FOR EACH STATEMENT WHEN (pg_catalog.pg_trigger_depth() OPERATOR(pg_catalog.<) 1) EXECUTE FUNCTION ims.graph_touch();
CREATE TRIGGER graph_touch_insert BEFORE INSERT ON ims.relation_type_history
    FOR EACH STATEMENT WHEN (pg_catalog.pg_trigger_depth() OPERATOR(pg_catalog.<) 1) EXECUTE FUNCTION ims.graph_touch();
