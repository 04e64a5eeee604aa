-- test/data/incident_log_loader.sql — replays the real ServiceNow event log
-- (incident_event_log.csv.xz: "Incident management process enriched event
-- log", Amaral, Fantinato, Peres 2018, UCI Machine Learning Repository,
-- doi 10.24432/C57S4H, CC BY 4.0) through ims.incident as ordinary INSERTs
-- and UPDATEs, with ims.event_time set to each update's real timestamp.
--
-- Defines schema ims_load: the raw rows (ims_load.raw, filled by \copy in
-- load_incident_log.sql), a log of every source row's outcome
-- (ims_load.outcome) and the replay functions.  Nothing is dropped silently:
-- every source row ends in ims_load.outcome as inserted, transition,
-- field_change, unchanged or refused (with the SQLSTATE and the reason).
--
-- State mapping onto the incident workflow: New -> new, Active ->
-- in_progress, Awaiting * -> on_hold, Resolved -> resolved, Closed -> closed;
-- -100 (an anomaly in the source) is refused.  Timestamps are d/m/yyyy HH:MM,
-- read as UTC.  When a state change is refused the row's field changes are
-- still applied, so only the transition is lost (and reported).
DROP SCHEMA IF EXISTS ims_load CASCADE;
CREATE SCHEMA ims_load;

DROP TABLE IF EXISTS ims_load.raw CASCADE;
CREATE TABLE ims_load.raw (
    number text, incident_state text, active text, reassignment_count text, reopen_count text,
    sys_mod_count int, made_sla text, caller_id text, opened_by text, opened_at text,
    sys_created_by text, sys_created_at text, sys_updated_by text, sys_updated_at text,
    contact_type text, location text, category text, subcategory text, u_symptom text,
    cmdb_ci text, impact text, urgency text, priority text, assignment_group text,
    assigned_to text, knowledge text, u_priority_confirmation text, notify text,
    problem_id text, rfc text, vendor text, caused_by text, closed_code text,
    resolved_by text, resolved_at text, closed_at text
);

CREATE TABLE IF NOT EXISTS ims_load.outcome (
    line          bigint NOT NULL,      -- line of the source file (ims_load.raw.line)
    number        text NOT NULL,
    sys_mod_count int NOT NULL,
    source_state  text,
    outcome       text NOT NULL CHECK (outcome IN ('inserted', 'transition', 'field_change', 'unchanged', 'refused')),
    from_state    text,
    to_state      text,
    sqlstate      text,
    reason        text,
    PRIMARY KEY (line, outcome)
);

