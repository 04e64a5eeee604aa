-- Benchmark: ims.change_conflicts for a change touching 10 CIs, in a CMDB of
-- 1,000,000 CIs (times :scale) with 10,000 scheduled changes, against the
-- plain SQL a user would write for the same answer: an overlap join for
-- collisions and blackouts plus recursive CTEs for the related CIs and the
-- impacted business services.
--
--   make bench BENCH=50_change                       (scale 1: 1 M CIs)
--   IMS_BENCH_SCALE=0.1 make bench BENCH=50_change   (quick: 100 k CIs)
\set ON_ERROR_STOP 1
SELECT greatest(1000, (1000000 * :scale)::int) AS n_ci \gset
\echo 'change bench: ' :n_ci ' CIs'

-- Load without triggers (no per-row FK checks, no history), as a bulk loader would.
SET session_replication_role = replica;
INSERT INTO ims.ci_class (name, parent) VALUES ('server', NULL), ('database', NULL), ('application', NULL),
    ('service', NULL), ('storage', NULL) ON CONFLICT DO NOTHING;
INSERT INTO ims.ci_class (name, parent) VALUES ('business_service', 'service') ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('depends_on', 'required_by'), ('runs_on', 'runs'),
    ('hosted_on', 'hosts') ON CONFLICT DO NOTHING;

-- Layers: shared storage arrays 0.1% (about 500 servers are hosted on each),
-- servers 50%, databases 20% (each runs on a server), applications 25%
-- (each uses two databases and runs on a server), business services 4.9%
-- (each depends on three applications).
CREATE TEMP TABLE layer AS
SELECT 'storage'::text AS class, 1 AS lo, (:n_ci * 0.001)::int AS hi
UNION ALL SELECT 'server', (:n_ci * 0.001)::int + 1, (:n_ci * 0.50)::int
UNION ALL SELECT 'database', (:n_ci * 0.50)::int + 1, (:n_ci * 0.70)::int
UNION ALL SELECT 'application', (:n_ci * 0.70)::int + 1, (:n_ci * 0.95)::int
UNION ALL SELECT 'business_service', (:n_ci * 0.95)::int + 1, :n_ci;
SELECT lo AS srv_lo, hi AS srv_hi FROM layer WHERE class = 'server' \gset
SELECT lo AS db_lo, hi AS db_hi FROM layer WHERE class = 'database' \gset
SELECT lo AS app_lo, hi AS app_hi FROM layer WHERE class = 'application' \gset
SELECT lo AS svc_lo, hi AS svc_hi FROM layer WHERE class = 'business_service' \gset
SELECT setseed(0.5) \gset
INSERT INTO ims.ci (id, name, class, status)
SELECT g, l.class || '-' || g, l.class, CASE WHEN g % 997 = 0 THEN 'retired' ELSE 'operational' END
  FROM layer l, generate_series(l.lo, l.hi) g;
SELECT setval(pg_get_serial_sequence('ims.ci', 'id'), :n_ci) \gset
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT DISTINCT s, t, ty FROM (
    SELECT g AS s, 1 + (hashint8(g * 3) & 2147483647) % (:srv_lo - 1) AS t, 'hosted_on' AS ty
      FROM generate_series(:srv_lo, :srv_hi) g
    UNION ALL
    SELECT g, :srv_lo + (hashint8(g) & 2147483647) % (:srv_hi - :srv_lo + 1), 'runs_on'
      FROM generate_series(:db_lo, :app_hi) g
    UNION ALL
    SELECT g, :db_lo + (hashint8(g * 7 + k) & 2147483647) % (:db_hi - :db_lo + 1), 'depends_on'
      FROM generate_series(:app_lo, :app_hi) g, generate_series(1, 2) k
    UNION ALL
    SELECT g, :app_lo + (hashint8(g * 13 + k) & 2147483647) % (:app_hi - :app_lo + 1), 'depends_on'
      FROM generate_series(:svc_lo, :svc_hi) g, generate_series(1, 3) k) x;

-- 10,000 scheduled changes (1-3 CIs each, 1-6 hour windows in 2026) and
-- 40,000 closed ones.
INSERT INTO ims.change_request (id, title, type, risk, state, requested_by, planned)
SELECT g, 'bench change ' || g, 'normal', 'moderate',
       CASE WHEN g <= 10000 THEN 'scheduled' ELSE 'closed' END, 'postgres',
       tstzrange(t, t + (1 + g % 6) * interval '1 hour')
  FROM generate_series(1, 50000) g,
       LATERAL (SELECT timestamptz '2026-01-01 00:00+00' + ((hashint4(g) & 2147483647) % (365 * 24)) * interval '1 hour' AS t) x;
