-- Backup fixture for change management (test/backup_check.sh): changes in
-- several states with CIs, votes (one invalidated), a blackout, an own
-- approval policy and the concurrency-guard rows of a scheduled change.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fx_change_mgr') THEN
        CREATE ROLE fx_change_mgr NOLOGIN;
    END IF;
END $$;
GRANT ims_change_manager TO fx_change_mgr;
INSERT INTO ims.ci_class (name, parent) VALUES ('fx_chg_class', NULL) ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('fx_chg_on', 'fx_chg_under') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (name, class) VALUES ('fx-chg-db', 'fx_chg_class'), ('fx-chg-app', 'fx_chg_class');
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT a.id, d.id, 'fx_chg_on' FROM ims.ci a, ims.ci d WHERE a.name = 'fx-chg-app' AND d.name = 'fx-chg-db';

INSERT INTO ims.approval_policy (type, risk, min_approvals, description) VALUES ('normal', 'low', 1, 'fixture override');
INSERT INTO ims.blackout_window (name, period, ci_class) VALUES ('fx freeze', '[2026-12-24,2026-12-27)', 'fx_chg_class');
INSERT INTO ims.maintenance_window (ci_id, cal, name)
SELECT id, 'tz Europe/Berlin; mon-thu 22:00-06:00; sat 00:00-24:00; closed 2026-12-24..2026-12-26', 'fx nights'
  FROM ims.ci WHERE name = 'fx-chg-app';

INSERT INTO ims.change_request (title, type, risk, planned) VALUES
    ('fx standard', 'standard', 'low', '[2026-06-01 10:00+00,2026-06-01 11:00+00)'),
    ('fx normal', 'normal', 'high', '[2026-06-02 10:00+00,2026-06-02 11:00+00)');
INSERT INTO ims.change_ci (change_id, ci_id)
SELECT c.id, ci.id FROM ims.change_request c, ims.ci ci
 WHERE (c.title, ci.name) IN (('fx standard', 'fx-chg-db'), ('fx normal', 'fx-chg-app'));
UPDATE ims.change_request SET state = 'assess' WHERE title LIKE 'fx %';
UPDATE ims.change_request SET state = 'authorize' WHERE title LIKE 'fx %';
UPDATE ims.change_request SET state = 'scheduled' WHERE title = 'fx standard';
INSERT INTO ims.change_approval (change_id, approver, decision, comment)
SELECT id, 'fx_change_mgr', 'approved', 'fine' FROM ims.change_request WHERE title = 'fx normal';
UPDATE ims.change_request SET planned = '[2026-06-03 10:00+00,2026-06-03 11:00+00)' WHERE title = 'fx normal';
INSERT INTO ims.change_approval (change_id, approver, decision, comment)
SELECT id, 'fx_change_mgr', 'approved', 'still fine' FROM ims.change_request WHERE title = 'fx normal';
