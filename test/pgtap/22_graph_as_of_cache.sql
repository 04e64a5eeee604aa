-- pgTAP: the cached as_of graph serves every as_of between the same two
-- changes of the CMDB history, and is rebuilt at a change instant (the
-- history boundaries are half-open: a row is valid from valid_from on, a
-- history row for lower(valid) <= t < upper(valid)).
BEGIN;
SELECT plan(15);
SET LOCAL client_min_messages = warning;

INSERT INTO ims.ci (id, name, class, valid_from) OVERRIDING SYSTEM VALUE VALUES
  (7101, 'tap db',    'database',         '2026-01-01 00:00+00'),
  (7102, 'tap app',   'app_server',       '2026-01-01 00:00+00'),
  (7103, 'tap batch', 'app_server',       '2026-03-01 00:00+00');
INSERT INTO ims.ci_relation (source_id, target_id, type, valid_from) VALUES
  (7102, 7101, 'depends_on', '2026-01-01 00:00+00'),
  (7103, 7101, 'depends_on', '2026-03-01 00:00+00');
SELECT ims.graph_cache_reset();

CREATE FUNCTION pg_temp.hit(at timestamptz) RETURNS bigint[] LANGUAGE sql AS
  $$SELECT coalesce(array_agg(ci_id ORDER BY ci_id), '{}') FROM ims.impacted(ARRAY[7101::bigint], as_of => at)$$;
CREATE FUNCTION pg_temp.slot() RETURNS TABLE (hits bigint, as_of timestamptz, built_at timestamptz) LANGUAGE sql AS
  $$SELECT hits, as_of, built_at FROM ims.graph_cache_info() WHERE cache = 'as_of'$$;

-- Inside a transaction that changed the CMDB the cache key also holds the
-- command counter, which pgTAP's own bookkeeping moves with every test: so
-- each batch of as_of calls below is one statement.
CREATE TEMP TABLE ans AS
SELECT k, at, pg_temp.hit(at) AS got
  FROM (VALUES (1, '2026-02-01 00:00+00'::timestamptz), (2, '2026-02-15 12:00+00'),
               (3, '2026-01-01 00:00+00'), (4, '2026-02-28 23:59:59.999999+00')) v(k, at) ORDER BY k;
SELECT is((SELECT got FROM ans WHERE k = 1), ARRAY[7101, 7102]::bigint[], 'February: the app depends on the database');
SELECT is((SELECT got FROM ans WHERE k = 2), ARRAY[7101, 7102]::bigint[], 'mid-February: the same answer');
SELECT is((SELECT got FROM ans WHERE k = 3), ARRAY[7101, 7102]::bigint[], 'the first instant of the stretch is in it');
SELECT is((SELECT got FROM ans WHERE k = 4), ARRAY[7101, 7102]::bigint[], 'the last microsecond before the batch job appears');
SELECT is((SELECT (hits, as_of)::text FROM pg_temp.slot()), (3::bigint, '2026-02-01 00:00+00'::timestamptz)::text,
          'one graph, built for the first call, served the other three: nothing changed between them');

CREATE TEMP TABLE ans2 AS
SELECT k, at, pg_temp.hit(at) AS got
  FROM (VALUES (1, '2026-03-01 00:00+00'::timestamptz), (2, '2026-06-01 00:00+00')) v(k, at) ORDER BY k;
SELECT is((SELECT got FROM ans2 WHERE k = 1), ARRAY[7101, 7102, 7103]::bigint[], 'at the change instant the batch job is there');
SELECT is((SELECT got FROM ans2 WHERE k = 2), ARRAY[7101, 7102, 7103]::bigint[], 'June: both');
SELECT is((SELECT (hits, as_of)::text FROM pg_temp.slot()), (1::bigint, '2026-03-01 00:00+00'::timestamptz)::text,
          'a new stretch from the change instant on: rebuilt once, then served June');

-- A later change (a relation removed today) splits the open stretch.
DELETE FROM ims.ci_relation WHERE source_id = 7103;
CREATE TEMP TABLE ans3 AS
SELECT k, at, pg_temp.hit(at) AS got
  FROM (VALUES (1, '2026-06-01 00:00+00'::timestamptz), (2, '2026-07-01 00:00+00'), (3, now() + interval '1 second')) v(k, at)
 ORDER BY k;
SELECT is((SELECT got FROM ans3 WHERE k = 1), ARRAY[7101, 7102, 7103]::bigint[], 'as_of June still sees the relation removed today');
SELECT is((SELECT got FROM ans3 WHERE k = 2), ARRAY[7101, 7102, 7103]::bigint[], 'and so does July');
SELECT is((SELECT got FROM ans3 WHERE k = 3), ARRAY[7101, 7102]::bigint[], 'after today''s removal it is gone');
SELECT is((SELECT hits FROM pg_temp.slot()), 0::bigint, 'the last call was in a stretch of its own: built for it');

-- The same answers without the cache (each call building its graph).
SELECT ims.graph_cache_reset();
SELECT is(pg_temp.hit('2026-02-28 23:59:59.999999+00'), ARRAY[7101, 7102]::bigint[], 'uncached: February');
SELECT ims.graph_cache_reset();
SELECT is(pg_temp.hit('2026-03-01 00:00+00'), ARRAY[7101, 7102, 7103]::bigint[], 'uncached: 1 March');

SELECT throws_ok($$SELECT pg_temp.hit('2025-12-31 00:00+00')$$, 'IM050', NULL,
                 'before the database existed in the CMDB: IM050, as before');

SELECT * FROM finish();
ROLLBACK;
