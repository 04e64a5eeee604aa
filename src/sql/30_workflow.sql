-- 30_workflow.sql — workflows as data and the state-machine trigger (SPEC section 3).
\echo Use "CREATE EXTENSION ims" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Tables.  Shipped rows (shipped = true) are created by CREATE EXTENSION; rows
-- a DBA adds or edits have shipped = false and are the ones pg_dump keeps
-- (pg_extension_config_dump with WHERE NOT shipped).  See doc/workflows.md.

CREATE TABLE ims.workflow (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$' AND pg_catalog.length(name) <= 63),
    initial_state text NOT NULL,
    description   text,
    shipped       bool NOT NULL DEFAULT false
);
COMMENT ON TABLE ims.workflow IS 'State machines used by ims.workflow_guard(): one row per workflow with the state new rows start in';
COMMENT ON COLUMN ims.workflow.initial_state IS 'State every new row must start in (a state of ims.workflow_state for this workflow)';
COMMENT ON COLUMN ims.workflow.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

CREATE TABLE ims.workflow_state (
    workflow    text NOT NULL REFERENCES ims.workflow (name),
    state       text NOT NULL CHECK (state ~ '^[a-z][a-z0-9_]*$' AND pg_catalog.length(state) <= 63),
    category    text NOT NULL CHECK (category IN ('open', 'paused', 'resolved', 'closed', 'cancelled')),
    description text,
    shipped     bool NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, state)
);
COMMENT ON TABLE ims.workflow_state IS 'States of each workflow with their category (open, paused, resolved, closed, cancelled)';
COMMENT ON COLUMN ims.workflow_state.category IS 'open: work goes on; paused: waiting (SLA clocks may pause); resolved: fixed, may reopen; closed and cancelled: final';
COMMENT ON COLUMN ims.workflow_state.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

CREATE TABLE ims.workflow_transition (
    workflow      text NOT NULL,
    from_state    text NOT NULL,
    to_state      text NOT NULL,
    required_role text,
    enabled       bool NOT NULL DEFAULT true,
    description   text,
    shipped       bool NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, from_state, to_state),
    FOREIGN KEY (workflow, from_state) REFERENCES ims.workflow_state (workflow, state),
    FOREIGN KEY (workflow, to_state) REFERENCES ims.workflow_state (workflow, state),
    CHECK (from_state <> to_state)
);
COMMENT ON TABLE ims.workflow_transition IS 'Allowed transitions of each workflow; required_role (NULL: anyone) is checked with pg_has_role(current_user, required_role, ''member'')';
COMMENT ON COLUMN ims.workflow_transition.required_role IS 'Role whose members may make this transition; NULL lets anyone';
COMMENT ON COLUMN ims.workflow_transition.enabled IS 'false withdraws the transition (the way to withdraw a shipped one: shipped rows cannot be deleted)';
COMMENT ON COLUMN ims.workflow_transition.shipped IS 'true for rows created by CREATE EXTENSION; editing a row makes it false so pg_dump keeps the edit';

-- ---------------------------------------------------------------------------
-- Shipped workflows.

INSERT INTO ims.workflow (name, initial_state, description, shipped) VALUES
  ('incident', 'new', 'ITIL incident: restore service as fast as possible', true),
  ('problem', 'new', 'ITIL problem: find and remove the root cause of incidents (known errors are a flag on the problem, not a state)', true),
  ('change', 'new', 'ITIL change: assess, authorise, schedule, implement and review a change', true);

INSERT INTO ims.workflow_state (workflow, state, category, description, shipped) VALUES
  ('incident', 'new',         'open',      'Logged, not yet acknowledged', true),
  ('incident', 'in_progress', 'open',      'Being worked by the assignment group', true),
  ('incident', 'on_hold',     'paused',    'Waiting for the caller, a vendor or a change', true),
  ('incident', 'resolved',    'resolved',  'Service restored; may be reopened', true),
  ('incident', 'closed',      'closed',    'Confirmed and closed', true),
  ('incident', 'cancelled',   'cancelled', 'Logged in error or a duplicate', true),
  ('problem', 'new',                 'open',      'Logged', true),
  ('problem', 'assess',              'open',      'Impact and priority being assessed', true),
  ('problem', 'root_cause_analysis', 'open',      'Root cause being investigated', true),
  ('problem', 'fix_in_progress',     'open',      'Permanent fix being built or deployed (often through a change)', true),
  ('problem', 'resolved',            'resolved',  'Root cause removed; may be reopened', true),
  ('problem', 'closed',              'closed',    'Reviewed and closed', true),
  ('problem', 'cancelled',           'cancelled', 'Not a problem, or a duplicate', true),
  ('change', 'new',       'open',      'Requested', true),
  ('change', 'assess',    'open',      'Risk and impact being assessed', true),
  ('change', 'authorize', 'open',      'Waiting for approval', true),
  ('change', 'scheduled', 'open',      'Approved and scheduled', true),
  ('change', 'implement', 'open',      'Being implemented', true),
  ('change', 'review',    'open',      'Implemented; outcome being reviewed', true),
  ('change', 'closed',    'closed',    'Reviewed and closed', true),
  ('change', 'cancelled', 'cancelled', 'Withdrawn before completion', true);

