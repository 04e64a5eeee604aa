-- pgTAP: the upgrade path.  Install the oldest shipped version, put data in
-- it, ALTER EXTENSION UPDATE to the current one, and compare the result with
-- a fresh install of the current version: the same member objects, and the
-- same definition of every function, view, column, constraint, index,
-- trigger, policy, comment, owner and grant in schema ims.  The data written
-- under the old version must still be there and readable through the views.
BEGIN;
SELECT plan(9);

-- Roles by name, except the extension's owner (the role that ran CREATE
-- EXTENSION differs between the test passes).
CREATE FUNCTION pg_temp.who(r oid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN r = 0 THEN 'PUBLIC'
                WHEN r = (SELECT extowner FROM pg_extension WHERE extname = 'ims') THEN 'EXTOWNER'
                ELSE r::regrole::text END $$;
CREATE FUNCTION pg_temp.acl(a aclitem[]) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(format('%s=%s/%s%s', pg_temp.who(x.grantee), x.privilege_type,
                                      pg_temp.who(x.grantor), CASE WHEN x.is_grantable THEN '*' ELSE '' END),
                               ',' ORDER BY 1), '-')
      FROM aclexplode(a) x $$;

-- Everything that defines the installed extension, one text row per fact.
CREATE TEMP VIEW ims_shape AS
WITH ns AS (SELECT 'ims'::regnamespace AS oid)
SELECT 'member ' || pg_describe_object(classid, objid, objsubid) AS fact
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ims') AND deptype = 'e'
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' owner ' || pg_temp.who(p.proowner)
       || ' acl ' || pg_temp.acl(p.proacl) || ' comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
       || E'\n' || CASE WHEN p.prokind = 'a'
                        THEN (SELECT format('aggregate %s %s %s %s %s %s', a.aggtransfn, a.aggfinalfn, a.aggcombinefn,
                                            a.aggtranstype::regtype, a.agginitval, p.proparallel)
                                FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                        ELSE pg_get_functiondef(p.oid) END
  FROM pg_proc p, ns WHERE p.pronamespace = ns.oid
UNION ALL
SELECT 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' owner ' || pg_temp.who(c.relowner)
       || ' acl ' || pg_temp.acl(c.relacl) || ' options ' || coalesce(c.reloptions::text, '-')
       || ' rls ' || c.relrowsecurity || c.relforcerowsecurity
       || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-')
       || CASE WHEN c.relkind IN ('v', 'm') THEN E'\n' || pg_get_viewdef(c.oid) ELSE '' END
  FROM pg_class c, ns WHERE c.relnamespace = ns.oid
UNION ALL
SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull ' || a.attnotnull || ' identity ' || a.attidentity::text || ' generated ' || a.attgenerated::text
       || ' default ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
       || ' acl ' || pg_temp.acl(a.attacl) || ' comment ' || coalesce(col_description(c.oid, a.attnum), '-')
       || ' position ' || a.attnum
  FROM pg_class c JOIN ns ON c.relnamespace = ns.oid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
UNION ALL
SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
  FROM pg_constraint co, ns WHERE co.connamespace = ns.oid AND co.conrelid <> 0
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN ns ON c.relnamespace = ns.oid
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON c.relnamespace = ns.oid
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'policy ' || pl.polrelid::regclass || ' ' || pl.polname || ' ' || pl.polcmd::text || ' ' || pl.polpermissive
       || ' ' || pl.polroles::regrole[]::text || ' using ' || coalesce(pg_get_expr(pl.polqual, pl.polrelid), '-')
       || ' check ' || coalesce(pg_get_expr(pl.polwithcheck, pl.polrelid), '-')
  FROM pg_policy pl JOIN pg_class c ON c.oid = pl.polrelid JOIN ns ON c.relnamespace = ns.oid
UNION ALL
SELECT 'type ' || t.oid::regtype || ' owner ' || pg_temp.who(t.typowner) || ' ' || t.typtype::text
       || ' ' || t.typinput::text || ' ' || t.typoutput::text || ' ' || t.typreceive::text || ' ' || t.typsend::text
       || ' ' || t.typlen || ' ' || t.typalign::text || ' ' || t.typstorage::text
       || ' comment ' || coalesce(obj_description(t.oid, 'pg_type'), '-')
  FROM pg_type t, ns WHERE t.typnamespace = ns.oid AND t.typrelid = 0
UNION ALL
SELECT 'operator ' || o.oid::regoperator || ' ' || o.oprcode::text || ' ' || o.oprcom::regoperator
       || ' ' || o.oprnegate::regoperator || ' comment ' || coalesce(obj_description(o.oid, 'pg_operator'), '-')
  FROM pg_operator o, ns WHERE o.oprnamespace = ns.oid
UNION ALL
SELECT 'dump ' || x.cfg::regclass || ' where ' || coalesce(x.cond, '-')
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(cfg, cond)
 WHERE e.extname = 'ims'
UNION ALL
SELECT 'schema comment ' || coalesce(obj_description('ims'::regnamespace, 'pg_namespace'), '-')
       || ' grants ' || (SELECT coalesce(string_agg(format('%s=%s', CASE WHEN x.grantee = n.nspowner THEN 'OWNER'
                                                                 ELSE pg_temp.who(x.grantee) END, x.privilege_type),
                                               ',' ORDER BY 1), '-')
                     FROM pg_namespace n, aclexplode(n.nspacl) x WHERE n.oid = 'ims'::regnamespace);

CREATE TEMP TABLE fresh_shape AS SELECT fact FROM ims_shape;

DROP EXTENSION ims CASCADE;
SELECT lives_ok(
  format('CREATE EXTENSION ims VERSION %L',
         (SELECT version FROM pg_available_extension_versions
           WHERE name = 'ims' ORDER BY string_to_array(version, '.')::int[] LIMIT 1)),
  'the oldest shipped version installs');

-- Data written under the old version (through its triggers).
SET LOCAL ims.event_time = '2026-03-02 08:00+00';
INSERT INTO ims.ci (id, name, class) VALUES (990001, 'upgrade shop', 'business_service'),
                                            (990002, 'upgrade db', 'database');
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES (990001, 990002, 'depends_on');
INSERT INTO ims.incident (id, title, impact, urgency, service_id, ci_id, outage_kind)
VALUES (990001, 'upgrade: db down', 1, 1, 990001, 990002, 'outage');
SET LOCAL ims.event_time = '2026-03-02 10:00+00';
UPDATE ims.incident SET state = 'resolved', resolution_code = 'fixed' WHERE id = 990001;
RESET ims.event_time;
CREATE TEMP TABLE before_upgrade AS
SELECT (SELECT row(i.*)::text FROM ims.incident i WHERE i.id = 990001) AS incident,
       (SELECT string_agg(row(e.incident_id, e.at, e.from_state, e.to_state, e.changes)::text, ';' ORDER BY e.id)
          FROM ims.incident_event e WHERE e.incident_id = 990001) AS history,
       (SELECT string_agg(row(o.ci_id, o.period, o.kind)::text, ';') FROM ims.outage o WHERE o.incident_id = 990001) AS outage;

SELECT lives_ok('ALTER EXTENSION ims UPDATE', 'ALTER EXTENSION ims UPDATE reaches the current version');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'ims'),
          (SELECT default_version FROM pg_available_extensions WHERE name = 'ims'),
          'the upgraded extension is at the default version');

