#!/usr/bin/env bash
# The long SQL-level fuzz run: IMS_SQL_FUZZ_CALLS calls per function (default
# 2000) in a private cluster; prints outcomes per SQLSTATE and fails on a crash
# or an undocumented SQLSTATE.  Usage: bash test/fuzz/sql_fuzz.sh [calls]
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$IMS_TOP"
CALLS=${1:-${IMS_SQL_FUZZ_CALLS:-2000}}
ims_install_packages
WORK=$(mktemp -d /tmp/ims-sqlfuzz.XXXXXX); chmod 755 "$WORK"
BIN="$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin"; DATA="$WORK/data"
trap 'cluster_stop "$BIN" "$DATA"; rm -rf "$WORK"' EXIT
make -s all >/dev/null || die "build failed"
ims_private_install "$WORK/pg"
cluster_start "$BIN" "$DATA" "$WORK/sock" "$(ims_pick_port)"
export PGHOST="$WORK/sock" PGPORT=$(sed -n 's/^port = //p' "$DATA/postgresql.conf") PGUSER=postgres
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -d ims_test)
"$BIN/psql" -X -q -d postgres -c "CREATE DATABASE ims_test"
"${PSQL[@]}" -c "CREATE EXTENSION ims CASCADE" -f test/fuzz/sql_fuzz.sql || exit 1
rc=0
"${PSQL[@]}" -c "SELECT ims_fuzz.make_cmdb(200), ims_fuzz.seed()" -c "SELECT setseed(random()); SELECT ims_fuzz.run($CALLS) AS calls" || { echo "the fuzz session died"; rc=1; }
"${PSQL[@]}" -P pager=off -c "SELECT sqlstate, sum(calls) AS calls, count(*) AS targets FROM ims_fuzz.outcome GROUP BY 1 ORDER BY 2 DESC" || rc=1
if [ "$("${PSQL[@]}" -At -c "SELECT count(*) FROM ims_fuzz.undocumented")" != 0 ]; then
  "${PSQL[@]}" -P pager=off -c "SELECT * FROM ims_fuzz.undocumented"; rc=1
fi
grep -E "terminated by signal|PANIC" "$DATA/server.log" && rc=1
echo "sql fuzz: $CALLS calls per target, exit $rc"
exit $rc
