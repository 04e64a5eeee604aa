-- pgTAP: ims.incident — numbers, priority, each timestamp rule, the history,
-- append-only refusal, backdating rights, bad input leaving row and history
-- untouched, and the restore path.
BEGIN;
SELECT plan(64);

SET LOCAL TimeZone = 'UTC';
CREATE FUNCTION pg_temp.events(inc bigint) RETURNS bigint LANGUAGE sql AS
  'SELECT count(*) FROM ims.incident_event WHERE incident_id = inc';
CREATE FUNCTION pg_temp.last_event(inc bigint) RETURNS ims.incident_event LANGUAGE sql AS
  'SELECT e FROM ims.incident_event e WHERE incident_id = inc ORDER BY id DESC LIMIT 1';

-- Insert.
SET LOCAL ims.event_time = '2026-03-02 09:00+00';
INSERT INTO ims.incident (id, title) VALUES (9001, 'Printer on fire');
SELECT is(state, 'new', 'a new incident starts in new') FROM ims.incident WHERE id = 9001;
SELECT matches(number, '^INC[0-9]{7}$', 'numbers look like INC0000001') FROM ims.incident WHERE id = 9001;
SELECT is(ims.incident_number(42), 'INC0000042', 'ims.incident_number pads to seven digits');
SELECT is(ims.incident_number(123456789), 'INC123456789', 'and never truncates');
SELECT is((impact, urgency, priority)::text, '(3,3,5)', 'defaults: impact 3, urgency 3, priority 5') FROM ims.incident WHERE id = 9001;
SELECT is(opened_at, '2026-03-02 09:00+00'::timestamptz, 'opened_at is the event time') FROM ims.incident WHERE id = 9001;
SELECT ok(acknowledged_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL AND reopen_count = 0,
          'nothing else is stamped yet') FROM ims.incident WHERE id = 9001;
SELECT is(pg_temp.events(9001), 1::bigint, 'the insert wrote one event');
SELECT is((e).from_state, NULL, 'the insert event has no from_state') FROM pg_temp.last_event(9001) e;
SELECT is((e).to_state, 'new', 'and to_state new') FROM pg_temp.last_event(9001) e;
SELECT is((e).changes -> 'title', '[null, "Printer on fire"]'::jsonb, 'changes hold [old, new] per column') FROM pg_temp.last_event(9001) e;
SELECT is((e).at, '2026-03-02 09:00+00'::timestamptz, 'at is the event time') FROM pg_temp.last_event(9001) e;
SELECT ok((e).recorded_at > (e).at, 'recorded_at is the real time') FROM pg_temp.last_event(9001) e;
SELECT is((e).actor, current_user::text, 'actor is current_user') FROM pg_temp.last_event(9001) e;

-- Historical import: opened_at may be given.
INSERT INTO ims.incident (id, title, opened_at) VALUES (9002, 'old one', '2016-02-29 01:16+00');
SELECT is(opened_at, '2016-02-29 01:16+00'::timestamptz, 'an INSERT may supply opened_at') FROM ims.incident WHERE id = 9002;

-- Priority matrix, all nine cells.
SELECT results_eq(
  $$WITH ins AS (
      INSERT INTO ims.incident (title, impact, urgency)
      SELECT 'm', i, u FROM generate_series(1, 3) i, generate_series(1, 3) u
      RETURNING impact, urgency, priority)
    SELECT impact, urgency, priority FROM ins ORDER BY 1, 2$$,
  $$VALUES (1::smallint, 1::smallint, 1::smallint), (1::smallint, 2::smallint, 2::smallint), (1::smallint, 3::smallint, 3::smallint),
           (2::smallint, 1::smallint, 2::smallint), (2::smallint, 2::smallint, 3::smallint), (2::smallint, 3::smallint, 4::smallint),
           (3::smallint, 1::smallint, 3::smallint), (3::smallint, 2::smallint, 4::smallint), (3::smallint, 3::smallint, 5::smallint)$$,
  'priority follows ServiceNow''s default matrix');
UPDATE ims.incident SET impact = 1, urgency = 1 WHERE id = 9002;
SELECT is(priority, 1::smallint, 'changing impact and urgency re-derives the priority') FROM ims.incident WHERE id = 9002;
SELECT throws_ok('UPDATE ims.incident SET priority = 4 WHERE id = 9002', '428C9', NULL, 'a priority off the matrix is 428C9');
SELECT throws_ok('INSERT INTO ims.incident (title, impact) VALUES (''x'', 4)', '23514', NULL, 'an impact outside the matrix is 23514');
SELECT lives_ok('UPDATE ims.incident SET priority = 1 WHERE id = 9002', 'the matrix value itself is accepted');
UPDATE ims.priority_matrix SET priority = 2 WHERE impact = 1 AND urgency = 1;
INSERT INTO ims.incident (id, title, impact, urgency) VALUES (9003, 'after edit', 1, 1);
SELECT is(priority, 2::smallint, 'an edited matrix applies to new incidents') FROM ims.incident WHERE id = 9003;
SELECT is(priority, 1::smallint, 'but not to existing ones') FROM ims.incident WHERE id = 9002;

