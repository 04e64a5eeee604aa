-- pgTAP: ims.change_next_slot against brute force.  For random scenarios
-- (blackouts, colliding scheduled changes, maintenance calendars), the slot
-- it returns must equal the earliest start on a one-minute grid whose window
-- has no time-based blocking conflict according to ims.change_conflicts_of
-- (a different code path: the conflict checks themselves).  All boundaries
-- are whole minutes, so the true answer lies on the grid.
BEGIN;
SELECT plan(32);

-- CMDB: web -> app -> db (web depends on app, app on db); other stands alone.
INSERT INTO ims.ci_class (name, parent) VALUES ('slot_class', NULL), ('slot_sub', 'slot_class') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (name, class) VALUES ('s-web', 'slot_class'), ('s-app', 'slot_sub'), ('s-db', 'slot_class'),
    ('s-other', 'slot_class');
SELECT id AS web FROM ims.ci WHERE name = 's-web' \gset
SELECT id AS app FROM ims.ci WHERE name = 's-app' \gset
SELECT id AS db FROM ims.ci WHERE name = 's-db' \gset
SELECT id AS other FROM ims.ci WHERE name = 's-other' \gset
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES (:web, :app, 'depends_on'), (:app, :db, 'depends_on');

-- The change under test (on app), filed with a window whose length is what matters.
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('slot target', 'standard', 'low', '[2026-06-01 00:00+00,2026-06-01 01:00+00)') RETURNING id AS tgt \gset
INSERT INTO ims.change_ci VALUES (:tgt, :app);

-- brute(change, after, within): the earliest whole-minute start in
-- [after, after + within) whose window has no blocking blackout, collision or
-- maintenance conflict, by asking change_conflicts_of about every candidate.
CREATE FUNCTION pg_temp.brute(c bigint, after timestamptz, within interval) RETURNS tstzrange
LANGUAGE plpgsql AS $$
DECLARE
    r ims.change_request;
    len interval;
    s timestamptz := after;
