-- Backup fixture (test/backup_check.sh): problems with incident links and a
-- known error, outages opened and closed by incidents and written directly,
-- stored KPI facts, and a dirty mark made after the refresh.
INSERT INTO ims.ci (name, class) VALUES ('fx-shop', 'business_service'), ('fx-host', 'physical_server');
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT s.id, h.id, 'runs_on' FROM ims.ci s, ims.ci h WHERE s.name = 'fx-shop' AND h.name = 'fx-host';
SET ims.event_time = '2026-02-03 08:00+00';
INSERT INTO ims.incident (title, impact, urgency, service_id, ci_id, outage_kind)
SELECT 'fx host down', 1, 1, s.id, h.id, 'outage' FROM ims.ci s, ims.ci h WHERE s.name = 'fx-shop' AND h.name = 'fx-host';
INSERT INTO ims.incident (title, service_id, outage_kind)
SELECT 'fx shop slow', s.id, 'degradation' FROM ims.ci s WHERE s.name = 'fx-shop';
SET ims.event_time = '2026-02-03 09:30+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'rebooted' WHERE title = 'fx host down';
INSERT INTO ims.outage (ci_id, period, kind, note)
SELECT id, '[2026-02-10 22:00+00, 2026-02-11 01:00+00)', 'planned', 'fx patching' FROM ims.ci WHERE name = 'fx-host';
INSERT INTO ims.problem (title, ci_id) SELECT 'fx host keeps crashing', id FROM ims.ci WHERE name = 'fx-host';
INSERT INTO ims.problem_incident (problem_id, incident_id)
SELECT p.id, i.id FROM ims.problem p, ims.incident i WHERE p.title = 'fx host keeps crashing' AND i.title = 'fx host down';
UPDATE ims.problem SET state = 'assess' WHERE title = 'fx host keeps crashing';
UPDATE ims.problem SET state = 'root_cause_analysis' WHERE title = 'fx host keeps crashing';
SET ims.event_time = '2026-02-04 10:00+00';
UPDATE ims.problem SET known_error = true, root_cause = 'faulty DIMM', workaround = 'reboot', state = 'fix_in_progress'
 WHERE title = 'fx host keeps crashing';
INSERT INTO ims.problem (title) VALUES ('fx cancelled problem');
UPDATE ims.problem SET state = 'cancelled' WHERE title = 'fx cancelled problem';
RESET ims.event_time;
SELECT ims.refresh_kpis();
SET ims.event_time = '2026-02-20 12:00+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'tuned' WHERE title = 'fx shop slow';
RESET ims.event_time;
