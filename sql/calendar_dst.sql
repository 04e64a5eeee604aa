-- calendar_dst: exact results on DST days in Europe/Berlin, America/New_York
-- and Australia/Sydney; overnight shifts; windows in a gap or an overlap;
-- holidays and date-specific hours; negative spans; closing-time edges.
-- Instants are written as local wall time AT TIME ZONE and shown back in
-- local time, so every expected value can be checked by reading it.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- 2026 changes: Berlin 03-29 (02:00 -> 03:00) and 10-25 (03:00 -> 02:00);
-- New York 03-08 (02:00 -> 03:00) and 11-01 (02:00 -> 01:00);
-- Sydney 04-05 (03:00 -> 02:00) and 10-04 (02:00 -> 03:00).
SELECT zone, d AS local_date,
       ims.business_time(('tz ' || zone || '; 24x7')::ims.calendar,
                         d::timestamp AT TIME ZONE zone, (d + 1)::timestamp AT TIME ZONE zone) AS hours_that_day
  FROM (VALUES ('Europe/Berlin', date '2026-03-29'), ('Europe/Berlin', '2026-10-25'), ('Europe/Berlin', '2026-06-01'),
               ('America/New_York', '2026-03-08'), ('America/New_York', '2026-11-01'),
               ('Australia/Sydney', '2026-04-05'), ('Australia/Sydney', '2026-10-04')) v(zone, d)
 ORDER BY zone, d;

-- overnight shifts over the change: one hour less in spring, one more in autumn
SELECT zone, d AS saturday,
       ims.business_time(('tz ' || zone || '; sat 22:00-06:00')::ims.calendar,
                         d::timestamp AT TIME ZONE zone, (d + 2)::timestamp AT TIME ZONE zone) AS night_shift
  FROM (VALUES ('Europe/Berlin', date '2026-03-28'), ('Europe/Berlin', '2026-10-24'),
               ('America/New_York', '2026-03-07'), ('America/New_York', '2026-10-31'),
               ('Australia/Sydney', '2026-04-04'), ('Australia/Sydney', '2026-10-03')) v(zone, d)
 ORDER BY zone, d;

-- office hours are untouched by a Sunday-night change, and durations keep wall-clock hours
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00',
                         timestamp '2026-03-27 09:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2026-03-30 17:00' AT TIME ZONE 'Europe/Berlin') AS berlin_fri_to_mon,
       ims.business_time('tz Australia/Sydney; mon-fri 09:00-17:00',
                         timestamp '2026-04-03 09:00' AT TIME ZONE 'Australia/Sydney',
                         timestamp '2026-04-06 17:00' AT TIME ZONE 'Australia/Sydney') AS sydney_fri_to_mon;
SELECT ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                        timestamp '2026-03-27 16:00' AT TIME ZONE 'Europe/Berlin', '2 hours') AS utc,
       ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                        timestamp '2026-03-27 16:00' AT TIME ZONE 'Europe/Berlin', '2 hours') AT TIME ZONE 'Europe/Berlin' AS berlin;
SELECT ims.business_add('tz America/New_York; mon-fri 09:00-17:00',
                        timestamp '2026-10-30 16:30' AT TIME ZONE 'America/New_York', '1 hour') AT TIME ZONE 'America/New_York' AS new_york;
-- 24 business hours on a 24x7 Berlin calendar from the start of the 23-hour day
SELECT ims.business_add('tz Europe/Berlin; 24x7', timestamp '2026-03-29 00:00' AT TIME ZONE 'Europe/Berlin', '24 hours')
         AT TIME ZONE 'Europe/Berlin' AS spring_24h,
       ims.business_add('tz Europe/Berlin; 24x7', timestamp '2026-10-25 00:00' AT TIME ZONE 'Europe/Berlin', '24 hours')
         AT TIME ZONE 'Europe/Berlin' AS autumn_24h;
-- business days keep the wall-clock time across the change
SELECT ims.business_days_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                             timestamp '2026-03-27 10:00' AT TIME ZONE 'Europe/Berlin', 1) AS utc,
       ims.business_days_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                             timestamp '2026-03-27 10:00' AT TIME ZONE 'Europe/Berlin', 1) AT TIME ZONE 'Europe/Berlin' AS berlin,
       ims.business_days_add('tz America/New_York; mon-fri 09:00-17:00',
                             timestamp '2026-11-02 10:00' AT TIME ZONE 'America/New_York', -1) AT TIME ZONE 'America/New_York' AS new_york;

-- windows with an end in the spring gap or the autumn overlap use PostgreSQL's
-- conversion (the later instant), exactly as timestamp AT TIME ZONE does
SELECT timestamp '2026-03-29 02:30' AT TIME ZONE 'Europe/Berlin' AS gap_0230,
       timestamp '2026-10-25 02:30' AT TIME ZONE 'Europe/Berlin' AS overlap_0230;