BEGIN
    SELECT * INTO r FROM ims.change_request WHERE id = c;
    len := upper(r.planned) - lower(r.planned);
    WHILE s < after + within LOOP
        -- (a start outside some affected CI's calendar cannot work: skip it cheaply)
        IF EXISTS (SELECT 1 FROM ims.maintenance_window m JOIN ims.change_ci cc ON cc.ci_id = m.ci_id
                    WHERE cc.change_id = c AND NOT ims.is_business_time(m.cal, s)) THEN
            s := s + interval '1 minute';
            CONTINUE;
        END IF;
        r.planned := tstzrange(s, s + len);
        IF NOT EXISTS (SELECT 1 FROM ims.change_conflicts_of(r) k
                        WHERE k.blocking AND k.kind IN ('blackout', 'collision', 'outside_maintenance_window')) THEN
            RETURN r.planned;
        END IF;
        s := s + interval '1 minute';
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION pg_temp.some_calendar() RETURNS ims.calendar LANGUAGE sql AS $$
    SELECT ((ARRAY[
        'tz Europe/Berlin; mon-fri 20:00-23:00; sat 08:00-18:00; closed 2026-06-03',
        'tz UTC; mon-fri 18:00-24:00; sat 00:00-24:00; sun 00:00-24:00',
        'tz America/New_York; mon-fri 00:00-06:00,22:00-24:00; closed 2026-06-02..2026-06-04',
        'tz UTC; sat 00:00-24:00; sun 00:00-24:00',
        'tz UTC; mon-fri 22:00-06:00; closed 2026-06-05',
        'tz Asia/Tokyo; mon-sun 01:00-05:30; 2026-06-02 01:00-02:00'])[1 + floor(random() * 6)::int])::ims.calendar
$$;

-- scenario(seed): random blackouts and scheduled changes around 2026-06-01..03,
-- all on whole minutes, loaded directly (as a bulk load would).
CREATE FUNCTION pg_temp.scenario(seed float8, web bigint, app bigint, db bigint, other bigint, tgt bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := '2026-06-01 00:00+00';
    s timestamptz;
    i int;
    cis bigint[] := ARRAY[web, app, db, other];
BEGIN
    PERFORM setseed(seed);
    DELETE FROM ims.blackout_window;
    DELETE FROM ims.maintenance_window;
    SET LOCAL session_replication_role = replica;
    DELETE FROM ims.change_ci WHERE change_id <> tgt;
    DELETE FROM ims.change_request WHERE id <> tgt;
    FOR i IN 1..(1 + floor(random() * 4))::int LOOP
        s := t0 + floor(random() * 2880) * interval '1 minute';
        INSERT INTO ims.blackout_window (name, period, ci_class)
        VALUES ('b' || i, tstzrange(s, s + (30 + floor(random() * 300)) * interval '1 minute'),
                (ARRAY[NULL, 'slot_class', 'slot_sub'])[1 + floor(random() * 3)::int]);
    END LOOP;
    FOR i IN 1..(4 + floor(random() * 8))::int LOOP
        s := t0 + floor(random() * 1800) * interval '1 minute';
        INSERT INTO ims.change_request (id, title, type, risk, state, planned)
        VALUES (100000 + i, 'other ' || i, 'standard', 'low',
                (ARRAY['scheduled', 'implement', 'authorize'])[1 + floor(random() * 3)::int],
                tstzrange(s, s + (15 + floor(random() * 400)) * interval '1 minute'));
        INSERT INTO ims.change_ci VALUES (100000 + i, cis[1 + floor(random() * 4)::int]);
    END LOOP;
    UPDATE ims.change_request
       SET planned = tstzrange('2026-06-01 00:00+00', timestamptz '2026-06-01 00:00+00' + (20 + floor(random() * 240)) * interval '1 minute')
     WHERE id = tgt;
    -- maintenance calendars (weekly hours, overnight windows, weekends, holidays, other zones)
    -- on the app and sometimes the db, and sometimes the db among the target's CIs
    DELETE FROM ims.change_ci WHERE change_id = tgt AND ci_id = db;
    IF random() < 0.5 THEN
        INSERT INTO ims.change_ci VALUES (tgt, db);
    END IF;
    IF random() < 0.8 THEN
        INSERT INTO ims.maintenance_window (ci_id, cal) VALUES (app, pg_temp.some_calendar());
    END IF;
    IF random() < 0.5 THEN
        INSERT INTO ims.maintenance_window (ci_id, cal) VALUES (db, pg_temp.some_calendar());
    END IF;
    SET LOCAL session_replication_role = origin;
END $$;

-- Hand-made cases first.
SELECT pg_temp.scenario(0.0, :web, :app, :db, :other, :tgt);
SET LOCAL session_replication_role = replica;
DELETE FROM ims.blackout_window; DELETE FROM ims.change_ci WHERE change_id <> :tgt; DELETE FROM ims.change_request WHERE id <> :tgt;
DELETE FROM ims.maintenance_window; DELETE FROM ims.change_ci WHERE change_id = :tgt AND ci_id <> :app;
UPDATE ims.change_request SET planned = '[2026-06-01 00:00+00,2026-06-01 01:00+00)' WHERE id = :tgt;
INSERT INTO ims.blackout_window (name, period) VALUES ('g', '[2026-06-01 08:00+00,2026-06-01 10:00+00)');
INSERT INTO ims.change_request (id, title, type, risk, state, planned) VALUES
    (200001, 'on db', 'standard', 'low', 'scheduled', '[2026-06-01 10:30+00,2026-06-01 11:00+00)'),
    (200002, 'on other', 'standard', 'low', 'scheduled', '[2026-06-01 11:00+00,2026-06-01 12:00+00)'),
    (200003, 'on web, not active', 'standard', 'low', 'authorize', '[2026-06-01 11:00+00,2026-06-01 12:00+00)');
INSERT INTO ims.change_ci VALUES (200001, :db), (200002, :other), (200003, :web);
SET LOCAL session_replication_role = origin;
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 06:00+00', '1 day'), '[2026-06-01 06:00+00,2026-06-01 07:00+00)'::tstzrange,
          'a free start is returned as it is');
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:00+00', '1 day'), '[2026-06-01 07:00+00,2026-06-01 08:00+00)'::tstzrange,
          'a window may end exactly when a blackout starts');
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '1 day'), '[2026-06-01 11:00+00,2026-06-01 12:00+00)'::tstzrange,
          'past the blackout, past the collision on the db the app depends on; unrelated and inactive changes do not count');
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '1 day'), pg_temp.brute(:tgt, '2026-06-01 07:30+00', '1 day'),
          '... which is what brute force finds');
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '3 hours'), NULL::tstzrange, 'NULL when no start fits in the horizon');
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '3 hours 31 minutes'), '[2026-06-01 11:00+00,2026-06-01 12:00+00)'::tstzrange,
          'the horizon bounds the start, not the end');
