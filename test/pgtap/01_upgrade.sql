-- pgTAP: the upgrade path.  Install the oldest shipped version, ALTER
-- EXTENSION UPDATE to the current one, and compare the objects it owns with a
-- fresh install of the current version: every upgrade script stays honest.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE fresh_objects AS
SELECT pg_describe_object(classid, objid, objsubid) AS obj
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ims')
   AND deptype = 'e';

DROP EXTENSION ims CASCADE;
SELECT lives_ok(
  format('CREATE EXTENSION ims VERSION %L',
         (SELECT version FROM pg_available_extension_versions
           WHERE name = 'ims' ORDER BY string_to_array(version, '.')::int[] LIMIT 1)),
  'the oldest shipped version installs');
SELECT lives_ok('ALTER EXTENSION ims UPDATE', 'ALTER EXTENSION ims UPDATE reaches the current version');

SELECT set_eq(
  $$SELECT pg_describe_object(classid, objid, objsubid)
      FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ims')
       AND deptype = 'e'$$,
  'SELECT obj FROM fresh_objects',
  'an upgraded install owns exactly the objects of a fresh install');

SELECT * FROM finish();
ROLLBACK;
