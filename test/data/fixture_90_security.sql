-- Backup fixture: a tenant map (the roles need not exist: rows naming
-- missing roles are ignored) and a CI of a tenant.  pg_dump runs as a
-- superuser, which row-level security does not filter.
INSERT INTO ims.tenant_member (role, tenant) VALUES
    ('fixture_provider', '*'), ('fixture_acme', 'acme'), ('fixture_globex', 'globex');
INSERT INTO ims.ci_class (name, parent) VALUES ('fixture_class', NULL) ON CONFLICT DO NOTHING;
INSERT INTO ims.ci (name, class, tenant) VALUES ('fx-acme-app', 'fixture_class', 'acme');