SELECT throws_ok(format('SELECT ims.change_next_slot(%s, now(), %L)', :tgt, '-1 day'), '22023', NULL, 'a negative horizon: 22023');
SELECT throws_ok(format('SELECT ims.change_next_slot(%s, %L)', :tgt, 'infinity'), '22023', NULL, 'an infinite start: 22023');
SELECT throws_ok('SELECT ims.change_next_slot(-1)', '22023', NULL, 'an unknown change: 22023');
-- an emergency change with its emergency approval may use the blackout
CREATE ROLE t_slot_mgr; GRANT ims_change_manager TO t_slot_mgr;
UPDATE ims.change_request SET type = 'emergency' WHERE id = :tgt;
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '1 day'), '[2026-06-01 11:00+00,2026-06-01 12:00+00)'::tstzrange,
          'an unapproved emergency change still avoids the blackout');
SET LOCAL ROLE t_slot_mgr;
INSERT INTO ims.change_approval (change_id, decision) VALUES (:tgt, 'approved');
RESET ROLE;
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '1 day'), '[2026-06-01 07:30+00,2026-06-01 08:30+00)'::tstzrange,
          'with its emergency approval it may use the blackout (but not collide)');
SELECT is(ims.change_next_slot(:tgt, '2026-06-01 07:30+00', '1 day'), pg_temp.brute(:tgt, '2026-06-01 07:30+00', '1 day'),
          '... as brute force agrees');
UPDATE ims.change_request SET type = 'standard' WHERE id = :tgt;

-- Across a DST change: Sunday 01:00-04:00 in Berlin is two real hours on 2026-03-29
-- (02:00 CET jumps to 03:00 CEST) and three a week later.
SET LOCAL session_replication_role = replica;
DELETE FROM ims.blackout_window; DELETE FROM ims.change_ci WHERE change_id <> :tgt; DELETE FROM ims.change_request WHERE id <> :tgt;
DELETE FROM ims.maintenance_window; DELETE FROM ims.change_ci WHERE change_id = :tgt AND ci_id <> :app;
INSERT INTO ims.maintenance_window (ci_id, cal) VALUES (:app, 'tz Europe/Berlin; sun 01:00-04:00');
UPDATE ims.change_request SET planned = '[2026-03-01 00:00+00,2026-03-01 01:30+00)' WHERE id = :tgt;
SET LOCAL session_replication_role = origin;
SELECT is(ims.change_next_slot(:tgt, '2026-03-28 12:00+00', '2 days'), '[2026-03-29 00:00+00,2026-03-29 01:30+00)'::tstzrange,
          '90 minutes fit into the short DST night');
