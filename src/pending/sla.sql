-- sla: SLA policies and incident clocks in a Berlin calendar.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'Europe/Berlin';
SET IntervalStyle = 'postgres';
INSERT INTO ims.business_calendar (name, cal)
VALUES ('berlin office', 'tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-04-03,2026-04-06');
INSERT INTO ims.sla_policy (name, metric, target, calendar_id, priorities)
SELECT n, m, t::interval, (SELECT id FROM ims.business_calendar WHERE name = 'berlin office'), '{2}'
  FROM (VALUES ('P2 response', 'response', '1 hour'), ('P2 resolution', 'resolution', '16 hours')) v (n, m, t);
INSERT INTO ims.sla_policy (name, agreement, metric, target, assignment_group)
VALUES ('network OLA', 'ola', 'resolution', '8 hours', 'network');
SELECT id, name, agreement, metric, target, calendar_id, calendar_source, priorities, assignment_group, pause_states, warn_at
  FROM ims.sla_policy ORDER BY id;
CREATE VIEW clocks AS
SELECT p.name AS policy, ims.sla_state(s.clock) AS state,
       ims.sla_elapsed(s.clock, ims._sla_cal(s.calendar_id), i.updated_at) AS elapsed,
       s.due_at, s.breached_at
  FROM ims.incident_sla s JOIN ims.sla_policy p ON p.id = s.policy_id JOIN ims.incident i ON i.id = s.incident_id
 ORDER BY p.id;
-- Thursday 2 April 2026, 10:00: a P2 incident
SET ims.event_time = '2026-04-02 10:00';
INSERT INTO ims.incident (title, impact, urgency) VALUES ('VPN down', 2, 1) RETURNING number, priority;
SELECT * FROM clocks;
SET ims.event_time = '2026-04-02 12:00';
UPDATE ims.incident SET state = 'in_progress', assignment_group = 'network';
SELECT * FROM clocks;
SET ims.event_time = '2026-04-02 15:00';
UPDATE ims.incident SET state = 'on_hold';
SELECT * FROM clocks;
-- Tuesday 7 April 11:00 (Good Friday, the weekend and Easter Monday passed on hold)
SET ims.event_time = '2026-04-07 11:00';
UPDATE ims.incident SET state = 'in_progress';
SELECT * FROM clocks;
SELECT ims.sla_tick('2026-04-08 14:30');
SELECT ims.sla_tick('2026-04-08 14:30');
SELECT p.name AS policy, e.kind, e.threshold, e.at
  FROM ims.sla_event e JOIN ims.sla_policy p ON p.id = e.policy_id ORDER BY e.at, e.id;
SET ims.event_time = '2026-04-08 16:00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'router replaced';
SELECT * FROM clocks;
RESET ims.event_time;
-- the rebuilt clocks are the same
CREATE TEMP TABLE built AS SELECT policy_id, clock::text AS clock, due_at, breached_at FROM ims.incident_sla;
SELECT ims.sla_rebuild();
SELECT count(*) AS differences FROM (
  (SELECT policy_id, clock::text, due_at, breached_at FROM ims.incident_sla EXCEPT SELECT * FROM built)
  UNION ALL (SELECT * FROM built EXCEPT SELECT policy_id, clock::text, due_at, breached_at FROM ims.incident_sla)) d;
-- bad policies
INSERT INTO ims.sla_policy (name, metric, target) VALUES ('bad', 'resolution', '1 month');
INSERT INTO ims.sla_policy (name, metric, target, warn_at) VALUES ('bad', 'resolution', '1 hour', '{0.5,1.5}');
INSERT INTO ims.sla_policy (name, agreement, metric, target) VALUES ('bad', 'xla', 'resolution', '1 hour');
-- the SLA event log is append-only
DELETE FROM ims.sla_event;
DROP VIEW clocks;
