-- base: the extension installs into schema ims with its roles and version.
SELECT ims.version() = extversion AS version_matches_control
  FROM pg_extension WHERE extname = 'ims';
SELECT extname, extrelocatable, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'ims';
SELECT rolname, rolcanlogin
  FROM pg_roles WHERE rolname LIKE 'ims\_%' ORDER BY rolname;
-- role hierarchy
SELECT r.rolname AS role, m.rolname AS member_of
  FROM pg_auth_members a
  JOIN pg_roles r ON r.oid = a.member
  JOIN pg_roles m ON m.oid = a.roleid
 WHERE r.rolname LIKE 'ims\_%' AND m.rolname LIKE 'ims\_%'
 ORDER BY 1, 2;
-- ims.version() is stable (it reports the loaded library), strict and parallel safe
SELECT provolatile, proisstrict, proparallel
  FROM pg_proc WHERE oid = 'ims.version()'::regprocedure;
-- the extension cannot be moved to another schema
CREATE SCHEMA elsewhere;
ALTER EXTENSION ims SET SCHEMA elsewhere;
DROP SCHEMA elsewhere;
