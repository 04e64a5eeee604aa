#!/usr/bin/env bash
# Run the regression suite (pg_regress + isolation, and the pgTAP files unless
# IMS_VALGRIND_PGTAP=0) once against a server running under Valgrind memcheck.
#
#   bash test/valgrind.sh            # documented in doc/testing.md and doc/reliability.md
#   IMS_VALGRIND_REGRESS=0 IMS_PGTAP="test/pgtap/94_limits.sql" bash test/valgrind.sh
#                                    # only some pgTAP files (IMS_VALGRIND_PGTAP=0: no pgTAP)
#
# The postmaster is started under valgrind with --trace-children=yes, so every
# backend (forked, not exec'ed) is checked.  Suppressions: test/valgrind.supp
# (written for this project after PostgreSQL's src/tools/valgrind.supp, which
# Debian does not ship: padding bytes PostgreSQL writes to disk and sockets on
# purpose, and the pg_cron / libc noise seen here).  Every report is written to
# $WORK/valgrind.<pid>.log between VALGRINDERROR-BEGIN/END markers; the script
# prints them with their stacks and exits non-zero when there is any.
#
# Limitation: Debian's server is built without USE_VALGRIND, so memory inside
# a palloc block is not poisoned chunk by chunk; memcheck still sees reads of
# never-written memory (also in palloc'd chunks carved from fresh blocks),
# invalid reads and writes outside malloc'd blocks, and bad syscall arguments.
set -uo pipefail
SRC_TOP=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/ims-valgrind.XXXXXX); chmod 755 "$WORK"
# Build from a copy of the tree (with -O0 -g), so the work tree is untouched
# and make test can run meanwhile.
mkdir -p "$WORK/src"
tar -C "$SRC_TOP" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . | tar -C "$WORK/src" -xf -
export IMS_TOP="$WORK/src"
source "$IMS_TOP/test/lib/common.sh"
cd "$IMS_TOP"
ims_install_packages valgrind

BIN="$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin"
DATA="$WORK/data"; SOCK="$WORK/sock"; PORT=$(ims_pick_port)
VG_PID=
cleanup() {
  if [ -n "$VG_PID" ] && kill -0 "$VG_PID" 2>/dev/null; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 300 stop >/dev/null 2>&1 || kill "$VG_PID"
  fi
  [ "${IMS_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

make -s clean >/dev/null 2>&1
make -s all COPT="-O0 -g" >/dev/null || die "build failed"
ims_private_install "$WORK/pg"
# initdb and configuration as for make test, then restart under valgrind.
cluster_start "$BIN" "$DATA" "$SOCK" "$PORT" "max_connections = 20" "autovacuum = off" "jit = off"
cluster_stop "$BIN" "$DATA"
chmod 777 "$WORK"
say "starting the postmaster under valgrind memcheck (slow)"
as_pg valgrind --quiet --trace-children=yes --track-origins=yes --read-var-info=yes \
  --num-callers=30 --leak-check=no --gen-suppressions=all \
  --suppressions="$IMS_TOP/test/valgrind.supp" \
  --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
  --log-file="$WORK/valgrind.%p.log" \
  "$BIN/postgres" -D "$DATA" >"$DATA/server.log" 2>&1 &
VG_PID=$!
for _ in $(seq 1 300); do "$BIN/pg_isready" -q -h "$SOCK" -p "$PORT" && break; sleep 1; done
"$BIN/pg_isready" -q -h "$SOCK" -p "$PORT" || { tail -30 "$DATA/server.log"; die "the server did not start under valgrind"; }
export PGHOST="$SOCK" PGPORT="$PORT" PGUSER=postgres

start=$(date +%s)
if [ "${IMS_VALGRIND_REGRESS:-1}" = 1 ]; then
  say "pg_regress and isolation tests under valgrind"
  make -s installcheck PG_CONFIG="$BIN/pg_config" >"$WORK/regress.log" 2>&1
  grep -E '\.\.\. |^test |^ok |^not ok ' "$WORK/regress.log"
fi
if [ "${IMS_VALGRIND_PGTAP:-1}" = 1 ]; then
  say "pgTAP under valgrind"
  PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE ims_test" \
    && "${PSQL[@]}" -d ims_test -c "CREATE EXTENSION pgtap; CREATE EXTENSION pg_cron; CREATE EXTENSION ims CASCADE" \
    && pg_prove --ext .sql -d ims_test ${IMS_PGTAP:-test/pgtap/*.sql} 2>&1 | tail -15
fi
echo "suite ran in $(( $(date +%s) - start ))s under valgrind"
as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 300 stop >/dev/null 2>&1
wait "$VG_PID" 2>/dev/null

nlogs=$(ls "$WORK"/valgrind.*.log 2>/dev/null | wc -l)
errors=$(cat "$WORK"/valgrind.*.log 2>/dev/null | grep -c 'VALGRINDERROR-BEGIN')
say "valgrind: $errors error report(s) in $nlogs process logs"
if [ "$errors" -gt 0 ]; then
  for f in "$WORK"/valgrind.*.log; do
    grep -q VALGRINDERROR-BEGIN "$f" && { echo "--- $f"; sed -n '/VALGRINDERROR-BEGIN/,/VALGRINDERROR-END/p' "$f" | head -120; }
  done
fi
grep -E "terminated by signal|PANIC" "$DATA/server.log" && errors=$((errors + 1))
[ "$errors" -eq 0 ]
