-- metrics: ims.mttr, ims.mtta, ims.downtime, ims.availability, ims.mtbf and
-- their state types.  Every expected value is computed by hand in a comment.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 0;

-- ---------------------------------------------------------------------------
-- ims.mttr / ims.mtta
CREATE TEMP TABLE inc (id int, opened timestamptz, acked timestamptz, restored timestamptz);
INSERT INTO inc VALUES
  (1, '2026-01-01 00:00', '2026-01-01 00:10', '2026-01-01 01:00'),  -- 1 h, acked after 10 min
  (2, '2026-01-01 00:00', '2026-01-01 00:20', '2026-01-01 02:00'),  -- 2 h, acked after 20 min
  (3, '2026-01-01 00:00', NULL,               NULL),                -- open: skipped
  (4, NULL,               NULL,               '2026-01-01 05:00');  -- no start: skipped
-- mttr = (1 h + 2 h) / 2 = 01:30:00; mtta = (10 + 20) / 2 min = 00:15:00
SELECT ims.mttr(opened, restored), ims.mtta(opened, acked) FROM inc;
-- empty input and all-NULL input give NULL
SELECT ims.mttr(opened, restored) IS NULL AS empty_is_null FROM inc WHERE false;
SELECT ims.mttr(opened, restored) IS NULL AS all_null_is_null FROM inc WHERE id >= 3;
-- empty groups from an outer join give NULL, not zero
SELECT g.id, ims.mttr(i.opened, i.restored)
  FROM (VALUES (1), (2), (9)) AS g(id) LEFT JOIN inc i ON i.id = g.id
 GROUP BY g.id ORDER BY g.id;
-- days and hours like timestamptz subtraction: (26 h + 50 h) / 2 = 38 h
SELECT ims.mttr(o, r) FROM (VALUES ('2026-01-01 00:00'::timestamptz, '2026-01-02 02:00'::timestamptz),
                                   ('2026-01-01 00:00', '2026-01-03 02:00')) AS v(o, r);
-- rounding to the microsecond, halves away from zero: (1 + 2) / 2 us = 1.5 us -> 2 us
SELECT ims.mttr(o, o + r) FROM (VALUES ('2026-01-01'::timestamptz, '1 microsecond'::interval),
                                       ('2026-01-01', '2 microseconds')) AS v(o, r);
-- (-1 - 2) / 2 us = -1.5 us -> -2 us
SELECT ims.mttr(o, o - r) FROM (VALUES ('2026-01-01'::timestamptz, '1 microsecond'::interval),
                                       ('2026-01-01', '2 microseconds')) AS v(o, r);
-- negative durations (restored before opened) are included, like avg(restored - opened):
-- (-1 h + 3 h) / 2 = 1 h
SELECT ims.mttr(o, r), avg(r - o)
  FROM (VALUES ('2026-01-01 02:00'::timestamptz, '2026-01-01 01:00'::timestamptz),
               ('2026-01-01 00:00', '2026-01-01 03:00')) AS v(o, r);
-- thirds: (1 + 1 + 2) h / 3 = 1 h 20 min
SELECT ims.mttr(o, o + d) FROM (VALUES ('2026-01-01'::timestamptz, '1 hour'::interval),
                                       ('2026-03-01', '1 hour'), ('2026-07-01', '2 hours')) AS v(o, d);
-- an infinite timestamp is an error (22008), like timestamptz subtraction
SELECT ims.mttr(o, r) FROM (VALUES ('2026-01-01'::timestamptz, 'infinity'::timestamptz)) AS v(o, r);
-- as a window aggregate (running mean): 1 h, 1.5 h, then the NULL row keeps 1.5 h
SELECT id, ims.mttr(opened, restored) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING)
  FROM inc WHERE id <= 3 ORDER BY id;

