-- pgTAP: arguments and data that could make a call run or allocate without
-- bound (doc/reliability.md, "Bounded work").  Each call must either fail at
-- once with a documented SQLSTATE or finish within the statement timeout set
-- here; a call that runs into it (57014) aborts this file and fails the plan.
-- The timeout is 10 s, or more when the session sets ims_test.limits_timeout_ms
-- (under valgrind, which runs everything some 50 times slower:
-- PGOPTIONS='-c ims_test.limits_timeout_ms=900000').
BEGIN;
SELECT plan(17);
SELECT set_config('statement_timeout',
                  greatest(10000, coalesce(nullif(current_setting('ims_test.limits_timeout_ms', true), '')::int, 0))::text,
                  true) IS NOT NULL AS timeout_set \gset
SET LOCAL TimeZone = 'UTC';

-- ---------------------------------------------------------------------------
-- Business-time arithmetic: huge horizons fail at once or answer in closed form.
SELECT throws_ok($$SELECT ims.business_days_add('mon-fri 09:00-17:00'::ims.calendar, '2026-01-05', 2147483647)$$,
                 '22008', 'timestamp out of range', 'business_days_add with n = 2^31-1: 22008, no walk to the end of time');
SELECT throws_ok($$SELECT ims.business_days_add('mon-fri 09:00-17:00'::ims.calendar, '2026-01-05', -2147483648)$$,
                 '22008', 'timestamp out of range', 'business_days_add with n = -2^31: 22008');
SELECT throws_ok($$SELECT ims.business_add('mon-fri 09:00-17:00'::ims.calendar, '2026-01-05', '2147483647 days')$$,
                 '22008', 'interval out of range', 'business_add of 2^31-1 days: 22008');
SELECT throws_ok($$SELECT ims.business_add('mon-fri 09:00-17:00'::ims.calendar, '2026-01-05', '178000000 years')$$,
                 '22023', 'business durations cannot contain months or years', 'business_add of 178,000,000 years: 22023');
SELECT throws_ok($$SELECT ims.business_time('mon-fri 09:00-17:00'::ims.calendar, '-infinity', 'infinity')$$,
                 '22008', 'timestamp out of range', 'business_time over an infinite span: 22008');
SELECT is(ims.business_time('mon-fri 09:00-17:00'::ims.calendar, '2000-01-03', '2400-01-03'),
          interval '1 hour' * (8 * 5 * 20871),
          'business_time over 400 years answers (400 Gregorian years are 20,871 weeks)');
SELECT throws_ok($$SELECT ims.business_days_add('2026-12-31 09:00-12:00'::ims.calendar, '2027-01-01', 1)$$,
                 '22023', 'not enough business time in the calendar after this instant',
                 'a calendar with no business time ahead: 22023 at once, no day-by-day search');
SELECT is(ims.sla_due(ims.sla_start('2000000000 hours', '2026-01-05'), 'mon-fri 09:00-17:00'::ims.calendar),
          'infinity'::timestamptz, 'an SLA target beyond the end of time is due at infinity');

-- ---------------------------------------------------------------------------
-- Maintenance windows that never coincide: the search stops (100,000 steps).
INSERT INTO ims.ci (id, name, class) VALUES (-9401, 'limits-a', 'server'), (-9402, 'limits-b', 'server');
INSERT INTO ims.maintenance_window (ci_id, cal) VALUES (-9401, 'mon 09:00-10:00'), (-9402, 'tue 09:00-10:00');
SELECT is(ims.change_window_next('{-9401,-9402}', '2026-01-05', '1 hour', 'infinity'), NULL,
          'change_window_next with windows that never coincide and an infinite horizon: NULL, bounded');
SELECT is(ims.change_window_open_until('mon-sun 00:00-24:00; closed 9999-01-01'::ims.calendar, '2026-01-05', '294000-01-01'),
          '9999-01-01 00:00:00+00'::timestamptz, 'change_window_open_until over 8,000 years: halving, not walking');

-- ---------------------------------------------------------------------------
-- Graph traversals: max_depth 2^31-1 is the whole graph, not a bigger allocation.
INSERT INTO ims.ci_relation (source_id, target_id, type) VALUES (-9401, -9402, 'depends_on');
SELECT is((SELECT count(*) FROM ims.impacted('{-9402}', 2147483647)), 2::bigint,
          'impacted with max_depth 2^31-1: the CI itself and the one that depends on it');
SELECT is((SELECT count(*) FROM ims.change_neighbourhood('{-9401,-9401,-9401}', 2147483647)), 2::bigint,
          'change_neighbourhood with max_depth 2^31-1 and repeated start CIs');

-- ---------------------------------------------------------------------------
-- KPI month grid: an infinite timestamp or bound has no month (the grid used
-- to run on forever from or to infinity).
INSERT INTO ims.incident (title, state, opened_at) VALUES ('limits: opened at infinity', 'new', 'infinity');
INSERT INTO ims.incident (title, state, opened_at) VALUES ('limits: open since 2026-01-05', 'new', '2026-01-05');
SELECT is((SELECT count(*) FROM ims._kpi_incident_months('infinity')), 0::bigint,
          '_kpi_incident_months(infinity): no months, at once');
SELECT ok((SELECT bool_and(pg_catalog.isfinite(month)) FROM ims._kpi_incident_months('-infinity')),
          '_kpi_incident_months(-infinity): finite months only');
SELECT ok((SELECT count(*) > 0 AND bool_and(pg_catalog.isfinite(month)) FROM ims.v_incident_kpi_monthly),
          'v_incident_kpi_monthly with an incident opened at infinity: finite months');
SELECT lives_ok($$SELECT ims.refresh_kpis(true)$$, 'refresh_kpis with an incident opened at infinity');
SELECT lives_ok($$SELECT count(*) FROM ims.v_service_availability_monthly$$,
                'v_service_availability_monthly with an incident opened at infinity');

SELECT * FROM finish();
ROLLBACK;
