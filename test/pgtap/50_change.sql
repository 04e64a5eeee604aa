-- pgTAP: change management (SPEC section 6): bad input, approval rules,
-- every conflict kind alone and combined, enforcement (IM002), emergency
-- changes and blackouts, invalidation on re-planning, change_next_slot.
BEGIN;
SELECT plan(83);

-- A small CMDB:  portal -> svc (business service) -> app -> db -> srv1 ;  db2 -> srv2 ;
-- old (a retired server).  "a -> b" means a depends on b.
INSERT INTO ims.ci_class (name, parent) VALUES ('hardware', NULL), ('software', NULL), ('service', NULL)
    ON CONFLICT DO NOTHING;
INSERT INTO ims.ci_class (name, parent) VALUES ('server', 'hardware'), ('database', 'software'),
    ('application', 'software'), ('business_service', 'service') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci_class (name, parent) VALUES ('t_linux', 'server') ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('depends_on', 'used_by') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (name, class, status) VALUES
    ('t-svc', 'business_service', 'operational'), ('t-app', 'application', 'operational'),
    ('t-db', 'database', 'operational'), ('t-srv1', 't_linux', 'operational'),
    ('t-db2', 'database', 'operational'), ('t-srv2', 'server', 'operational'),
    ('t-old', 'server', 'retired'), ('t-portal', 'application', 'operational');
CREATE TEMP TABLE cis AS SELECT name, id FROM ims.ci WHERE name LIKE 't-%';
SELECT id AS svc FROM cis WHERE name = 't-svc' \gset
SELECT id AS app FROM cis WHERE name = 't-app' \gset
SELECT id AS db FROM cis WHERE name = 't-db' \gset
SELECT id AS srv1 FROM cis WHERE name = 't-srv1' \gset
SELECT id AS db2 FROM cis WHERE name = 't-db2' \gset
SELECT id AS srv2 FROM cis WHERE name = 't-srv2' \gset
SELECT id AS old FROM cis WHERE name = 't-old' \gset
SELECT id AS portal FROM cis WHERE name = 't-portal' \gset
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES
    (:svc, :app, 'depends_on'), (:app, :db, 'depends_on'), (:db, :srv1, 'depends_on'), (:db2, :srv2, 'depends_on'),
    (:portal, :svc, 'depends_on');

-- People: alice requests, bob and carol manage changes, dave is an agent only.
CREATE ROLE t_alice; CREATE ROLE t_bob; CREATE ROLE t_carol; CREATE ROLE t_dave;
GRANT ims_agent TO t_alice, t_dave;
GRANT ims_change_manager TO t_bob, t_carol, t_alice;  -- alice may approve, but not her own changes