-- business-time variants: the mean of ims.business_time(cal, opened, end).
-- Office hours mon-fri 09:00-17:00 UTC; 2026-01-02 is a Friday.
--   Fri 16:00 -> Mon 10:00: 1 h Friday + 1 h Monday = 2 h (66 h on the wall clock)
--   Mon 08:00 -> Tue 08:00: 09:00-17:00 Monday = 8 h (24 h on the wall clock)
-- business mttr (2 + 8) / 2 = 5 h; wall-clock mttr (66 + 24) / 2 = 45 h
CREATE TEMP TABLE binc (opened timestamptz, acked timestamptz, restored timestamptz, cal ims.calendar);
INSERT INTO binc VALUES
  ('2026-01-02 16:00', '2026-01-02 16:30', '2026-01-05 10:00', 'tz UTC; mon-fri 09:00-17:00'),
  ('2026-01-05 08:00', '2026-01-05 09:30', '2026-01-06 08:00', 'tz UTC; mon-fri 09:00-17:00'),
  ('2026-01-05 08:00', '2026-01-05 09:30', NULL,               'tz UTC; mon-fri 09:00-17:00'),  -- open: skipped
  ('2026-01-05 08:00', '2026-01-05 09:30', '2026-01-06 08:00', NULL);                            -- no calendar: skipped
-- mtta: Fri 16:00 -> 16:30 = 30 min; Mon 08:00 -> 09:30 = 30 min (opens at 09:00): 30 min
SELECT ims.mttr(opened, restored, cal), ims.mttr(opened, restored) FILTER (WHERE cal IS NOT NULL) AS wall_mttr,
       ims.mtta(opened, acked, cal)
  FROM binc;
-- a different calendar per row (per service): 24x7 counts the wall clock:
-- (66 h in 24x7 + 8 h office) / 2 = 37 h, printed as hours without a day field
SELECT ims.mttr(o, r, c::ims.calendar)
  FROM (VALUES ('2026-01-02 16:00'::timestamptz, '2026-01-05 10:00'::timestamptz, '24x7'),
               ('2026-01-05 08:00', '2026-01-06 08:00', 'tz UTC; mon-fri 09:00-17:00')) AS v(o, r, c);
-- restored before opened is negative business time: (-2 h + 8 h) / 2 = 3 h
SELECT ims.mttr(o, r, 'tz UTC; mon-fri 09:00-17:00')
  FROM (VALUES ('2026-01-05 10:00'::timestamptz, '2026-01-02 16:00'::timestamptz),
               ('2026-01-05 08:00', '2026-01-06 08:00')) AS v(o, r);
-- a holiday and another zone: New York office 09:00-17:00 (UTC-5 in January),
-- closed 2026-01-05: Fri 2026-01-02 21:00 UTC (16:00 local) -> Tue 2026-01-06 15:00 UTC (10:00 local)
-- = 1 h Friday + 1 h Tuesday = 2 h
SELECT ims.mttr(o, r, 'tz America/New_York; mon-fri 09:00-17:00; closed 2026-01-05')
  FROM (VALUES ('2026-01-02 21:00'::timestamptz, '2026-01-06 15:00'::timestamptz)) AS v(o, r);
-- empty input gives NULL; an infinite timestamp is 22008
SELECT ims.mttr(opened, restored, cal) IS NULL AS empty_is_null FROM binc WHERE false;
SELECT ims.mttr(o, r, '24x7') FROM (VALUES ('2026-01-01'::timestamptz, 'infinity'::timestamptz)) AS v(o, r);
SELECT ims.mean_state_business_mean('(1,180000000000)') AS fifty_hours, ims.mean_state_business_mean('(0,0)') IS NULL AS no_rows;

-- ims.mean_state: text form (count,sum of microseconds), round-trips exactly
SELECT '(2,10800000000)'::ims.mean_state;
SELECT '  (0,0) '::ims.mean_state;
SELECT '(12,-36893488147419103236)'::ims.mean_state::text::ims.mean_state;
SELECT ims.mean_state_mean('(2,10800000000)'), ims.mean_state_mean('(0,0)') IS NULL AS no_rows;
SELECT ims.mean_state_accum('(0,0)', '2026-01-01 00:00', '2026-01-01 00:00:01');
SELECT ims.mean_state_combine('(1,5)', '(2,7)'), ims.mean_state_combine(NULL, '(2,7)'),
       ims.mean_state_combine('(1,5)', NULL), ims.mean_state_combine(NULL, NULL) IS NULL AS both_null;
SELECT ims.mean_state_send('(2,3)');
-- malformed state text: 22P02
SELECT '(1,-0)'::ims.mean_state;
SELECT '(0,5)'::ims.mean_state;
SELECT '(-1,0)'::ims.mean_state;
SELECT '(1,9223372036854775809)'::ims.mean_state;
SELECT '(1, 2)'::ims.mean_state;
SELECT '(1,2'::ims.mean_state;
SELECT 'mean'::ims.mean_state;

