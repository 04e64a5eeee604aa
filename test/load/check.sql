-- test/load/check.sql — invariants after a load run (and after a crash and
-- restart).  One row per invariant: name, ok, detail.  Needs load.txlog filled
-- from pgbench's --log files and psql variable :expect_exact (1 when the run
-- was not interrupted, so counts must match exactly).
CREATE TEMP TABLE inv (name text, ok bool, detail text);

-- Every transaction pgbench saw committed is there: per client, the logged
-- transactions are numbered 1..k, and markers 1..k all exist.
INSERT INTO inv
SELECT 'every committed transaction is present',
       coalesce(bool_and(found = k), true),
       coalesce(sum(k), 0) || ' logged as committed, ' || coalesce(sum(found), 0) || ' found, '
         || coalesce(sum(k - found), 0) || ' missing'
  FROM (SELECT c.client, c.k,
               (SELECT count(*) FROM load.marker m WHERE m.client = c.client AND m.n <= c.k) AS found
          FROM (SELECT l.client, count(*) AS k FROM load.txlog l
                 WHERE l.latency ~ '^[0-9]+$' GROUP BY l.client) c) s;

INSERT INTO inv
SELECT 'markers equal committed transactions' || CASE WHEN :expect_exact = 1 THEN '' ELSE ' (at most one unacknowledged per client)' END,
       CASE WHEN :expect_exact = 1 THEN m = l ELSE m >= l AND m <= l + (SELECT count(DISTINCT client) FROM load.txlog) END,
       m || ' markers, ' || l || ' committed transactions in the pgbench log'
  FROM (SELECT count(*) AS m FROM load.marker) a, (SELECT count(*) AS l FROM load.txlog WHERE latency ~ '^[0-9]+$') b;

-- Rows written equal what the committed transactions say they wrote.
INSERT INTO inv
SELECT 'CIs inserted = ci_insert transactions', a = b, a || ' CIs, ' || b || ' transactions'
  FROM (SELECT count(*) AS a FROM ims.ci WHERE name LIKE 'load-%') x,
       (SELECT count(*) AS b FROM load.marker WHERE script = 'ci_insert') y;
INSERT INTO inv
SELECT 'relations inserted = relation rows reported', a = b, a || ' relations, ' || b || ' reported'
  FROM (SELECT count(*) AS a FROM ims.ci_relation r JOIN ims.ci c ON c.id = r.source_id WHERE c.name LIKE 'load-%') x,
       (SELECT coalesce(sum(rows - 1), 0) AS b FROM load.marker WHERE script = 'ci_insert') y;
INSERT INTO inv
SELECT 'each new CI is named after its own transaction', count(*) = 0, count(*) || ' CIs without a marker'
  FROM ims.ci c WHERE c.name LIKE 'load-%'
   AND NOT EXISTS (SELECT 1 FROM load.marker m WHERE c.name = 'load-' || m.client || '-' || m.n AND m.script = 'ci_insert');

-- The heap and indexes agree (amcheck, when available).
INSERT INTO inv
SELECT 'ims B-tree indexes verify (amcheck)', true, count(*) || ' indexes checked'
  FROM (SELECT bt_index_check(i.indexrelid, true)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
         WHERE a.amname = 'btree' AND c.relnamespace IN ('ims'::regnamespace, 'load'::regnamespace)) s;


-- Incidents: one per incident_open transaction, one history row per insert
-- and per successful step, and the current row equals the replay of its
-- history (state chain unbroken; every column the last event set).
INSERT INTO inv
SELECT 'incidents inserted = incident_open transactions', a = b, a || ' incidents, ' || b || ' transactions'
  FROM (SELECT count(*) AS a FROM ims.incident WHERE title LIKE 'load %') x,
       (SELECT coalesce(sum(rows), 0) AS b FROM load.marker WHERE script = 'incident_open') y;
INSERT INTO inv
SELECT 'history rows = inserts + workflow steps', a = b, a || ' events, ' || b || ' expected'
  FROM (SELECT count(*) AS a FROM ims.incident_event) x,
       (SELECT coalesce(sum(rows), 0) AS b FROM load.marker WHERE script IN ('incident_open', 'incident_work')) y;
INSERT INTO inv
SELECT 'state chain in every history is unbroken', count(*) = 0, count(*) || ' breaks'
  FROM (SELECT from_state, lag(to_state) OVER (PARTITION BY incident_id ORDER BY id) AS prev
          FROM ims.incident_event) e
 WHERE from_state IS DISTINCT FROM prev;
WITH replay AS (
    SELECT incident_id, jsonb_strip_nulls(jsonb_object_agg(key, val)) AS row
      FROM (SELECT DISTINCT ON (e.incident_id, c.key) e.incident_id, c.key, c.value -> 1 AS val
              FROM ims.incident_event e, jsonb_each(e.changes) c
             ORDER BY e.incident_id, c.key, e.id DESC) last
     GROUP BY incident_id)
