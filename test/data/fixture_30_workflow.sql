-- Backup fixture (test/backup_check.sh): a DBA's own workflow rows, an edited
-- shipped transition and matrix cell, and incidents in several states with
-- their history.
INSERT INTO ims.workflow_state (workflow, state, category) VALUES ('incident', 'awaiting_vendor', 'paused');
INSERT INTO ims.workflow_transition (workflow, from_state, to_state) VALUES
  ('incident', 'in_progress', 'awaiting_vendor'), ('incident', 'awaiting_vendor', 'in_progress');
UPDATE ims.workflow_transition SET required_role = 'ims_admin'
 WHERE workflow = 'incident' AND from_state = 'resolved' AND to_state = 'closed';
UPDATE ims.workflow_transition SET enabled = false
 WHERE workflow = 'change' AND from_state = 'review' AND to_state = 'cancelled';
UPDATE ims.priority_matrix SET priority = 2 WHERE impact = 2 AND urgency = 2;
SET ims.event_time = '2026-01-05 08:00+00';
INSERT INTO ims.incident (title, impact, urgency) VALUES ('fx open', 2, 2), ('fx vendor', 1, 1), ('fx closed', 3, 3);
SET ims.event_time = '2026-01-05 09:00+00';
UPDATE ims.incident SET state = 'in_progress' WHERE title IN ('fx vendor', 'fx closed');
UPDATE ims.incident SET state = 'awaiting_vendor' WHERE title = 'fx vendor';
SET ims.event_time = '2026-01-05 10:00+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE title = 'fx closed';
SET ims.event_time = '2026-01-06 10:00+00';
UPDATE ims.incident SET state = 'closed' WHERE title = 'fx closed';
RESET ims.event_time;
