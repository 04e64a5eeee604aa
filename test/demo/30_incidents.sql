-- Demo chapter 30: incidents on the workflow, their history, and a real event log.
\echo
\echo '== Incidents: a state machine enforced inside PostgreSQL'
SET TimeZone = 'UTC';
\echo 'The shipped incident workflow (rows DBAs may extend):'
SELECT from_state, string_agg(to_state || coalesce(' (' || required_role || ')', ''), ', ' ORDER BY to_state) AS may_go_to
  FROM ims.workflow_transition WHERE workflow = 'incident' AND enabled
 GROUP BY from_state ORDER BY min(CASE from_state WHEN 'new' THEN 1 WHEN 'in_progress' THEN 2 WHEN 'on_hold' THEN 3 ELSE 4 END);

\echo
\echo '== Loading the real ServiceNow event log (Amaral, Fantinato, Peres 2018, UCI ML Repository, CC BY 4.0)'
\echo 'Every update of every incident is replayed as an ordinary INSERT or UPDATE, backdated with ims.event_time as ims_admin.'
\timing on
\i test/data/load_incident_log.sql
\timing off
SELECT (SELECT count(*) FROM ims_load.raw) AS source_rows,
       (SELECT count(DISTINCT number) FROM ims_load.raw) AS source_incidents,
       (SELECT count(*) FROM ims.incident WHERE number IN (SELECT number FROM ims_load.raw)) AS incidents_loaded,
       (SELECT count(*) FROM ims.incident_event) AS history_events;
\echo 'What happened to each source row (nothing is dropped silently):'
SELECT outcome, source_rows FROM ims_load.summary ORDER BY source_rows DESC;
\echo 'Refused transitions by reason (the log is real, so it is untidy):'
SELECT sqlstate, reason, source_rows, incidents FROM ims_load.refusals ORDER BY source_rows DESC;
\echo 'Incidents by final state and priority:'
SELECT state, count(*) FILTER (WHERE priority = 1) AS p1, count(*) FILTER (WHERE priority = 2) AS p2,
       count(*) FILTER (WHERE priority = 3) AS p3, count(*) FILTER (WHERE priority = 4) AS p4,
       count(*) FILTER (WHERE priority = 5) AS p5, count(*) AS total
  FROM ims.incident GROUP BY state ORDER BY total DESC;
\echo 'One real incident as ims recorded it:'
SELECT e.at, e.actor, e.from_state, e.to_state, e.changes - 'title' - 'caller' - 'category' AS changes
  FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
 WHERE i.number = 'INC0000045' ORDER BY e.id;

\echo
\echo '== SLA policies: clocks that start, pause, resume and stop by themselves'
INSERT INTO ims.business_calendar (name, cal)
VALUES ('berlin office', 'tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-04-03,2026-04-06');
INSERT INTO ims.sla_policy (name, metric, target, calendar_id, priorities)
SELECT n, m, t::interval, (SELECT id FROM ims.business_calendar WHERE name = 'berlin office'), '{1,2}'
  FROM (VALUES ('P1/P2 response 1h', 'response', '1 hour'), ('P1/P2 resolution 16h', 'resolution', '16 hours')) v (n, m, t);
INSERT INTO ims.sla_policy (name, agreement, metric, target, assignment_group)
VALUES ('finance-apps OLA 8h', 'ola', 'resolution', '8 hours', 'finance-apps');
SELECT name, agreement, metric, target, coalesce((SELECT b.name FROM ims.business_calendar b WHERE b.id = calendar_id), '24x7') AS calendar,
       priorities, assignment_group, pause_states, warn_at
  FROM ims.sla_policy ORDER BY id;
CREATE TEMP VIEW clocks AS
SELECT p.name AS policy, ims.sla_state(s.clock) AS state,
       ims.sla_elapsed(s.clock, ims._sla_cal(s.calendar_id), i.updated_at) AS elapsed,
       s.due_at AT TIME ZONE 'Europe/Berlin' AS due_berlin, s.breached_at AT TIME ZONE 'Europe/Berlin' AS breached_berlin
  FROM ims.incident_sla s JOIN ims.sla_policy p ON p.id = s.policy_id JOIN ims.incident i ON i.id = s.incident_id
 WHERE i.title = 'Payroll export fails' ORDER BY p.id;

