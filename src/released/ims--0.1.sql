-- ims 0.1: generated from src/sql/*.sql by make; edit the pieces, not this file.
\echo Use "CREATE EXTENSION ims" to load this file. \quit

-- ---- src/sql/00_base.sql ----
-- 00_base.sql — schema-wide setup: roles, schema privileges, ims.version().

-- The four shipped roles (SPEC section 10).  Roles are cluster-wide and are
-- not dropped with the extension; they are created only when missing.
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['ims_reader', 'ims_agent', 'ims_change_manager', 'ims_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;

-- Role hierarchy: agents and change managers read; admins do everything.
GRANT ims_reader TO ims_agent;
GRANT ims_reader TO ims_change_manager;
GRANT ims_agent TO ims_admin;
GRANT ims_change_manager TO ims_admin;

GRANT USAGE ON SCHEMA ims TO ims_reader, ims_agent, ims_change_manager, ims_admin;

COMMENT ON SCHEMA ims IS 'ims: the ITSM core (incidents, problems, changes, CMDB, SLAs) as a PostgreSQL extension';

CREATE FUNCTION ims.version() RETURNS text
    AS 'MODULE_PATHNAME', 'ims_version'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.version() IS 'Version of the loaded ims library (equals the extension version after CREATE/ALTER EXTENSION).';

COMMENT ON ROLE ims_reader IS 'ims: read the BI views and reference data';
COMMENT ON ROLE ims_agent IS 'ims: work incidents and problems (includes ims_reader)';
COMMENT ON ROLE ims_change_manager IS 'ims: approve and schedule changes (includes ims_reader)';
COMMENT ON ROLE ims_admin IS 'ims: configure workflows, SLAs, calendars and the CMDB; backdate events (includes all ims roles)';

-- ---- src/sql/10_calendar.sql ----
-- 10_calendar.sql — business calendars and SLA clocks (SPEC sections 1 and 2).
-- C in src/calendar.c, src/sla_clock.c and src/core/; documentation in doc/calendars.md.

-- ---------------------------------------------------------------------------
-- Type ims.calendar

CREATE TYPE ims.calendar;

CREATE FUNCTION ims.calendar_in(cstring) RETURNS ims.calendar
    AS 'MODULE_PATHNAME', 'ims_calendar_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar_in(cstring) IS 'Text input of ims.calendar (checks every clause; 22P02 on bad input)';
CREATE FUNCTION ims.calendar_out(ims.calendar) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ims_calendar_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar_out(ims.calendar) IS 'Canonical text output of ims.calendar';
CREATE FUNCTION ims.calendar_recv(internal) RETURNS ims.calendar
    AS 'MODULE_PATHNAME', 'ims_calendar_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar_recv(internal) IS 'Binary input of ims.calendar (version byte and text, checked like text input)';
CREATE FUNCTION ims.calendar_send(ims.calendar) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ims_calendar_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar_send(ims.calendar) IS 'Binary output of ims.calendar';

CREATE TYPE ims.calendar (
    INPUT = ims.calendar_in,
    OUTPUT = ims.calendar_out,
    RECEIVE = ims.calendar_recv,
    SEND = ims.calendar_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended,
    ALIGNMENT = int4
);
COMMENT ON TYPE ims.calendar IS 'Business calendar: time zone, weekly opening hours (overnight windows allowed), closed dates, yearly closed dates and date-specific hours; e.g. ''tz Europe/Berlin; mon-fri 09:00-17:00; closed yearly 12-25''';

CREATE FUNCTION ims.calendar_eq(ims.calendar, ims.calendar) RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_calendar_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ims.calendar_eq(ims.calendar, ims.calendar) IS 'Equality of calendars (same canonical form)';
CREATE FUNCTION ims.calendar_ne(ims.calendar, ims.calendar) RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_calendar_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ims.calendar_ne(ims.calendar, ims.calendar) IS 'Inequality of calendars';
CREATE FUNCTION ims.calendar_hash(ims.calendar) RETURNS int4
    AS 'MODULE_PATHNAME', 'ims_calendar_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar_hash(ims.calendar) IS 'Hash of a calendar (for hash joins, GROUP BY and DISTINCT)';

CREATE OPERATOR ims.= (
    LEFTARG = ims.calendar, RIGHTARG = ims.calendar, PROCEDURE = ims.calendar_eq,
    COMMUTATOR = OPERATOR(ims.=), NEGATOR = OPERATOR(ims.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
COMMENT ON OPERATOR ims.= (ims.calendar, ims.calendar) IS 'Calendars are equal';
CREATE OPERATOR ims.<> (
    LEFTARG = ims.calendar, RIGHTARG = ims.calendar, PROCEDURE = ims.calendar_ne,
    COMMUTATOR = OPERATOR(ims.<>), NEGATOR = OPERATOR(ims.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR ims.<> (ims.calendar, ims.calendar) IS 'Calendars differ';

CREATE OPERATOR CLASS ims.calendar_hash_ops DEFAULT FOR TYPE ims.calendar USING hash AS
    OPERATOR 1 ims.= (ims.calendar, ims.calendar),
    FUNCTION 1 ims.calendar_hash(ims.calendar);
COMMENT ON OPERATOR CLASS ims.calendar_hash_ops USING hash IS 'Hash support for ims.calendar (GROUP BY, DISTINCT, hash joins)';

CREATE FUNCTION ims.calendar(j jsonb) RETURNS ims.calendar
    AS 'MODULE_PATHNAME', 'ims_calendar_from_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar(jsonb) IS 'Calendar from its JSON form {"tz", "weekly", "closed", "closed_yearly", "dates"} (see ims.calendar_to_jsonb)';
CREATE FUNCTION ims.calendar_to_jsonb(cal ims.calendar) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'ims_calendar_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.calendar_to_jsonb(ims.calendar) IS 'JSON form of a calendar, for applications that edit calendars in a UI';

-- ---------------------------------------------------------------------------
-- Business-time functions

CREATE FUNCTION ims.business_time(cal ims.calendar, t_from timestamptz, t_to timestamptz) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_business_time_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.business_time(ims.calendar, timestamptz, timestamptz) IS 'Business time inside [t_from, t_to) as hours:minutes:seconds (no day field); negative when t_to < t_from';

CREATE FUNCTION ims.business_add(cal ims.calendar, t timestamptz, d interval) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'ims_business_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.business_add(ims.calendar, timestamptz, interval) IS 'Earliest t2 >= t with business_time(cal, t, t2) = d (a duration ending at closing time returns the closing instant); negative d goes backwards; a day counts 24 business hours; months are rejected';

CREATE FUNCTION ims.business_days_add(cal ims.calendar, t timestamptz, n int) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'ims_business_days_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.business_days_add(ims.calendar, timestamptz, int) IS 'The same local wall time n business days later (n < 0: earlier); a business day is a date with at least one opening window';

CREATE FUNCTION ims.is_business_time(cal ims.calendar, t timestamptz) RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_is_business_time_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.is_business_time(ims.calendar, timestamptz) IS 'Whether the business clock runs at t';

CREATE FUNCTION ims.next_business_time(cal ims.calendar, t timestamptz) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'ims_next_business_time_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.next_business_time(ims.calendar, timestamptz) IS 't itself when it is business time, else the start of the next open window';

-- ---------------------------------------------------------------------------
-- Core table: named calendars

CREATE TABLE ims.business_calendar (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    cal         ims.calendar NOT NULL,
    description text
);
COMMENT ON TABLE ims.business_calendar IS 'Named business calendars used by SLA policies, services and CIs';
COMMENT ON COLUMN ims.business_calendar.name IS 'Unique name, e.g. berlin-office';
COMMENT ON COLUMN ims.business_calendar.cal IS 'The calendar value (ims.calendar)';
SELECT pg_catalog.pg_extension_config_dump('ims.business_calendar', '');
SELECT pg_catalog.pg_extension_config_dump('ims.business_calendar_id_seq', '');
GRANT SELECT ON ims.business_calendar TO ims_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ims.business_calendar TO ims_admin;

-- ---------------------------------------------------------------------------
-- Type ims.sla_clock

CREATE TYPE ims.sla_clock;

CREATE FUNCTION ims.sla_clock_in(cstring) RETURNS ims.sla_clock
    AS 'MODULE_PATHNAME', 'ims_sla_clock_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_clock_in(cstring) IS 'Text input of ims.sla_clock';
CREATE FUNCTION ims.sla_clock_out(ims.sla_clock) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ims_sla_clock_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_clock_out(ims.sla_clock) IS 'Text output of ims.sla_clock (times in UTC, round-trips exactly)';
CREATE FUNCTION ims.sla_clock_recv(internal) RETURNS ims.sla_clock
    AS 'MODULE_PATHNAME', 'ims_sla_clock_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_clock_recv(internal) IS 'Binary input of ims.sla_clock (checked like text input)';
CREATE FUNCTION ims.sla_clock_send(ims.sla_clock) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ims_sla_clock_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_clock_send(ims.sla_clock) IS 'Binary output of ims.sla_clock';

CREATE TYPE ims.sla_clock (
    INPUT = ims.sla_clock_in,
    OUTPUT = ims.sla_clock_out,
    RECEIVE = ims.sla_clock_recv,
    SEND = ims.sla_clock_send,
    INTERNALLENGTH = 40,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE ims.sla_clock IS 'One SLA timer: target, state (running/paused/stopped), business time accumulated, last event, first start';

CREATE FUNCTION ims.sla_clock_eq(ims.sla_clock, ims.sla_clock) RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_sla_clock_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ims.sla_clock_eq(ims.sla_clock, ims.sla_clock) IS 'Equality of clocks (every field)';
CREATE FUNCTION ims.sla_clock_ne(ims.sla_clock, ims.sla_clock) RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_sla_clock_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ims.sla_clock_ne(ims.sla_clock, ims.sla_clock) IS 'Inequality of clocks';
CREATE OPERATOR ims.= (
    LEFTARG = ims.sla_clock, RIGHTARG = ims.sla_clock, PROCEDURE = ims.sla_clock_eq,
    COMMUTATOR = OPERATOR(ims.=), NEGATOR = OPERATOR(ims.<>), RESTRICT = eqsel, JOIN = eqjoinsel
);
COMMENT ON OPERATOR ims.= (ims.sla_clock, ims.sla_clock) IS 'Clocks are equal';
CREATE OPERATOR ims.<> (
    LEFTARG = ims.sla_clock, RIGHTARG = ims.sla_clock, PROCEDURE = ims.sla_clock_ne,
    COMMUTATOR = OPERATOR(ims.<>), NEGATOR = OPERATOR(ims.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR ims.<> (ims.sla_clock, ims.sla_clock) IS 'Clocks differ';

-- The clock functions are IMMUTABLE: their result depends only on their
-- arguments.  A DEFAULT now() is inserted into the calling expression by the
-- parser, so a call that relies on it contains now() and is itself only
-- stable (the planner sees that; such a call is refused in an index
-- expression, as it must be).

CREATE FUNCTION ims.sla_start(target interval, at timestamptz DEFAULT pg_catalog.now()) RETURNS ims.sla_clock
    AS 'MODULE_PATHNAME', 'ims_sla_start_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_start(interval, timestamptz) IS 'A running clock with the given business-time target, started at at';

CREATE FUNCTION ims.sla_pause(c ims.sla_clock, cal ims.calendar, at timestamptz DEFAULT pg_catalog.now()) RETURNS ims.sla_clock
    AS 'MODULE_PATHNAME', 'ims_sla_pause_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_pause(ims.sla_clock, ims.calendar, timestamptz) IS 'Pause a running clock at at (a paused clock is returned unchanged; a stopped one is an error 55000; at before the last event is an error 22023)';

CREATE FUNCTION ims.sla_resume(c ims.sla_clock, at timestamptz DEFAULT pg_catalog.now()) RETURNS ims.sla_clock
    AS 'MODULE_PATHNAME', 'ims_sla_resume_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_resume(ims.sla_clock, timestamptz) IS 'Resume a paused clock at at (a running clock is returned unchanged; a stopped one is an error 55000)';

CREATE FUNCTION ims.sla_stop(c ims.sla_clock, cal ims.calendar, at timestamptz DEFAULT pg_catalog.now()) RETURNS ims.sla_clock
    AS 'MODULE_PATHNAME', 'ims_sla_stop_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_stop(ims.sla_clock, ims.calendar, timestamptz) IS 'Stop a clock for good at at (a stopped clock is returned unchanged)';

CREATE FUNCTION ims.sla_elapsed(c ims.sla_clock, cal ims.calendar, at timestamptz DEFAULT pg_catalog.now()) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_sla_elapsed_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_elapsed(ims.sla_clock, ims.calendar, timestamptz) IS 'Business time the clock has run as of at';

CREATE FUNCTION ims.sla_remaining(c ims.sla_clock, cal ims.calendar, at timestamptz DEFAULT pg_catalog.now()) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_sla_remaining_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_remaining(ims.sla_clock, ims.calendar, timestamptz) IS 'Target minus elapsed as of at (negative once breached)';

CREATE FUNCTION ims.sla_due(c ims.sla_clock, cal ims.calendar) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'ims_sla_due_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_due(ims.sla_clock, ims.calendar) IS 'When a running clock reaches its target; NULL for paused and stopped clocks';

CREATE FUNCTION ims.sla_progress(c ims.sla_clock, cal ims.calendar, at timestamptz DEFAULT pg_catalog.now()) RETURNS float8
    AS 'MODULE_PATHNAME', 'ims_sla_progress_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_progress(ims.sla_clock, ims.calendar, timestamptz) IS 'Elapsed divided by target as of at (1.0 = due)';

CREATE FUNCTION ims.sla_breached(c ims.sla_clock, cal ims.calendar, at timestamptz DEFAULT pg_catalog.now()) RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_sla_breached_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_breached(ims.sla_clock, ims.calendar, timestamptz) IS 'Whether elapsed exceeds the target as of at';

CREATE FUNCTION ims.sla_state(c ims.sla_clock) RETURNS text
    AS 'MODULE_PATHNAME', 'ims_sla_state_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.sla_state(ims.sla_clock) IS 'running, paused or stopped';

-- ---- src/sql/20_cmdb.sql ----
-- 20_cmdb.sql — the CMDB tables and dependency-graph functions (SPEC section 5).
-- Traversal lives in src/graph.c (glue and per-backend cache) and
-- src/core/graph.c (CSR graph and searches).

-- ---------------------------------------------------------------------------
-- Classes

CREATE TABLE ims.ci_class (
    name    text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    parent  text REFERENCES ims.ci_class (name) ON UPDATE CASCADE,
    description text
);
COMMENT ON TABLE ims.ci_class IS 'CI classes, a hierarchy (parent NULL at the roots): hardware/server, software/application, service/business_service, ...';
COMMENT ON COLUMN ims.ci_class.parent IS 'The class this one specialises; NULL for a root class';

-- A sensible ITIL class tree.  Shipped rows are not dumped by pg_dump (the
-- extension script recreates them); rows you add are.
INSERT INTO ims.ci_class (name, parent, description) VALUES
    ('hardware',          NULL,             'Physical and virtual equipment'),
    ('server',            'hardware',       'A computer that runs software'),
    ('physical_server',   'server',         'A bare-metal server'),
    ('virtual_machine',   'server',         'A virtual server on a hypervisor'),
    ('storage',           'hardware',       'Storage arrays, SAN and NAS'),
    ('network_device',    'hardware',       'Network equipment'),
    ('load_balancer',     'network_device', 'Distributes traffic over a pool'),
    ('router',            'network_device', 'Routes traffic between networks'),
    ('switch',            'network_device', 'A network switch'),
    ('firewall',          'network_device', 'A network firewall'),
    ('software',          NULL,             'Installed software'),
    ('operating_system',  'software',       'An operating system instance'),
    ('application',       'software',       'An application or application server'),
    ('web_server',        'application',    'An HTTP server'),
    ('app_server',        'application',    'An application server'),
    ('database',          'software',       'A database instance'),
    ('middleware',        'software',       'Queues, caches, integration buses'),
    ('package',           'software',       'A software package (e.g. a Debian package)'),
    ('service',           NULL,             'Services delivered to users or to other services'),
    ('business_service',  'service',        'A service the business consumes (impacted_services reports these)'),
    ('technical_service', 'service',        'A supporting IT service'),
    ('cluster',           NULL,             'A redundant group: pool, cluster, replica set (set min_up)'),
    ('location',          NULL,             'Sites and places'),
    ('datacenter',        'location',       'A data centre'),
    ('rack',              'location',       'A rack in a data centre');

-- ---------------------------------------------------------------------------
-- Configuration items

CREATE TABLE ims.ci (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    class       text NOT NULL REFERENCES ims.ci_class (name) ON UPDATE CASCADE,
    status      text NOT NULL DEFAULT 'operational'
                CHECK (status IN ('planned', 'operational', 'degraded', 'down', 'maintenance', 'retired')),
    criticality smallint NOT NULL DEFAULT 3 CHECK (criticality BETWEEN 1 AND 5),
    owner_group text,
    min_up      int CHECK (min_up IS NULL OR min_up >= 1),
    attributes  jsonb NOT NULL DEFAULT '{}',
    tenant      text,
    valid_from  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON ims.ci (class);
COMMENT ON TABLE ims.ci IS 'Configuration items: servers, applications, databases, business services, ...';
COMMENT ON COLUMN ims.ci.status IS 'Lifecycle/operational status; ''down'' counts as already failed for min_up';
COMMENT ON COLUMN ims.ci.min_up IS 'Redundancy: impacted only when fewer than min_up of its propagating dependencies are up (NULL: any impacted dependency impacts it)';
COMMENT ON COLUMN ims.ci.valid_from IS 'System time: since when this version of the row is valid (earlier versions are in ims.ci_history)';

CREATE TABLE ims.relation_type (
    name              text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    inverse_name      text NOT NULL,
    propagates_impact bool NOT NULL DEFAULT true
);
COMMENT ON TABLE ims.relation_type IS 'Kinds of CI relation; propagates_impact decides whether a failure travels along it';
COMMENT ON COLUMN ims.relation_type.inverse_name IS 'The relation read from target to source (runs_on / runs)';

INSERT INTO ims.relation_type (name, inverse_name, propagates_impact) VALUES
    ('depends_on',  'required_by',  true),
    ('runs_on',     'runs',         true),
    ('hosted_on',   'hosts',        true),
    ('uses',        'used_by',      true),
    ('connects_to', 'connected_by', false),
    ('member_of',   'has_member',   false);

CREATE TABLE ims.ci_relation (
    id        bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source_id bigint NOT NULL REFERENCES ims.ci (id) ON DELETE CASCADE,
    target_id bigint NOT NULL REFERENCES ims.ci (id) ON DELETE CASCADE,
    type      text NOT NULL REFERENCES ims.relation_type (name) ON UPDATE CASCADE,
    valid_from timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK (source_id <> target_id),
    UNIQUE (source_id, target_id, type)
);
CREATE INDEX ON ims.ci_relation (target_id);
COMMENT ON TABLE ims.ci_relation IS 'source depends on target (an application runs_on a server)';
COMMENT ON COLUMN ims.ci_relation.valid_from IS 'System time: since when this relation exists in this form (earlier versions are in ims.ci_relation_history)';

-- ---------------------------------------------------------------------------
-- History (system time): earlier versions of CIs and relations, each with
-- the period it was valid.  The current version is the row itself, valid
-- from its valid_from on.

CREATE TABLE ims.ci_history (
    ci_id       bigint NOT NULL,
    name        text NOT NULL,
    class       text NOT NULL,
    status      text NOT NULL,
    criticality smallint NOT NULL,
    owner_group text,
    min_up      int,
    attributes  jsonb NOT NULL,
    tenant      text,
    valid       tstzrange NOT NULL CHECK (NOT pg_catalog.isempty(valid))
);
CREATE INDEX ON ims.ci_history (ci_id);
COMMENT ON TABLE ims.ci_history IS 'Earlier versions of ims.ci rows with the system-time period each was valid (append-only, kept by triggers)';
COMMENT ON COLUMN ims.ci_history.valid IS 'System-time period [from, to) in which this version was current';

CREATE TABLE ims.ci_relation_history (
    relation_id bigint NOT NULL,
    source_id   bigint NOT NULL,
    target_id   bigint NOT NULL,
    type        text NOT NULL,
    valid       tstzrange NOT NULL CHECK (NOT pg_catalog.isempty(valid))
);
CREATE INDEX ON ims.ci_relation_history (relation_id);
COMMENT ON TABLE ims.ci_relation_history IS 'Earlier versions of ims.ci_relation rows (also deleted ones) with the system-time period each was valid';
COMMENT ON COLUMN ims.ci_relation_history.valid IS 'System-time period [from, to) in which this relation existed in this form';

-- The graph's version row: every statement that changes what the traversal
-- reads updates it (before touching any row), so the tuple a snapshot sees
-- names the committed state of the graph.  Its content never changes.
CREATE TABLE ims.graph_version (
    singleton bool PRIMARY KEY DEFAULT true CHECK (singleton)
);
INSERT INTO ims.graph_version VALUES (true);
-- every role that may traverse the graph reads it (it holds nothing)
GRANT SELECT ON ims.graph_version TO PUBLIC;
COMMENT ON TABLE ims.graph_version IS 'One row updated by every statement that changes CIs, relations, relation types or CI classes; the per-backend graph cache is keyed on the version of it the snapshot sees';

-- ---------------------------------------------------------------------------
-- Triggers: version bump and history

-- The trigger functions run as the extension owner, so a role that may change
-- the CMDB needs no rights on the version row or the append-only history.
CREATE FUNCTION ims.graph_touch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE ims.graph_version SET singleton = true;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ims.graph_touch() IS 'Statement trigger: marks the dependency graph as changed (updates ims.graph_version)';

CREATE TRIGGER graph_touch BEFORE INSERT OR DELETE OR TRUNCATE ON ims.ci
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
CREATE TRIGGER graph_touch_update BEFORE UPDATE OF id, class, status, min_up, valid_from ON ims.ci
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
CREATE TRIGGER graph_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.ci_relation
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
CREATE TRIGGER graph_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.relation_type
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
-- the graph flags business services (class business_service or below)
CREATE TRIGGER graph_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.ci_class
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
-- history rows are added by the triggers below (after a touch); editing them by hand changes as_of graphs
CREATE TRIGGER graph_touch BEFORE UPDATE OR DELETE OR TRUNCATE ON ims.ci_history
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();
CREATE TRIGGER graph_touch BEFORE UPDATE OR DELETE OR TRUNCATE ON ims.ci_relation_history
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();

CREATE FUNCTION ims.ci_versioning() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
        IF NEW.valid_from IS NOT DISTINCT FROM OLD.valid_from THEN
            NEW.valid_from := pg_catalog.now();
        END IF;
        IF OLD.valid_from < NEW.valid_from THEN
            INSERT INTO ims.ci_history (ci_id, name, class, status, criticality, owner_group, min_up, attributes, tenant, valid)
            VALUES (OLD.id, OLD.name, OLD.class, OLD.status, OLD.criticality, OLD.owner_group, OLD.min_up,
                    OLD.attributes, OLD.tenant, pg_catalog.tstzrange(OLD.valid_from, NEW.valid_from));
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO ims.ci_history (ci_id, name, class, status, criticality, owner_group, min_up, attributes, tenant, valid)
        SELECT o.id, o.name, o.class, o.status, o.criticality, o.owner_group, o.min_up, o.attributes, o.tenant,
               pg_catalog.tstzrange(o.valid_from, pg_catalog.now())
          FROM ims.ci o
         WHERE o.valid_from OPERATOR(pg_catalog.<) pg_catalog.now();
        RETURN NULL;
    END IF;
    -- DELETE (statement level, transition table old_rows)
    INSERT INTO ims.ci_history (ci_id, name, class, status, criticality, owner_group, min_up, attributes, tenant, valid)
    SELECT o.id, o.name, o.class, o.status, o.criticality, o.owner_group, o.min_up, o.attributes, o.tenant,
           pg_catalog.tstzrange(o.valid_from, pg_catalog.now())
      FROM old_rows o
     WHERE o.valid_from OPERATOR(pg_catalog.<) pg_catalog.now();
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ims.ci_versioning() IS 'Trigger: keeps earlier versions of ims.ci rows in ims.ci_history';

CREATE TRIGGER ci_versioning BEFORE UPDATE ON ims.ci
    FOR EACH ROW EXECUTE FUNCTION ims.ci_versioning();
CREATE TRIGGER ci_versioning_delete AFTER DELETE ON ims.ci
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims.ci_versioning();
CREATE TRIGGER ci_versioning_truncate BEFORE TRUNCATE ON ims.ci
    FOR EACH STATEMENT EXECUTE FUNCTION ims.ci_versioning();

CREATE FUNCTION ims.ci_relation_versioning() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
        IF NEW.valid_from IS NOT DISTINCT FROM OLD.valid_from THEN
            NEW.valid_from := pg_catalog.now();
        END IF;
        IF OLD.valid_from < NEW.valid_from THEN
            INSERT INTO ims.ci_relation_history (relation_id, source_id, target_id, type, valid)
            VALUES (OLD.id, OLD.source_id, OLD.target_id, OLD.type,
                    pg_catalog.tstzrange(OLD.valid_from, NEW.valid_from));
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO ims.ci_relation_history (relation_id, source_id, target_id, type, valid)
        SELECT o.id, o.source_id, o.target_id, o.type, pg_catalog.tstzrange(o.valid_from, pg_catalog.now())
          FROM ims.ci_relation o
         WHERE o.valid_from OPERATOR(pg_catalog.<) pg_catalog.now();
        RETURN NULL;
    END IF;
    INSERT INTO ims.ci_relation_history (relation_id, source_id, target_id, type, valid)
    SELECT o.id, o.source_id, o.target_id, o.type, pg_catalog.tstzrange(o.valid_from, pg_catalog.now())
      FROM old_rows o
     WHERE o.valid_from OPERATOR(pg_catalog.<) pg_catalog.now();
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ims.ci_relation_versioning() IS 'Trigger: keeps earlier and deleted versions of ims.ci_relation rows in ims.ci_relation_history';

CREATE TRIGGER ci_relation_versioning BEFORE UPDATE ON ims.ci_relation
    FOR EACH ROW EXECUTE FUNCTION ims.ci_relation_versioning();
CREATE TRIGGER ci_relation_versioning_delete AFTER DELETE ON ims.ci_relation
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims.ci_relation_versioning();
CREATE TRIGGER ci_relation_versioning_truncate BEFORE TRUNCATE ON ims.ci_relation
    FOR EACH STATEMENT EXECUTE FUNCTION ims.ci_relation_versioning();

-- ---------------------------------------------------------------------------
-- pg_dump: user rows of the CMDB tables; shipped classes and relation types
-- are recreated by CREATE EXTENSION, so the filter leaves them out.

SELECT pg_catalog.pg_extension_config_dump('ims.ci_class',
    $$WHERE name NOT IN ('hardware', 'server', 'physical_server', 'virtual_machine', 'storage',
        'network_device', 'load_balancer', 'router', 'switch', 'firewall', 'software',
        'operating_system', 'application', 'web_server', 'app_server', 'database', 'middleware',
        'package', 'service', 'business_service', 'technical_service', 'cluster', 'location',
        'datacenter', 'rack')$$);
SELECT pg_catalog.pg_extension_config_dump('ims.ci', '');
SELECT pg_catalog.pg_extension_config_dump('ims.relation_type',
    $$WHERE name NOT IN ('depends_on', 'runs_on', 'hosted_on', 'uses', 'connects_to', 'member_of')$$);
SELECT pg_catalog.pg_extension_config_dump('ims.ci_relation', '');
SELECT pg_catalog.pg_extension_config_dump('ims.ci_history', '');
SELECT pg_catalog.pg_extension_config_dump('ims.ci_relation_history', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.ci', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.ci_relation', 'id'), '');

-- ---------------------------------------------------------------------------
-- Traversal (C).  All take optional max_depth (NULL: unlimited), rel_types
-- (NULL: every type) and as_of (NULL: the graph the snapshot sees; else the
-- graph as it was at that moment, from the history tables).

CREATE FUNCTION ims.impacted(ci_ids bigint[], max_depth int DEFAULT NULL,
                             rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (ci_id bigint, depth int, via bigint)
AS 'MODULE_PATHNAME', 'ims_impacted'
LANGUAGE C STABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ims.impacted(bigint[], int, text[], timestamptz) IS
'Everything that depends, transitively over propagating relation types, on the given CIs, honouring min_up: one row per CI with the shortest chain length (start CIs at depth 0) and the CI one step closer (via)';

CREATE FUNCTION ims.dependencies(ci_ids bigint[], max_depth int DEFAULT NULL,
                                 rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (ci_id bigint, depth int, via bigint)
AS 'MODULE_PATHNAME', 'ims_dependencies'
LANGUAGE C STABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ims.dependencies(bigint[], int, text[], timestamptz) IS
'Everything the given CIs depend on, transitively over every relation type (or rel_types): one row per CI with depth and via';

CREATE FUNCTION ims.graph_cache_info()
RETURNS TABLE (cache text, cis bigint, relations bigint, relation_types int, bytes bigint,
               bytes_per_relation float8, adjacency_bytes_per_relation float8,
               built_at timestamptz, build_ms float8, hits bigint, as_of timestamptz)
AS 'MODULE_PATHNAME', 'ims_graph_cache_info'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 3;
COMMENT ON FUNCTION ims.graph_cache_info() IS
'The dependency graphs this backend has cached: size (bytes, bytes per relation), build time, hits since built';

CREATE FUNCTION ims.graph_cache_reset() RETURNS int
AS 'MODULE_PATHNAME', 'ims_graph_cache_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ims.graph_cache_reset() IS
'Drops this backend''s cached dependency graphs (they are rebuilt on next use); returns how many were dropped';

CREATE FUNCTION ims.dependency_path(from_ci bigint, to_ci bigint, max_depth int DEFAULT NULL,
                                    rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (step int, ci_id bigint, relation text)
AS 'MODULE_PATHNAME', 'ims_dependency_path'
LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ims.dependency_path(bigint, bigint, int, text[], timestamptz) IS
'A shortest dependency chain from from_ci to to_ci (from_ci depends on ... on to_ci): step 0 is from_ci, each later step names the relation type that leads to it; no rows when there is none';

CREATE FUNCTION ims.dependency_cycles(rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (cycle int, ci_id bigint)
AS 'MODULE_PATHNAME', 'ims_dependency_cycles'
LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ims.dependency_cycles(text[], timestamptz) IS
'Dependency cycles: the strongly connected components of more than one CI, numbered from 1 in order of their smallest CI id';

CREATE FUNCTION ims.common_dependencies(ci_ids bigint[], max_depth int DEFAULT NULL,
                                        rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL,
                                        min_covers int DEFAULT 2)
RETURNS TABLE (ci_id bigint, covers int, depth int)
AS 'MODULE_PATHNAME', 'ims_common_dependencies'
LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ims.common_dependencies(bigint[], int, text[], timestamptz, int) IS
'Root-cause candidates for a burst of failures: CIs that at least min_covers of the given CIs depend on over propagating relations (or are), ranked by how many they cover, then by depth (the farthest covered CI), then id';

CREATE FUNCTION ims.impacted_services(ci_ids bigint[], max_depth int DEFAULT NULL,
                                      rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (ci_id bigint, depth int)
AS 'MODULE_PATHNAME', 'ims_impacted_services'
LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ims.impacted_services(bigint[], int, text[], timestamptz) IS
'The business services (CIs of class business_service or below) impacted by the given CIs, with their depth, by depth then id (the class flag is kept in the cached graph: no lookup per CI)';

CREATE FUNCTION ims.graph_json(ci_ids bigint[], direction text DEFAULT 'impact', max_depth int DEFAULT NULL,
                               rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nodes jsonb;
    edges jsonb;
    follow text[];
BEGIN
    IF direction IS NULL OR direction NOT IN ('impact', 'dependencies') THEN
        RAISE EXCEPTION 'direction must be ''impact'' or ''dependencies'', not %', coalesce(quote_literal(direction), 'NULL')
            USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(t.name) INTO follow FROM ims.relation_type t
     WHERE (rel_types IS NULL OR t.name = ANY (rel_types))
       AND (direction = 'dependencies' OR t.propagates_impact);
    WITH reached AS (
        SELECT r.ci_id, r.depth, r.via FROM ims.impacted(ci_ids, max_depth, rel_types, as_of) r
         WHERE direction = 'impact'
        UNION ALL
        SELECT r.ci_id, r.depth, r.via FROM ims.dependencies(ci_ids, max_depth, rel_types, as_of) r
         WHERE direction = 'dependencies'),
    info AS (
        SELECT r.*, k.name, k.class, k.status
          FROM reached r
          JOIN LATERAL (
                SELECT c.name, c.class, c.status FROM ims.ci c
                 WHERE c.id = r.ci_id AND (as_of IS NULL OR c.valid_from <= as_of)
                UNION ALL
                SELECT h.name, h.class, h.status FROM ims.ci_history h
                 WHERE as_of IS NOT NULL AND h.ci_id = r.ci_id AND h.valid @> as_of
                LIMIT 1) k ON true),
    rel AS (
        SELECT e.source_id, e.target_id, e.type FROM ims.ci_relation e
         WHERE as_of IS NULL OR e.valid_from <= as_of
        UNION ALL
        SELECT e.source_id, e.target_id, e.type FROM ims.ci_relation_history e
         WHERE as_of IS NOT NULL AND e.valid @> as_of)
    SELECT (SELECT coalesce(jsonb_agg(jsonb_build_object('id', i.ci_id, 'name', i.name, 'class', i.class,
                                                         'status', i.status, 'depth', i.depth, 'via', i.via,
                                                         'start', i.depth = 0)
                                      ORDER BY i.depth, i.ci_id), '[]') FROM info i),
           (SELECT coalesce(jsonb_agg(jsonb_build_object('source', e.source_id, 'target', e.target_id, 'type', e.type)
                                      ORDER BY e.source_id, e.target_id, e.type), '[]')
              FROM rel e
             WHERE e.type = ANY (follow)
               AND e.source_id IN (SELECT ci_id FROM reached)
               AND e.target_id IN (SELECT ci_id FROM reached))
      INTO nodes, edges;
    RETURN jsonb_build_object('direction', direction, 'as_of', as_of, 'nodes', nodes, 'edges', edges);
END $$;
COMMENT ON FUNCTION ims.graph_json(bigint[], text, int, text[], timestamptz) IS
'The impact (direction ''impact'') or dependency (''dependencies'') subgraph of the given CIs as JSON: nodes with name, class, status, depth, via, start; edges with source, target, type';

CREATE FUNCTION ims.graph_dot(ci_ids bigint[], direction text DEFAULT 'impact', max_depth int DEFAULT NULL,
                              rel_types text[] DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH g AS (SELECT ims.graph_json(ci_ids, direction, max_depth, rel_types, as_of) AS j)
    SELECT 'digraph ' || CASE WHEN direction = 'impact' THEN 'impact' ELSE 'dependencies' END || E' {\n'
        || E'  rankdir=BT;\n'
        || E'  node [shape=box, style="rounded,filled", fontname="Helvetica", fillcolor="#ffffff"];\n'
        || E'  edge [fontname="Helvetica", fontsize=10, color="#555555"];\n'
        || coalesce((SELECT string_agg(format(E'  "%s" [label="%s\\n%s", fillcolor="%s"];\n',
                                   n->>'id',
                                   replace(replace(n->>'name', '\', '\\'), '"', '\"'),
                                   n->>'class',
                                   CASE WHEN (n->>'start')::bool THEN '#e74c3c'
                                        WHEN direction = 'impact' THEN '#f5b041'
                                        ELSE '#d6eaf8' END), '' ORDER BY (n->>'depth')::int, (n->>'id')::bigint)
                       FROM g, jsonb_array_elements(g.j->'nodes') n), '')
        || coalesce((SELECT string_agg(format(E'  "%s" -> "%s" [label="%s"];\n', e->>'source', e->>'target', e->>'type'),
                                       '' ORDER BY (e->>'source')::bigint, (e->>'target')::bigint, e->>'type')
                       FROM g, jsonb_array_elements(g.j->'edges') e), '')
        || '}' || E'\n'
$$;
COMMENT ON FUNCTION ims.graph_dot(bigint[], text, int, text[], timestamptz) IS
'The impact or dependency subgraph of the given CIs in Graphviz DOT (start CIs red, impacted orange, dependencies blue; edges point from the dependent CI to what it depends on)';

-- ---- src/sql/30_workflow.sql ----
-- 30_workflow.sql — workflows as data and the state-machine trigger (SPEC section 3).

-- ---------------------------------------------------------------------------
-- Tables.  Shipped rows (shipped = true) are created by CREATE EXTENSION; rows
-- a DBA adds or edits have shipped = false and are the ones pg_dump keeps
-- (pg_extension_config_dump with WHERE NOT shipped).  See doc/workflows.md.

CREATE TABLE ims.workflow (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$' AND pg_catalog.length(name) <= 63),
    initial_state text NOT NULL,
    description   text,
    shipped       bool NOT NULL DEFAULT false
);
COMMENT ON TABLE ims.workflow IS 'State machines used by ims.workflow_guard(): one row per workflow with the state new rows start in';
COMMENT ON COLUMN ims.workflow.initial_state IS 'State every new row must start in (a state of ims.workflow_state for this workflow)';
COMMENT ON COLUMN ims.workflow.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

CREATE TABLE ims.workflow_state (
    workflow    text NOT NULL REFERENCES ims.workflow (name),
    state       text NOT NULL CHECK (state ~ '^[a-z][a-z0-9_]*$' AND pg_catalog.length(state) <= 63),
    category    text NOT NULL CHECK (category IN ('open', 'paused', 'resolved', 'closed', 'cancelled')),
    description text,
    shipped     bool NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, state)
);
COMMENT ON TABLE ims.workflow_state IS 'States of each workflow with their category (open, paused, resolved, closed, cancelled)';
COMMENT ON COLUMN ims.workflow_state.category IS 'open: work goes on; paused: waiting (SLA clocks may pause); resolved: fixed, may reopen; closed and cancelled: final';
COMMENT ON COLUMN ims.workflow_state.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

CREATE TABLE ims.workflow_transition (
    workflow      text NOT NULL,
    from_state    text NOT NULL,
    to_state      text NOT NULL,
    required_role text,
    enabled       bool NOT NULL DEFAULT true,
    description   text,
    shipped       bool NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, from_state, to_state),
    FOREIGN KEY (workflow, from_state) REFERENCES ims.workflow_state (workflow, state),
    FOREIGN KEY (workflow, to_state) REFERENCES ims.workflow_state (workflow, state),
    CHECK (from_state <> to_state)
);
COMMENT ON TABLE ims.workflow_transition IS 'Allowed transitions of each workflow; required_role (NULL: anyone) is checked with pg_has_role(current_user, required_role, ''member'')';
COMMENT ON COLUMN ims.workflow_transition.required_role IS 'Role whose members may make this transition; NULL lets anyone';
COMMENT ON COLUMN ims.workflow_transition.enabled IS 'false withdraws the transition (the way to withdraw a shipped one: shipped rows cannot be deleted)';
COMMENT ON COLUMN ims.workflow_transition.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

-- ---------------------------------------------------------------------------
-- Shipped workflows.

INSERT INTO ims.workflow (name, initial_state, description, shipped) VALUES
  ('incident', 'new', 'ITIL incident: restore service as fast as possible', true),
  ('problem', 'new', 'ITIL problem: find and remove the root cause of incidents (known errors are a flag on the problem, not a state)', true),
  ('change', 'new', 'ITIL change: assess, authorise, schedule, implement and review a change', true);

INSERT INTO ims.workflow_state (workflow, state, category, description, shipped) VALUES
  ('incident', 'new',         'open',      'Logged, not yet acknowledged', true),
  ('incident', 'in_progress', 'open',      'Being worked by the assignment group', true),
  ('incident', 'on_hold',     'paused',    'Waiting for the caller, a vendor or a change', true),
  ('incident', 'resolved',    'resolved',  'Service restored; may be reopened', true),
  ('incident', 'closed',      'closed',    'Confirmed and closed', true),
  ('incident', 'cancelled',   'cancelled', 'Logged in error or a duplicate', true),
  ('problem', 'new',                 'open',      'Logged', true),
  ('problem', 'assess',              'open',      'Impact and priority being assessed', true),
  ('problem', 'root_cause_analysis', 'open',      'Root cause being investigated', true),
  ('problem', 'fix_in_progress',     'open',      'Permanent fix being built or deployed (often through a change)', true),
  ('problem', 'resolved',            'resolved',  'Root cause removed; may be reopened', true),
  ('problem', 'closed',              'closed',    'Reviewed and closed', true),
  ('problem', 'cancelled',           'cancelled', 'Not a problem, or a duplicate', true),
  ('change', 'new',       'open',      'Requested', true),
  ('change', 'assess',    'open',      'Risk and impact being assessed', true),
  ('change', 'authorize', 'open',      'Waiting for approval', true),
  ('change', 'scheduled', 'open',      'Approved and scheduled', true),
  ('change', 'implement', 'open',      'Being implemented', true),
  ('change', 'review',    'open',      'Implemented; outcome being reviewed', true),
  ('change', 'closed',    'closed',    'Reviewed and closed', true),
  ('change', 'cancelled', 'cancelled', 'Withdrawn before completion', true);

INSERT INTO ims.workflow_transition (workflow, from_state, to_state, required_role, description, shipped) VALUES
  ('incident', 'new',         'in_progress', NULL, 'acknowledge and start work', true),
  ('incident', 'new',         'on_hold',     NULL, 'acknowledge and wait', true),
  ('incident', 'new',         'resolved',    NULL, 'resolve at first contact', true),
  ('incident', 'new',         'cancelled',   'ims_agent', 'cancel (agents only)', true),
  ('incident', 'in_progress', 'on_hold',     NULL, 'wait for the caller, a vendor or a change', true),
  ('incident', 'on_hold',     'in_progress', NULL, 'resume work', true),
  ('incident', 'in_progress', 'resolved',    NULL, 'resolve', true),
  ('incident', 'on_hold',     'resolved',    NULL, 'resolve while waiting', true),
  ('incident', 'in_progress', 'cancelled',   'ims_agent', 'cancel (agents only)', true),
  ('incident', 'on_hold',     'cancelled',   'ims_agent', 'cancel (agents only)', true),
  ('incident', 'resolved',    'closed',      NULL, 'close', true),
  ('incident', 'resolved',    'in_progress', NULL, 'reopen', true),
  ('problem', 'new',                 'assess',              NULL, 'start assessment', true),
  ('problem', 'assess',              'new',                 NULL, 'return for more information', true),
  ('problem', 'assess',              'root_cause_analysis', NULL, 'accept and investigate', true),
  ('problem', 'root_cause_analysis', 'fix_in_progress',     NULL, 'root cause found; build the fix', true),
  ('problem', 'root_cause_analysis', 'resolved',            NULL, 'resolved without a fix (e.g. fixed by a vendor)', true),
  ('problem', 'fix_in_progress',     'root_cause_analysis', NULL, 'the fix did not address the cause', true),
  ('problem', 'fix_in_progress',     'resolved',            NULL, 'fix deployed', true),
  ('problem', 'resolved',            'fix_in_progress',     NULL, 'reopen: the fix did not hold', true),
  ('problem', 'resolved',            'closed',              'ims_agent', 'close after review (agents only)', true),
  ('problem', 'new',                 'cancelled',           NULL, 'cancel', true),
  ('problem', 'assess',              'cancelled',           NULL, 'cancel', true),
  ('problem', 'root_cause_analysis', 'cancelled',           NULL, 'cancel', true),
  ('problem', 'fix_in_progress',     'cancelled',           NULL, 'cancel', true),
  ('change', 'new',       'assess',    NULL, 'submit for assessment', true),
  ('change', 'assess',    'new',       NULL, 'return to the requester', true),
  ('change', 'assess',    'authorize', NULL, 'request approval', true),
  ('change', 'authorize', 'assess',    NULL, 'approval needs more assessment', true),
  ('change', 'authorize', 'scheduled', 'ims_change_manager', 'authorised (change managers only)', true),
  ('change', 'scheduled', 'authorize', NULL, 're-plan: needs a new approval', true),
  ('change', 'scheduled', 'implement', NULL, 'start implementation', true),
  ('change', 'implement', 'review',    NULL, 'implemented (successfully or backed out)', true),
  ('change', 'review',    'closed',    NULL, 'close after review', true),
  ('change', 'new',       'cancelled', NULL, 'cancel', true),
  ('change', 'assess',    'cancelled', NULL, 'cancel', true),
  ('change', 'authorize', 'cancelled', NULL, 'cancel', true),
  ('change', 'scheduled', 'cancelled', NULL, 'cancel', true),
  ('change', 'implement', 'cancelled', NULL, 'cancel', true),
  ('change', 'review',    'cancelled', NULL, 'cancel', true);

SELECT pg_catalog.pg_extension_config_dump('ims.workflow', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('ims.workflow_state', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('ims.workflow_transition', 'WHERE NOT shipped');

-- ---------------------------------------------------------------------------
-- Shipped rows stay consistent with pg_dump: an edited shipped row becomes the
-- DBA's own row (shipped = false, so it is dumped); inserting a row whose key
-- is a shipped row (what a restore does with an edited row, after CREATE
-- EXTENSION re-created the original) replaces the shipped row; deleting a
-- shipped row is refused, because a restore would bring it back.

CREATE FUNCTION ims._config_row_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.shipped THEN
            RAISE EXCEPTION 'cannot delete a shipped row of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
                USING ERRCODE = '55000',
                      DETAIL = pg_catalog.format('The row %s was created by CREATE EXTENSION ims and would come back on restore.',
                                                 pg_catalog.to_jsonb(OLD) - 'shipped'),
                      HINT = CASE WHEN TG_TABLE_NAME = 'workflow_transition'
                                  THEN 'Set enabled = false to withdraw a shipped transition.'
                                  ELSE 'Edit the row instead; edited rows are kept by pg_dump.' END;
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        NEW.shipped := false;
        RETURN NEW;
    END IF;
    -- INSERT: replace a shipped row with the same key.
    NEW.shipped := false;
    IF TG_TABLE_NAME = 'workflow' THEN
        UPDATE ims.workflow SET initial_state = NEW.initial_state, description = NEW.description
         WHERE name = NEW.name AND shipped;
    ELSIF TG_TABLE_NAME = 'workflow_state' THEN
        UPDATE ims.workflow_state SET category = NEW.category, description = NEW.description
         WHERE workflow = NEW.workflow AND state = NEW.state AND shipped;
    ELSIF TG_TABLE_NAME = 'workflow_transition' THEN
        UPDATE ims.workflow_transition
           SET required_role = NEW.required_role, enabled = NEW.enabled, description = NEW.description
         WHERE workflow = NEW.workflow AND from_state = NEW.from_state AND to_state = NEW.to_state AND shipped;
    ELSIF TG_TABLE_NAME = 'priority_matrix' THEN
        UPDATE ims.priority_matrix SET priority = NEW.priority
         WHERE impact = NEW.impact AND urgency = NEW.urgency AND shipped;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RETURN NULL;    -- the shipped row now holds the inserted values
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ims._config_row_guard() IS 'Keeps shipped rows of ims configuration tables consistent with pg_dump (see doc/workflows.md)';

CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.workflow
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();
CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.workflow_state
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();
CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.workflow_transition
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();

-- Backends cache these tables (src/workflow.c); a statement that changes one
-- tells its own backend's cache, other backends see the change through their
-- snapshots.
CREATE FUNCTION ims._config_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_config_changed'
    LANGUAGE C;
COMMENT ON FUNCTION ims._config_changed() IS 'Statement trigger on ims configuration tables: tells this backend''s caches to re-read them';
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.workflow
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.workflow_state
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.workflow_transition
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
ALTER TABLE ims.workflow ENABLE ALWAYS TRIGGER config_changed;
ALTER TABLE ims.workflow_state ENABLE ALWAYS TRIGGER config_changed;
ALTER TABLE ims.workflow_transition ENABLE ALWAYS TRIGGER config_changed;

-- The guard reads the workflow tables as the user whose statement fires it.
GRANT SELECT ON ims.workflow, ims.workflow_state, ims.workflow_transition TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ims.workflow, ims.workflow_state, ims.workflow_transition TO ims_admin;

-- ---------------------------------------------------------------------------
-- The trigger and its helpers (src/workflow.c).

CREATE FUNCTION ims.workflow_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_workflow_guard'
    LANGUAGE C;
COMMENT ON FUNCTION ims.workflow_guard() IS 'BEFORE INSERT OR UPDATE row trigger for any table: ims.workflow_guard(workflow, state_column) enforces the workflow''s initial state, transitions and roles';

CREATE FUNCTION ims.workflow_state_category(workflow text, state text) RETURNS text
    AS 'MODULE_PATHNAME', 'ims_workflow_state_category'
    LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION ims.workflow_state_category(text, text) IS 'Category (open, paused, resolved, closed, cancelled) of a state of a workflow, NULL when the workflow has no such state';

CREATE FUNCTION ims.workflow_targets(workflow text, from_state text)
    RETURNS TABLE (to_state text, required_role text, allowed bool)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.to_state, t.required_role,
           t.required_role IS NULL
           OR (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = t.required_role)
               AND pg_catalog.pg_has_role(current_user, t.required_role, 'member'))
      FROM ims.workflow_transition t
     WHERE t.workflow = $1 AND t.from_state = $2 AND t.enabled
     ORDER BY t.to_state
$$;
COMMENT ON FUNCTION ims.workflow_targets(text, text) IS 'The states a row may move to from from_state, with the role each needs and whether the current user may make the transition';

-- ---- src/sql/31_incident.sql ----
-- 31_incident.sql — incidents, their append-only history and the priority matrix (SPEC section 4).

-- ---------------------------------------------------------------------------
-- Helpers in C (src/incident.c).

CREATE FUNCTION ims.event_time() RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'ims_event_time'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ims.event_time() IS 'Effective time of an incident event: the setting ims.event_time when set (members of ims_admin only), else the statement time';

CREATE FUNCTION ims._bulk_restore() RETURNS bool
    AS 'MODULE_PATHNAME', 'ims_bulk_restore_sql'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ims._bulk_restore() IS 'true while a member of ims_admin loads rows with COPY FROM (what pg_restore does): the incident triggers then take rows as they are';

CREATE FUNCTION ims.incident_number(n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT 'INC' OPERATOR(pg_catalog.||) pg_catalog.lpad(n::text, greatest(7, pg_catalog.length(n::text)), '0') $$;
COMMENT ON FUNCTION ims.incident_number(bigint) IS 'Incident number for a sequence value: 1 gives INC0000001';

-- ---------------------------------------------------------------------------
-- The priority matrix: impact × urgency → priority, ServiceNow's default.

CREATE TABLE ims.priority_matrix (
    impact   smallint NOT NULL CHECK (impact BETWEEN 1 AND 3),
    urgency  smallint NOT NULL CHECK (urgency BETWEEN 1 AND 3),
    priority smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    shipped  bool NOT NULL DEFAULT false,
    PRIMARY KEY (impact, urgency)
);
COMMENT ON TABLE ims.priority_matrix IS 'Priority of an incident by impact and urgency (1 high .. 3 low); editable, applied when impact or urgency is set';
COMMENT ON COLUMN ims.priority_matrix.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

INSERT INTO ims.priority_matrix (impact, urgency, priority, shipped) VALUES
  (1, 1, 1, true), (1, 2, 2, true), (1, 3, 3, true),
  (2, 1, 2, true), (2, 2, 3, true), (2, 3, 4, true),
  (3, 1, 3, true), (3, 2, 4, true), (3, 3, 5, true);
SELECT pg_catalog.pg_extension_config_dump('ims.priority_matrix', 'WHERE NOT shipped');
CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.priority_matrix
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.priority_matrix
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
ALTER TABLE ims.priority_matrix ENABLE ALWAYS TRIGGER config_changed;
GRANT SELECT ON ims.priority_matrix TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ims.priority_matrix TO ims_admin;

-- ---------------------------------------------------------------------------
-- Incidents.

CREATE SEQUENCE ims.incident_number_seq;
COMMENT ON SEQUENCE ims.incident_number_seq IS 'Numbers of ims.incident.number (INC0000001, ...)';

CREATE TABLE ims.incident (
    id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    number           text NOT NULL UNIQUE
                     DEFAULT ims.incident_number(pg_catalog.nextval('ims.incident_number_seq')),
    title            text NOT NULL,
    description      text,
    state            text NOT NULL,
    impact           smallint NOT NULL DEFAULT 3 CHECK (impact BETWEEN 1 AND 3),
    urgency          smallint NOT NULL DEFAULT 3 CHECK (urgency BETWEEN 1 AND 3),
    priority         smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    service_id       bigint REFERENCES ims.ci (id),
    ci_id            bigint REFERENCES ims.ci (id),
    assignment_group text,
    assignee         text,
    caller           text,
    category         text,
    opened_at        timestamptz NOT NULL,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    resolution_code  text,
    resolution_notes text,
    reopen_count     int NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
    tenant           text,
    updated_at       timestamptz NOT NULL,
    updated_by       text NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX incident_service_id_idx ON ims.incident (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX incident_ci_id_idx ON ims.incident (ci_id) WHERE ci_id IS NOT NULL;
CREATE INDEX incident_opened_at_idx ON ims.incident (opened_at);
COMMENT ON TABLE ims.incident IS 'Incidents on the incident workflow; timestamps, priority and history are kept by triggers; never deleted (cancel or close them)';
COMMENT ON COLUMN ims.incident.number IS 'Human-readable number, INC0000001 style, from ims.incident_number_seq unless given';
COMMENT ON COLUMN ims.incident.state IS 'State on workflow incident (ims.workflow_guard); NULL on insert means the initial state new';
COMMENT ON COLUMN ims.incident.impact IS '1 (high) to 3 (low)';
COMMENT ON COLUMN ims.incident.urgency IS '1 (high) to 3 (low)';
COMMENT ON COLUMN ims.incident.priority IS '1 (critical) to 5 (planning), derived from impact and urgency by ims.priority_matrix';
COMMENT ON COLUMN ims.incident.service_id IS 'The business service affected (a CI)';
COMMENT ON COLUMN ims.incident.ci_id IS 'The configuration item at fault';
COMMENT ON COLUMN ims.incident.opened_at IS 'When the incident was opened: ims.event_time() unless the INSERT gives it (historical import)';
COMMENT ON COLUMN ims.incident.acknowledged_at IS 'Stamped when the incident first leaves new';
COMMENT ON COLUMN ims.incident.resolved_at IS 'Stamped on entering a resolved state; cleared on reopen';
COMMENT ON COLUMN ims.incident.closed_at IS 'Stamped on entering a closed or cancelled state; cleared on reopen';
COMMENT ON COLUMN ims.incident.resolution_code IS 'Required to resolve (IM004)';
COMMENT ON COLUMN ims.incident.reopen_count IS 'How often the incident went from resolved or closed back to work';
COMMENT ON COLUMN ims.incident.tenant IS 'Tenant owning the incident (row-level security)';
COMMENT ON COLUMN ims.incident.updated_at IS 'Effective time of the last change (ims.event_time())';
COMMENT ON COLUMN ims.incident.updated_by IS 'current_user of the last change';
SELECT pg_catalog.pg_extension_config_dump('ims.incident', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.incident', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump('ims.incident_number_seq', '');

-- ---------------------------------------------------------------------------
-- History: one row per insert, transition or field change.  Append-only.

CREATE TABLE ims.incident_event (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL,
    at          timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor       text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    changes     jsonb NOT NULL
);
CREATE INDEX incident_event_incident_id_at_idx ON ims.incident_event (incident_id, at, id);
COMMENT ON TABLE ims.incident_event IS 'Append-only history of every incident insert, transition and field change';
COMMENT ON COLUMN ims.incident_event.incident_id IS 'ims.incident.id (incidents are never deleted, so no foreign key check is paid per event)';
COMMENT ON COLUMN ims.incident_event.at IS 'Effective time (statement time, or ims.event_time when an ims_admin backdates)';
COMMENT ON COLUMN ims.incident_event.recorded_at IS 'Real time the event was written';
COMMENT ON COLUMN ims.incident_event.actor IS 'current_user who made the change';
COMMENT ON COLUMN ims.incident_event.from_state IS 'State before the event (NULL for the insert)';
COMMENT ON COLUMN ims.incident_event.to_state IS 'State after the event (equal to from_state for a field change)';
COMMENT ON COLUMN ims.incident_event.changes IS 'Changed columns as {"column": [old, new]} (old is null for the insert)';
SELECT pg_catalog.pg_extension_config_dump('ims.incident_event', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.incident_event', 'id'), '');

CREATE FUNCTION ims._append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = '42501',
              DETAIL = pg_catalog.format('%s is refused for every role, the owner included.', TG_OP),
              HINT = 'History is corrected by new events, never by editing old ones.';
END
$$;
COMMENT ON FUNCTION ims._append_only() IS 'Refuses UPDATE, DELETE and TRUNCATE on history tables';

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ims.incident_event
    FOR EACH STATEMENT EXECUTE FUNCTION ims._append_only();
ALTER TABLE ims.incident_event ENABLE ALWAYS TRIGGER append_only;

-- ---------------------------------------------------------------------------
-- Triggers of ims.incident, fired in name order:
--   incident_10_workflow  the state machine (C)
--   incident_20_stamp     priority, timestamps, resolution code, reopen count
--   incident_90_history   history row and NOTIFY ims_incident

-- Incidents are closed or cancelled, never deleted: their history stays
-- complete and every event keeps its incident.
CREATE FUNCTION ims._incident_no_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'incidents cannot be deleted'
        USING ERRCODE = '42501',
              DETAIL = pg_catalog.format('%s on %s.%s is refused: the history in ims.incident_event is append-only.',
                                         TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
              HINT = 'Cancel or close the incident instead.';
END
$$;
COMMENT ON FUNCTION ims._incident_no_delete() IS 'Refuses DELETE and TRUNCATE on ims.incident';
CREATE TRIGGER incident_no_delete BEFORE DELETE OR TRUNCATE ON ims.incident
    FOR EACH STATEMENT EXECUTE FUNCTION ims._incident_no_delete();

CREATE TRIGGER incident_10_workflow BEFORE INSERT OR UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('incident', 'state');

CREATE FUNCTION ims._incident_before() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_incident_before'
    LANGUAGE C;
COMMENT ON FUNCTION ims._incident_before() IS 'BEFORE trigger of ims.incident: priority from the matrix, workflow timestamps, resolution code (IM004), reopen count, updated_at/updated_by';

CREATE TRIGGER incident_20_stamp BEFORE INSERT OR UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._incident_before();

-- The history row is written by the trigger itself (agents have no INSERT
-- right on ims.incident_event); actor and time come from the row, which the
-- BEFORE trigger stamped as the user who made the change.
CREATE FUNCTION ims._incident_after() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_incident_after'
    LANGUAGE C;
COMMENT ON FUNCTION ims._incident_after() IS 'AFTER trigger of ims.incident: writes ims.incident_event and sends NOTIFY ims_incident on inserts and state changes';

CREATE TRIGGER incident_90_history AFTER INSERT OR UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._incident_after();

GRANT SELECT, INSERT, UPDATE ON ims.incident TO ims_agent;
GRANT USAGE ON SEQUENCE ims.incident_number_seq TO ims_agent;
GRANT USAGE ON SEQUENCE ims.incident_id_seq TO ims_agent;
GRANT SELECT ON ims.incident_event TO ims_agent;

-- ---- src/sql/32_sla.sql ----
-- 32_sla.sql — SLA policies and the incident clocks they start (SPEC section 4).

-- ---------------------------------------------------------------------------
-- Calendars of services and CIs: a policy with calendar_source 'service' or
-- 'ci' measures business time in the calendar of the incident's service or
-- CI, so one policy serves customers in several time zones.

ALTER TABLE ims.ci ADD COLUMN calendar_id bigint REFERENCES ims.business_calendar (id);
COMMENT ON COLUMN ims.ci.calendar_id IS 'Business calendar of this CI or service (SLA policies with calendar_source service or ci use it)';

-- ---------------------------------------------------------------------------
-- Policies.

CREATE TABLE ims.sla_policy (
    id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    agreement        text NOT NULL DEFAULT 'sla' CHECK (agreement IN ('sla', 'ola', 'uc')),
    metric           text NOT NULL CHECK (metric IN ('response', 'resolution')),
    target           interval NOT NULL CHECK (target > interval '0' AND pg_catalog.date_part('month', target) = 0
                                              AND pg_catalog.date_part('year', target) = 0),
    calendar_id      bigint REFERENCES ims.business_calendar (id),
    calendar_source  text NOT NULL DEFAULT 'policy' CHECK (calendar_source IN ('policy', 'service', 'ci')),
    priorities       smallint[],
    service_id       bigint REFERENCES ims.ci (id),
    assignment_group text,
    pause_states     text[] NOT NULL DEFAULT '{on_hold}',
    warn_at          float8[] NOT NULL DEFAULT '{0.5,0.75}'
                     CHECK (0 < ALL (warn_at) AND 1 > ALL (warn_at)),
    active           bool NOT NULL DEFAULT true,
    description      text
);
COMMENT ON TABLE ims.sla_policy IS 'SLA, OLA and UC policies: which incidents they cover, what they measure, in which calendar, with which pauses and warnings';
COMMENT ON COLUMN ims.sla_policy.agreement IS 'sla (with the customer), ola (with an internal group: runs while the incident sits with assignment_group), uc (with a supplier)';
COMMENT ON COLUMN ims.sla_policy.metric IS 'response (stops when the incident is first acknowledged) or resolution (stops on resolve, resumes on reopen)';
COMMENT ON COLUMN ims.sla_policy.target IS 'Business time allowed (no months or years)';
COMMENT ON COLUMN ims.sla_policy.calendar_id IS 'The policy''s calendar (ims.business_calendar); NULL is 24x7';
COMMENT ON COLUMN ims.sla_policy.calendar_source IS 'policy: calendar_id; service or ci: the calendar of the incident''s service or CI, else calendar_id';
COMMENT ON COLUMN ims.sla_policy.priorities IS 'Priorities covered; NULL covers all';
COMMENT ON COLUMN ims.sla_policy.service_id IS 'Service covered; NULL covers all';
COMMENT ON COLUMN ims.sla_policy.assignment_group IS 'For an OLA: the group whose time is measured (NULL: any group); ignored by sla and uc';
COMMENT ON COLUMN ims.sla_policy.pause_states IS 'Incident states in which the clock pauses';
COMMENT ON COLUMN ims.sla_policy.warn_at IS 'Warning thresholds as fractions of the target (default 50% and 75%)';
COMMENT ON COLUMN ims.sla_policy.active IS 'false: matches no new incident (existing clocks are kept until rebuilt)';
SELECT pg_catalog.pg_extension_config_dump('ims.sla_policy', '');
-- Policies and calendars are cached by the SLA trigger (src/sla.c).
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.sla_policy
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
ALTER TABLE ims.sla_policy ENABLE ALWAYS TRIGGER config_changed;
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.business_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
ALTER TABLE ims.business_calendar ENABLE ALWAYS TRIGGER config_changed;
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.sla_policy', 'id'), '');

-- ---------------------------------------------------------------------------
-- Clocks.

CREATE TABLE ims.incident_sla (
    incident_id    bigint NOT NULL,
    policy_id      bigint NOT NULL REFERENCES ims.sla_policy (id) ON DELETE CASCADE,
    calendar_id    bigint,
    clock          ims.sla_clock NOT NULL,
    due_at         timestamptz,
    breached_at    timestamptz,
    next_threshold float8,
    next_check_at  timestamptz,
    changed_at     timestamptz NOT NULL,
    PRIMARY KEY (incident_id, policy_id)
);
CREATE INDEX incident_sla_next_check_at_idx ON ims.incident_sla (next_check_at) WHERE next_check_at IS NOT NULL;
COMMENT ON TABLE ims.incident_sla IS 'One SLA clock per incident and matching policy, kept by the incident triggers';
COMMENT ON COLUMN ims.incident_sla.calendar_id IS 'Business calendar the clock runs in (NULL: 24x7)';
COMMENT ON COLUMN ims.incident_sla.clock IS 'The clock (ims.sla_clock): running, paused or stopped';
COMMENT ON COLUMN ims.incident_sla.due_at IS 'When a running clock reaches its target; NULL while paused or stopped';
COMMENT ON COLUMN ims.incident_sla.breached_at IS 'The instant the clock reached its target (set when seen: at a pause, stop or ims.sla_tick)';
COMMENT ON COLUMN ims.incident_sla.next_threshold IS 'Lowest threshold (warn_at, then 1 for the breach) not yet recorded in ims.sla_event';
COMMENT ON COLUMN ims.incident_sla.changed_at IS 'Instant of the clock''s last start, pause, resume or stop';
COMMENT ON COLUMN ims.incident_sla.next_check_at IS 'When a running clock crosses next_threshold: the due time ims.sla_tick finds through its index';
SELECT pg_catalog.pg_extension_config_dump('ims.incident_sla', '');

CREATE TABLE ims.sla_event (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL,
    policy_id   bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('warning', 'breach')),
    threshold   float8 NOT NULL,
    at          timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    UNIQUE (incident_id, policy_id, kind, threshold)
);
COMMENT ON TABLE ims.sla_event IS 'Warnings and breaches of SLA clocks, each recorded once (append-only)';
COMMENT ON COLUMN ims.sla_event.kind IS 'warning (a warn_at threshold crossed) or breach (the target reached)';
COMMENT ON COLUMN ims.sla_event.threshold IS 'Fraction of the target crossed (1 for a breach)';
COMMENT ON COLUMN ims.sla_event.at IS 'The instant the clock crossed the threshold';
COMMENT ON COLUMN ims.sla_event.recorded_at IS 'Real time the crossing was recorded';
SELECT pg_catalog.pg_extension_config_dump('ims.sla_event', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.sla_event', 'id'), '');
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ims.sla_event
    FOR EACH STATEMENT EXECUTE FUNCTION ims._append_only();
ALTER TABLE ims.sla_event ENABLE ALWAYS TRIGGER append_only;

GRANT SELECT ON ims.sla_policy, ims.incident_sla, ims.sla_event TO ims_agent, ims_reader;
GRANT INSERT, UPDATE, DELETE ON ims.sla_policy TO ims_admin;

-- ---------------------------------------------------------------------------
-- The clock rules, shared by the triggers and by ims.sla_rebuild, so both
-- build the same clocks from the same events.

CREATE FUNCTION ims._sla_calendar_id(p ims.sla_policy, service_id bigint, ci_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE p.calendar_source
             WHEN 'service' THEN coalesce((SELECT c.calendar_id FROM ims.ci c WHERE c.id = service_id), p.calendar_id)
             WHEN 'ci' THEN coalesce((SELECT c.calendar_id FROM ims.ci c WHERE c.id = ci_id), p.calendar_id)
             ELSE p.calendar_id END
$$;
COMMENT ON FUNCTION ims._sla_calendar_id(ims.sla_policy, bigint, bigint) IS 'The calendar a policy''s clock runs in for an incident''s service and CI';

CREATE FUNCTION ims._sla_cal(calendar_id bigint) RETURNS ims.calendar
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT b.cal FROM ims.business_calendar b WHERE b.id = calendar_id), '24x7'::ims.calendar)
$$;
COMMENT ON FUNCTION ims._sla_cal(bigint) IS 'The calendar value of ims.business_calendar row calendar_id (24x7 when NULL)';

-- What a policy's clock should be doing when the incident is in state, with
-- group, acknowledged or not: running, paused or stopped.
CREATE FUNCTION ims._sla_want(p ims.sla_policy, state text, grp text, acknowledged bool) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cat text := ims.workflow_state_category('incident', state);
BEGIN
    IF cat IN ('resolved', 'closed', 'cancelled') OR (p.metric = 'response' AND acknowledged) THEN
        RETURN 'stopped';
    ELSIF state = ANY (p.pause_states) THEN
        RETURN 'paused';
    ELSIF p.agreement = 'ola' AND NOT coalesce(grp = p.assignment_group OR (p.assignment_group IS NULL AND grp IS NOT NULL), false) THEN
        RETURN 'paused';
    END IF;
    RETURN 'running';
END
$$;
COMMENT ON FUNCTION ims._sla_want(ims.sla_policy, text, text, bool) IS 'Whether a policy''s clock runs, pauses or stops for an incident state, group and acknowledgement';

-- A stopped clock running again from at (a reopened incident): same target,
-- elapsed and first start.
CREATE FUNCTION ims._sla_restart(c ims.sla_clock, at timestamptz) RETURNS ims.sla_clock
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT pg_catalog.regexp_replace(c::text, '^\w+ (.*) since=\S+ (.*)$',
             'running \1 since=' OPERATOR(pg_catalog.||)
             pg_catalog.to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') OPERATOR(pg_catalog.||) ' \2')::ims.sla_clock
$$;
COMMENT ON FUNCTION ims._sla_restart(ims.sla_clock, timestamptz) IS 'A stopped clock running again from at, keeping its elapsed time (reopen)';

-- The instant a running clock crosses fraction thr of its target.
CREATE FUNCTION ims._sla_crossing(s ims.incident_sla, p ims.sla_policy, cal ims.calendar, thr float8) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ims.business_add(cal, s.changed_at, p.target * thr - ims.sla_elapsed(s.clock, cal, s.changed_at))
$$;
COMMENT ON FUNCTION ims._sla_crossing(ims.incident_sla, ims.sla_policy, ims.calendar, float8) IS 'When a running clock crosses a fraction of its target';

-- Record every threshold a running clock crossed by `upto` (once each:
-- ims.sla_event is unique per threshold), then set due_at, next_threshold,
-- next_check_at and breached_at for the clock as it now is.
CREATE FUNCTION ims._sla_record(s ims.incident_sla, p ims.sla_policy, cal ims.calendar, upto timestamptz)
RETURNS ims.incident_sla
LANGUAGE plpgsql AS $$
DECLARE
    thr float8;
    crossing timestamptz;
    thresholds float8[] := ARRAY(SELECT DISTINCT x FROM pg_catalog.unnest(p.warn_at || 1.0::float8) x ORDER BY x);
    n int;
BEGIN
    IF ims.sla_state(s.clock) = 'running' AND s.next_threshold IS NOT NULL THEN
        FOREACH thr IN ARRAY thresholds LOOP
            CONTINUE WHEN thr < s.next_threshold;
            crossing := ims._sla_crossing(s, p, cal, thr);
            EXIT WHEN crossing > upto;
            INSERT INTO ims.sla_event (incident_id, policy_id, kind, threshold, at)
            VALUES (s.incident_id, s.policy_id, CASE WHEN thr >= 1 THEN 'breach' ELSE 'warning' END, thr, crossing)
            ON CONFLICT DO NOTHING;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n > 0 THEN
                PERFORM pg_catalog.pg_notify('ims_sla', pg_catalog.json_build_object(
                    'incident', s.incident_id, 'policy', s.policy_id, 'policy_name', p.name,
                    'kind', CASE WHEN thr >= 1 THEN 'breach' ELSE 'warning' END,
                    'threshold', thr, 'at', crossing)::text);
            END IF;
            IF thr >= 1 THEN
                s.breached_at := coalesce(s.breached_at, crossing);
            END IF;
            s.next_threshold := (SELECT min(x) FROM pg_catalog.unnest(thresholds) x WHERE x > thr);
        END LOOP;
    END IF;
    IF ims.sla_state(s.clock) = 'running' THEN
        s.due_at := ims.sla_due(s.clock, cal);
        s.next_check_at := CASE WHEN s.next_threshold IS NOT NULL THEN ims._sla_crossing(s, p, cal, s.next_threshold) END;
    ELSE
        s.due_at := NULL;
        s.next_check_at := NULL;
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION ims._sla_record(ims.incident_sla, ims.sla_policy, ims.calendar, timestamptz) IS 'Records thresholds a running clock crossed and recomputes its due times';

-- One step of a clock: make it do `want` from t on.  Events backdated before
-- the clock's last event take effect at that event.
CREATE FUNCTION ims._sla_step(s ims.incident_sla, p ims.sla_policy, cal ims.calendar, want text, t timestamptz)
RETURNS ims.incident_sla
LANGUAGE plpgsql AS $$
DECLARE
    cur text := ims.sla_state(s.clock);
BEGIN
    IF want = cur THEN
        RETURN s;
    END IF;
    IF t < s.changed_at THEN
        t := s.changed_at;
    END IF;
    IF cur = 'running' AND s.next_check_at <= t THEN
        s := ims._sla_record(s, p, cal, t);     -- thresholds crossed before it stops running
    END IF;
    IF want = 'running' THEN
        s.clock := CASE cur WHEN 'paused' THEN ims.sla_resume(s.clock, t) ELSE ims._sla_restart(s.clock, t) END;
        s.due_at := ims.sla_due(s.clock, cal);
        s.next_check_at := CASE WHEN s.next_threshold IS NOT NULL
                                THEN ims.business_add(cal, t, p.target * s.next_threshold - ims.sla_elapsed(s.clock, cal, t)) END;
    ELSE
        IF want = 'paused' THEN
            IF cur = 'stopped' THEN
                s.clock := ims._sla_restart(s.clock, t);
            END IF;
            s.clock := ims.sla_pause(s.clock, cal, t);
        ELSE
            s.clock := ims.sla_stop(s.clock, cal, t);
        END IF;
        s.due_at := NULL;
        s.next_check_at := NULL;
    END IF;
    s.changed_at := t;
    RETURN s;
END
$$;
COMMENT ON FUNCTION ims._sla_step(ims.incident_sla, ims.sla_policy, ims.calendar, text, timestamptz) IS 'Moves a clock to running, paused or stopped at an instant';

-- A new clock for policy p, started at t.
CREATE FUNCTION ims._sla_new(inc bigint, p ims.sla_policy, calendar_id bigint, cal ims.calendar, t timestamptz)
RETURNS ims.incident_sla
LANGUAGE plpgsql AS $$
DECLARE
    s ims.incident_sla;
BEGIN
    s.incident_id := inc;
    s.policy_id := p.id;
    s.calendar_id := calendar_id;
    s.clock := ims.sla_start(p.target, t);
    s.changed_at := t;
    s.next_threshold := (SELECT min(x) FROM pg_catalog.unnest(p.warn_at || 1.0::float8) x);
    s.due_at := ims.sla_due(s.clock, cal);
    s.next_check_at := ims.business_add(cal, t, p.target * s.next_threshold);
    RETURN s;
END
$$;
COMMENT ON FUNCTION ims._sla_new(bigint, ims.sla_policy, bigint, ims.calendar, timestamptz) IS 'A new running clock of a policy for an incident';

-- The policies that cover an incident with this priority and service.
CREATE FUNCTION ims._sla_policies(priority smallint, service_id bigint) RETURNS SETOF ims.sla_policy
LANGUAGE sql STABLE AS $$
    SELECT p.* FROM ims.sla_policy p
     WHERE p.active
       -- positional parameters: an unqualified service_id would name p's column
       AND (p.priorities IS NULL OR $1 = ANY (p.priorities))
       AND (p.service_id IS NULL OR p.service_id = $2)
     ORDER BY p.id
$$;
COMMENT ON FUNCTION ims._sla_policies(smallint, bigint) IS 'The active SLA policies matching a priority and service';

-- Rebuild one incident's clocks from its history with today's policies and
-- calendars: clocks start at opened_at (an OLA when the incident first
-- reaches its group), pause for every pause state already in the history,
-- stop and resume as the history says.
CREATE FUNCTION ims._sla_replay(inc bigint) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    i       ims.incident;
    p       ims.sla_policy;
    e       ims.incident_event;
    s       ims.incident_sla;
    cal_id  bigint;
    cal     ims.calendar;
    st      text;
    grp     text;
    ack     bool;
    want    text;
    n       int := 0;
BEGIN
    SELECT * INTO i FROM ims.incident WHERE id = inc;
    DELETE FROM ims.incident_sla WHERE incident_id = inc;
    IF i.id IS NULL THEN
        RETURN 0;
    END IF;
    FOR p IN SELECT * FROM ims._sla_policies(i.priority, i.service_id) LOOP
        cal_id := ims._sla_calendar_id(p, i.service_id, i.ci_id);
        cal := ims._sla_cal(cal_id);
        s := NULL;
        st := NULL; grp := NULL; ack := false;
        FOR e IN SELECT * FROM ims.incident_event WHERE incident_id = inc ORDER BY id LOOP
            st := e.to_state;
            IF e.changes ? 'assignment_group' THEN
                grp := e.changes -> 'assignment_group' ->> 1;
            END IF;
            IF e.changes ? 'acknowledged_at' AND e.changes -> 'acknowledged_at' ->> 1 IS NOT NULL THEN
                ack := true;
            END IF;
            want := ims._sla_want(p, st, grp, ack);
            IF s.clock IS NULL THEN
                IF p.agreement <> 'ola' THEN
                    s := ims._sla_new(inc, p, cal_id, cal, least(i.opened_at, e.at));
                    s := ims._sla_step(s, p, cal, want, e.at);
                ELSIF want = 'running' THEN
                    s := ims._sla_new(inc, p, cal_id, cal, e.at);
                END IF;
            ELSE
                s := ims._sla_step(s, p, cal, want, e.at);
            END IF;
        END LOOP;
        IF s.clock IS NOT NULL THEN
            INSERT INTO ims.incident_sla SELECT s.*;
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ims._sla_replay(bigint) IS 'Rebuilds one incident''s SLA clocks from ims.incident_event';

-- ---------------------------------------------------------------------------
-- The trigger: new incidents and changes of priority, service or CI rebuild
-- the incident's clocks from its history (retroactive by construction: a
-- newly matching policy starts at opened_at with every earlier pause
-- honoured); state, group and acknowledgement changes move the clocks on.

-- The state, group and acknowledgement step for one incident (what the
-- trigger's C fast path does not handle itself: thresholds crossed before a
-- pause or stop, reopens, an OLA reaching its group).
CREATE FUNCTION ims._incident_sla_apply(inc bigint, state text, grp text, acknowledged bool, t timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s    ims.incident_sla;
    p    ims.sla_policy;
    i    ims.incident;
    want text;
BEGIN
    FOR s IN SELECT * FROM ims.incident_sla WHERE incident_id = inc ORDER BY policy_id LOOP
        SELECT * INTO p FROM ims.sla_policy WHERE id = s.policy_id;
        want := ims._sla_want(p, state, grp, acknowledged);
        IF want <> ims.sla_state(s.clock) THEN
            s := ims._sla_step(s, p, ims._sla_cal(s.calendar_id), want, t);
            UPDATE ims.incident_sla
               SET clock = s.clock, due_at = s.due_at, breached_at = s.breached_at,
                   next_threshold = s.next_threshold, next_check_at = s.next_check_at, changed_at = s.changed_at
             WHERE incident_id = s.incident_id AND policy_id = s.policy_id;
        END IF;
    END LOOP;
    -- An OLA starts when the incident first reaches its group.
    SELECT * INTO i FROM ims.incident WHERE id = inc;
    FOR p IN SELECT * FROM ims._sla_policies(i.priority, i.service_id) q
              WHERE q.agreement = 'ola'
                AND NOT EXISTS (SELECT 1 FROM ims.incident_sla x WHERE x.incident_id = inc AND x.policy_id = q.id) LOOP
        IF ims._sla_want(p, state, grp, acknowledged) = 'running' THEN
            s := ims._sla_new(inc, p, ims._sla_calendar_id(p, i.service_id, i.ci_id),
                              ims._sla_cal(ims._sla_calendar_id(p, i.service_id, i.ci_id)), t);
            INSERT INTO ims.incident_sla SELECT s.*;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ims._incident_sla_apply(bigint, text, text, bool, timestamptz) IS 'Moves an incident''s SLA clocks for a new state, group or acknowledgement';

-- The trigger (src/sla.c): new incidents and changes of priority, service or
-- CI rebuild the incident's clocks from its history (retroactive by
-- construction: a newly matching policy starts at opened_at with every
-- earlier pause honoured); state, group and acknowledgement changes move the
-- clocks on.
CREATE FUNCTION ims._incident_sla() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_incident_sla'
    LANGUAGE C;
COMMENT ON FUNCTION ims._incident_sla() IS 'AFTER trigger of ims.incident: starts, pauses, resumes and stops its SLA clocks';

CREATE TRIGGER incident_95_sla AFTER INSERT OR UPDATE ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._incident_sla();

-- ---------------------------------------------------------------------------
-- Public functions.

CREATE FUNCTION ims.sla_rebuild(incident_ids bigint[] DEFAULT NULL) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inc bigint;
    n int := 0;
BEGIN
    FOR inc IN SELECT i.id FROM ims.incident i
                WHERE incident_ids IS NULL OR i.id = ANY (incident_ids) ORDER BY i.id LOOP
        PERFORM ims._sla_replay(inc);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ims.sla_rebuild(bigint[]) IS 'Replays ims.incident_event with today''s policies and calendars and rebuilds the SLA clocks of the given incidents (all when NULL); returns how many incidents were rebuilt';
REVOKE ALL ON FUNCTION ims.sla_rebuild(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.sla_rebuild(bigint[]) TO ims_admin;

CREATE FUNCTION ims.sla_tick(at timestamptz DEFAULT pg_catalog.now()) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    due    record;
    s      ims.incident_sla;
    p      ims.sla_policy;
    before bigint;
    n      bigint := 0;
BEGIN
    FOR due IN SELECT x.incident_id, x.policy_id FROM ims.incident_sla x
                WHERE x.next_check_at <= at ORDER BY x.next_check_at LOOP
        -- Writers of an incident's clocks hold the incident's row lock; an
        -- incident being changed right now is left for the next tick.
        PERFORM 1 FROM ims.incident i WHERE i.id = due.incident_id FOR NO KEY UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO s FROM ims.incident_sla x
         WHERE x.incident_id = due.incident_id AND x.policy_id = due.policy_id AND x.next_check_at <= at;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO p FROM ims.sla_policy WHERE id = s.policy_id;
        before := (SELECT count(*) FROM ims.sla_event e WHERE e.incident_id = s.incident_id AND e.policy_id = s.policy_id);
        s := ims._sla_record(s, p, ims._sla_cal(s.calendar_id), at);
        n := n + (SELECT count(*) FROM ims.sla_event e WHERE e.incident_id = s.incident_id AND e.policy_id = s.policy_id) - before;
        UPDATE ims.incident_sla
           SET due_at = s.due_at, breached_at = s.breached_at,
               next_threshold = s.next_threshold, next_check_at = s.next_check_at
         WHERE incident_id = s.incident_id AND policy_id = s.policy_id;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ims.sla_tick(timestamptz) IS 'Records each warning and breach crossed by at once in ims.sla_event with NOTIFY ims_sla; finds due clocks through the index on next_check_at; returns how many events it recorded';

-- ---------------------------------------------------------------------------
-- BI view of the live clocks (SPEC section 9).

CREATE VIEW ims.v_sla_status AS
SELECT s.incident_id,
       i.number,
       i.priority,
       i.state AS incident_state,
       s.policy_id,
       p.name AS policy,
       p.agreement,
       p.metric,
       coalesce(b.name, '24x7') AS calendar,
       ims.sla_state(s.clock) AS clock_state,
       round((extract(epoch FROM ims.sla_elapsed(s.clock, coalesce(b.cal, '24x7'::ims.calendar), now())) / 3600)::numeric, 2) AS elapsed_hours,
       round((extract(epoch FROM ims.sla_remaining(s.clock, coalesce(b.cal, '24x7'::ims.calendar), now())) / 3600)::numeric, 2) AS remaining_hours,
       ims.sla_progress(s.clock, coalesce(b.cal, '24x7'::ims.calendar), now()) AS progress,
       s.due_at,
       ims.sla_breached(s.clock, coalesce(b.cal, '24x7'::ims.calendar), now()) AS breached,
       coalesce(s.breached_at, CASE WHEN ims.sla_breached(s.clock, coalesce(b.cal, '24x7'::ims.calendar), now()) THEN s.due_at END) AS breached_at,
       i.tenant
  FROM ims.incident_sla s
  JOIN ims.incident i ON i.id = s.incident_id
  JOIN ims.sla_policy p ON p.id = s.policy_id
  LEFT JOIN ims.business_calendar b ON b.id = s.calendar_id;
COMMENT ON VIEW ims.v_sla_status IS 'Live SLA clocks: one row per incident and policy, measured now';
COMMENT ON COLUMN ims.v_sla_status.incident_id IS 'ims.incident.id';
COMMENT ON COLUMN ims.v_sla_status.number IS 'Incident number (INC0000001)';
COMMENT ON COLUMN ims.v_sla_status.priority IS 'Incident priority 1 (critical) to 5 (planning)';
COMMENT ON COLUMN ims.v_sla_status.incident_state IS 'Incident state on the incident workflow';
COMMENT ON COLUMN ims.v_sla_status.policy_id IS 'ims.sla_policy.id';
COMMENT ON COLUMN ims.v_sla_status.policy IS 'Policy name';
COMMENT ON COLUMN ims.v_sla_status.agreement IS 'sla, ola or uc';
COMMENT ON COLUMN ims.v_sla_status.metric IS 'response or resolution';
COMMENT ON COLUMN ims.v_sla_status.calendar IS 'Business calendar the clock runs in (24x7 when none)';
COMMENT ON COLUMN ims.v_sla_status.clock_state IS 'running, paused or stopped';
COMMENT ON COLUMN ims.v_sla_status.elapsed_hours IS 'Business hours elapsed now';
COMMENT ON COLUMN ims.v_sla_status.remaining_hours IS 'Business hours left now (negative once breached)';
COMMENT ON COLUMN ims.v_sla_status.progress IS 'Elapsed / target now (1 and more: breached)';
COMMENT ON COLUMN ims.v_sla_status.due_at IS 'When a running clock reaches its target';
COMMENT ON COLUMN ims.v_sla_status.breached IS 'Whether the target is reached now';
COMMENT ON COLUMN ims.v_sla_status.breached_at IS 'When the target was reached';
COMMENT ON COLUMN ims.v_sla_status.tenant IS 'Incident tenant (row-level security)';
GRANT SELECT ON ims.v_sla_status TO ims_reader;

-- ---- src/sql/35_problem.sql ----
-- 35_problem.sql — problems on the problem workflow and their incident links (SPEC section 7).

CREATE FUNCTION ims.problem_number(n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT 'PRB' OPERATOR(pg_catalog.||) pg_catalog.lpad(n::text, greatest(7, pg_catalog.length(n::text)), '0') $$;
COMMENT ON FUNCTION ims.problem_number(bigint) IS 'Problem number for a sequence value: 1 gives PRB0000001';

CREATE SEQUENCE ims.problem_number_seq;
COMMENT ON SEQUENCE ims.problem_number_seq IS 'Numbers of ims.problem.number (PRB0000001, ...)';

CREATE TABLE ims.problem (
    id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    number           text NOT NULL UNIQUE
                     DEFAULT ims.problem_number(pg_catalog.nextval('ims.problem_number_seq')),
    title            text NOT NULL CHECK (pg_catalog.btrim(title) <> ''),
    description      text,
    state            text NOT NULL DEFAULT 'new',
    priority         smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
    root_cause       text,
    known_error      bool NOT NULL DEFAULT false,
    workaround       text,
    service_id       bigint REFERENCES ims.ci (id),
    ci_id            bigint REFERENCES ims.ci (id),
    assignment_group text,
    assignee         text,
    opened_at        timestamptz NOT NULL,
    known_error_at   timestamptz,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    tenant           text,
    updated_at       timestamptz NOT NULL,
    updated_by       text NOT NULL
);
CREATE INDEX problem_service_id_idx ON ims.problem (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX problem_ci_id_idx ON ims.problem (ci_id) WHERE ci_id IS NOT NULL;
COMMENT ON TABLE ims.problem IS 'Problems (ITIL): the unknown cause of one or more incidents, on workflow problem; a known error is a problem with a documented root cause and workaround';
COMMENT ON COLUMN ims.problem.number IS 'Human-readable number, PRB0000001 style, from ims.problem_number_seq unless given';
COMMENT ON COLUMN ims.problem.state IS 'State on workflow problem (ims.workflow_guard): new, assess, root_cause_analysis, fix_in_progress, resolved, closed, cancelled';
COMMENT ON COLUMN ims.problem.priority IS '1 (critical) to 5 (planning), set by the problem manager';
COMMENT ON COLUMN ims.problem.root_cause IS 'The cause found; required to mark a known error and to resolve (IM004)';
COMMENT ON COLUMN ims.problem.known_error IS 'true once root cause and workaround are documented (a known error); requires root_cause and workaround (IM004)';
COMMENT ON COLUMN ims.problem.workaround IS 'How to restore service until the fix is in place; required for a known error (IM004)';
COMMENT ON COLUMN ims.problem.service_id IS 'The business service affected (a CI)';
COMMENT ON COLUMN ims.problem.ci_id IS 'The configuration item at fault';
COMMENT ON COLUMN ims.problem.opened_at IS 'When the problem was logged: ims.event_time() unless the INSERT gives it';
COMMENT ON COLUMN ims.problem.known_error_at IS 'Stamped when known_error becomes true; cleared when it becomes false';
COMMENT ON COLUMN ims.problem.resolved_at IS 'Stamped on entering a resolved state; cleared on reopen';
COMMENT ON COLUMN ims.problem.closed_at IS 'Stamped on entering a closed or cancelled state';
COMMENT ON COLUMN ims.problem.tenant IS 'Tenant owning the problem (row-level security)';
COMMENT ON COLUMN ims.problem.updated_at IS 'Effective time of the last change (ims.event_time())';
COMMENT ON COLUMN ims.problem.updated_by IS 'current_user of the last change';
SELECT pg_catalog.pg_extension_config_dump('ims.problem', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.problem', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump('ims.problem_number_seq', '');

CREATE TABLE ims.problem_incident (
    problem_id  bigint NOT NULL REFERENCES ims.problem (id) ON DELETE CASCADE,
    incident_id bigint NOT NULL REFERENCES ims.incident (id) ON DELETE CASCADE,
    linked_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    linked_by   text NOT NULL DEFAULT current_user,
    PRIMARY KEY (problem_id, incident_id)
);
CREATE INDEX problem_incident_incident_id_idx ON ims.problem_incident (incident_id);
COMMENT ON TABLE ims.problem_incident IS 'Which incidents a problem explains (many to many)';
COMMENT ON COLUMN ims.problem_incident.linked_at IS 'When the link was made';
COMMENT ON COLUMN ims.problem_incident.linked_by IS 'current_user who made the link';
SELECT pg_catalog.pg_extension_config_dump('ims.problem_incident', '');

-- ---------------------------------------------------------------------------
-- Triggers of ims.problem, fired in name order:
--   problem_10_workflow  the state machine (C)
--   problem_20_stamp     timestamps, required fields

CREATE TRIGGER problem_10_workflow BEFORE INSERT OR UPDATE ON ims.problem
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('problem', 'state');

CREATE FUNCTION ims._problem_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t        timestamptz;
    old_cat  text;
    new_cat  text;
BEGIN
    IF ims._bulk_restore() THEN
        RETURN NEW;
    END IF;
    t := ims.event_time();

    IF TG_OP = 'INSERT' THEN
        IF NEW.resolved_at IS NOT NULL OR NEW.closed_at IS NOT NULL OR NEW.known_error_at IS NOT NULL THEN
            RAISE EXCEPTION 'cannot insert a problem with known_error_at, resolved_at or closed_at set'
                USING ERRCODE = '428C9',
                      DETAIL = 'These columns are stamped by the problem workflow.',
                      HINT = 'Insert the problem, then change its state; members of ims_admin may backdate with ims.event_time.';
        END IF;
        NEW.opened_at := coalesce(NEW.opened_at, t);
    ELSIF NEW.resolved_at IS DISTINCT FROM OLD.resolved_at
       OR NEW.closed_at IS DISTINCT FROM OLD.closed_at
       OR NEW.known_error_at IS DISTINCT FROM OLD.known_error_at THEN
        RAISE EXCEPTION 'cannot change known_error_at, resolved_at or closed_at of problem %', OLD.number
            USING ERRCODE = '428C9',
                  DETAIL = 'These columns are stamped by the problem workflow.',
                  HINT = 'Change the state or known_error; members of ims_admin may backdate with ims.event_time.';
    END IF;

    -- A known error documents its root cause and its workaround.
    IF NEW.known_error AND (TG_OP = 'INSERT' OR NOT OLD.known_error
                            OR NEW.root_cause IS DISTINCT FROM OLD.root_cause
                            OR NEW.workaround IS DISTINCT FROM OLD.workaround) THEN
        IF coalesce(btrim(NEW.root_cause), '') = '' OR coalesce(btrim(NEW.workaround), '') = '' THEN
            RAISE EXCEPTION 'problem % cannot be a known error without root_cause and workaround', NEW.number
                USING ERRCODE = 'IM004',
                      DETAIL = 'A known error needs both root_cause and workaround.',
                      HINT = 'Set root_cause and workaround in the same statement.';
        END IF;
    END IF;
    IF NEW.known_error AND (TG_OP = 'INSERT' OR NOT OLD.known_error) THEN
        NEW.known_error_at := t;
    ELSIF NOT NEW.known_error THEN
        NEW.known_error_at := NULL;
    END IF;

    IF TG_OP = 'UPDATE' AND NEW.state <> OLD.state THEN
        old_cat := ims.workflow_state_category('problem', OLD.state);
        new_cat := ims.workflow_state_category('problem', NEW.state);
        IF new_cat IN ('resolved', 'closed') THEN
            IF coalesce(btrim(NEW.root_cause), '') = '' THEN
                RAISE EXCEPTION 'problem % cannot become % without a root cause', OLD.number, NEW.state
                    USING ERRCODE = 'IM004',
                          DETAIL = pg_catalog.format('Entering state "%s" needs root_cause.', NEW.state),
                          HINT = 'Set root_cause in the same UPDATE.';
            END IF;
            IF new_cat = 'resolved' THEN
                NEW.resolved_at := t;
            ELSE
                NEW.resolved_at := coalesce(NEW.resolved_at, t);
                NEW.closed_at := t;
            END IF;
        ELSIF new_cat = 'cancelled' THEN
            NEW.closed_at := t;
        ELSIF old_cat IN ('resolved', 'closed', 'cancelled') THEN
            NEW.resolved_at := NULL;        -- reopened
            NEW.closed_at := NULL;
        END IF;
    END IF;

    NEW.updated_at := t;
    NEW.updated_by := current_user;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ims._problem_stamp() IS 'BEFORE trigger of ims.problem: workflow timestamps, known-error stamp, root cause and workaround required (IM004)';

CREATE TRIGGER problem_20_stamp BEFORE INSERT OR UPDATE ON ims.problem
    FOR EACH ROW EXECUTE FUNCTION ims._problem_stamp();

GRANT SELECT, INSERT, UPDATE ON ims.problem TO ims_agent;
GRANT SELECT, INSERT, DELETE ON ims.problem_incident TO ims_agent;
GRANT USAGE ON SEQUENCE ims.problem_number_seq TO ims_agent;

-- ---- src/sql/36_outage.sql ----
-- 36_outage.sql — outages of CIs, opened and closed by incidents (SPEC section 7).

CREATE TABLE ims.outage (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ci_id       bigint NOT NULL REFERENCES ims.ci (id),
    period      tstzrange NOT NULL
                CHECK (NOT pg_catalog.isempty(period) AND NOT pg_catalog.lower_inf(period)
                       AND pg_catalog.lower(period) > '-infinity'),
    kind        text NOT NULL DEFAULT 'outage' CHECK (kind IN ('outage', 'degradation', 'planned')),
    incident_id bigint REFERENCES ims.incident (id),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by  text NOT NULL DEFAULT current_user
);
CREATE INDEX outage_ci_id_idx ON ims.outage (ci_id);
CREATE INDEX outage_incident_id_idx ON ims.outage (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX outage_period_idx ON ims.outage USING gist (period);
COMMENT ON TABLE ims.outage IS 'Periods in which a CI was down (outage), impaired (degradation) or down for planned work (planned); rows with incident_id are opened and closed by the incident''s triggers';
COMMENT ON COLUMN ims.outage.ci_id IS 'The CI that was down or impaired';
COMMENT ON COLUMN ims.outage.period IS 'When: [start, end); an unbounded end means the outage is still going on';
COMMENT ON COLUMN ims.outage.kind IS 'outage (counts against availability), degradation (impaired, still up) or planned (maintenance)';
COMMENT ON COLUMN ims.outage.incident_id IS 'The incident that recorded the outage; resolving, closing or cancelling it closes the open period';
COMMENT ON COLUMN ims.outage.note IS 'Free text';
COMMENT ON COLUMN ims.outage.created_at IS 'When the row was written';
COMMENT ON COLUMN ims.outage.created_by IS 'current_user who wrote the row (the incident trigger writes as the user whose change fired it)';
SELECT pg_catalog.pg_extension_config_dump('ims.outage', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.outage', 'id'), '');

-- ---------------------------------------------------------------------------
-- How an incident records an outage: two columns of ims.incident.
--   outage_kind   NULL (no outage), 'outage' or 'degradation'
--   outage_start  when it began (default: when the incident was opened, or
--                 when outage_kind was set on a running incident)
-- While the incident is open (category open or paused) and outage_kind is
-- set, ims.outage holds an open period on coalesce(ci_id, service_id).

ALTER TABLE ims.incident
    ADD COLUMN outage_kind text CHECK (outage_kind IN ('outage', 'degradation')),
    ADD COLUMN outage_start timestamptz;
COMMENT ON COLUMN ims.incident.outage_kind IS 'The incident records an outage (outage) or a degradation of its CI (ci_id, else service_id) in ims.outage; NULL: none.  Setting it to NULL on an open incident ends the period';
COMMENT ON COLUMN ims.incident.outage_start IS 'When the recorded outage began (default: opened_at, or the time outage_kind was set); moving it moves the start of the open period';

CREATE FUNCTION ims._incident_outage() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t          timestamptz := NEW.updated_at;
    new_cat    text := ims.workflow_state_category('incident', NEW.state);
    old_cat    text;
    new_live   bool;
    old_live   bool;
    new_target bigint := coalesce(NEW.ci_id, NEW.service_id);
    old_target bigint;
    ended_at   timestamptz;
BEGIN
    IF ims._bulk_restore() THEN
        RETURN NULL;
    END IF;
    new_live := NEW.outage_kind IS NOT NULL AND new_cat IN ('open', 'paused');
    IF new_live AND new_target IS NULL THEN
        RAISE EXCEPTION 'incident % cannot record an outage without ci_id or service_id', NEW.number
            USING ERRCODE = 'IM004',
                  DETAIL = 'The outage is recorded on the incident''s CI, else on its service.',
                  HINT = 'Set ci_id or service_id in the same statement.';
    END IF;

    IF TG_OP = 'INSERT' THEN
        IF new_live THEN
            INSERT INTO ims.outage (ci_id, period, kind, incident_id, created_by)
            VALUES (new_target, pg_catalog.tstzrange(coalesce(NEW.outage_start, NEW.opened_at), NULL),
                    NEW.outage_kind, NEW.id, NEW.updated_by);
        END IF;
        RETURN NULL;
    END IF;

    old_cat := ims.workflow_state_category('incident', OLD.state);
    old_live := OLD.outage_kind IS NOT NULL AND old_cat IN ('open', 'paused');
    old_target := coalesce(OLD.ci_id, OLD.service_id);

    -- The incident ended (resolved, closed, cancelled): close every open
    -- period it recorded, at its resolution (or closing) time.
    IF new_cat NOT IN ('open', 'paused') AND old_cat IN ('open', 'paused') THEN
        ended_at := coalesce(NEW.resolved_at, NEW.closed_at, t);
        UPDATE ims.outage o
           SET period = pg_catalog.tstzrange(pg_catalog.lower(o.period),
                                             greatest(pg_catalog.lower(o.period), ended_at))
         WHERE o.incident_id = NEW.id AND pg_catalog.upper_inf(o.period);
        RETURN NULL;
    END IF;

    IF old_live AND NOT new_live THEN
        -- outage_kind set to NULL on a running incident: service is back.
        UPDATE ims.outage o
           SET period = pg_catalog.tstzrange(pg_catalog.lower(o.period), greatest(pg_catalog.lower(o.period), t))
         WHERE o.incident_id = NEW.id AND pg_catalog.upper_inf(o.period);
    ELSIF new_live AND NOT old_live THEN
        -- outage_kind set on a running incident, or a reopen of an incident
        -- that records an outage: a new period starts.
        INSERT INTO ims.outage (ci_id, period, kind, incident_id, created_by)
        VALUES (new_target,
                pg_catalog.tstzrange(CASE WHEN OLD.outage_kind IS NULL THEN coalesce(NEW.outage_start, t) ELSE t END, NULL),
                NEW.outage_kind, NEW.id, NEW.updated_by);
    ELSIF new_live AND old_live THEN
        IF NEW.outage_kind <> OLD.outage_kind THEN
            -- degradation became an outage (or back): end one period, start the next
            WITH closed AS (
                UPDATE ims.outage o
                   SET period = pg_catalog.tstzrange(pg_catalog.lower(o.period), greatest(pg_catalog.lower(o.period), t))
                 WHERE o.incident_id = NEW.id AND pg_catalog.upper_inf(o.period)
             RETURNING o.ci_id)
            INSERT INTO ims.outage (ci_id, period, kind, incident_id, created_by)
            SELECT DISTINCT CASE WHEN c.ci_id = old_target THEN new_target ELSE c.ci_id END,
                   pg_catalog.tstzrange(t, NULL), NEW.outage_kind, NEW.id, NEW.updated_by
              FROM closed c;
        ELSIF new_target <> old_target THEN
            -- the CI was corrected: the open period moves with it
            UPDATE ims.outage o SET ci_id = new_target
             WHERE o.incident_id = NEW.id AND pg_catalog.upper_inf(o.period) AND o.ci_id = old_target;
        END IF;
        IF NEW.outage_start IS DISTINCT FROM OLD.outage_start AND NEW.outage_start IS NOT NULL THEN
            UPDATE ims.outage o SET period = pg_catalog.tstzrange(NEW.outage_start, NULL)
             WHERE o.incident_id = NEW.id AND pg_catalog.upper_inf(o.period) AND o.kind = NEW.outage_kind;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ims._incident_outage() IS 'AFTER trigger of ims.incident: opens, moves and closes the ims.outage periods the incident records (outage_kind, outage_start)';

CREATE TRIGGER incident_50_outage AFTER INSERT ON ims.incident
    FOR EACH ROW WHEN (NEW.outage_kind IS NOT NULL)
    EXECUTE FUNCTION ims._incident_outage();
CREATE TRIGGER incident_51_outage AFTER UPDATE ON ims.incident
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
                       OR OLD.outage_kind IS DISTINCT FROM NEW.outage_kind
                       OR OLD.outage_start IS DISTINCT FROM NEW.outage_start
                       OR ((NEW.outage_kind IS NOT NULL)
                           AND (OLD.ci_id IS DISTINCT FROM NEW.ci_id OR OLD.service_id IS DISTINCT FROM NEW.service_id)))
    EXECUTE FUNCTION ims._incident_outage();

GRANT SELECT ON ims.outage TO ims_agent;
GRANT INSERT, UPDATE, DELETE ON ims.outage TO ims_admin;

-- ---- src/sql/40_metrics.sql ----
-- 40_metrics.sql — metric aggregates (SPEC section 8): ims.mttr, ims.mtta,
-- ims.downtime, ims.availability, ims.mtbf, and their state types.

-- ---------------------------------------------------------------------------
-- ims.mean_state: a row count and an exact 128-bit sum of microseconds.

CREATE TYPE ims.mean_state;

CREATE FUNCTION ims.mean_state_in(cstring) RETURNS ims.mean_state
    AS 'MODULE_PATHNAME', 'ims_mean_state_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ims.mean_state_out(ims.mean_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ims_mean_state_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ims.mean_state_recv(internal) RETURNS ims.mean_state
    AS 'MODULE_PATHNAME', 'ims_mean_state_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ims.mean_state_send(ims.mean_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ims_mean_state_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ims.mean_state (
    INPUT = ims.mean_state_in,
    OUTPUT = ims.mean_state_out,
    RECEIVE = ims.mean_state_recv,
    SEND = ims.mean_state_send,
    INTERNALLENGTH = 24,
    ALIGNMENT = double,
    STORAGE = plain
);

COMMENT ON TYPE ims.mean_state IS 'Partial state of ims.mttr and ims.mtta: (row count, exact sum of durations in microseconds); text form (count,sum), e.g. (2,5400000000)';
COMMENT ON FUNCTION ims.mean_state_in(cstring) IS 'Text input of ims.mean_state: (count,sum) in canonical decimal; anything else is SQLSTATE 22P02';
COMMENT ON FUNCTION ims.mean_state_out(ims.mean_state) IS 'Text output of ims.mean_state: (count,sum), exactly what ims.mean_state_in reads back';
COMMENT ON FUNCTION ims.mean_state_recv(internal) IS 'Binary input of ims.mean_state (int64 count, int64 high and low words of the sum), validated like the text input (SQLSTATE 22P03)';
COMMENT ON FUNCTION ims.mean_state_send(ims.mean_state) IS 'Binary output of ims.mean_state: int64 count, int64 high and low words of the sum';

CREATE FUNCTION ims.mean_state_accum(ims.mean_state, timestamptz, timestamptz) RETURNS ims.mean_state
    AS 'MODULE_PATHNAME', 'ims_mean_state_accum'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.mean_state_accum(ims.mean_state, timestamptz, timestamptz) IS 'Transition function of ims.mttr and ims.mtta: adds the duration end - start (updates the state in place inside an aggregate)';

CREATE FUNCTION ims.mean_state_combine(ims.mean_state, ims.mean_state) RETURNS ims.mean_state
    AS 'MODULE_PATHNAME', 'ims_mean_state_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ims.mean_state_combine(ims.mean_state, ims.mean_state) IS 'Combine function of ims.mttr and ims.mtta: adds two partial states (NULL on either side counts as no rows)';

CREATE FUNCTION ims.mean_state_mean(ims.mean_state) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_mean_state_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.mean_state_mean(ims.mean_state) IS 'Final function of ims.mttr and ims.mtta: the mean duration rounded to the microsecond (days and hours, like timestamptz subtraction); NULL for no rows';

CREATE AGGREGATE ims.mttr(opened timestamptz, restored timestamptz) (
    SFUNC = ims.mean_state_accum,
    STYPE = ims.mean_state,
    FINALFUNC = ims.mean_state_mean,
    COMBINEFUNC = ims.mean_state_combine,
    INITCOND = '(0,0)',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.mttr(timestamptz, timestamptz) IS 'Mean time to restore: mean of restored - opened over rows where both are set; NULL for no such rows';

CREATE AGGREGATE ims.mtta(opened timestamptz, acknowledged timestamptz) (
    SFUNC = ims.mean_state_accum,
    STYPE = ims.mean_state,
    FINALFUNC = ims.mean_state_mean,
    COMBINEFUNC = ims.mean_state_combine,
    INITCOND = '(0,0)',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.mtta(timestamptz, timestamptz) IS 'Mean time to acknowledge: mean of acknowledged - opened over rows where both are set; NULL for no such rows';

-- Business-time variants: the mean of ims.business_time(cal, opened, end).
CREATE FUNCTION ims.mean_state_accum(ims.mean_state, timestamptz, timestamptz, ims.calendar) RETURNS ims.mean_state
    AS 'MODULE_PATHNAME', 'ims_mean_state_accum_business'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.mean_state_accum(ims.mean_state, timestamptz, timestamptz, ims.calendar) IS 'Transition function of the business-time ims.mttr and ims.mtta: adds the business time of [start, end) in the calendar (parsed once per distinct calendar, updates the state in place inside an aggregate)';

CREATE FUNCTION ims.mean_state_business_mean(ims.mean_state) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_mean_state_final_business'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.mean_state_business_mean(ims.mean_state) IS 'Final function of the business-time ims.mttr and ims.mtta: the mean business time rounded to the microsecond, in hours without a day field (like ims.business_time); NULL for no rows';

CREATE AGGREGATE ims.mttr(opened timestamptz, restored timestamptz, cal ims.calendar) (
    SFUNC = ims.mean_state_accum,
    STYPE = ims.mean_state,
    FINALFUNC = ims.mean_state_business_mean,
    COMBINEFUNC = ims.mean_state_combine,
    INITCOND = '(0,0)',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.mttr(timestamptz, timestamptz, ims.calendar) IS 'Mean time to restore in business time: mean of ims.business_time(cal, opened, restored) over rows where all three are set; hours without a day field; NULL for no such rows';

CREATE AGGREGATE ims.mtta(opened timestamptz, acknowledged timestamptz, cal ims.calendar) (
    SFUNC = ims.mean_state_accum,
    STYPE = ims.mean_state,
    FINALFUNC = ims.mean_state_business_mean,
    COMBINEFUNC = ims.mean_state_combine,
    INITCOND = '(0,0)',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.mtta(timestamptz, timestamptz, ims.calendar) IS 'Mean time to acknowledge in business time: mean of ims.business_time(cal, opened, acknowledged) over rows where all three are set; hours without a day field; NULL for no such rows';

-- ---------------------------------------------------------------------------
-- ims.outage_set: an optional period and the union of outages as sorted,
-- disjoint, non-touching intervals (at most one entry per merged outage).

CREATE TYPE ims.outage_set;

CREATE FUNCTION ims.outage_set_in(cstring) RETURNS ims.outage_set
    AS 'MODULE_PATHNAME', 'ims_outage_set_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ims.outage_set_out(ims.outage_set) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ims_outage_set_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ims.outage_set_recv(internal) RETURNS ims.outage_set
    AS 'MODULE_PATHNAME', 'ims_outage_set_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ims.outage_set_send(ims.outage_set) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ims_outage_set_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ims.outage_set (
    INPUT = ims.outage_set_in,
    OUTPUT = ims.outage_set_out,
    RECEIVE = ims.outage_set_recv,
    SEND = ims.outage_set_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ims.outage_set IS 'Partial state of ims.downtime, ims.availability and ims.mtbf: optional period and the union of outages; text form period:{[start,end),...} in microseconds since 2000-01-01 UTC, e.g. [0,86400000000):{[3600000000,7200000000)}';
COMMENT ON FUNCTION ims.outage_set_in(cstring) IS 'Text input of ims.outage_set: only the canonical form (sorted, disjoint, non-touching intervals inside the period); anything else is SQLSTATE 22P02';
COMMENT ON FUNCTION ims.outage_set_out(ims.outage_set) IS 'Text output of ims.outage_set, exactly what ims.outage_set_in reads back';
COMMENT ON FUNCTION ims.outage_set_recv(internal) IS 'Binary input of ims.outage_set, validated like the text input (SQLSTATE 22P03)';
COMMENT ON FUNCTION ims.outage_set_send(ims.outage_set) IS 'Binary output of ims.outage_set: version byte, flags byte, int32 count, optional int64 period, int64 interval pairs';

CREATE FUNCTION ims.outage_set_accum(ims.outage_set, tstzrange) RETURNS ims.outage_set
    AS 'MODULE_PATHNAME', 'ims_outage_set_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ims.outage_set_accum(ims.outage_set, tstzrange) IS 'Transition function of ims.downtime: adds an outage to the union (NULL outages are skipped)';

CREATE FUNCTION ims.outage_set_accum(ims.outage_set, tstzrange, tstzrange) RETURNS ims.outage_set
    AS 'MODULE_PATHNAME', 'ims_outage_set_accum_period'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ims.outage_set_accum(ims.outage_set, tstzrange, tstzrange) IS 'Transition function of ims.availability and ims.mtbf: adds an outage clipped to the period; rows with a NULL period are skipped; every period must be equal and finite (SQLSTATE 22023)';

CREATE FUNCTION ims.outage_set_combine(ims.outage_set, ims.outage_set) RETURNS ims.outage_set
    AS 'MODULE_PATHNAME', 'ims_outage_set_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ims.outage_set_combine(ims.outage_set, ims.outage_set) IS 'Combine function of ims.downtime, ims.availability and ims.mtbf: union of two partial states with the same period (NULL on either side counts as no rows)';

CREATE FUNCTION ims.outage_set_downtime(ims.outage_set) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_downtime_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.outage_set_downtime(ims.outage_set) IS 'Final function of ims.downtime: total length of the union (SQLSTATE 22008 when it is infinite)';

CREATE FUNCTION ims.outage_set_availability(ims.outage_set) RETURNS float8
    AS 'MODULE_PATHNAME', 'ims_availability_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.outage_set_availability(ims.outage_set) IS 'Final function of ims.availability: 1 - downtime / length of the period; NULL without a period';

CREATE FUNCTION ims.outage_set_mtbf(ims.outage_set) RETURNS interval
    AS 'MODULE_PATHNAME', 'ims_mtbf_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ims.outage_set_mtbf(ims.outage_set) IS 'Final function of ims.mtbf: (period - downtime) / number of merged outages, rounded to the microsecond; NULL without a period or without outages';

CREATE AGGREGATE ims.downtime(outage tstzrange) (
    SFUNC = ims.outage_set_accum,
    STYPE = ims.outage_set,
    FINALFUNC = ims.outage_set_downtime,
    COMBINEFUNC = ims.outage_set_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.downtime(tstzrange) IS 'Total downtime: length of the union of the outages, overlaps counted once; NULL when every outage is NULL; SQLSTATE 22008 for an unbounded outage';

CREATE AGGREGATE ims.availability(outage tstzrange, period tstzrange) (
    SFUNC = ims.outage_set_accum,
    STYPE = ims.outage_set,
    FINALFUNC = ims.outage_set_availability,
    COMBINEFUNC = ims.outage_set_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.availability(tstzrange, tstzrange) IS 'Availability in the period: 1 - length of the union of the outages clipped to the period / length of the period; 1 for rows without outages; NULL when every period is NULL';

CREATE AGGREGATE ims.mtbf(outage tstzrange, period tstzrange) (
    SFUNC = ims.outage_set_accum,
    STYPE = ims.outage_set,
    FINALFUNC = ims.outage_set_mtbf,
    COMBINEFUNC = ims.outage_set_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.mtbf(tstzrange, tstzrange) IS 'Mean time between failures in the period: (period - downtime) / number of merged failures (touching or overlapping outages clipped to the period count once); NULL without failures';

-- ---- src/sql/50_change.sql ----
-- 50_change.sql — change management with approval checks (SPEC section 6).
--
-- Tables: change_request, change_ci, approval_policy (seeded), change_approval,
-- blackout_window, maintenance_window, change_lock (the concurrency guard).  Rules live in
-- triggers, so no client can bypass them: segregation of duties, one vote per
-- approver, approvals only by the policy's role, approvals invalidated by
-- re-planning, and the IM002 check on entering scheduled or implement.
-- ims.change_conflicts() lists every conflict; ims.change_next_slot() finds
-- the earliest window that has none.  See doc/changes.md.

-- ---------------------------------------------------------------------------
-- Tables

CREATE TABLE ims.change_request (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    number       text GENERATED ALWAYS AS
                 ('CHG' || CASE WHEN id < 10000000 THEN lpad(id::text, 7, '0') ELSE id::text END) STORED,
    title        text NOT NULL CHECK (btrim(title) <> ''),
    description  text,
    type         text NOT NULL DEFAULT 'normal'
                 CONSTRAINT change_request_type_check CHECK (type IN ('standard', 'normal', 'emergency')),
    risk         text NOT NULL DEFAULT 'moderate'
                 CONSTRAINT change_request_risk_check CHECK (risk IN ('low', 'moderate', 'high', 'very_high')),
    state        text NOT NULL DEFAULT 'new',
    requested_by name NOT NULL DEFAULT current_user,
    planned      tstzrange
                 CONSTRAINT change_request_planned_check
                 CHECK (planned IS NULL OR NOT (isempty(planned) OR lower_inf(planned) OR upper_inf(planned))),
    actual       tstzrange
                 CONSTRAINT change_request_actual_check
                 CHECK (actual IS NULL OR NOT (isempty(actual) OR lower_inf(actual))),
    outcome      text CHECK (outcome IN ('successful', 'failed', 'backed_out')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    tenant       text,
    UNIQUE (number)
);
-- Only scheduled and implementing changes can collide; keep their windows in a GiST index.
CREATE INDEX change_request_active_planned_idx ON ims.change_request USING gist (planned)
    WHERE state IN ('scheduled', 'implement');
CREATE INDEX change_request_state_idx ON ims.change_request (state);
COMMENT ON TABLE ims.change_request IS 'Change requests (CHG0000001 numbers) on the change workflow; entering scheduled or implement runs ims.change_conflicts and refuses with IM002 while any conflict blocks';
COMMENT ON COLUMN ims.change_request.number IS 'CHG followed by the id, zero-padded to seven digits (generated)';
COMMENT ON COLUMN ims.change_request.type IS 'standard (pre-approved), normal or emergency';
COMMENT ON COLUMN ims.change_request.risk IS 'low, moderate, high or very_high; with type it selects the approval policy';
COMMENT ON COLUMN ims.change_request.state IS 'state on the change workflow (new, assess, authorize, scheduled, implement, review, closed; cancelled)';
COMMENT ON COLUMN ims.change_request.requested_by IS 'requester (default current_user); may not approve the change (IM003)';
COMMENT ON COLUMN ims.change_request.planned IS 'planned window [start, end); required to schedule (no_window), changing it invalidates approvals';
COMMENT ON COLUMN ims.change_request.actual IS 'actual implementation window: opened when the change enters implement, closed when it leaves it (unless set explicitly)';
COMMENT ON COLUMN ims.change_request.outcome IS 'successful, failed or backed_out (for the change KPIs); required to enter review (IM004)';

CREATE TABLE ims.change_ci (
    change_id bigint NOT NULL REFERENCES ims.change_request (id) ON DELETE CASCADE,
    ci_id     bigint NOT NULL REFERENCES ims.ci (id),
    PRIMARY KEY (change_id, ci_id)
);
CREATE INDEX change_ci_ci_idx ON ims.change_ci (ci_id, change_id);
COMMENT ON TABLE ims.change_ci IS 'CIs a change affects; changing them invalidates the approvals given so far';

-- Approval policies.  Shipped rows (shipped = true) are the defaults; an
-- administrator overrides one by inserting a row with the same type and risk
-- (shipped = false), which takes precedence.  Shipped rows are read-only, are
-- re-created by CREATE EXTENSION and are not dumped; the overriding rows are.
CREATE TABLE ims.approval_policy (
    type          text NOT NULL CHECK (type IN ('standard', 'normal', 'emergency')),
    risk          text NOT NULL CHECK (risk IN ('low', 'moderate', 'high', 'very_high')),
    min_approvals int  NOT NULL CHECK (min_approvals BETWEEN 0 AND 100),
    approver_role name NOT NULL DEFAULT 'ims_change_manager',
    emergency     bool NOT NULL DEFAULT false,
    description   text,
    shipped       bool NOT NULL DEFAULT false,
    PRIMARY KEY (type, risk, shipped)
);
COMMENT ON TABLE ims.approval_policy IS 'How many approvals (by members of approver_role) a change of each type and risk needs; emergency approvals let an emergency change pass a blackout. Rows with shipped = false override the shipped defaults';

INSERT INTO ims.approval_policy (type, risk, min_approvals, approver_role, emergency, description, shipped)
SELECT t, r, m, 'ims_change_manager', t = 'emergency', d, true
  FROM (VALUES
    ('standard',  'low',       0, 'pre-approved standard change'),
    ('standard',  'moderate',  0, 'pre-approved standard change'),
    ('standard',  'high',      0, 'pre-approved standard change'),
    ('standard',  'very_high', 0, 'pre-approved standard change'),
    ('normal',    'low',       1, 'one change manager'),
    ('normal',    'moderate',  1, 'one change manager'),
    ('normal',    'high',      2, 'two change managers'),
    ('normal',    'very_high', 2, 'two change managers'),
    ('emergency', 'low',       1, 'one emergency approval (passes blackouts)'),
    ('emergency', 'moderate',  1, 'one emergency approval (passes blackouts)'),
    ('emergency', 'high',      1, 'one emergency approval (passes blackouts)'),
    ('emergency', 'very_high', 1, 'one emergency approval (passes blackouts)')
  ) AS s(t, r, m, d);

CREATE TABLE ims.change_approval (
    id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    change_id      bigint NOT NULL REFERENCES ims.change_request (id) ON DELETE CASCADE,
    approver       name NOT NULL DEFAULT current_user,
    decision       text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment        text,
    decided_at     timestamptz NOT NULL DEFAULT now(),
    invalidated_at timestamptz,
    invalidated_because text
);
-- One standing vote per approver and change (a vote invalidated by re-planning may be cast again).
CREATE UNIQUE INDEX change_approval_one_vote_idx ON ims.change_approval (change_id, approver)
    WHERE invalidated_at IS NULL;
COMMENT ON TABLE ims.change_approval IS 'Votes on changes: one standing vote per approver, never by the requester (IM003), only by members of the policy''s approver_role (42501); invalidated when the planned window or the affected CIs change';
COMMENT ON COLUMN ims.change_approval.invalidated_at IS 'set when the planned window or the affected CIs changed after the vote; the vote then no longer counts';

CREATE TABLE ims.blackout_window (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    period     tstzrange NOT NULL
               CONSTRAINT blackout_window_period_check CHECK (NOT isempty(period)),
    ci_class   text REFERENCES ims.ci_class (name) ON UPDATE CASCADE ON DELETE CASCADE,
    service_id bigint REFERENCES ims.ci (id) ON DELETE CASCADE,
    comment    text,
    CONSTRAINT blackout_window_one_scope CHECK (ci_class IS NULL OR service_id IS NULL)
);
CREATE INDEX blackout_window_period_idx ON ims.blackout_window USING gist (period);
COMMENT ON TABLE ims.blackout_window IS 'Freeze periods: for every CI (no scope), for a CI class and its subclasses (ci_class), or for a service, every CI it depends on and every CI that depends on it (service_id)';

CREATE TABLE ims.maintenance_window (
    id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ci_id   bigint NOT NULL UNIQUE REFERENCES ims.ci (id) ON DELETE CASCADE,
    cal     ims.calendar NOT NULL,
    name    text,
    comment text
);
COMMENT ON TABLE ims.maintenance_window IS 'When a CI may be changed: an ims.calendar of allowed hours per CI (one per CI; a CI without one may be changed at any time)';
COMMENT ON COLUMN ims.maintenance_window.cal IS 'The allowed hours (business time of this calendar), e.g. ''tz Europe/Berlin; sat 22:00-06:00; closed 2026-12-24..2026-12-26''';
SELECT pg_catalog.pg_extension_config_dump('ims.maintenance_window', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.maintenance_window', 'id'), '');


-- The concurrency guard: entering scheduled or implement upserts one row per
-- CI in the collision neighbourhood (sorted), so two changes that could
-- collide always write a common row.  Under READ COMMITTED the second waits
-- for the first to commit and then sees it; under REPEATABLE READ and
-- SERIALIZABLE it fails with 40001 and the application retries.
CREATE TABLE ims.change_lock (
    ci_id     bigint PRIMARY KEY,
    change_id bigint NOT NULL,
    locked_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ims.change_lock IS 'Internal: one row per CI last guarded by a change entering scheduled or implement (serialises colliding changes; see doc/changes.md)';

SELECT pg_catalog.pg_extension_config_dump('ims.change_request', '');
SELECT pg_catalog.pg_extension_config_dump('ims.change_ci', '');
SELECT pg_catalog.pg_extension_config_dump('ims.approval_policy', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('ims.change_approval', '');
SELECT pg_catalog.pg_extension_config_dump('ims.blackout_window', '');
SELECT pg_catalog.pg_extension_config_dump('ims.change_lock', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.change_request', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.change_approval', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('ims.blackout_window', 'id'), '');

-- ---------------------------------------------------------------------------
-- Helpers

CREATE FUNCTION ims.change_state_closed(state text) RETURNS bool
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    AS $$ SELECT state OPERATOR(pg_catalog.=) ANY (ARRAY['closed', 'cancelled']::text[]) $$;
COMMENT ON FUNCTION ims.change_state_closed(text) IS 'True when a change in this state is finished (closed or cancelled): it takes no more votes and cannot be re-planned';

CREATE FUNCTION ims.change_collision_depth() RETURNS int
    AS 'MODULE_PATHNAME', 'ims_change_collision_depth_get'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ims.change_collision_depth() IS 'The setting ims.change_collision_depth (default 1: direct dependents and dependencies)';

-- pg_restore loads the rows of the change tables with COPY, in table order,
-- with the triggers enabled; the checks (which look at other tables and at
-- the clock) must not judge a restored history.  A COPY run by a member of
-- ims_admin is therefore taken as it is.
CREATE FUNCTION ims.change_restoring() RETURNS bool
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT pg_catalog.current_query() OPERATOR(pg_catalog.~*) '^\s*copy\s'
                 AND pg_catalog.pg_has_role(current_user, 'ims_admin', 'member') $$;
COMMENT ON FUNCTION ims.change_restoring() IS 'True inside a COPY run by a member of ims_admin (how pg_restore loads rows): the change triggers then take rows as they are';

-- The CIs within max_depth steps of the start CIs, upwards (what they depend on)
-- and downwards (what depends on them), with the start CI and the distance:
-- breadth-first searches in C over the cached graph (src/graph.c), every
-- relation type.  It replaced a pair of recursive CTEs over ims.ci_relation
-- (one index probe per CI reached) and returns the same rows in the same order.
CREATE FUNCTION ims.change_neighbourhood(ci_ids bigint[], max_depth int)
RETURNS TABLE (start_ci bigint, ci_id bigint, distance int, direction text)
    AS 'MODULE_PATHNAME', 'ims_change_neighbourhood'
    LANGUAGE C STABLE PARALLEL SAFE ROWS 50;
COMMENT ON FUNCTION ims.change_neighbourhood(bigint[], int) IS 'CIs within max_depth relation steps of the given CIs, upwards (dependency) and downwards (dependent), with the start CI and the distance: the collision neighbourhood of a change (by start, then CI id; computed from the cached graph)';

-- The blackouts overlapping a period that apply to some of the CIs: global
-- ones (ci_id NULL), class-scoped ones (per CI of that class or a subclass),
-- service-scoped ones (per CI that is the service, that it depends on, or
-- that depends on it).
CREATE FUNCTION ims.change_blackouts(ci_ids bigint[], period tstzrange)
RETURNS TABLE (blackout_id bigint, ci_id bigint, scope text)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH b AS (
        SELECT * FROM ims.blackout_window bw WHERE bw.period OPERATOR(pg_catalog.&&) change_blackouts.period
    )
    SELECT b.id, NULL::bigint, 'all CIs'::text
      FROM b WHERE b.ci_class IS NULL AND b.service_id IS NULL
    UNION ALL
    SELECT b.id, ci.id, pg_catalog.format('class %s', b.ci_class)
      FROM b JOIN ims.ci ci ON ci.id OPERATOR(pg_catalog.=) ANY (change_blackouts.ci_ids)
     WHERE b.ci_class IS NOT NULL
       AND EXISTS (WITH RECURSIVE anc(name, n) AS (
                       SELECT ci.class, 0
                       UNION ALL
                       SELECT k.parent, anc.n + 1 FROM ims.ci_class k JOIN anc ON k.name OPERATOR(pg_catalog.=) anc.name
                        WHERE k.parent IS NOT NULL AND anc.n OPERATOR(pg_catalog.<) 100)
                   SELECT 1 FROM anc WHERE anc.name OPERATOR(pg_catalog.=) b.ci_class)
    UNION ALL
    SELECT b.id, d.ci_id, pg_catalog.format('service %s', s.name)
      FROM b JOIN ims.ci s ON s.id OPERATOR(pg_catalog.=) b.service_id
      CROSS JOIN LATERAL (
          SELECT dep.ci_id FROM ims.dependencies(ARRAY[b.service_id]) dep
           WHERE dep.ci_id OPERATOR(pg_catalog.=) ANY (change_blackouts.ci_ids)
          UNION
          SELECT imp.ci_id FROM ims.impacted(ARRAY[b.service_id]) imp
           WHERE imp.ci_id OPERATOR(pg_catalog.=) ANY (change_blackouts.ci_ids)) AS d
     WHERE b.service_id IS NOT NULL
$$;
COMMENT ON FUNCTION ims.change_blackouts(bigint[], tstzrange) IS 'Blackout windows overlapping the period that apply to the given CIs (ci_id NULL for a global blackout), with a description of the scope';

-- Scheduled or implementing changes (other than change_id) overlapping the
-- period on a CI within max_depth steps of the given CIs: one row per
-- (affected CI, other change), the nearest CI of the other change.
CREATE FUNCTION ims.change_collisions(change_id bigint, ci_ids bigint[], period tstzrange, max_depth int)
RETURNS TABLE (ci_id bigint, other_change bigint, other_ci bigint, distance int, direction text)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH nb AS MATERIALIZED (
        SELECT * FROM ims.change_neighbourhood(change_collisions.ci_ids, change_collisions.max_depth)
    ), hit AS MATERIALIZED (
        -- index lookups: the changes on the neighbourhood, then those that are active and overlap
        SELECT o.id, occ.ci_id
          FROM ims.change_ci occ
          JOIN LATERAL (SELECT r.id FROM ims.change_request r
                         WHERE r.id OPERATOR(pg_catalog.=) occ.change_id
                           AND r.state OPERATOR(pg_catalog.=) ANY (ARRAY['scheduled', 'implement'])
                           AND r.planned OPERATOR(pg_catalog.&&) change_collisions.period) o ON true
         WHERE occ.ci_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT DISTINCT nb.ci_id FROM nb))
           AND o.id IS DISTINCT FROM change_collisions.change_id
    )
    SELECT DISTINCT ON (nb.start_ci, hit.id) nb.start_ci, hit.id, nb.ci_id, nb.distance, nb.direction
      FROM hit JOIN nb ON nb.ci_id OPERATOR(pg_catalog.=) hit.ci_id
     ORDER BY nb.start_ci, hit.id, nb.distance, nb.ci_id
$$;
COMMENT ON FUNCTION ims.change_collisions(bigint, bigint[], tstzrange, int) IS 'Scheduled or implementing changes other than change_id whose planned window overlaps the period on a CI within max_depth dependency steps of the given CIs';

-- Maintenance-window conflicts: affected CIs whose calendar is not open for
-- the whole planned window.
CREATE FUNCTION ims.change_window_conflicts(change_id bigint, ci_ids bigint[], planned tstzrange)
RETURNS TABLE (kind text, blocking bool, ci_id bigint, other_change bigint, detail text)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT 'outside_maintenance_window'::text, true, m.ci_id, NULL::bigint,
           pg_catalog.format('%s may change only in its maintenance window (%s)', ci.name, m.cal)
      FROM ims.maintenance_window m JOIN ims.ci ci ON ci.id OPERATOR(pg_catalog.=) m.ci_id
     WHERE m.ci_id OPERATOR(pg_catalog.=) ANY (change_window_conflicts.ci_ids)
       AND ims.business_time(m.cal, pg_catalog.lower(change_window_conflicts.planned), pg_catalog.upper(change_window_conflicts.planned))
           OPERATOR(pg_catalog.<>) (pg_catalog.upper(change_window_conflicts.planned) OPERATOR(pg_catalog.-) pg_catalog.lower(change_window_conflicts.planned))
     ORDER BY m.ci_id
$$;
COMMENT ON FUNCTION ims.change_window_conflicts(bigint, bigint[], tstzrange) IS 'outside_maintenance_window conflicts: affected CIs whose maintenance calendar is not open for the whole planned window';

-- The end of the open stretch of cal that contains t (t open), capped at
-- lim: the largest x in [t, lim] with business_time(cal, t, x) = x - t,
-- found by halving (to the microsecond).
CREATE FUNCTION ims.change_window_open_until(cal ims.calendar, t timestamptz, lim timestamptz) RETURNS timestamptz
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    lo timestamptz := t;
    hi timestamptz := lim;
    mid timestamptz;
BEGIN
    IF lim OPERATOR(pg_catalog.<=) t THEN
        RETURN t;
    END IF;
    IF ims.business_time(cal, t, lim) OPERATOR(pg_catalog.=) (lim OPERATOR(pg_catalog.-) t) THEN
        RETURN lim;
    END IF;
    -- invariant: [t, lo) is open, [t, hi) is not
    WHILE (hi OPERATOR(pg_catalog.-) lo) OPERATOR(pg_catalog.>) interval '1 microsecond' LOOP
        mid := lo OPERATOR(pg_catalog.+) ((hi OPERATOR(pg_catalog.-) lo) OPERATOR(pg_catalog./) 2);
        IF mid OPERATOR(pg_catalog.<=) lo THEN
            mid := lo OPERATOR(pg_catalog.+) interval '1 microsecond';
        END IF;
        IF ims.business_time(cal, t, mid) OPERATOR(pg_catalog.=) (mid OPERATOR(pg_catalog.-) t) THEN
            lo := mid;
        ELSE
            hi := mid;
        END IF;
    END LOOP;
    RETURN lo;
END
$$;
COMMENT ON FUNCTION ims.change_window_open_until(ims.calendar, timestamptz, timestamptz) IS 'The end of the open stretch of a calendar that contains t (t itself when t is closed), at most lim: the first closed instant, found by halving with ims.business_time';

-- The common maintenance window of the CIs from t on: the earliest [s, e)
-- with s >= t in which every CI's maintenance calendar is open, e capped at
-- s + need (NULL when none starts before horizon).  CIs without a maintenance
-- window are always open.
CREATE FUNCTION ims.change_window_next(ci_ids bigint[], t timestamptz, need interval, horizon timestamptz)
RETURNS tstzrange
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    cals ims.calendar[];
    s timestamptz := t;
    nx timestamptz;
    e timestamptz;
    moved bool;
    cal ims.calendar;
    steps int := 0;
BEGIN
    SELECT pg_catalog.array_agg(m.cal) INTO cals
      FROM ims.maintenance_window m WHERE m.ci_id OPERATOR(pg_catalog.=) ANY (change_window_next.ci_ids);
    IF cals IS NULL THEN
        RETURN CASE WHEN t OPERATOR(pg_catalog.<) horizon THEN pg_catalog.tstzrange(t, t OPERATOR(pg_catalog.+) need) END;
    END IF;
    -- the earliest instant from t on at which every calendar is open
    LOOP
        steps := steps OPERATOR(pg_catalog.+) 1;
        IF s OPERATOR(pg_catalog.>=) horizon OR steps OPERATOR(pg_catalog.>) 100000 THEN
            RETURN NULL;
        END IF;
        moved := false;
        FOREACH cal IN ARRAY cals LOOP
            nx := ims.next_business_time(cal, s);
            IF nx IS NULL OR nx OPERATOR(pg_catalog.=) 'infinity' THEN
                RETURN NULL;
            END IF;
            IF nx OPERATOR(pg_catalog.>) s THEN
                s := nx;
                moved := true;
            END IF;
        END LOOP;
        EXIT WHEN NOT moved;
    END LOOP;
    IF s OPERATOR(pg_catalog.>=) horizon THEN
        RETURN NULL;
    END IF;
    -- how long they all stay open (at most need)
    e := s OPERATOR(pg_catalog.+) need;
    FOREACH cal IN ARRAY cals LOOP
        e := least(e, ims.change_window_open_until(cal, s, e));
    END LOOP;
    RETURN pg_catalog.tstzrange(s, e);
END
$$;
COMMENT ON FUNCTION ims.change_window_next(bigint[], timestamptz, interval, timestamptz) IS 'The earliest stretch from t on in which every CI''s maintenance window is open, at most need long (NULL when none starts before horizon)';

-- ---------------------------------------------------------------------------
-- Conflicts

-- The conflicts of a change row (used by ims.change_conflicts and by the
-- trigger, which passes the row as it is about to be written).
-- SECURITY DEFINER: the rules must see every CI, blackout and change (also
-- those of other tenants, which row-level security hides from the caller),
-- or a change could pass because its requester sees too little.
CREATE FUNCTION ims.change_conflicts_of(c ims.change_request)
RETURNS TABLE (kind text, blocking bool, ci_id bigint, other_change bigint, detail text)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pol ims.approval_policy;
    n_ok int;
    emergency_ok bool := false;
    cis bigint[];
    depth int := ims.change_collision_depth();
BEGIN
    IF c.id IS NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(cc.ci_id ORDER BY cc.ci_id) INTO cis
      FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) c.id;
    cis := coalesce(cis, '{}');

    -- approvals
    SELECT p.* INTO pol FROM ims.approval_policy p
     WHERE p.type OPERATOR(pg_catalog.=) c.type AND p.risk OPERATOR(pg_catalog.=) c.risk
     ORDER BY p.shipped LIMIT 1;
    SELECT pg_catalog.count(DISTINCT a.approver)::int INTO n_ok FROM ims.change_approval a
     WHERE a.change_id OPERATOR(pg_catalog.=) c.id AND a.invalidated_at IS NULL
       AND a.decision OPERATOR(pg_catalog.=) 'approved';
    IF pol.type IS NULL THEN
        RETURN QUERY SELECT 'missing_approval'::text, true, NULL::bigint, NULL::bigint,
            pg_catalog.format('no approval policy for %s changes of %s risk', c.type, c.risk);
    ELSIF n_ok OPERATOR(pg_catalog.<) pol.min_approvals THEN
        RETURN QUERY SELECT 'missing_approval'::text, true, NULL::bigint, NULL::bigint,
            pg_catalog.format('%s of %s required approvals by %s (%s change, %s risk)',
                              n_ok, pol.min_approvals, pol.approver_role, c.type, c.risk);
    ELSE
        emergency_ok := pol.emergency AND c.type OPERATOR(pg_catalog.=) 'emergency' AND n_ok OPERATOR(pg_catalog.>) 0;
    END IF;
    RETURN QUERY
        SELECT 'rejected'::text, true, NULL::bigint, NULL::bigint,
               pg_catalog.format('rejected by %s%s', a.approver,
                                 coalesce(': ' OPERATOR(pg_catalog.||) a.comment, ''))
          FROM ims.change_approval a
         WHERE a.change_id OPERATOR(pg_catalog.=) c.id AND a.invalidated_at IS NULL
           AND a.decision OPERATOR(pg_catalog.=) 'rejected'
         ORDER BY a.decided_at, a.id;

    -- retired CIs
    RETURN QUERY
        SELECT 'retired_ci'::text, true, ci.id, NULL::bigint,
               pg_catalog.format('%s is retired', ci.name)
          FROM ims.ci ci WHERE ci.id OPERATOR(pg_catalog.=) ANY (cis)
           AND ci.status OPERATOR(pg_catalog.=) 'retired'
         ORDER BY ci.id;

    -- the window and everything that depends on it
    IF c.planned IS NULL THEN
        RETURN QUERY SELECT 'no_window'::text, true, NULL::bigint, NULL::bigint,
            'the change has no planned window'::text;
    ELSE
        RETURN QUERY
            SELECT 'blackout'::text, NOT emergency_ok, h.ci_id, NULL::bigint,
                   pg_catalog.format('blackout "%s" %s (%s)%s', b.name, b.period, h.scope,
                                     CASE WHEN emergency_ok THEN ', passed with an emergency approval' ELSE '' END)
              FROM ims.change_blackouts(cis, c.planned) h
              JOIN ims.blackout_window b ON b.id OPERATOR(pg_catalog.=) h.blackout_id
             ORDER BY pg_catalog.lower(b.period), b.id, h.ci_id;

        RETURN QUERY
            SELECT 'collision'::text, true, k.ci_id, k.other_change,
                   pg_catalog.format('%s (%s, %s) on %s%s', o.number, o.state, o.planned, oci.name,
                       CASE k.direction WHEN 'self' THEN ''
                            WHEN 'dependency' THEN pg_catalog.format(', which %s depends on', sci.name)
                            ELSE pg_catalog.format(', which depends on %s', sci.name) END)
              FROM ims.change_collisions(c.id, cis, c.planned, depth) k
              JOIN ims.change_request o ON o.id OPERATOR(pg_catalog.=) k.other_change
              JOIN ims.ci oci ON oci.id OPERATOR(pg_catalog.=) k.other_ci
              JOIN ims.ci sci ON sci.id OPERATOR(pg_catalog.=) k.ci_id
             ORDER BY k.ci_id, k.other_change;

        -- maintenance windows (added with the calendar type)
        RETURN QUERY SELECT * FROM ims.change_window_conflicts(c.id, cis, c.planned);
    END IF;

    -- impacted business services (information only)
    RETURN QUERY
        -- the class flag comes with the cached graph: one name lookup per service
        SELECT 'impact'::text, false, ci.id, NULL::bigint,
               pg_catalog.format('business service %s is impacted', ci.name)
          FROM ims.impacted_services(cis) i
          JOIN ims.ci ci ON ci.id OPERATOR(pg_catalog.=) i.ci_id
         ORDER BY i.depth, ci.id;
END
$$;
COMMENT ON FUNCTION ims.change_conflicts_of(ims.change_request) IS 'The conflicts of a change row as it is (or is about to be) stored; ims.change_conflicts(id) reads the row for you';

CREATE FUNCTION ims.change_conflicts(change_id bigint)
RETURNS TABLE (kind text, blocking bool, ci_id bigint, other_change bigint, detail text)
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT ROWS 10
AS $$
DECLARE
    c ims.change_request;
BEGIN
    SELECT * INTO c FROM ims.change_request r WHERE r.id OPERATOR(pg_catalog.=) change_id;
    IF c.id IS NULL THEN
        RAISE EXCEPTION 'change % does not exist', change_id
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY SELECT * FROM ims.change_conflicts_of(c);
END
$$;
COMMENT ON FUNCTION ims.change_conflicts(bigint) IS 'Every conflict of a change: missing_approval, rejected, blackout, outside_maintenance_window, collision, retired_ci, no_window (blocking unless noted) and impact (impacted business services, non-blocking)';

-- ---------------------------------------------------------------------------
-- Internal operations the triggers perform with the owner's rights (callers
-- need no privilege on change_approval or change_lock).

-- Lock a change row for the duration of the transaction by writing it (a no-op
-- update), so a concurrent writer of the change under REPEATABLE READ gets 40001
-- instead of acting on a stale view; returns the row.
CREATE FUNCTION ims.change_touch(change_id bigint) RETURNS ims.change_request
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c ims.change_request;
BEGIN
    UPDATE ims.change_request r SET tenant = r.tenant
     WHERE r.id OPERATOR(pg_catalog.=) change_id RETURNING r.* INTO c;
    RETURN c;
END
$$;
COMMENT ON FUNCTION ims.change_touch(bigint) IS 'Internal: write-lock a change row (no-op update) and return it; used by the change_ci and change_approval triggers';

CREATE FUNCTION ims.change_invalidate_approvals(change_id bigint, because text) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n int;
BEGIN
    UPDATE ims.change_approval a SET invalidated_at = pg_catalog.now(), invalidated_because = because
     WHERE a.change_id OPERATOR(pg_catalog.=) change_invalidate_approvals.change_id AND a.invalidated_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ims.change_invalidate_approvals(bigint, text) IS 'Internal: invalidate every standing vote on a change (the planned window or the affected CIs changed); returns how many';

-- Upsert one ims.change_lock row per CI of the collision neighbourhood, in
-- ascending CI order (so two lockers never deadlock).
CREATE FUNCTION ims.change_lock_cis(change_id bigint, ci_ids bigint[]) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n int;
BEGIN
    INSERT INTO ims.change_lock AS l (ci_id, change_id, locked_at)
    SELECT x.ci_id, change_lock_cis.change_id, pg_catalog.now()
      FROM (SELECT DISTINCT nb.ci_id FROM ims.change_neighbourhood(ci_ids, ims.change_collision_depth()) nb) x
     ORDER BY x.ci_id
    ON CONFLICT ON CONSTRAINT change_lock_pkey
    DO UPDATE SET change_id = EXCLUDED.change_id, locked_at = EXCLUDED.locked_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ims.change_lock_cis(bigint, bigint[]) IS 'Internal: write the ims.change_lock rows of the CIs and their collision neighbourhood in sorted order (the concurrency guard of scheduling)';

REVOKE ALL ON FUNCTION ims.change_touch(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION ims.change_invalidate_approvals(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ims.change_lock_cis(bigint, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.change_touch(bigint) TO ims_agent, ims_change_manager;
GRANT EXECUTE ON FUNCTION ims.change_invalidate_approvals(bigint, text) TO ims_agent, ims_change_manager;
GRANT EXECUTE ON FUNCTION ims.change_lock_cis(bigint, bigint[]) TO ims_agent, ims_change_manager;

-- ---------------------------------------------------------------------------
-- Triggers

CREATE FUNCTION ims.change_request_check() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    admin bool := pg_catalog.pg_has_role(current_user, 'ims_admin', 'member');
    cis bigint[];
    msg text;
BEGIN
    IF ims.change_restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        IF NEW.requested_by OPERATOR(pg_catalog.<>) current_user AND NOT admin THEN
            RAISE EXCEPTION 'only ims_admin may file a change on behalf of %', NEW.requested_by
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'Leave requested_by to its default, current_user.';
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.requested_by OPERATOR(pg_catalog.<>) OLD.requested_by AND NOT admin THEN
        RAISE EXCEPTION 'only ims_admin may change the requester of %', OLD.number
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id OPERATOR(pg_catalog.<>) OLD.id THEN
        RAISE EXCEPTION 'the id of change % cannot change', OLD.number
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    IF NEW.planned IS DISTINCT FROM OLD.planned THEN
        IF ims.change_state_closed(OLD.state)
           OR (OLD.state OPERATOR(pg_catalog.=) ANY (ARRAY['scheduled', 'implement'])
               AND NEW.state OPERATOR(pg_catalog.=) OLD.state) THEN
            RAISE EXCEPTION 'change % is %: its planned window cannot change', OLD.number, OLD.state
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'Move it back to authorize (it then needs new approvals), or cancel it.';
        END IF;
        PERFORM ims.change_invalidate_approvals(OLD.id,
                    pg_catalog.format('planned window changed from %s to %s', OLD.planned, NEW.planned));
    END IF;

    IF NEW.state IS DISTINCT FROM OLD.state THEN
        IF NEW.state OPERATOR(pg_catalog.=) 'assess'
           AND NOT EXISTS (SELECT 1 FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) NEW.id) THEN
            RAISE EXCEPTION 'change % has no affected CIs', OLD.number
                  USING ERRCODE = 'IM004',
                        DETAIL = 'A change enters assess only with at least one row in ims.change_ci.',
                        HINT = 'INSERT INTO ims.change_ci (change_id, ci_id) VALUES (...).';
        END IF;
        IF NEW.state OPERATOR(pg_catalog.=) 'review' AND NEW.outcome IS NULL THEN
            RAISE EXCEPTION 'change % needs an outcome to enter review', OLD.number
                  USING ERRCODE = 'IM004',
                        DETAIL = 'outcome is one of successful, failed, backed_out (the change KPIs count them).',
                        HINT = 'UPDATE ims.change_request SET state = ''review'', outcome = ''successful'' WHERE ...';
        END IF;
        -- the actual window: opened on entering implement, closed on leaving it
        IF NEW.state OPERATOR(pg_catalog.=) 'implement' AND NEW.actual IS NULL THEN
            NEW.actual := pg_catalog.tstzrange(pg_catalog.now(), NULL);
        ELSIF OLD.state OPERATOR(pg_catalog.=) 'implement' AND NEW.actual IS NOT NULL
              AND pg_catalog.upper_inf(NEW.actual) AND pg_catalog.lower(NEW.actual) OPERATOR(pg_catalog.<=) pg_catalog.now() THEN
            NEW.actual := pg_catalog.tstzrange(pg_catalog.lower(NEW.actual), pg_catalog.now(),
                                               CASE WHEN pg_catalog.lower(NEW.actual) OPERATOR(pg_catalog.<) pg_catalog.now()
                                                    THEN '[)' ELSE '[]' END);
        END IF;
        IF NEW.state OPERATOR(pg_catalog.=) ANY (ARRAY['scheduled', 'implement']) THEN
            SELECT pg_catalog.array_agg(cc.ci_id ORDER BY cc.ci_id) INTO cis
              FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) NEW.id;
            -- Serialise against every change that could collide, then check
            -- with a fresh snapshot (READ COMMITTED) or fail with 40001 (REPEATABLE READ).
            PERFORM ims.change_lock_cis(NEW.id, coalesce(cis, '{}'));
            SELECT pg_catalog.string_agg(pg_catalog.format('%s%s: %s', k.kind,
                       CASE WHEN k.ci_id IS NULL THEN '' ELSE pg_catalog.format(' (CI %s)', k.ci_id) END,
                       k.detail), E'\n' ORDER BY k.n)
              INTO msg
              FROM ims.change_conflicts_of(NEW) WITH ORDINALITY AS k(kind, blocking, ci_id, other_change, detail, n)
             WHERE k.blocking;
            IF msg IS NOT NULL THEN
                RAISE EXCEPTION 'change % cannot enter % while conflicts block it', OLD.number, NEW.state
                      USING ERRCODE = 'IM002', DETAIL = msg,
                            HINT = 'See SELECT * FROM ims.change_conflicts(' || NEW.id || '); ims.change_next_slot() finds a free window.';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ims.change_request_check() IS 'Trigger on ims.change_request: requester rules, re-planning invalidates approvals, a change needs CIs to enter assess (IM004) and no blocking conflict to enter scheduled or implement (IM002)';

-- Triggers fire in name order: first the workflow (IM001 for an illegal
-- transition), then the change rules.
CREATE TRIGGER change_request_10_workflow BEFORE INSERT OR UPDATE ON ims.change_request
    FOR EACH ROW EXECUTE FUNCTION ims.workflow_guard('change', 'state');
CREATE TRIGGER change_request_20_check BEFORE INSERT OR UPDATE ON ims.change_request
    FOR EACH ROW EXECUTE FUNCTION ims.change_request_check();

CREATE FUNCTION ims.change_ci_check() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    c ims.change_request;
    id bigint := CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD.change_id ELSE NEW.change_id END;
BEGIN
    IF ims.change_restoring() THEN
        RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    c := ims.change_touch(id);
    IF c.id IS NULL THEN
        IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            RETURN OLD;                 -- the change itself is being deleted
        END IF;
        RAISE EXCEPTION 'change % does not exist', id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF ims.change_state_closed(c.state) OR c.state OPERATOR(pg_catalog.=) ANY (ARRAY['scheduled', 'implement']) THEN
        RAISE EXCEPTION 'change % is %: its affected CIs cannot change', c.number, c.state
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.change_id OPERATOR(pg_catalog.<>) OLD.change_id THEN
        RAISE EXCEPTION 'an affected CI cannot move to another change'
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM ims.change_invalidate_approvals(c.id, pg_catalog.format('affected CIs changed (%s)', pg_catalog.lower(TG_OP)));
    RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION ims.change_ci_check() IS 'Trigger on ims.change_ci: affected CIs of a scheduled, implementing or finished change are fixed; any change to them invalidates the approvals';

CREATE TRIGGER change_ci_check BEFORE INSERT OR UPDATE OR DELETE ON ims.change_ci
    FOR EACH ROW EXECUTE FUNCTION ims.change_ci_check();

CREATE FUNCTION ims.change_approval_check() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    c ims.change_request;
    pol ims.approval_policy;
    admin bool := pg_catalog.pg_has_role(current_user, 'ims_admin', 'member');
BEGIN
    IF ims.change_restoring() THEN
        RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM ims.change_request r WHERE r.id OPERATOR(pg_catalog.=) OLD.change_id) THEN
            RAISE EXCEPTION 'votes on changes cannot be deleted'
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'Votes stay as the audit trail; re-planning the change invalidates them.';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        IF (NEW.id, NEW.change_id, NEW.approver, NEW.decision, NEW.comment, NEW.decided_at)
           IS DISTINCT FROM (OLD.id, OLD.change_id, OLD.approver, OLD.decision, OLD.comment, OLD.decided_at)
           OR (OLD.invalidated_at IS NOT NULL AND NEW.invalidated_at IS DISTINCT FROM OLD.invalidated_at)
           OR NEW.invalidated_at IS NULL AND OLD.invalidated_at IS NULL AND NEW.invalidated_because IS NOT NULL THEN
            RAISE EXCEPTION 'votes on changes cannot be edited'
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'Only invalidated_at may be set, once.';
        END IF;
        RETURN NEW;
    END IF;

    c := ims.change_touch(NEW.change_id);
    IF c.id IS NULL THEN
        RAISE EXCEPTION 'change % does not exist', NEW.change_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF ims.change_state_closed(c.state) THEN
        RAISE EXCEPTION 'change % is %: it takes no more votes', c.number, c.state
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.approver OPERATOR(pg_catalog.<>) current_user AND NOT admin THEN
        RAISE EXCEPTION '% may not vote for %', current_user, NEW.approver
              USING ERRCODE = 'insufficient_privilege', HINT = 'Leave approver to its default, current_user.';
    END IF;
    IF NEW.approver OPERATOR(pg_catalog.=) c.requested_by THEN
        RAISE EXCEPTION '% requested change % and may not vote on it', NEW.approver, c.number
              USING ERRCODE = 'IM003', DETAIL = 'Segregation of duties: the requester of a change never approves it.';
    END IF;
    SELECT p.* INTO pol FROM ims.approval_policy p
     WHERE p.type OPERATOR(pg_catalog.=) c.type AND p.risk OPERATOR(pg_catalog.=) c.risk
     ORDER BY p.shipped LIMIT 1;
    IF pol.type IS NULL THEN
        RAISE EXCEPTION 'no approval policy for % changes of % risk', c.type, c.risk
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NOT pg_catalog.pg_has_role(NEW.approver, pol.approver_role, 'member') THEN
        RAISE EXCEPTION '% is not a member of %, who approve % changes of % risk', NEW.approver, pol.approver_role, c.type, c.risk
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.invalidated_at := NULL;
    NEW.invalidated_because := NULL;
    IF NOT admin THEN
        NEW.decided_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ims.change_approval_check() IS 'Trigger on ims.change_approval: no votes on finished changes (55000), no voting for others (42501), no self-approval (IM003), only members of the policy''s approver_role (42501); votes are never edited or deleted';

CREATE TRIGGER change_approval_check BEFORE INSERT OR UPDATE OR DELETE ON ims.change_approval
    FOR EACH ROW EXECUTE FUNCTION ims.change_approval_check();

CREATE FUNCTION ims.approval_policy_check() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.shipped THEN
        RAISE EXCEPTION 'shipped approval policies are read-only'
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Insert a row with the same type and risk (shipped = false): it takes precedence.';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.shipped THEN
        RAISE EXCEPTION 'only the extension ships approval policies' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION ims.approval_policy_check() IS 'Trigger on ims.approval_policy: the shipped rows are read-only (override them with your own rows)';

CREATE TRIGGER approval_policy_check BEFORE UPDATE OR DELETE ON ims.approval_policy
    FOR EACH ROW EXECUTE FUNCTION ims.approval_policy_check();

-- ---------------------------------------------------------------------------
-- Privileges (row-level security per tenant: see doc/security.md)

GRANT SELECT ON ims.change_request, ims.change_ci, ims.change_approval, ims.approval_policy,
                ims.blackout_window, ims.maintenance_window TO ims_reader;
GRANT INSERT, UPDATE ON ims.change_request TO ims_agent, ims_change_manager;
GRANT INSERT, UPDATE, DELETE ON ims.change_ci TO ims_agent, ims_change_manager;
GRANT INSERT ON ims.change_approval TO ims_change_manager;
GRANT INSERT, UPDATE, DELETE ON ims.approval_policy, ims.blackout_window, ims.maintenance_window TO ims_admin;
GRANT USAGE ON SEQUENCE ims.change_request_id_seq, ims.change_approval_id_seq, ims.blackout_window_id_seq,
    ims.maintenance_window_id_seq
    TO ims_agent, ims_change_manager, ims_admin;

-- ---------------------------------------------------------------------------
-- The scheduling assistant

-- The time a change cannot use: applicable blackouts (unless it is an
-- emergency change with its emergency approval) and the windows of scheduled
-- or implementing changes in its collision neighbourhood, within span.
-- SECURITY DEFINER for the same reason as ims.change_conflicts_of.
CREATE FUNCTION ims.change_busy(c ims.change_request, span tstzrange) RETURNS tstzmultirange
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cis bigint[];
    busy tstzmultirange;
    emergency_ok bool;
BEGIN
    SELECT pg_catalog.array_agg(cc.ci_id ORDER BY cc.ci_id) INTO cis
      FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) c.id;
    cis := coalesce(cis, '{}');
    -- an emergency change with its emergency approval may use blackout periods
    SELECT c.type OPERATOR(pg_catalog.=) 'emergency' AND p.emergency
           AND (SELECT pg_catalog.count(DISTINCT a.approver) FROM ims.change_approval a
                 WHERE a.change_id OPERATOR(pg_catalog.=) c.id AND a.invalidated_at IS NULL
                   AND a.decision OPERATOR(pg_catalog.=) 'approved') OPERATOR(pg_catalog.>=) greatest(p.min_approvals, 1)
      INTO emergency_ok
      FROM ims.approval_policy p
     WHERE p.type OPERATOR(pg_catalog.=) c.type AND p.risk OPERATOR(pg_catalog.=) c.risk
     ORDER BY p.shipped LIMIT 1;

    -- busy time: applicable blackouts and windows of colliding changes
    SELECT pg_catalog.range_agg(x.r) INTO busy FROM (
        SELECT b.period AS r
          FROM ims.change_blackouts(cis, span) h
          JOIN ims.blackout_window b ON b.id OPERATOR(pg_catalog.=) h.blackout_id
         WHERE NOT coalesce(emergency_ok, false)
        UNION ALL
        SELECT o.planned
          FROM ims.change_collisions(c.id, cis, span,
                                     ims.change_collision_depth()) k
          JOIN ims.change_request o ON o.id OPERATOR(pg_catalog.=) k.other_change) AS x;
    busy := coalesce(busy, '{}'::tstzmultirange);

    RETURN busy;
END
$$;
COMMENT ON FUNCTION ims.change_busy(ims.change_request, tstzrange) IS 'The time within span a change cannot use: applicable blackouts (not for an emergency change with its emergency approval) and the windows of colliding scheduled or implementing changes';

CREATE FUNCTION ims.change_next_slot(change_id bigint, after timestamptz DEFAULT pg_catalog.now(),
                                     within interval DEFAULT '90 days')
RETURNS tstzrange
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    c ims.change_request;
    cis bigint[];
    need interval;
    horizon timestamptz;
    busy tstzmultirange;
    t timestamptz;
    w tstzrange;
    hit tstzrange;
    steps int := 0;
BEGIN
    SELECT * INTO c FROM ims.change_request r WHERE r.id OPERATOR(pg_catalog.=) change_id;
    IF c.id IS NULL THEN
        RAISE EXCEPTION 'change % does not exist', change_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.planned IS NULL THEN
        RAISE EXCEPTION 'change % has no planned window to take the length from', c.number
              USING ERRCODE = 'IM004', HINT = 'Set planned to a window of the length the change needs.';
    END IF;
    IF within OPERATOR(pg_catalog.<) interval '0' OR after::text OPERATOR(pg_catalog.=) ANY (ARRAY['infinity', '-infinity']) THEN
        RAISE EXCEPTION 'change_next_slot needs a finite start and a non-negative horizon'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    need := pg_catalog.upper(c.planned) OPERATOR(pg_catalog.-) pg_catalog.lower(c.planned);
    horizon := after OPERATOR(pg_catalog.+) within;
    SELECT pg_catalog.array_agg(cc.ci_id ORDER BY cc.ci_id) INTO cis
      FROM ims.change_ci cc WHERE cc.change_id OPERATOR(pg_catalog.=) c.id;
    cis := coalesce(cis, '{}');

    busy := ims.change_busy(c, pg_catalog.tstzrange(after, horizon OPERATOR(pg_catalog.+) need));

    -- Jump from window to window: to the next maintenance opening, past the
    -- busy range a candidate hits, or past the end of a window that is too short.
    t := after;
    LOOP
        steps := steps OPERATOR(pg_catalog.+) 1;
        IF steps OPERATOR(pg_catalog.>) 100000 THEN
            RAISE EXCEPTION 'change_next_slot gave up after % steps', steps OPERATOR(pg_catalog.-) 1
                  USING ERRCODE = 'program_limit_exceeded';
        END IF;
        w := ims.change_window_next(cis, t, need, horizon);
        EXIT WHEN w IS NULL OR pg_catalog.lower(w) OPERATOR(pg_catalog.>=) horizon;
        t := pg_catalog.lower(w);
        SELECT r INTO hit FROM pg_catalog.unnest(busy) AS r
         WHERE r OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(t, t OPERATOR(pg_catalog.+) need)
         ORDER BY pg_catalog.lower(r) LIMIT 1;
        IF hit IS NOT NULL THEN
            t := pg_catalog.upper(hit) OPERATOR(pg_catalog.+)
                 CASE WHEN pg_catalog.upper_inc(hit) THEN interval '1 microsecond' ELSE interval '0' END;
            CONTINUE;
        END IF;
        IF pg_catalog.upper(w) OPERATOR(pg_catalog.-) t OPERATOR(pg_catalog.>=) need THEN
            RETURN pg_catalog.tstzrange(t, t OPERATOR(pg_catalog.+) need);
        END IF;
        t := pg_catalog.upper(w);
    END LOOP;
    RAISE NOTICE 'no free window of % for change % between % and %', need, c.number, after, horizon;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ims.change_next_slot(bigint, timestamptz, interval) IS 'The earliest window of the change''s planned length starting in [after, after + within) inside every affected CI''s maintenance window, outside applicable blackouts and free of collisions; NULL with a NOTICE when there is none';

-- ---- src/sql/70_views.sql ----
-- 70_views.sql — the documented BI views and the monthly KPI facts behind them (SPEC section 9).
-- doc/metrics.md "BI views" is the data dictionary; every view and column
-- also carries a COMMENT.  Months are calendar months in UTC.

-- ---------------------------------------------------------------------------
-- Small helpers.

CREATE FUNCTION ims.kpi_month(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', t))::date $$;
COMMENT ON FUNCTION ims.kpi_month(timestamptz) IS 'The KPI month of a time: the first day of its calendar month in UTC';

CREATE FUNCTION ims.kpi_month_start(month date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.timezone('UTC', month::timestamp) $$;
COMMENT ON FUNCTION ims.kpi_month_start(date) IS 'The instant a KPI month starts: midnight UTC of the given date';

CREATE FUNCTION ims.hours(d interval) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.round(EXTRACT(epoch FROM d) OPERATOR(pg_catalog./) 3600, 2) $$;
COMMENT ON FUNCTION ims.hours(interval) IS 'An interval as hours, rounded to 2 decimals (how the BI views give durations)';

-- The state of ims.mttr / ims.mtta without the final mean: the monthly KPI
-- facts keep it, so means stay exact however rows are combined.
CREATE AGGREGATE ims.duration_state(start timestamptz, stop timestamptz) (
    SFUNC = ims.mean_state_accum,
    STYPE = ims.mean_state,
    INITCOND = '(0,0)',
    COMBINEFUNC = ims.mean_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ims.duration_state(timestamptz, timestamptz) IS 'The partial state of ims.mttr / ims.mtta (count and exact sum of stop - start over rows with both set); finish with ims.mean_state_mean, merge with ims.mean_state_combine';

-- ---------------------------------------------------------------------------
-- Monthly incident KPI facts.  ims.refresh_kpis() stores every closed month
-- (before the current UTC month); v_incident_kpi_monthly reads the stored
-- months and computes only the rest live.  Row triggers on
-- ims.incident record which months a change touched (ims.kpi_dirty), so the
-- view never shows a stale stored month: those months are computed live
-- until the next refresh.

CREATE TABLE ims.kpi_incident_monthly_fact (
    month              date NOT NULL,
    service_id         bigint,
    priority           smallint NOT NULL,
    tenant             text,
    opened_count       int NOT NULL,
    acknowledged_count int NOT NULL,
    resolved_count     int NOT NULL,
    backlog_count      int NOT NULL,
    reopened_count     int NOT NULL,
    tta_state          ims.mean_state NOT NULL,
    ttr_state          ims.mean_state NOT NULL,
    sla_measured_count int NOT NULL,
    sla_met_count      int NOT NULL
);
CREATE INDEX kpi_incident_monthly_fact_month_idx ON ims.kpi_incident_monthly_fact (month);
COMMENT ON TABLE ims.kpi_incident_monthly_fact IS 'Stored monthly incident KPIs per service, priority and tenant for closed months, written by ims.refresh_kpis(); read through ims.v_incident_kpi_monthly';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.tta_state IS 'ims.duration_state(opened_at, acknowledged_at) over incidents acknowledged in the month';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.ttr_state IS 'ims.duration_state(opened_at, resolved_at) over incidents resolved in the month';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.sla_measured_count IS 'Incidents resolved in the month with at least one clock of an SLA (agreement sla)';
COMMENT ON COLUMN ims.kpi_incident_monthly_fact.sla_met_count IS 'Of those, incidents none of whose SLA clocks was breached';
SELECT pg_catalog.pg_extension_config_dump('ims.kpi_incident_monthly_fact', '');

CREATE TABLE ims.kpi_dirty (
    months    daterange NOT NULL CHECK (NOT pg_catalog.isempty(months) AND NOT pg_catalog.lower_inf(months)),
    marked_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ims.kpi_dirty IS 'KPI months touched by incident changes since the last ims.refresh_kpis() (unbounded: up to now); stored facts of these months are not used until refreshed';
COMMENT ON COLUMN ims.kpi_dirty.months IS 'The months (first days of UTC months) whose KPIs the change may have altered';
COMMENT ON COLUMN ims.kpi_dirty.marked_at IS 'When the change was made';
SELECT pg_catalog.pg_extension_config_dump('ims.kpi_dirty', '');

CREATE TABLE ims.kpi_refresh_state (
    singleton     bool PRIMARY KEY DEFAULT true CHECK (singleton),
    covered_until date NOT NULL,
    refreshed_at  timestamptz NOT NULL,
    refresh_ms    float8 NOT NULL,
    fact_rows     bigint NOT NULL,
    months_written int NOT NULL
);
COMMENT ON TABLE ims.kpi_refresh_state IS 'The last ims.refresh_kpis(): stored KPI facts cover the months before covered_until (one row; none before the first refresh)';
COMMENT ON COLUMN ims.kpi_refresh_state.covered_until IS 'Facts exist for every month before this one (the first day of the UTC month of the refresh)';
COMMENT ON COLUMN ims.kpi_refresh_state.refreshed_at IS 'When the last refresh ran';
COMMENT ON COLUMN ims.kpi_refresh_state.refresh_ms IS 'How long it took, in milliseconds';
COMMENT ON COLUMN ims.kpi_refresh_state.fact_rows IS 'Fact rows it wrote';
COMMENT ON COLUMN ims.kpi_refresh_state.months_written IS 'Months it (re)computed';
SELECT pg_catalog.pg_extension_config_dump('ims.kpi_refresh_state', '');

-- The KPI-relevant columns of an incident: keys (service, priority, tenant),
-- opened_at, acknowledged_at, resolved_at, closed_at (the end of a cancelled
-- incident) and reopen_count.  Indexes for the live part of the view.
CREATE INDEX incident_acknowledged_at_idx ON ims.incident (acknowledged_at);
CREATE INDEX incident_ended_at_idx ON ims.incident ((coalesce(resolved_at, closed_at)));

-- KPI rows for every month from lo on (lo NULL: from the first month).
--   opened: opened_at in the month; acknowledged and mtta: acknowledged_at in
--   the month; resolved, mttr and reopened: resolved_at in the month;
--   backlog: opened before the month's end and neither resolved nor
--   cancelled before it (by the current stamps).
-- backlog(M) = backlog at lo + opened since lo - ended since lo, where an
-- incident ends in the month of greatest(opened_at, coalesce(resolved_at,
-- closed_at)); only incidents opened, acknowledged or ended since lo, or
-- still open, are read.
CREATE FUNCTION ims._kpi_incident_months(lo date)
RETURNS TABLE (month date, service_id bigint, priority smallint, tenant text,
               opened_count int, acknowledged_count int, resolved_count int, backlog_count int,
               reopened_count int, tta_state ims.mean_state, ttr_state ims.mean_state,
               sla_measured_count int, sla_met_count int)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off       -- the month grid's row estimate is far too high; JIT then costs seconds
AS $fn$
DECLARE
    lo_t timestamptz := CASE WHEN lo IS NULL THEN '-infinity'::timestamptz ELSE ims.kpi_month_start(lo) END;
BEGIN
    -- Dynamic SQL: planned with the real bound, so the live part of the view
    -- reads a month through the indexes instead of scanning every incident.
    RETURN QUERY EXECUTE pg_catalog.format($q$
    WITH inc AS (
        SELECT i.service_id, i.priority, i.tenant, i.opened_at, i.acknowledged_at, i.resolved_at,
               i.reopen_count, coalesce(i.resolved_at, i.closed_at) AS ended_at, sla.measured, sla.met
          FROM ims.incident i
          LEFT JOIN LATERAL (
                -- SLA outcome of a resolved incident: measured when it has a
                -- clock of an SLA (agreement sla), met when none breached
                SELECT true AS measured, bool_and(s.breached_at IS NULL) AS met
                  FROM ims.incident_sla s JOIN ims.sla_policy p ON p.id = s.policy_id
                 WHERE i.resolved_at >= %1$L AND s.incident_id = i.id AND p.agreement = 'sla'
                HAVING count(*) > 0) sla ON true
         WHERE i.opened_at >= %1$L OR i.acknowledged_at >= %1$L
            OR coalesce(i.resolved_at, i.closed_at) >= %1$L OR coalesce(i.resolved_at, i.closed_at) IS NULL
    ), ev AS (
        SELECT e.month, inc.service_id, inc.priority, inc.tenant, e.kind, e.a, e.b, inc.reopen_count,
               inc.measured, inc.met
          FROM inc
         CROSS JOIN LATERAL (VALUES
            ('base', %2$L::date, NULL::timestamptz, NULL::timestamptz,
             inc.opened_at < %1$L AND (inc.ended_at IS NULL OR inc.ended_at >= %1$L)),
            ('open', ims.kpi_month(inc.opened_at), NULL, NULL, inc.opened_at >= %1$L),
            ('end', ims.kpi_month(greatest(inc.opened_at, inc.ended_at)), NULL, NULL,
             inc.ended_at IS NOT NULL AND greatest(inc.opened_at, inc.ended_at) >= %1$L),
            ('ack', ims.kpi_month(inc.acknowledged_at), inc.opened_at, inc.acknowledged_at, inc.acknowledged_at >= %1$L),
            ('res', ims.kpi_month(inc.resolved_at), inc.opened_at, inc.resolved_at, inc.resolved_at >= %1$L)
         ) AS e(kind, month, a, b, here)
         WHERE e.here
    ), agg AS (
        SELECT ev.month, ev.service_id, ev.priority, ev.tenant,
               count(*) FILTER (WHERE ev.kind = 'open')::int AS opened,
               count(*) FILTER (WHERE ev.kind = 'ack')::int AS acked,
               count(*) FILTER (WHERE ev.kind = 'res')::int AS resolved,
               count(*) FILTER (WHERE ev.kind = 'res' AND ev.reopen_count > 0)::int AS reopened,
               (count(*) FILTER (WHERE ev.kind IN ('base', 'open'))
                - count(*) FILTER (WHERE ev.kind = 'end'))::int AS net,
               ims.duration_state(ev.a, ev.b) FILTER (WHERE ev.kind = 'ack') AS tta,
               ims.duration_state(ev.a, ev.b) FILTER (WHERE ev.kind = 'res') AS ttr,
               count(*) FILTER (WHERE ev.kind = 'res' AND ev.measured)::int AS sla_measured,
               count(*) FILTER (WHERE ev.kind = 'res' AND ev.measured AND ev.met)::int AS sla_met
          FROM ev
         GROUP BY ev.month, ev.service_id, ev.priority, ev.tenant
    ), span AS (        -- up to the current month at least: open incidents stay in the backlog
        SELECT min(agg.month) AS first, greatest(max(agg.month), ims.kpi_month(now())) AS last FROM agg
    ), keys AS (
        SELECT DISTINCT agg.service_id, agg.priority, agg.tenant FROM agg
    ), grid AS (
        SELECT m::date AS month, k.service_id, k.priority, k.tenant
          FROM span, keys k, generate_series(span.first::timestamp, span.last::timestamp, interval '1 month') m
    ), filled AS (
        SELECT g.month, g.service_id, g.priority, g.tenant,
               coalesce(a.opened, 0) AS opened, coalesce(a.acked, 0) AS acked,
               coalesce(a.resolved, 0) AS resolved, coalesce(a.reopened, 0) AS reopened,
               sum(coalesce(a.net, 0)) OVER (PARTITION BY g.service_id, g.priority, g.tenant ORDER BY g.month)::int AS backlog,
               coalesce(a.tta, '(0,0)') AS tta, coalesce(a.ttr, '(0,0)') AS ttr,
               coalesce(a.sla_measured, 0) AS sla_measured, coalesce(a.sla_met, 0) AS sla_met
          FROM grid g
          LEFT JOIN agg a ON a.month = g.month AND a.service_id IS NOT DISTINCT FROM g.service_id
                         AND a.priority = g.priority AND a.tenant IS NOT DISTINCT FROM g.tenant
    )
    SELECT f.month, f.service_id, f.priority, f.tenant, f.opened, f.acked, f.resolved, f.backlog,
           f.reopened, f.tta, f.ttr, f.sla_measured, f.sla_met
      FROM filled f
     WHERE f.opened > 0 OR f.acked > 0 OR f.resolved > 0 OR f.backlog <> 0
    $q$, lo_t, lo);
END
$fn$;
-- SECURITY DEFINER so that readers of the view need no privilege on
-- ims.incident: like the views it belongs to, it must be owned by a role
-- that is subject to row-level security (90_security.sql gives it to
-- ims_view_owner), so each reader still sees only their tenants' incidents.
COMMENT ON FUNCTION ims._kpi_incident_months(date) IS 'Monthly incident KPI rows (the columns of ims.kpi_incident_monthly_fact) for every month from lo on, computed from ims.incident (lo NULL: all months); used by ims.refresh_kpis() and the live part of ims.v_incident_kpi_monthly';

-- Where the live part of the view starts: the first month not stored, or the
-- first dirty month when earlier; NULL when nothing is stored (all live).
CREATE FUNCTION ims._kpi_live_from() RETURNS date
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN s.covered_until IS NOT NULL
                THEN least(s.covered_until, (SELECT min(pg_catalog.lower(d.months)) FROM ims.kpi_dirty d)) END
      FROM (SELECT NULL::date) AS dummy
      LEFT JOIN ims.kpi_refresh_state s ON true
$$;
COMMENT ON FUNCTION ims._kpi_live_from() IS 'First month ims.v_incident_kpi_monthly computes live: the month after the stored facts, or the first month an incident change touched since the refresh; NULL when no facts are stored';

CREATE FUNCTION ims.refresh_kpis(full_rebuild bool DEFAULT false) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t0      timestamptz := pg_catalog.clock_timestamp();
    new_wm  date := ims.kpi_month(pg_catalog.now());
    old_wm  date;
    dmin    date;
    lo      date;
    n       bigint := 0;
    n_months int := 0;
BEGIN
    -- One refresh at a time; readers of the views are never blocked.
    LOCK TABLE ims.kpi_refresh_state IN EXCLUSIVE MODE;
    SELECT s.covered_until INTO old_wm FROM ims.kpi_refresh_state s;
    -- Take the dirty marks this snapshot sees; marks of transactions still
    -- running stay and keep their months live until the next refresh.
    WITH d AS (DELETE FROM ims.kpi_dirty x RETURNING x.months)
    SELECT min(pg_catalog.lower(d.months)) INTO dmin FROM d;
    IF full_rebuild OR old_wm IS NULL THEN
        lo := NULL;
    ELSE
        lo := least(old_wm, dmin);
    END IF;
    IF lo IS NULL OR lo < new_wm THEN
        DELETE FROM ims.kpi_incident_monthly_fact f WHERE lo IS NULL OR f.month >= lo;
        INSERT INTO ims.kpi_incident_monthly_fact
        SELECT k.* FROM ims._kpi_incident_months(lo) k WHERE k.month < new_wm;
        GET DIAGNOSTICS n = ROW_COUNT;
        SELECT count(DISTINCT f.month) INTO n_months FROM ims.kpi_incident_monthly_fact f
         WHERE lo IS NULL OR f.month >= lo;
    END IF;
    INSERT INTO ims.kpi_refresh_state AS s (singleton, covered_until, refreshed_at, refresh_ms, fact_rows, months_written)
    VALUES (true, new_wm, pg_catalog.now(),
            EXTRACT(epoch FROM pg_catalog.clock_timestamp() - t0) * 1000, n, n_months)
    ON CONFLICT (singleton) DO UPDATE
       SET covered_until = EXCLUDED.covered_until, refreshed_at = EXCLUDED.refreshed_at,
           refresh_ms = EXCLUDED.refresh_ms, fact_rows = EXCLUDED.fact_rows,
           months_written = EXCLUDED.months_written;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ims.refresh_kpis(bool) IS 'Stores the monthly incident KPIs of every closed month that is new or touched since the last run (all of them with full_rebuild); returns the fact rows written.  Schedule it with pg_cron: cron.schedule(''ims-kpi-refresh'', ''*/15 * * * *'', ''select ims.refresh_kpis()'')';

