-- pgTAP: every traversal function against a reference written in plain SQL
-- (recursive CTEs, and a level-by-level PL/pgSQL loop for min_up), on random
-- graphs with cycles, for hundreds of random start sets, depths and
-- relation-type filters.  Also: as_of answers equal the answers computed
-- before the graph was changed.
BEGIN;
SELECT plan(18);
SELECT setseed(0.2026);

-- the test graph, mirrored in temp tables for the references
CREATE TEMP TABLE g_ci (id bigint PRIMARY KEY, min_up int, down bool, class text);
CREATE TEMP TABLE g_edge (source_id bigint, target_id bigint, type text, prop bool);
CREATE TEMP TABLE ref_r (id bigint PRIMARY KEY, d int);
CREATE TEMP TABLE tally (check_name text, cases int DEFAULT 0, failures int DEFAULT 0, PRIMARY KEY (check_name));
CREATE TEMP TABLE saved (q int, ci_id bigint, depth int);
CREATE TEMP TABLE saved_q (q int PRIMARY KEY, st bigint[], ty text[], md int);

CREATE FUNCTION pg_temp.count_case(name text, bad bool) RETURNS void LANGUAGE sql AS $$
    INSERT INTO tally VALUES (name, 1, bad::int)
    ON CONFLICT (check_name) DO UPDATE SET cases = tally.cases + 1, failures = tally.failures + excluded.failures $$;

-- recursive CTE reference: shortest depth of every CI reachable from starts
CREATE FUNCTION pg_temp.ref_closure(starts bigint[], maxd int, types text[], up bool, prop_only bool)
RETURNS TABLE (ci_id bigint, depth int) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE r(id, d) AS (
        SELECT DISTINCT s, 0 FROM unnest(starts) s WHERE s IS NOT NULL
        UNION
        SELECT CASE WHEN up THEN e.source_id ELSE e.target_id END, r.d + 1
          FROM r JOIN g_edge e ON r.id = CASE WHEN up THEN e.target_id ELSE e.source_id END
         WHERE r.d < coalesce(maxd, (SELECT count(*) FROM g_ci)::int)
           AND (types IS NULL OR e.type = ANY (types))
           AND (e.prop OR NOT prop_only))
    SELECT id, min(d)::int FROM r GROUP BY id $$;

-- level-by-level reference of impacted with min_up and status down
CREATE FUNCTION pg_temp.ref_impacted(starts bigint[], maxd int, types text[])
RETURNS TABLE (ci_id bigint, depth int) LANGUAGE plpgsql AS $$
DECLARE
    lvl int := 0;
BEGIN
    DELETE FROM ref_r;
    INSERT INTO ref_r SELECT DISTINCT s, 0 FROM unnest(starts) s WHERE s IS NOT NULL;
    LOOP
        EXIT WHEN maxd IS NOT NULL AND lvl >= maxd;
        INSERT INTO ref_r
        SELECT w.id, lvl + 1 FROM g_ci w
         WHERE NOT EXISTS (SELECT 1 FROM ref_r x WHERE x.id = w.id)
           AND EXISTS (SELECT 1 FROM g_edge e JOIN ref_r x ON x.id = e.target_id
                        WHERE e.source_id = w.id AND e.prop AND (types IS NULL OR e.type = ANY (types)))
           AND (w.min_up IS NULL OR
                (SELECT count(DISTINCT e.target_id) FROM g_edge e JOIN g_ci t ON t.id = e.target_id
                  WHERE e.source_id = w.id AND e.prop AND (types IS NULL OR e.type = ANY (types))
                    AND NOT t.down AND NOT EXISTS (SELECT 1 FROM ref_r x WHERE x.id = e.target_id)) < w.min_up);
        EXIT WHEN NOT FOUND;
        lvl := lvl + 1;
    END LOOP;
    RETURN QUERY SELECT x.id, x.d FROM ref_r x;
END $$;

CREATE FUNCTION pg_temp.rand_starts(k int) RETURNS bigint[] LANGUAGE sql VOLATILE AS $$
    SELECT array_agg(id) FROM (SELECT id FROM g_ci ORDER BY random() LIMIT k) s $$;
CREATE FUNCTION pg_temp.rand_types() RETURNS text[] LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN random() < 0.5 THEN NULL
                ELSE (SELECT coalesce(array_agg(name), '{}') FROM ims.relation_type WHERE random() < 0.6) END $$;
CREATE FUNCTION pg_temp.rand_depth() RETURNS int LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN random() < 0.4 THEN NULL ELSE floor(random() * 5)::int END $$;