SELECT setval(pg_get_serial_sequence('ims.change_request', 'id'), 50000) \gset
INSERT INTO ims.change_ci (change_id, ci_id)
SELECT DISTINCT g, 1 + (hashint8(g * 31 + k) & 2147483647) % :n_ci
  FROM generate_series(1, 50000) g, generate_series(1, 1 + g % 3) k;
INSERT INTO ims.blackout_window (name, period, ci_class, service_id)
SELECT 'freeze ' || g, tstzrange(t, t + interval '2 days'),
       CASE WHEN g % 3 = 1 THEN 'database' END,
       CASE WHEN g % 3 = 2 THEN :svc_lo + g END
  FROM generate_series(1, 30) g,
       LATERAL (SELECT timestamptz '2026-01-01 00:00+00' + g * interval '12 days' AS t) x;

-- The changes under test, each on 10 CIs in a busy week (so they collide
-- with some scheduled changes and the impact reaches many services):
-- 50001 touches two shared storage arrays, four CIs other changes touch and
-- databases and applications; 50002 touches only leaf-level CIs (databases
-- and applications), where a hand-written query is at its best.
INSERT INTO ims.change_request (id, title, type, risk, state, requested_by, planned)
VALUES (50001, 'bench target', 'normal', 'high', 'authorize', 'postgres', '[2026-03-02 00:00+00,2026-03-09 00:00+00)'),
       (50002, 'bench leaf target', 'normal', 'high', 'authorize', 'postgres', '[2026-03-02 00:00+00,2026-03-09 00:00+00)');
INSERT INTO ims.change_ci (change_id, ci_id)
SELECT 50001, ci FROM (
    (SELECT DISTINCT oc.ci_id AS ci FROM ims.change_request o JOIN ims.change_ci oc ON oc.change_id = o.id
      WHERE o.state = 'scheduled' AND o.planned && '[2026-03-02 00:00+00,2026-03-09 00:00+00)' ORDER BY 1 LIMIT 4)
    UNION SELECT generate_series(1, 2)
    UNION SELECT generate_series(:db_lo + 100, :db_lo + 101)
    UNION SELECT generate_series(:app_lo + 200, :app_lo + 201)) u;
INSERT INTO ims.change_ci (change_id, ci_id)
SELECT 50002, ci FROM (
    SELECT generate_series(:db_lo + 300, :db_lo + 304) AS ci
    UNION SELECT generate_series(:app_lo + 400, :app_lo + 404)) u;
RESET session_replication_role;
UPDATE ims.graph_version SET singleton = true;   -- the bulk load bypassed the graph triggers
ANALYZE ims.ci; ANALYZE ims.ci_relation; ANALYZE ims.change_request; ANALYZE ims.change_ci; ANALYZE ims.blackout_window;
SELECT change_id, count(*) AS target_cis FROM ims.change_ci WHERE change_id > 50000 GROUP BY 1 ORDER BY 1;
SELECT 50001 AS change, kind, blocking, count(*) FROM ims.change_conflicts(50001) GROUP BY 1, 2, 3
UNION ALL
SELECT 50002, kind, blocking, count(*) FROM ims.change_conflicts(50002) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- The plain SQL formulation of the same answer.
\set target 50001
\set vname bench.change_plain_50001
-- (one view per change, with the id as a literal, as an application would send it)
CREATE OR REPLACE VIEW :vname AS
WITH me AS (SELECT * FROM ims.change_request WHERE id = :target),
     cis AS (SELECT ci_id FROM ims.change_ci WHERE change_id = :target),
     rel AS (
        WITH RECURSIVE r(start_ci, ci_id, d) AS (
            SELECT ci_id, ci_id, 0 FROM cis
            UNION
            SELECT r.start_ci, CASE WHEN x.source_id = r.ci_id THEN x.target_id ELSE x.source_id END, r.d + 1
              FROM r JOIN ims.ci_relation x ON r.ci_id IN (x.source_id, x.target_id)
             WHERE r.d < 1)
        SELECT start_ci, ci_id, min(d) AS d FROM r GROUP BY 1, 2),
     pol AS (SELECT p.* FROM ims.approval_policy p, me WHERE p.type = me.type AND p.risk = me.risk ORDER BY p.shipped LIMIT 1),
     votes AS (SELECT count(DISTINCT approver) FILTER (WHERE decision = 'approved') AS ok,
                      count(*) FILTER (WHERE decision = 'rejected') AS rej
                 FROM ims.change_approval WHERE change_id = :target AND invalidated_at IS NULL),
     class_up AS (
        WITH RECURSIVE a(ci_id, name) AS (
            SELECT c.id, c.class FROM ims.ci c JOIN cis ON cis.ci_id = c.id
            UNION
            SELECT a.ci_id, k.parent FROM a JOIN ims.ci_class k ON k.name = a.name WHERE k.parent IS NOT NULL)
        SELECT * FROM a),
     svc_deps AS (
        WITH RECURSIVE s(bid, ci_id) AS (
            SELECT b.id, b.service_id FROM ims.blackout_window b, me WHERE b.service_id IS NOT NULL AND b.period && me.planned
            UNION
            SELECT s.bid, x.target_id FROM s JOIN ims.ci_relation x ON x.source_id = s.ci_id),
        u(bid, ci_id) AS (
            SELECT b.id, b.service_id FROM ims.blackout_window b, me WHERE b.service_id IS NOT NULL AND b.period && me.planned
            UNION
            SELECT u.bid, x.source_id FROM u JOIN ims.ci_relation x ON x.target_id = u.ci_id)
        SELECT * FROM s UNION SELECT * FROM u),
     down AS (
        WITH RECURSIVE d(ci_id) AS (
            SELECT ci_id FROM cis
            UNION
            SELECT x.source_id FROM d JOIN ims.ci_relation x ON x.target_id = d.ci_id)
        SELECT * FROM d)
