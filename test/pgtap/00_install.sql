-- pgTAP: the extension, its schema, its roles and its version.
BEGIN;
SELECT plan(12);

SELECT has_extension('ims', 'extension ims is installed');
SELECT has_schema('ims', 'schema ims exists');
SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'ims'), 'ims', 'ims lives in schema ims');
SELECT ok(NOT extrelocatable, 'ims is not relocatable') FROM pg_extension WHERE extname = 'ims';
SELECT has_role(r, 'role ' || r || ' exists')
  FROM unnest(ARRAY['ims_reader', 'ims_agent', 'ims_change_manager', 'ims_admin']) AS r;
SELECT is(ims.version(), (SELECT default_version FROM pg_available_extensions WHERE name = 'ims'),
          'ims.version() returns the control file''s default_version');
SELECT is(ims.version(), (SELECT extversion FROM pg_extension WHERE extname = 'ims'),
          'ims.version() matches the installed extension version');
SELECT ok(pg_has_role('ims_admin', 'ims_reader', 'member'), 'ims_admin inherits ims_reader');
SELECT ok(NOT pg_has_role('ims_reader', 'ims_agent', 'member'), 'ims_reader is not an agent');

SELECT * FROM finish();
ROLLBACK;
