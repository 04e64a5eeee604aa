-- A new CI, depending on a random seeded CI.
\set n :n + 1
\set dep random(1, 300)
BEGIN;
WITH c AS (INSERT INTO ims.ci (name, class) VALUES ('load-' || :client_id || '-' || :n, 'load_server') RETURNING id),
     r AS (INSERT INTO ims.ci_relation (source_id, target_id, type) SELECT id, :dep, 'load_dep' FROM c RETURNING 1)
INSERT INTO load.marker (client, n, script, rows) SELECT :client_id, :n, 'ci_insert', (SELECT count(*) FROM r) + 1;
COMMIT;