-- Refreshing is an administrator's (or pg_cron's) job.
REVOKE EXECUTE ON FUNCTION ims.refresh_kpis(bool) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.refresh_kpis(bool) TO ims_admin;

-- Dirty marks: a row trigger that fires only when a KPI column changed (its
-- WHEN clause is checked in C, so state changes between open states, title,
-- assignee ... cost nothing); it records the months the change may have
-- altered, and skips the insert when an existing mark covers them.
CREATE FUNCTION ims._kpi_mark_dirty() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    lo    timestamptz;
    hi    timestamptz;
    unb   bool := false;
    o_end timestamptz;
    n_end timestamptz := coalesce(NEW.resolved_at, NEW.closed_at);
    r     daterange;
BEGIN
    IF ims._bulk_restore() THEN
        RETURN NULL;        -- pg_restore brings the marks along with the rows
    END IF;
    IF TG_OP = 'INSERT' THEN
        lo := least(NEW.opened_at, NEW.acknowledged_at, NEW.resolved_at, NEW.closed_at);
        hi := greatest(NEW.opened_at, NEW.acknowledged_at, NEW.resolved_at, NEW.closed_at);
        unb := n_end IS NULL;
    ELSE
        o_end := coalesce(OLD.resolved_at, OLD.closed_at);
        IF (OLD.service_id, OLD.priority, OLD.tenant, OLD.opened_at)
           IS DISTINCT FROM (NEW.service_id, NEW.priority, NEW.tenant, NEW.opened_at) THEN
            -- moved to another group, or opened at another time: its whole life
            lo := least(OLD.opened_at, NEW.opened_at);
            unb := true;
        END IF;
        IF OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at THEN
            lo := least(lo, OLD.acknowledged_at, NEW.acknowledged_at);
            hi := greatest(hi, OLD.acknowledged_at, NEW.acknowledged_at);
        END IF;
        IF (OLD.resolved_at, o_end, OLD.reopen_count) IS DISTINCT FROM (NEW.resolved_at, n_end, NEW.reopen_count) THEN
            -- resolved, cancelled or reopened: from the earlier end on; up to
            -- now when one side is open (the backlog of every month between)
            lo := least(lo, OLD.resolved_at, NEW.resolved_at, o_end, n_end);
            hi := greatest(hi, OLD.resolved_at, NEW.resolved_at, o_end, n_end, OLD.opened_at, NEW.opened_at);
            unb := unb OR o_end IS NULL OR n_end IS NULL;
        END IF;
    END IF;
    IF lo IS NULL THEN
        RETURN NULL;
    END IF;
    r := pg_catalog.daterange(ims.kpi_month(lo),
                              CASE WHEN unb OR hi IS NULL THEN NULL
                                   ELSE (ims.kpi_month(hi) + interval '1 month')::date END);
    IF NOT EXISTS (SELECT 1 FROM ims.kpi_dirty d WHERE d.months @> r) THEN
        INSERT INTO ims.kpi_dirty (months) VALUES (r);
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ims._kpi_mark_dirty() IS 'Row trigger of ims.incident (fired only when a KPI column changed): records in ims.kpi_dirty the KPI months the change touched';

