-- cmdb: the CMDB tables and impact analysis on a hand-drawn web shop.
--
--   shop (business_service) -depends_on-> lb -depends_on-> web_pool (min_up 1)
--   web_pool -depends_on-> web1, web2;  web1, web2 -depends_on-> app_pool (min_up 2)
--   app_pool -depends_on-> app1, app2, app3;  app1..3 -depends_on-> db
--   web1, app1 -runs_on-> host1;  web2, app2, app3 -runs_on-> host2
--   db, replica -runs_on-> host3;  db -hosted_on-> san
--   reporting (business_service) -uses-> replica;  replica -connects_to-> db (no impact)
--   lb -connects_to-> fw;  shop -member_of-> eu_services
SET client_min_messages = warning;

-- the seeded class tree and relation types
SELECT name, inverse_name, propagates_impact FROM ims.relation_type ORDER BY name;
WITH RECURSIVE tree AS (
    SELECT name, parent, name AS path FROM ims.ci_class WHERE parent IS NULL
    UNION ALL
    SELECT c.name, c.parent, t.path || '/' || c.name FROM ims.ci_class c JOIN tree t ON c.parent = t.name)
SELECT path FROM tree ORDER BY path;

-- the web shop, created 2026-01-01 (valid_from backdated for the history tests)
INSERT INTO ims.ci (id, name, class, min_up, criticality, valid_from) VALUES
    (9001, 'shop',        'business_service', NULL, 1, '2026-01-01'),
    (9002, 'lb',          'load_balancer',    NULL, 2, '2026-01-01'),
    (9003, 'web_pool',    'cluster',          1,    2, '2026-01-01'),
    (9004, 'web1',        'web_server',       NULL, 3, '2026-01-01'),
    (9005, 'web2',        'web_server',       NULL, 3, '2026-01-01'),
    (9006, 'app_pool',    'cluster',          2,    2, '2026-01-01'),
    (9007, 'app1',        'app_server',       NULL, 3, '2026-01-01'),
    (9008, 'app2',        'app_server',       NULL, 3, '2026-01-01'),
    (9009, 'app3',        'app_server',       NULL, 3, '2026-01-01'),
    (9010, 'db',          'database',         NULL, 1, '2026-01-01'),
    (9011, 'replica',     'database',         NULL, 3, '2026-01-01'),
    (9012, 'host1',       'physical_server',  NULL, 3, '2026-01-01'),
    (9013, 'host2',       'physical_server',  NULL, 3, '2026-01-01'),
    (9014, 'host3',       'physical_server',  NULL, 3, '2026-01-01'),
    (9015, 'san',         'storage',          NULL, 1, '2026-01-01'),
    (9016, 'reporting',   'business_service', NULL, 4, '2026-01-01'),
    (9017, 'fw',          'firewall',         NULL, 3, '2026-01-01'),
    (9018, 'eu_services', 'cluster',          NULL, 3, '2026-01-01');

CREATE FUNCTION pg_temp.ci(n text) RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT id FROM ims.ci WHERE name = n $$;
CREATE FUNCTION pg_temp.cis(VARIADIC n text[]) RETURNS bigint[] LANGUAGE sql STABLE
    AS $$ SELECT array_agg(id ORDER BY id) FROM ims.ci WHERE name = ANY (n) $$;

INSERT INTO ims.ci_relation (source_id, target_id, type, valid_from)
SELECT pg_temp.ci(s), pg_temp.ci(t), ty, '2026-01-01' FROM (VALUES
    ('shop', 'lb', 'depends_on'), ('lb', 'web_pool', 'depends_on'),
    ('web_pool', 'web1', 'depends_on'), ('web_pool', 'web2', 'depends_on'),
    ('web1', 'app_pool', 'depends_on'), ('web2', 'app_pool', 'depends_on'),
    ('app_pool', 'app1', 'depends_on'), ('app_pool', 'app2', 'depends_on'), ('app_pool', 'app3', 'depends_on'),
    ('app1', 'db', 'depends_on'), ('app2', 'db', 'depends_on'), ('app3', 'db', 'depends_on'),
    ('web1', 'host1', 'runs_on'), ('app1', 'host1', 'runs_on'),
    ('web2', 'host2', 'runs_on'), ('app2', 'host2', 'runs_on'), ('app3', 'host2', 'runs_on'),
    ('db', 'host3', 'runs_on'), ('replica', 'host3', 'runs_on'), ('db', 'san', 'hosted_on'),
    ('reporting', 'replica', 'uses'), ('replica', 'db', 'connects_to'),
    ('lb', 'fw', 'connects_to'), ('shop', 'eu_services', 'member_of')) AS r(s, t, ty);

-- a view printing names instead of ids
CREATE FUNCTION pg_temp.show_impacted(ids bigint[], d int DEFAULT NULL, types text[] DEFAULT NULL,
                                      at timestamptz DEFAULT NULL)
