-- test/load/setup.sql — schema "load" for the pgbench workload (test/load/run.sh).
-- Every pgbench transaction writes one row to load.marker, keyed by
-- (client, n) where n counts the client's transactions from 1, so after a run
-- (or a crash) every transaction pgbench saw committed can be looked up.
CREATE SCHEMA load;
CREATE TABLE load.marker (
    client int NOT NULL,
    n      int NOT NULL,
    script text NOT NULL,
    rows   int NOT NULL DEFAULT 1,     -- rows the transaction wrote to ims tables
    at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (client, n)
);
-- pgbench's per-transaction log lines, loaded after the run.
CREATE TABLE load.txlog (client int, txno bigint, latency text, script int, epoch bigint, usec int);

-- Seed CMDB: :cis CIs in layers (services on apps on servers), a dependency
-- relation type, a few relations per CI.
INSERT INTO ims.ci_class (name) VALUES ('load_server'), ('load_app'), ('load_service') ON CONFLICT DO NOTHING;
INSERT INTO ims.relation_type (name, inverse_name) VALUES ('load_dep', 'load_dep_of') ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (id, name, class)
SELECT g, 'seed-' || g, CASE WHEN g % 10 = 0 THEN 'load_service' WHEN g % 3 = 0 THEN 'load_app' ELSE 'load_server' END
  FROM generate_series(1, 300) g;
INSERT INTO ims.ci_relation (source_id, target_id, type)
SELECT DISTINCT g, 1 + (g * 7 + k * 13) % (g - 1), 'load_dep'
  FROM generate_series(2, 300) g, generate_series(1, 2) k
 WHERE 1 + (g * 7 + k * 13) % (g - 1) <> g
ON CONFLICT DO NOTHING;
SELECT setval(pg_get_serial_sequence('ims.ci', 'id'), 1000);

-- SLA policies, so that every incident runs clocks through the whole load
-- (check.sql compares them with ims.sla_rebuild's replay of the history):
-- targets of seconds, so warnings and breaches are crossed during the run; a
-- response SLA for P1-P3, a resolution SLA for every incident, one scoped to
-- service 10 in that service's calendar, and an OLA for group grp1.
INSERT INTO ims.business_calendar (name, cal) VALUES ('load office', 'tz Europe/Berlin; mon-fri 08:00-18:00');
UPDATE ims.ci SET calendar_id = (SELECT id FROM ims.business_calendar WHERE name = 'load office') WHERE id = 10;
INSERT INTO ims.sla_policy (name, agreement, metric, target, priorities, service_id, calendar_source, assignment_group)
VALUES ('load response P1-P3', 'sla', 'response', '2 seconds', '{1,2,3}', NULL, 'policy', NULL),
       ('load resolution', 'sla', 'resolution', '6 seconds', NULL, NULL, 'policy', NULL),
       ('load resolution service 10', 'sla', 'resolution', '1 hour', NULL, 10, 'service', NULL),
       ('load OLA grp1', 'ola', 'resolution', '3 seconds', NULL, NULL, 'policy', 'grp1');

-- Changes: an agent files them, a change manager approves and schedules.
-- (Roles are cluster-wide; the load cluster is private to run.sh.)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'load_agent') THEN
        CREATE ROLE load_agent LOGIN IN ROLE ims_agent;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'load_cm') THEN
        CREATE ROLE load_cm LOGIN IN ROLE ims_change_manager;
    END IF;
END $$;

-- One change's life up to scheduled: filed and assessed by load_agent,
-- approved and scheduled by load_cm.  Entering scheduled with a blocking
-- conflict (a collision with another scheduled change near its CI) raises
-- IM002: the change is then cancelled.  Returns true when it got scheduled.
CREATE FUNCTION load.change_cycle(p_ci bigint, p_start timestamptz, p_len interval, p_title text)
RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    ok bool := true;
BEGIN
    SET LOCAL ROLE load_agent;
    INSERT INTO ims.change_request (title, type, risk, planned)
    VALUES (p_title, 'normal', 'low', tstzrange(p_start, p_start + p_len)) RETURNING id INTO cid;
    INSERT INTO ims.change_ci (change_id, ci_id) VALUES (cid, p_ci);
    UPDATE ims.change_request SET state = 'assess' WHERE id = cid;
    UPDATE ims.change_request SET state = 'authorize' WHERE id = cid;
    SET LOCAL ROLE load_cm;
    INSERT INTO ims.change_approval (change_id, decision, comment) VALUES (cid, 'approved', 'load');
    BEGIN
        UPDATE ims.change_request SET state = 'scheduled' WHERE id = cid;
    EXCEPTION WHEN SQLSTATE 'IM002' THEN
        ok := false;
    END;
    IF NOT ok THEN
        UPDATE ims.change_request SET state = 'cancelled' WHERE id = cid;
    END IF;
    RESET ROLE;
    RETURN ok;
END $$;

-- More SLA clocks (next to the policies above): a response and a resolution clock (24x7,
-- short targets so that warnings and breaches happen during the run) and a
-- resolution clock on a business calendar with a daily gap; incidents of
-- assignment group grp0 also get an OLA clock.  w_sla_tick.sql records the
-- crossings; check.sql compares every clock with ims.sla_rebuild's replay.
INSERT INTO ims.business_calendar (name, cal)
VALUES ('load-cal', 'tz Europe/Berlin; mon-sun 00:00-12:00,12:01-24:00');
INSERT INTO ims.sla_policy (name, metric, target, calendar_id, warn_at) VALUES
    ('load response', 'response', '4 seconds', NULL, '{0.5}'),
    ('load resolution 30 s', 'resolution', '30 seconds', NULL, '{0.5,0.75}'),
    ('load resolution (calendar)', 'resolution', '20 seconds',
     (SELECT id FROM ims.business_calendar WHERE name = 'load-cal'), '{0.9}');
INSERT INTO ims.sla_policy (name, agreement, metric, target, assignment_group)
VALUES ('load ola grp0', 'ola', 'resolution', '10 seconds', 'grp0');
