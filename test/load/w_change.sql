-- A change on a random seeded CI in the next 30 days: filed, approved, and
-- scheduled unless it collides (then cancelled); see load.change_cycle.
\set n :n + 1
\set ci random(1, 300)
\set start random(0, 43200)
\set len random(30, 240)
BEGIN;
INSERT INTO load.marker (client, n, script, rows)
SELECT :client_id, :n, 'change', CASE WHEN load.change_cycle(:ci, date_trunc('hour', now()) + interval '1 day' + :start * interval '1 minute',
                                                         :len * interval '1 minute', 'load ' || :client_id || '-' || :n)
                                      THEN 1 ELSE 0 END;
COMMIT;