CREATE TRIGGER incident_95_kpi_insert AFTER INSERT ON ims.incident
    FOR EACH ROW EXECUTE FUNCTION ims._kpi_mark_dirty();
CREATE TRIGGER incident_95_kpi_update AFTER UPDATE ON ims.incident
    FOR EACH ROW
    WHEN ((OLD.service_id, OLD.priority, OLD.tenant, OLD.opened_at, OLD.acknowledged_at, OLD.resolved_at,
           coalesce(OLD.resolved_at, OLD.closed_at), OLD.reopen_count)
          IS DISTINCT FROM
          (NEW.service_id, NEW.priority, NEW.tenant, NEW.opened_at, NEW.acknowledged_at, NEW.resolved_at,
           coalesce(NEW.resolved_at, NEW.closed_at), NEW.reopen_count))
    EXECUTE FUNCTION ims._kpi_mark_dirty();

-- A stored month's SLA compliance changes when a resolved incident's clocks
-- change (ims.sla_rebuild after a policy edit, a policy deleted): mark the
-- month it was resolved in.
CREATE FUNCTION ims._kpi_mark_dirty_sla() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    res timestamptz;
    r   daterange;
BEGIN
    IF ims._bulk_restore() THEN
        RETURN NULL;
    END IF;
    SELECT i.resolved_at INTO res FROM ims.incident i
     WHERE i.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.incident_id ELSE NEW.incident_id END;
    IF res IS NULL THEN
        RETURN NULL;        -- not resolved: no stored month counts it
    END IF;
    r := pg_catalog.daterange(ims.kpi_month(res), (ims.kpi_month(res) + interval '1 month')::date);
    IF NOT EXISTS (SELECT 1 FROM ims.kpi_dirty d WHERE d.months @> r) THEN
        INSERT INTO ims.kpi_dirty (months) VALUES (r);
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ims._kpi_mark_dirty_sla() IS 'Row trigger of ims.incident_sla: a changed SLA outcome of a resolved incident marks its resolution month in ims.kpi_dirty';

