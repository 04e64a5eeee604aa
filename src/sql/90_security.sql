-- 90_security.sql — privileges, tenants and row-level security (SPEC section 10).
-- Runs last in the install script, so every object of the other pieces exists.
\echo Use "CREATE EXTENSION ims" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Policy (doc/security.md has the full matrix and the reasoning):
--  * Every table, view, sequence and function gets an explicit decision here.
--    test/pgtap/93_privileges.sql holds the expected ACL of every ims object
--    and fails when an object appears that this file does not decide on.
--  * Roles: ims_reader reads the BI views and the reference data (CMDB,
--    classes, relation types); ims_agent works incidents and problems;
--    ims_change_manager approves and schedules changes; ims_admin configures.
--    History tables are append-only: no role gets UPDATE, DELETE or TRUNCATE.
--  * Views are owned by ims_view_owner, a NOLOGIN role that holds SELECT on the
--    tables and is subject to row-level security, so a view does not leak rows
--    through its owner's rights (an owner that is a superuser would bypass
--    RLS) while readers need no privilege on the tables behind it.
--  * Row-level security on the tenant tables uses ims.current_tenants(): the
--    tenants of the role that runs the query (after SET ROLE), or NULL (= all)
--    when no tenant is configured at all (single-tenant install) or the role
--    belongs to a role mapped to the tenant '*'.
-- ---------------------------------------------------------------------------

-- The owner of every ims view.  Nobody logs in as it and nobody should be
-- granted it: membership would give its members the owner's rights on views.
DO $owner$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ims_view_owner') THEN
        CREATE ROLE ims_view_owner NOLOGIN;
    END IF;
END
$owner$;
COMMENT ON ROLE ims_view_owner IS 'ims: owns the BI views; subject to row-level security so views filter by the querying role''s tenants (grant it to no one)';
GRANT USAGE ON SCHEMA ims TO ims_view_owner;

-- ---------------------------------------------------------------------------
-- Tenants.

CREATE TABLE ims.tenant_member (
    role   name NOT NULL CHECK (role <> ''),
    tenant text NOT NULL CHECK (tenant <> ''),
    PRIMARY KEY (role, tenant)
);
COMMENT ON TABLE ims.tenant_member IS 'Tenant membership: every role that is a member of role (directly or through other roles) sees and changes the rows of tenant; tenant ''*'' means all tenants.  Empty: single-tenant install, no row filtering.';
COMMENT ON COLUMN ims.tenant_member.role IS 'A role name (usually a NOLOGIN group role granted to the tenant''s login roles); rows naming roles that do not exist are ignored.';
COMMENT ON COLUMN ims.tenant_member.tenant IS 'The tenant key used in the tenant columns of ims.ci, ims.incident, ims.problem and ims.change_request, or ''*'' for every tenant.';
SELECT pg_catalog.pg_extension_config_dump('ims.tenant_member', '');

-- The querying role: the role set by SET ROLE, else the session user.  This
-- is the same role that current_user names outside SECURITY DEFINER
-- functions, and it is what row-level security must look at even when the
-- query runs inside a view owned by ims_view_owner.
CREATE FUNCTION ims.current_tenants() RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH me AS (
        SELECT CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none'
                    THEN pg_catalog.session_user()::pg_catalog.name
                    ELSE pg_catalog.current_setting('role')::pg_catalog.name END AS who
    ), mine AS (
        SELECT m.tenant
          FROM ims.tenant_member m
          JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role
         CROSS JOIN me
         WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles u
                        WHERE u.rolname OPERATOR(pg_catalog.=) me.who
                          AND pg_catalog.pg_has_role(u.oid, r.oid, 'MEMBER'))
    )
    SELECT CASE
             WHEN NOT EXISTS (SELECT 1 FROM ims.tenant_member) THEN NULL
             -- roles that bypass row-level security on the tables see every
             -- tenant through views and functions too
             WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles u CROSS JOIN me
                           WHERE u.rolname OPERATOR(pg_catalog.=) me.who AND (u.rolsuper OR u.rolbypassrls)) THEN NULL
             WHEN EXISTS (SELECT 1 FROM mine WHERE tenant OPERATOR(pg_catalog.=) '*') THEN NULL
             ELSE ARRAY(SELECT DISTINCT tenant FROM mine ORDER BY 1)
           END
