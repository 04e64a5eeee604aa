-- Record the SLA warnings and breaches crossed by now (what pg_cron would do
-- every minute; here several clients tick concurrently with the writers).
\set n :n + 1
BEGIN;
INSERT INTO load.marker (client, n, script, rows) SELECT :client_id, :n, 'sla_tick', ims.sla_tick();
COMMIT;