CREATE TRIGGER incident_sla_kpi_insert_delete AFTER INSERT OR DELETE ON ims.incident_sla
    FOR EACH ROW EXECUTE FUNCTION ims._kpi_mark_dirty_sla();
CREATE TRIGGER incident_sla_kpi_update AFTER UPDATE ON ims.incident_sla
    FOR EACH ROW WHEN (OLD.breached_at IS DISTINCT FROM NEW.breached_at OR OLD.policy_id IS DISTINCT FROM NEW.policy_id)
    EXECUTE FUNCTION ims._kpi_mark_dirty_sla();

-- ---------------------------------------------------------------------------
-- ims.v_incident

CREATE VIEW ims.v_incident AS
SELECT i.id AS incident_id,
       i.number,
       i.title,
       i.state,
       ws.category AS state_category,
       (ws.category IN ('open', 'paused')) AS is_open,
       i.priority,
       i.impact,
       i.urgency,
       i.service_id,
       s.name AS service_name,
       i.ci_id,
       c.name AS ci_name,
       c.class AS ci_class,
       i.assignment_group,
       i.assignee,
       i.category,
       i.tenant,
       i.opened_at,
       i.acknowledged_at,
       i.resolved_at,
       i.closed_at,
       ims.kpi_month(i.opened_at) AS opened_month,
       ims.kpi_month(i.resolved_at) AS resolved_month,
       ims.hours(i.acknowledged_at - i.opened_at) AS time_to_acknowledge_hours,
       ims.hours(i.resolved_at - i.opened_at) AS time_to_resolve_hours,
       ims.hours(i.closed_at - i.opened_at) AS time_to_close_hours,
       i.reopen_count,
       (i.reopen_count > 0) AS was_reopened,
       i.resolution_code,
       i.outage_kind,
       (SELECT ims.hours(ims.downtime(o.period)) FROM ims.outage o
         WHERE o.incident_id = i.id AND o.kind = 'outage' AND NOT pg_catalog.upper_inf(o.period)) AS outage_hours,
       (SELECT count(*) FROM ims.problem_incident pi WHERE pi.incident_id = i.id)::int AS problem_count,
       sla.sla_count,
       sla.response_breached,
       sla.resolution_breached,
       sla.sla_breached,
       sla.resolution_due_at
  FROM ims.incident i
  LEFT JOIN LATERAL (
        -- breached: the breach was seen (breached_at), or a running clock is past due
        SELECT count(*)::int AS sla_count,
               bool_or(b.breached) FILTER (WHERE p.metric = 'response') AS response_breached,
               bool_or(b.breached) FILTER (WHERE p.metric = 'resolution') AS resolution_breached,
               bool_or(b.breached) FILTER (WHERE p.agreement = 'sla') AS sla_breached,
               min(s.due_at) FILTER (WHERE p.metric = 'resolution') AS resolution_due_at
          FROM ims.incident_sla s
          JOIN ims.sla_policy p ON p.id = s.policy_id
         CROSS JOIN LATERAL (SELECT (s.breached_at IS NOT NULL OR coalesce(s.due_at <= pg_catalog.now(), false)) AS breached) b
         WHERE s.incident_id = i.id) sla ON true
  LEFT JOIN ims.workflow_state ws ON ws.workflow = 'incident' AND ws.state = i.state
  LEFT JOIN ims.ci s ON s.id = i.service_id
  LEFT JOIN ims.ci c ON c.id = i.ci_id;
