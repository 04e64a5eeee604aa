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
