-- calendar: the ims.calendar type, its text, binary and JSON forms, errors,
-- and the business-time functions on plain (non-DST) days.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- canonical text form
SELECT 'tz europe/berlin; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01; 2026-12-31 09:00-12:00'::ims.calendar;
SELECT '24x7'::ims.calendar, 'tz UTC; mon-sun 00:00-24:00'::ims.calendar AS same;
SELECT 'tz Europe/Berlin; 24x7'::ims.calendar;
SELECT '  TZ America/New_York ;MON-FRI 9:00-12:00 , 12:00-17:00;'::ims.calendar AS merged_touching_windows;
SELECT 'tz UTC; sun-thu 08:00-16:00'::ims.calendar AS middle_east_week;
SELECT 'tz UTC; mon-fri 22:00-06:00'::ims.calendar AS overnight;
SELECT 'tz UTC; mon 22:00-00:00'::ims.calendar AS ends_at_midnight;
SELECT 'tz UTC; mon-fri 09:00-17:00; closed 2026-01-02, 2026-01-01, 2026-01-03..2026-01-05'::ims.calendar AS merged_dates;
SELECT 'tz UTC; mon-fri 09:00-17:00; closed yearly 12-26,12-24..12-25,01-01'::ims.calendar AS yearly_runs;
SELECT 'tz UTC; mon-fri 09:00-17:00; 2026-12-24..2026-12-26 10:00-12:00; 2026-12-31 closed'::ims.calendar AS date_specific;
SELECT 'tz UTC'::ims.calendar AS never_open;

-- equality, hashing, DISTINCT
-- (the operators live in schema ims: qualify them or put ims on the search_path)
SELECT 'tz UTC; mon-fri 09:00-17:00'::ims.calendar OPERATOR(ims.=) 'TZ utc;MON-FRI 09:00-12:00,12:00-17:00'::ims.calendar AS eq,
       'tz UTC; mon-fri 09:00-17:00'::ims.calendar OPERATOR(ims.<>) 'tz UTC; mon-fri 09:00-16:00'::ims.calendar AS ne;
SELECT c, count(*) FROM (VALUES ('24x7'::ims.calendar), ('tz UTC; mon-sun 00:00-24:00'), ('tz UTC; mon 09:00-10:00')) v(c)
 GROUP BY c ORDER BY 2 DESC;
SET search_path = public, ims;

-- binary round trip (COPY BINARY) is exact
CREATE TEMP TABLE cal_bin (c ims.calendar, k ims.sla_clock);
INSERT INTO cal_bin VALUES ('tz Europe/Berlin; mon-fri 09:00-17:00; closed yearly 12-25', ims.sla_start('8 hours', '2026-11-20 09:00:00.5+00')),
                           ('24x7', ims.sla_stop(ims.sla_start('1 hour', '2026-11-20 09:00+00'), '24x7', '2026-11-20 12:00+00'));
SELECT '/tmp/ims_regress_calendar_' || pg_backend_pid() || '.bin' AS binfile \gset
COPY cal_bin TO :'binfile' WITH (FORMAT binary);
CREATE TEMP TABLE cal_bin2 (LIKE cal_bin);
COPY cal_bin2 FROM :'binfile' WITH (FORMAT binary);
SELECT a.c = b.c AS calendar_equal, a.k = b.k AS clock_equal, b.c, b.k FROM cal_bin a JOIN cal_bin2 b ON a.c = b.c;
SELECT ims.calendar_send('tz Europe/Berlin; mon 09:00-17:00'::ims.calendar);

-- JSON form and back
SELECT jsonb_pretty(ims.calendar_to_jsonb('tz Europe/Berlin; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01; 2026-12-31 09:00-12:00'));
SELECT ims.calendar(ims.calendar_to_jsonb(c)) = c AS json_round_trip
  FROM (VALUES ('tz Europe/Berlin; mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00; closed 2026-12-24..2026-12-26,2027-01-01; closed yearly 05-01; 2026-12-31 09:00-12:00'::ims.calendar),
               ('24x7'), ('tz UTC'), ('tz Asia/Tokyo; mon-fri 22:00-06:00; 2026-05-05 10:00-11:00')) v(c);