COMMENT ON VIEW ims.v_incident IS 'One flat row per incident for BI tools: names instead of ids, durations in hours, flags';
COMMENT ON COLUMN ims.v_incident.incident_id IS 'ims.incident.id';
COMMENT ON COLUMN ims.v_incident.number IS 'Incident number (INC0000001)';
COMMENT ON COLUMN ims.v_incident.title IS 'Short description';
COMMENT ON COLUMN ims.v_incident.state IS 'Current state on the incident workflow';
COMMENT ON COLUMN ims.v_incident.state_category IS 'Category of the state: open, paused, resolved, closed or cancelled';
COMMENT ON COLUMN ims.v_incident.is_open IS 'true while the incident is being worked or waits (category open or paused)';
COMMENT ON COLUMN ims.v_incident.priority IS '1 (critical) to 5 (planning)';
COMMENT ON COLUMN ims.v_incident.impact IS '1 (high) to 3 (low)';
COMMENT ON COLUMN ims.v_incident.urgency IS '1 (high) to 3 (low)';
COMMENT ON COLUMN ims.v_incident.service_id IS 'Affected business service (ims.ci.id), NULL when not recorded';
COMMENT ON COLUMN ims.v_incident.service_name IS 'Name of the affected business service';
COMMENT ON COLUMN ims.v_incident.ci_id IS 'Configuration item at fault (ims.ci.id), NULL when not recorded';
COMMENT ON COLUMN ims.v_incident.ci_name IS 'Name of the configuration item at fault';
COMMENT ON COLUMN ims.v_incident.ci_class IS 'Class of the configuration item at fault';
COMMENT ON COLUMN ims.v_incident.assignment_group IS 'Group working the incident';
COMMENT ON COLUMN ims.v_incident.assignee IS 'Person working the incident';
COMMENT ON COLUMN ims.v_incident.category IS 'Category given by the caller or agent';
COMMENT ON COLUMN ims.v_incident.tenant IS 'Tenant owning the incident';
COMMENT ON COLUMN ims.v_incident.opened_at IS 'When the incident was opened';
COMMENT ON COLUMN ims.v_incident.acknowledged_at IS 'When it first left state new';
COMMENT ON COLUMN ims.v_incident.resolved_at IS 'When it was resolved (NULL while open or after a reopen)';
COMMENT ON COLUMN ims.v_incident.closed_at IS 'When it was closed or cancelled';
COMMENT ON COLUMN ims.v_incident.opened_month IS 'First day of the UTC month it was opened in';
COMMENT ON COLUMN ims.v_incident.resolved_month IS 'First day of the UTC month it was resolved in';
COMMENT ON COLUMN ims.v_incident.time_to_acknowledge_hours IS 'acknowledged_at - opened_at in hours (2 decimals), NULL until acknowledged';
COMMENT ON COLUMN ims.v_incident.time_to_resolve_hours IS 'resolved_at - opened_at in hours (2 decimals), NULL until resolved';
COMMENT ON COLUMN ims.v_incident.time_to_close_hours IS 'closed_at - opened_at in hours (2 decimals), NULL until closed or cancelled';
COMMENT ON COLUMN ims.v_incident.reopen_count IS 'How often it was reopened';
COMMENT ON COLUMN ims.v_incident.was_reopened IS 'true when reopened at least once';
COMMENT ON COLUMN ims.v_incident.resolution_code IS 'How it was resolved';
COMMENT ON COLUMN ims.v_incident.outage_kind IS 'outage or degradation when the incident records one in ims.outage, else NULL';
COMMENT ON COLUMN ims.v_incident.outage_hours IS 'Length in hours of the union of the ended outages (kind outage) the incident recorded; NULL when none';
COMMENT ON COLUMN ims.v_incident.problem_count IS 'Number of problems linked to the incident (ims.problem_incident)';
COMMENT ON COLUMN ims.v_incident.sla_count IS 'SLA, OLA and UC clocks running, paused or stopped for the incident (ims.incident_sla)';
COMMENT ON COLUMN ims.v_incident.response_breached IS 'true when a response clock is breached (seen, or running past due now); NULL without response clocks';
COMMENT ON COLUMN ims.v_incident.resolution_breached IS 'true when a resolution clock is breached (seen, or running past due now); NULL without resolution clocks';
COMMENT ON COLUMN ims.v_incident.sla_breached IS 'true when any clock of an SLA (agreement sla, not OLA or UC) is breached; NULL without SLA clocks';
COMMENT ON COLUMN ims.v_incident.resolution_due_at IS 'Earliest due time of the running resolution clocks; NULL when none runs';

