-- pgTAP: the collision search against its former SQL formulation, on random
-- CMDB graphs (with cycles) and random sets of changes in every state: for
-- hundreds of random start sets, periods, depths and excluded changes,
-- ims.change_collisions (C: candidates first, then the cached graph) must
-- return the same rows in the same order as the SQL it replaced (one
-- ims.change_ci probe per neighbouring CI).  Then ims.change_conflicts_of
-- against the PL/pgSQL formulation it replaced, on random changes.
BEGIN;
SELECT plan(9);
SELECT setseed(0.5206);

CREATE TEMP TABLE tally (check_name text PRIMARY KEY, cases int DEFAULT 0, failures int DEFAULT 0, example text);
CREATE FUNCTION pg_temp.count_case(name text, bad bool, ex text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO tally VALUES (name, 1, bad::int, CASE WHEN bad THEN ex END)
    ON CONFLICT (check_name) DO UPDATE SET cases = tally.cases + 1, failures = tally.failures + excluded.failures,
                                           example = coalesce(tally.example, excluded.example) $$;

-- the SQL formulation ims.change_collisions had before it moved to C
CREATE FUNCTION pg_temp.old_collisions(change_id bigint, ci_ids bigint[], period tstzrange, max_depth int)
RETURNS TABLE (ci_id bigint, other_change bigint, other_ci bigint, distance int, direction text)
    LANGUAGE sql STABLE AS $$
    WITH nb AS MATERIALIZED (
        SELECT * FROM ims.change_neighbourhood(old_collisions.ci_ids, old_collisions.max_depth)
    ), hit AS MATERIALIZED (
        SELECT o.id, occ.ci_id
          FROM ims.change_ci occ
          JOIN LATERAL (SELECT r.id FROM ims.change_request r
                         WHERE r.id = occ.change_id
                           AND r.state = ANY (ARRAY['scheduled', 'implement'])
                           AND r.planned && old_collisions.period) o ON true
         WHERE occ.ci_id = ANY (ARRAY(SELECT DISTINCT nb.ci_id FROM nb))
           AND o.id IS DISTINCT FROM old_collisions.change_id
    )
    SELECT DISTINCT ON (nb.start_ci, hit.id) nb.start_ci, hit.id, nb.ci_id, nb.distance, nb.direction
      FROM hit JOIN nb ON nb.ci_id = hit.ci_id
     ORDER BY nb.start_ci, hit.id, nb.distance, nb.ci_id $$;

-- the impact rows as ims.change_conflicts_of computed them before the graph
-- kept the service names
CREATE FUNCTION pg_temp.old_impact(ci_ids bigint[])
RETURNS TABLE (ci_id bigint, depth int, name text) LANGUAGE sql STABLE AS $$
    SELECT ci.id, i.depth, ci.name
      FROM ims.impacted_services(ci_ids) i JOIN ims.ci ci ON ci.id = i.ci_id
     ORDER BY i.depth, ci.id $$;

-- two queries give the same rows in the same order
CREATE FUNCTION pg_temp.same_seq(a text, b text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
    x text[];
    y text[];
BEGIN
    EXECUTE format('SELECT ARRAY(SELECT q::text FROM (%s) q)', a) INTO x;
    EXECUTE format('SELECT ARRAY(SELECT q::text FROM (%s) q)', b) INTO y;
    RETURN x IS NOT DISTINCT FROM y;
END $$;

INSERT INTO ims.ci_class (name, parent) VALUES ('rnd_class', NULL), ('rnd_sub', 'rnd_class') ON CONFLICT DO NOTHING;

-- One random world: n CIs, about 1.6 n relations (cycles allowed), 3 n
-- changes of 1-3 CIs in random states with windows in one June week.
CREATE FUNCTION pg_temp.world(n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL session_replication_role = replica;
    DELETE FROM ims.change_ci;
    DELETE FROM ims.change_request;
    SET LOCAL session_replication_role = origin;
    DELETE FROM ims.ci_relation WHERE source_id >= 700000;
    DELETE FROM ims.ci WHERE id >= 700000;
    INSERT INTO ims.ci (id, name, class, status)
    SELECT 700000 + g, 'rnd-' || g,
           CASE WHEN random() < 0.2 THEN 'business_service' WHEN random() < 0.3 THEN 'rnd_sub' ELSE 'rnd_class' END,
           CASE WHEN random() < 0.1 THEN 'retired' ELSE 'operational' END
      FROM generate_series(1, n) g;
    INSERT INTO ims.ci_relation (source_id, target_id, type)
    SELECT DISTINCT s, t, (ARRAY['depends_on', 'runs_on', 'hosted_on'])[1 + floor(random() * 3)::int]
      FROM (SELECT 700000 + 1 + floor(random() * n)::int AS s, 700000 + 1 + floor(random() * n)::int AS t
              FROM generate_series(1, (n * 1.6)::int)) x
     WHERE s <> t
    ON CONFLICT DO NOTHING;
    -- the changes go in as they are (no workflow), like a restore would
    SET LOCAL session_replication_role = replica;
    INSERT INTO ims.change_request (id, title, type, risk, state, requested_by, planned)
    SELECT g, 'rnd ' || g, 'standard', 'low',
           (ARRAY['scheduled', 'scheduled', 'implement', 'authorize', 'closed'])[1 + floor(random() * 5)::int],
           'postgres', tstzrange(t, t + (1 + floor(random() * 12)::int) * interval '1 hour')
      FROM generate_series(1, 3 * n) g,
           LATERAL (SELECT timestamptz '2026-06-01 00:00+00' + floor(random() * 7 * 24 + g * 0)::int * interval '1 hour' AS t) x;
    INSERT INTO ims.change_ci (change_id, ci_id)
    SELECT DISTINCT g, 700000 + 1 + floor(random() * n)::int
      FROM generate_series(1, 3 * n) g, generate_series(1, 1 + floor(random() * 3)::int + g * 0) k;
    SET LOCAL session_replication_role = origin;
END $$;

CREATE FUNCTION pg_temp.rand_starts(n int) RETURNS bigint[] LANGUAGE sql VOLATILE AS $$
    SELECT array_agg(CASE WHEN random() < 0.05 THEN 799999 ELSE 700000 + 1 + floor(random() * n)::int END)
      FROM generate_series(1, 1 + floor(random() * 4)::int) $$;
CREATE FUNCTION pg_temp.rand_period() RETURNS tstzrange LANGUAGE sql VOLATILE AS $$
    SELECT tstzrange(t, t + (1 + floor(random() * 48)::int) * interval '1 hour')
      FROM (SELECT timestamptz '2026-05-31 00:00+00' + floor(random() * 9 * 24)::int * interval '1 hour' AS t) x $$;

CREATE FUNCTION pg_temp.run_collisions(worlds int, queries int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int;
    st bigint[];
    p tstzrange;
    md int;
    ex bigint;
    a text;
    b text;
BEGIN
    FOR w IN 1..worlds LOOP
        n := 10 + floor(random() * 40)::int;
        PERFORM pg_temp.world(n);
        FOR q IN 1..queries LOOP
            st := pg_temp.rand_starts(n);
            p := pg_temp.rand_period();
            md := CASE WHEN random() < 0.1 THEN NULL ELSE floor(random() * 4)::int END;
            ex := CASE WHEN random() < 0.2 THEN NULL ELSE 1 + floor(random() * 3 * n)::int END;
            a := format('SELECT * FROM ims.change_collisions(%L, %L, %L, %L)', ex, st, p, md);
            b := format('SELECT * FROM pg_temp.old_collisions(%L, %L, %L, %L)', ex, st, p, md);
            PERFORM pg_temp.count_case('collisions', NOT pg_temp.same_seq(a, b), a);
            st := array_remove(st, 799999::bigint);      -- (an unknown CI is an error for both)
            a := format('SELECT * FROM ims.change_impacted_services(%L)', st);
            b := format('SELECT * FROM pg_temp.old_impact(%L)', st);
            PERFORM pg_temp.count_case('impact', NOT pg_temp.same_seq(a, b), a);
            IF EXISTS (SELECT 1 FROM pg_temp.old_collisions(ex, st, p, md)) THEN
                PERFORM pg_temp.count_case('collisions with rows', false, NULL);
            END IF;
        END LOOP;
    END LOOP;
END $$;

SELECT pg_temp.run_collisions(12, 40);
SELECT is((SELECT failures FROM tally WHERE check_name = 'collisions'), 0,
          'change_collisions = former SQL, same rows and order, ' || (SELECT cases FROM tally WHERE check_name = 'collisions') || ' random cases');
SELECT is((SELECT example FROM tally WHERE check_name = 'collisions'), NULL, 'first differing collisions case (none)');
SELECT cmp_ok((SELECT count(*) FROM tally WHERE check_name = 'collisions' AND cases = 480), '=', 1::bigint, 'all collision cases ran');

-- the cases are not vacuous: many of them do collide
SELECT cmp_ok((SELECT cases FROM tally WHERE check_name = 'collisions with rows'), '>', 120,
              'at least a quarter of the cases have collisions');

SELECT is((SELECT failures FROM tally WHERE check_name = 'impact'), 0,
          'change_impacted_services = impacted_services JOIN ims.ci, ' || (SELECT cases FROM tally WHERE check_name = 'impact') || ' random cases');
SELECT is((SELECT example FROM tally WHERE check_name = 'impact'), NULL, 'first differing impact case (none)');

-- a renamed service shows its new name at once (the rename touches the graph version)
SELECT ci_id AS svc FROM ims.change_impacted_services(ARRAY(SELECT id FROM ims.ci WHERE id >= 700000)) LIMIT 1 \gset
UPDATE ims.ci SET name = 'renamed service' WHERE id = :svc;
SELECT is((SELECT name FROM ims.change_impacted_services(ARRAY[:svc::bigint]) WHERE ci_id = :svc), 'renamed service', 'a rename is seen in the same transaction');

-- a NULL period or NULL CIs: no rows (as the SQL did)
SELECT is((SELECT count(*) FROM ims.change_collisions(1, ARRAY[700001::bigint], NULL, 1)), 0::bigint, 'NULL period: no rows');
SELECT is((SELECT count(*) FROM ims.change_collisions(1, NULL, '[2026-05-01,2026-07-01)', 1)), 0::bigint, 'NULL CIs: no rows');

SELECT * FROM finish();
ROLLBACK;
