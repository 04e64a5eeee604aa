-- Impact query: everything that depends on a random CI.
\set n :n + 1
\set ci random(1, 300)
BEGIN;
WITH RECURSIVE up(id, depth) AS (
    SELECT :ci::bigint, 0
    UNION
    SELECT r.source_id, u.depth + 1 FROM up u JOIN ims.ci_relation r ON r.target_id = u.id WHERE u.depth < 6
)
INSERT INTO load.marker (client, n, script, rows) SELECT :client_id, :n, 'impact', 0 FROM (SELECT count(DISTINCT id) FROM up) s;
COMMIT;