INSERT INTO ims.workflow_transition (workflow, from_state, to_state, required_role, description, shipped) VALUES
  ('incident', 'new',         'in_progress', NULL, 'acknowledge and start work', true),
  ('incident', 'new',         'on_hold',     NULL, 'acknowledge and wait', true),
  ('incident', 'new',         'resolved',    NULL, 'resolve at first contact', true),
  ('incident', 'new',         'cancelled',   'ims_agent', 'cancel (agents only)', true),
  ('incident', 'in_progress', 'on_hold',     NULL, 'wait for the caller, a vendor or a change', true),
  ('incident', 'on_hold',     'in_progress', NULL, 'resume work', true),
  ('incident', 'in_progress', 'resolved',    NULL, 'resolve', true),
  ('incident', 'on_hold',     'resolved',    NULL, 'resolve while waiting', true),
  ('incident', 'in_progress', 'cancelled',   'ims_agent', 'cancel (agents only)', true),
  ('incident', 'on_hold',     'cancelled',   'ims_agent', 'cancel (agents only)', true),
  ('incident', 'resolved',    'closed',      NULL, 'close', true),
  ('incident', 'resolved',    'in_progress', NULL, 'reopen', true),
  ('problem', 'new',                 'assess',              NULL, 'start assessment', true),
  ('problem', 'assess',              'new',                 NULL, 'return for more information', true),
  ('problem', 'assess',              'root_cause_analysis', NULL, 'accept and investigate', true),
  ('problem', 'root_cause_analysis', 'fix_in_progress',     NULL, 'root cause found; build the fix', true),
  ('problem', 'root_cause_analysis', 'resolved',            NULL, 'resolved without a fix (e.g. fixed by a vendor)', true),
  ('problem', 'fix_in_progress',     'root_cause_analysis', NULL, 'the fix did not address the cause', true),
  ('problem', 'fix_in_progress',     'resolved',            NULL, 'fix deployed', true),
  ('problem', 'resolved',            'fix_in_progress',     NULL, 'reopen: the fix did not hold', true),
  ('problem', 'resolved',            'closed',              'ims_agent', 'close after review (agents only)', true),
  ('problem', 'new',                 'cancelled',           NULL, 'cancel', true),
  ('problem', 'assess',              'cancelled',           NULL, 'cancel', true),
  ('problem', 'root_cause_analysis', 'cancelled',           NULL, 'cancel', true),
  ('problem', 'fix_in_progress',     'cancelled',           NULL, 'cancel', true),
  ('change', 'new',       'assess',    NULL, 'submit for assessment', true),
  ('change', 'assess',    'new',       NULL, 'return to the requester', true),
  ('change', 'assess',    'authorize', NULL, 'request approval', true),
  ('change', 'authorize', 'assess',    NULL, 'approval needs more assessment', true),
  ('change', 'authorize', 'scheduled', 'ims_change_manager', 'authorised (change managers only)', true),
  ('change', 'scheduled', 'authorize', NULL, 're-plan: needs a new approval', true),
  ('change', 'scheduled', 'implement', NULL, 'start implementation', true),
  ('change', 'implement', 'review',    NULL, 'implemented (successfully or backed out)', true),
  ('change', 'review',    'closed',    NULL, 'close after review', true),
  ('change', 'new',       'cancelled', NULL, 'cancel', true),
  ('change', 'assess',    'cancelled', NULL, 'cancel', true),
  ('change', 'authorize', 'cancelled', NULL, 'cancel', true),
  ('change', 'scheduled', 'cancelled', NULL, 'cancel', true),
  ('change', 'implement', 'cancelled', NULL, 'cancel', true),
  ('change', 'review',    'cancelled', NULL, 'cancel', true);

