-- pgTAP: the metric aggregates give the same answer in parallel plans (partial
-- states combined by the leader) as serially and as plain SQL, over random
-- data; states survive a text round-trip; states combined by hand (as Citus
-- does with text states) equal serial aggregation.
BEGIN;
SELECT plan(31);

SET LOCAL TimeZone = 'UTC';
SELECT setseed(0.4242);

-- Parallel workers cannot read temporary tables: use regular ones (rolled back).
CREATE TABLE public.tap_metrics_inc AS
SELECT g AS id,
       (g % 7) AS svc,
       o AS opened,
       CASE WHEN random() < 0.9 THEN o + random() * interval '30 minutes' END AS acked,
       CASE WHEN random() < 0.8 THEN o + random() * interval '3 days' END AS restored,
       CASE g % 4 WHEN 0 THEN 'tz Europe/Berlin; mon-fri 08:00-18:00; closed yearly 12-25,01-01'::ims.calendar
                  WHEN 1 THEN '24x7'
                  WHEN 2 THEN 'tz America/New_York; mon-fri 09:00-17:00; sat 10:00-14:00'
                  END AS cal
  FROM generate_series(1, 60000) AS g,
       LATERAL (SELECT timestamptz '2026-01-01' + random() * interval '60 days' + g * interval '0 s') AS t(o);
CREATE TABLE public.tap_metrics_outage AS
SELECT g AS id,
       (g % 5) AS svc,
       CASE WHEN random() < 0.02 THEN NULL
            WHEN random() < 0.02 THEN 'empty'::tstzrange
            ELSE tstzrange(s, s + CASE WHEN random() < 0.998 THEN random() * interval '1 minute'
                                       ELSE random() * interval '6 hours' END) END AS during
  FROM generate_series(1, 40000) AS g,
       LATERAL (SELECT timestamptz '2025-12-25' + random() * interval '45 days' + g * interval '0 s') AS t(s);
ANALYZE public.tap_metrics_inc;
ANALYZE public.tap_metrics_outage;

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    result text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
        result := result || line || E'\n';
    END LOOP;
    RETURN result;
END $$;

-- Force parallel plans with every row read by the two workers, so the leader
-- always combines partial states.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;

SELECT matches(pg_temp.plan_of('SELECT ims.mttr(opened, restored) FROM public.tap_metrics_inc'),
               'Workers Launched: 2.*Partial Aggregate'
               , 'ims.mttr runs as a Partial Aggregate in two workers');
SELECT matches(pg_temp.plan_of($$SELECT ims.availability(during, tstzrange('2026-01-01', '2026-02-01')) FROM public.tap_metrics_outage$$),
               'Workers Launched: 2.*Partial Aggregate',
               'ims.availability runs as a Partial Aggregate in two workers');
SELECT matches(pg_temp.plan_of($$SELECT svc, ims.mtbf(during, tstzrange('2026-01-01', '2026-02-01')) FROM public.tap_metrics_outage GROUP BY svc$$),
               'Workers Launched: 2.*Partial (Hash|Group)?Aggregate',
               'grouped ims.mtbf runs as a partial aggregate in two workers');

SELECT matches(pg_temp.plan_of('SELECT ims.mttr(opened, restored, cal) FROM public.tap_metrics_inc'),
               'Workers Launched: 2.*Partial Aggregate',
               'business-time ims.mttr runs as a Partial Aggregate in two workers');

-- Parallel results, kept in psql variables.
SELECT ims.mttr(opened, restored, cal)::text AS bmttr_par FROM public.tap_metrics_inc \gset
SELECT ims.mttr(opened, restored)::text AS mttr_par, ims.mtta(opened, acked)::text AS mtta_par
  FROM public.tap_metrics_inc \gset
SELECT string_agg(format('%s:%s:%s', svc, m, a), ',' ORDER BY svc) AS grouped_par
  FROM (SELECT svc, ims.mttr(opened, restored) AS m, ims.mtta(opened, acked) AS a
          FROM public.tap_metrics_inc GROUP BY svc) AS q \gset
SELECT ims.downtime(during)::text AS down_par,
       ims.availability(during, tstzrange('2026-01-01', '2026-02-01'))::text AS avail_par,
       ims.mtbf(during, tstzrange('2026-01-01', '2026-02-01'))::text AS mtbf_par
  FROM public.tap_metrics_outage \gset
SELECT string_agg(format('%s:%s:%s:%s', svc, d, a, m), ',' ORDER BY svc) AS outage_grouped_par
  FROM (SELECT svc, ims.downtime(during) AS d,
               ims.availability(during, tstzrange('2026-01-01', '2026-02-01')) AS a,
               ims.mtbf(during, tstzrange('2026-01-01', '2026-02-01')) AS m
          FROM public.tap_metrics_outage GROUP BY svc) AS q \gset