SELECT 'missing_approval' AS kind, NULL::bigint AS ci_id, NULL::bigint AS other_change
  FROM pol, votes WHERE votes.ok < pol.min_approvals
UNION ALL
SELECT 'rejected', NULL, NULL FROM votes WHERE votes.rej > 0
UNION ALL
SELECT 'retired_ci', c.id, NULL FROM ims.ci c JOIN cis ON cis.ci_id = c.id WHERE c.status = 'retired'
UNION ALL
SELECT 'blackout', NULL, b.id FROM ims.blackout_window b, me
 WHERE b.period && me.planned AND b.ci_class IS NULL AND b.service_id IS NULL
UNION ALL
SELECT 'blackout', cu.ci_id, b.id FROM ims.blackout_window b, me, class_up cu
 WHERE b.period && me.planned AND b.ci_class = cu.name
UNION ALL
SELECT 'blackout', sd.ci_id, sd.bid FROM svc_deps sd JOIN cis ON cis.ci_id = sd.ci_id
UNION ALL
SELECT DISTINCT 'collision', rel.start_ci, o.id
  FROM me, ims.change_request o JOIN ims.change_ci oc ON oc.change_id = o.id JOIN rel ON rel.ci_id = oc.ci_id
 WHERE o.id <> me.id AND o.state IN ('scheduled', 'implement') AND o.planned && me.planned
UNION ALL
SELECT 'impact', c.id, NULL FROM down JOIN ims.ci c ON c.id = down.ci_id WHERE c.class = 'business_service';

\set target 50002
\set vname bench.change_plain_50002
-- (one view per change, with the id as a literal, as an application would send it)
CREATE OR REPLACE VIEW :vname AS
WITH me AS (SELECT * FROM ims.change_request WHERE id = :target),
     cis AS (SELECT ci_id FROM ims.change_ci WHERE change_id = :target),
     rel AS (
        WITH RECURSIVE r(start_ci, ci_id, d) AS (
            SELECT ci_id, ci_id, 0 FROM cis
            UNION
            SELECT r.start_ci, CASE WHEN x.source_id = r.ci_id THEN x.target_id ELSE x.source_id END, r.d + 1
              FROM r JOIN ims.ci_relation x ON r.ci_id IN (x.source_id, x.target_id)
             WHERE r.d < 1)
        SELECT start_ci, ci_id, min(d) AS d FROM r GROUP BY 1, 2),
     pol AS (SELECT p.* FROM ims.approval_policy p, me WHERE p.type = me.type AND p.risk = me.risk ORDER BY p.shipped LIMIT 1),
     votes AS (SELECT count(DISTINCT approver) FILTER (WHERE decision = 'approved') AS ok,
                      count(*) FILTER (WHERE decision = 'rejected') AS rej
                 FROM ims.change_approval WHERE change_id = :target AND invalidated_at IS NULL),
     class_up AS (
        WITH RECURSIVE a(ci_id, name) AS (
            SELECT c.id, c.class FROM ims.ci c JOIN cis ON cis.ci_id = c.id
            UNION
            SELECT a.ci_id, k.parent FROM a JOIN ims.ci_class k ON k.name = a.name WHERE k.parent IS NOT NULL)
        SELECT * FROM a),
     svc_deps AS (
        WITH RECURSIVE s(bid, ci_id) AS (
            SELECT b.id, b.service_id FROM ims.blackout_window b, me WHERE b.service_id IS NOT NULL AND b.period && me.planned
            UNION
            SELECT s.bid, x.target_id FROM s JOIN ims.ci_relation x ON x.source_id = s.ci_id),
        u(bid, ci_id) AS (
            SELECT b.id, b.service_id FROM ims.blackout_window b, me WHERE b.service_id IS NOT NULL AND b.period && me.planned
            UNION
            SELECT u.bid, x.source_id FROM u JOIN ims.ci_relation x ON x.target_id = u.ci_id)
        SELECT * FROM s UNION SELECT * FROM u),
     down AS (
        WITH RECURSIVE d(ci_id) AS (
            SELECT ci_id FROM cis
            UNION
            SELECT x.source_id FROM d JOIN ims.ci_relation x ON x.target_id = d.ci_id)
        SELECT * FROM d)