-- new_change(title, type, risk, planned, cis) files a change as t_alice and returns its id.
CREATE FUNCTION pg_temp.new_change(t text, ty text, r text, p tstzrange, c bigint[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE i bigint;
BEGIN
    SET LOCAL ROLE t_alice;
    INSERT INTO ims.change_request (title, type, risk, planned) VALUES (t, ty, r, p) RETURNING id INTO i;
    INSERT INTO ims.change_ci (change_id, ci_id) SELECT i, x FROM unnest(c) x;
    RESET ROLE;
    RETURN i;
END $$;
-- vote(change, who, decision [, comment])
CREATE FUNCTION pg_temp.vote(c bigint, who text, d text, cm text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', who);
    INSERT INTO ims.change_approval (change_id, decision, comment) VALUES (c, d, cm);
    RESET ROLE;
END $$;
-- kinds(change): the sorted conflict kinds, blocking ones in capitals
CREATE FUNCTION pg_temp.kinds(c bigint) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(CASE WHEN blocking THEN upper(kind) ELSE kind END ORDER BY kind, ci_id, other_change), '{}')
      FROM ims.change_conflicts(c) $$;
-- move(change, state): walk the workflow to a state, as postgres
CREATE FUNCTION pg_temp.move(c bigint, s text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE path text[] := ARRAY['new', 'assess', 'authorize', 'scheduled', 'implement', 'review', 'closed'];
        cur text;
BEGIN
    SELECT state INTO cur FROM ims.change_request WHERE id = c;
    FOR i IN array_position(path, cur) + 1 .. array_position(path, s) LOOP
        UPDATE ims.change_request SET state = path[i] WHERE id = c;
    END LOOP;
END $$;

-- ---------------------------------------------------------------- bad input
SET ROLE t_alice;
SELECT throws_ok($$INSERT INTO ims.change_request (title, type) VALUES ('x', 'urgent')$$, '23514', NULL,
                 'an unknown type is refused (23514)');
SELECT throws_ok($$INSERT INTO ims.change_request (title, risk) VALUES ('x', 'extreme')$$, '23514', NULL,
                 'an unknown risk is refused (23514)');
SELECT throws_ok($$INSERT INTO ims.change_request (title, planned) VALUES ('x', 'empty')$$, '23514', NULL,
                 'an empty planned window is refused (23514)');
SELECT throws_ok($$INSERT INTO ims.change_request (title, planned) VALUES ('x', '[2026-05-02,2026-05-01)')$$, '22000', NULL,
                 'an inverted planned window is refused (22000, by the range type)');
SELECT throws_ok($$INSERT INTO ims.change_request (title, planned) VALUES ('x', '[2026-05-01,)')$$, '23514', NULL,
                 'an open-ended planned window is refused (23514)');
SELECT throws_ok($$INSERT INTO ims.change_request (title) VALUES ('  ')$$, '23514', NULL,
                 'a blank title is refused (23514)');
SELECT throws_ok($$INSERT INTO ims.change_request (title, requested_by) VALUES ('x', 't_bob')$$, '42501', NULL,
                 'filing a change on behalf of someone else needs ims_admin (42501)');
RESET ROLE;
SELECT is((SELECT count(*) FROM ims.change_request), 0::bigint, 'bad input wrote nothing');

SELECT pg_temp.new_change('no cis', 'normal', 'moderate', '[2026-06-01 10:00+00,2026-06-01 12:00+00)', '{}') AS nocis \gset
SELECT throws_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'assess', :nocis), 'IM004', NULL,
                 'a change without CIs cannot enter assess (IM004)');
SELECT is((SELECT state FROM ims.change_request WHERE id = :nocis), 'new', '... and stays new');
SELECT alike((SELECT number FROM ims.change_request WHERE id = :nocis), 'CHG_______', 'numbers look like CHG0000001');
SELECT is((SELECT requested_by::text FROM ims.change_request WHERE id = :nocis), 't_alice', 'requested_by defaults to current_user');

SET ROLE t_bob;
SELECT throws_ok($$INSERT INTO ims.change_approval (change_id, decision) VALUES (-1, 'approved')$$, '23503', NULL,
                 'an approval for an unknown change is refused (23503)');
SELECT throws_ok(format('INSERT INTO ims.change_approval (change_id, decision) VALUES (%s, %L)', :nocis, 'maybe'), '23514', NULL,
                 'a decision other than approved/rejected is refused (23514)');
RESET ROLE;
SELECT is((SELECT count(*) FROM ims.change_approval), 0::bigint, 'no vote was written');
SELECT throws_ok('SELECT * FROM ims.change_conflicts(-1)', '22023', NULL, 'change_conflicts of an unknown change: 22023');

-- ------------------------------------------------------------ approval rules
SELECT pg_temp.new_change('patch db', 'normal', 'moderate', '[2026-06-02 10:00+00,2026-06-02 12:00+00)', ARRAY[:db2]) AS c1 \gset
SELECT pg_temp.move(:c1, 'authorize');
SET ROLE t_alice;
SELECT throws_ok(format('INSERT INTO ims.change_approval (change_id, decision) VALUES (%s, %L)', :c1, 'approved'), 'IM003', NULL,
                 'the requester may not approve her own change (IM003)');
RESET ROLE;
SET ROLE t_dave;
SELECT throws_ok(format('INSERT INTO ims.change_approval (change_id, decision) VALUES (%s, %L)', :c1, 'approved'), '42501', NULL,
                 'someone outside ims_change_manager may not approve (42501)');
RESET ROLE;
SET ROLE t_bob;
SELECT throws_ok(format('INSERT INTO ims.change_approval (change_id, approver, decision) VALUES (%s, %L, %L)', :c1, 't_carol', 'approved'),
                 '42501', NULL, 'nobody votes in someone else''s name (42501)');
RESET ROLE;
SELECT is(pg_temp.kinds(:c1), ARRAY['MISSING_APPROVAL'], 'before any vote: missing_approval');
SELECT lives_ok(format('SELECT pg_temp.vote(%s, %L, %L)', :c1, 't_bob', 'approved'), 'a change manager approves');
SELECT throws_ok(format('SELECT pg_temp.vote(%s, %L, %L)', :c1, 't_bob', 'approved'), '23505', NULL,
                 'one vote per approver (23505)');
SELECT is(pg_temp.kinds(:c1), '{}'::text[], 'normal/moderate: one approval is enough');
SELECT throws_ok(format('UPDATE ims.change_approval SET decision = %L WHERE change_id = %s', 'rejected', :c1), '55000', NULL,
                 'a vote cannot be edited (55000)');
SELECT throws_ok(format('DELETE FROM ims.change_approval WHERE change_id = %s', :c1), '55000', NULL,
                 'a vote cannot be deleted (55000)');

-- re-planning invalidates
UPDATE ims.change_request SET planned = '[2026-06-03 10:00+00,2026-06-03 12:00+00)' WHERE id = :c1;
SELECT isnt((SELECT invalidated_at FROM ims.change_approval WHERE change_id = :c1 AND approver = 't_bob'), NULL,
            'moving the planned window invalidates the approval');
SELECT is(pg_temp.kinds(:c1), ARRAY['MISSING_APPROVAL'], '... so the approval is missing again');
SELECT lives_ok(format('SELECT pg_temp.vote(%s, %L, %L)', :c1, 't_bob', 'approved'), '... and bob may vote again');
INSERT INTO ims.change_ci (change_id, ci_id) VALUES (:c1, :srv2);
SELECT is((SELECT count(*) FROM ims.change_approval WHERE change_id = :c1 AND invalidated_at IS NULL), 0::bigint,
          'adding an affected CI invalidates the approvals');
SELECT pg_temp.vote(:c1, 't_bob', 'approved');
DELETE FROM ims.change_ci WHERE change_id = :c1 AND ci_id = :srv2;
SELECT is((SELECT count(*) FROM ims.change_approval WHERE change_id = :c1 AND invalidated_at IS NULL), 0::bigint,
          'removing an affected CI invalidates the approvals');
SELECT pg_temp.vote(:c1, 't_bob', 'approved');

-- two approvals for high risk, a rejection blocks
SELECT pg_temp.new_change('upgrade db', 'normal', 'high', '[2026-06-04 10:00+00,2026-06-04 12:00+00)', ARRAY[:db2]) AS c2 \gset
SELECT pg_temp.move(:c2, 'authorize');
SELECT pg_temp.vote(:c2, 't_bob', 'approved');
SELECT is(pg_temp.kinds(:c2), ARRAY['MISSING_APPROVAL'], 'normal/high: one approval is not enough');
SELECT alike((SELECT detail FROM ims.change_conflicts(:c2) WHERE kind = 'missing_approval'), '1 of 2 required approvals by ims_change_manager%',
            '... the detail counts 1 of 2');
SELECT pg_temp.vote(:c2, 't_carol', 'rejected', 'no rollback plan');
SELECT is(pg_temp.kinds(:c2), ARRAY['MISSING_APPROVAL', 'REJECTED'], 'a rejection blocks');
SELECT throws_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'scheduled', :c2), 'IM002', NULL,
                 'a rejected change cannot be scheduled (IM002)');
