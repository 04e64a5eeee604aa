-- Impact query: everything that depends on a random CI (ims.impacted, C graph traversal).
\set n :n + 1
\set ci random(1, 300)
BEGIN;
INSERT INTO load.marker (client, n, script, rows)
SELECT :client_id, :n, 'impact', 0 FROM (SELECT count(*) FROM ims.impacted(ARRAY[:ci::bigint])) s;
COMMIT;
