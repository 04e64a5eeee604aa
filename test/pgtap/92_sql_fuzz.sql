-- pgTAP: a short SQL-level fuzz run over every public function and type input
-- (test/fuzz/sql_fuzz.sql; the long run is test/fuzz/sql_fuzz.sh).  No call may
-- crash the backend (a crash ends this session and fails the plan), fail
-- with an undocumented SQLSTATE (see doc/errors.md; 53200 out of memory is
-- not documented, and make test caps the backend's address space), or run
-- into the statement timeout: every call is a statement of its own (psql
-- \gexec), so statement_timeout bounds each one.
BEGIN;
\i test/fuzz/sql_fuzz.sql
SELECT plan(4);
SELECT setseed(0.42);
-- targeted inputs: a small CMDB and existing ids/names in the pool (test/fuzz/sql_fuzz.sql)
SELECT ims_fuzz.make_cmdb(40) IS NOT NULL AS cmdb, ims_fuzz.seed() IS NOT NULL AS seeded \gset
SET LOCAL statement_timeout = '10s';
\o /dev/null
SELECT ims_fuzz.script(12) \gexec
\o
SET LOCAL statement_timeout = 0;
SELECT cmp_ok(ims_fuzz.calls(), '>', 0::bigint, 'the fuzzer made calls');
SELECT is_empty('SELECT target, sqlstate, message, sample FROM ims_fuzz.undocumented',
                'every failure carries a documented SQLSTATE');
SELECT is_empty($$SELECT target, slowest, max_ms FROM ims_fuzz.outcome WHERE sqlstate = '57014'$$,
                'no call ran into the 10 s statement timeout');
SELECT cmp_ok((SELECT count(DISTINCT target) FROM ims_fuzz.outcome WHERE sqlstate = '00000'), '>', 0::bigint,
              'some calls succeeded');
SELECT * FROM finish();
ROLLBACK;