-- the SQL formulation ims.impacted_services had before the graph kept a
-- service flag per CI: impacted JOIN ims.ci (or ci_history) + class CTE
CREATE FUNCTION pg_temp.old_services(ci_ids bigint[], max_depth int, rel_types text[], as_of timestamptz)
RETURNS TABLE (ci_id bigint, depth int) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE svc(name) AS (
        SELECT 'business_service'::text
        UNION
        SELECT c.name FROM ims.ci_class c JOIN svc s ON c.parent = s.name)
    SELECT i.ci_id, i.depth
      FROM ims.impacted(ci_ids, max_depth, rel_types, as_of) i
      JOIN LATERAL (
            SELECT c.class FROM ims.ci c
             WHERE c.id = i.ci_id AND (as_of IS NULL OR c.valid_from <= as_of)
            UNION ALL
            SELECT h.class FROM ims.ci_history h
             WHERE as_of IS NOT NULL AND h.ci_id = i.ci_id AND h.valid @> as_of
            LIMIT 1) k ON true
     WHERE k.class IN (SELECT name FROM svc)
     ORDER BY i.depth, i.ci_id $$;

-- the recursive SQL ims.change_neighbourhood had before it was computed from
-- the graph (a tie between an upward and a downward path of one length,
-- which that left to the sort, goes to 'dependency')
CREATE FUNCTION pg_temp.old_neighbourhood(ci_ids bigint[], max_depth int)
RETURNS TABLE (start_ci bigint, ci_id bigint, distance int, direction text) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up(start_ci, ci_id, d) AS (
        SELECT s, s, 0 FROM unnest(ci_ids) AS s WHERE s IS NOT NULL
        UNION
        SELECT u.start_ci, r.target_id, u.d + 1
          FROM up u JOIN ims.ci_relation r ON r.source_id = u.ci_id
         WHERE u.d < max_depth
    ), down(start_ci, ci_id, d) AS (
        SELECT s, s, 0 FROM unnest(ci_ids) AS s WHERE s IS NOT NULL
        UNION
        SELECT u.start_ci, r.source_id, u.d + 1
          FROM down u JOIN ims.ci_relation r ON r.target_id = u.ci_id
         WHERE u.d < max_depth
    )
    SELECT DISTINCT ON (x.start_ci, x.ci_id) x.start_ci, x.ci_id, x.d, x.dir
      FROM (SELECT u.start_ci, u.ci_id, u.d, CASE WHEN u.d = 0 THEN 'self' ELSE 'dependency' END AS dir FROM up u
            UNION ALL
            SELECT w.start_ci, w.ci_id, w.d, 'dependent' FROM down w WHERE w.d > 0) AS x
     ORDER BY x.start_ci, x.ci_id, x.d, x.dir = 'dependent' $$;

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

-- service subclasses two levels deep (rolled back with the test)
INSERT INTO ims.ci_class (name, parent, description) VALUES
    ('premium_service', 'business_service', 'test'), ('gold_service', 'premium_service', 'test');

-- a result set equals a reference set: (ci_id, depth) both ways
CREATE FUNCTION pg_temp.same(a text, b text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT (%s)) UNION ALL ((%s) EXCEPT (%s))) x', a, b, b, a) INTO n;
    RETURN n = 0;
END $$;

