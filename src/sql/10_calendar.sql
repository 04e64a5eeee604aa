-- 10_calendar.sql — business calendars and SLA clocks (SPEC sections 1 and 2).
-- C in src/calendar.c, src/sla_clock.c and src/core/; documentation in doc/calendars.md.
\echo Use "CREATE EXTENSION ims" to load this file. \quit

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
