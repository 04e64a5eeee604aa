-- Proves the harness: a C function per row against the same in PL/pgSQL.
CREATE OR REPLACE FUNCTION bench.plpgsql_version() RETURNS text
    LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN '0.1'; END $$;
SELECT bench.record('harness: ims.version() per row, 1M rows',
    'SELECT ims.version() FROM generate_series(1, 1000000)',
    'PL/pgSQL function per row',
    'SELECT bench.plpgsql_version() FROM generate_series(1, 1000000)',
    'C faster than PL/pgSQL', 1.0);