-- ---------------------------------------------------------------------------
-- ims.v_incident_kpi_monthly

CREATE VIEW ims.v_incident_kpi_monthly AS
WITH live AS (SELECT ims._kpi_live_from() AS live_from),
k AS (
    SELECT f.month, f.service_id, f.priority, f.tenant, f.opened_count, f.acknowledged_count,
           f.resolved_count, f.backlog_count, f.reopened_count, f.tta_state, f.ttr_state,
           f.sla_measured_count, f.sla_met_count
      FROM ims.kpi_incident_monthly_fact f, live
     WHERE f.month < live.live_from
    UNION ALL
    SELECT m.month, m.service_id, m.priority, m.tenant, m.opened_count, m.acknowledged_count,
           m.resolved_count, m.backlog_count, m.reopened_count, m.tta_state, m.ttr_state,
           m.sla_measured_count, m.sla_met_count
      FROM live, ims._kpi_incident_months(live.live_from) m
)
SELECT k.month,
       k.service_id,
       s.name AS service_name,
       k.priority,
       k.tenant,
       k.opened_count,
       k.acknowledged_count,
       k.resolved_count,
       k.backlog_count,
       k.reopened_count,
       ims.hours(ims.mean_state_mean(k.ttr_state)) AS mttr_hours,
       ims.hours(ims.mean_state_mean(k.tta_state)) AS mtta_hours,
       CASE WHEN k.resolved_count > 0
            THEN pg_catalog.round(100.0 * k.reopened_count / k.resolved_count, 2) END AS reopen_rate_pct,
       k.sla_measured_count,
       k.sla_met_count,
       CASE WHEN k.sla_measured_count > 0
            THEN pg_catalog.round(100.0 * k.sla_met_count / k.sla_measured_count, 2) END AS sla_compliance_pct
  FROM k
  LEFT JOIN ims.ci s ON s.id = k.service_id;