-- ---------------------------------------------------------------------------
-- ims.downtime / ims.availability / ims.mtbf over the day 2026-01-01 (24 h)
CREATE TEMP TABLE svc (name text);
INSERT INTO svc VALUES ('overlap'), ('edges'), ('adjacent'), ('none'), ('empty');
CREATE TEMP TABLE outage (svc text, during tstzrange);
INSERT INTO outage VALUES
  -- overlapping [01,03) + [02,04) = [01,04): 3 h; nested [10,12) contains [10:30,11): 2 h
  ('overlap', '[2026-01-01 01:00, 2026-01-01 03:00)'),
  ('overlap', '[2026-01-01 02:00, 2026-01-01 04:00)'),
  ('overlap', '[2026-01-01 10:00, 2026-01-01 12:00)'),
  ('overlap', '[2026-01-01 10:30, 2026-01-01 11:00)'),
  -- crossing the period's edges (3 h each, 1 h inside), and one entirely outside (24 h)
  ('edges', '[2025-12-31 22:00, 2026-01-01 01:00)'),
  ('edges', '[2026-01-01 23:00, 2026-01-02 02:00)'),
  ('edges', '[2026-01-03 00:00, 2026-01-04 00:00)'),
  -- adjacent outages touch and merge into one failure [05,08): 3 h
  ('adjacent', '[2026-01-01 05:00, 2026-01-01 06:00)'),
  ('adjacent', '[2026-01-01 06:00, 2026-01-01 07:00)'),
  ('adjacent', '(2026-01-01 07:00, 2026-01-01 08:00]'),
  -- an empty range and a zero-length range are no outage at all
  ('empty', 'empty'),
  ('empty', '[2026-01-01 09:00, 2026-01-01 09:00]');
-- overlap:  downtime 5 h; availability 1 - 5/24 = 0.791666666666667; mtbf (24 - 5) / 2 = 9 h 30 min
-- edges:    downtime 3 + 3 + 24 = 30 h; availability 1 - 2/24 = 0.916666666666667; mtbf 22 / 2 = 11 h
-- adjacent: downtime 3 h; availability 1 - 3/24 = 0.875; mtbf 21 / 1 = 21 h
-- none:     no outage rows: downtime NULL, availability 1, mtbf NULL (no failures)
-- empty:    downtime 0; availability 1; mtbf NULL
SELECT s.name,
       ims.downtime(o.during) AS downtime,
       ims.availability(o.during, tstzrange('2026-01-01', '2026-01-02')) AS availability,
       ims.mtbf(o.during, tstzrange('2026-01-01', '2026-01-02')) AS mtbf
  FROM svc s LEFT JOIN outage o ON o.svc = s.name
 GROUP BY s.name ORDER BY s.name;
-- all services together: union [00,01) [01,04) [05,08) [10,12) [23,24) inside the day;
-- [00,01) and [01,04) touch: 4 failures, downtime 4 + 3 + 2 + 1 = 10 h
-- availability 1 - 10/24 = 0.583333333333333; mtbf 14 / 4 = 3 h 30 min
SELECT ims.availability(during, tstzrange('2026-01-01', '2026-01-02')),
       ims.mtbf(during, tstzrange('2026-01-01', '2026-01-02'))
  FROM outage;
-- unbounded and infinite outage ends are clipped to the period:
-- (,06:00) -> [00,06) 6 h; [20:00,infinity) -> [20,24) 4 h; availability 1 - 10/24, mtbf 14 / 2 = 7 h
SELECT ims.availability(r, tstzrange('2026-01-01', '2026-01-02')),
       ims.mtbf(r, tstzrange('2026-01-01', '2026-01-02'))
  FROM (VALUES (tstzrange(NULL, '2026-01-01 06:00')), (tstzrange('2026-01-01 20:00', 'infinity'))) AS v(r);
-- ... but their downtime is infinite: 22008
SELECT ims.downtime(r) FROM (VALUES (tstzrange(NULL, '2026-01-01 06:00'))) AS v(r);
SELECT ims.downtime(r) FROM (VALUES (tstzrange('2026-01-01', 'infinity'))) AS v(r);
-- an outage covering the whole period: availability 0, one failure, mtbf 0
SELECT ims.availability(r, p), ims.mtbf(r, p)
  FROM (VALUES (tstzrange('2025-01-01', '2027-01-01'), tstzrange('2026-01-01', '2026-01-02'))) AS v(r, p);
