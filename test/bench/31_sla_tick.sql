-- Benchmark: ims.sla_tick() when nothing is due, with 1,000 and with
-- 1,000,000 running clocks.  It finds due clocks through the index on
-- incident_sla.next_check_at, so its cost must not grow with the number of
-- clocks (goal: at most 2x the cost with 1,000 clocks; ratio = ms with 1,000
-- / ms with 1,000,000, at least 0.5).
SET client_min_messages = warning;
INSERT INTO ims.sla_policy (name, metric, target) VALUES ('bench tick 30 days', 'resolution', '720 hours');
CREATE TEMP TABLE tick_policy AS SELECT id FROM ims.sla_policy WHERE name = 'bench tick 30 days';

-- Clocks are written directly (as if their incidents existed), running and
-- due in 30 days, so no tick finds anything to do.
CREATE FUNCTION pg_temp.add_clocks(lo bigint, hi bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ims.incident_sla (incident_id, policy_id, calendar_id, clock, due_at, next_threshold, next_check_at, changed_at)
    SELECT 100000000 + g, (SELECT id FROM tick_policy), NULL,
           ims.sla_start('720 hours', now()), now() + interval '30 days', 0.5, now() + interval '15 days', now()
      FROM generate_series(lo, hi) g
$$;
SELECT pg_temp.add_clocks(1, 1000);
ANALYZE ims.incident_sla;
SELECT ims.sla_tick();      -- warm
CREATE TEMP TABLE tick_small AS SELECT bench.time_ms('SELECT ims.sla_tick()', 21) AS ms;
SELECT pg_temp.add_clocks(1001, 1000000 * :scale);
ANALYZE ims.incident_sla;
SELECT ims.sla_tick();      -- warm
CREATE TEMP TABLE tick_large AS SELECT bench.time_ms('SELECT ims.sla_tick()', 21) AS ms;
INSERT INTO bench.result (bench, ims_ms, baseline, baseline_ms, goal, met)
SELECT 'ims.sla_tick(), ' || (SELECT count(*) FROM ims.incident_sla) || ' running clocks, none due',
       l.ms, 'ims.sla_tick(), 1000 running clocks, none due', s.ms,
       'at most 2x the cost with 1,000 clocks', s.ms / greatest(l.ms, 0.001) >= 0.5
  FROM tick_small s, tick_large l;
EXPLAIN (COSTS OFF) SELECT x.incident_id, x.policy_id FROM ims.incident_sla x WHERE x.next_check_at <= now() ORDER BY x.next_check_at;
DELETE FROM ims.incident_sla WHERE incident_id > 100000000;
