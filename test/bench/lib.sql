-- test/bench/lib.sql — timing helpers for the benchmarks (schema bench).
-- bench.time_ms(query, runs) runs a query `runs` times, consuming every row and column,
-- and returns the median wall time in milliseconds.  bench.record() stores a
-- side-by-side result; run.sh prints them all as one table.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.result (
    id          serial PRIMARY KEY,
    bench       text NOT NULL,
    ims_ms      float8 NOT NULL,
    baseline    text NOT NULL,
    baseline_ms float8 NOT NULL,
    goal        text NOT NULL,
    met         bool
);

CREATE OR REPLACE FUNCTION bench.time_ms(query text, runs int DEFAULT 3)
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    times float8[] := '{}';
    n bigint;
BEGIN
    FOR i IN 1..runs LOOP
        t0 := clock_timestamp();
        -- count(q) reads the whole row, so every output column is computed (a bare
        -- count(*) would let the planner skip unused columns and aggregates).
        EXECUTE 'SELECT count(q) FROM (' || query || ') AS q' INTO n;
        times := times || (extract(epoch FROM clock_timestamp() - t0) * 1000)::float8;
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) AS x);
END $$;

-- bench.record(name, ims_query, baseline_name, baseline_query, goal, min_ratio, runs)
-- times both in the same run, alternating, and records baseline_ms / ims_ms.
-- A goal like 'ims >= 100x faster' sets min_ratio 100; 'at most 4x the cost' sets
-- min_ratio 0.25 (ratio = baseline / ims).
CREATE OR REPLACE FUNCTION bench.record(name text, ims_query text, baseline text,
                                        baseline_query text, goal text, min_ratio float8,
                                        runs int DEFAULT 3)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a float8; b float8;
BEGIN
    PERFORM bench.time_ms(ims_query, 1);       -- warm caches and plans
    PERFORM bench.time_ms(baseline_query, 1);
    a := bench.time_ms(ims_query, runs);
    b := bench.time_ms(baseline_query, runs);
    INSERT INTO bench.result (bench, ims_ms, baseline, baseline_ms, goal, met)
    VALUES (name, a, baseline, b, goal, b / greatest(a, 0.001) >= min_ratio);
END $$;