RETURNS TABLE (ci text, depth int, via text) LANGUAGE sql STABLE AS $$
    SELECT c.name, i.depth, v.name
      FROM ims.impacted(ids, d, types, at) i
      JOIN ims.ci c ON c.id = i.ci_id LEFT JOIN ims.ci v ON v.id = i.via
     ORDER BY i.depth, c.name $$;
CREATE FUNCTION pg_temp.show_dependencies(ids bigint[], d int DEFAULT NULL, types text[] DEFAULT NULL,
                                          at timestamptz DEFAULT NULL)
RETURNS TABLE (ci text, depth int, via text) LANGUAGE sql STABLE AS $$
    SELECT c.name, i.depth, v.name
      FROM ims.dependencies(ids, d, types, at) i
      JOIN ims.ci c ON c.id = i.ci_id LEFT JOIN ims.ci v ON v.id = i.via
     ORDER BY i.depth, c.name $$;

-- 1. the storage fails: everything on the database goes, up to the shop;
--    reporting reads the replica, which only connects_to db (no impact)
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('san'));

-- 2. one web server down: the pool (min_up 1) still has web2, nothing else impacted
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('web1'));

-- 3. both web servers down: the pool, the load balancer and the shop
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('web1', 'web2'));

-- 4. host1 down: web1 and app1 fail; both pools keep enough members
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host1'));

-- 5. host2 down: app2 and app3 share it, so app_pool (min_up 2) keeps one
--    member and fails; then web1 fails too and web_pool has none left.
--    app_pool's depth is that of the failure that tipped it (via app3).
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'));

-- 6. a dependency already down by status counts against min_up:
--    web2 is in maintenance-down, so losing host1 (web1) takes the shop down
UPDATE ims.ci SET status = 'down' WHERE name = 'web2';
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host1'));
UPDATE ims.ci SET status = 'operational' WHERE name = 'web2';
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host1'));

-- 7. max_depth and relation-type filters
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('san'), 2);
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('san'), 0);
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), NULL, ARRAY['hosted_on']);
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host3'), NULL, ARRAY['runs_on', 'uses']);
-- connects_to does not propagate impact even when asked for
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1, ARRAY['connects_to']);

-- 8. dependencies: the upstream closure over every relation type
SELECT * FROM pg_temp.show_dependencies(pg_temp.cis('shop'));
SELECT * FROM pg_temp.show_dependencies(pg_temp.cis('reporting'));
SELECT * FROM pg_temp.show_dependencies(pg_temp.cis('web1'), 1);
SELECT * FROM pg_temp.show_dependencies(pg_temp.cis('reporting'), NULL, ARRAY['uses', 'runs_on']);

-- 9. several start CIs, duplicates and NULL elements
SELECT * FROM pg_temp.show_impacted(ARRAY[pg_temp.ci('web1'), NULL, pg_temp.ci('web1'), pg_temp.ci('web2')]);
SELECT count(*) FROM ims.impacted(ARRAY[]::bigint[]);
SELECT count(*) FROM ims.impacted(NULL);
SELECT count(*) FROM ims.dependencies(ARRAY[NULL]::bigint[]);

-- 10. bad input: documented errors
SELECT * FROM ims.impacted(ARRAY[424242]);
SELECT * FROM ims.dependencies(pg_temp.cis('db'), -1);
SELECT * FROM ims.impacted(pg_temp.cis('db'), NULL, ARRAY['powers']);
SELECT * FROM ims.impacted(pg_temp.cis('db'), NULL, NULL, 'infinity');

-- 11. a relation added in this transaction is seen at once, and gone after rollback
BEGIN;
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES (pg_temp.ci('reporting'), pg_temp.ci('db'), 'depends_on');
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1);
SAVEPOINT s;
DELETE FROM ims.ci_relation WHERE source_id = pg_temp.ci('reporting') AND target_id = pg_temp.ci('db');
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1);
ROLLBACK TO SAVEPOINT s;
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1);
ROLLBACK;
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1);

-- 12. history: app3 moves from host2 to host1; impact asked as of before the move
UPDATE ims.ci_relation SET target_id = pg_temp.ci('host1')
 WHERE source_id = pg_temp.ci('app3') AND target_id = pg_temp.ci('host2');
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'));
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'), NULL, NULL, '2026-06-01');
SELECT s.name AS source, t.name AS target, h.type, lower(h.valid) AS valid_from, upper(h.valid) > '2026-06-01' AS closed_later
  FROM ims.ci_relation_history h JOIN ims.ci s ON s.id = h.source_id JOIN ims.ci t ON t.id = h.target_id;
