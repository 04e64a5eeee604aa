-- Metrics aggregates against what a user would otherwise write.
--  1. ims.mttr over 10,000,000 incidents vs the built-in avg(resolved - opened),
--     both serial (goal: at most 1.5x its cost).
--  2. ims.mttr with 2 parallel workers vs without (goal: faster).
--  3. ims.availability over 1,000,000 overlapping outages vs range_agg + unnest,
--     serial, for one period (goal: 5x).
--  4. The same grouped by 1,000 services (goal: 2x).  Here the scan and the hash
--     grouping alone cost about a fifth of the baseline, so 5x is out of reach
--     for any aggregate; see doc/benchmarks.md.
-- bench.time_ms wraps each query in SELECT count(*) FROM (...), and the planner
-- drops an aggregate whose output nobody reads: every query below therefore
-- names its aggregates in HAVING, so they are really computed.
\set ON_ERROR_STOP 1
SET TimeZone = 'UTC';

\echo metrics: generating 10,000,000 incidents and 1,000,000 outages
DROP TABLE IF EXISTS bench.metrics_inc, bench.metrics_outage;
CREATE UNLOGGED TABLE bench.metrics_inc AS
SELECT o AS opened,
       o + (random() * 72 * 3600 * 1000000)::bigint * interval '1 microsecond' AS resolved
  FROM (SELECT timestamptz '2024-01-01' + (random() * 730 * 86400)::int * interval '1 second' AS o
          FROM generate_series(1, (10000000 * :scale)::int)) AS q;
-- during: 1,000 services with 1,000 outages each, 0 to 40 minutes long, in and
-- around January 2026 (about a third of each service's month is down, and
-- most outages overlap another one).  during10y: the same 1,000,000 outages of
-- 0 to 6 minutes spread over ten years, for one period: the union still has
-- hundreds of thousands of disjoint intervals (the state's worst case).
CREATE UNLOGGED TABLE bench.metrics_outage AS
SELECT (g % 1000) AS svc,
       tstzrange(s, s + random() * interval '40 minutes') AS during,
       tstzrange(t, t + random() * interval '6 minutes') AS during10y
  FROM (SELECT g, timestamptz '2025-12-31' + random() * interval '33 days' AS s,
               timestamptz '2016-01-01' + random() * interval '3653 days' AS t
          FROM generate_series(1, (1000000 * :scale)::int) AS g) AS q;
VACUUM ANALYZE bench.metrics_inc;
VACUUM ANALYZE bench.metrics_outage;

-- VOLATILE, so that the count(*) wrapper cannot drop the call.
CREATE OR REPLACE FUNCTION bench.mttr_serial() RETURNS interval
    LANGUAGE sql VOLATILE SET max_parallel_workers_per_gather = 0
    AS $$ SELECT ims.mttr(opened, resolved) FROM bench.metrics_inc $$;
CREATE OR REPLACE FUNCTION bench.mttr_parallel() RETURNS interval
    LANGUAGE sql VOLATILE SET max_parallel_workers_per_gather = 2
    AS $$ SELECT ims.mttr(opened, resolved) FROM bench.metrics_inc $$;

SET max_parallel_workers_per_gather = 0;
SELECT bench.record('metrics: ims.mttr over 10M incidents (serial)',
    'SELECT ims.mttr(opened, resolved) FROM bench.metrics_inc HAVING ims.mttr(opened, resolved) IS NOT NULL',
    'avg(resolved - opened)',
    'SELECT avg(resolved - opened) FROM bench.metrics_inc HAVING avg(resolved - opened) IS NOT NULL',
    'at most 1.5x the cost of avg', 0.667);

SELECT bench.record('metrics: ims.mttr over 10M incidents, 2 parallel workers',
    'SELECT bench.mttr_parallel()',
    'ims.mttr without parallel workers',
    'SELECT bench.mttr_serial()',
    'parallel faster than serial', 1.0);

SELECT bench.record('metrics: ims.availability over 1M overlapping outages, one 10-year period (serial)',
    $q$SELECT ims.availability(during10y, tstzrange('2016-01-01', '2026-01-01')) FROM bench.metrics_outage
        HAVING ims.availability(during10y, tstzrange('2016-01-01', '2026-01-01')) IS NOT NULL$q$,
    'range_agg + unnest in SQL',
    $q$SELECT 1 - extract(epoch FROM sum(upper(r) - lower(r)))
                / extract(epoch FROM timestamptz '2026-01-01' - timestamptz '2016-01-01')
         FROM unnest((SELECT range_agg(during10y * tstzrange('2016-01-01', '2026-01-01'))
                        FROM bench.metrics_outage)) AS r
       HAVING sum(upper(r) - lower(r)) IS NOT NULL$q$,
    'ims >= 5x faster', 5.0);

SELECT bench.record('metrics: ims.availability over 1M outages of 1,000 services (serial)',
    $q$SELECT svc, ims.availability(during, tstzrange('2026-01-01', '2026-02-01'))
         FROM bench.metrics_outage GROUP BY svc
       HAVING ims.availability(during, tstzrange('2026-01-01', '2026-02-01')) IS NOT NULL$q$,
    'range_agg + unnest in SQL',
    $q$SELECT svc, 1 - extract(epoch FROM sum(upper(r) - lower(r))) / extract(epoch FROM interval '31 days')
         FROM (SELECT svc, unnest(range_agg(during * tstzrange('2026-01-01', '2026-02-01'))) AS r
                 FROM bench.metrics_outage GROUP BY svc) AS q
        GROUP BY svc HAVING sum(upper(r) - lower(r)) IS NOT NULL$q$,
    'ims >= 2x faster', 2.0);
RESET max_parallel_workers_per_gather;

-- The answers agree, and the size of the ten-year union (printed, not timed).
SELECT ims.availability(during10y, tstzrange('2016-01-01', '2026-01-01')) AS ims_availability,
       (SELECT 1 - extract(epoch FROM sum(upper(r) - lower(r)))
                 / extract(epoch FROM timestamptz '2026-01-01' - timestamptz '2016-01-01')
          FROM unnest((SELECT range_agg(during10y * tstzrange('2016-01-01', '2026-01-01'))
                         FROM bench.metrics_outage)) AS r) AS sql_availability,
       ims.mtbf(during10y, tstzrange('2016-01-01', '2026-01-01')) AS ims_mtbf
  FROM bench.metrics_outage;
SELECT ims.mttr(opened, resolved), avg(resolved - opened) FROM bench.metrics_inc;

DROP TABLE bench.metrics_inc, bench.metrics_outage;