$$;
COMMENT ON FUNCTION ims.current_tenants() IS 'Tenants whose rows the querying role (SET ROLE, else the session user) may see: NULL means every tenant (no tenant configured, a superuser or BYPASSRLS role, or a member of a role mapped to ''*''); an empty array means none (only shared CIs).';

CREATE FUNCTION ims.default_tenant() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN pg_catalog.cardinality(t) OPERATOR(pg_catalog.=) 1 THEN t[1] END
      FROM ims.current_tenants() AS t
$$;
COMMENT ON FUNCTION ims.default_tenant() IS 'Default of the tenant columns: the querying role''s tenant when it belongs to exactly one, else NULL.';

-- Who manages the tenant map: unrestricted members of ims_admin (no tenant
-- configured yet, or mapped to '*').  Everyone may read the rows that concern
-- a role they belong to.
ALTER TABLE ims.tenant_member ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_member_read ON ims.tenant_member FOR SELECT
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                       WHERE r.rolname = tenant_member.role
                         AND pg_catalog.pg_has_role(r.oid, 'MEMBER')));
CREATE POLICY tenant_member_insert ON ims.tenant_member FOR INSERT
    WITH CHECK ((SELECT ims.current_tenants()) IS NULL);
CREATE POLICY tenant_member_update ON ims.tenant_member FOR UPDATE
    USING ((SELECT ims.current_tenants()) IS NULL) WITH CHECK ((SELECT ims.current_tenants()) IS NULL);
CREATE POLICY tenant_member_delete ON ims.tenant_member FOR DELETE
    USING ((SELECT ims.current_tenants()) IS NULL);

-- ---------------------------------------------------------------------------
-- Row-level security on the CMDB.  A CI with tenant NULL is shared
-- infrastructure: every role reads it, only unrestricted roles change it.

ALTER TABLE ims.ci ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.ci ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_tenant_read ON ims.ci FOR SELECT
    USING (tenant IS NULL OR (SELECT ims.current_tenants()) IS NULL
           OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
CREATE POLICY ci_tenant_insert ON ims.ci FOR INSERT
    WITH CHECK ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
CREATE POLICY ci_tenant_update ON ims.ci FOR UPDATE
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]))
    WITH CHECK ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
CREATE POLICY ci_tenant_delete ON ims.ci FOR DELETE
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));

-- A relation is visible when both of its CIs are (the subqueries on ims.ci
-- are themselves filtered by the policies above).
ALTER TABLE ims.ci_relation ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_relation_tenant ON ims.ci_relation
    USING ((SELECT ims.current_tenants()) IS NULL
           OR (EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation.source_id)
               AND EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation.target_id)));

-- CMDB history: a version of a CI is visible like the CI was (tenant NULL:
-- shared); a relation's history when both CIs are visible now.
ALTER TABLE ims.ci_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_history_tenant ON ims.ci_history FOR SELECT
    USING (tenant IS NULL OR (SELECT ims.current_tenants()) IS NULL
           OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.ci_relation_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_relation_history_tenant ON ims.ci_relation_history FOR SELECT
    USING ((SELECT ims.current_tenants()) IS NULL
           OR (EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation_history.source_id)
               AND EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation_history.target_id)));

-- The graph functions read the CMDB through SPI with the caller's rights, so
-- row-level security applies to the graph they build; their per-backend cache
-- is keyed on the reading role too (src/graph.c).  A change to the tenant map
-- marks the graph as changed so no cached graph outlives it.
CREATE TRIGGER graph_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.tenant_member
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();

