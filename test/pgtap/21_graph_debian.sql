-- pgTAP: ims.impacted and ims.dependencies on the real Debian package graph
-- (the machine's apt lists, loaded by test/data/debian_graph.sh: about 63,000
-- packages as CIs and 245,000 Depends as depends_on relations, with cycles),
-- compared with a recursive CTE (the set) and a level-by-level SQL loop
-- (the depths).
BEGIN;
SELECT plan(15);

CREATE TEMP TABLE deb_pkg (name text PRIMARY KEY);
CREATE TEMP TABLE deb_dep (pkg text, dep text);
\copy deb_pkg FROM PROGRAM 'bash test/data/debian_graph.sh nodes'
\copy deb_dep FROM PROGRAM 'bash test/data/debian_graph.sh edges'

INSERT INTO ims.ci (name, class, attributes)
SELECT name, 'package', '{"source": "debian"}' FROM deb_pkg;
CREATE TEMP TABLE deb_id AS
SELECT c.id, c.name FROM ims.ci c WHERE c.class = 'package' AND c.attributes @> '{"source": "debian"}';
CREATE UNIQUE INDEX ON deb_id (name);
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT s.id, t.id, 'depends_on' FROM deb_dep d JOIN deb_id s ON s.name = d.pkg JOIN deb_id t ON t.name = d.dep;
ANALYZE ims.ci, ims.ci_relation;

CREATE FUNCTION pg_temp.pkg(n text) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT id FROM deb_id WHERE name = n $$;

-- reference depths: one set-based step per level
CREATE TEMP TABLE lvl (id bigint PRIMARY KEY, d int);
CREATE FUNCTION pg_temp.ref_levels(start bigint, up bool) RETURNS TABLE (ci_id bigint, depth int)
LANGUAGE plpgsql AS $$
DECLARE
    k int := 0;
BEGIN
    DELETE FROM lvl;
    INSERT INTO lvl VALUES (start, 0);
    LOOP
        INSERT INTO lvl
        SELECT DISTINCT CASE WHEN up THEN r.source_id ELSE r.target_id END, k + 1
          FROM lvl x JOIN ims.ci_relation r ON x.id = CASE WHEN up THEN r.target_id ELSE r.source_id END
         WHERE x.d = k
        ON CONFLICT (id) DO NOTHING;
        EXIT WHEN NOT FOUND;
        k := k + 1;
    END LOOP;
    RETURN QUERY SELECT x.id, x.d FROM lvl x;
END $$;

SELECT cmp_ok((SELECT count(*) FROM deb_pkg), '>', 1000::bigint, 'the apt lists give a package graph');
SELECT cmp_ok((SELECT count(*) FROM ims.ci_relation r JOIN deb_id s ON s.id = r.source_id), '>', 10000::bigint,
              'with many Depends relations');

-- impacted = recursive CTE (the set), for packages from the core to the edge
CREATE FUNCTION pg_temp.impacted_matches_cte(p text) RETURNS bool LANGUAGE sql AS $$
    WITH RECURSIVE up(id) AS (
        SELECT pg_temp.pkg(p)
        UNION
        SELECT r.source_id FROM up JOIN ims.ci_relation r ON r.target_id = up.id)
    SELECT NOT EXISTS ((SELECT id FROM up EXCEPT SELECT ci_id FROM ims.impacted(ARRAY[pg_temp.pkg(p)]))
                       UNION ALL
                       (SELECT ci_id FROM ims.impacted(ARRAY[pg_temp.pkg(p)]) EXCEPT SELECT id FROM up)) $$;
SELECT ok(pg_temp.impacted_matches_cte(p), 'impacted(' || p || ') = recursive CTE')
  FROM unnest(ARRAY['libc6', 'zlib1g', 'libssl3', 'perl-base', 'python3', 'libgcc-s1']) p;

-- and the depths equal a level-by-level search
SELECT ok(NOT EXISTS ((SELECT ci_id, depth FROM ims.impacted(ARRAY[pg_temp.pkg(p)])
                       EXCEPT SELECT * FROM pg_temp.ref_levels(pg_temp.pkg(p), true))
                      UNION ALL
                      (SELECT * FROM pg_temp.ref_levels(pg_temp.pkg(p), true)
                       EXCEPT SELECT ci_id, depth FROM ims.impacted(ARRAY[pg_temp.pkg(p)]))),
          'impacted(' || p || ') depths = level-by-level search')
  FROM unnest(ARRAY['libc6', 'libssl3', 'python3']) p;

SELECT cmp_ok((SELECT count(*) FROM ims.impacted(ARRAY[pg_temp.pkg('libc6')])), '>', 10000::bigint,
              'libc6 impacts most of the archive');

-- dependencies = level-by-level search
SELECT ok(NOT EXISTS ((SELECT ci_id, depth FROM ims.dependencies(ARRAY[pg_temp.pkg(p)])
                       EXCEPT SELECT * FROM pg_temp.ref_levels(pg_temp.pkg(p), false))
                      UNION ALL
                      (SELECT * FROM pg_temp.ref_levels(pg_temp.pkg(p), false)
                       EXCEPT SELECT ci_id, depth FROM ims.dependencies(ARRAY[pg_temp.pkg(p)]))),
          'dependencies(' || p || ') = level-by-level search')
  FROM unnest(ARRAY['apt', 'python3']) p;

-- libc6 and libgcc-s1 depend on each other: a cycle
SELECT ok(EXISTS (SELECT 1 FROM ims.dependency_cycles() a JOIN ims.dependency_cycles() b USING (cycle)
                   WHERE a.ci_id = pg_temp.pkg('libc6') AND b.ci_id = pg_temp.pkg('libgcc-s1')),
          'libc6 and libgcc-s1 are in one dependency cycle');

SELECT * FROM finish();
ROLLBACK;
