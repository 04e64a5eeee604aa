-- pgTAP: privileges and tenant isolation (src/sql/90_security.sql, doc/security.md).
--
-- 1. The grant matrix: the expected ACL of EVERY ims table, view, sequence and
--    function is listed below.  A new object, or a changed grant, fails the
--    first test until someone decides on it here (and in 90_security.sql).
-- 2. Each role tries what it must not do and is refused (42501) or sees no rows.
-- 3. Tenants see their own rows (and shared CIs) only, in tables, views and
--    functions.
BEGIN;
SELECT plan(87);

-- The ACL of every extension object as 'grantee:PRIV,PRIV ...' (the owner's
-- own rights left out; PUBLIC for the public pseudo-role; column privileges as
-- PRIV(column)).  Type and aggregate support functions and trigger functions
-- are checked separately below.
CREATE TEMP VIEW ims_acl AS
WITH objs AS (
    SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                          WHEN 'm' THEN 'view' WHEN 'S' THEN 'sequence' END AS kind,
           c.oid::regclass::text AS name,
           coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner)) AS acl,
           c.relowner AS owner, c.oid AS relid
      FROM pg_class c
     WHERE c.relnamespace = 'ims'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    UNION ALL
    SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'p' THEN 'procedure' ELSE 'function' END,
           p.oid::regprocedure::text,
           coalesce(p.proacl, acldefault('f'::"char", p.proowner)), p.proowner, NULL
      FROM pg_proc p
     WHERE p.pronamespace = 'ims'::regnamespace
       AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
       AND NOT EXISTS (SELECT 1 FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze))
       AND NOT EXISTS (SELECT 1 FROM pg_aggregate a WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn))
), privs AS (
    SELECT o.kind, o.name, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END AS who,
           x.privilege_type AS priv
      FROM objs o, aclexplode(o.acl) x
     WHERE x.grantee <> o.owner
    UNION ALL
    SELECT o.kind, o.name, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END,
           x.privilege_type || '(' || a.attname || ')'
      FROM objs o JOIN pg_attribute a ON a.attrelid = o.relid AND a.attnum > 0 AND a.attacl IS NOT NULL,
           aclexplode(a.attacl) x
)
SELECT o.kind, o.name,
       coalesce((SELECT string_agg(who || ':' || ps, ' ' ORDER BY who)
                   FROM (SELECT who, string_agg(priv, ',' ORDER BY priv) AS ps
                           FROM privs p WHERE p.kind = o.kind AND p.name = o.name GROUP BY who) g), '-') AS acl
  FROM objs o;

