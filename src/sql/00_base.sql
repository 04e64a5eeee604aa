-- 00_base.sql — schema-wide setup: roles, schema privileges, ims.version().
\echo Use "CREATE EXTENSION ims" to load this file. \quit

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