-- standard changes are pre-approved
SELECT pg_temp.new_change('std', 'standard', 'low', '[2026-06-05 10:00+00,2026-06-05 11:00+00)', ARRAY[:db2]) AS c3 \gset
SELECT is(pg_temp.kinds(:c3), '{}'::text[], 'a standard change needs no approval');
-- a finished change takes no votes
UPDATE ims.change_request SET state = 'cancelled' WHERE id = :c3;
SELECT throws_ok(format('SELECT pg_temp.vote(%s, %L, %L)', :c3, 't_bob', 'approved'), '55000', NULL,
                 'a closed or cancelled change takes no votes (55000)');
-- policies: shipped rows are read-only, an own row overrides
SELECT throws_ok($$UPDATE ims.approval_policy SET min_approvals = 5 WHERE type = 'normal' AND risk = 'low'$$, '55000', NULL,
                 'shipped approval policies are read-only (55000)');
INSERT INTO ims.approval_policy (type, risk, min_approvals) VALUES ('normal', 'moderate', 2);
SELECT is(pg_temp.kinds(:c1), ARRAY['MISSING_APPROVAL'], 'an own policy row overrides the shipped one');
DELETE FROM ims.approval_policy WHERE NOT shipped;
SELECT is(pg_temp.kinds(:c1), '{}'::text[], '... and deleting it restores the default');