\echo
\echo '== One incident through its lifecycle (times in Berlin; Good Friday and Easter Monday are closed)'
SET TimeZone = 'Europe/Berlin';
LISTEN ims_sla;
SET ims.event_time = '2026-04-02 10:00';
INSERT INTO ims.incident (title, impact, urgency, assignment_group)
VALUES ('Payroll export fails', 1, 2, 'finance-apps')
RETURNING number, state, priority, opened_at;
SELECT number AS num FROM ims.incident WHERE title = 'Payroll export fails' \gset
SELECT * FROM clocks;
SET ims.event_time = '2026-04-02 12:00';
UPDATE ims.incident SET state = 'in_progress', assignee = 'alice' WHERE number = :'num'
RETURNING number, state, acknowledged_at;
SELECT * FROM clocks;
SET ims.event_time = '2026-04-02 15:00';
UPDATE ims.incident SET state = 'on_hold' WHERE number = :'num' RETURNING number, state;
SELECT * FROM clocks;
\echo 'Trying to close it straight from on_hold:'
\set ON_ERROR_STOP 0
UPDATE ims.incident SET state = 'closed' WHERE number = :'num';
\echo 'Resolving without a resolution code:'
UPDATE ims.incident SET state = 'resolved' WHERE number = :'num';
\set ON_ERROR_STOP 1
\echo 'Back to work on Tuesday 7 April, 11:00 (the long weekend passed on hold):'
SET ims.event_time = '2026-04-07 11:00';
UPDATE ims.incident SET state = 'in_progress' WHERE number = :'num' RETURNING number, state;
SELECT * FROM clocks;
\echo 'The scheduler (pg_cron runs this every minute: cron.schedule(''ims-sla-tick'', ''* * * * *'', ''select ims.sla_tick()'')):'
SELECT ims.sla_tick('2026-04-08 14:30') AS recorded_warnings_and_breaches;
SELECT ims.sla_tick('2026-04-08 14:30') AS recorded_again;
SELECT p.name AS policy, e.kind, e.threshold, e.at
  FROM ims.sla_event e JOIN ims.sla_policy p ON p.id = e.policy_id JOIN ims.incident i ON i.id = e.incident_id
 WHERE i.number = :'num' ORDER BY e.at, e.id;
SET ims.event_time = '2026-04-08 16:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'config fixed' WHERE number = :'num'
RETURNING number, state, resolved_at;
SELECT * FROM clocks;
SET ims.event_time = '2026-04-09 09:30';
UPDATE ims.incident SET state = 'in_progress' WHERE number = :'num' RETURNING number, state, resolved_at, reopen_count;
SET ims.event_time = '2026-04-09 10:00';
UPDATE ims.incident SET state = 'resolved' WHERE number = :'num' RETURNING number, state, resolved_at;
SET ims.event_time = '2026-04-13 09:00';
UPDATE ims.incident SET state = 'closed' WHERE number = :'num' RETURNING number, state, closed_at;
RESET ims.event_time;
SELECT * FROM clocks;
\echo 'Its history (append-only: UPDATE, DELETE and TRUNCATE are refused for everyone):'
SELECT e.at, e.from_state, e.to_state, e.changes - 'title' - 'number' - 'id' AS changes
  FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
 WHERE i.number = :'num' ORDER BY e.id;
\set ON_ERROR_STOP 0
DELETE FROM ims.incident_event;
\set ON_ERROR_STOP 1
\echo 'After a calendar or policy edit, ims.sla_rebuild replays the history with the new rules:'
SELECT ims.sla_rebuild(ARRAY(SELECT id FROM ims.incident WHERE number = :'num')) AS incidents_rebuilt;
UNLISTEN ims_sla;
RESET TimeZone;
