-- Move a random open incident one legal step along the incident workflow
-- (new -> in_progress -> on_hold / resolved -> closed, reopen sometimes),
-- sometimes to another group or with another impact.
-- The row is locked first, so concurrent clients never race on one incident.
\set n :n + 1
\set r random(0, 9)
\set pick random(0, 1000000)
BEGIN;
WITH cur AS (
    SELECT id, state FROM ims.incident
     WHERE id >= (SELECT (max(id) * (:pick / 1000000.0))::bigint FROM ims.incident)
       AND state NOT IN ('closed', 'cancelled')
     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED),
u AS (
    UPDATE ims.incident i
       SET state = CASE cur.state
                     WHEN 'new' THEN CASE WHEN :r = 0 THEN 'cancelled' ELSE 'in_progress' END
                     WHEN 'in_progress' THEN CASE WHEN :r < 3 THEN 'on_hold' ELSE 'resolved' END
                     WHEN 'on_hold' THEN 'in_progress'
                     WHEN 'resolved' THEN CASE WHEN :r < 2 THEN 'in_progress' ELSE 'closed' END
                   END,
           resolution_code = CASE WHEN cur.state IN ('in_progress') AND :r >= 3 THEN 'fixed' ELSE i.resolution_code END,
           assignee = 'agent' || :client_id,
           -- now and then a new group (an OLA starts or pauses) or impact
           -- (a new priority: the clocks are rebuilt from the history)
           assignment_group = CASE WHEN :r = 9 THEN 'grp' || (:pick % 5) ELSE i.assignment_group END,
           impact = CASE WHEN :r = 8 THEN 1 + :pick % 3 ELSE i.impact END
      FROM cur WHERE i.id = cur.id
    RETURNING 1)
INSERT INTO load.marker (client, n, script, rows) SELECT :client_id, :n, 'incident_work', count(*) FROM u;
COMMIT;
