#!/usr/bin/env bash
# Benchmark: incident transitions through every ims trigger (workflow guard,
# stamps, history row, NOTIFY, SLA clocks when policies exist) against the
# same UPDATEs on a plain table with the same columns and indexes but no
# triggers.  pgbench, 2 clients; ratio = ims TPS / plain TPS (goal >= 0.5).
# Run by make bench (test/bench/run.sh sets PGHOST, PGPORT, IMS_BIN).
set -uo pipefail
PSQL=("$IMS_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d ims_test)
N=${IMS_BENCH_INCIDENTS:-10000}
SECS=${IMS_BENCH_SECONDS:-10}
W=$(mktemp -d /tmp/ims-bench-inc.XXXXXX)
trap 'rm -rf "$W"' EXIT

"${PSQL[@]}" <<SQL || exit 1
SET client_min_messages = warning;
-- Two clocks per incident when the SLA objects exist: a resolution SLA in a
-- business calendar and an OLA for the assignment group (24x7).
DO \$\$
BEGIN
  IF to_regclass('ims.sla_policy') IS NOT NULL THEN
    INSERT INTO ims.business_calendar (name, cal)
    VALUES ('bench office', 'tz Europe/Berlin; mon-fri 08:00-18:00; closed 2026-12-24..2026-12-26');
    INSERT INTO ims.sla_policy (name, metric, target, calendar_id)
    SELECT 'bench resolution 50 business days', 'resolution', '500 hours', id FROM ims.business_calendar WHERE name = 'bench office';
    INSERT INTO ims.sla_policy (name, agreement, metric, target)
    VALUES ('bench OLA any group', 'ola', 'resolution', '2000 hours');
  END IF;
END
\$\$;
INSERT INTO ims.incident (title, impact, urgency, assignment_group)
SELECT 'bench ' || g, 1 + g % 3, 1 + g % 2, 'group ' || (g % 10) FROM generate_series(1, $N) g;
UPDATE ims.incident SET state = 'in_progress' WHERE title LIKE 'bench %';
DROP TABLE IF EXISTS bench.plain_incident;
CREATE TABLE bench.plain_incident (LIKE ims.incident INCLUDING ALL) WITH (fillfactor = 80);
INSERT INTO bench.plain_incident SELECT * FROM ims.incident WHERE title LIKE 'bench %';
VACUUM ANALYZE bench.plain_incident;
VACUUM ANALYZE ims.incident;
SQL
read -r lo hi < <("${PSQL[@]}" -At -F ' ' -c "SELECT min(id), max(id) FROM ims.incident WHERE title LIKE 'bench %'")

for t in ims.incident bench.plain_incident; do
  cat >"$W/$t.sql" <<SQL
\set id random($lo, $hi)
UPDATE $t SET state = CASE state WHEN 'in_progress' THEN 'on_hold' ELSE 'in_progress' END WHERE id = :id;
SQL
done
tps() { "$IMS_BIN/pgbench" -n -c 2 -j 2 -T "$SECS" -f "$W/$1.sql" ims_test 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
ims=(); plain=()
for i in 1 2 3; do   # alternate, so both see the same machine
  plain+=("$(tps bench.plain_incident)"); ims+=("$(tps ims.incident)")
done
med() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
mi=$(med "${ims[@]}"); mp=$(med "${plain[@]}")
echo "incident transitions: ims ${ims[*]} tps, plain ${plain[*]} tps (medians $mi / $mp)" >&2
clocks=$("${PSQL[@]}" -At -c "SELECT CASE WHEN to_regclass('ims.incident_sla') IS NULL THEN 0 ELSE (SELECT count(*) FROM ims.incident_sla) END" 2>/dev/null || echo 0)
"${PSQL[@]}" -c "INSERT INTO bench.result (bench, ims_ms, baseline, baseline_ms, goal, met)
  VALUES ('incident transition (pgbench 2 clients, history + NOTIFY + $clocks SLA clocks), ms per tx',
          1000.0 / $mi, 'same UPDATE on a plain table, same indexes, no triggers', 1000.0 / $mp,
          'ims TPS >= 50% of plain', $mi / $mp >= 0.5)"