-- The same serially.
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT doesnt_match(pg_temp.plan_of('SELECT ims.mttr(opened, restored) FROM public.tap_metrics_inc'),
              'Partial Aggregate', 'serial plan has no Partial Aggregate');
SELECT is(ims.mttr(opened, restored)::text, :'mttr_par', 'ims.mttr: parallel = serial') FROM public.tap_metrics_inc;
SELECT is(ims.mtta(opened, acked)::text, :'mtta_par', 'ims.mtta: parallel = serial') FROM public.tap_metrics_inc;
SELECT is(ims.mttr(opened, restored, cal)::text, :'bmttr_par', 'business-time ims.mttr: parallel = serial')
  FROM public.tap_metrics_inc;
SELECT is(string_agg(format('%s:%s:%s', svc, m, a), ',' ORDER BY svc), :'grouped_par',
          'grouped ims.mttr and ims.mtta: parallel = serial')
  FROM (SELECT svc, ims.mttr(opened, restored) AS m, ims.mtta(opened, acked) AS a
          FROM public.tap_metrics_inc GROUP BY svc) AS q;
SELECT is(ims.downtime(during)::text, :'down_par', 'ims.downtime: parallel = serial') FROM public.tap_metrics_outage;
SELECT is(ims.availability(during, tstzrange('2026-01-01', '2026-02-01'))::text, :'avail_par',
          'ims.availability: parallel = serial') FROM public.tap_metrics_outage;
SELECT is(ims.mtbf(during, tstzrange('2026-01-01', '2026-02-01'))::text, :'mtbf_par',
          'ims.mtbf: parallel = serial') FROM public.tap_metrics_outage;
SELECT is(string_agg(format('%s:%s:%s:%s', svc, d, a, m), ',' ORDER BY svc), :'outage_grouped_par',
          'grouped ims.downtime, ims.availability and ims.mtbf: parallel = serial')
  FROM (SELECT svc, ims.downtime(during) AS d,
               ims.availability(during, tstzrange('2026-01-01', '2026-02-01')) AS a,
               ims.mtbf(during, tstzrange('2026-01-01', '2026-02-01')) AS m
          FROM public.tap_metrics_outage GROUP BY svc) AS q;

-- Against plain SQL, exactly.
SELECT is(extract(epoch FROM ims.mttr(opened, restored)) * 1000000,
          round(avg((extract(epoch FROM restored) - extract(epoch FROM opened)) * 1000000)),
          'ims.mttr = exact mean in microseconds, rounded')
  FROM public.tap_metrics_inc;
SELECT is(extract(epoch FROM ims.mttr(opened, restored)),
          extract(epoch FROM avg(restored - opened)) , 'ims.mttr = avg(restored - opened) for whole-microsecond means')
  FROM public.tap_metrics_inc WHERE id <= 2;
SELECT is(extract(epoch FROM ims.mttr(opened, restored, cal)) * 1000000,
          round(avg(extract(epoch FROM ims.business_time(cal, opened, restored)) * 1000000)),
          'business-time ims.mttr = exact mean of ims.business_time, rounded (three calendars and NULL ones)')
  FROM public.tap_metrics_inc;
SELECT is(extract(epoch FROM ims.downtime(during)),
          (SELECT extract(epoch FROM sum(upper(r) - lower(r)))
             FROM unnest((SELECT range_agg(during) FROM public.tap_metrics_outage)) AS r),
          'ims.downtime = length of range_agg')
  FROM public.tap_metrics_outage;

CREATE TEMP TABLE month_union AS
SELECT r FROM unnest((SELECT range_agg(during * tstzrange('2026-01-01', '2026-02-01'))
                        FROM public.tap_metrics_outage)) AS r;
SELECT is(ims.availability(during, tstzrange('2026-01-01', '2026-02-01')),
          1 - (SELECT sum(extract(epoch FROM upper(r) - lower(r)) * 1000000) FROM month_union)::float8
              / (31 * 86400 * 1000000::float8),
          'ims.availability = 1 - clipped range_agg length / period')
  FROM public.tap_metrics_outage;
SELECT is(extract(epoch FROM ims.mtbf(during, tstzrange('2026-01-01', '2026-02-01'))) * 1000000,
          (SELECT round((31 * 86400 * 1000000::numeric - sum(extract(epoch FROM upper(r) - lower(r)) * 1000000))
                        / count(*)) FROM month_union),
          'ims.mtbf = (period - clipped union) / number of clipped merged ranges')
  FROM public.tap_metrics_outage;

-- States through text, and combined by hand like Citus combines text states.
CREATE AGGREGATE pg_temp.mean_state(timestamptz, timestamptz) (
    SFUNC = ims.mean_state_accum, STYPE = ims.mean_state, INITCOND = '(0,0)', COMBINEFUNC = ims.mean_state_combine);