SET LOCAL session_replication_role = replica;
UPDATE ims.change_request SET planned = '[2026-03-01 00:00+00,2026-03-01 02:30+00)' WHERE id = :tgt;
SET LOCAL session_replication_role = origin;
SELECT is(ims.change_next_slot(:tgt, '2026-03-28 12:00+00', '9 days'), '[2026-04-04 23:00+00,2026-04-05 01:30+00)'::tstzrange,
          '150 minutes do not: the next Sunday');
SELECT is(ims.change_next_slot(:tgt, '2026-03-28 12:00+00', '9 days'), pg_temp.brute(:tgt, '2026-03-28 12:00+00', '9 days'),
          '... as brute force agrees');

-- Random scenarios against brute force (with maintenance calendars).
CREATE TEMP TABLE rnd (seed int, after timestamptz, slot tstzrange, brute tstzrange);
DO $$
DECLARE
    w bigint := (SELECT id FROM ims.ci WHERE name = 's-web');
    a bigint := (SELECT id FROM ims.ci WHERE name = 's-app');
    d bigint := (SELECT id FROM ims.ci WHERE name = 's-db');
    o bigint := (SELECT id FROM ims.ci WHERE name = 's-other');
    t bigint := (SELECT id FROM ims.change_request WHERE title = 'slot target');
    af timestamptz;
BEGIN
    FOR i IN 1..14 LOOP
        PERFORM pg_temp.scenario(i / 100.0, w, a, d, o, t);
        af := timestamptz '2026-06-01 00:00+00' + floor(random() * 1440) * interval '1 minute';
        INSERT INTO rnd VALUES (i, af, ims.change_next_slot(t, af, '6 days'), pg_temp.brute(t, af, '6 days'));
    END LOOP;
END $$;
SELECT is(slot, brute, format('random scenario %s (from %s): next_slot equals brute force', seed, after))
  FROM rnd ORDER BY seed;

-- Long horizons are bounded: more than 100 years is refused (22023); a
-- search across 2,000 busy weeks (the only window, Saturday 00:00-03:00, is
-- taken by a scheduled change every week from 2030 to 2068) walks the busy
-- periods once and finds the first free Saturday after them.
SELECT throws_ok(format('SELECT ims.change_next_slot(%s, %L, %L)', :tgt, '2030-01-07 00:00+00', '101 years'),
                 '22023', NULL, 'a horizon over 100 years is refused (22023)');
INSERT INTO ims.ci (name, class) VALUES ('s-lonely', 'slot_class') RETURNING id AS lonely \gset
INSERT INTO ims.change_request (title, type, risk, planned)
VALUES ('slot long', 'standard', 'low', '[2030-01-01 00:00+00,2030-01-01 02:00+00)') RETURNING id AS lng \gset
INSERT INTO ims.change_ci VALUES (:lng, :lonely);
INSERT INTO ims.maintenance_window (ci_id, cal) VALUES (:lonely, 'tz UTC; sat 00:00-03:00');
SET LOCAL session_replication_role = replica;
INSERT INTO ims.change_request (title, type, risk, state, requested_by, planned)
SELECT 'slot busy ' || k, 'standard', 'low', 'scheduled', current_user,
       tstzrange(timestamptz '2030-01-11 23:00+00' + k * interval '7 days', timestamptz '2030-01-12 02:00+00' + k * interval '7 days')
  FROM generate_series(0, 1999) k;
INSERT INTO ims.change_ci SELECT id, :lonely FROM ims.change_request WHERE title LIKE 'slot busy %';
SET LOCAL session_replication_role = origin;
SELECT is(ims.change_next_slot(:lng, '2030-01-07 00:00+00', '100 years'), '[2068-05-12 00:00+00,2068-05-12 02:00+00)'::tstzrange,
          'across 2,000 busy weeks: the first free Saturday after them');
SELECT is(ims.change_next_slot(:lng, '2030-01-07 00:00+00', '38 years'), NULL::tstzrange,
          '... and NULL when the horizon ends before it');

SELECT * FROM finish();
ROLLBACK;