-- a CI that did not exist yet
SELECT * FROM ims.impacted(pg_temp.cis('host2'), NULL, NULL, '2025-01-01');
-- CI changes are kept too
UPDATE ims.ci SET min_up = 1 WHERE name = 'app_pool';
SELECT ci_id = pg_temp.ci('app_pool') AS is_app_pool, min_up, lower(valid) AS valid_from FROM ims.ci_history WHERE min_up IS NOT NULL;
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('app1', 'app2'));
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('app1', 'app2'), NULL, NULL, '2026-06-01');
-- deleting a CI closes its relations' periods
DELETE FROM ims.ci WHERE name = 'fw';
SELECT count(*) AS fw_relation_versions FROM ims.ci_relation_history WHERE target_id = 9017;
SELECT * FROM pg_temp.show_dependencies(pg_temp.cis('lb'), 1);
SELECT ci_id, depth, via FROM ims.dependencies(ARRAY[9002::bigint], 1, NULL, '2026-06-01') ORDER BY ci_id;

-- relation types are kept with their periods too: connects_to propagates
-- impact from now on, but not in the graph as of 2026-06-01
UPDATE ims.relation_type SET propagates_impact = true WHERE name = 'connects_to';
SELECT name, propagates_impact, lower(valid) AS valid_from, upper(valid) <= now() AS closed
  FROM ims.relation_type_history ORDER BY lower(valid);
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1);
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1, NULL, '2026-06-01');
UPDATE ims.relation_type SET propagates_impact = false WHERE name = 'connects_to';
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('db'), 1);
-- a type created now did not exist then
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('rt_feeds', 'rt_fed_by');
SELECT count(*) FROM ims.impacted(pg_temp.cis('db'), 1, '{rt_feeds}');
SELECT count(*) FROM ims.impacted(pg_temp.cis('db'), 1, '{rt_feeds}', '2026-06-01');
DELETE FROM ims.relation_type WHERE name = 'rt_feeds';
SELECT count(*) FROM ims.impacted(pg_temp.cis('db'), 1, '{rt_feeds}');
SELECT name, lower(valid) > '2026-06-01' AS created_later FROM ims.relation_type_history WHERE name = 'rt_feeds';
-- history imported by hand (the owner backfilling it) reaches a cached as_of
-- graph at once: reporting ran on host2 in May and June
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'), NULL, NULL, '2026-06-01');
INSERT INTO ims.ci_relation_history (relation_id, source_id, target_id, type, valid)
VALUES (-1, pg_temp.ci('reporting'), pg_temp.ci('host2'), 'runs_on', '[2026-05-01, 2026-07-01)');
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'), NULL, NULL, '2026-06-01');
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'), NULL, NULL, '2026-07-01');
DELETE FROM ims.ci_relation_history WHERE relation_id = -1;
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host2'), NULL, NULL, '2026-06-01');

-- 13. the cache: one current graph, 12 bytes of adjacency per relation, reused
SELECT count(*) FROM ims.impacted(pg_temp.cis('san'));
SELECT count(*) FROM ims.impacted(pg_temp.cis('db'));
SELECT cache, cis >= 17 AS cis, relations >= 23 AS relations, adjacency_bytes_per_relation, hits > 0 AS reused
  FROM ims.graph_cache_info() WHERE cache = 'current';
SELECT ims.graph_cache_reset() > 0 AS dropped;
SELECT count(*) FROM ims.graph_cache_info();

-- 14. in a parallel worker (the functions are PARALLEL SAFE): same answers
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                       THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'on', false) AS parallel;
EXPLAIN (COSTS OFF) SELECT count(*) FROM ims.impacted(ARRAY[9015::bigint]);
SELECT count(*) FROM ims.impacted(ARRAY[9015::bigint]);                         -- san
SELECT count(*) FROM ims.dependencies(ARRAY[9001::bigint], NULL, NULL, '2026-06-01');  -- shop
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                       THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'off', false) AS parallel;

-- labels (of every graph function)
SELECT p.oid::regprocedure AS function, provolatile, proparallel, proisstrict
  FROM pg_proc p WHERE pronamespace = 'ims'::regnamespace
   AND proname IN ('impacted', 'dependencies', 'graph_cache_info', 'graph_cache_reset', 'impacted_services',
                   'dependency_path', 'dependency_cycles', 'common_dependencies', 'graph_json', 'graph_dot')
 ORDER BY 1::text;

-- 15. dependency_path: a shortest chain from a CI down to one it depends on
SELECT p.step, c.name, p.relation FROM ims.dependency_path(pg_temp.ci('shop'), pg_temp.ci('san')) p
  JOIN ims.ci c ON c.id = p.ci_id ORDER BY p.step;
SELECT p.step, c.name, p.relation FROM ims.dependency_path(pg_temp.ci('web2'), pg_temp.ci('host2')) p
  JOIN ims.ci c ON c.id = p.ci_id ORDER BY p.step;
