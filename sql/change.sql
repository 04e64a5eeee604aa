-- change: the examples of doc/changes.md (change requests, approvals,
-- conflicts, enforcement, the scheduling assistant).
-- Everything runs in one transaction that is rolled back at the end (the
-- other tests see none of it); psql wraps each statement in a savepoint so
-- the expected errors do not abort it.
\set ON_ERROR_ROLLBACK on
BEGIN;
SET LOCAL TIME ZONE 'UTC';
SET LOCAL datestyle = 'ISO';
\set SHOW_CONTEXT never
-- try(sql): run a statement and show its SQLSTATE, message and detail
CREATE FUNCTION pg_temp.try(sql text) RETURNS TABLE (sqlstate text, message text, detail text)
LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE sql;
    RETURN QUERY SELECT '00000'::text, 'ok'::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN QUERY SELECT SQLSTATE::text, SQLERRM::text, d;
END $$;
INSERT INTO ims.ci_class (name, parent) VALUES ('ex_hardware', NULL), ('ex_server', 'ex_hardware'),
    ('ex_software', NULL), ('ex_database', 'ex_software'), ('ex_application', 'ex_software'),
    ('business_service', NULL) ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('ex_depends_on', 'ex_used_by') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (id, name, class) VALUES (1, 'shop', 'business_service'), (2, 'shop-app', 'ex_application'),
    (3, 'shop-db', 'ex_database'), (4, 'db-host-1', 'ex_server');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES (1, 2, 'ex_depends_on'), (2, 3, 'ex_depends_on'),
    (3, 4, 'ex_depends_on');
CREATE ROLE ex_alice; CREATE ROLE ex_bob;
GRANT ims_agent, ims_change_manager TO ex_alice;
GRANT ims_change_manager TO ex_bob;

-- the shipped approval policies
SELECT type, risk, min_approvals, approver_role, emergency FROM ims.approval_policy ORDER BY type, risk;

-- alice files a normal change on the application
SET ROLE ex_alice;
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('Upgrade shop-app to 2.4', 'normal', 'moderate', '[2026-06-02 22:00+00,2026-06-03 00:00+00)')
RETURNING id, number, state, requested_by;
INSERT INTO ims.change_ci (change_id, ci_id) VALUES (1, 2);
UPDATE ims.change_request SET state = 'assess' WHERE id = 1;
UPDATE ims.change_request SET state = 'authorize' WHERE id = 1;
SELECT * FROM ims.change_conflicts(1);
-- she cannot approve it herself
INSERT INTO ims.change_approval (change_id, decision) VALUES (1, 'approved');
RESET ROLE;

-- a DBA change on the database underneath is already scheduled
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('Patch shop-db', 'standard', 'low', '[2026-06-02 23:00+00,2026-06-03 01:00+00)');
INSERT INTO ims.change_ci (change_id, ci_id) VALUES (2, 3);
UPDATE ims.change_request SET state = 'assess' WHERE id = 2;
UPDATE ims.change_request SET state = 'authorize' WHERE id = 2;
UPDATE ims.change_request SET state = 'scheduled' WHERE id = 2;

-- bob approves; the collision still blocks
SET ROLE ex_bob;
INSERT INTO ims.change_approval (change_id, decision, comment) VALUES (1, 'approved', 'tested in staging');
RESET ROLE;
SELECT * FROM ims.change_conflicts(1);
\x on
SELECT * FROM pg_temp.try($$UPDATE ims.change_request SET state = 'scheduled' WHERE id = 1$$);
\x off

-- the scheduling assistant finds the next free window; moving the change
-- invalidates bob's approval, so bob approves again, and it is scheduled
SELECT ims.change_next_slot(1, '2026-06-02 22:00+00');
UPDATE ims.change_request SET planned = ims.change_next_slot(1, '2026-06-02 22:00+00') WHERE id = 1;
SELECT approver, decision, invalidated_at IS NOT NULL AS invalidated, invalidated_because FROM ims.change_approval;
SET ROLE ex_bob;
INSERT INTO ims.change_approval (change_id, decision) VALUES (1, 'approved');
RESET ROLE;
UPDATE ims.change_request SET state = 'scheduled' WHERE id = 1 RETURNING number, state, planned;

-- blackouts: global, per class (with subclasses), per service (with what it depends on and what depends on it)
INSERT INTO ims.blackout_window (name, period, service_id) VALUES ('shop summer sale', '[2026-07-01,2026-07-15)', 1);
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('Replace disk in db-host-1', 'emergency', 'high', '[2026-07-03 02:00+00,2026-07-03 03:00+00)');
INSERT INTO ims.change_ci (change_id, ci_id) VALUES (3, 4);
SELECT kind, blocking, ci_id, detail FROM ims.change_conflicts(3);
SET ROLE ex_bob;
INSERT INTO ims.change_approval (change_id, decision, comment) VALUES (3, 'approved', 'disk failing');
RESET ROLE;
SELECT kind, blocking, ci_id, detail FROM ims.change_conflicts(3);

-- maintenance windows: shop-db may change on Berlin weeknights and weekends,
-- not over Christmas
INSERT INTO ims.maintenance_window (ci_id, cal)
VALUES (3, 'tz Europe/Berlin; mon-thu 22:00-06:00; fri 22:00-24:00; sat 00:00-24:00; sun 00:00-24:00; closed 2026-12-24..2026-12-26')
RETURNING ci_id, cal;
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('Resize shop-db', 'standard', 'low', '[2026-12-24 23:00+00,2026-12-25 00:00+00)') RETURNING id;
INSERT INTO ims.change_ci (change_id, ci_id) VALUES (4, 3);
SELECT kind, blocking, ci_id, detail FROM ims.change_conflicts(4) WHERE kind <> 'impact';
SELECT ims.change_next_slot(4, '2026-12-24 23:00+00');

-- bad input
\set VERBOSITY terse
INSERT INTO ims.change_request (title, type) VALUES ('x', 'urgent');
INSERT INTO ims.change_request (title, planned) VALUES ('x', '[2026-06-02,2026-06-01)');
INSERT INTO ims.change_approval (change_id, decision) VALUES (1, 'maybe');
INSERT INTO ims.change_approval (change_id, decision) VALUES (99, 'approved');
SELECT * FROM ims.change_conflicts(99);
\set VERBOSITY default

-- the collision neighbourhood and its depth setting
SELECT ims.change_collision_depth();
SET ims.change_collision_depth = 2;
SHOW ims.change_collision_depth;
SELECT * FROM ims.change_neighbourhood(ARRAY[3::bigint], ims.change_collision_depth()) ORDER BY ci_id;

RESET ims.change_collision_depth;
ROLLBACK;
