-- sla: SLA policies and incident clocks in a Berlin calendar.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'Europe/Berlin';
SET IntervalStyle = 'postgres';
-- everything below is rolled back at the end, and explicit ids leave the
-- sequences alone, so later tests see the database as it was
BEGIN;
INSERT INTO ims.business_calendar (id, name, cal)
VALUES (901, 'berlin office', 'tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-04-03,2026-04-06');
INSERT INTO ims.sla_policy (id, name, metric, target, calendar_id, priorities)
VALUES (901, 'P2 response', 'response', '1 hour', 901, '{2}'),
       (902, 'P2 resolution', 'resolution', '16 hours', 901, '{2}');
INSERT INTO ims.sla_policy (id, name, agreement, metric, target, assignment_group)
VALUES (903, 'network OLA', 'ola', 'resolution', '8 hours', 'network');
SELECT p.id, p.name, agreement, metric, target, b.name AS calendar, calendar_source, priorities, assignment_group, pause_states, warn_at
  FROM ims.sla_policy p LEFT JOIN ims.business_calendar b ON b.id = p.calendar_id WHERE p.id BETWEEN 901 AND 903 ORDER BY p.id;
CREATE TEMP VIEW clocks AS
SELECT p.name AS policy, ims.sla_state(s.clock) AS state,
       ims.sla_elapsed(s.clock, ims._sla_cal(s.calendar_id), i.updated_at) AS elapsed,
       s.due_at, s.breached_at
  FROM ims.incident_sla s JOIN ims.sla_policy p ON p.id = s.policy_id JOIN ims.incident i ON i.id = s.incident_id
 WHERE s.incident_id = 901 ORDER BY p.id;
-- Thursday 2 April 2026, 10:00: a P2 incident
SET ims.event_time = '2026-04-02 10:00';
INSERT INTO ims.incident (id, number, title, impact, urgency) VALUES (901, 'INC-SLA-901', 'VPN down', 2, 1) RETURNING number, priority;
SELECT * FROM clocks;
SET ims.event_time = '2026-04-02 12:00';
UPDATE ims.incident SET state = 'in_progress', assignment_group = 'network' WHERE id = 901;
SELECT * FROM clocks;
SET ims.event_time = '2026-04-02 15:00';
UPDATE ims.incident SET state = 'on_hold' WHERE id = 901;
SELECT * FROM clocks;
-- Tuesday 7 April 11:00 (Good Friday, the weekend and Easter Monday passed on hold)
SET ims.event_time = '2026-04-07 11:00';
UPDATE ims.incident SET state = 'in_progress' WHERE id = 901;
SELECT * FROM clocks;
SELECT ims.sla_tick('2026-04-08 14:30');
SELECT ims.sla_tick('2026-04-08 14:30');
SELECT p.name AS policy, e.kind, e.threshold, e.at
  FROM ims.sla_event e JOIN ims.sla_policy p ON p.id = e.policy_id WHERE e.incident_id = 901 ORDER BY e.at, e.id;
SET ims.event_time = '2026-04-08 16:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'router replaced' WHERE id = 901;
SELECT * FROM clocks;
RESET ims.event_time;
-- the rebuilt clocks are the same
CREATE TEMP TABLE built AS SELECT policy_id, clock::text AS clock, due_at, breached_at FROM ims.incident_sla WHERE incident_id = 901;
SELECT ims.sla_rebuild(ARRAY[901]::bigint[]);
SELECT count(*) AS differences FROM (
  (SELECT policy_id, clock::text, due_at, breached_at FROM ims.incident_sla WHERE incident_id = 901 EXCEPT SELECT * FROM built)
  UNION ALL (SELECT * FROM built EXCEPT SELECT policy_id, clock::text, due_at, breached_at FROM ims.incident_sla WHERE incident_id = 901)) d;
-- the SLA event log is append-only
SAVEPOINT s;
DELETE FROM ims.sla_event;
ROLLBACK TO SAVEPOINT s;
-- bad policies
SAVEPOINT s;
INSERT INTO ims.sla_policy (id, name, metric, target) VALUES (904, 'bad', 'resolution', '1 month');
ROLLBACK TO SAVEPOINT s;
INSERT INTO ims.sla_policy (id, name, metric, target, warn_at) VALUES (904, 'bad', 'resolution', '1 hour', '{0.5,1.5}');
ROLLBACK TO SAVEPOINT s;
INSERT INTO ims.sla_policy (id, name, agreement, metric, target) VALUES (904, 'bad', 'xla', 'resolution', '1 hour');
ROLLBACK;