-- Trigger functions that write history or the graph version run as the
-- extension owner: no role gets INSERT on a history table (history cannot be
-- forged) nor UPDATE on ims.graph_version.  They take no arguments; the
-- search_path is pinned.
ALTER FUNCTION ims.graph_touch() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ims.ci_versioning() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ims.ci_relation_versioning() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ims.relation_type_versioning() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Incidents.  tenant NULL: an incident of the provider itself, visible to
-- unrestricted roles only (a tenant never sees an incident nobody assigned to
-- it).  History rows are visible with their incident.
ALTER TABLE ims.incident ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_tenant ON ims.incident
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.incident_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_event_tenant ON ims.incident_event FOR SELECT
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = incident_event.incident_id));

-- SLA clocks and their events: visible with their incident.
ALTER TABLE ims.incident_sla ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_sla_tenant ON ims.incident_sla
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = incident_sla.incident_id));
ALTER TABLE ims.sla_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY sla_event_tenant ON ims.sla_event
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = sla_event.incident_id));

-- Problems: like incidents.  A link between a problem and an incident is
-- visible when both are.
ALTER TABLE ims.problem ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.problem ENABLE ROW LEVEL SECURITY;
CREATE POLICY problem_tenant ON ims.problem
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.problem_incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY problem_incident_tenant ON ims.problem_incident
    USING ((SELECT ims.current_tenants()) IS NULL
           OR (EXISTS (SELECT 1 FROM ims.problem p WHERE p.id = problem_incident.problem_id)
               AND EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = problem_incident.incident_id)));

-- Outages: visible with their CI (an outage of a shared CI is everyone's
-- news); written by the incident trigger (definer) and by admins.
ALTER TABLE ims.outage ENABLE ROW LEVEL SECURITY;
CREATE POLICY outage_tenant ON ims.outage
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = outage.ci_id));

-- Changes: like incidents; their CIs and votes are visible with the change.
-- The conflict rules (ims.change_conflicts_of, ims.change_busy) are SECURITY
-- DEFINER on purpose: a collision with another tenant's change on a shared CI
-- must block, even though the requester cannot see that change.
ALTER TABLE ims.change_request ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.change_request ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_request_tenant ON ims.change_request
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.change_ci ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_ci_tenant ON ims.change_ci
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.change_request r WHERE r.id = change_ci.change_id));
ALTER TABLE ims.change_approval ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_approval_tenant ON ims.change_approval
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.change_request r WHERE r.id = change_approval.change_id));

-- Maintenance windows: visible (and writable by admins) with their CI.
ALTER TABLE ims.maintenance_window ENABLE ROW LEVEL SECURITY;
CREATE POLICY maintenance_window_tenant ON ims.maintenance_window
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = maintenance_window.ci_id));

-- Stored KPI facts carry the tenant of the incidents they count.  They are
-- read through ims.v_incident_kpi_monthly (owner ims_view_owner), filtered
-- here; ims._kpi_incident_months, the live part of that view, is owned by
-- ims_view_owner too, so it reads ims.incident under the same policies.
ALTER TABLE ims.kpi_incident_monthly_fact ENABLE ROW LEVEL SECURITY;
CREATE POLICY kpi_incident_monthly_fact_tenant ON ims.kpi_incident_monthly_fact
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER FUNCTION ims._kpi_incident_months(date) OWNER TO ims_view_owner;

-- ims.refresh_kpis() recomputes the stored facts from what its caller can
-- see.  A caller restricted to some tenants would store facts without the
-- others' incidents, so only unrestricted roles may write the facts.
CREATE FUNCTION ims._kpi_facts_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF ims.current_tenants() IS NOT NULL THEN
        RAISE EXCEPTION 'only a role that sees every tenant may refresh the stored KPIs'
            USING ERRCODE = '42501',
                  DETAIL = pg_catalog.format('Role %s is restricted to tenants %s.',
                                             pg_catalog.current_setting('role'), ims.current_tenants()),
                  HINT = 'Run ims.refresh_kpis() as the pg_cron job owner or a role mapped to tenant ''*''.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ims._kpi_facts_guard() IS 'Statement trigger of ims.kpi_incident_monthly_fact: refuses writes by roles restricted to some tenants (their refresh would drop the other tenants'' facts)';