SELECT set_eq(
  $$SELECT fact FROM ims_shape WHERE fact LIKE 'member %'$$,
  $$SELECT fact FROM fresh_shape WHERE fact LIKE 'member %'$$,
  'an upgraded install owns exactly the objects of a fresh install');
SELECT set_eq(
  'SELECT fact FROM ims_shape', 'SELECT fact FROM fresh_shape',
  'an upgraded install has the definition, owner, grants and comment of every object of a fresh install');

SELECT is((SELECT row(i.*)::text FROM ims.incident i WHERE i.id = 990001),
          (SELECT incident FROM before_upgrade), 'an incident written before the upgrade is unchanged');
SELECT is((SELECT string_agg(row(e.incident_id, e.at, e.from_state, e.to_state, e.changes)::text, ';' ORDER BY e.id)
             FROM ims.incident_event e WHERE e.incident_id = 990001),
          (SELECT history FROM before_upgrade), 'its history is unchanged');
SELECT is((SELECT string_agg(row(o.ci_id, o.period, o.kind)::text, ';') FROM ims.outage o WHERE o.incident_id = 990001),
          (SELECT outage FROM before_upgrade), 'its outage is unchanged');
SELECT is((SELECT downtime_hours FROM ims.v_service_availability_monthly
            WHERE service_id = 990001 AND month = '2026-03-01'),
          2.00, 'the upgraded views read the old data (2 hours down in March)');

SELECT * FROM finish();
ROLLBACK;