-- empty input: NULL
SELECT ims.downtime(during) IS NULL AS d, ims.availability(during, NULL) IS NULL AS a,
       ims.mtbf(during, NULL) IS NULL AS m
  FROM outage WHERE false;
-- rows with a NULL period are skipped; a NULL outage still counts its period
-- [02,03) only: availability 23/24 = 0.958333333333333
SELECT ims.availability(r, p)
  FROM (VALUES (tstzrange('2026-01-01 02:00', '2026-01-01 03:00'), tstzrange('2026-01-01', '2026-01-02')),
               (tstzrange('2026-01-01 05:00', '2026-01-01 09:00'), NULL),
               (NULL, tstzrange('2026-01-01', '2026-01-02'))) AS v(r, p);
SELECT ims.availability(r, NULL) IS NULL AS only_null_periods
  FROM (VALUES (tstzrange('2026-01-01 02:00', '2026-01-01 03:00'))) AS v(r);
-- the period must be the same in every row of a group, finite and non-empty: 22023
SELECT ims.availability(r, p)
  FROM (VALUES (tstzrange('2026-01-01 02:00', '2026-01-01 03:00'), tstzrange('2026-01-01', '2026-01-02')),
               (tstzrange('2026-01-02 02:00', '2026-01-02 03:00'), tstzrange('2026-01-02', '2026-01-03'))) AS v(r, p);
SELECT ims.availability(NULL, tstzrange('2026-01-01', NULL));
SELECT ims.mtbf(NULL, tstzrange('2026-01-01', 'infinity'));
SELECT ims.availability(NULL, 'empty'::tstzrange);
-- grouping by the period is the way to report several periods: January and February 2026
-- Jan: [01-31 22:00, 02-01 02:00) -> 2 h in 744 h: 0.997311827956989;  Feb: 2 h in 672 h: 0.997023809523809
SELECT lower(m.p)::date AS month, ims.availability(o.r, m.p), ims.downtime(o.r * m.p)
  FROM (VALUES (tstzrange('2026-01-01', '2026-02-01')), (tstzrange('2026-02-01', '2026-03-01'))) AS m(p)
  JOIN (VALUES (tstzrange('2026-01-31 22:00', '2026-02-01 02:00'))) AS o(r) ON o.r && m.p
 GROUP BY m.p ORDER BY 1;
-- running downtime as a window aggregate: 3 h, 4 h (overlap), 6 h
SELECT lower(r)::time AS starts, ims.downtime(r) OVER (ORDER BY lower(r))
  FROM (VALUES (tstzrange('2026-01-01 01:00', '2026-01-01 04:00')),
               (tstzrange('2026-01-01 02:00', '2026-01-01 05:00')),
               (tstzrange('2026-01-01 10:00', '2026-01-01 12:00'))) AS v(r)
 ORDER BY 1;

-- moving frames restart the state for every row (two rows per frame):
-- [01,04) 3 h, 21/24, mttr 3 h | [01,05) 4 h, 20/24, (3+3)/2 h | [02,05)+[10,12) 5 h, 19/24, (3+2)/2 h
-- | [10,12) contains [11,11:30): 2 h, 22/24, (2+0.5)/2 h
SELECT lower(r)::time AS starts,
       ims.downtime(r) OVER w AS down2,
       ims.availability(r, tstzrange('2026-01-01', '2026-01-02')) OVER w AS avail2,
       ims.mttr(lower(r), upper(r)) OVER w AS mttr2
  FROM (VALUES (tstzrange('2026-01-01 01:00', '2026-01-01 04:00')),
               (tstzrange('2026-01-01 02:00', '2026-01-01 05:00')),
               (tstzrange('2026-01-01 10:00', '2026-01-01 12:00')),
               (tstzrange('2026-01-01 11:00', '2026-01-01 11:30'))) AS v(r)