INSERT INTO inv
SELECT 'every incident equals the replay of its incident_event history', count(*) = 0,
       count(*) || ' differ of ' || (SELECT count(*) FROM ims.incident)
  FROM ims.incident i LEFT JOIN replay r ON r.incident_id = i.id
 WHERE r.row IS DISTINCT FROM jsonb_strip_nulls(to_jsonb(i) - 'updated_at' - 'updated_by');

-- Changes: one per change transaction; scheduled ones as reported; none
-- scheduled with a blocking conflict; every scheduled change holds an
-- approval by someone other than its requester.
INSERT INTO inv
SELECT 'changes filed = change transactions', a = b, a || ' changes, ' || b || ' transactions'
  FROM (SELECT count(*) AS a FROM ims.change_request WHERE title LIKE 'load %') x,
       (SELECT count(*) AS b FROM load.marker WHERE script = 'change') y;
INSERT INTO inv
SELECT 'changes scheduled = transactions that reported scheduling', a = b,
       a || ' scheduled, ' || b || ' reported, ' || (SELECT count(*) FROM ims.change_request WHERE state = 'cancelled') || ' cancelled on a collision'
  FROM (SELECT count(*) AS a FROM ims.change_request WHERE state = 'scheduled') x,
       (SELECT coalesce(sum(rows), 0) AS b FROM load.marker WHERE script = 'change') y;
INSERT INTO inv
SELECT 'no change is scheduled with a blocking conflict', count(*) = 0,
       count(*) || ' blocking conflicts on ' || (SELECT count(*) FROM ims.change_request WHERE state = 'scheduled') || ' scheduled changes'
  FROM ims.change_request c CROSS JOIN LATERAL ims.change_conflicts(c.id) x
 WHERE c.state = 'scheduled' AND x.blocking;
INSERT INTO inv
SELECT 'no two scheduled changes overlap on one CI', count(*) = 0, count(*) || ' overlapping pairs'
  FROM ims.change_request a JOIN ims.change_ci ac ON ac.change_id = a.id
  JOIN ims.change_ci bc ON bc.ci_id = ac.ci_id AND bc.change_id > a.id
  JOIN ims.change_request b ON b.id = bc.change_id
 WHERE a.state = 'scheduled' AND b.state = 'scheduled' AND a.planned && b.planned;
INSERT INTO inv
SELECT 'every scheduled change has an approval by someone else', count(*) = 0, count(*) || ' without'
  FROM ims.change_request c
 WHERE c.state = 'scheduled'
   AND NOT EXISTS (SELECT 1 FROM ims.change_approval a WHERE a.change_id = c.id AND a.decision = 'approved'
                      AND a.approver <> c.requested_by AND a.invalidated_at IS NULL);

-- SLA clocks: after a tick at the check's now(), every clock (state,
-- elapsed time, due time, breach, next threshold) equals what
-- ims.sla_rebuild() replays from the incident histories (ticked at the same
-- instant); and no threshold was recorded twice.  Rolled back.
BEGIN;
SELECT ims.sla_tick(now()) AS sla_ticked \gset
CREATE TEMP TABLE sla_live AS
SELECT incident_id, policy_id, calendar_id, clock::text AS clock, due_at, breached_at, next_threshold, next_check_at
  FROM ims.incident_sla;
SELECT ims.sla_rebuild() AS sla_rebuilt \gset
SELECT ims.sla_tick(now()) AS sla_ticked2 \gset
CREATE TEMP TABLE sla_replayed AS
SELECT incident_id, policy_id, calendar_id, clock::text AS clock, due_at, breached_at, next_threshold, next_check_at
  FROM ims.incident_sla;
SELECT (SELECT count(*) FROM sla_live) AS sla_clocks,
       (SELECT count(*) FROM sla_live WHERE breached_at IS NOT NULL) AS sla_breached,
       (SELECT count(*) FROM ((SELECT * FROM sla_live EXCEPT ALL SELECT * FROM sla_replayed)
                              UNION ALL (SELECT * FROM sla_replayed EXCEPT ALL SELECT * FROM sla_live)) d) AS sla_diff \gset
ROLLBACK;
INSERT INTO inv
SELECT 'every SLA clock equals ims.sla_rebuild''s replay of its history', :sla_diff = 0 AND :sla_clocks > 0,
       :sla_clocks || ' clocks of ' || :sla_rebuilt || ' incidents (' || :sla_breached || ' breached), ' || :sla_diff || ' rows differ';
INSERT INTO inv
SELECT 'SLA events: each threshold of a clock recorded once', count(*) = 0,
       (SELECT count(*) FROM ims.sla_event) || ' events, ' || count(*) || ' duplicates'
  FROM (SELECT 1 FROM ims.sla_event GROUP BY incident_id, policy_id, kind, threshold HAVING count(*) > 1) d;

SELECT name, ok, detail FROM inv;