-- Timestamp rules along a lifecycle.
SET LOCAL ims.event_time = '2026-03-02 09:10+00';
UPDATE ims.incident SET state = 'in_progress', assignment_group = 'desk' WHERE id = 9001;
SELECT is(acknowledged_at, '2026-03-02 09:10+00'::timestamptz, 'acknowledged_at is stamped on leaving new') FROM ims.incident WHERE id = 9001;
SELECT is((e).from_state || '>' || (e).to_state, 'new>in_progress', 'the transition is in the history') FROM pg_temp.last_event(9001) e;
SELECT is((e).changes, '{"state": ["new", "in_progress"], "assignment_group": [null, "desk"], "acknowledged_at": [null, "2026-03-02T09:10:00+00:00"]}'::jsonb,
          'with every changed column') FROM pg_temp.last_event(9001) e;
SET LOCAL ims.event_time = '2026-03-02 09:20+00';
UPDATE ims.incident SET state = 'on_hold' WHERE id = 9001;
SET LOCAL ims.event_time = '2026-03-02 09:30+00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9001;
SELECT is(acknowledged_at, '2026-03-02 09:10+00'::timestamptz, 'acknowledged_at is stamped once') FROM ims.incident WHERE id = 9001;

-- Bad input leaves row and history untouched.
SELECT throws_ok('UPDATE ims.incident SET state = ''resolved'' WHERE id = 9001', 'IM004', NULL, 'resolving without a resolution code is IM004');
SELECT throws_ok('UPDATE ims.incident SET state = ''resolved'', resolution_code = ''  '' WHERE id = 9001', 'IM004', NULL, 'a blank resolution code is IM004');
SELECT throws_ok('UPDATE ims.incident SET state = ''closed'', resolution_code = ''x'' WHERE id = 9001', 'IM001', NULL, 'in_progress -> closed is IM001');
SELECT throws_ok('UPDATE ims.incident SET state = ''solved'' WHERE id = 9001', '23514', NULL, 'an unknown state is 23514');
SELECT throws_ok('UPDATE ims.incident SET state = NULL WHERE id = 9001', '23502', NULL, 'a NULL state is 23502');
SELECT throws_ok('UPDATE ims.incident SET urgency = 0 WHERE id = 9001', '23514', NULL, 'an urgency outside the matrix is 23514');
SELECT throws_ok('UPDATE ims.incident SET resolved_at = now() WHERE id = 9001', '428C9', NULL, 'resolved_at cannot be set by hand');
SELECT throws_ok('UPDATE ims.incident SET reopen_count = 5 WHERE id = 9001', '428C9', NULL, 'reopen_count cannot be set by hand');
SELECT throws_ok('INSERT INTO ims.incident (title, closed_at) VALUES (''x'', now())', '428C9', NULL, 'closed_at cannot be inserted');
SELECT throws_ok('INSERT INTO ims.incident (title, state) VALUES (''x'', ''closed'')', 'IM001', NULL, 'an incident cannot be inserted closed');
SELECT is((SELECT (state, resolved_at, urgency)::text FROM ims.incident WHERE id = 9001), '(in_progress,,3)', 'the row is untouched');
SELECT is(pg_temp.events(9001), 4::bigint, 'the history is untouched');

SET LOCAL ims.event_time = '2026-03-02 10:00+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'replaced toner' WHERE id = 9001;
SELECT is(resolved_at, '2026-03-02 10:00+00'::timestamptz, 'resolved_at is stamped on resolve') FROM ims.incident WHERE id = 9001;
SET LOCAL ims.event_time = '2026-03-02 11:00+00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 9001;
SELECT ok(resolved_at IS NULL, 'a reopen clears resolved_at') FROM ims.incident WHERE id = 9001;
SELECT is(reopen_count, 1, 'a reopen counts') FROM ims.incident WHERE id = 9001;
SET LOCAL ims.event_time = '2026-03-02 12:00+00';
UPDATE ims.incident SET state = 'resolved' WHERE id = 9001;
SELECT is(resolved_at, '2026-03-02 12:00+00'::timestamptz, 'the resolution code is kept, the second resolve stamps again') FROM ims.incident WHERE id = 9001;
SET LOCAL ims.event_time = '2026-03-05 12:00+00';
UPDATE ims.incident SET state = 'closed' WHERE id = 9001;
SELECT is(closed_at, '2026-03-05 12:00+00'::timestamptz, 'closed_at is stamped on close') FROM ims.incident WHERE id = 9001;
SELECT is(resolved_at, '2026-03-02 12:00+00'::timestamptz, 'closing keeps resolved_at') FROM ims.incident WHERE id = 9001;
SELECT throws_ok('UPDATE ims.incident SET state = ''in_progress'' WHERE id = 9001', 'IM001', NULL, 'closed is final');
SELECT results_eq(
  'SELECT from_state, to_state, at FROM ims.incident_event WHERE incident_id = 9001 ORDER BY id',
  $$VALUES (NULL, 'new', '2026-03-02 09:00+00'::timestamptz), ('new', 'in_progress', '2026-03-02 09:10+00'),
           ('in_progress', 'on_hold', '2026-03-02 09:20+00'), ('on_hold', 'in_progress', '2026-03-02 09:30+00'),
           ('in_progress', 'resolved', '2026-03-02 10:00+00'), ('resolved', 'in_progress', '2026-03-02 11:00+00'),
           ('in_progress', 'resolved', '2026-03-02 12:00+00'), ('resolved', 'closed', '2026-03-05 12:00+00')$$,
  'the history holds the whole lifecycle');

