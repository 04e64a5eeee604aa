-- Demo chapter 50: change management with approval checks in the database.
\echo
\echo '== Change management: approvals, collisions and the scheduling assistant'
SET TIME ZONE 'UTC';
INSERT INTO ims.ci_class (name, parent) VALUES ('software', NULL), ('service', NULL) ON CONFLICT DO NOTHING;
INSERT INTO ims.ci_class (name, parent) VALUES ('application', 'software'), ('database', 'software'),
    ('business_service', 'service') ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('depends_on', 'required_by') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (name, class) VALUES ('demo-webshop', 'business_service'), ('demo-shop-app', 'application'),
    ('demo-shop-db', 'database');
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT s.id, t.id, 'depends_on' FROM ims.ci s, ims.ci t
 WHERE (s.name, t.name) IN (('demo-webshop', 'demo-shop-app'), ('demo-shop-app', 'demo-shop-db'));
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_cab') THEN CREATE ROLE demo_cab; END IF;
END $$;
GRANT ims_change_manager TO demo_cab;
\echo 'demo-shop-app may be changed on weeknights from 22:00 to 02:00 UTC (its maintenance window):'
INSERT INTO ims.maintenance_window (ci_id, cal, name)
SELECT id, 'tz UTC; mon-fri 22:00-02:00', 'weeknights' FROM ims.ci WHERE name = 'demo-shop-app'
RETURNING name, cal;

\echo 'The application team files a normal change on demo-shop-app (it needs one approval by ims_change_manager):'
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('Upgrade demo-shop-app to 2.4', 'normal', 'moderate', '[2027-03-02 22:00+00,2027-03-03 00:00+00)')
RETURNING number, type, risk, state, requested_by, planned \gset app_
INSERT INTO ims.change_ci (change_id, ci_id)
SELECT c.id, ci.id FROM ims.change_request c, ims.ci ci WHERE c.number = :'app_number' AND ci.name = 'demo-shop-app';
UPDATE ims.change_request SET state = 'assess' WHERE number = :'app_number';
UPDATE ims.change_request SET state = 'authorize' WHERE number = :'app_number';
SELECT number, title, type, risk, state, planned FROM ims.change_request WHERE number = :'app_number';
SELECT id AS app_id FROM ims.change_request WHERE number = :'app_number' \gset

\echo 'Scheduling it now fails: nobody has approved it (IM002 lists every blocking conflict).'
\set ON_ERROR_STOP 0
\set VERBOSITY verbose
UPDATE ims.change_request SET state = 'scheduled' WHERE id = :app_id;
\set VERBOSITY default
\echo 'The requester (here: postgres) cannot approve the change (segregation of duties, IM003):'
INSERT INTO ims.change_approval (change_id, decision) VALUES (:app_id, 'approved');
\set ON_ERROR_STOP 1

\echo 'Meanwhile the DBAs scheduled a patch of demo-shop-db, which the application depends on:'
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('Patch demo-shop-db', 'standard', 'low', '[2027-03-02 23:00+00,2027-03-03 01:00+00)')
RETURNING id AS db_id \gset
INSERT INTO ims.change_ci (change_id, ci_id) SELECT :db_id, id FROM ims.ci WHERE name = 'demo-shop-db';
UPDATE ims.change_request SET state = 'assess' WHERE id = :db_id;
UPDATE ims.change_request SET state = 'authorize' WHERE id = :db_id;
UPDATE ims.change_request SET state = 'scheduled' WHERE id = :db_id;

\echo 'A change manager approves the application change:'
SET ROLE demo_cab;
INSERT INTO ims.change_approval (change_id, decision, comment) VALUES (:app_id, 'approved', 'tested in staging')
RETURNING approver, decision, comment;
RESET ROLE;

\echo 'Now the collision with the database patch blocks it (impact is information only):'
SELECT kind, blocking, other_change, detail FROM ims.change_conflicts(:app_id);
\set ON_ERROR_STOP 0
UPDATE ims.change_request SET state = 'scheduled' WHERE id = :app_id;
\set ON_ERROR_STOP 1

\echo 'The scheduling assistant finds the next window of the same length inside the maintenance'
\echo 'window and free of collisions: tonight the database patch runs until 01:00 and the'
\echo 'window closes at 02:00, so it is tomorrow night:'
SELECT ims.change_next_slot(:app_id, '2027-03-02 22:00+00') AS next_free_window;
UPDATE ims.change_request SET planned = ims.change_next_slot(id, '2027-03-02 22:00+00') WHERE id = :app_id;

\echo 'Moving the window invalidated the approval (it was given for the old window):'
SELECT approver, decision, invalidated_because FROM ims.change_approval WHERE change_id = :app_id ORDER BY id;
SET ROLE demo_cab;
INSERT INTO ims.change_approval (change_id, decision, comment) VALUES (:app_id, 'approved', 'new window is fine');
RESET ROLE;

\echo 'No blocking conflict is left, so the change is scheduled:'
UPDATE ims.change_request SET state = 'scheduled' WHERE id = :app_id RETURNING number, state, planned;