CREATE TRIGGER kpi_facts_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.kpi_incident_monthly_fact
    FOR EACH STATEMENT EXECUTE FUNCTION ims._kpi_facts_guard();

-- ---------------------------------------------------------------------------
-- Grants.  Tables: reference data readable by ims_reader, configured by
-- ims_admin.  Identity sequences need no grant (nextval for an identity
-- column is not privilege-checked).

-- Grants made next to the objects by other pieces (workflow configuration
-- readable by PUBLIC, agents working incidents) are kept; the matrix test
-- lists the result.

-- The view owner reads every table (row-level security still applies to it).
GRANT SELECT ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation,
                ims.ci_history, ims.ci_relation_history, ims.relation_type_history, ims.graph_version,
                ims.incident, ims.incident_event, ims.priority_matrix,
                ims.workflow, ims.workflow_state, ims.workflow_transition,
                ims.problem, ims.problem_incident, ims.outage,
                ims.change_request, ims.change_ci, ims.change_approval, ims.approval_policy,
                ims.blackout_window, ims.kpi_incident_monthly_fact, ims.business_calendar,
                ims.maintenance_window, ims.sla_policy, ims.incident_sla, ims.sla_event
    TO ims_view_owner;
-- Maintenance windows are reference data like blackout windows.
GRANT SELECT ON ims.maintenance_window TO ims_reader;

-- Incidents: worked by agents (31_incident.sql grants SELECT, INSERT, UPDATE);
-- nobody deletes an incident (its history refers to it); readers see them
-- through the BI views only.  ims.incident_event is written by a SECURITY
-- DEFINER trigger and refuses UPDATE/DELETE/TRUNCATE even for its owner.

-- CMDB: reference data (the graph functions read it with the caller's rights).
GRANT SELECT ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation,
                ims.ci_history, ims.ci_relation_history, ims.relation_type_history, ims.graph_version
    TO ims_reader;
GRANT INSERT, UPDATE, DELETE ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation TO ims_admin;
GRANT UPDATE (status) ON ims.ci TO ims_agent;

-- Tenants: managed by (unrestricted) admins; readable row by row (policy).
GRANT SELECT ON ims.tenant_member TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ims.tenant_member TO ims_admin;

-- Functions: open to everyone unless listed below (primitives work on any
-- table; the tenant functions tell a role only about itself).

-- Rewrites stored facts: administrators and the pg_cron job owner.
REVOKE ALL ON FUNCTION ims.refresh_kpis(bool) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.refresh_kpis(bool) TO ims_admin;
-- The conflict rules see every tenant's changes (SECURITY DEFINER) and take a
-- whole change row as argument, so they are for the roles that write changes
-- (their triggers call them); everyone else asks ims.change_conflicts(id),
-- which looks the change up under row-level security.
REVOKE ALL ON FUNCTION ims.change_conflicts_of(ims.change_request) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.change_conflicts_of(ims.change_request) TO ims_agent, ims_change_manager;
REVOKE ALL ON FUNCTION ims.change_busy(ims.change_request, tstzrange) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.change_busy(ims.change_request, tstzrange) TO ims_agent, ims_change_manager;

-- ---------------------------------------------------------------------------
-- Views: owned by ims_view_owner (see the top of this file) and readable by
-- ims_reader.  Done for every view of the schema, so a view added by another
-- piece is never left owned by the installing superuser; the expected ACL
-- list in test/pgtap/93_privileges.sql still has to name it.
DO $views$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
              WHERE c.relnamespace = 'ims'::regnamespace AND c.relkind IN ('v', 'm')
              ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO ims_view_owner', v);
        EXECUTE pg_catalog.format('GRANT SELECT ON %s TO ims_reader', v);
    END LOOP;
END
$views$;