WINDOW w AS (ORDER BY lower(r) ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
 ORDER BY 1;

-- ims.outage_set: the state, via its transition function (times in microseconds
-- since 2000-01-01 UTC: 2026-01-01 is 9497 days = 820540800000000 us)
CREATE AGGREGATE pg_temp.outage_state(tstzrange, tstzrange) (
    SFUNC = ims.outage_set_accum, STYPE = ims.outage_set, COMBINEFUNC = ims.outage_set_combine);
CREATE AGGREGATE pg_temp.outage_state(tstzrange) (
    SFUNC = ims.outage_set_accum, STYPE = ims.outage_set, COMBINEFUNC = ims.outage_set_combine);
SELECT s.name, pg_temp.outage_state(o.during, tstzrange('2026-01-01', '2026-01-02'))
  FROM svc s LEFT JOIN outage o ON o.svc = s.name
 GROUP BY s.name ORDER BY s.name;
SELECT pg_temp.outage_state(during) FROM outage WHERE svc = 'edges';
SELECT pg_temp.outage_state(r) FROM (VALUES (tstzrange(NULL, '2000-01-01 00:00:01')), ('[2000-01-02,infinity]')) AS v(r);
-- text round-trip of every state above
SELECT bool_and(s::text::ims.outage_set::text = s::text) AS round_trips, count(*)
  FROM (SELECT pg_temp.outage_state(o.during, tstzrange('2026-01-01', '2026-01-02')) AS s
          FROM svc s LEFT JOIN outage o ON o.svc = s.name GROUP BY s.name
        UNION ALL SELECT pg_temp.outage_state(during) FROM outage GROUP BY svc) AS q;
-- the final functions read a state directly (3 h of 24 h)
SELECT ims.outage_set_downtime(s), ims.outage_set_availability(s), ims.outage_set_mtbf(s)
  FROM (SELECT '[820540800000000,820627200000000):{[820544400000000,820555200000000)}'::ims.outage_set) AS v(s);
SELECT ims.outage_set_availability('none:{}') IS NULL AS no_period;
-- combine: union of two states; mismatched periods are 22023
SELECT ims.outage_set_combine('[0,100):{[10,20),[50,60)}', '[0,100):{[15,50),[70,80)}');
SELECT ims.outage_set_combine(NULL, '[0,100):{[10,20)}'), ims.outage_set_combine('none:{[1,2)}', NULL);
SELECT ims.outage_set_combine('[0,100):{}', '[0,200):{}');
SELECT ims.outage_set_combine('[0,100):{}', 'none:{}');
-- malformed state text: 22P02 naming the offending interval
SELECT 'none:{[0,5),[5,6)}'::ims.outage_set;
SELECT '[0,100):{[10,20),[30,120)}'::ims.outage_set;
SELECT '[0,100):{[10,20),[30,25)}'::ims.outage_set;
SELECT '[100,100):{}'::ims.outage_set;
SELECT '[-inf,100):{}'::ims.outage_set;
SELECT 'none:{[0,9223372036854775807)}'::ims.outage_set;
SELECT 'none:{[01,2)}'::ims.outage_set;
SELECT 'none:{[0,1),}'::ims.outage_set;
SELECT 'none:[0,1)'::ims.outage_set;
SELECT ''::ims.outage_set;

-- binary send/recv round-trip through COPY, and a malformed binary state (22P03)
CREATE TEMP TABLE states (m ims.mean_state, o ims.outage_set);
INSERT INTO states VALUES ('(2,10800000000)', '[0,100):{[10,20),[50,60)}'),
                          ('(12,-36893488147419103236)', 'none:{[-inf,-5),[-3,inf)}');
SELECT ims.outage_set_send('[0,100):{[10,20)}');
\set binfile '/tmp/ims_regress_metrics_states.bin'
COPY states TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE states2 (LIKE states);
COPY states2 FROM :'binfile' (FORMAT binary);
SELECT m, o FROM states2 ORDER BY m::text;
-- binary files with a malformed state: two touching intervals [10,20) [20,30),
-- and a mean state with a sum but no rows
CREATE TEMP TABLE bad_o (o ims.outage_set);
CREATE TEMP TABLE bad_m (m ims.mean_state);
SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a000000000000000000000100000026010000000002000000000000000a00000000000000140000000000000014000000000000001effff'::bytea) AS lo \gset
SELECT lo_export(:lo, :'binfile') = 1 AS written, lo_unlink(:lo) = 1 AS unlinked;
COPY bad_o FROM :'binfile' (FORMAT binary);
SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a000000000000000000000100000018000000000000000000000000000000000000000000000005ffff'::bytea) AS lo \gset
SELECT lo_export(:lo, :'binfile') = 1 AS written, lo_unlink(:lo) = 1 AS unlinked;
COPY bad_m FROM :'binfile' (FORMAT binary);