SELECT 'missing_approval' AS kind, NULL::bigint AS ci_id, NULL::bigint AS other_change
  FROM pol, votes WHERE votes.ok < pol.min_approvals
UNION ALL
SELECT 'rejected', NULL, NULL FROM votes WHERE votes.rej > 0
UNION ALL
SELECT 'retired_ci', c.id, NULL FROM ims.ci c JOIN cis ON cis.ci_id = c.id WHERE c.status = 'retired'
UNION ALL
SELECT 'blackout', NULL, b.id FROM ims.blackout_window b, me
 WHERE b.period && me.planned AND b.ci_class IS NULL AND b.service_id IS NULL
UNION ALL
SELECT 'blackout', cu.ci_id, b.id FROM ims.blackout_window b, me, class_up cu
 WHERE b.period && me.planned AND b.ci_class = cu.name
UNION ALL
SELECT 'blackout', sd.ci_id, sd.bid FROM svc_deps sd JOIN cis ON cis.ci_id = sd.ci_id
UNION ALL
SELECT DISTINCT 'collision', rel.start_ci, o.id
  FROM me, ims.change_request o JOIN ims.change_ci oc ON oc.change_id = o.id JOIN rel ON rel.ci_id = oc.ci_id
 WHERE o.id <> me.id AND o.state IN ('scheduled', 'implement') AND o.planned && me.planned
UNION ALL
SELECT 'impact', c.id, NULL FROM down JOIN ims.ci c ON c.id = down.ci_id WHERE c.class = 'business_service';

SELECT 50001 AS change, kind, count(*) FROM bench.change_plain_50001 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT bench.record('change: change_conflicts, 10 CIs incl. 2 shared storage arrays, ' || :n_ci || ' CIs, 10k scheduled changes',
    'SELECT * FROM ims.change_conflicts(50001)',
    'plain SQL: overlap joins + recursive CTEs',
    'SELECT * FROM bench.change_plain_50001',
    'ims >= 10x faster', 10.0, 15);
SELECT 50002 AS change, kind, count(*) FROM bench.change_plain_50002 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT bench.record('change: change_conflicts, 10 leaf CIs (databases, applications), ' || :n_ci || ' CIs',
    'SELECT * FROM ims.change_conflicts(50002)',
    'plain SQL: overlap joins + recursive CTEs',
    'SELECT * FROM bench.change_plain_50002',
    'ims >= 10x faster', 10.0, 15);

-- The scheduling assistant on the same data (information: no baseline):
-- the week-long change, then a 5-hour change on the 10 leaf CIs whose
-- databases may change only on Berlin weeknights and weekends, not at Easter
-- (from Good Friday 02:00 in Berlin the next fit is Tuesday night).
SELECT ims.change_next_slot(50001, '2026-03-02 00:00+00') AS next_slot;
\timing on
SELECT ims.change_next_slot(50001, '2026-03-02 00:00+00') AS next_slot;
\timing off
INSERT INTO ims.maintenance_window (ci_id, cal)
SELECT ci_id, 'tz Europe/Berlin; mon-thu 22:00-06:00; fri 22:00-24:00; sat 00:00-24:00; sun 00:00-24:00; closed 2026-04-03..2026-04-06'
  FROM ims.change_ci WHERE change_id = 50002 AND ci_id BETWEEN :db_lo AND :db_hi;
UPDATE ims.change_request SET planned = '[2026-04-03 00:00+00,2026-04-03 05:00+00)' WHERE id = 50002;
SELECT ims.change_next_slot(50002, '2026-04-03 00:00+00') AS next_slot;
\timing on
SELECT ims.change_next_slot(50002, '2026-04-03 00:00+00') AS next_slot;
\timing off