CREATE AGGREGATE pg_temp.oset(tstzrange, tstzrange) (
    SFUNC = ims.outage_set_accum, STYPE = ims.outage_set, COMBINEFUNC = ims.outage_set_combine);
CREATE AGGREGATE pg_temp.oset(tstzrange) (
    SFUNC = ims.outage_set_accum, STYPE = ims.outage_set, COMBINEFUNC = ims.outage_set_combine);
CREATE AGGREGATE pg_temp.combine_mean(ims.mean_state) (
    SFUNC = ims.mean_state_combine, STYPE = ims.mean_state);
CREATE AGGREGATE pg_temp.combine_oset(ims.outage_set) (
    SFUNC = ims.outage_set_combine, STYPE = ims.outage_set);

CREATE TEMP TABLE parts AS
SELECT id % 4 AS part,
       pg_temp.mean_state(opened, restored)::text AS mean_text
  FROM public.tap_metrics_inc GROUP BY id % 4;
CREATE TEMP TABLE oparts AS
SELECT id % 4 AS part,
       pg_temp.oset(during, tstzrange('2026-01-01', '2026-02-01'))::text AS oset_text,
       pg_temp.oset(during)::text AS down_text
  FROM public.tap_metrics_outage GROUP BY id % 4;

SELECT is((SELECT count(*) FROM parts WHERE mean_text::ims.mean_state::text <> mean_text), 0::bigint,
          'ims.mean_state text round-trips exactly');
SELECT is((SELECT count(*) FROM oparts
            WHERE oset_text::ims.outage_set::text <> oset_text OR down_text::ims.outage_set::text <> down_text),
          0::bigint, 'ims.outage_set text round-trips exactly');
SELECT ok((SELECT bool_and(length(oset_text) > 1000) FROM oparts), 'the random outage states are not trivial');
SELECT is((SELECT ims.mean_state_mean(pg_temp.combine_mean(mean_text::ims.mean_state)) FROM parts)::text,
          :'mttr_par', 'text states of 4 parts combined = ims.mttr');
SELECT is((SELECT ims.outage_set_availability(pg_temp.combine_oset(oset_text::ims.outage_set)) FROM oparts)::text,
          :'avail_par', 'text states of 4 parts combined = ims.availability');
SELECT is((SELECT ims.outage_set_mtbf(pg_temp.combine_oset(oset_text::ims.outage_set)) FROM oparts)::text,
          :'mtbf_par', 'text states of 4 parts combined = ims.mtbf');
SELECT is((SELECT ims.outage_set_downtime(pg_temp.combine_oset(down_text::ims.outage_set)) FROM oparts)::text,
          :'down_par', 'text states of 4 parts combined = ims.downtime');
SELECT is((SELECT pg_temp.combine_oset(oset_text::ims.outage_set)::text FROM oparts),
          (SELECT pg_temp.oset(during, tstzrange('2026-01-01', '2026-02-01'))::text FROM public.tap_metrics_outage),
          'combined state = serial state, exactly');

-- The state stays bounded by the number of disjoint outages.
SELECT is((SELECT length(pg_temp.oset(tstzrange(t, t + interval '2 hours'), tstzrange('2026-01-01', '2026-02-01'))::text)
             FROM generate_series(timestamptz '2026-01-01', '2026-01-31', interval '1 minute') AS t),
          length('[820540800000000,823219200000000):{[820540800000000,823219200000000)}'),
          '44641 overlapping outages make a one-interval state');

-- Catalog properties.
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.pronamespace = 'ims'::regnamespace AND p.proname IN ('mttr', 'mtta', 'downtime', 'availability', 'mtbf')
              AND p.proparallel = 's' AND a.aggcombinefn <> 0 AND a.aggtranstype <> 'internal'::regtype),
          7::bigint, 'seven parallel-safe aggregates (five, and two business-time variants) with a combine function and a real state type');
SELECT is((SELECT count(*) FROM pg_proc p
            WHERE p.pronamespace = 'ims'::regnamespace
              AND (p.proname LIKE 'mean\_state%' OR p.proname LIKE 'outage\_set%' OR p.prokind = 'a')
              AND (p.proparallel <> 's' OR obj_description(p.oid, 'pg_proc') IS NULL)),
          0::bigint, 'every metric function is parallel safe and has a comment');
SELECT is((SELECT count(*) FROM pg_type WHERE oid IN ('ims.mean_state'::regtype, 'ims.outage_set'::regtype)
              AND obj_description(oid, 'pg_type') IS NOT NULL),
          2::bigint, 'both state types have a comment');

SELECT * FROM finish();
ROLLBACK;
