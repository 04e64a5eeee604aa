-- Backup fixture (test/backup_check.sh): SLA policies, a calendar and the
-- clocks and events of a few incidents.
INSERT INTO ims.business_calendar (name, cal)
VALUES ('fx berlin', 'tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-04-03,2026-04-06');
INSERT INTO ims.sla_policy (name, metric, target, calendar_id)
SELECT 'fx resolution 16h', 'resolution', '16 hours', id FROM ims.business_calendar WHERE name = 'fx berlin';
INSERT INTO ims.sla_policy (name, agreement, metric, target, assignment_group)
VALUES ('fx OLA desk', 'ola', 'resolution', '8 hours', 'desk');
SET ims.event_time = '2026-04-02 10:00 Europe/Berlin';
INSERT INTO ims.incident (title, assignment_group) VALUES ('fx sla one', 'desk'), ('fx sla two', NULL);
SET ims.event_time = '2026-04-02 12:00 Europe/Berlin';
UPDATE ims.incident SET state = 'in_progress' WHERE title LIKE 'fx sla %';
SET ims.event_time = '2026-04-02 15:00 Europe/Berlin';
UPDATE ims.incident SET state = 'on_hold' WHERE title = 'fx sla one';
RESET ims.event_time;
SELECT ims.sla_tick('2026-04-10');
