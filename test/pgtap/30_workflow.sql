-- pgTAP: the shipped workflows, transition by transition, and the guard's rules.
BEGIN;
SELECT plan(157);

-- What SPEC section 3 and doc/workflows.md promise, written out independently
-- of the seed rows: (workflow, from, to, role).
CREATE TEMP TABLE expected_transition (workflow text, from_state text, to_state text, required_role text);
INSERT INTO expected_transition VALUES
  ('incident', 'new', 'in_progress', NULL), ('incident', 'new', 'on_hold', NULL),
  ('incident', 'new', 'resolved', NULL), ('incident', 'new', 'cancelled', 'ims_agent'),
  ('incident', 'in_progress', 'on_hold', NULL), ('incident', 'on_hold', 'in_progress', NULL),
  ('incident', 'in_progress', 'resolved', NULL), ('incident', 'on_hold', 'resolved', NULL),
  ('incident', 'in_progress', 'cancelled', 'ims_agent'), ('incident', 'on_hold', 'cancelled', 'ims_agent'),
  ('incident', 'resolved', 'closed', NULL), ('incident', 'resolved', 'in_progress', NULL),
  ('problem', 'new', 'assess', NULL), ('problem', 'assess', 'new', NULL),
  ('problem', 'assess', 'root_cause_analysis', NULL), ('problem', 'root_cause_analysis', 'fix_in_progress', NULL),
  ('problem', 'root_cause_analysis', 'resolved', NULL), ('problem', 'fix_in_progress', 'root_cause_analysis', NULL),
  ('problem', 'fix_in_progress', 'resolved', NULL), ('problem', 'resolved', 'fix_in_progress', NULL),
  ('problem', 'resolved', 'closed', 'ims_agent'),
  ('problem', 'new', 'cancelled', NULL), ('problem', 'assess', 'cancelled', NULL),
  ('problem', 'root_cause_analysis', 'cancelled', NULL), ('problem', 'fix_in_progress', 'cancelled', NULL),
  ('change', 'new', 'assess', NULL), ('change', 'assess', 'new', NULL), ('change', 'assess', 'authorize', NULL),
  ('change', 'authorize', 'assess', NULL), ('change', 'authorize', 'scheduled', 'ims_change_manager'),
  ('change', 'scheduled', 'authorize', NULL), ('change', 'scheduled', 'implement', NULL),
  ('change', 'implement', 'review', NULL), ('change', 'review', 'closed', NULL),
  ('change', 'new', 'cancelled', NULL), ('change', 'assess', 'cancelled', NULL),
  ('change', 'authorize', 'cancelled', NULL), ('change', 'scheduled', 'cancelled', NULL),
  ('change', 'implement', 'cancelled', NULL), ('change', 'review', 'cancelled', NULL);

SELECT set_eq(
  'SELECT workflow, from_state, to_state, required_role FROM ims.workflow_transition WHERE enabled',
  'SELECT * FROM expected_transition',
  'the shipped transitions are exactly the documented ones');
SELECT set_eq(
  'SELECT workflow, state, category FROM ims.workflow_state',
  $$VALUES ('incident', 'new', 'open'), ('incident', 'in_progress', 'open'), ('incident', 'on_hold', 'paused'),
           ('incident', 'resolved', 'resolved'), ('incident', 'closed', 'closed'), ('incident', 'cancelled', 'cancelled'),
           ('problem', 'new', 'open'), ('problem', 'assess', 'open'), ('problem', 'root_cause_analysis', 'open'),
           ('problem', 'fix_in_progress', 'open'), ('problem', 'resolved', 'resolved'), ('problem', 'closed', 'closed'),
           ('problem', 'cancelled', 'cancelled'),
           ('change', 'new', 'open'), ('change', 'assess', 'open'), ('change', 'authorize', 'open'),
           ('change', 'scheduled', 'open'), ('change', 'implement', 'open'), ('change', 'review', 'open'),
           ('change', 'closed', 'closed'), ('change', 'cancelled', 'cancelled')$$,
  'the shipped states and their categories');
SELECT set_eq('SELECT name, initial_state FROM ims.workflow',
  $$VALUES ('incident', 'new'), ('problem', 'new'), ('change', 'new')$$, 'the shipped workflows start in new');
