-- A new incident on a random seeded CI, for one of the services 10, 20, 30.
\set n :n + 1
\set ci random(1, 300)
\set svc 10 * random(1, 3)
\set imp random(1, 3)
\set urg random(1, 3)
BEGIN;
WITH i AS (INSERT INTO ims.incident (title, ci_id, service_id, impact, urgency, assignment_group)
           VALUES ('load ' || :client_id || '-' || :n, :ci, :svc, :imp, :urg, 'grp' || (:ci % 5)) RETURNING id)
INSERT INTO load.marker (client, n, script, rows) SELECT :client_id, :n, 'incident_open', count(*) FROM i;
COMMIT;