SELECT pg_catalog.pg_extension_config_dump('ims.workflow', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('ims.workflow_state', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('ims.workflow_transition', 'WHERE NOT shipped');

-- ---------------------------------------------------------------------------
-- Shipped rows stay consistent with pg_dump: an edited shipped row becomes the
-- DBA's own row (shipped = false, so it is dumped); inserting a row whose key
-- is a shipped row (what a restore does with an edited row, after CREATE
-- EXTENSION re-created the original) replaces the shipped row; deleting a
-- shipped row is refused, because a restore would bring it back.

CREATE FUNCTION ims._config_row_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.shipped THEN
            RAISE EXCEPTION 'cannot delete a shipped row of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
                USING ERRCODE = '55000',
                      DETAIL = pg_catalog.format('The row %s was created by CREATE EXTENSION ims and would come back on restore.',
                                                 pg_catalog.to_jsonb(OLD) - 'shipped'),
                      HINT = CASE WHEN TG_TABLE_NAME = 'workflow_transition'
                                  THEN 'Set enabled = false to withdraw a shipped transition.'
                                  ELSE 'Edit the row instead; edited rows are kept by pg_dump.' END;
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        NEW.shipped := false;
        RETURN NEW;
    END IF;
    -- INSERT: replace a shipped row with the same key.
    NEW.shipped := false;
    IF TG_TABLE_NAME = 'workflow' THEN
        UPDATE ims.workflow SET initial_state = NEW.initial_state, description = NEW.description
         WHERE name = NEW.name AND shipped;
    ELSIF TG_TABLE_NAME = 'workflow_state' THEN
        UPDATE ims.workflow_state SET category = NEW.category, description = NEW.description
         WHERE workflow = NEW.workflow AND state = NEW.state AND shipped;
    ELSIF TG_TABLE_NAME = 'workflow_transition' THEN
        UPDATE ims.workflow_transition
           SET required_role = NEW.required_role, enabled = NEW.enabled, description = NEW.description
         WHERE workflow = NEW.workflow AND from_state = NEW.from_state AND to_state = NEW.to_state AND shipped;
    ELSIF TG_TABLE_NAME = 'priority_matrix' THEN
        UPDATE ims.priority_matrix SET priority = NEW.priority
         WHERE impact = NEW.impact AND urgency = NEW.urgency AND shipped;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RETURN NULL;    -- the shipped row now holds the inserted values
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ims._config_row_guard() IS 'Keeps shipped rows of ims configuration tables consistent with pg_dump (see doc/workflows.md)';

CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.workflow
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();
CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.workflow_state
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();
CREATE TRIGGER config_row_guard BEFORE INSERT OR UPDATE OR DELETE ON ims.workflow_transition
    FOR EACH ROW EXECUTE FUNCTION ims._config_row_guard();

-- Backends cache these tables (src/workflow.c); a statement that changes one
-- tells its own backend's cache, other backends see the change through their
-- snapshots.
CREATE FUNCTION ims._config_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_config_changed'
    LANGUAGE C;
COMMENT ON FUNCTION ims._config_changed() IS 'Statement trigger on ims configuration tables: tells this backend''s caches to re-read them';
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.workflow
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.workflow_state
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ims.workflow_transition
    FOR EACH STATEMENT EXECUTE FUNCTION ims._config_changed();
ALTER TABLE ims.workflow ENABLE ALWAYS TRIGGER config_changed;
ALTER TABLE ims.workflow_state ENABLE ALWAYS TRIGGER config_changed;
ALTER TABLE ims.workflow_transition ENABLE ALWAYS TRIGGER config_changed;

-- The guard reads the workflow tables as the user whose statement fires it.
GRANT SELECT ON ims.workflow, ims.workflow_state, ims.workflow_transition TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ims.workflow, ims.workflow_state, ims.workflow_transition TO ims_admin;

-- ---------------------------------------------------------------------------
-- The trigger and its helpers (src/workflow.c).

CREATE FUNCTION ims.workflow_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ims_workflow_guard'
    LANGUAGE C;
COMMENT ON FUNCTION ims.workflow_guard() IS 'BEFORE INSERT OR UPDATE row trigger for any table: ims.workflow_guard(workflow, state_column) enforces the workflow''s initial state, transitions and roles';

CREATE FUNCTION ims.workflow_state_category(workflow text, state text) RETURNS text
    AS 'MODULE_PATHNAME', 'ims_workflow_state_category'
    LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION ims.workflow_state_category(text, text) IS 'Category (open, paused, resolved, closed, cancelled) of a state of a workflow, NULL when the workflow has no such state';

CREATE FUNCTION ims.workflow_targets(workflow text, from_state text)
    RETURNS TABLE (to_state text, required_role text, allowed bool)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.to_state, t.required_role,
           t.required_role IS NULL
           OR (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = t.required_role)
               AND pg_catalog.pg_has_role(current_user, t.required_role, 'member'))
      FROM ims.workflow_transition t
     WHERE t.workflow = $1 AND t.from_state = $2 AND t.enabled
     ORDER BY t.to_state
$$;
COMMENT ON FUNCTION ims.workflow_targets(text, text) IS 'The states a row may move to from from_state, with the role each needs and whether the current user may make the transition';
