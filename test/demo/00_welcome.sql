-- Demo chapter 0: what is installed.
\echo
\echo '== ims: the ITSM core inside PostgreSQL'
\echo 'Every rule (state machines, SLA clocks, approvals, impact) runs in the database.'
SELECT ims.version() AS ims_version,
       (SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE e.extname = 'ims' AND d.deptype = 'e') AS objects_installed;
\echo 'Roles an administrator grants to people and applications:'
SELECT rolname AS role, pg_catalog.shobj_description(oid, 'pg_authid') AS purpose
  FROM pg_roles WHERE rolname LIKE 'ims\_%' ORDER BY rolname;
