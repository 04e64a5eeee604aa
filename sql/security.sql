-- security: tenants and row-level security, as doc/security.md shows them.
-- Roles are cluster-wide, so this test creates its own (ims_rt_*) and drops
-- them at the end, with every row it added.
SET client_min_messages = warning;
CREATE ROLE ims_rt_acme NOLOGIN;
CREATE ROLE ims_rt_globex NOLOGIN;
CREATE ROLE ims_rt_provider NOLOGIN;
CREATE ROLE ims_rt_alice LOGIN IN ROLE ims_rt_acme, ims_agent;
CREATE ROLE ims_rt_bob LOGIN IN ROLE ims_rt_globex, ims_reader;
CREATE ROLE ims_rt_carol LOGIN IN ROLE ims_rt_provider, ims_admin;

-- A shared network, one application per tenant on it.
INSERT INTO ims.ci (id, name, class, tenant) VALUES
    (7001, 'core-net', 'network_device', NULL),
    (7002, 'acme-erp', 'application', 'acme'),
    (7003, 'globex-crm', 'application', 'globex');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES
    (7002, 7001, 'depends_on'), (7003, 7001, 'depends_on');

-- No tenant configured yet: a single-tenant install, everyone sees every row.
SET ROLE ims_rt_bob;
SELECT ims.current_tenants();
SELECT id, name, tenant FROM ims.ci WHERE id BETWEEN 7001 AND 7003 ORDER BY id;
RESET ROLE;

-- Configure tenants (first the provider's own access to every tenant).
INSERT INTO ims.tenant_member (role, tenant) VALUES
    ('ims_rt_provider', '*'), ('ims_rt_acme', 'acme'), ('ims_rt_globex', 'globex');

SET ROLE ims_rt_bob;
SELECT ims.current_tenants(), ims.default_tenant();
SELECT id, name, tenant FROM ims.ci WHERE id BETWEEN 7001 AND 7003 ORDER BY id;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;

-- Committed graph, read by two roles in a row in one session: the
-- per-backend graph cache is keyed on the role, so nothing leaks.
SET ROLE ims_rt_alice;
SELECT ims.current_tenants(), ims.default_tenant();
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
SELECT * FROM ims.dependencies(ARRAY[7003::bigint]);
UPDATE ims.ci SET status = 'down' WHERE id = 7003;        -- globex's CI: no row
UPDATE ims.ci SET status = 'degraded' WHERE id = 7002;    -- its own CI
SET ROLE ims_rt_bob;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
SET ROLE ims_rt_carol;
SELECT ims.current_tenants();
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
SELECT id, name, status, tenant FROM ims.ci WHERE id BETWEEN 7001 AND 7003 ORDER BY id;
RESET ROLE;

-- The tenant map and role memberships decide what the graph shows, so a
-- change to either drops the cached graph of the same role and session.
SET ROLE ims_rt_alice;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
INSERT INTO ims.tenant_member (role, tenant) VALUES ('ims_rt_acme', 'globex');
SET ROLE ims_rt_alice;
SELECT ims.current_tenants();
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
DELETE FROM ims.tenant_member WHERE role = 'ims_rt_acme' AND tenant = 'globex';
SET ROLE ims_rt_alice;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
GRANT ims_rt_globex TO ims_rt_alice;
SET ROLE ims_rt_alice;
SELECT ims.current_tenants();
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
REVOKE ims_rt_globex FROM ims_rt_alice;
SET ROLE ims_rt_alice;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;

-- Moving a CI to another tenant changes who sees it, so it drops the cached
-- graphs too: alice stops seeing acme-erp once it belongs to globex.
SET ROLE ims_rt_alice;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
UPDATE ims.ci SET tenant = 'globex' WHERE id = 7002;
SET ROLE ims_rt_alice;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
UPDATE ims.ci SET tenant = 'acme' WHERE id = 7002;
SET ROLE ims_rt_alice;
SELECT ci_id, depth, via FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;

-- Privileges are checked on every call, cached graph or not: after REVOKE
-- SELECT on a CMDB table the graph functions refuse as the table would.
SET ROLE ims_rt_bob;
SELECT count(*) FROM ims.impacted(ARRAY[7001::bigint]);
RESET ROLE;
REVOKE SELECT ON ims.ci_relation FROM ims_reader;
SET ROLE ims_rt_bob;
SELECT count(*) FROM ims.impacted(ARRAY[7001::bigint]);
RESET ROLE;
GRANT SELECT ON ims.ci_relation TO ims_reader;
SET ROLE ims_rt_bob;
SELECT count(*) FROM ims.impacted(ARRAY[7001::bigint]);
RESET ROLE;

-- A change to the row-level security policies reaches a cached graph too.
SET ROLE ims_rt_bob;
SELECT ci_id FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
CREATE POLICY rt_hide_crm ON ims.ci AS RESTRICTIVE FOR SELECT TO ims_rt_bob USING (id <> 7003);
SET ROLE ims_rt_bob;
SELECT ci_id FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
DROP POLICY rt_hide_crm ON ims.ci;
SET ROLE ims_rt_bob;
SELECT ci_id FROM ims.impacted(ARRAY[7001::bigint]) ORDER BY ci_id;
RESET ROLE;
-- VACUUM and ANALYZE also send the invalidation, but leave the policies as
-- they were: the cached graph stays.
SET ROLE ims_rt_bob;
SELECT built_at AS bob_built FROM ims.graph_cache_info() WHERE cache = 'current' \gset
RESET ROLE;
VACUUM ANALYZE ims.ci;
SET ROLE ims_rt_bob;
SELECT count(*) FROM ims.impacted(ARRAY[7001::bigint]);
SELECT built_at = :'bob_built' AS kept_after_vacuum FROM ims.graph_cache_info() WHERE cache = 'current';
RESET ROLE;

-- Clean up (history rows written by the triggers included).
DELETE FROM ims.ci_relation WHERE source_id BETWEEN 7001 AND 7003;
DELETE FROM ims.ci WHERE id BETWEEN 7001 AND 7003;
DELETE FROM ims.ci_history WHERE ci_id BETWEEN 7001 AND 7003;
DELETE FROM ims.ci_relation_history WHERE source_id BETWEEN 7001 AND 7003;
DELETE FROM ims.tenant_member WHERE role LIKE 'ims\_rt\_%';
DROP ROLE ims_rt_alice, ims_rt_bob, ims_rt_carol, ims_rt_acme, ims_rt_globex, ims_rt_provider;