-- ------------------------------------------------------- each conflict kind
SELECT pg_temp.new_change('nowin', 'standard', 'low', NULL, ARRAY[:db2]) AS nw \gset
SELECT is(pg_temp.kinds(:nw), ARRAY['NO_WINDOW'], 'no_window alone');
SELECT pg_temp.new_change('retired', 'standard', 'low', '[2026-06-06 10:00+00,2026-06-06 11:00+00)', ARRAY[:old]) AS rt \gset
SELECT is(pg_temp.kinds(:rt), ARRAY['RETIRED_CI'], 'retired_ci alone');
SELECT is((SELECT ci_id FROM ims.change_conflicts(:rt)), :old::bigint, '... naming the CI');
SELECT pg_temp.new_change('impact', 'standard', 'low', '[2026-06-06 10:00+00,2026-06-06 11:00+00)', ARRAY[:db]) AS im \gset
SELECT is(pg_temp.kinds(:im), ARRAY['impact'], 'impact alone, non-blocking');
SELECT is((SELECT ci_id FROM ims.change_conflicts(:im) WHERE kind = 'impact'), :svc::bigint, '... naming the business service');

-- blackouts: global, by class (and subclass), by service
INSERT INTO ims.blackout_window (name, period) VALUES ('year end', '[2026-12-20,2027-01-02)');
INSERT INTO ims.blackout_window (name, period, ci_class) VALUES ('server freeze', '[2026-07-01,2026-07-08)', 'server');
INSERT INTO ims.blackout_window (name, period, service_id) VALUES ('svc launch', '[2026-08-01,2026-08-08)', :svc);
SELECT pg_temp.new_change('bo1', 'standard', 'low', '[2026-12-22 10:00+00,2026-12-22 11:00+00)', ARRAY[:db2]) AS bo1 \gset
SELECT is(pg_temp.kinds(:bo1), ARRAY['BLACKOUT'], 'a global blackout alone');
SELECT pg_temp.new_change('bo2', 'standard', 'low', '[2026-07-02 10:00+00,2026-07-02 11:00+00)', ARRAY[:srv1, :db2]) AS bo2 \gset
SELECT is(pg_temp.kinds(:bo2), ARRAY['BLACKOUT', 'impact'], 'a class blackout applies to a subclass (t_linux is a server)');
SELECT is((SELECT ci_id FROM ims.change_conflicts(:bo2) WHERE kind = 'blackout'), :srv1::bigint, '... and only to the CI of that class');
SELECT pg_temp.new_change('bo3', 'standard', 'low', '[2026-08-02 10:00+00,2026-08-02 11:00+00)', ARRAY[:srv1]) AS bo3 \gset
SELECT is(pg_temp.kinds(:bo3), ARRAY['BLACKOUT', 'impact'], 'a service blackout applies to what the service depends on (transitively)');
SELECT pg_temp.new_change('bo5', 'standard', 'low', '[2026-08-02 10:00+00,2026-08-02 11:00+00)', ARRAY[:portal]) AS bo5 \gset
SELECT is(pg_temp.kinds(:bo5), ARRAY['BLACKOUT'], '... and to what depends on the service');
SELECT pg_temp.new_change('bo4', 'standard', 'low', '[2026-08-02 10:00+00,2026-08-02 11:00+00)', ARRAY[:srv2]) AS bo4 \gset
SELECT is(pg_temp.kinds(:bo4), '{}'::text[], '... but not to unrelated CIs');

