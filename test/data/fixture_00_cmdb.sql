-- Backup fixture: a few CIs and relations (test/backup_check.sh).
INSERT INTO ims.ci_class (name, parent) VALUES ('fixture_class', NULL) ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (name, class) VALUES ('fx-db', 'fixture_class'), ('fx-app', 'fixture_class');
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('fx_depends', 'fx_required_by') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT a.id, d.id, 'fx_depends' FROM ims.ci a, ims.ci d WHERE a.name = 'fx-app' AND d.name = 'fx-db';
-- a relation type with an earlier version in ims.relation_type_history
INSERT INTO ims.relation_type (name, inverse_name, valid_from) VALUES ('fx_feeds', 'fx_fed_by', '2026-01-01')
    ON CONFLICT DO NOTHING;
UPDATE ims.relation_type SET propagates_impact = false WHERE name = 'fx_feeds';