SELECT ims.calendar(jsonb '{"tz": "Asia/Kolkata", "weekly": {"mon": ["09:30-18:00"], "sat": []}, "closed_yearly": ["01-26", "08-15"]}');
SELECT ims.calendar(jsonb '{}');

-- malformed input: 22P02 naming the offending clause
\set VERBOSITY default
SELECT ''::ims.calendar;
SELECT ' ; ; '::ims.calendar;
SELECT 'tz Mars/Olympus_Mons; mon 09:00-17:00'::ims.calendar;
SELECT 'tz UTC; tz UTC'::ims.calendar;
SELECT 'tz UTC; moonday 09:00-17:00'::ims.calendar;
SELECT 'tz UTC; mon-fry 09:00-17:00'::ims.calendar;
SELECT 'tz UTC; lunch 12:00-13:00'::ims.calendar;
SELECT 'tz UTC; mon 25:00-26:00'::ims.calendar;
SELECT 'tz UTC; mon 09:60-10:00'::ims.calendar;
SELECT 'tz UTC; mon 24:00-02:00'::ims.calendar;
SELECT 'tz UTC; mon 09:00-09:00'::ims.calendar;
SELECT 'tz UTC; mon 09:00-12:00,11:00-13:00'::ims.calendar;
SELECT 'tz UTC; mon-fri 09:00-12:00; wed 11:30-13:00'::ims.calendar;
SELECT 'tz UTC; mon 22:00-06:00; tue 05:00-09:00'::ims.calendar;
SELECT 'tz UTC; sun 22:00-06:00; mon 05:00-09:00'::ims.calendar;
SELECT 'tz UTC; mon-fri 22:00-06:00; 2026-12-01 05:00-07:00'::ims.calendar;
SELECT 'tz UTC; closed 2026-02-30'::ims.calendar;
SELECT 'tz UTC; closed 2026-13-01'::ims.calendar;
SELECT 'tz UTC; closed 2026-1-1'::ims.calendar;
SELECT 'tz UTC; closed 2026-12-26..2026-12-24'::ims.calendar;
SELECT 'tz UTC; closed yearly 02-30'::ims.calendar;
SELECT 'tz UTC; closed yearly 12-31..01-01'::ims.calendar;
SELECT 'tz UTC; 2026-02-29 09:00-10:00'::ims.calendar;
SELECT 'tz UTC; mon 09:00'::ims.calendar;
SELECT 'tz UTC; mon'::ims.calendar;
SELECT 'tz UTC; mon 09:00-10:00,'::ims.calendar;
SELECT 'tz UTC; 24x7 please'::ims.calendar;
SELECT 'tz UTC; mon 09:00-17:00; garbage'::ims.calendar;
SELECT ('tz UTC; mon 09:00-17:00; closed ' || string_agg('2026-01-01', ',')) ::ims.calendar FROM generate_series(1, 10000);
SELECT convert_from('\x747a205554433b206d6f6e2030393a30302d31373a3030c3a9', 'UTF8')::ims.calendar AS non_ascii;
SELECT ims.calendar(jsonb '[1, 2]');
SELECT ims.calendar(jsonb '{"tz": "UTC", "weekly": {"monday": ["09:00-17:00"]}}');
SELECT ims.calendar(jsonb '{"tz": "UTC", "weekly": {"mon": ["09:00-17:00; tz Europe/Berlin"]}}');
SELECT ims.calendar(jsonb '{"tz": "UTC", "holidays": []}');
SELECT ims.calendar(jsonb '{"tz": "UTC", "weekly": {"mon": "09:00-17:00"}}');
SELECT ims.calendar(jsonb '{"tz": "UTC", "weekly": {"mon": ["09:00-25:00"]}}');

-- business_time: result in hours, no day field; negative when reversed
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-20 15:00+00', '2026-11-23 10:00+00') AS fri_to_mon;
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00', '2026-11-23 10:00+00', '2026-11-20 15:00+00') AS reversed;
SELECT ims.business_time('24x7', '2026-11-01 00:00+00', '2026-11-02 02:30+00') AS day_and_a_half;
SELECT ims.business_time('tz UTC; mon-fri 09:00-17:00', '2026-11-23 09:00:00.000001+00', '2026-11-23 09:00:01+00') AS microseconds;
SELECT ims.business_time('tz UTC; mon-fri 09:00-17:00', '2026-01-01 00:00+00', '2031-01-01 00:00+00') AS five_years;
SELECT ims.business_time('tz UTC; mon-fri 09:00-17:00', 'infinity', '2026-01-01');

