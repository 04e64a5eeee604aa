#!/usr/bin/env bash
# The long SQL-level fuzz run: IMS_SQL_FUZZ_CALLS calls per function (default
# 2000) in a private cluster; prints outcomes per SQLSTATE and per target and
# fails on a crash, an undocumented SQLSTATE or a call that ran into the
# per-call statement timeout (IMS_SQL_FUZZ_TIMEOUT, default 5s).  Every server
# process is capped at IMS_BACKEND_VMEM_KB of address space (default 4 GB), so
# a runaway allocation shows as an undocumented 53200 instead of an OOM kill.
#   bash test/fuzz/sql_fuzz.sh [calls]
# IMS_SQL_FUZZ_SEED (0..1) fixes the seed; IMS_KEEP=1 keeps the cluster folder.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$IMS_TOP"
CALLS=${1:-${IMS_SQL_FUZZ_CALLS:-2000}}
TIMEOUT=${IMS_SQL_FUZZ_TIMEOUT:-5s}
SEED=${IMS_SQL_FUZZ_SEED:-$(awk 'BEGIN { srand(); printf "%.6f", rand() }')}
ims_install_packages
WORK=$(mktemp -d /tmp/ims-sqlfuzz.XXXXXX); chmod 755 "$WORK"
BIN="$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin"; DATA="$WORK/data"
trap 'cluster_stop "$BIN" "$DATA"; [ "${IMS_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT
make -s all >/dev/null || die "build failed"
ims_private_install "$WORK/pg"
( ulimit -v "${IMS_BACKEND_VMEM_KB:-4000000}"; cluster_start "$BIN" "$DATA" "$WORK/sock" "$(ims_pick_port)" ) || exit 1
export PGHOST="$WORK/sock" PGPORT=$(sed -n 's/^port = //p' "$DATA/postgresql.conf") PGUSER=postgres
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -d ims_test)
"$BIN/psql" -X -q -d postgres -c "CREATE DATABASE ims_test"
"${PSQL[@]}" -c "CREATE EXTENSION ims CASCADE" || exit 1
# Data to get past the lookups: the backup fixtures (incidents with SLA
# clocks, changes, KPIs, tenants), unless IMS_SQL_FUZZ_FIXTURES=0.
if [ "${IMS_SQL_FUZZ_FIXTURES:-1}" = 1 ]; then
  for f in test/data/fixture_*.sql; do "${PSQL[@]}" -f "$f" >/dev/null || die "fixture $f failed"; done
fi
"${PSQL[@]}" -f test/fuzz/sql_fuzz.sql || exit 1
rc=0
start=$(date +%s)
"${PSQL[@]}" -o /dev/null <<SQL || { echo "the fuzz session died"; rc=1; }
SELECT ims_fuzz.make_cmdb(200), ims_fuzz.seed();
SELECT setseed($SEED);
SET statement_timeout = '$TIMEOUT';
SET client_min_messages = warning;
SELECT ims_fuzz.script($CALLS) \gexec
SQL
secs=$(( $(date +%s) - start ))
"${PSQL[@]}" -P pager=off -c "SELECT sqlstate, sum(calls) AS calls, count(*) AS targets, max(max_ms)::numeric(10,1) AS slowest_ms FROM ims_fuzz.outcome GROUP BY 1 ORDER BY 2 DESC" || rc=1
"${PSQL[@]}" -P pager=off -c "
  SELECT target, sum(calls) AS calls, sum(calls) FILTER (WHERE sqlstate = '00000') AS ok,
         string_agg(sqlstate || ':' || calls, ' ' ORDER BY calls DESC) FILTER (WHERE sqlstate <> '00000') AS errors,
         max(max_ms)::numeric(10,1) AS slowest_ms, max(max_hwm_gain_kb) AS peak_rss_gain_kb
    FROM ims_fuzz.outcome GROUP BY 1 ORDER BY 1" || rc=1
if [ "$("${PSQL[@]}" -At -c "SELECT count(*) FROM ims_fuzz.undocumented")" != 0 ]; then
  "${PSQL[@]}" -P pager=off -c "SELECT * FROM ims_fuzz.undocumented"; rc=1
fi
if [ "$("${PSQL[@]}" -At -c "SELECT count(*) FROM ims_fuzz.outcome WHERE sqlstate = '57014'")" != 0 ]; then
  echo "calls that ran into the $TIMEOUT statement timeout:"
  "${PSQL[@]}" -P pager=off -c "SELECT target, calls, max_ms, slowest FROM ims_fuzz.outcome WHERE sqlstate = '57014'"; rc=1
fi
grep -E "terminated by signal|PANIC" "$DATA/server.log" && rc=1
echo "sql fuzz: $("${PSQL[@]}" -At -c "SELECT ims_fuzz.calls()") calls ($CALLS per function, 4 x $CALLS per type input), seed $SEED, ${secs}s, timeout $TIMEOUT, exit $rc"
exit $rc
