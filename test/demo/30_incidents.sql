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
\echo '== One incident through its lifecycle'
SET ims.event_time = '2026-03-02 09:00+00';
INSERT INTO ims.incident (title, impact, urgency, assignment_group)
VALUES ('Payroll export fails', 1, 2, 'finance-apps')
RETURNING number, state, priority, opened_at;
SELECT number AS num FROM ims.incident WHERE title = 'Payroll export fails' \gset
SET ims.event_time = '2026-03-02 09:12+00';
UPDATE ims.incident SET state = 'in_progress', assignee = 'alice' WHERE number = :'num'
RETURNING number, state, acknowledged_at;
SET ims.event_time = '2026-03-02 10:00+00';
UPDATE ims.incident SET state = 'on_hold' WHERE number = :'num' RETURNING number, state;
\echo 'Trying to close it straight from on_hold:'
\set ON_ERROR_STOP 0
UPDATE ims.incident SET state = 'closed' WHERE number = :'num';
\echo 'Resolving without a resolution code:'
UPDATE ims.incident SET state = 'resolved' WHERE number = :'num';
\set ON_ERROR_STOP 1
SET ims.event_time = '2026-03-02 14:30+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'config fixed' WHERE number = :'num'
RETURNING number, state, resolved_at;
SET ims.event_time = '2026-03-03 08:00+00';
UPDATE ims.incident SET state = 'in_progress' WHERE number = :'num' RETURNING number, state, resolved_at, reopen_count;
SET ims.event_time = '2026-03-03 09:00+00';
UPDATE ims.incident SET state = 'resolved' WHERE number = :'num' RETURNING number, state, resolved_at;
SET ims.event_time = '2026-03-06 09:00+00';
UPDATE ims.incident SET state = 'closed' WHERE number = :'num' RETURNING number, state, closed_at;
RESET ims.event_time;
\echo 'Its history (append-only: UPDATE, DELETE and TRUNCATE are refused for everyone):'
SELECT e.at, e.from_state, e.to_state, e.changes - 'title' - 'number' - 'id' AS changes
  FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
 WHERE i.number = :'num' ORDER BY e.id;
\set ON_ERROR_STOP 0
DELETE FROM ims.incident_event;
\set ON_ERROR_STOP 1
