-- 40_metrics.sql — metric aggregates (SPEC section 8): ims.mttr, ims.mtta,
-- ims.downtime, ims.availability, ims.mtbf, and their state types.
\echo Use "CREATE EXTENSION ims" to load this file. \quit

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
