-- pgTAP: SLA clocks over random paused-and-resumed histories.  Each history
-- is replayed event by event; at every step the clock must agree with the
-- business time of its running segments summed independently, its due time
-- must lie exactly target - elapsed business time after the segment start,
-- and remaining, progress and breach must follow from elapsed.
BEGIN;
SELECT plan(9);
SET LOCAL timezone = 'UTC';
SELECT setseed(0.17);

CREATE FUNCTION pg_temp.check_histories(cal ims.calendar, n int) RETURNS TABLE (steps int, bad_elapsed int, bad_due int, bad_derived int)
LANGUAGE plpgsql AS $$
DECLARE
    c ims.sla_clock;
    t timestamptz;
    seg_start timestamptz;
    acc interval;
    running bool;
    expect interval;
    d timestamptz;
    tg interval;
    i int;
    k int;
BEGIN
    steps := 0; bad_elapsed := 0; bad_due := 0; bad_derived := 0;
    FOR i IN 1 .. n LOOP
        t := timestamptz '2026-01-01' + random() * interval '700 days';
        tg := (1 + floor(random() * 40)) * interval '1 hour' + floor(random() * 60) * interval '1 minute';
        c := ims.sla_start(tg, t);
        seg_start := t; acc := '0'; running := true;
        FOR k IN 1 .. 6 LOOP
            t := t + random() * interval '3 days';
            IF running THEN
                acc := acc + ims.business_time(cal, seg_start, t);
                c := ims.sla_pause(c, cal, t);
                running := false;
            ELSE
                c := ims.sla_resume(c, t);
                seg_start := t;
                running := true;
            END IF;
            steps := steps + 1;
            -- read the clock a little later
            expect := acc + CASE WHEN running THEN ims.business_time(cal, seg_start, t + interval '5 hours') ELSE '0' END;
            IF ims.sla_elapsed(c, cal, t + interval '5 hours') <> expect THEN bad_elapsed := bad_elapsed + 1; END IF;
            d := ims.sla_due(c, cal);
            IF running THEN
                IF acc >= tg THEN
                    IF d IS DISTINCT FROM seg_start THEN bad_due := bad_due + 1; END IF;
                ELSIF d IS NULL OR ims.business_time(cal, seg_start, d) <> tg - acc
                      OR ims.business_time(cal, seg_start, d - interval '1 microsecond') = tg - acc THEN
                    bad_due := bad_due + 1;   -- not reached exactly, or not the earliest instant
                END IF;
            ELSIF d IS NOT NULL THEN
                bad_due := bad_due + 1;
            END IF;
            IF ims.sla_remaining(c, cal, t + interval '5 hours') <> tg - expect
               OR ims.sla_breached(c, cal, t + interval '5 hours') <> (expect > tg)
               OR abs(ims.sla_progress(c, cal, t + interval '5 hours') - extract(epoch FROM expect) / extract(epoch FROM tg)) > 1e-9 THEN
                bad_derived := bad_derived + 1;
            END IF;
        END LOOP;
        c := ims.sla_stop(c, cal, t + interval '1 day');
        IF ims.sla_state(c) <> 'stopped' OR ims.sla_elapsed(c, cal, t + interval '30 days') <> ims.sla_elapsed(c, cal, t + interval '1 day') THEN
            bad_elapsed := bad_elapsed + 1;
        END IF;
    END LOOP;
    RETURN NEXT;
END $$;

CREATE TEMP TABLE res AS
SELECT 1 AS ord, 'berlin office' AS name, * FROM pg_temp.check_histories('tz Europe/Berlin; mon-fri 08:00-18:00; closed yearly 12-25,12-26,01-01; 2026-12-31 08:00-12:00', 300)
UNION ALL
SELECT 2, 'new york night desk', * FROM pg_temp.check_histories('tz America/New_York; sun-thu 20:00-04:00', 300)
UNION ALL
SELECT 3, 'sydney 24x7', * FROM pg_temp.check_histories('tz Australia/Sydney; 24x7', 300);

SELECT is(steps, 1800, name || ': 300 random histories, 1800 events') FROM res ORDER BY ord;
SELECT is(bad_elapsed, 0, name || ': elapsed equals the business time of the running segments') FROM res ORDER BY ord;
SELECT is(bad_due + bad_derived, 0, name || ': due (exact and earliest), remaining, progress and breach agree with elapsed') FROM res ORDER BY ord;

SELECT * FROM finish();
ROLLBACK;