-- upwards there is none; within a depth limit; to itself; over chosen types only
SELECT count(*) FROM ims.dependency_path(pg_temp.ci('san'), pg_temp.ci('shop'));
SELECT count(*) FROM ims.dependency_path(pg_temp.ci('shop'), pg_temp.ci('san'), 6);
SELECT * FROM ims.dependency_path(pg_temp.ci('db'), pg_temp.ci('db'));
SELECT p.step, c.name, p.relation FROM ims.dependency_path(pg_temp.ci('reporting'), pg_temp.ci('san')) p
  JOIN ims.ci c ON c.id = p.ci_id ORDER BY p.step;
SELECT count(*) FROM ims.dependency_path(pg_temp.ci('reporting'), pg_temp.ci('san'), NULL, ARRAY['uses', 'runs_on', 'hosted_on']);
SELECT count(*) FROM ims.dependency_path(NULL, pg_temp.ci('san'));
SELECT * FROM ims.dependency_path(pg_temp.ci('shop'), 424242);

-- 16. impacted business services
SELECT c.name, s.depth FROM ims.impacted_services(pg_temp.cis('san')) s JOIN ims.ci c ON c.id = s.ci_id;
SELECT c.name, s.depth FROM ims.impacted_services(pg_temp.cis('host3')) s JOIN ims.ci c ON c.id = s.ci_id ORDER BY 1;
SELECT count(*) FROM ims.impacted_services(pg_temp.cis('web1'));
-- a class below business_service counts too
INSERT INTO ims.ci_class (name, parent) VALUES ('customer_portal', 'business_service');
INSERT INTO ims.ci (id, name, class) VALUES (9019, 'portal', 'customer_portal');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES (9019, pg_temp.ci('lb'), 'uses');
SELECT c.name, s.depth FROM ims.impacted_services(pg_temp.cis('web1', 'web2')) s JOIN ims.ci c ON c.id = s.ci_id ORDER BY 2, 1;
-- as of 2026-06-01 host2 took the shop down; today it does not
SELECT c.name, s.depth FROM ims.impacted_services(pg_temp.cis('host2'), NULL, NULL, '2026-06-01') s JOIN ims.ci c ON c.id = s.ci_id;
SELECT count(*) FROM ims.impacted_services(pg_temp.cis('host2'));

-- 17. dependency cycles (strongly connected components of two or more CIs)
SELECT count(*) FROM ims.dependency_cycles();
BEGIN;
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES
    (pg_temp.ci('db'), pg_temp.ci('app1'), 'connects_to'),
    (pg_temp.ci('host3'), pg_temp.ci('replica'), 'uses');
SELECT d.cycle, c.name FROM ims.dependency_cycles() d JOIN ims.ci c ON c.id = d.ci_id ORDER BY d.cycle, d.ci_id;
SELECT d.cycle, c.name FROM ims.dependency_cycles(ARRAY['depends_on', 'runs_on', 'uses']) d
  JOIN ims.ci c ON c.id = d.ci_id ORDER BY d.cycle, d.ci_id;
-- impact still terminates on the cycle
SELECT * FROM pg_temp.show_impacted(pg_temp.cis('host3'));
ROLLBACK;

-- 18. root-cause candidates for a burst of incidents on web1, web2 and app2
SELECT c.name, d.covers, d.depth
  FROM ims.common_dependencies(pg_temp.cis('web1', 'web2', 'app2')) d JOIN ims.ci c ON c.id = d.ci_id
 ORDER BY d.covers DESC, d.depth, c.name;
SELECT c.name, d.covers, d.depth
  FROM ims.common_dependencies(pg_temp.cis('web1', 'web2', 'app2'), NULL, NULL, NULL, 3) d JOIN ims.ci c ON c.id = d.ci_id
 ORDER BY d.covers DESC, d.depth, c.name;
SELECT count(*) FROM ims.common_dependencies(pg_temp.cis('web1'));
SELECT count(*) FROM ims.common_dependencies(pg_temp.cis('web1'), NULL, NULL, NULL, 1);
SELECT * FROM ims.common_dependencies(pg_temp.cis('web1'), NULL, NULL, NULL, 0);

-- 19. export: JSON and Graphviz DOT of an impact or dependency subgraph
SELECT jsonb_pretty(ims.graph_json(pg_temp.cis('host2')));
SELECT ims.graph_dot(pg_temp.cis('host2'));
SELECT ims.graph_dot(pg_temp.cis('replica'), 'dependencies');
SELECT ims.graph_dot(pg_temp.cis('replica'), 'upwards');
SELECT jsonb_array_length(ims.graph_json(pg_temp.cis('san'), 'impact', NULL, NULL, '2026-06-01')->'nodes') AS nodes_then;
