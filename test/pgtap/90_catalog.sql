-- pgTAP: catalog hygiene for everything the extension owns.
--  * every function, aggregate, table, view, type, sequence-less relation and
--    view column has a COMMENT (the data dictionary DBAs and BI users read);
--  * every SECURITY DEFINER function pins search_path;
--  * every C function is labelled with a parallel-safety other than the
--    unsafe default only if it is not volatile-with-side-effects (reported).
BEGIN;
SELECT plan(5);

CREATE TEMP VIEW ext_objects AS
SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, 0) AS descr
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE e.extname = 'ims' AND d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass;

SELECT is_empty($$
  SELECT descr FROM ext_objects o
   WHERE o.classid = 'pg_proc'::regclass
     AND obj_description(o.objid, 'pg_proc') IS NULL
     AND NOT EXISTS (SELECT 1 FROM pg_type t WHERE o.objid IN (t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze))
     AND NOT EXISTS (SELECT 1 FROM pg_aggregate a WHERE o.objid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn))
     AND (SELECT prorettype FROM pg_proc WHERE oid = o.objid) <> 'trigger'::regtype
   ORDER BY 1$$,
  'every public function and aggregate has a COMMENT');

SELECT is_empty($$
  SELECT descr FROM ext_objects o
   WHERE o.classid = 'pg_class'::regclass
     AND (SELECT relkind FROM pg_class WHERE oid = o.objid) IN ('r', 'v', 'm', 'p')
     AND obj_description(o.objid, 'pg_class') IS NULL
   ORDER BY 1$$,
  'every table and view has a COMMENT');

SELECT is_empty($$
  SELECT c.relname || '.' || a.attname FROM ext_objects o
    JOIN pg_class c ON c.oid = o.objid AND o.classid = 'pg_class'::regclass AND c.relkind IN ('v', 'm')
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   WHERE col_description(c.oid, a.attnum) IS NULL
   ORDER BY 1$$,
  'every view column has a COMMENT (the BI data dictionary)');

SELECT is_empty($$
  SELECT descr FROM ext_objects o
   WHERE o.classid = 'pg_type'::regclass
     AND (SELECT typtype FROM pg_type WHERE oid = o.objid) IN ('b', 'd', 'e', 'r')
     AND obj_description(o.objid, 'pg_type') IS NULL
   ORDER BY 1$$,
  'every type has a COMMENT');

SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM ext_objects o JOIN pg_proc p ON p.oid = o.objid
   WHERE o.classid = 'pg_proc'::regclass AND p.prosecdef
     AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
   ORDER BY 1$$,
  'every SECURITY DEFINER function pins search_path');

SELECT * FROM finish();
ROLLBACK;
