-- test/fuzz/sql_fuzz.sql — a SQL-level fuzzer for every public ims function
-- and every ims type input function.  Loaded into schema ims_fuzz by the
-- pgTAP test test/pgtap/92_sql_fuzz.sql (short run) and by
-- test/fuzz/sql_fuzz.sh (long run).
--
-- It feeds random and mutated values (NULLs, extremes, infinities, empty
-- arrays, malformed text, and the text of values that earlier calls returned)
-- to every function owned by the extension, each call a statement of its own
-- (ims_fuzz.script, run with psql's \gexec, so that statement_timeout bounds
-- it) in a subtransaction, and records the SQLSTATE of each outcome, the
-- slowest call and the largest growth of the backend's peak memory per target
-- in ims_fuzz.outcome.  A crash kills the session (and is caught by
-- the caller and by the server-log check of make test); an undocumented
-- SQLSTATE (XX000 from elog, P0001 from a bare RAISE, ...) is reported by
-- ims_fuzz.undocumented().
CREATE SCHEMA IF NOT EXISTS ims_fuzz;

CREATE TABLE IF NOT EXISTS ims_fuzz.outcome (
    target   text NOT NULL,
    sqlstate text NOT NULL,   -- '00000' for success
    message  text,
    sample   text,
    calls    int NOT NULL DEFAULT 1,
    max_ms   float8,          -- the slowest call
    slowest  text,
    max_hwm_gain_kb bigint,   -- the largest growth of the backend's peak RSS in one call
    PRIMARY KEY (target, sqlstate)
);

-- Values that calls returned, by type, reused (and mutated) as later input.
CREATE TABLE IF NOT EXISTS ims_fuzz.pool (
    typ  regtype NOT NULL,
    val  text NOT NULL,
    PRIMARY KEY (typ, val)
);

