-- workflow: ims.workflow_guard on a table of one's own, with exact messages.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
CREATE TABLE ticket (id int PRIMARY KEY, state text, note text);
CREATE TRIGGER ticket_workflow BEFORE INSERT OR UPDATE ON ticket
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('incident', 'state');
-- a NULL state on insert becomes the initial state
INSERT INTO ticket (id) VALUES (1) RETURNING *;
INSERT INTO ticket (id, state) VALUES (2, 'new') RETURNING *;
-- inserts must start in the initial state
INSERT INTO ticket (id, state) VALUES (3, 'closed');
-- defined transitions pass, unchanged states pass, other columns are free
UPDATE ticket SET state = 'in_progress' WHERE id = 1 RETURNING *;
UPDATE ticket SET note = 'looking' WHERE id = 1 RETURNING *;
UPDATE ticket SET state = 'on_hold' WHERE id = 1 RETURNING *;
UPDATE ticket SET state = 'in_progress' WHERE id = 1 RETURNING *;
-- illegal transitions: IM001 names the row, from and to; the hint lists targets
UPDATE ticket SET state = 'closed' WHERE id = 1;
UPDATE ticket SET state = 'resolved' WHERE id = 1;
UPDATE ticket SET state = 'closed' WHERE id = 1;
UPDATE ticket SET state = 'in_progress' WHERE id = 1;
-- a final state: nothing leaves it
UPDATE ticket SET state = 'closed' WHERE id = 1;
UPDATE ticket SET state = 'resolved' WHERE id = 1;
-- unknown and NULL states
UPDATE ticket SET state = 'open' WHERE id = 2;
INSERT INTO ticket (id, state) VALUES (4, 'nonsense');
UPDATE ticket SET state = NULL WHERE id = 2;
SELECT * FROM ticket ORDER BY id;
-- role-gated transition: cancel needs ims_agent
CREATE ROLE wf_caller;
GRANT ALL ON ticket TO wf_caller;
SET ROLE wf_caller;
UPDATE ticket SET state = 'cancelled' WHERE id = 2;
RESET ROLE;
GRANT ims_agent TO wf_caller;
SET ROLE wf_caller;
UPDATE ticket SET state = 'cancelled' WHERE id = 2 RETURNING *;
RESET ROLE;
-- a table without a primary key is named by ctid
CREATE TABLE nokey (state text);
CREATE TRIGGER nokey_workflow BEFORE INSERT OR UPDATE ON nokey
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('change', 'state');
INSERT INTO nokey VALUES (NULL);
UPDATE nokey SET state = 'implement';
-- an enum state column works as well
CREATE TYPE change_state AS ENUM ('new', 'assess', 'authorize', 'scheduled', 'implement', 'review', 'closed', 'cancelled');
CREATE TABLE enumtab (id int PRIMARY KEY, state change_state);
CREATE TRIGGER enumtab_workflow BEFORE INSERT OR UPDATE ON enumtab
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('change', 'state');
INSERT INTO enumtab VALUES (1, NULL) RETURNING *;
UPDATE enumtab SET state = 'assess' RETURNING *;
UPDATE enumtab SET state = 'review';
-- misuse is reported when the trigger fires
CREATE TABLE misuse (id int PRIMARY KEY, state text);
CREATE TRIGGER misuse_wf BEFORE INSERT ON misuse
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('no_such_workflow', 'state');
INSERT INTO misuse VALUES (1, 'new');
DROP TRIGGER misuse_wf ON misuse;
CREATE TRIGGER misuse_wf BEFORE INSERT ON misuse
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('incident', 'status');
INSERT INTO misuse VALUES (1, 'new');
DROP TRIGGER misuse_wf ON misuse;
CREATE TRIGGER misuse_wf BEFORE INSERT ON misuse
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('incident');
INSERT INTO misuse VALUES (1, 'new');
DROP TRIGGER misuse_wf ON misuse;
CREATE TRIGGER misuse_wf AFTER INSERT ON misuse
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('incident', 'state');
INSERT INTO misuse VALUES (1, 'new');
DROP TRIGGER misuse_wf ON misuse;
SELECT ims.workflow_guard();
-- a DBA extends a shipped workflow; the rule applies at once in this transaction
BEGIN;
INSERT INTO ims.workflow_state (workflow, state, category) VALUES ('incident', 'awaiting_vendor', 'paused');
INSERT INTO ims.workflow_transition (workflow, from_state, to_state) VALUES
    ('incident', 'new', 'awaiting_vendor'), ('incident', 'awaiting_vendor', 'in_progress');
INSERT INTO ticket (id) VALUES (5);
UPDATE ticket SET state = 'awaiting_vendor' WHERE id = 5 RETURNING *;
SELECT ims.workflow_state_category('incident', 'awaiting_vendor');
ROLLBACK;
SELECT ims.workflow_state_category('incident', 'awaiting_vendor') IS NULL AS gone_after_rollback;
-- shipped rows: deleting is refused, editing turns the row into the DBA's own
DELETE FROM ims.workflow_transition WHERE workflow = 'incident' AND from_state = 'new' AND to_state = 'resolved';
BEGIN;
UPDATE ims.workflow_transition SET enabled = false
 WHERE workflow = 'incident' AND from_state = 'new' AND to_state = 'resolved'
RETURNING workflow, from_state, to_state, enabled, shipped;
INSERT INTO ticket (id) VALUES (6);
UPDATE ticket SET state = 'resolved' WHERE id = 6;
ROLLBACK;
SELECT * FROM ims.workflow_targets('incident', 'new');
SELECT ims.workflow_state_category('incident', s) AS category, s AS state
  FROM unnest(ARRAY['new', 'on_hold', 'resolved', 'closed', 'cancelled', 'nope']) s;
DROP TABLE ticket, nokey, enumtab, misuse;
DROP TYPE change_state;
DROP ROLE wf_caller;
