-- pgTAP: a short SQL-level fuzz run over every public function and type input
-- (test/fuzz/sql_fuzz.sql; the long run is test/fuzz/sql_fuzz.sh).  No call may
-- crash the backend (a crash ends this session and fails the plan) or fail
-- with an undocumented SQLSTATE (see doc/errors.md).
BEGIN;
\i test/fuzz/sql_fuzz.sql
SELECT plan(3);
SELECT setseed(0.42);
-- targeted inputs: a small CMDB and existing ids/names in the pool (test/fuzz/sql_fuzz.sql)
SELECT ims_fuzz.make_cmdb(40) IS NOT NULL AS cmdb, ims_fuzz.seed() IS NOT NULL AS seeded \gset
SELECT cmp_ok(ims_fuzz.run(12), '>', 0::bigint, 'the fuzzer made calls');
SELECT is_empty('SELECT target, sqlstate, message, sample FROM ims_fuzz.undocumented',
                'every failure carries a documented SQLSTATE');
SELECT cmp_ok((SELECT count(DISTINCT target) FROM ims_fuzz.outcome WHERE sqlstate = '00000'), '>', 0::bigint,
              'some calls succeeded');
SELECT * FROM finish();
ROLLBACK;