-- collisions: same CI, a dependency, a dependent; depth setting
SELECT pg_temp.new_change('sched db', 'standard', 'low', '[2026-09-01 10:00+00,2026-09-01 12:00+00)', ARRAY[:db]) AS s1 \gset
SELECT pg_temp.move(:s1, 'scheduled');
SELECT is((SELECT state FROM ims.change_request WHERE id = :s1), 'scheduled', 'a conflict-free standard change is scheduled');
SELECT pg_temp.new_change('same', 'standard', 'low', '[2026-09-01 11:00+00,2026-09-01 13:00+00)', ARRAY[:db]) AS k1 \gset
SELECT is(pg_temp.kinds(:k1), ARRAY['COLLISION', 'impact'], 'collision on the same CI');
SELECT is((SELECT other_change FROM ims.change_conflicts(:k1) WHERE kind = 'collision'), :s1::bigint, '... naming the other change');
SELECT pg_temp.new_change('dependent', 'standard', 'low', '[2026-09-01 11:00+00,2026-09-01 13:00+00)', ARRAY[:app]) AS k2 \gset
SELECT is(pg_temp.kinds(:k2), ARRAY['COLLISION', 'impact'], 'collision with a change on a CI the app depends on');
SELECT alike((SELECT detail FROM ims.change_conflicts(:k2) WHERE kind = 'collision'), '%on t-db, which t-app depends on', '... explained');
SELECT pg_temp.new_change('dependency', 'standard', 'low', '[2026-09-01 11:00+00,2026-09-01 13:00+00)', ARRAY[:srv1]) AS k3 \gset
SELECT is(pg_temp.kinds(:k3), ARRAY['COLLISION', 'impact'], 'collision with a change on a CI that depends on the server');
SELECT pg_temp.new_change('two away', 'standard', 'low', '[2026-09-01 11:00+00,2026-09-01 13:00+00)', ARRAY[:svc]) AS k4 \gset
SELECT is(pg_temp.kinds(:k4), ARRAY['impact'], 'no collision two steps away at depth 1');
SET LOCAL ims.change_collision_depth = 2;
SELECT is(pg_temp.kinds(:k4), ARRAY['COLLISION', 'impact'], '... but at ims.change_collision_depth = 2');
RESET ims.change_collision_depth;
SELECT pg_temp.new_change('later', 'standard', 'low', '[2026-09-01 12:00+00,2026-09-01 13:00+00)', ARRAY[:db]) AS k5 \gset
SELECT is(pg_temp.kinds(:k5), ARRAY['impact'], 'windows that only touch do not collide');

