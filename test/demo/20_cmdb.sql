-- Demo chapter 20: the CMDB and impact analysis.
\echo
\echo '== CMDB: what does a failure impact?'
\echo 'A small web shop: a load balancer in front of a pool of two web servers (min_up 1),'
\echo 'an application pool of three (min_up 2), a database on a SAN, and two business services.'

INSERT INTO ims.ci (name, class, min_up, criticality, owner_group) VALUES
    ('Web shop',        'business_service', NULL, 1, 'E-commerce'),
    ('Reporting',       'business_service', NULL, 4, 'Finance IT'),
    ('lb-01',           'load_balancer',    NULL, 2, 'Network'),
    ('web-pool',        'cluster',          1,    2, 'Web'),
    ('web-01',          'web_server',       NULL, 3, 'Web'),
    ('web-02',          'web_server',       NULL, 3, 'Web'),
    ('app-pool',        'cluster',          2,    2, 'Apps'),
    ('app-01',          'app_server',       NULL, 3, 'Apps'),
    ('app-02',          'app_server',       NULL, 3, 'Apps'),
    ('app-03',          'app_server',       NULL, 3, 'Apps'),
    ('orders-db',       'database',         NULL, 1, 'DBA'),
    ('orders-replica',  'database',         NULL, 3, 'DBA'),
    ('host-a',          'physical_server',  NULL, 3, 'Datacenter'),
    ('host-b',          'physical_server',  NULL, 3, 'Datacenter'),
    ('host-c',          'physical_server',  NULL, 3, 'Datacenter'),
    ('san-01',          'storage',          NULL, 1, 'Storage');

INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT s.id, t.id, r.ty
  FROM (VALUES
    ('Web shop', 'lb-01', 'depends_on'), ('lb-01', 'web-pool', 'depends_on'),
    ('web-pool', 'web-01', 'depends_on'), ('web-pool', 'web-02', 'depends_on'),
    ('web-01', 'app-pool', 'depends_on'), ('web-02', 'app-pool', 'depends_on'),
    ('app-pool', 'app-01', 'depends_on'), ('app-pool', 'app-02', 'depends_on'), ('app-pool', 'app-03', 'depends_on'),
    ('app-01', 'orders-db', 'depends_on'), ('app-02', 'orders-db', 'depends_on'), ('app-03', 'orders-db', 'depends_on'),
    ('web-01', 'host-a', 'runs_on'), ('app-01', 'host-a', 'runs_on'),
    ('web-02', 'host-b', 'runs_on'), ('app-02', 'host-b', 'runs_on'), ('app-03', 'host-c', 'runs_on'),
    ('orders-db', 'host-c', 'runs_on'), ('orders-replica', 'host-c', 'runs_on'),
    ('orders-db', 'san-01', 'hosted_on'),
    ('Reporting', 'orders-replica', 'uses'), ('orders-replica', 'orders-db', 'connects_to')) AS r(s, t, ty)
  JOIN ims.ci s ON s.name = r.s JOIN ims.ci t ON t.name = r.t;

\echo
\echo '-- 1. The SAN fails.  ims.impacted walks to everything that depends on it (depth = shortest'
\echo '--    chain, via = the CI one step closer).  Reporting reads the replica, which only'
\echo '--    connects_to the database (a relation type that does not propagate impact).'
SELECT c.name, c.class, i.depth, v.name AS via
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name = 'san-01')) i
  JOIN ims.ci c ON c.id = i.ci_id LEFT JOIN ims.ci v ON v.id = i.via
 ORDER BY i.depth, c.name;

\echo '-- ... and the business services it takes down:'
SELECT c.name AS business_service, s.depth AS hops
  FROM ims.impacted_services(ARRAY(SELECT id FROM ims.ci WHERE name = 'san-01')) s JOIN ims.ci c ON c.id = s.ci_id;

\echo
\echo '-- 2. One web server down impacts nothing: web-pool has min_up = 1 and web-02 is still up.'
SELECT c.name, i.depth
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name = 'web-01')) i JOIN ims.ci c ON c.id = i.ci_id;
\echo '--    Both down, and the shop is down:'
SELECT c.name, i.depth
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name IN ('web-01', 'web-02'))) i JOIN ims.ci c ON c.id = i.ci_id
 ORDER BY i.depth, c.name;
\echo '--    host-b carries web-02 and app-02: app-pool (min_up 2) keeps two of three, the shop survives.'
SELECT count(*) FILTER (WHERE c.class = 'business_service') AS services_down, string_agg(c.name, ', ' ORDER BY i.depth, c.name) AS impacted
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name = 'host-b')) i JOIN ims.ci c ON c.id = i.ci_id;
\echo '--    But with app-03 in maintenance (status down), losing host-b takes the app pool below min_up:'
UPDATE ims.ci SET status = 'down' WHERE name = 'app-03';
SELECT c.name, i.depth, v.name AS via
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name = 'host-b')) i
  JOIN ims.ci c ON c.id = i.ci_id LEFT JOIN ims.ci v ON v.id = i.via
 ORDER BY i.depth, c.name;
UPDATE ims.ci SET status = 'operational' WHERE name = 'app-03';

\echo
\echo '-- 3. A burst of incidents on web-01, web-02 and app-02: root-cause candidates are the CIs'
\echo '--    they share, ranked by how many they cover, then by how near they are.'
SELECT c.name, c.class, d.covers, d.depth
  FROM ims.common_dependencies(ARRAY(SELECT id FROM ims.ci WHERE name IN ('web-01', 'web-02', 'app-02'))) d
  JOIN ims.ci c ON c.id = d.ci_id
 ORDER BY d.covers DESC, d.depth, c.name
 LIMIT 6;

\echo
\echo '-- 4. How does the shop reach the SAN?  (a shortest dependency chain)'
SELECT p.step, c.name, p.relation
  FROM ims.dependency_path((SELECT id FROM ims.ci WHERE name = 'Web shop'), (SELECT id FROM ims.ci WHERE name = 'san-01')) p
  JOIN ims.ci c ON c.id = p.ci_id ORDER BY p.step;

\echo
\echo '-- 5. History: app-03 moves to host-b; impact is asked as of before and after the move.'
SELECT now() AS before_move \gset
SELECT pg_sleep(0.01) AS slept \gset
UPDATE ims.ci_relation SET target_id = (SELECT id FROM ims.ci WHERE name = 'host-b')
 WHERE source_id = (SELECT id FROM ims.ci WHERE name = 'app-03') AND type = 'runs_on';
SELECT 'now' AS asked, count(*) FILTER (WHERE c.class = 'business_service') AS services_down
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name = 'host-b')) i JOIN ims.ci c ON c.id = i.ci_id
UNION ALL
SELECT 'before the move', count(*) FILTER (WHERE c.class = 'business_service')
  FROM ims.impacted(ARRAY(SELECT id FROM ims.ci WHERE name = 'host-b'), as_of => :'before_move') i
  JOIN ims.ci c ON c.id = i.ci_id;

\echo
\echo '-- 6. The traversal runs in C over a cached compressed graph; this backend holds:'
SELECT cache, cis, relations, pg_size_pretty(bytes) AS memory, adjacency_bytes_per_relation, round(build_ms::numeric, 2) AS build_ms, hits
  FROM ims.graph_cache_info();
\echo '(test/demo/21_cmdb_graphs.sh renders the impact graph of host-b to $IMS_DEMO_OUT/impact_host_b.svg with Graphviz)'