COMMENT ON VIEW ims.v_incident_kpi_monthly IS 'Incident KPIs per UTC month, service, priority and tenant: closed months are read from the facts ims.refresh_kpis() stores, the rest is computed live, so the view is always exact';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.service_id IS 'Business service (ims.ci.id); NULL groups incidents without a service';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.service_name IS 'Name of the business service';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.priority IS 'Incident priority, 1 (critical) to 5 (planning), as it is now';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.tenant IS 'Tenant owning the incidents';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.opened_count IS 'Incidents opened in the month';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.acknowledged_count IS 'Incidents acknowledged (first left new) in the month; the base of mtta_hours';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.resolved_count IS 'Incidents resolved in the month (by their current resolved_at); the base of mttr_hours and reopen_rate_pct';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.backlog_count IS 'Incidents open at the end of the month: opened before it and not resolved or cancelled before it';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.reopened_count IS 'Incidents resolved in the month that had been reopened at least once';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.mttr_hours IS 'Mean time to resolve in hours (ims.mttr of opened_at, resolved_at over incidents resolved in the month); NULL when none';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.mtta_hours IS 'Mean time to acknowledge in hours (ims.mtta of opened_at, acknowledged_at over incidents acknowledged in the month); NULL when none';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.reopen_rate_pct IS '100 * reopened_count / resolved_count; NULL when nothing was resolved';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.sla_measured_count IS 'Incidents resolved in the month that had at least one SLA clock (a policy with agreement sla): the base of sla_compliance_pct';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.sla_met_count IS 'Of those, incidents none of whose SLA clocks was breached';
COMMENT ON COLUMN ims.v_incident_kpi_monthly.sla_compliance_pct IS '100 * sla_met_count / sla_measured_count; NULL when no resolved incident had an SLA';

-- ---------------------------------------------------------------------------
-- ims.v_service_availability_monthly

CREATE VIEW ims.v_service_availability_monthly AS
WITH RECURSIVE svc_class(name) AS (
    SELECT 'business_service'::text
    UNION
    SELECT c.name FROM ims.ci_class c JOIN svc_class p ON c.parent = p.name
), svc AS (
    SELECT c.id, c.name, c.tenant FROM ims.ci c WHERE c.class IN (SELECT name FROM svc_class)
), outage_ci AS (
    SELECT DISTINCT o.ci_id FROM ims.outage o
), hits AS (        -- which services each outage CI takes down (itself, when a service)
    SELECT oc.ci_id, x.ci_id AS service_id
      FROM outage_ci oc CROSS JOIN LATERAL ims.impacted_services(ARRAY[oc.ci_id]) x
), svc_outage AS (
    SELECT h.service_id, o.id, o.period, o.kind
      FROM hits h JOIN ims.outage o ON o.ci_id = h.ci_id
), incidents AS (
    SELECT k.service_id, k.month, sum(k.opened_count)::int AS n
      FROM ims.v_incident_kpi_monthly k
     WHERE k.service_id IN (SELECT id FROM svc)
     GROUP BY k.service_id, k.month
), span AS (
    SELECT least((SELECT min(ims.kpi_month(pg_catalog.lower(so.period))) FROM svc_outage so),
                 (SELECT min(i.month) FROM incidents i)) AS first,
           ims.kpi_month(pg_catalog.now()) AS last
), months AS (
    SELECT m::date AS month,
           pg_catalog.tstzrange(ims.kpi_month_start(m::date),
                                least(ims.kpi_month_start((m + interval '1 month')::date), pg_catalog.now())) AS period
      FROM span, generate_series(span.first::timestamp, span.last::timestamp, interval '1 month') m
     WHERE ims.kpi_month_start(m::date) < pg_catalog.now()
)
SELECT s.id AS service_id,
       s.name AS service_name,
       s.tenant,
       m.month,
       ims.hours(pg_catalog.upper(m.period) - pg_catalog.lower(m.period)) AS period_hours,
       pg_catalog.round((100 * ims.availability(CASE WHEN o.kind = 'outage' THEN o.period END, m.period))::numeric, 4) AS availability_pct,
       coalesce(ims.hours(ims.downtime(o.period * m.period) FILTER (WHERE o.kind = 'outage')), 0.00) AS downtime_hours,
       ims.hours(ims.mtbf(CASE WHEN o.kind = 'outage' THEN o.period END, m.period)) AS mtbf_hours,
       (count(DISTINCT o.id) FILTER (WHERE o.kind = 'outage'))::int AS outage_count,
       coalesce(ims.hours(ims.downtime(o.period * m.period) FILTER (WHERE o.kind = 'degradation')), 0.00) AS degradation_hours,
       coalesce(ims.hours(ims.downtime(o.period * m.period) FILTER (WHERE o.kind = 'planned')), 0.00) AS planned_hours,
       coalesce((SELECT i.n FROM incidents i WHERE i.service_id = s.id AND i.month = m.month), 0) AS incident_count
  FROM svc s
 CROSS JOIN months m
  LEFT JOIN svc_outage o ON o.service_id = s.id AND o.period && m.period
 GROUP BY s.id, s.name, s.tenant, m.month, m.period;