-- combined, and the IM002 detail lists every blocking conflict
SELECT pg_temp.new_change('all', 'normal', 'high', '[2026-12-22 11:00+00,2026-12-22 13:00+00)', ARRAY[:db, :old]) AS al \gset
SELECT pg_temp.new_change('blocker', 'standard', 'low', '[2026-12-22 12:00+00,2026-12-22 14:00+00)', ARRAY[:srv1]) AS bl \gset
INSERT INTO ims.blackout_window (name, period) VALUES ('short', '[2026-12-22 14:00+00,2026-12-22 15:00+00)');
DELETE FROM ims.blackout_window WHERE name = 'year end';
SELECT pg_temp.move(:bl, 'scheduled');
INSERT INTO ims.blackout_window (name, period) VALUES ('year end', '[2026-12-20,2027-01-02)');
SELECT pg_temp.move(:al, 'authorize');
SELECT pg_temp.vote(:al, 't_carol', 'rejected');
SELECT is(pg_temp.kinds(:al), ARRAY['BLACKOUT', 'COLLISION', 'impact', 'MISSING_APPROVAL', 'REJECTED', 'RETIRED_CI'],
          'every kind at once');
SELECT throws_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'scheduled', :al), 'IM002', NULL,
                 'scheduling it raises IM002');
CREATE FUNCTION pg_temp.im002_detail(c bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    UPDATE ims.change_request SET state = 'scheduled' WHERE id = c;
    RETURN NULL;
EXCEPTION WHEN SQLSTATE 'IM002' THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END $$;
SELECT is((SELECT array_agg(split_part(l, ':', 1) ORDER BY l) FROM regexp_split_to_table(pg_temp.im002_detail(:al), E'\n') l),
          ARRAY['blackout', 'collision (CI ' || :db || ')', 'missing_approval', 'rejected', 'retired_ci (CI ' || :old || ')'],
          'the IM002 detail lists every blocking conflict, one per line');

-- enforcement on implement too, and a scheduled change is frozen
INSERT INTO ims.blackout_window (name, period, ci_class) VALUES ('late freeze', '[2026-09-01,2026-09-02)', 'database');
SELECT throws_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'implement', :s1), 'IM002', NULL,
                 'entering implement re-checks (a blackout added after scheduling blocks, IM002)');
DELETE FROM ims.blackout_window WHERE name = 'late freeze';
SELECT throws_ok(format('UPDATE ims.change_request SET planned = %L WHERE id = %s', '[2026-09-02 10:00+00,2026-09-02 11:00+00)', :s1),
                 '55000', NULL, 'a scheduled change cannot be re-planned (55000)');
SELECT throws_ok(format('INSERT INTO ims.change_ci VALUES (%s, %s)', :s1, :srv2), '55000', NULL,
                 'the CIs of a scheduled change cannot change (55000)');
SELECT lives_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'implement', :s1),
                'entering implement without conflicts');
SELECT ok((SELECT lower(actual) = now() AND upper_inf(actual) FROM ims.change_request WHERE id = :s1),
          'entering implement opens the actual window');

-- ------------------------------------------------ emergency changes and blackouts
SELECT pg_temp.new_change('hotfix', 'emergency', 'high', '[2026-12-23 02:00+00,2026-12-23 03:00+00)', ARRAY[:db2]) AS em \gset
SELECT pg_temp.move(:em, 'authorize');
SELECT is(pg_temp.kinds(:em), ARRAY['BLACKOUT', 'MISSING_APPROVAL'], 'an unapproved emergency change is blocked by the blackout');
SELECT pg_temp.vote(:em, 't_bob', 'approved');
SELECT is(pg_temp.kinds(:em), ARRAY['blackout'], 'with its emergency approval the blackout no longer blocks');
SELECT alike((SELECT detail FROM ims.change_conflicts(:em)), '%passed with an emergency approval', '... and says so');
SELECT lives_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'scheduled', :em),
                'the approved emergency change is scheduled inside the blackout');