SELECT ok(bool_and(shipped), 'every seeded row is marked shipped') FROM (
  SELECT shipped FROM ims.workflow UNION ALL SELECT shipped FROM ims.workflow_state
  UNION ALL SELECT shipped FROM ims.workflow_transition) s;

-- Every ordered pair of distinct states of every shipped workflow, on a table
-- of our own: rows are put in the from-state with the trigger off, then
-- moved with it on.  Allowed pairs must pass, every other pair must fail IM001.
CREATE TEMP TABLE item (id serial PRIMARY KEY, workflow text, from_state text, to_state text, state text);
INSERT INTO item (workflow, from_state, to_state, state)
SELECT a.workflow, a.state, b.state, a.state
  FROM ims.workflow_state a JOIN ims.workflow_state b ON a.workflow = b.workflow AND a.state <> b.state
 ORDER BY 1, 2, 3;
CREATE FUNCTION pg_temp.guarded(wf text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TEMP TABLE item_%s (id int PRIMARY KEY, state text)', wf);
  EXECUTE format('INSERT INTO item_%s SELECT id, state FROM item WHERE workflow = %L', wf, wf);
  EXECUTE format('CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON item_%s FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard(%L, %L)',
                 wf, wf, 'state');
END $$;
SELECT pg_temp.guarded('incident'), pg_temp.guarded('problem'), pg_temp.guarded('change');

SELECT CASE WHEN e.workflow IS NOT NULL
            THEN lives_ok(format('UPDATE item_%s SET state = %L WHERE id = %s', i.workflow, i.to_state, i.id),
                          format('%s: %s -> %s is allowed', i.workflow, i.from_state, i.to_state))
            ELSE throws_ok(format('UPDATE item_%s SET state = %L WHERE id = %s', i.workflow, i.to_state, i.id),
                           'IM001', NULL, format('%s: %s -> %s is refused (IM001)', i.workflow, i.from_state, i.to_state))
       END
  FROM item i LEFT JOIN expected_transition e USING (workflow, from_state, to_state)
 WHERE i.workflow IN ('incident', 'problem', 'change')
 ORDER BY i.id;

-- Role-gated transitions: refused (42501) for a non-member, allowed for a member.
CREATE ROLE wf_tap_nobody;
CREATE ROLE wf_tap_agent IN ROLE ims_agent;
CREATE ROLE wf_tap_cm IN ROLE ims_change_manager;
GRANT ALL ON item_incident, item_problem, item_change TO wf_tap_nobody, wf_tap_agent, wf_tap_cm;
INSERT INTO item_incident VALUES (1001, 'new'), (1002, 'new');
UPDATE item_incident SET state = 'in_progress' WHERE id = 1002;
INSERT INTO item_problem VALUES (1001, 'new');
UPDATE item_problem SET state = 'assess' WHERE id = 1001;
UPDATE item_problem SET state = 'root_cause_analysis' WHERE id = 1001;
UPDATE item_problem SET state = 'resolved' WHERE id = 1001;
INSERT INTO item_change VALUES (1001, 'new');
UPDATE item_change SET state = 'assess' WHERE id = 1001;
UPDATE item_change SET state = 'authorize' WHERE id = 1001;
SET LOCAL ROLE wf_tap_nobody;
SELECT throws_ok('UPDATE item_incident SET state = ''cancelled'' WHERE id = 1001', '42501', NULL,
                 'incident new -> cancelled needs ims_agent');
SELECT throws_ok('UPDATE item_problem SET state = ''closed'' WHERE id = 1001', '42501', NULL,
                 'problem resolved -> closed needs ims_agent');
SELECT throws_ok('UPDATE item_change SET state = ''scheduled'' WHERE id = 1001', '42501', NULL,
                 'change authorize -> scheduled needs ims_change_manager');
SELECT lives_ok('UPDATE item_incident SET state = ''on_hold'' WHERE id = 1002', 'ungated transitions need no role');
RESET ROLE;
SET LOCAL ROLE wf_tap_agent;
SELECT lives_ok('UPDATE item_incident SET state = ''cancelled'' WHERE id = 1001', 'an agent may cancel an incident');
SELECT throws_ok('UPDATE item_change SET state = ''scheduled'' WHERE id = 1001', '42501', NULL,
                 'an agent may not authorise a change');
RESET ROLE;
SET LOCAL ROLE wf_tap_cm;
SELECT lives_ok('UPDATE item_change SET state = ''scheduled'' WHERE id = 1001', 'a change manager may authorise a change');
RESET ROLE;

-- Inserts, unknown and NULL states; a failed statement leaves the row as it was.
SELECT lives_ok('INSERT INTO item_change VALUES (2001, NULL)', 'insert with NULL state');
SELECT is((SELECT state FROM item_change WHERE id = 2001), 'new', 'a NULL state on insert becomes the initial state');
SELECT throws_ok('INSERT INTO item_change VALUES (2002, ''assess'')', 'IM001', NULL, 'insert outside the initial state is IM001');
SELECT throws_ok('INSERT INTO item_change VALUES (2003, ''bogus'')', '23514', NULL, 'insert with an unknown state is 23514');
SELECT throws_ok('UPDATE item_change SET state = ''bogus'' WHERE id = 2001', '23514', NULL, 'update to an unknown state is 23514');
SELECT throws_ok('UPDATE item_change SET state = NULL WHERE id = 2001', '23502', NULL, 'update to NULL is 23502');
SELECT is((SELECT state FROM item_change WHERE id = 2001), 'new', 'the refused updates left the row alone');
SELECT lives_ok('UPDATE item_change SET state = ''new'' WHERE id = 2001', 'an unchanged state passes');

-- A DBA's rule applies at once in the same transaction; disabling a shipped one too.
INSERT INTO ims.workflow_state (workflow, state, category) VALUES ('change', 'on_hold', 'paused');
INSERT INTO ims.workflow_transition (workflow, from_state, to_state) VALUES ('change', 'new', 'on_hold');
SELECT lives_ok('UPDATE item_change SET state = ''on_hold'' WHERE id = 2001', 'a transition added in this transaction applies at once');
SELECT is(ims.workflow_state_category('change', 'on_hold'), 'paused', 'so does a new state''s category');
UPDATE ims.workflow_transition SET enabled = false WHERE workflow = 'change' AND from_state = 'new' AND to_state = 'assess';
INSERT INTO item_change VALUES (2004, NULL);
SELECT throws_ok('UPDATE item_change SET state = ''assess'' WHERE id = 2004', 'IM001', NULL, 'a disabled transition is refused');
SELECT is((SELECT shipped FROM ims.workflow_transition WHERE workflow = 'change' AND from_state = 'new' AND to_state = 'assess'),
          false, 'an edited shipped row becomes the DBA''s (dumped) row');
SELECT throws_ok($$DELETE FROM ims.workflow_transition WHERE workflow = 'change' AND from_state = 'assess' AND to_state = 'new'$$,
                 '55000', NULL, 'deleting a shipped row is refused');
-- The restore path: inserting a row with a shipped key replaces the shipped row.
INSERT INTO ims.workflow_transition (workflow, from_state, to_state, required_role, enabled)
VALUES ('change', 'review', 'closed', 'ims_admin', true);
SELECT is((SELECT required_role || '/' || shipped FROM ims.workflow_transition
            WHERE workflow = 'change' AND from_state = 'review' AND to_state = 'closed'),
          'ims_admin/false', 'inserting over a shipped key edits that row (what a restore does)');

-- A rule added in a savepoint and rolled back is forgotten at once.
INSERT INTO item_change VALUES (2005, NULL);
SAVEPOINT before_rule;
INSERT INTO ims.workflow_transition (workflow, from_state, to_state) VALUES ('change', 'new', 'review');
SELECT lives_ok('UPDATE item_change SET state = ''review'' WHERE id = 2005', 'a rule added in a savepoint applies');
ROLLBACK TO SAVEPOINT before_rule;
SELECT throws_ok('UPDATE item_change SET state = ''review'' WHERE id = 2005', 'IM001', NULL,
                 'and is forgotten when the savepoint rolls back');

-- Misuse of the trigger.
CREATE TEMP TABLE misuse (id int PRIMARY KEY, state text);
CREATE TRIGGER g BEFORE INSERT ON misuse FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('nope', 'state');
SELECT throws_ok('INSERT INTO misuse VALUES (1, NULL)', '22023', NULL, 'an unknown workflow is 22023');
DROP TRIGGER g ON misuse;
CREATE TRIGGER g BEFORE INSERT ON misuse FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('change', 'status');
SELECT throws_ok('INSERT INTO misuse VALUES (1, NULL)', '42703', NULL, 'an unknown state column is 42703');

SELECT * FROM finish();
ROLLBACK;