-- SQLSTATEs ims documents (doc/errors.md) plus those PostgreSQL itself raises
-- for bad input to its own casts and for the fuzzer's own timeout.
CREATE OR REPLACE FUNCTION ims_fuzz.documented(code text) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
    SELECT code = '00000'
        OR code LIKE 'IM%'
        OR left(code, 2) IN ('22', '23')       -- data exceptions, integrity violations
        OR code IN ('42501',                    -- insufficient privilege
                    '0A000',                    -- feature not supported
                    '55000', '55P03',           -- object not in prerequisite state, lock not available
                    '54000', '54001',           -- program limit exceeded, stack depth
                    '57014',                    -- statement timeout (the fuzzer's own limit)
                    '42704', '42703',           -- undefined object / column named in an argument
                    '40001', '40P01')           -- serialization failure, deadlock
$$;

CREATE OR REPLACE FUNCTION ims_fuzz.rand_text() RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k int := floor(random() * 10);
    chars text := 'abcdefghijklmnopqrstuvwxyz0123456789 ;:,.-_+/(){}[]"''\@#*<>=!|~^$%&?';
    s text := '';
BEGIN
    CASE k
    WHEN 0 THEN RETURN '';
    WHEN 1 THEN RETURN repeat('x', 100000);
    WHEN 2 THEN RETURN repeat('mon-fri 09:00-17:00; ', 2000);
    WHEN 3 THEN RETURN chr(1 + floor(random() * 1000)::int) || chr(57344 + floor(random() * 8000)::int);  -- no surrogates
    ELSE
        FOR i IN 1..(1 + floor(random() * 40))::int LOOP
            s := s || substr(chars, 1 + floor(random() * length(chars))::int, 1);
        END LOOP;
        RETURN s;
    END CASE;
END $$;

-- Mutate a text: delete, duplicate, flip or insert characters, or splice in a random token.
CREATE OR REPLACE FUNCTION ims_fuzz.mutate(s text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n int;
    p int;
    tokens text[] := ARRAY['24:00', '25:00', '-', '..', ';', ',', 'closed', 'yearly', 'tz ',
                           'Mars/Olympus', '2026-02-30', '99:99', 'infinity', '-1', '0', '9999999999',
                           'NaN', '{}', '[]', 'null', '"', '''', ' ', '00:00-00:00', 'mon-sun', 'xx'];
BEGIN
    IF s IS NULL THEN RETURN ims_fuzz.rand_text(); END IF;
    FOR i IN 1..(1 + floor(random() * 3))::int LOOP
        n := length(s);
        p := 1 + floor(random() * greatest(n, 1))::int;
        CASE floor(random() * 5)::int
        WHEN 0 THEN s := overlay(s PLACING '' FROM p FOR 1 + floor(random() * 5)::int);
        WHEN 1 THEN s := overlay(s PLACING tokens[1 + floor(random() * array_length(tokens, 1))::int] FROM p FOR 0);
        WHEN 2 THEN s := overlay(s PLACING chr(32 + floor(random() * 95)::int) FROM p FOR 1);
        WHEN 3 THEN s := s || s;
        ELSE s := left(s, p);
        END CASE;
    END LOOP;
    RETURN s;
END $$;

-- A random literal (or NULL) for a type: extremes, specials, pool values, mutations.
CREATE OR REPLACE FUNCTION ims_fuzz.value_for(t regtype) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r float8 := random();
    v text;
    elem regtype;
BEGIN
    IF r < 0.08 THEN RETURN NULL; END IF;
    -- reuse or mutate something a function returned earlier
    IF r < 0.45 THEN
        SELECT val INTO v FROM ims_fuzz.pool WHERE typ = t ORDER BY random() LIMIT 1;
        IF v IS NOT NULL THEN
            RETURN CASE WHEN random() < 0.6 THEN v ELSE ims_fuzz.mutate(v) END;
        END IF;
    END IF;
    SELECT typelem::regtype INTO elem FROM pg_type WHERE oid = t AND typcategory = 'A';
    IF elem IS NOT NULL THEN
        RETURN CASE floor(random() * 5)::int
            WHEN 0 THEN '{}'
            WHEN 1 THEN '{NULL}'
            WHEN 2 THEN '{' || coalesce('"' || replace(replace(ims_fuzz.value_for(elem), '\', '\\'), '"', '\"') || '"', 'NULL') || '}'
            ELSE '{' || concat_ws(',', VARIADIC ARRAY(
                    SELECT coalesce('"' || replace(replace(ims_fuzz.value_for(elem), '\', '\\'), '"', '\"') || '"', 'NULL')
                      FROM generate_series(1, 1 + floor(random() * 6)::int))) || '}'
        END;
    END IF;
    CASE t
    WHEN 'smallint'::regtype, 'integer'::regtype, 'bigint'::regtype THEN
        RETURN (ARRAY['0', '1', '-1', '2', '3', '5', '100', '-32768', '32767', '2147483647',
                      '-2147483648', '9223372036854775807', '-9223372036854775808',
                      (floor(random() * 200) - 20)::text])[1 + floor(random() * 14)::int];
    WHEN 'double precision'::regtype, 'real'::regtype, 'numeric'::regtype THEN
        RETURN (ARRAY['0', '-0', '0.5', '1', '-1', 'NaN', 'Infinity', '-Infinity', '1e308',
                      '1e-308', random()::text])[1 + floor(random() * 11)::int];
    WHEN 'boolean'::regtype THEN
        RETURN (ARRAY['true', 'false'])[1 + floor(random() * 2)::int];
    WHEN 'timestamp with time zone'::regtype, 'timestamp without time zone'::regtype THEN
        RETURN (ARRAY['infinity', '-infinity', '2026-03-29 02:30:00 Europe/Berlin',
                      '2026-10-25 02:30:00 Europe/Berlin', '2026-11-01 01:30 America/New_York',
                      '4713-01-01 00:00:00+00 BC', '294276-12-31 23:59:59+00', '2000-01-01 00:00:00+00',
                      (timestamptz '2026-01-01' + random() * interval '400 days')::text,
                      (timestamptz '1990-01-01' + random() * interval '50 years')::text])[1 + floor(random() * 10)::int];
    WHEN 'date'::regtype THEN
        RETURN (ARRAY['infinity', '-infinity', '2026-02-28', '2024-02-29', '4713-01-01 BC', '5874897-12-31',
                      (date '2026-01-01' + floor(random() * 400)::int)::text])[1 + floor(random() * 7)::int];
    WHEN 'interval'::regtype THEN
        RETURN (ARRAY['0', '1 microsecond', '-1 microsecond', '1 hour', '-8 hours', '1 day', '1 mon',
                      '-1 year', '178000000 years', '-178000000 years', '2147483647 days',
                      '00:00:00.000001', make_interval(secs => random() * 1e6)::text])[1 + floor(random() * 13)::int];
    WHEN 'tstzrange'::regtype THEN
        RETURN (ARRAY['empty', '(,)', '[2026-01-01,2026-02-01)', '[2026-01-05 10:00+00,2026-01-05 12:00+00)',
                      '(,2026-01-01)', '[2026-01-01,)', '[-infinity,infinity]',
                      tstzrange(timestamptz '2026-01-01' + random() * interval '30 days',
                                timestamptz '2026-02-01' + random() * interval '30 days')::text])[1 + floor(random() * 8)::int];
    WHEN 'jsonb'::regtype, 'json'::regtype THEN
        RETURN (ARRAY['{}', '[]', 'null', '1', '"x"', '{"tz": "UTC"}', '{"tz": 5}', '{"weekly": []}',
                      ims_fuzz.mutate('{"tz":"Europe/Berlin","weekly":{"mon":[["09:00","17:00"]]}}')])[1 + floor(random() * 9)::int];
    WHEN 'text'::regtype, 'character varying'::regtype, 'name'::regtype, 'regclass'::regtype THEN
        RETURN CASE WHEN random() < 0.3 THEN (ARRAY['incident', 'change', 'problem', 'state', 'depends_on',
                      'runs_on', 'impact', 'dependencies', 'ims_admin', 'ims_reader', '24x7', 'UTC',
                      'Europe/Berlin', 'sla', 'ola', 'response', 'resolution', 'approved', 'rejected'])[1 + floor(random() * 19)::int]
                    ELSE ims_fuzz.rand_text() END;
    ELSE
        -- an ims type (or another base type): random or mutated text through its input function
        RETURN CASE WHEN random() < 0.5 THEN ims_fuzz.rand_text()
                    ELSE ims_fuzz.mutate(CASE t::text WHEN 'ims.calendar' THEN
                        'tz Europe/Berlin; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01; 2026-12-31 09:00-12:00'
                        ELSE '' END) END;
    END CASE;
END $$;

-- Record one outcome (and the slowest call and the largest growth of the
-- backend's peak memory seen per target and SQLSTATE).
CREATE OR REPLACE FUNCTION ims_fuzz.note(p_target text, p_state text, p_msg text, p_sample text,
                                         p_ms float8 DEFAULT NULL, p_hwm_kb bigint DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO ims_fuzz.outcome AS o (target, sqlstate, message, sample, max_ms, slowest, max_hwm_gain_kb)
    VALUES (p_target, p_state, left(p_msg, 300), left(p_sample, 300), p_ms, left(p_sample, 300), p_hwm_kb)
    ON CONFLICT (target, sqlstate) DO UPDATE
       SET calls = o.calls + 1,
           max_ms = greatest(o.max_ms, EXCLUDED.max_ms),
           slowest = CASE WHEN EXCLUDED.max_ms > coalesce(o.max_ms, 0) THEN EXCLUDED.slowest ELSE o.slowest END,
           max_hwm_gain_kb = greatest(o.max_hwm_gain_kb, EXCLUDED.max_hwm_gain_kb)
$$;

-- The backend's peak resident memory (VmHWM, kB) from /proc, NULL where it
-- cannot be read (not Linux, or not a superuser).
CREATE OR REPLACE FUNCTION ims_fuzz.vm_hwm() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s*([0-9]+) kB')::bigint;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;

-- The functions and aggregates to fuzz: everything the extension owns except
-- trigger functions and type support functions (those are fuzzed through casts).
CREATE OR REPLACE VIEW ims_fuzz.targets AS
SELECT p.oid AS fn, p.prokind, p.proretset, p.proargtypes::regtype[] AS argtypes,
       p.prorettype::regtype AS rettype, p.oid::regprocedure::text AS label
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ims'
 WHERE p.prorettype <> 'trigger'::regtype
   AND p.prorettype <> 'event_trigger'::regtype
   AND NOT EXISTS (SELECT 1 FROM pg_type t
                    WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend,
                                    t.typmodin, t.typmodout, t.typanalyze))
   AND NOT EXISTS (SELECT 1 FROM pg_aggregate a
                    WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn,
                                    a.aggserialfn, a.aggdeserialfn))
   AND 'internal'::regtype <> ALL (p.proargtypes::regtype[]);

-- The base types the extension owns (their input functions are fuzzed through casts from text).
CREATE OR REPLACE VIEW ims_fuzz.types AS
SELECT t.oid::regtype AS typ
  FROM pg_type t
  JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ims'
 WHERE t.typtype = 'b';

-- ims_fuzz.try(target, sql, pool_type): run one call in a subtransaction and
-- record its outcome; a value it returns goes into the pool under pool_type.
-- A statement timeout (57014) is recorded too, so each call must be its own
-- top-level statement for statement_timeout to bound it: PostgreSQL arms the
-- timer once per statement sent by the client, not per statement inside a
-- function (see ims_fuzz.script).
CREATE OR REPLACE FUNCTION ims_fuzz.try(p_target text, p_sql text, p_pool regtype)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    res text;
    st text;
    msg text;
    t0 timestamptz := clock_timestamp();
    hwm0 bigint := ims_fuzz.vm_hwm();
BEGIN
    -- SET ims_fuzz.trace = on: each call to the client log first (to find a call that kills the session)
    IF current_setting('ims_fuzz.trace', true) = 'on' THEN
        RAISE NOTICE 'fuzz: %', left(p_sql, 2000);
    END IF;
    BEGIN
        EXECUTE p_sql INTO res;
        st := '00000';
        IF res IS NOT NULL AND p_pool IS NOT NULL AND length(res) < 2000 THEN
            INSERT INTO ims_fuzz.pool VALUES (p_pool, res) ON CONFLICT DO NOTHING;
        END IF;
    EXCEPTION
        WHEN query_canceled THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    PERFORM ims_fuzz.note(p_target, st, msg, p_sql,
                          1000 * extract(epoch FROM clock_timestamp() - t0)::float8,
                          ims_fuzz.vm_hwm() - hwm0);
END $$;

-- One call of a function or aggregate with random arguments.
CREATE OR REPLACE FUNCTION ims_fuzz.call(p_fn oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tg record;
    args text[];
    sql text;
BEGIN
    SELECT * INTO tg FROM ims_fuzz.targets WHERE fn = p_fn;
    SELECT array_agg(coalesce(quote_literal(ims_fuzz.value_for(a)), 'NULL') || '::' || a::text ORDER BY n)
      INTO args FROM unnest(tg.argtypes) WITH ORDINALITY AS x(a, n);
    IF tg.prokind = 'a' THEN
        -- an aggregate over a few random rows
        sql := format('SELECT (%s(%s))::text FROM generate_series(1, %s) AS g',
                      tg.fn::regproc, array_to_string(args, ', '), 1 + floor(random() * 5)::int);
    ELSIF tg.proretset THEN
        sql := format('SELECT count(*)::text FROM %s(%s) AS r', tg.fn::regproc, array_to_string(args, ', '));
    ELSE
        sql := format('SELECT (%s(%s))::text', tg.fn::regproc, array_to_string(args, ', '));
    END IF;
    PERFORM ims_fuzz.try(tg.label, sql,
                         CASE WHEN NOT tg.proretset AND tg.prokind <> 'a' THEN tg.rettype END);
END $$;

-- One random or mutated string through a type's input function.
CREATE OR REPLACE FUNCTION ims_fuzz.input(p_typ regtype) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ims_fuzz.try(p_typ::text || ' input',
                         format('SELECT (%L::%s)::text', ims_fuzz.value_for(p_typ), p_typ), p_typ);
END $$;

-- ims_fuzz.script(calls_per_target): the statements of a fuzz run, one call
-- each, for psql's \gexec (so that statement_timeout bounds every call):
-- 4 x calls_per_target inputs per ims type, then calls_per_target rounds
-- over every function and aggregate.
--   SET statement_timeout = '2s';  SELECT ims_fuzz.script(50) \gexec
CREATE OR REPLACE FUNCTION ims_fuzz.script(calls_per_target int DEFAULT 50)
RETURNS SETOF text LANGUAGE sql AS $$
    SELECT stmt FROM (
        SELECT 1 AS phase, r, typ::text AS name, format('SELECT ims_fuzz.input(%L::regtype)', typ::text) AS stmt
          FROM ims_fuzz.types, generate_series(1, 4 * calls_per_target) AS r
        UNION ALL
        SELECT 2, r, label, format('SELECT ims_fuzz.call(%s) /* %s */', fn, replace(label, '*', ''))
          FROM ims_fuzz.targets, generate_series(1, calls_per_target) AS r) s
     ORDER BY phase, r, name
$$;

-- Calls made so far.
CREATE OR REPLACE FUNCTION ims_fuzz.calls() RETURNS bigint
LANGUAGE sql AS $$ SELECT coalesce(sum(calls), 0)::bigint FROM ims_fuzz.outcome $$;

CREATE OR REPLACE VIEW ims_fuzz.undocumented AS
SELECT target, sqlstate, message, sample, calls
  FROM ims_fuzz.outcome WHERE NOT ims_fuzz.documented(sqlstate);

-- ---------------------------------------------------------------------------
-- Targeted inputs (security/reliability work): random ids and names mostly
-- stop at "does not exist"; these put values that exist into the pool, so
-- calls get past the lookups and into traversal, workflow and metrics code.

-- ims_fuzz.make_cmdb(n): a small CMDB of n CIs in layers with relations of
-- every relation type (some with min_up), a cycle, and a retired CI.
CREATE OR REPLACE FUNCTION ims_fuzz.make_cmdb(n int DEFAULT 40) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    base bigint;
    types text[];
    classes text[];
BEGIN
    SELECT array_agg(name ORDER BY name) INTO types FROM ims.relation_type;
    SELECT array_agg(name ORDER BY name) INTO classes FROM ims.ci_class;
    IF types IS NULL OR classes IS NULL THEN
        RETURN 0;
    END IF;
    SELECT coalesce(max(id), 0) + 1000 INTO base FROM ims.ci;
    INSERT INTO ims.ci (id, name, class, min_up, status)
    SELECT base + g, 'fuzz-ci-' || g, classes[1 + g % array_length(classes, 1)],
           CASE WHEN g % 7 = 0 THEN 1 + g % 3 END,
           (ARRAY['operational', 'degraded', 'down', 'retired', 'maintenance'])[1 + g % 5]
      FROM generate_series(1, n) g;
    INSERT INTO ims.ci_relation (source_id, target_id, type)
    SELECT DISTINCT base + g, base + 1 + (g * 7 + k) % g, types[1 + (g + k) % array_length(types, 1)]
      FROM generate_series(2, n) g, generate_series(0, 2) k
     WHERE 1 + (g * 7 + k) % g <> g
    ON CONFLICT DO NOTHING;
    -- a cycle
    INSERT INTO ims.ci_relation (source_id, target_id, type)
    VALUES (base + 1, base + n, types[1]) ON CONFLICT DO NOTHING;
    RETURN n;
END $$;

-- ims_fuzz.seed(): existing ids and names into the pool.
CREATE OR REPLACE FUNCTION ims_fuzz.seed() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    k int := 0;
    src record;
BEGIN
    FOR src IN SELECT * FROM (VALUES
            ('ims.ci', 'id'), ('ims.incident', 'id'), ('ims.change_request', 'id'),
            ('ims.problem', 'id'), ('ims.sla_policy', 'id'), ('ims.business_calendar', 'id')) v(rel, col)
         WHERE to_regclass(v.rel) IS NOT NULL LOOP
        EXECUTE format($q$INSERT INTO ims_fuzz.pool
                          SELECT 'bigint'::regtype, %1$I::text FROM %2$s ORDER BY random() LIMIT 50
                          ON CONFLICT DO NOTHING$q$, src.col, src.rel);
        EXECUTE format($q$INSERT INTO ims_fuzz.pool
                          SELECT 'bigint[]'::regtype, '{' || string_agg(%1$I::text, ',') || '}'
                            FROM (SELECT %1$I FROM %2$s ORDER BY random() LIMIT 1 + (random() * 6)::int) s
                          HAVING count(*) > 0
                          ON CONFLICT DO NOTHING$q$, src.col, src.rel);
    END LOOP;
    FOR i IN 1..20 LOOP
        INSERT INTO ims_fuzz.pool
        SELECT 'bigint[]'::regtype, '{' || string_agg(id::text, ',') || '}'
          FROM (SELECT id FROM ims.ci ORDER BY random() LIMIT 1 + (random() * 8)::int) s
        HAVING count(*) > 0
        ON CONFLICT DO NOTHING;
    END LOOP;
    FOR src IN SELECT * FROM (VALUES
            ('ims.relation_type', 'name'), ('ims.ci_class', 'name'), ('ims.workflow', 'name'),
            ('ims.workflow_state', 'state'), ('ims.tenant_member', 'tenant')) v(rel, col)
         WHERE to_regclass(v.rel) IS NOT NULL LOOP
        EXECUTE format($q$INSERT INTO ims_fuzz.pool
                          SELECT DISTINCT 'text'::regtype, %1$I::text FROM %2$s
                          ON CONFLICT DO NOTHING$q$, src.col, src.rel);
        EXECUTE format($q$INSERT INTO ims_fuzz.pool
                          SELECT 'text[]'::regtype, '{' || string_agg(DISTINCT %1$I::text, ',') || '}' FROM %2$s
                          HAVING count(*) > 0
                          ON CONFLICT DO NOTHING$q$, src.col, src.rel);
    END LOOP;
    SELECT count(*) INTO k FROM ims_fuzz.pool;
    RETURN k;
END $$;