-- Resolve at first contact, cancel.
INSERT INTO ims.incident (id, title) VALUES (9004, 'quick'), (9005, 'dup');
UPDATE ims.incident SET state = 'resolved', resolution_code = 'advice' WHERE id = 9004;
SELECT ok(acknowledged_at = resolved_at, 'new -> resolved acknowledges and resolves at once') FROM ims.incident WHERE id = 9004;
UPDATE ims.incident SET state = 'cancelled' WHERE id = 9005;
SELECT ok(closed_at IS NOT NULL AND resolved_at IS NULL, 'cancel stamps closed_at only') FROM ims.incident WHERE id = 9005;

-- Field changes and no-op updates.
UPDATE ims.incident SET assignee = 'alice' WHERE id = 9003;
SELECT is((e).changes, '{"assignee": [null, "alice"]}'::jsonb, 'a field change is an event with just that column') FROM pg_temp.last_event(9003) e;
SELECT is((e).from_state, (e).to_state, 'and from_state = to_state') FROM pg_temp.last_event(9003) e;
UPDATE ims.incident SET assignee = 'alice' WHERE id = 9003;
SELECT is(pg_temp.events(9003), 2::bigint, 'an update that changes nothing writes no event');

-- Append-only, for the owner too.
SELECT throws_ok('UPDATE ims.incident_event SET actor = ''x''', '42501', NULL, 'UPDATE of the history is refused');
SELECT throws_ok('DELETE FROM ims.incident_event', '42501', NULL, 'DELETE of the history is refused');
SELECT throws_ok('TRUNCATE ims.incident_event', '42501', NULL, 'TRUNCATE of the history is refused');
SELECT throws_ok('UPDATE ims.incident_event SET actor = ''x'' WHERE false', '42501', NULL, 'even an UPDATE of no rows');
SELECT throws_ok('DELETE FROM ims.incident WHERE id = 9005', '42501', NULL, 'incidents are never deleted');
SELECT throws_ok('TRUNCATE ims.incident CASCADE', '42501', NULL, 'nor truncated');

-- Backdating is for ims_admin.
RESET ims.event_time;
CREATE ROLE inc_tap_agent IN ROLE ims_agent;
SET LOCAL ROLE inc_tap_agent;
SELECT throws_ok($$SET ims.event_time = '2020-01-01'$$, '42501', NULL, 'an agent may not set ims.event_time');
SELECT lives_ok($$INSERT INTO ims.incident (id, title) VALUES (9006, 'by agent')$$, 'an agent may open incidents');
SELECT throws_ok($$INSERT INTO ims.incident_event (incident_id, at, actor, to_state, changes) VALUES (9006, now(), 'x', 'closed', '{}')$$,
                 '42501', NULL, 'an agent may not write history directly');
RESET ROLE;
SELECT is((SELECT updated_by FROM ims.incident WHERE id = 9006), 'inc_tap_agent', 'the agent is the actor');
SET LOCAL ims.event_time = '2020-01-01';
SET LOCAL ROLE inc_tap_agent;
SELECT throws_ok($$UPDATE ims.incident SET state = 'in_progress' WHERE id = 9006$$, '42501', NULL,
                 'an admin''s ims.event_time cannot be used by an agent');
RESET ROLE;
RESET ims.event_time;

-- The restore path: COPY by an admin takes rows as they are, COPY by an agent does not.
COPY ims.incident (id, number, title, state, impact, urgency, priority, opened_at, resolved_at, closed_at, resolution_code, updated_at, updated_by) FROM stdin;
9100	INC0909100	restored	closed	2	2	3	2025-01-01 08:00:00+00	2025-01-01 09:00:00+00	2025-01-02 09:00:00+00	fixed	2025-01-02 09:00:00+00	someone
\.
SELECT is((SELECT state || ' ' || closed_at FROM ims.incident WHERE id = 9100), 'closed 2025-01-02 09:00:00+00', 'an admin''s COPY restores a closed incident as it is');
SELECT is(pg_temp.events(9100), 0::bigint, 'and writes no history of its own');

SELECT * FROM finish();
ROLLBACK;