SELECT w AS sunday_window,
       ims.business_time(('tz Europe/Berlin; sun ' || w)::ims.calendar,
                         timestamp '2026-03-29 00:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2026-03-30 00:00' AT TIME ZONE 'Europe/Berlin') AS spring_day,
       ims.business_time(('tz Europe/Berlin; sun ' || w)::ims.calendar,
                         timestamp '2026-10-25 00:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2026-10-26 00:00' AT TIME ZONE 'Europe/Berlin') AS autumn_day,
       ims.business_time(('tz Europe/Berlin; sun ' || w)::ims.calendar,
                         timestamp '2026-06-07 00:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2026-06-08 00:00' AT TIME ZONE 'Europe/Berlin') AS june_day
  FROM (VALUES ('01:00-04:00'), ('02:30-04:00'), ('01:00-02:30'), ('02:00-03:00'), ('02:15-02:45'), ('02:30-03:00')) v(w);
-- a window the change makes empty counts as closed
SELECT ims.is_business_time('tz Europe/Berlin; sun 02:00-03:00', timestamp '2026-03-29 03:30' AT TIME ZONE 'Europe/Berlin') AS open_0330,
       ims.next_business_time('tz Europe/Berlin; sun 02:00-03:00', timestamp '2026-03-29 00:00' AT TIME ZONE 'Europe/Berlin')
         AT TIME ZONE 'Europe/Berlin' AS next_opening;
-- walking through the autumn overlap: 01:00-02:30 runs 2.5 hours of real time
SELECT n, ims.business_add('tz Europe/Berlin; sun 01:00-02:30', timestamp '2026-10-25 00:00' AT TIME ZONE 'Europe/Berlin',
                           n * interval '30 minutes') AS utc
  FROM generate_series(1, 5) n;

-- holidays, yearly dates and date-specific hours (a half day, a Sunday opening)
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-12-24..2026-12-26; closed yearly 01-01; 2026-12-31 09:00-12:00',
                         timestamp '2026-12-23 09:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2027-01-04 17:00' AT TIME ZONE 'Europe/Berlin') AS christmas_fortnight,
       ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00; 2026-12-20 10:00-14:00',
                         timestamp '2026-12-19 00:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2026-12-21 00:00' AT TIME ZONE 'Europe/Berlin') AS sunday_opening;
SELECT ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00; closed 2026-12-24..2026-12-26; closed yearly 01-01; 2026-12-31 09:00-12:00',
                        timestamp '2026-12-30 16:00' AT TIME ZONE 'Europe/Berlin', '5 hours') AT TIME ZONE 'Europe/Berlin' AS after_half_day;
-- a closed date removes the windows that start on it; last night's shift still runs out
SELECT ims.business_time('tz UTC; mon-sun 22:00-06:00; closed 2026-12-25', '2026-12-25 00:00+00', '2026-12-26 00:00+00') AS christmas_day,
       ims.business_time('tz UTC; mon-sun 22:00-06:00; 2026-12-25 23:00-01:00', '2026-12-25 00:00+00', '2026-12-27 00:00+00') AS shortened_night;
-- the closed yearly date moves through the week; 02-29 closes leap years only
SELECT y, ims.business_time('tz UTC; mon-fri 09:00-17:00; closed yearly 02-29',
                            make_date(y, 2, 28)::timestamptz, make_date(y, 3, 2)::timestamptz) AS feb28_to_mar2
  FROM (VALUES (2027), (2028), (2032)) v(y);

-- negative spans and durations, closing-time and opening-time edges across the change
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00',
                         timestamp '2026-03-30 10:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2026-03-27 16:00' AT TIME ZONE 'Europe/Berlin') AS negative_span,
       ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                        timestamp '2026-03-30 10:00' AT TIME ZONE 'Europe/Berlin', '-2 hours') AT TIME ZONE 'Europe/Berlin' AS back_over_the_change,
       ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                        timestamp '2026-03-30 10:00' AT TIME ZONE 'Europe/Berlin', '-1 hour') AT TIME ZONE 'Europe/Berlin' AS back_to_opening;
SELECT ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                        timestamp '2026-03-30 09:00' AT TIME ZONE 'Europe/Berlin', '8 hours') AT TIME ZONE 'Europe/Berlin' AS ends_at_closing,
       ims.business_add('tz Europe/Berlin; mon-fri 09:00-17:00',
                        timestamp '2026-03-30 09:00' AT TIME ZONE 'Europe/Berlin', '8 hours 0.000001 seconds') AT TIME ZONE 'Europe/Berlin' AS one_microsecond_more;

-- long spans cost what short ones do and stay exact: ten years of Berlin office hours
SELECT ims.business_time('tz Europe/Berlin; mon-fri 09:00-17:00; closed yearly 01-01,12-25',
                         timestamp '2020-01-01 00:00' AT TIME ZONE 'Europe/Berlin',
                         timestamp '2030-01-01 00:00' AT TIME ZONE 'Europe/Berlin') AS ten_years,
       (SELECT count(*) * 8 FROM generate_series(date '2020-01-01', date '2029-12-31', '1 day') d
         WHERE extract(isodow FROM d) < 6 AND to_char(d, 'MM-DD') NOT IN ('01-01', '12-25')) AS ten_years_by_counting_days;
