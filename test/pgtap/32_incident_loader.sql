-- pgTAP: the real ServiceNow event log (test/data/incident_event_log.csv.xz,
-- CC BY 4.0, see README) replayed through ims.incident for a slice of 300
-- incidents: every source row is accounted for, and what was applied matches
-- the history ims wrote.
BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
\i test/data/incident_log_loader.sql
\copy ims_load.raw FROM PROGRAM 'xz -dc test/data/incident_event_log.csv.xz' WITH (FORMAT csv, HEADER true)
ALTER TABLE ims_load.raw ADD COLUMN line bigserial;
CREATE INDEX ON ims_load.raw (number);
ANALYZE ims_load.raw;
SELECT plan(11);

SELECT is((SELECT count(*) FROM ims_load.raw), 141712::bigint, 'the whole log is read (141,712 rows)');
CREATE TEMP TABLE slice AS SELECT DISTINCT number FROM ims_load.raw ORDER BY number LIMIT 300;
CREATE TEMP TABLE handled (n bigint);
GRANT ALL ON slice, handled TO ims_admin;
SET LOCAL ROLE ims_admin;
INSERT INTO handled SELECT sum(ims_load.replay_incident(number)) FROM slice;
RESET ROLE;
SELECT is((SELECT n FROM handled), (SELECT count(*) FROM ims_load.raw WHERE number IN (SELECT number FROM slice)),
          'the replay handles every row of 300 incidents');

SELECT is((SELECT count(*) FROM ims.incident WHERE number IN (SELECT number FROM slice)), 300::bigint,
          'every incident of the slice is in ims.incident');
SELECT is_empty($$SELECT line FROM ims_load.raw WHERE number IN (SELECT number FROM slice)
                  EXCEPT SELECT line FROM ims_load.outcome$$,
                'every source row has an outcome: nothing is dropped silently');
SELECT is_empty($$SELECT * FROM ims_load.outcome WHERE outcome = 'refused' AND (sqlstate IS NULL OR reason IS NULL)$$,
                'every refusal carries a SQLSTATE and a reason');
SELECT is((SELECT count(*) FROM ims_load.outcome WHERE outcome = 'transition'),
          (SELECT count(*) FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
            WHERE i.number IN (SELECT number FROM slice) AND e.from_state <> e.to_state),
          'applied transitions equal the transitions in ims.incident_event');
SELECT is((SELECT count(*) FROM ims_load.outcome WHERE outcome IN ('transition', 'field_change', 'inserted')),
          (SELECT count(*) FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
            WHERE i.number IN (SELECT number FROM slice)),
          'every applied row wrote exactly one event');
SELECT is((SELECT count(*) FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
            WHERE i.number IN (SELECT number FROM slice) AND e.actor <> 'ims_admin'), 0::bigint,
          'the loader acted as ims_admin');
SELECT ok((SELECT bool_and(e.at < e.recorded_at) FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
            WHERE i.number IN (SELECT number FROM slice)),
          'events carry the log''s real (past) timestamps');
-- INC0000045: New -> Resolved -> Resolved -> Closed in the source.
SELECT results_eq(
  $$SELECT e.from_state, e.to_state, e.at FROM ims.incident_event e JOIN ims.incident i ON i.id = e.incident_id
     WHERE i.number = 'INC0000045' AND e.from_state IS DISTINCT FROM e.to_state ORDER BY e.id$$,
  $$VALUES (NULL, 'new', '2016-02-29 01:16+00'::timestamptz),
           ('new', 'resolved', '2016-02-29 08:53+00'),
           ('resolved', 'closed', '2016-03-05 12:00+00')$$,
  'INC0000045 is replayed with its real timestamps');
SELECT is((SELECT resolution_code || ' ' || closed_at FROM ims.incident WHERE number = 'INC0000045'),
          'code 5 2016-03-05 12:00:00+00', 'with its resolution code and close time');

SELECT * FROM finish();
ROLLBACK;
