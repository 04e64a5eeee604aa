-- A CI goes down or comes back (one row, so no deadlocks between clients).
\set n :n + 1
\set ci random(1, 300)
\set s random(0, 3)
BEGIN;
WITH u AS (UPDATE ims.ci SET status = (ARRAY['operational', 'degraded', 'down', 'maintenance'])[:s + 1]
            WHERE id = :ci RETURNING 1)
INSERT INTO load.marker (client, n, script, rows) SELECT :client_id, :n, 'ci_status', count(*) FROM u;
COMMIT;