-- business_add: ends at closing time, zero, negative, holidays, months rejected
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-20 16:00+00', '1 hour') AS ends_at_closing;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-20 16:00+00', '1 hour 1 second') AS next_monday;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-21 10:00+00', '0') AS zero_returns_t;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-23 10:00+00', '-1 hour') AS back_to_opening;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-23 10:00+00', '-2 hours') AS back_to_friday;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00; closed 2026-12-25', '2026-12-24 16:00+00', '2 hours') AS over_christmas;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-23 09:00+00', '1 day') AS one_day_is_24h;
SELECT ims.business_add('tz UTC; mon-fri 09:00-17:00', '2026-11-23 09:00+00', '1 month');
SELECT ims.business_add('tz UTC', '2026-11-23 09:00+00', '1 hour');

-- business_days_add, is_business_time, next_business_time
SELECT ims.business_days_add('tz UTC; mon-fri 09:00-17:00', '2026-11-20 15:00+00', 1) AS fri_plus_1,
       ims.business_days_add('tz UTC; mon-fri 09:00-17:00', '2026-11-23 15:00+00', -1) AS mon_minus_1,
       ims.business_days_add('tz UTC; mon-fri 09:00-17:00', '2026-11-21 10:00+00', 5) AS sat_plus_5,
       ims.business_days_add('tz UTC; mon-fri 09:00-17:00', '2026-11-21 10:00+00', 0) AS zero;
SELECT t, ims.is_business_time('tz UTC; mon-fri 09:00-17:00', t) AS open,
       ims.next_business_time('tz UTC; mon-fri 09:00-17:00', t) AS next
  FROM (VALUES ('2026-11-20 08:59:59.999999+00'::timestamptz), ('2026-11-20 09:00+00'), ('2026-11-20 16:59:59+00'),
               ('2026-11-20 17:00+00'), ('2026-11-21 12:00+00')) v(t);

-- overnight shift: Thu night runs into Fri morning
SELECT ims.business_time('tz UTC; mon-fri 22:00-06:00', '2026-11-20 00:00+00', '2026-11-21 12:00+00') AS overnight;
SELECT ims.business_add('tz UTC; mon-fri 22:00-06:00', '2026-11-21 05:00+00', '2 hours') AS resumes_monday_night;

-- the named-calendar table
INSERT INTO ims.business_calendar (name, cal) VALUES ('berlin-office', 'tz Europe/Berlin; mon-fri 09:00-17:00');
SELECT name, cal FROM ims.business_calendar;
INSERT INTO ims.business_calendar (name, cal) VALUES ('berlin-office', '24x7');
SELECT c.relname FROM pg_extension e CROSS JOIN LATERAL unnest(e.extconfig) AS x(reloid) JOIN pg_class c ON c.oid = x.reloid
 WHERE e.extname = 'ims' AND c.relname LIKE 'business_calendar%' ORDER BY 1;

-- beyond the range of timestamps
SELECT ims.business_days_add('tz Europe/Berlin; mon-fri 09:00-17:00', '2026-01-01', 2000000000);
SELECT ims.business_add('24x7', '294276-12-31 20:00+00', '5 hours');
SELECT ims.business_time('24x7', '4000-01-01 00:00+00 BC', '290000-12-31 00:00+00');
-- long spans: 8,000 years of Berlin office hours in one call
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00', '2000-01-01 00:00+00', '9999-12-31 00:00+00');
-- long lists: 1,000 closed dates (every other day) in one clause
SELECT length(c::text) AS canonical_length, ims.business_time(c, '2026-01-01 00:00+00', '2031-06-25 00:00+00') AS business_time
  FROM (SELECT ('tz UTC; mon-sun 09:00-17:00; closed ' || string_agg(d::date::text, ',')) ::ims.calendar AS c
          FROM generate_series(date '2026-01-01', date '2031-06-24', interval '2 days') d) x;