COMMENT ON VIEW ims.v_service_availability_monthly IS 'Availability of every business service per UTC month, from the first month with an outage or incident up to the current month (counted up to now): outages recorded on the service or on a CI whose failure alone impacts it (ims.impacted_services, honouring min_up)';
COMMENT ON COLUMN ims.v_service_availability_monthly.service_id IS 'The business service (ims.ci.id)';
COMMENT ON COLUMN ims.v_service_availability_monthly.service_name IS 'Its name';
COMMENT ON COLUMN ims.v_service_availability_monthly.tenant IS 'Tenant owning the service CI';
COMMENT ON COLUMN ims.v_service_availability_monthly.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.v_service_availability_monthly.period_hours IS 'Hours measured: the whole month, or up to now for the current month';
COMMENT ON COLUMN ims.v_service_availability_monthly.availability_pct IS '100 * ims.availability over the outages (kind outage only) in the period, 4 decimals; 100 without outages';
COMMENT ON COLUMN ims.v_service_availability_monthly.downtime_hours IS 'Hours down in the period (ims.downtime: overlapping outages count once)';
COMMENT ON COLUMN ims.v_service_availability_monthly.mtbf_hours IS 'Mean time between failures in hours (ims.mtbf: up time / merged failures); NULL without failures';
COMMENT ON COLUMN ims.v_service_availability_monthly.outage_count IS 'Outage records (kind outage) overlapping the period, before merging overlaps';
COMMENT ON COLUMN ims.v_service_availability_monthly.degradation_hours IS 'Hours degraded in the period (kind degradation; not counted against availability)';
COMMENT ON COLUMN ims.v_service_availability_monthly.planned_hours IS 'Hours of planned outage in the period (kind planned; not counted against availability)';
COMMENT ON COLUMN ims.v_service_availability_monthly.incident_count IS 'Incidents opened against the service (service_id) in the month';

-- ---------------------------------------------------------------------------
-- ims.v_ci_impact

CREATE VIEW ims.v_ci_impact AS
SELECT c.id AS ci_id,
       c.name AS ci_name,
       c.class AS ci_class,
       c.status AS ci_status,
       c.criticality,
       c.tenant,
       imp.dependent_count,
       svc.impacted_service_count,
       svc.impacted_services,
       (SELECT count(*) FROM ims.incident i
         WHERE i.ci_id = c.id AND coalesce(i.resolved_at, i.closed_at) IS NULL)::int AS open_incident_count,
       (SELECT count(*) FROM ims.problem p
         WHERE p.ci_id = c.id AND p.resolved_at IS NULL AND p.closed_at IS NULL)::int AS open_problem_count,
       EXISTS (SELECT 1 FROM ims.outage o
                WHERE o.ci_id = c.id AND o.kind = 'outage' AND pg_catalog.upper_inf(o.period)) AS in_outage
  FROM ims.ci c
 CROSS JOIN LATERAL (SELECT (count(*) FILTER (WHERE x.depth > 0))::int AS dependent_count
                       FROM ims.impacted(ARRAY[c.id]) x) imp
 CROSS JOIN LATERAL (SELECT count(*)::int AS impacted_service_count,
                            pg_catalog.string_agg(sc.name, ', ' ORDER BY sc.name) AS impacted_services
                       FROM ims.impacted_services(ARRAY[c.id]) y JOIN ims.ci sc ON sc.id = y.ci_id) svc;
COMMENT ON VIEW ims.v_ci_impact IS 'Per CI: how much depends on it (ims.impacted, honouring min_up), which business services its failure takes down, and its open incidents and problems; filter by ci_id for speed (each row walks the graph)';
COMMENT ON COLUMN ims.v_ci_impact.ci_id IS 'ims.ci.id';
COMMENT ON COLUMN ims.v_ci_impact.ci_name IS 'CI name';
COMMENT ON COLUMN ims.v_ci_impact.ci_class IS 'CI class';
COMMENT ON COLUMN ims.v_ci_impact.ci_status IS 'CI status (operational, degraded, down, ...)';
COMMENT ON COLUMN ims.v_ci_impact.criticality IS 'CI criticality 1 (highest) to 5';
COMMENT ON COLUMN ims.v_ci_impact.tenant IS 'Tenant owning the CI (NULL: shared)';
COMMENT ON COLUMN ims.v_ci_impact.dependent_count IS 'CIs that would be impacted if this CI failed alone (not counting itself)';
COMMENT ON COLUMN ims.v_ci_impact.impacted_service_count IS 'Business services impacted if this CI failed alone (a service counts itself)';
COMMENT ON COLUMN ims.v_ci_impact.impacted_services IS 'Their names, comma-separated, in name order; NULL when none';
COMMENT ON COLUMN ims.v_ci_impact.open_incident_count IS 'Incidents on this CI (ci_id) neither resolved nor closed';
COMMENT ON COLUMN ims.v_ci_impact.open_problem_count IS 'Problems on this CI (ci_id) neither resolved nor closed';
COMMENT ON COLUMN ims.v_ci_impact.in_outage IS 'true while an outage (kind outage) of this CI is open';

-- ---------------------------------------------------------------------------
-- ims.v_change_kpi_monthly (changes are few: computed live)

CREATE VIEW ims.v_change_kpi_monthly AS
WITH ev AS (
    SELECT ims.kpi_month(c.created_at) AS month, c.tenant, 'requested'::text AS kind, c.type, c.outcome,
           NULL::timestamptz AS a, NULL::timestamptz AS b
      FROM ims.change_request c
    UNION ALL
    SELECT ims.kpi_month(pg_catalog.lower(c.actual)), c.tenant, 'started', c.type, c.outcome,
           c.created_at, pg_catalog.lower(c.actual)
      FROM ims.change_request c
     WHERE c.actual IS NOT NULL AND pg_catalog.lower(c.actual) > '-infinity' AND pg_catalog.lower(c.actual) < 'infinity'
    UNION ALL
    SELECT ims.kpi_month(pg_catalog.upper(c.actual)), c.tenant, 'completed', c.type, c.outcome,
           pg_catalog.lower(c.actual), pg_catalog.upper(c.actual)
      FROM ims.change_request c
     WHERE c.outcome IS NOT NULL AND c.actual IS NOT NULL AND NOT pg_catalog.upper_inf(c.actual)
       AND pg_catalog.lower(c.actual) > '-infinity' AND pg_catalog.upper(c.actual) < 'infinity'
), agg AS (
    SELECT ev.month, ev.tenant,
           count(*) FILTER (WHERE ev.kind = 'requested')::int AS requested_count,
           count(*) FILTER (WHERE ev.kind = 'requested' AND ev.type = 'standard')::int AS standard_count,
           count(*) FILTER (WHERE ev.kind = 'requested' AND ev.type = 'normal')::int AS normal_count,
           count(*) FILTER (WHERE ev.kind = 'requested' AND ev.type = 'emergency')::int AS emergency_count,
           count(*) FILTER (WHERE ev.kind = 'started')::int AS implemented_count,
           ims.mttr(ev.a, ev.b) FILTER (WHERE ev.kind = 'started') AS lead_time,
           count(*) FILTER (WHERE ev.kind = 'completed')::int AS completed_count,
           count(*) FILTER (WHERE ev.kind = 'completed' AND ev.outcome = 'successful')::int AS successful_count,
           count(*) FILTER (WHERE ev.kind = 'completed' AND ev.outcome = 'failed')::int AS failed_count,
           count(*) FILTER (WHERE ev.kind = 'completed' AND ev.outcome = 'backed_out')::int AS backed_out_count,
           ims.mttr(ev.a, ev.b) FILTER (WHERE ev.kind = 'completed') AS implementation
      FROM ev
     GROUP BY ev.month, ev.tenant
)
SELECT agg.month,
       agg.tenant,
       agg.requested_count,
       agg.standard_count,
       agg.normal_count,
       agg.emergency_count,
       CASE WHEN agg.requested_count > 0
            THEN pg_catalog.round(100.0 * agg.emergency_count / agg.requested_count, 2) END AS emergency_ratio_pct,
       agg.implemented_count,
       ims.hours(agg.lead_time) AS lead_time_hours,
       agg.completed_count,
       agg.successful_count,
       agg.failed_count,
       agg.backed_out_count,
       CASE WHEN agg.completed_count > 0
            THEN pg_catalog.round(100.0 * agg.successful_count / agg.completed_count, 2) END AS success_rate_pct,
       ims.hours(agg.implementation) AS implementation_hours
  FROM agg;
COMMENT ON VIEW ims.v_change_kpi_monthly IS 'Change KPIs per UTC month and tenant: requests by type and the emergency ratio (by request month), lead time (by implementation start month), success rate and implementation time (by completion month)';
COMMENT ON COLUMN ims.v_change_kpi_monthly.month IS 'First day of the UTC calendar month';
COMMENT ON COLUMN ims.v_change_kpi_monthly.tenant IS 'Tenant owning the changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.requested_count IS 'Changes requested (created_at) in the month';
COMMENT ON COLUMN ims.v_change_kpi_monthly.standard_count IS 'Of those, standard (pre-approved) changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.normal_count IS 'Of those, normal changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.emergency_count IS 'Of those, emergency changes';
COMMENT ON COLUMN ims.v_change_kpi_monthly.emergency_ratio_pct IS '100 * emergency_count / requested_count; NULL when nothing was requested';
COMMENT ON COLUMN ims.v_change_kpi_monthly.implemented_count IS 'Changes whose implementation started (lower(actual)) in the month; the base of lead_time_hours';
COMMENT ON COLUMN ims.v_change_kpi_monthly.lead_time_hours IS 'Mean lead time in hours from request (created_at) to the start of implementation (lower(actual)), over changes started in the month';
COMMENT ON COLUMN ims.v_change_kpi_monthly.completed_count IS 'Changes whose implementation ended (upper(actual)) in the month with an outcome; the base of success_rate_pct';
COMMENT ON COLUMN ims.v_change_kpi_monthly.successful_count IS 'Of those, outcome successful';
COMMENT ON COLUMN ims.v_change_kpi_monthly.failed_count IS 'Of those, outcome failed';
COMMENT ON COLUMN ims.v_change_kpi_monthly.backed_out_count IS 'Of those, outcome backed_out';
COMMENT ON COLUMN ims.v_change_kpi_monthly.success_rate_pct IS '100 * successful_count / completed_count; NULL when nothing was completed';
COMMENT ON COLUMN ims.v_change_kpi_monthly.implementation_hours IS 'Mean length in hours of the implementation windows (actual) completed in the month';

-- ---------------------------------------------------------------------------
-- Readers.  (90_security.sql gives the views and ims._kpi_incident_months to
-- ims_view_owner, which is subject to row-level security.)
GRANT SELECT ON ims.v_incident, ims.v_incident_kpi_monthly, ims.v_service_availability_monthly,
                ims.v_ci_impact, ims.v_change_kpi_monthly TO ims_reader;
-- The impact functions in v_ci_impact and v_service_availability_monthly read
-- the CMDB with the reader's rights (the same grant 90_security.sql makes).
GRANT SELECT ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation,
                ims.ci_history, ims.ci_relation_history, ims.graph_version TO ims_reader;

-- ---- src/sql/90_security.sql ----
-- 90_security.sql — privileges, tenants and row-level security (SPEC section 10).
-- Runs last in the install script, so every object of the other pieces exists.

-- ---------------------------------------------------------------------------
-- Policy (doc/security.md has the full matrix and the reasoning):
--  * Every table, view, sequence and function gets an explicit decision here.
--    test/pgtap/93_privileges.sql holds the expected ACL of every ims object
--    and fails when an object appears that this file does not decide on.
--  * Roles: ims_reader reads the BI views and the reference data (CMDB,
--    classes, relation types); ims_agent works incidents and problems;
--    ims_change_manager approves and schedules changes; ims_admin configures.
--    History tables are append-only: no role gets UPDATE, DELETE or TRUNCATE.
--  * Views are owned by ims_view_owner, a NOLOGIN role that holds SELECT on the
--    tables and is subject to row-level security, so a view does not leak rows
--    through its owner's rights (an owner that is a superuser would bypass
--    RLS) while readers need no privilege on the tables behind it.
--  * Row-level security on the tenant tables uses ims.current_tenants(): the
--    tenants of the role that runs the query (after SET ROLE), or NULL (= all)
--    when no tenant is configured at all (single-tenant install) or the role
--    belongs to a role mapped to the tenant '*'.
-- ---------------------------------------------------------------------------

-- The owner of every ims view.  Nobody logs in as it and nobody should be
-- granted it: membership would give its members the owner's rights on views.
DO $owner$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ims_view_owner') THEN
        CREATE ROLE ims_view_owner NOLOGIN;
    END IF;
END
$owner$;
COMMENT ON ROLE ims_view_owner IS 'ims: owns the BI views; subject to row-level security so views filter by the querying role''s tenants (grant it to no one)';
GRANT USAGE ON SCHEMA ims TO ims_view_owner;

-- ---------------------------------------------------------------------------
-- Tenants.

CREATE TABLE ims.tenant_member (
    role   name NOT NULL CHECK (role <> ''),
    tenant text NOT NULL CHECK (tenant <> ''),
    PRIMARY KEY (role, tenant)
);
COMMENT ON TABLE ims.tenant_member IS 'Tenant membership: every role that is a member of role (directly or through other roles) sees and changes the rows of tenant; tenant ''*'' means all tenants.  Empty: single-tenant install, no row filtering.';
COMMENT ON COLUMN ims.tenant_member.role IS 'A role name (usually a NOLOGIN group role granted to the tenant''s login roles); rows naming roles that do not exist are ignored.';
COMMENT ON COLUMN ims.tenant_member.tenant IS 'The tenant key used in the tenant columns of ims.ci, ims.incident, ims.problem and ims.change_request, or ''*'' for every tenant.';
SELECT pg_catalog.pg_extension_config_dump('ims.tenant_member', '');

-- The querying role: the role set by SET ROLE, else the session user.  This
-- is the same role that current_user names outside SECURITY DEFINER
-- functions, and it is what row-level security must look at even when the
-- query runs inside a view owned by ims_view_owner.
CREATE FUNCTION ims.current_tenants() RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH me AS (
        SELECT CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none'
                    THEN pg_catalog.session_user()::pg_catalog.name
                    ELSE pg_catalog.current_setting('role')::pg_catalog.name END AS who
    ), mine AS (
        SELECT m.tenant
          FROM ims.tenant_member m
          JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role
         CROSS JOIN me
         WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles u
                        WHERE u.rolname OPERATOR(pg_catalog.=) me.who
                          AND pg_catalog.pg_has_role(u.oid, r.oid, 'MEMBER'))
    )
    SELECT CASE
             WHEN NOT EXISTS (SELECT 1 FROM ims.tenant_member) THEN NULL
             -- roles that bypass row-level security on the tables see every
             -- tenant through views and functions too
             WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles u CROSS JOIN me
                           WHERE u.rolname OPERATOR(pg_catalog.=) me.who AND (u.rolsuper OR u.rolbypassrls)) THEN NULL
             WHEN EXISTS (SELECT 1 FROM mine WHERE tenant OPERATOR(pg_catalog.=) '*') THEN NULL
             ELSE ARRAY(SELECT DISTINCT tenant FROM mine ORDER BY 1)
           END
$$;
COMMENT ON FUNCTION ims.current_tenants() IS 'Tenants whose rows the querying role (SET ROLE, else the session user) may see: NULL means every tenant (no tenant configured, a superuser or BYPASSRLS role, or a member of a role mapped to ''*''); an empty array means none (only shared CIs).';

CREATE FUNCTION ims.default_tenant() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN pg_catalog.cardinality(t) OPERATOR(pg_catalog.=) 1 THEN t[1] END
      FROM ims.current_tenants() AS t
$$;
COMMENT ON FUNCTION ims.default_tenant() IS 'Default of the tenant columns: the querying role''s tenant when it belongs to exactly one, else NULL.';

-- Who manages the tenant map: unrestricted members of ims_admin (no tenant
-- configured yet, or mapped to '*').  Everyone may read the rows that concern
-- a role they belong to.
ALTER TABLE ims.tenant_member ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_member_read ON ims.tenant_member FOR SELECT
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                       WHERE r.rolname = tenant_member.role
                         AND pg_catalog.pg_has_role(r.oid, 'MEMBER')));
CREATE POLICY tenant_member_insert ON ims.tenant_member FOR INSERT
    WITH CHECK ((SELECT ims.current_tenants()) IS NULL);
CREATE POLICY tenant_member_update ON ims.tenant_member FOR UPDATE
    USING ((SELECT ims.current_tenants()) IS NULL) WITH CHECK ((SELECT ims.current_tenants()) IS NULL);
CREATE POLICY tenant_member_delete ON ims.tenant_member FOR DELETE
    USING ((SELECT ims.current_tenants()) IS NULL);

-- ---------------------------------------------------------------------------
-- Row-level security on the CMDB.  A CI with tenant NULL is shared
-- infrastructure: every role reads it, only unrestricted roles change it.

ALTER TABLE ims.ci ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.ci ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_tenant_read ON ims.ci FOR SELECT
    USING (tenant IS NULL OR (SELECT ims.current_tenants()) IS NULL
           OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
CREATE POLICY ci_tenant_insert ON ims.ci FOR INSERT
    WITH CHECK ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
CREATE POLICY ci_tenant_update ON ims.ci FOR UPDATE
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]))
    WITH CHECK ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
CREATE POLICY ci_tenant_delete ON ims.ci FOR DELETE
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));

-- A relation is visible when both of its CIs are (the subqueries on ims.ci
-- are themselves filtered by the policies above).
ALTER TABLE ims.ci_relation ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_relation_tenant ON ims.ci_relation
    USING ((SELECT ims.current_tenants()) IS NULL
           OR (EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation.source_id)
               AND EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation.target_id)));

-- CMDB history: a version of a CI is visible like the CI was (tenant NULL:
-- shared); a relation's history when both CIs are visible now.
ALTER TABLE ims.ci_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_history_tenant ON ims.ci_history FOR SELECT
    USING (tenant IS NULL OR (SELECT ims.current_tenants()) IS NULL
           OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.ci_relation_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY ci_relation_history_tenant ON ims.ci_relation_history FOR SELECT
    USING ((SELECT ims.current_tenants()) IS NULL
           OR (EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation_history.source_id)
               AND EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = ci_relation_history.target_id)));

-- The graph functions read the CMDB through SPI with the caller's rights, so
-- row-level security applies to the graph they build; their per-backend cache
-- is keyed on the reading role too (src/graph.c).  A change to the tenant map
-- marks the graph as changed so no cached graph outlives it.
CREATE TRIGGER graph_touch BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.tenant_member
    FOR EACH STATEMENT EXECUTE FUNCTION ims.graph_touch();

-- Trigger functions that write history or the graph version run as the
-- extension owner: no role gets INSERT on a history table (history cannot be
-- forged) nor UPDATE on ims.graph_version.  They take no arguments; the
-- search_path is pinned.
ALTER FUNCTION ims.graph_touch() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ims.ci_versioning() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ims.ci_relation_versioning() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Incidents.  tenant NULL: an incident of the provider itself, visible to
-- unrestricted roles only (a tenant never sees an incident nobody assigned to
-- it).  History rows are visible with their incident.
ALTER TABLE ims.incident ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_tenant ON ims.incident
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.incident_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_event_tenant ON ims.incident_event FOR SELECT
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = incident_event.incident_id));

-- SLA clocks and their events: visible with their incident.
ALTER TABLE ims.incident_sla ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_sla_tenant ON ims.incident_sla
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = incident_sla.incident_id));
ALTER TABLE ims.sla_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY sla_event_tenant ON ims.sla_event
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = sla_event.incident_id));

-- Problems: like incidents.  A link between a problem and an incident is
-- visible when both are.
ALTER TABLE ims.problem ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.problem ENABLE ROW LEVEL SECURITY;
CREATE POLICY problem_tenant ON ims.problem
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.problem_incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY problem_incident_tenant ON ims.problem_incident
    USING ((SELECT ims.current_tenants()) IS NULL
           OR (EXISTS (SELECT 1 FROM ims.problem p WHERE p.id = problem_incident.problem_id)
               AND EXISTS (SELECT 1 FROM ims.incident i WHERE i.id = problem_incident.incident_id)));

-- Outages: visible with their CI (an outage of a shared CI is everyone's
-- news); written by the incident trigger (definer) and by admins.
ALTER TABLE ims.outage ENABLE ROW LEVEL SECURITY;
CREATE POLICY outage_tenant ON ims.outage
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = outage.ci_id));

-- Changes: like incidents; their CIs and votes are visible with the change.
-- The conflict rules (ims.change_conflicts_of, ims.change_busy) are SECURITY
-- DEFINER on purpose: a collision with another tenant's change on a shared CI
-- must block, even though the requester cannot see that change.
ALTER TABLE ims.change_request ALTER COLUMN tenant SET DEFAULT ims.default_tenant();
ALTER TABLE ims.change_request ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_request_tenant ON ims.change_request
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER TABLE ims.change_ci ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_ci_tenant ON ims.change_ci
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.change_request r WHERE r.id = change_ci.change_id));
ALTER TABLE ims.change_approval ENABLE ROW LEVEL SECURITY;
CREATE POLICY change_approval_tenant ON ims.change_approval
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.change_request r WHERE r.id = change_approval.change_id));

-- Maintenance windows: visible (and writable by admins) with their CI.
ALTER TABLE ims.maintenance_window ENABLE ROW LEVEL SECURITY;
CREATE POLICY maintenance_window_tenant ON ims.maintenance_window
    USING ((SELECT ims.current_tenants()) IS NULL
           OR EXISTS (SELECT 1 FROM ims.ci c WHERE c.id = maintenance_window.ci_id));

-- Stored KPI facts carry the tenant of the incidents they count.  They are
-- read through ims.v_incident_kpi_monthly (owner ims_view_owner), filtered
-- here; ims._kpi_incident_months, the live part of that view, is owned by
-- ims_view_owner too, so it reads ims.incident under the same policies.
ALTER TABLE ims.kpi_incident_monthly_fact ENABLE ROW LEVEL SECURITY;
CREATE POLICY kpi_incident_monthly_fact_tenant ON ims.kpi_incident_monthly_fact
    USING ((SELECT ims.current_tenants()) IS NULL OR tenant = ANY ((SELECT ims.current_tenants())::text[]));
ALTER FUNCTION ims._kpi_incident_months(date) OWNER TO ims_view_owner;

-- ims.refresh_kpis() recomputes the stored facts from what its caller can
-- see.  A caller restricted to some tenants would store facts without the
-- others' incidents, so only unrestricted roles may write the facts.
CREATE FUNCTION ims._kpi_facts_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF ims.current_tenants() IS NOT NULL THEN
        RAISE EXCEPTION 'only a role that sees every tenant may refresh the stored KPIs'
            USING ERRCODE = '42501',
                  DETAIL = pg_catalog.format('Role %s is restricted to tenants %s.',
                                             pg_catalog.current_setting('role'), ims.current_tenants()),
                  HINT = 'Run ims.refresh_kpis() as the pg_cron job owner or a role mapped to tenant ''*''.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ims._kpi_facts_guard() IS 'Statement trigger of ims.kpi_incident_monthly_fact: refuses writes by roles restricted to some tenants (their refresh would drop the other tenants'' facts)';
CREATE TRIGGER kpi_facts_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.kpi_incident_monthly_fact
    FOR EACH STATEMENT EXECUTE FUNCTION ims._kpi_facts_guard();

-- ---------------------------------------------------------------------------
-- Grants.  Tables: reference data readable by ims_reader, configured by
-- ims_admin.  Identity sequences need no grant (nextval for an identity
-- column is not privilege-checked).

-- Grants made next to the objects by other pieces (workflow configuration
-- readable by PUBLIC, agents working incidents) are kept; the matrix test
-- lists the result.

-- The view owner reads every table (row-level security still applies to it).
GRANT SELECT ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation,
                ims.ci_history, ims.ci_relation_history, ims.graph_version,
                ims.incident, ims.incident_event, ims.priority_matrix,
                ims.workflow, ims.workflow_state, ims.workflow_transition,
                ims.problem, ims.problem_incident, ims.outage,
                ims.change_request, ims.change_ci, ims.change_approval, ims.approval_policy,
                ims.blackout_window, ims.kpi_incident_monthly_fact, ims.business_calendar,
                ims.maintenance_window, ims.sla_policy, ims.incident_sla, ims.sla_event
    TO ims_view_owner;
-- Maintenance windows are reference data like blackout windows.
GRANT SELECT ON ims.maintenance_window TO ims_reader;

-- Incidents: worked by agents (31_incident.sql grants SELECT, INSERT, UPDATE);
-- nobody deletes an incident (its history refers to it); readers see them
-- through the BI views only.  ims.incident_event is written by a SECURITY
-- DEFINER trigger and refuses UPDATE/DELETE/TRUNCATE even for its owner.

-- CMDB: reference data (the graph functions read it with the caller's rights).
GRANT SELECT ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation,
                ims.ci_history, ims.ci_relation_history, ims.graph_version
    TO ims_reader;
GRANT INSERT, UPDATE, DELETE ON ims.ci_class, ims.ci, ims.relation_type, ims.ci_relation TO ims_admin;
GRANT UPDATE (status) ON ims.ci TO ims_agent;

-- Tenants: managed by (unrestricted) admins; readable row by row (policy).
GRANT SELECT ON ims.tenant_member TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ims.tenant_member TO ims_admin;

-- Functions: open to everyone unless listed below (primitives work on any
-- table; the tenant functions tell a role only about itself).

-- Rewrites stored facts: administrators and the pg_cron job owner.
REVOKE ALL ON FUNCTION ims.refresh_kpis(bool) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.refresh_kpis(bool) TO ims_admin;
-- The conflict rules see every tenant's changes (SECURITY DEFINER) and take a
-- whole change row as argument, so they are for the roles that write changes
-- (their triggers call them); everyone else asks ims.change_conflicts(id),
-- which looks the change up under row-level security.
REVOKE ALL ON FUNCTION ims.change_conflicts_of(ims.change_request) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.change_conflicts_of(ims.change_request) TO ims_agent, ims_change_manager;
REVOKE ALL ON FUNCTION ims.change_busy(ims.change_request, tstzrange) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ims.change_busy(ims.change_request, tstzrange) TO ims_agent, ims_change_manager;

-- ---------------------------------------------------------------------------
-- Views: owned by ims_view_owner (see the top of this file) and readable by
-- ims_reader.  Done for every view of the schema, so a view added by another
-- piece is never left owned by the installing superuser; the expected ACL
-- list in test/pgtap/93_privileges.sql still has to name it.
DO $views$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
              WHERE c.relnamespace = 'ims'::regnamespace AND c.relkind IN ('v', 'm')
              ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO ims_view_owner', v);
        EXECUTE pg_catalog.format('GRANT SELECT ON %s TO ims_reader', v);
    END LOOP;
END
$views$;