-- Source values: '?' is missing; '2 - Medium' is 2; dates are d/m/yyyy HH:MM in UTC.
CREATE OR REPLACE FUNCTION ims_load.val(s text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE WHEN s IS NULL OR s = '?' THEN NULL ELSE s END $$;
CREATE OR REPLACE FUNCTION ims_load.level(s text) RETURNS smallint LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE WHEN s ~ '^[1-3] ' THEN left(s, 1)::smallint END $$;
CREATE OR REPLACE FUNCTION ims_load.ts(s text) RETURNS timestamptz LANGUAGE sql STABLE AS
  $$ SELECT CASE WHEN ims_load.val(s) IS NOT NULL
                 THEN to_timestamp(s, 'DD/MM/YYYY HH24:MI')::timestamp AT TIME ZONE 'UTC' END $$;
CREATE OR REPLACE FUNCTION ims_load.map_state(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s = 'New' THEN 'new'
              WHEN s = 'Active' THEN 'in_progress'
              WHEN s LIKE 'Awaiting %' THEN 'on_hold'
              WHEN s = 'Resolved' THEN 'resolved'
              WHEN s = 'Closed' THEN 'closed' END $$;

-- The reason for a refusal, short enough to group by.
CREATE OR REPLACE FUNCTION ims_load.reason(code text, from_state text, to_state text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE code
           WHEN 'IM001' THEN format('illegal transition %s -> %s', from_state, to_state)
           WHEN 'IM004' THEN format('no resolution code to enter %s', to_state)
           WHEN '42501' THEN format('role missing for %s -> %s', from_state, to_state)
           ELSE code END $$;

-- Replay one incident's rows in sys_mod_count order.  Returns the rows handled.
CREATE OR REPLACE FUNCTION ims_load.replay_incident(inc text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    r       record;
    cur     ims.incident;
    upd     ims.incident;
    target  text;
    prev    text;
    n       int := 0;
    code    text;
    msg     text;
BEGIN
    FOR r IN SELECT * FROM ims_load.raw WHERE number = inc ORDER BY sys_mod_count, line LOOP
        n := n + 1;
        IF cur.id IS NULL THEN
            -- The first row opens the incident as new, at its opening time.
            PERFORM set_config('ims.event_time', coalesce(ims_load.ts(r.opened_at), ims_load.ts(r.sys_created_at),
                                                          ims_load.ts(r.sys_updated_at))::text, true);
            INSERT INTO ims.incident (number, title, impact, urgency, caller, category,
                                      assignment_group, assignee, opened_at)
            VALUES (r.number,
                    concat_ws(' / ', ims_load.val(r.category), ims_load.val(r.subcategory), ims_load.val(r.u_symptom)),
                    coalesce(ims_load.level(r.impact), 3), coalesce(ims_load.level(r.urgency), 3),
                    ims_load.val(r.caller_id), ims_load.val(r.category),
                    ims_load.val(r.assignment_group), ims_load.val(r.assigned_to),
                    coalesce(ims_load.ts(r.opened_at), ims_load.ts(r.sys_created_at), ims_load.ts(r.sys_updated_at)))
            RETURNING * INTO cur;
            INSERT INTO ims_load.outcome VALUES (r.line, r.number, r.sys_mod_count, r.incident_state, 'inserted', NULL, 'new');
        END IF;

        PERFORM set_config('ims.event_time', coalesce(ims_load.ts(r.sys_updated_at), cur.updated_at)::text, true);
        target := ims_load.map_state(r.incident_state);
        IF target IS NULL THEN
            INSERT INTO ims_load.outcome VALUES (r.line, r.number, r.sys_mod_count, r.incident_state, 'refused',
                cur.state, NULL, '23514', format('source state %s is not a state', r.incident_state));
            target := cur.state;    -- still apply the field changes below
        END IF;

        IF target IS DISTINCT FROM cur.state THEN
            prev := cur.state;
            BEGIN
                UPDATE ims.incident
                   SET state = target,
                       impact = coalesce(ims_load.level(r.impact), impact),
                       urgency = coalesce(ims_load.level(r.urgency), urgency),
                       assignment_group = ims_load.val(r.assignment_group),
                       assignee = ims_load.val(r.assigned_to),
                       resolution_code = CASE WHEN target IN ('resolved', 'closed')
                                              THEN coalesce(ims_load.val(r.closed_code), resolution_code)
                                              ELSE resolution_code END
                 WHERE id = cur.id
                RETURNING * INTO cur;
                INSERT INTO ims_load.outcome VALUES (r.line, r.number, r.sys_mod_count, r.incident_state, 'transition',
                    prev, target);
                CONTINUE;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                INSERT INTO ims_load.outcome VALUES (r.line, r.number, r.sys_mod_count, r.incident_state, 'refused',
                    cur.state, target, code, ims_load.reason(code, cur.state, target));
            END;
        END IF;

        -- No state change (or a refused one): apply the field changes alone.
        UPDATE ims.incident
           SET impact = coalesce(ims_load.level(r.impact), impact),
               urgency = coalesce(ims_load.level(r.urgency), urgency),
               assignment_group = ims_load.val(r.assignment_group),
               assignee = ims_load.val(r.assigned_to)
         WHERE id = cur.id
           AND (impact, urgency, assignment_group, assignee) IS DISTINCT FROM
               (coalesce(ims_load.level(r.impact), impact), coalesce(ims_load.level(r.urgency), urgency),
                ims_load.val(r.assignment_group), ims_load.val(r.assigned_to))
        RETURNING * INTO upd;
        IF FOUND THEN
            cur := upd;
            INSERT INTO ims_load.outcome VALUES (r.line, r.number, r.sys_mod_count, r.incident_state, 'field_change', cur.state, cur.state);
        ELSIF target = cur.state AND NOT EXISTS (SELECT 1 FROM ims_load.outcome o
                                                  WHERE o.line = r.line) THEN
            INSERT INTO ims_load.outcome VALUES (r.line, r.number, r.sys_mod_count, r.incident_state, 'unchanged', cur.state, cur.state);
        END IF;
        -- A row with both a refusal and no field change is recorded once, as refused.
    END LOOP;
    PERFORM set_config('ims.event_time', '', true);
    RETURN n;
END $$;

-- Replay the first max_incidents incidents (by number; NULL: all), committing
-- every batch.  Call as a member of ims_admin.
CREATE OR REPLACE PROCEDURE ims_load.replay_all(max_incidents int DEFAULT NULL, batch int DEFAULT 500)
LANGUAGE plpgsql AS $$
DECLARE
    inc  text;
    k    int := 0;
BEGIN
    FOR inc IN SELECT DISTINCT number FROM ims_load.raw r
                WHERE NOT EXISTS (SELECT 1 FROM ims.incident i WHERE i.number = r.number)
                ORDER BY number LIMIT max_incidents LOOP
        PERFORM ims_load.replay_incident(inc);
        k := k + 1;
        IF k % batch = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END $$;

-- The report: what happened to every source row, and why refusals were refused.
CREATE OR REPLACE VIEW ims_load.summary AS
SELECT outcome, count(*) AS source_rows
  FROM ims_load.outcome GROUP BY outcome;
CREATE OR REPLACE VIEW ims_load.refusals AS
SELECT sqlstate, reason, count(*) AS source_rows, count(DISTINCT number) AS incidents
  FROM ims_load.outcome WHERE outcome = 'refused'
 GROUP BY sqlstate, reason;

GRANT USAGE ON SCHEMA ims_load TO ims_admin;
GRANT ALL ON ALL TABLES IN SCHEMA ims_load TO ims_admin;