-- 1 ---------------------------------------------------------------------------
SELECT set_eq('SELECT kind, name, acl FROM ims_acl', $$VALUES
    -- CMDB: reference data for readers, configured by admins; agents set a CI's status.
    ('table', 'ims.ci', 'ims_admin:DELETE,INSERT,UPDATE ims_agent:UPDATE(status) ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.ci_class', 'ims_admin:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.relation_type', 'ims_admin:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.ci_relation', 'ims_admin:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.ci_history', 'ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.ci_relation_history', 'ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.relation_type_history', 'ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.graph_version', 'PUBLIC:SELECT ims_reader:SELECT ims_view_owner:SELECT'),
    ('sequence', 'ims.ci_id_seq', '-'),
    ('sequence', 'ims.ci_relation_id_seq', '-'),
    -- graph functions: open to all; they read the CMDB with the caller's rights (RLS applies)
    ('function', 'ims.impacted(bigint[],integer,text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.dependencies(bigint[],integer,text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.impacted_services(bigint[],integer,text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.dependency_path(bigint,bigint,integer,text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.dependency_cycles(text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.common_dependencies(bigint[],integer,text[],timestamp with time zone,integer)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.graph_json(bigint[],text,integer,text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.graph_dot(bigint[],text,integer,text[],timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.graph_cache_info()', 'PUBLIC:EXECUTE'),
    ('function', 'ims.graph_cache_reset()', 'PUBLIC:EXECUTE'),
    -- tenants
    ('table', 'ims.tenant_member', 'PUBLIC:SELECT ims_admin:DELETE,INSERT,UPDATE'),
    ('function', 'ims.current_tenants()', 'PUBLIC:EXECUTE'),
    ('function', 'ims.default_tenant()', 'PUBLIC:EXECUTE'),
    -- workflow configuration: readable by everyone (the workflow trigger reads it as the caller)
    ('table', 'ims.workflow', 'PUBLIC:SELECT ims_admin:DELETE,INSERT,UPDATE ims_view_owner:SELECT'),
    ('table', 'ims.workflow_state', 'PUBLIC:SELECT ims_admin:DELETE,INSERT,UPDATE ims_view_owner:SELECT'),
    ('table', 'ims.workflow_transition', 'PUBLIC:SELECT ims_admin:DELETE,INSERT,UPDATE ims_view_owner:SELECT'),
    ('table', 'ims.priority_matrix', 'PUBLIC:SELECT ims_admin:DELETE,INSERT,UPDATE ims_view_owner:SELECT'),
    ('function', 'ims.workflow_state_category(text,text)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.workflow_targets(text,text)', 'PUBLIC:EXECUTE'),
    -- incidents: agents work them, nobody deletes them; history is read-only for everyone
    ('table', 'ims.incident', 'ims_agent:INSERT,SELECT,UPDATE ims_view_owner:SELECT'),
    ('table', 'ims.incident_event', 'ims_agent:SELECT ims_view_owner:SELECT'),
    ('sequence', 'ims.incident_number_seq', 'ims_agent:USAGE'),
    ('sequence', 'ims.incident_id_seq', 'ims_agent:USAGE'),
    ('sequence', 'ims.incident_event_id_seq', '-'),
    ('function', 'ims.event_time()', 'PUBLIC:EXECUTE'),
    ('function', 'ims._bulk_restore()', 'PUBLIC:EXECUTE'),
    ('function', 'ims.incident_number(bigint)', 'PUBLIC:EXECUTE'),
    -- metrics aggregates: primitives for any table
    ('aggregate', 'ims.mttr(timestamp with time zone,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('aggregate', 'ims.mtta(timestamp with time zone,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('aggregate', 'ims.downtime(tstzrange)', 'PUBLIC:EXECUTE'),
    ('aggregate', 'ims.availability(tstzrange,tstzrange)', 'PUBLIC:EXECUTE'),
    ('aggregate', 'ims.mtbf(tstzrange,tstzrange)', 'PUBLIC:EXECUTE'),
    -- changes: agents and change managers write requests and their CIs, only change managers vote;
    -- the conflict rules (definer) are for the roles that write changes
    ('function', 'ims.change_blackouts(bigint[],tstzrange)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_busy(ims.change_request,tstzrange)', 'ims_agent:EXECUTE ims_change_manager:EXECUTE'),
    ('function', 'ims.change_collision_depth()', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_collisions(bigint,bigint[],tstzrange,integer)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_impacted_services(bigint[])', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_conflicts(bigint)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_conflicts_of(ims.change_request)', 'ims_agent:EXECUTE ims_change_manager:EXECUTE'),
    ('function', 'ims.change_invalidate_approvals(bigint,text)', 'ims_agent:EXECUTE ims_change_manager:EXECUTE'),
    ('function', 'ims.change_lock_cis(bigint,bigint[])', 'ims_agent:EXECUTE ims_change_manager:EXECUTE'),
    ('function', 'ims.change_neighbourhood(bigint[],integer)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_next_slot(bigint,timestamp with time zone,interval)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_restoring()', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_state_closed(text)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_touch(bigint)', 'ims_agent:EXECUTE ims_change_manager:EXECUTE'),
    ('function', 'ims.change_window_conflicts(bigint,bigint[],tstzrange)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.change_window_next(bigint[],timestamp with time zone,interval,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('sequence', 'ims.blackout_window_id_seq', 'ims_admin:USAGE ims_agent:USAGE ims_change_manager:USAGE'),
    ('sequence', 'ims.change_approval_id_seq', 'ims_admin:USAGE ims_agent:USAGE ims_change_manager:USAGE'),
    ('sequence', 'ims.change_request_id_seq', 'ims_admin:USAGE ims_agent:USAGE ims_change_manager:USAGE'),
    ('table', 'ims.approval_policy', 'ims_admin:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.blackout_window', 'ims_admin:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.change_approval', 'ims_change_manager:INSERT ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.change_ci', 'ims_agent:DELETE,INSERT,UPDATE ims_change_manager:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.change_lock', '-'),
    ('table', 'ims.change_guard', '-'),
    ('table', 'ims.maintenance_window', 'ims_admin:DELETE,INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    ('sequence', 'ims.maintenance_window_id_seq', 'ims_admin:USAGE ims_agent:USAGE ims_change_manager:USAGE'),
    ('function', 'ims.change_window_open_until(ims.calendar,timestamp with time zone,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('table', 'ims.change_request', 'ims_agent:INSERT,UPDATE ims_change_manager:INSERT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    -- problems and outages: agents work problems; outages are written by the incident trigger and admins
    ('function', 'ims.problem_number(bigint)', 'PUBLIC:EXECUTE'),
    ('sequence', 'ims.outage_id_seq', '-'),
    ('sequence', 'ims.problem_id_seq', '-'),
    ('sequence', 'ims.problem_number_seq', 'ims_agent:USAGE'),
    ('table', 'ims.outage', 'ims_admin:DELETE,INSERT,UPDATE ims_agent:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.problem', 'ims_agent:INSERT,SELECT,UPDATE ims_view_owner:SELECT'),
    ('table', 'ims.problem_incident', 'ims_agent:DELETE,INSERT,SELECT ims_view_owner:SELECT'),
    -- BI views (owner ims_view_owner) and KPI facts: readers get the views only; refresh_kpis for admins
    ('aggregate', 'ims.duration_state(timestamp with time zone,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._kpi_incident_months(date)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._kpi_live_from()', 'PUBLIC:EXECUTE'),
    ('function', 'ims.hours(interval)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.kpi_month(timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.kpi_month_start(date)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.refresh_kpis(boolean)', 'ims_admin:EXECUTE'),
    ('table', 'ims.kpi_dirty', '-'),
    ('table', 'ims.kpi_incident_monthly_fact', 'ims_view_owner:SELECT'),
    ('table', 'ims.kpi_refresh_state', '-'),
    ('view', 'ims.v_ci_impact', 'ims_reader:SELECT'),
    ('view', 'ims.v_change_kpi_monthly', 'ims_reader:SELECT'),
    ('aggregate', 'ims.mttr(timestamp with time zone,timestamp with time zone,ims.calendar)', 'PUBLIC:EXECUTE'),
    ('aggregate', 'ims.mtta(timestamp with time zone,timestamp with time zone,ims.calendar)', 'PUBLIC:EXECUTE'),
    ('view', 'ims.v_incident', 'ims_reader:SELECT'),
    ('view', 'ims.v_incident_kpi_monthly', 'ims_reader:SELECT'),
    ('view', 'ims.v_service_availability_monthly', 'ims_reader:SELECT'),
    -- calendars and SLA clocks: primitives for any table (IMMUTABLE, no table reads); calendars configured by admins
    ('function', 'ims.business_add(ims.calendar,timestamp with time zone,interval)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.business_days_add(ims.calendar,timestamp with time zone,integer)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.business_time(ims.calendar,timestamp with time zone,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.calendar(jsonb)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.calendar_eq(ims.calendar,ims.calendar)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.calendar_hash(ims.calendar)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.calendar_ne(ims.calendar,ims.calendar)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.calendar_to_jsonb(ims.calendar)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.is_business_time(ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.next_business_time(ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_breached(ims.sla_clock,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_clock_eq(ims.sla_clock,ims.sla_clock)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_clock_ne(ims.sla_clock,ims.sla_clock)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_due(ims.sla_clock,ims.calendar)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_elapsed(ims.sla_clock,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_pause(ims.sla_clock,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_progress(ims.sla_clock,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_remaining(ims.sla_clock,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_resume(ims.sla_clock,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_start(interval,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_state(ims.sla_clock)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_stop(ims.sla_clock,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('sequence', 'ims.business_calendar_id_seq', '-'),
    ('table', 'ims.business_calendar', 'ims_admin:DELETE,INSERT,SELECT,UPDATE ims_reader:SELECT ims_view_owner:SELECT'),
    -- SLAs: clocks and events readable with their incident (RLS); internal helpers are invoker functions;
    -- sla_rebuild for admins, sla_tick (idempotent, definer) for everyone
    ('function', 'ims._incident_sla_apply(bigint,text,text,boolean,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_cal(bigint)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_calendar_id(ims.sla_policy,bigint,bigint)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_crossing(ims.incident_sla,ims.sla_policy,ims.calendar,double precision)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_new(bigint,ims.sla_policy,bigint,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_policies(smallint,bigint)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_record(ims.incident_sla,ims.sla_policy,ims.calendar,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_replay(bigint)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_restart(ims.sla_clock,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_step(ims.incident_sla,ims.sla_policy,ims.calendar,text,timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('function', 'ims._sla_want(ims.sla_policy,text,text,boolean)', 'PUBLIC:EXECUTE'),
    ('function', 'ims.sla_rebuild(bigint[])', 'ims_admin:EXECUTE'),
    ('function', 'ims.sla_tick(timestamp with time zone)', 'PUBLIC:EXECUTE'),
    ('sequence', 'ims.sla_event_id_seq', '-'),
    ('sequence', 'ims.sla_policy_id_seq', '-'),
    ('table', 'ims.incident_sla', 'ims_agent:SELECT ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.sla_event', 'ims_agent:SELECT ims_reader:SELECT ims_view_owner:SELECT'),
    ('table', 'ims.sla_policy', 'ims_admin:DELETE,INSERT,UPDATE ims_agent:SELECT ims_reader:SELECT ims_view_owner:SELECT'),
    ('view', 'ims.v_sla_status', 'ims_reader:SELECT'),
    -- base
    ('function', 'ims.version()', 'PUBLIC:EXECUTE')
  $$, 'every ims table, view, sequence and function has exactly the grants decided in 90_security.sql');

SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace = 'ims'::regnamespace
     AND (p.prorettype = 'trigger'::regtype
          OR EXISTS (SELECT 1 FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze))
          OR EXISTS (SELECT 1 FROM pg_aggregate a WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn)))
     AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
     AND p.prorettype <> 'trigger'::regtype$$,
  'type and aggregate support functions stay executable by everyone');

SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c
   WHERE c.relnamespace = 'ims'::regnamespace AND c.relkind IN ('v', 'm')
     AND (c.relowner <> 'ims_view_owner'::regrole
          OR coalesce(c.reloptions, '{}') && ARRAY['security_invoker=true', 'security_invoker=on'])$$,
  'every ims view is owned by ims_view_owner and runs with its owner''s rights');

SELECT ok(NOT rolsuper AND NOT rolbypassrls AND NOT rolcanlogin
          AND NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid),
          'ims_view_owner cannot log in, is subject to row-level security and has no members')
  FROM pg_roles r WHERE rolname = 'ims_view_owner';

SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c
   WHERE c.relnamespace = 'ims'::regnamespace AND c.relkind IN ('r', 'p')
     AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
     AND NOT c.relrowsecurity$$,
  'every ims table with a tenant column has row-level security enabled');

SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c
   WHERE c.relnamespace = 'ims'::regnamespace AND c.relkind IN ('r', 'p')
     AND has_table_privilege('public', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE')$$,
  'PUBLIC cannot write any ims table');

-- Test roles (rolled back with the transaction).
CREATE ROLE ims_t_reader LOGIN IN ROLE ims_reader;
CREATE ROLE ims_t_agent LOGIN IN ROLE ims_agent;
CREATE ROLE ims_t_cm LOGIN IN ROLE ims_change_manager;
CREATE ROLE ims_t_admin LOGIN IN ROLE ims_admin;
CREATE ROLE ims_t_nobody LOGIN;

INSERT INTO ims.ci_class (name) VALUES ('t_server') ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('t_runs_on', 't_hosts') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (id, name, class) VALUES (-1, 't-one', 't_server'), (-2, 't-two', 't_server');

-- 2 ---------------------------------------------------------------------------
SET ROLE ims_t_admin;
SELECT throws_ok($$DELETE FROM ims.ci_history$$, '42501', NULL, 'an admin cannot delete CI history');
SELECT throws_ok($$UPDATE ims.ci_relation_history SET type = 'x'$$, '42501', NULL, 'an admin cannot rewrite relation history');
SELECT throws_ok($$UPDATE ims.graph_version SET singleton = true$$, '42501', NULL, 'nobody writes the graph version row directly');
RESET ROLE;
SET ROLE ims_t_reader;
SELECT throws_ok($$INSERT INTO ims.ci (name, class) VALUES ('x', 't_server')$$, '42501', NULL, 'a reader cannot insert a CI');
SELECT throws_ok($$UPDATE ims.ci SET status = 'down' WHERE id = -1$$, '42501', NULL, 'a reader cannot update a CI');
SELECT throws_ok($$DELETE FROM ims.ci_relation$$, '42501', NULL, 'a reader cannot delete relations');
SELECT throws_ok($$INSERT INTO ims.tenant_member VALUES ('ims_t_reader', '*')$$, '42501', NULL, 'a reader cannot make itself a member of every tenant');
SELECT throws_ok($$TRUNCATE ims.ci_class CASCADE$$, '42501', NULL, 'a reader cannot truncate reference data');
SELECT is((SELECT count(*) FROM ims.ci WHERE id IN (-1, -2)), 2::bigint, 'a reader reads the CMDB (single-tenant install: every row)');
RESET ROLE;

SET ROLE ims_t_agent;
SELECT lives_ok($$UPDATE ims.ci SET status = 'degraded' WHERE id = -1$$, 'an agent sets a CI''s status (history kept by definer triggers)');
SELECT throws_ok($$INSERT INTO ims.ci_history (ci_id, name, class, status, criticality, attributes, valid)
                   VALUES (-1, 'forged', 't_server', 'operational', 3, '{}', '[2020-01-01,2020-02-01)')$$, '42501', NULL,
                 'an agent cannot forge CI history');
SELECT throws_ok($$UPDATE ims.ci SET name = 'renamed' WHERE id = -1$$, '42501', NULL, 'an agent cannot rename a CI');
SELECT throws_ok($$INSERT INTO ims.ci_class (name) VALUES ('t_sneaky')$$, '42501', NULL, 'an agent cannot add CI classes');
RESET ROLE;

-- Incidents and their history.
SET ROLE ims_t_agent;
SELECT lives_ok($$INSERT INTO ims.incident (id, title) VALUES (-1, 't: mail down')$$, 'an agent opens an incident');
SELECT lives_ok($$UPDATE ims.incident SET state = 'in_progress' WHERE id = -1$$, 'an agent works an incident');
SELECT throws_ok($$DELETE FROM ims.incident WHERE id = -1$$, '42501', NULL, 'an agent cannot delete an incident');
SELECT throws_ok($$DELETE FROM ims.incident_event WHERE incident_id = -1$$, '42501', NULL, 'an agent cannot delete history');
SELECT throws_ok($$INSERT INTO ims.incident_event (incident_id, at, actor, to_state, changes) VALUES (-1, now(), 'x', 'resolved', '{}')$$,
                 '42501', NULL, 'an agent cannot forge history');
RESET ROLE;
SET ROLE ims_t_reader;
SELECT throws_ok($$UPDATE ims.incident SET state = 'resolved' WHERE id = -1$$, '42501', NULL, 'a reader cannot update an incident');
SELECT throws_ok($$SELECT * FROM ims.incident_event$$, '42501', NULL, 'a reader reads incidents through the BI views only');
RESET ROLE;
SET ROLE ims_t_admin;
SELECT throws_ok($$UPDATE ims.incident_event SET actor = 'someone else'$$, '42501', NULL, 'an admin cannot rewrite history');
RESET ROLE;
SELECT throws_ok($$DELETE FROM ims.incident_event WHERE incident_id = -1$$, '42501', NULL,
                 'not even the owner (superuser) deletes history');
SELECT throws_ok($$TRUNCATE ims.incident_event CASCADE$$, '42501', NULL, 'nor truncates it');

-- Changes: an agent raises one but cannot approve it; readers cannot touch them.
SET ROLE ims_t_agent;
SELECT lives_ok($$INSERT INTO ims.change_request (id, title) VALUES (-1, 't: patch mail server')$$, 'an agent raises a change');
SELECT throws_ok($$INSERT INTO ims.change_approval (change_id, decision) VALUES (-1, 'approved')$$, '42501', NULL,
                 'an agent cannot approve a change');
RESET ROLE;
SET ROLE ims_t_reader;
SELECT throws_ok($$UPDATE ims.change_request SET state = 'assess' WHERE id = -1$$, '42501', NULL, 'a reader cannot move a change');
SELECT throws_ok($$SELECT * FROM ims.change_conflicts_of((SELECT r FROM ims.change_request r WHERE id = -1))$$, '42501', NULL,
                 'a reader cannot call the definer conflict rules with a change row');
SELECT throws_ok($$SELECT ims.refresh_kpis()$$, '42501', NULL, 'a reader cannot rewrite the stored KPIs');
SELECT is((SELECT count(*) FROM ims.v_incident WHERE incident_id = -1), 1::bigint, 'a reader reads incidents through v_incident');
RESET ROLE;

SET ROLE ims_t_nobody;
SELECT throws_ok($$SELECT * FROM ims.ci$$, '42501', NULL, 'a role without ims grants cannot read the CMDB');
RESET ROLE;
SET ROLE ims_t_reader;
SELECT is(ims.current_tenants(), NULL, 'single-tenant install: current_tenants() is NULL (every tenant)');
RESET ROLE;

-- 3 ---------------------------------------------------------------------------
-- Two tenants, a provider role mapped to '*', shared infrastructure (tenant NULL).
CREATE ROLE ims_t_acme NOLOGIN;
CREATE ROLE ims_t_globex NOLOGIN;
CREATE ROLE ims_t_provider NOLOGIN;
CREATE ROLE ims_t_alice LOGIN IN ROLE ims_t_acme, ims_admin;     -- an acme admin
CREATE ROLE ims_t_bob LOGIN IN ROLE ims_t_globex, ims_reader;    -- a globex BI login
CREATE ROLE ims_t_carol LOGIN IN ROLE ims_t_provider, ims_admin; -- provider staff
CREATE ROLE ims_t_dave LOGIN IN ROLE ims_reader;                 -- in no tenant

SET ROLE ims_t_carol;
SELECT lives_ok($$INSERT INTO ims.tenant_member VALUES ('ims_t_provider', '*'), ('ims_t_acme', 'acme'), ('ims_t_globex', 'globex')$$,
                'an admin configures tenants while none is configured');
SELECT lives_ok($$INSERT INTO ims.ci (id, name, class, tenant) VALUES
                    (-10, 'acme-app', 't_server', 'acme'), (-11, 'acme-db', 't_server', 'acme'),
                    (-20, 'globex-app', 't_server', 'globex'), (-30, 'shared-net', 't_server', NULL)$$,
                'provider staff insert CIs of any tenant');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES
    (-10, -11, 't_runs_on'), (-10, -30, 't_runs_on'), (-20, -30, 't_runs_on'), (-20, -11, 't_runs_on');
INSERT INTO ims.incident (id, title, tenant, ci_id) VALUES
    (-10, 'acme: erp slow', 'acme', -10), (-20, 'globex: crm down', 'globex', -20),
    (-21, 'globex: vpn', 'globex', NULL), (-30, 'provider: core switch', NULL, -30);
INSERT INTO ims.change_request (id, title, tenant) VALUES (-10, 'acme: erp upgrade', 'acme'), (-20, 'globex: crm patch', 'globex');
INSERT INTO ims.change_ci (change_id, ci_id) VALUES (-10, -10), (-20, -20);
INSERT INTO ims.problem (id, title, tenant) VALUES (-10, 'acme: erp leaks memory', 'acme'), (-20, 'globex: crm crashes', 'globex');
SELECT is(ims.current_tenants(), NULL, 'a member of a role mapped to ''*'' sees every tenant');
SELECT is((SELECT count(*) FROM ims.ci WHERE id <= -10), 4::bigint, 'provider staff see every tenant''s CIs');
RESET ROLE;

SET ROLE ims_t_alice;
SELECT is(ims.current_tenants(), ARRAY['acme'], 'alice belongs to acme');
SELECT is(ims.default_tenant(), 'acme', 'alice''s default tenant is acme');
SELECT set_eq('SELECT name FROM ims.ci WHERE id <= -10', ARRAY['acme-app', 'acme-db', 'shared-net'],
              'a tenant sees its own CIs and shared ones, not another tenant''s');
SELECT is_empty('SELECT * FROM ims.ci WHERE id = -20', 'a tenant cannot read another tenant''s CI by id');
SELECT is((SELECT count(*) FROM ims.ci_relation WHERE source_id <= -10), 2::bigint,
          'relations are visible only when both CIs are (none into another tenant)');
SELECT set_eq('SELECT ci_id FROM ims.impacted(ARRAY[-30::bigint])', ARRAY[-30, -10]::bigint[],
              'through a function: impact of a shared CI lists only the tenant''s own dependents');
SELECT throws_ok('SELECT * FROM ims.dependencies(ARRAY[-20::bigint])', 'IM050', 'ci -20 does not exist',
                 'through a function: another tenant''s CI is unknown to the graph');
SELECT throws_ok('SELECT * FROM ims.dependency_path(-20, -30)', 'IM050', 'ci -20 does not exist',
                 'through a function: another tenant''s CI does not exist (same error as a wrong id)');
SELECT is_empty($$UPDATE ims.ci SET status = 'down' WHERE id = -20 RETURNING id$$, 'a tenant cannot update another tenant''s CI (no row)');
SELECT is_empty($$DELETE FROM ims.ci WHERE id = -20 RETURNING id$$, 'a tenant cannot delete another tenant''s CI (no row)');
SELECT is_empty($$UPDATE ims.ci SET status = 'down' WHERE id = -30 RETURNING id$$, 'a tenant cannot change a shared CI');
SELECT throws_ok($$INSERT INTO ims.ci (name, class, tenant) VALUES ('plant', 't_server', 'globex')$$, '42501', NULL,
                 'a tenant cannot insert a CI for another tenant');
SELECT throws_ok($$UPDATE ims.ci SET tenant = 'globex' WHERE id = -10$$, '42501', NULL,
                 'a tenant cannot hand its CI to another tenant');
SELECT throws_ok($$INSERT INTO ims.ci (name, class, tenant) VALUES ('shared2', 't_server', NULL)$$, '42501', NULL,
                 'a tenant cannot add shared CIs');
WITH i AS (INSERT INTO ims.ci (id, name, class) VALUES (-12, 'acme-web', 't_server') RETURNING tenant)
SELECT is((SELECT tenant FROM i), 'acme', 'a CI inserted by a one-tenant role defaults to that tenant');
SELECT is_empty('SELECT * FROM ims.incident WHERE id IN (-20, -21)', 'a tenant cannot read another tenant''s incidents through the table');
SELECT is_empty('SELECT * FROM ims.incident_event WHERE incident_id IN (-20, -21)', 'nor their history');
SELECT is_empty('SELECT * FROM ims.incident WHERE id = -30', 'nor the provider''s own incidents (tenant NULL)');
SELECT is_empty($$UPDATE ims.incident SET state = 'in_progress' WHERE id = -20 RETURNING id$$, 'nor work them (no row)');
SELECT set_eq('SELECT id FROM ims.incident WHERE id <= -10', ARRAY[-10]::bigint[], 'a tenant sees its own incident');
SELECT is((SELECT count(*) FROM ims.incident_event WHERE incident_id = -10), 1::bigint, 'and its history');
WITH i AS (INSERT INTO ims.incident (id, title) VALUES (-11, 'acme: printer') RETURNING tenant)
SELECT is((SELECT tenant FROM i), 'acme', 'an incident opened by a one-tenant agent belongs to its tenant');
SELECT throws_ok($$INSERT INTO ims.incident (title, tenant) VALUES ('planted', 'globex')$$, '42501', NULL,
                 'a tenant cannot open an incident for another tenant');
SELECT set_eq('SELECT id FROM ims.change_request WHERE id <= -10', ARRAY[-10]::bigint[], 'a tenant sees only its own changes');
SELECT is_empty('SELECT * FROM ims.change_ci WHERE change_id = -20', 'nor another tenant''s change CIs');
SELECT throws_ok('SELECT * FROM ims.change_conflicts(-20)', '22023', 'change -20 does not exist',
                 'another tenant''s change does not exist for ims.change_conflicts');
SELECT set_eq('SELECT id FROM ims.problem WHERE id <= -10', ARRAY[-10]::bigint[], 'a tenant sees only its own problems');
SELECT set_eq('SELECT incident_id FROM ims.v_incident WHERE incident_id <= -10', ARRAY[-10, -11]::bigint[],
              'through a view: v_incident shows only the tenant''s incidents');
SELECT set_eq('SELECT ci_id FROM ims.v_ci_impact WHERE ci_id <= -10', ARRAY[-10, -11, -12, -30]::bigint[],
              'through a view: v_ci_impact shows the tenant''s and shared CIs only');
SELECT is((SELECT sum(opened_count) FROM ims.v_incident_kpi_monthly WHERE tenant IS DISTINCT FROM 'acme'), NULL,
          'through a view: v_incident_kpi_monthly has no other tenant''s rows');
SELECT is((SELECT count(*) FROM ims.v_change_kpi_monthly WHERE tenant IS DISTINCT FROM 'acme'), 0::bigint,
          'through a view: v_change_kpi_monthly has no other tenant''s rows');
SELECT throws_ok($$SELECT ims.refresh_kpis()$$, '42501', NULL,
                 'a tenant''s admin cannot refresh the stored KPIs (it would drop the other tenants'' facts)');
SELECT throws_ok($$INSERT INTO ims.tenant_member VALUES ('ims_t_alice', '*')$$, '42501', NULL,
                 'a tenant''s admin cannot grant itself every tenant');
SELECT throws_ok($$INSERT INTO ims.tenant_member VALUES ('ims_t_alice', 'globex')$$, '42501', NULL,
                 'a tenant''s admin cannot join another tenant');
SELECT is_empty($$DELETE FROM ims.tenant_member RETURNING *$$, 'a tenant''s admin cannot remove tenant mappings');
SELECT set_eq('SELECT tenant FROM ims.tenant_member', ARRAY['acme'], 'a tenant sees only its own mappings');
RESET ROLE;

SET ROLE ims_t_bob;
SELECT set_eq('SELECT name FROM ims.ci WHERE id <= -10', ARRAY['globex-app', 'shared-net'],
              'the other tenant sees its own CIs and shared ones');
SELECT set_eq('SELECT ci_id FROM ims.impacted(ARRAY[-30::bigint])', ARRAY[-30, -20]::bigint[],
              'the graph cache of a session is not shared between roles: globex gets its own impact');
RESET ROLE;
SELECT cmp_ok((SELECT count(*) FROM ims.impacted(ARRAY[-30::bigint])), '>=', 3::bigint,
              'the unrestricted session user still sees the impact on every tenant');
SET ROLE ims_t_bob;
SELECT is_empty('SELECT * FROM ims.ci_relation WHERE target_id = -11', 'a relation into another tenant''s CI stays hidden');
RESET ROLE;

SET ROLE ims_t_dave;
SELECT is(ims.current_tenants(), '{}'::text[], 'a role in no tenant: current_tenants() is empty once tenants exist');
SELECT set_eq('SELECT name FROM ims.ci WHERE id <= -10', ARRAY['shared-net'], 'a role in no tenant sees shared CIs only');
RESET ROLE;

-- The per-backend graph cache: the same graph version read by two roles in a row.
SET ROLE ims_t_alice;
SELECT set_eq('SELECT ci_id FROM ims.impacted(ARRAY[-30::bigint])', ARRAY[-30, -10]::bigint[], 'acme''s impact of the shared CI');
SET ROLE ims_t_bob;
SELECT set_eq('SELECT ci_id FROM ims.impacted(ARRAY[-30::bigint])', ARRAY[-30, -20]::bigint[],
              'right after it, globex does not get acme''s cached graph');
SET ROLE ims_t_nobody;
SELECT throws_ok('SELECT * FROM ims.impacted(ARRAY[-30::bigint])', '42501', NULL,
                 'a role without ims grants gets no cached graph either');
RESET ROLE;

-- SET ROLE is what counts, not the session user.
SET ROLE ims_t_carol;
SET ROLE ims_t_bob;
SELECT is(ims.current_tenants(), ARRAY['globex'], 'current_tenants() follows SET ROLE');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
