-- test/data/load_incident_log.sql — load the real ServiceNow event log into
-- ims.incident and report what was applied and what was refused, and why.
-- psql script, run from the project folder by a superuser:
--   psql -v incidents=500 -f test/data/load_incident_log.sql     (first 500 incidents)
--   psql -f test/data/load_incident_log.sql                      (all 24,918)
-- Data: "Incident management process enriched event log" (Amaral, Fantinato,
-- Peres, 2018; UCI Machine Learning Repository, doi 10.24432/C57S4H), CC BY 4.0.
\if :{?incidents}
\else
\set incidents NULL
\endif
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\i test/data/incident_log_loader.sql
\copy ims_load.raw FROM PROGRAM 'xz -dc test/data/incident_event_log.csv.xz' WITH (FORMAT csv, HEADER true)
ALTER TABLE ims_load.raw ADD COLUMN line bigserial;
CREATE INDEX ON ims_load.raw (number);
ANALYZE ims_load.raw;
SET ROLE ims_admin;
CALL ims_load.replay_all(:incidents);
RESET ROLE;
-- New incidents must not collide with the loaded numbers.
SELECT setval('ims.incident_number_seq',
              greatest((SELECT last_value FROM ims.incident_number_seq),
                       (SELECT max(substr(number, 4)::bigint) FROM ims.incident WHERE number ~ '^INC[0-9]+$'))) \gset
RESET client_min_messages;