CREATE FUNCTION pg_temp.run(rounds int, queries int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int;
    st bigint[];
    md int;
    ty text[];
    a bigint;
    b bigint;
    has_min_up bool;
    len int;
    refd int;
    ok bool;
    base bigint;
BEGIN
    FOR r IN 1..rounds LOOP
        base := 700000 + r * 100;  -- fresh ids per round: older rounds stay in the history
        DELETE FROM ims.ci WHERE id >= 700000;
        DELETE FROM g_ci;
        DELETE FROM g_edge;
        n := 8 + floor(random() * 33)::int;
        has_min_up := r % 2 = 0;
        INSERT INTO g_ci
        SELECT base + i,
               CASE WHEN has_min_up AND random() < 0.3 THEN 1 + floor(random() * 3)::int END,
               has_min_up AND random() < 0.1,
               (ARRAY['business_service', 'app_server', 'database', 'technical_service',
                      'premium_service', 'gold_service'])[1 + floor(random() * 6)::int]
          FROM generate_series(1, n) i;
        INSERT INTO ims.ci (id, name, class, min_up, status, valid_from)
        SELECT id, 'r' || id, class, min_up, CASE WHEN down THEN 'down' ELSE 'operational' END, '2020-01-01' FROM g_ci;
        INSERT INTO ims.ci_relation (source_id, target_id, type, valid_from)
        SELECT DISTINCT ON (rs, rt, rty) rs, rt, rty, '2020-01-01'::timestamptz FROM (
            SELECT base + 1 + floor(random() * n)::int AS rs, base + 1 + floor(random() * n)::int AS rt,
                   (SELECT name FROM ims.relation_type ORDER BY random() + g * 0 LIMIT 1) AS rty
              FROM generate_series(1, n * 3) g) x
         WHERE rs <> rt;
        INSERT INTO g_edge SELECT e.source_id, e.target_id, e.type, t.propagates_impact
          FROM ims.ci_relation e JOIN ims.relation_type t ON t.name = e.type WHERE e.source_id > base;

        FOR qi IN 1..queries LOOP
            st := pg_temp.rand_starts(1 + floor(random() * 4)::int);
            md := pg_temp.rand_depth();
            ty := pg_temp.rand_types();

            -- dependencies vs recursive CTE
            PERFORM pg_temp.count_case('dependencies = recursive CTE', NOT pg_temp.same(
                format('SELECT ci_id, depth FROM ims.dependencies(%L, %L, %L)', st, md, ty),
                format('SELECT * FROM pg_temp.ref_closure(%L, %L, %L, false, false)', st, md, ty)));
            -- impacted vs level reference (min_up, status down)
            PERFORM pg_temp.count_case('impacted = level-by-level reference (min_up)', NOT pg_temp.same(
                format('SELECT ci_id, depth FROM ims.impacted(%L, %L, %L)', st, md, ty),
                format('SELECT * FROM pg_temp.ref_impacted(%L, %L, %L)', st, md, ty)));
            -- without min_up: impacted vs recursive CTE
            IF NOT has_min_up THEN
                PERFORM pg_temp.count_case('impacted = recursive CTE (no min_up)', NOT pg_temp.same(
                    format('SELECT ci_id, depth FROM ims.impacted(%L, %L, %L)', st, md, ty),
                    format('SELECT * FROM pg_temp.ref_closure(%L, %L, %L, true, true)', st, md, ty)));
            END IF;
            -- every via is a followed neighbour one step closer
            SELECT bool_and(x.depth = 0 AND x.via IS NULL OR
                            EXISTS (SELECT 1 FROM ims.dependencies(st, md, ty) y
                                     WHERE y.ci_id = x.via AND y.depth = x.depth - 1)
                            AND EXISTS (SELECT 1 FROM g_edge e WHERE e.source_id = x.via AND e.target_id = x.ci_id
                                          AND (ty IS NULL OR e.type = ANY (ty))))
              INTO ok FROM ims.dependencies(st, md, ty) x;
            PERFORM pg_temp.count_case('dependencies: via is a neighbour one step closer', NOT coalesce(ok, true));
            SELECT bool_and(x.depth = 0 AND x.via IS NULL OR
                            EXISTS (SELECT 1 FROM ims.impacted(st, md, ty) y
                                     WHERE y.ci_id = x.via AND y.depth = x.depth - 1)
                            AND EXISTS (SELECT 1 FROM g_edge e WHERE e.source_id = x.ci_id AND e.target_id = x.via
                                          AND e.prop AND (ty IS NULL OR e.type = ANY (ty))))
              INTO ok FROM ims.impacted(st, md, ty) x;
            PERFORM pg_temp.count_case('impacted: via is a neighbour one step closer', NOT coalesce(ok, true));

            -- impacted_services = impacted rows of service classes
            PERFORM pg_temp.count_case('impacted_services = impacted business services', NOT pg_temp.same(
                format('SELECT ci_id, depth FROM ims.impacted_services(%L, %L, %L)', st, md, ty),
                format($q$SELECT i.ci_id, i.depth FROM ims.impacted(%L, %L, %L) i JOIN g_ci c ON c.id = i.ci_id
                          WHERE c.class IN ('business_service', 'premium_service', 'gold_service')$q$, st, md, ty)));
            -- the collision neighbourhood (every type, both ways; an unknown id and NULL among the starts)
            PERFORM pg_temp.count_case('change_neighbourhood = old recursive SQL (same rows, same order)', NOT pg_temp.same_seq(
                format('SELECT * FROM ims.change_neighbourhood(%L, %L)', st || ARRAY[NULL, 999999999]::bigint[], md),
                format('SELECT * FROM pg_temp.old_neighbourhood(%L, %L)', st || ARRAY[NULL, 999999999]::bigint[], md)));
            PERFORM pg_temp.count_case('impacted_services = old SQL formulation (same rows, same order)', NOT pg_temp.same_seq(
                format('SELECT * FROM ims.impacted_services(%L, %L, %L)', st, md, ty),
                format('SELECT * FROM pg_temp.old_services(%L, %L, %L, NULL)', st, md, ty)));

            -- shortest path: its length is the reference depth, each step a real relation
            a := st[1];
            b := (SELECT id FROM g_ci ORDER BY random() LIMIT 1);
            SELECT count(*) - 1 INTO len FROM ims.dependency_path(a, b, md, ty);
            SELECT depth INTO refd FROM pg_temp.ref_closure(ARRAY[a], md, ty, false, false) WHERE ci_id = b;
            SELECT bool_and(p.step = 0 OR EXISTS (
                       SELECT 1 FROM ims.dependency_path(a, b, md, ty) prev JOIN g_edge e
                           ON e.source_id = prev.ci_id AND e.target_id = p.ci_id AND e.type = p.relation
                        WHERE prev.step = p.step - 1 AND (ty IS NULL OR e.type = ANY (ty))))
              INTO ok FROM ims.dependency_path(a, b, md, ty) p;
            PERFORM pg_temp.count_case('dependency_path: shortest, over real relations',
                NOT (coalesce(ok, true) AND len IS NOT DISTINCT FROM coalesce(refd, -1)));

            -- common dependencies = per-start closures aggregated
            PERFORM pg_temp.count_case('common_dependencies = aggregated closures', NOT pg_temp.same(
                format('SELECT ci_id, covers::bigint, depth FROM ims.common_dependencies(%L, %L, %L)', st, md, ty),
                format($q$SELECT c.ci_id, count(*), max(c.depth) FROM (SELECT DISTINCT s FROM unnest(%L::bigint[]) s) x,
                          LATERAL pg_temp.ref_closure(ARRAY[x.s], %L, %L, false, true) c
                          GROUP BY c.ci_id HAVING count(*) >= 2$q$, st, md, ty)));
            SELECT bool_and(ok_row) INTO ok FROM (
                SELECT lag(covers) OVER w > covers OR lag(covers) OVER w = covers AND
                       (lag(depth) OVER w < depth OR lag(depth) OVER w = depth AND lag(ci_id) OVER w < ci_id)
                       OR lag(covers) OVER w IS NULL AS ok_row
                  FROM ims.common_dependencies(st, md, ty) WITH ORDINALITY AS c(ci_id, covers, depth, o)
                WINDOW w AS (ORDER BY o)) z;
            PERFORM pg_temp.count_case('common_dependencies: ranked by covers, depth, id', NOT coalesce(ok, true));

            -- as_of: remember some answers for after the change
            IF qi <= 5 THEN
                INSERT INTO saved SELECT r * 100 + qi, i.ci_id, i.depth FROM ims.impacted(st, md, ty) i;
                INSERT INTO saved_q VALUES (r * 100 + qi, st, ty, md);
            END IF;
        END LOOP;

        -- cycles: same components as mutual reachability
        FOR qi IN 1..3 LOOP
            ty := pg_temp.rand_types();
            PERFORM pg_temp.count_case('dependency_cycles = mutual reachability', NOT pg_temp.same(
                format($q$SELECT x.ci_id, y.ci_id FROM ims.dependency_cycles(%L) x JOIN ims.dependency_cycles(%L) y
                          ON x.cycle = y.cycle AND x.ci_id <> y.ci_id$q$, ty, ty),
                format($q$WITH RECURSIVE reach(a, b) AS (
                              SELECT source_id, target_id FROM g_edge WHERE %1$L::text[] IS NULL OR type = ANY (%1$L)
                              UNION
                              SELECT r.a, e.target_id FROM reach r JOIN g_edge e ON e.source_id = r.b
                               WHERE %1$L::text[] IS NULL OR e.type = ANY (%1$L))
                          SELECT r1.a, r1.b FROM reach r1 JOIN reach r2 ON r1.a = r2.b AND r1.b = r2.a
                           WHERE r1.a <> r1.b$q$, ty)));
            SELECT coalesce(bool_and(m1 < m2), true) INTO ok FROM (
                SELECT min(ci_id) AS m1, lead(min(ci_id)) OVER (ORDER BY cycle) AS m2
                  FROM ims.dependency_cycles(ty) GROUP BY cycle) z WHERE m2 IS NOT NULL;
            PERFORM pg_temp.count_case('dependency_cycles: numbered by smallest CI', NOT ok);
        END LOOP;

        -- change the graph (backdated), then as_of the old moment must give the old answers
        DELETE FROM ims.ci_relation WHERE source_id > base AND random() < 0.3;
        INSERT INTO ims.ci_relation (source_id, target_id, type, valid_from)
        SELECT DISTINCT ON (rs, rt, rty) rs, rt, rty, '2021-01-01'::timestamptz FROM (
            SELECT base + 1 + floor(random() * n)::int AS rs, base + 1 + floor(random() * n)::int AS rt,
                   (SELECT name FROM ims.relation_type ORDER BY random() + g * 0 LIMIT 1) AS rty
              FROM generate_series(1, n) g) x
         WHERE rs <> rt
        ON CONFLICT DO NOTHING;
        UPDATE ims.ci SET min_up = CASE WHEN min_up IS NULL THEN 1 END, valid_from = '2021-01-01'
         WHERE id > base AND random() < 0.3;
        -- reclassify some CIs (the cached service flags must follow)
        UPDATE ims.ci SET class = CASE WHEN class = 'business_service' THEN 'database' ELSE 'gold_service' END
         WHERE id > base AND random() < 0.3;
        FOR qi IN 1..5 LOOP
            SELECT s.st, s.ty, s.md INTO st, ty, md FROM saved_q s WHERE s.q = r * 100 + qi;
            PERFORM pg_temp.count_case('as_of gives the answers from before the change', NOT pg_temp.same(
                format('SELECT ci_id, depth FROM ims.impacted(%L, %L, %L, %L)', st, md, ty, '2020-06-01'),
                format('SELECT ci_id, depth FROM saved WHERE q = %s', r * 100 + qi)));
            PERFORM pg_temp.count_case('impacted_services as_of and after reclassification = old SQL formulation', NOT (
                pg_temp.same_seq(format('SELECT * FROM ims.impacted_services(%L, %L, %L, %L)', st, md, ty, '2020-06-01'),
                                 format('SELECT * FROM pg_temp.old_services(%L, %L, %L, %L)', st, md, ty, '2020-06-01'))
                AND pg_temp.same_seq(format('SELECT * FROM ims.impacted_services(%L, %L, %L)', st, md, ty),
                                     format('SELECT * FROM pg_temp.old_services(%L, %L, %L, NULL)', st, md, ty))));
        END LOOP;

        -- the class hierarchy changes: premium and gold stop (and start again) being business services
        UPDATE ims.ci_class SET parent = 'service' WHERE name = 'premium_service';
        FOR qi IN 1..2 LOOP
            SELECT s.st, s.ty, s.md INTO st, ty, md FROM saved_q s WHERE s.q = r * 100 + qi;
            PERFORM pg_temp.count_case('impacted_services follows ims.ci_class changes', NOT (
                pg_temp.same_seq(format('SELECT * FROM ims.impacted_services(%L, %L, %L)', st, md, ty),
                                 format('SELECT * FROM pg_temp.old_services(%L, %L, %L, NULL)', st, md, ty))
                AND NOT EXISTS (SELECT 1 FROM ims.impacted_services(st, md, ty) x JOIN ims.ci c ON c.id = x.ci_id
                                 WHERE c.class IN ('premium_service', 'gold_service'))));
        END LOOP;
        UPDATE ims.ci_class SET parent = 'business_service' WHERE name = 'premium_service';
        SELECT s.st, s.ty, s.md INTO st, ty, md FROM saved_q s WHERE s.q = r * 100 + 1;
        PERFORM pg_temp.count_case('impacted_services follows ims.ci_class changes', NOT
            pg_temp.same_seq(format('SELECT * FROM ims.impacted_services(%L, %L, %L)', st, md, ty),
                             format('SELECT * FROM pg_temp.old_services(%L, %L, %L, NULL)', st, md, ty)));
    END LOOP;
END $$;

SELECT pg_temp.run(12, 30);

SELECT is(failures, 0, format('%s (%s random cases)', check_name, cases)) FROM tally ORDER BY check_name;
SELECT cmp_ok((SELECT sum(cases) FROM tally)::int, '>=', 3000, 'thousands of random comparisons ran');
SELECT cmp_ok((SELECT cases FROM tally WHERE check_name LIKE 'impacted = level%'), '>=', 300,
              'hundreds of random start sets, depths and type filters for impacted');

SELECT * FROM finish();
ROLLBACK;
