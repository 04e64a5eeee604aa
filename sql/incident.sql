-- incident: ims.incident's triggers, history and messages.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET ims.event_time = '2026-03-02 09:00:00+00';
INSERT INTO ims.incident (title, impact, urgency) VALUES ('Mail is down', 1, 2)
RETURNING id, number, state, impact, urgency, priority, opened_at, acknowledged_at, reopen_count;
SET ims.event_time = '2026-03-02 09:05:00+00';
UPDATE ims.incident SET state = 'in_progress', assignment_group = 'messaging' WHERE id = 1
RETURNING state, acknowledged_at, assignment_group;
SET ims.event_time = '2026-03-02 09:30:00+00';
-- resolving needs a resolution code (IM004)
UPDATE ims.incident SET state = 'resolved' WHERE id = 1;
UPDATE ims.incident SET state = 'resolved', resolution_code = 'restarted' WHERE id = 1
RETURNING state, resolved_at, resolution_code;
SET ims.event_time = '2026-03-02 10:00:00+00';
-- a reopen clears resolved_at and counts
UPDATE ims.incident SET state = 'in_progress' WHERE id = 1 RETURNING state, resolved_at, reopen_count;
SET ims.event_time = '2026-03-02 11:00:00+00';
UPDATE ims.incident SET state = 'resolved' WHERE id = 1 RETURNING state, resolved_at;
SET ims.event_time = '2026-03-05 11:00:00+00';
UPDATE ims.incident SET state = 'closed' WHERE id = 1 RETURNING state, resolved_at, closed_at;
RESET ims.event_time;
SELECT id, incident_id, at, actor, from_state, to_state, changes
  FROM ims.incident_event ORDER BY id;
-- priority comes from the matrix
UPDATE ims.incident SET priority = 1 WHERE id = 1;
INSERT INTO ims.incident (title, priority) VALUES ('wrong priority', 1);
INSERT INTO ims.incident (title, impact) VALUES ('bad impact', 4);
BEGIN;
UPDATE ims.priority_matrix SET priority = 4 WHERE impact = 2 AND urgency = 2 RETURNING *;
INSERT INTO ims.incident (title, impact, urgency) VALUES ('matrix edit', 2, 2) RETURNING number, priority;
ROLLBACK;
-- stamped columns belong to the triggers
UPDATE ims.incident SET closed_at = now() WHERE id = 1;
INSERT INTO ims.incident (title, resolved_at) VALUES ('preresolved', now());
-- the history is append-only, for the owner too
UPDATE ims.incident_event SET actor = 'someone else';
DELETE FROM ims.incident_event;
TRUNCATE ims.incident_event;
-- incidents are cancelled or closed, never deleted
DELETE FROM ims.incident WHERE id = 1;
-- backdating is for ims_admin members only
CREATE ROLE inc_agent IN ROLE ims_agent;
SET ROLE inc_agent;
SET ims.event_time = '2020-01-01';
INSERT INTO ims.incident (title) VALUES ('by an agent') RETURNING number, state, priority, updated_by;
UPDATE ims.incident_event SET actor = 'x';
INSERT INTO ims.incident_event (incident_id, at, actor, to_state, changes) VALUES (1, now(), 'forger', 'closed', '{}');
RESET ROLE;
-- a value set by an admin cannot be used by anyone else
SET ims.event_time = '2020-01-01';
SET ROLE inc_agent;
UPDATE ims.incident SET state = 'in_progress' WHERE number = 'INC0000006';
RESET ROLE;
RESET ims.event_time;
SELECT count(*) AS events FROM ims.incident_event;
DROP OWNED BY inc_agent;
DROP ROLE inc_agent;