SELECT pg_temp.new_change('not urgent', 'normal', 'low', '[2026-12-23 04:00+00,2026-12-23 05:00+00)', ARRAY[:db2]) AS nm \gset
SELECT pg_temp.move(:nm, 'authorize');
SELECT pg_temp.vote(:nm, 't_bob', 'approved');
SELECT is(pg_temp.kinds(:nm), ARRAY['BLACKOUT'], 'an approved normal change stays blocked by the blackout');

-- ------------------------------------------------------------ change_next_slot
-- (no maintenance windows here: blackouts and collisions only; see 51_change_slot.sql)
SELECT pg_temp.new_change('slot', 'standard', 'low', '[2026-12-21 10:00+00,2026-12-21 12:00+00)', ARRAY[:db]) AS sl \gset
SELECT is(ims.change_next_slot(:sl, '2026-12-21 00:00+00', '30 days'), '[2027-01-02 00:00+00,2027-01-02 02:00+00)'::tstzrange,
          'next_slot skips the year-end blackout');
SELECT is(ims.change_next_slot(:sl, '2026-09-01 09:00+00', '1 day'), '[2026-09-01 12:00+00,2026-09-01 14:00+00)'::tstzrange,
          'next_slot skips a colliding change on the same CI');
SELECT is(ims.change_next_slot(:sl, '2026-12-21 00:00+00', '5 days'), NULL::tstzrange, 'NULL when nothing fits within the horizon');
SELECT throws_ok(format('SELECT ims.change_next_slot(%s)', :nw), 'IM004', NULL, 'next_slot needs a planned length (IM004)');

-- ------------------------------------------------------- maintenance windows
-- db2 may change only at weekends (2026-06-06 is a Saturday).
INSERT INTO ims.maintenance_window (ci_id, cal) VALUES (:db2, 'tz UTC; sat 00:00-24:00; sun 00:00-24:00');
SELECT pg_temp.new_change('mw ok', 'standard', 'low', '[2026-06-06 10:00+00,2026-06-06 12:00+00)', ARRAY[:db2]) AS mw1 \gset
SELECT is(pg_temp.kinds(:mw1), '{}'::text[], 'inside the maintenance window: no conflict');
SELECT pg_temp.new_change('mw bad', 'standard', 'low', '[2026-06-05 23:00+00,2026-06-06 01:00+00)', ARRAY[:db2]) AS mw2 \gset
SELECT is(pg_temp.kinds(:mw2), ARRAY['OUTSIDE_MAINTENANCE_WINDOW'], 'outside_maintenance_window alone (starts on Friday)');
SELECT is((SELECT ci_id FROM ims.change_conflicts(:mw2)), :db2::bigint, '... naming the CI');
SELECT is(ims.change_next_slot(:mw2, '2026-06-05 12:00+00', '7 days'), '[2026-06-06 00:00+00,2026-06-06 02:00+00)'::tstzrange,
          'next_slot moves it into the weekend window');
SELECT pg_temp.new_change('mw combined', 'normal', 'low', '[2026-12-23 10:00+00,2026-12-23 11:00+00)', ARRAY[:db2]) AS mw3 \gset
SELECT is(pg_temp.kinds(:mw3), ARRAY['BLACKOUT', 'MISSING_APPROVAL', 'OUTSIDE_MAINTENANCE_WINDOW'],
          'outside_maintenance_window combined with a blackout and a missing approval');

-- the outcome and the actual window
SELECT throws_ok(format('UPDATE ims.change_request SET state = %L WHERE id = %s', 'review', :s1), 'IM004', NULL,
                 'entering review without an outcome: IM004');
UPDATE ims.change_request SET state = 'review', outcome = 'backed_out' WHERE id = :s1;
SELECT ok((SELECT lower(actual) = now() AND upper(actual) = now() FROM ims.change_request WHERE id = :s1),
          'leaving implement closes the actual window');

SELECT * FROM finish();
ROLLBACK;
