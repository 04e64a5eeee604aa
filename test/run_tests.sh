#!/usr/bin/env bash
# make test — the whole suite in one command, on a fresh Debian machine as root.
#
# Layers: C unit tests of src/core, short libFuzzer runs, pg_regress (sql/ and
# expected/), isolation tests (specs/), pgTAP (test/pgtap/, run by pg_prove).
# A private PostgreSQL tree and a throwaway cluster on a unix socket are made
# under a temporary folder and removed at the end, also on failure.  The last
# line is "N passed, N failed"; the exit status is non-zero when anything failed.
#
# Environment: IMS_KEEP=1 keeps the temporary folder; IMS_FUZZ_SECONDS sets
# each fuzz target's time (default 15, 0 skips); IMS_ONLY=regress|pgtap|unit|fuzz
# runs one layer (also nopath, load, compat; IMS_COMPAT=0 skips compat); IMS_PGTAP=test/pgtap/foo.sql runs one pgTAP file;
# IMS_LOAD=0 skips the short load test.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$IMS_TOP"

passed=0; failed=0
declare -a failures=()
pass() { passed=$((passed + $1)); }
fail() { failed=$((failed + $1)); [ -n "${2:-}" ] && failures+=("$2"); }
layer() { [ -z "${IMS_ONLY:-}" ] || [ "$IMS_ONLY" = "$1" ]; }

ims_install_packages

WORK=$(mktemp -d /tmp/ims-test.XXXXXX)
chmod 755 "$WORK"
BIN="$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin"
DATA="$WORK/data"; SOCK="$WORK/sock"; PORT=$(ims_pick_port)
cleanup() {
  cluster_stop "$BIN" "$DATA"
  if [ "${IMS_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  echo
  [ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# count_tap FILE LABEL: add the ok / not ok lines of a TAP stream to the totals.
count_tap() {
  local ok bad
  ok=$(grep -cE '^[[:space:]]*ok [0-9]+' "$1"); bad=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$1")
  pass "$ok"; [ "$bad" -gt 0 ] && fail "$bad" "$2 ($bad)"
  return 0
}

say "build (-Wall -Wextra${CI:+, warnings are errors})"
make -s clean >/dev/null 2>&1
if ! make -s ${CI:+WERROR=1} all 2>"$WORK/build.log"; then
  cat "$WORK/build.log"; fail 1 "build"; finish
fi
if grep -q "warning:" "$WORK/build.log"; then cat "$WORK/build.log"; fail 1 "compiler warnings"; else pass 1; fi

if layer compat && [ "${IMS_COMPAT:-1}" != 0 ]; then
  say "other PostgreSQL majors: every C file compiles against the 13 and 17 headers"
  if bash test/compat_check.sh; then pass 1; else fail 1 "compat (PostgreSQL 13/17 headers)"; fi
fi

if layer unit; then
  say "C unit tests (src/core)"
  if make -s ${CI:+WERROR=1} $(ls test/unit/test_*.c | sed 's#test/unit/\(.*\)\.c#test/unit/bin/\1#') 2>"$WORK/unit-build.log"; then
    for t in test/unit/bin/test_*; do
      "$t" >"$WORK/unit.tap" 2>&1; rc=$?
      count_tap "$WORK/unit.tap" "unit $(basename "$t")"
      grep -E '^(not ok|#)' "$WORK/unit.tap" | head -20
      [ $rc -ne 0 ] && ! grep -q '^not ok' "$WORK/unit.tap" && fail 1 "unit $(basename "$t") exited $rc"
      echo "$(basename "$t"): $(grep -cE '^ok' "$WORK/unit.tap") ok"
    done
  else
    cat "$WORK/unit-build.log"; fail 1 "unit build"
  fi
fi

if layer fuzz && [ "${IMS_FUZZ_SECONDS:-15}" != 0 ] && ls test/fuzz/fuzz_*.c >/dev/null 2>&1; then
  say "libFuzzer, ${IMS_FUZZ_SECONDS:-15}s per target (long runs: doc/testing.md)"
  if make -s fuzz 2>"$WORK/fuzz-build.log"; then
    for t in test/fuzz/bin/fuzz_*; do
      name=$(basename "$t"); corpus="$WORK/corpus-$name"; mkdir -p "$corpus"
      [ -d "test/fuzz/corpus/$name" ] && cp -r "test/fuzz/corpus/$name/." "$corpus/"
      if "$t" -max_total_time="${IMS_FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$WORK/" "$corpus" >"$WORK/$name.log" 2>&1; then
        pass 1; echo "$name: $(grep -oE 'Done [0-9]+ runs' "$WORK/$name.log" | tail -1), no crash"
      else
        tail -40 "$WORK/$name.log"; fail 1 "fuzz $name"
      fi
    done
  else
    cat "$WORK/fuzz-build.log"; fail 1 "fuzz build"
  fi
fi

if layer regress || layer isolation || layer pgtap || layer backup || layer nopath || layer load; then
  say "private PostgreSQL $PG_MAJOR tree with ims installed, cluster on $SOCK port $PORT"
  ims_private_install "$WORK/pg"
  # Cap each server process's address space (IMS_BACKEND_VMEM_KB, default
  # 6 GB) so a runaway allocation fails as ERROR 53200 in its own session
  # instead of drawing the kernel's OOM killer onto the cluster.
  ( ulimit -v "${IMS_BACKEND_VMEM_KB:-6000000}"; cluster_start "$BIN" "$DATA" "$SOCK" "$PORT" ) || exit 1
  export PGHOST="$SOCK" PGPORT="$PORT" PGUSER=postgres
  PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE ims_test" \
    && "${PSQL[@]}" -d ims_test -c "CREATE EXTENSION pgtap; CREATE EXTENSION pg_cron; CREATE EXTENSION ims CASCADE" \
    || { fail 1 "test database setup"; finish; }
fi

if layer regress || layer isolation; then
  say "pg_regress and isolation tests"
  make -s installcheck PG_CONFIG="$BIN/pg_config" >"$WORK/regress.log" 2>&1
  grep -E '\.\.\. |^test |^ok |^not ok ' "$WORK/regress.log"
  ok=$(grep -cE '\.\.\. ok' "$WORK/regress.log"); bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$WORK/regress.log")
  pass "$ok"; [ "$bad" -gt 0 ] && fail "$bad" "pg_regress ($bad)"
  if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then cat "$WORK/regress.log"; fail 1 "pg_regress did not run"; fi
  for d in regression.diffs output_iso/regression.diffs; do
    [ -s "$d" ] && { echo "--- $d (first 80 lines)"; head -80 "$d"; }
  done
fi

if layer pgtap; then
  say "pgTAP (pg_prove)"
  files=(${IMS_PGTAP:-$(ls test/pgtap/*.sql)})
  pg_prove --verbose --timer --ext .sql -d ims_test "${files[@]}" >"$WORK/pgtap.log" 2>&1; rc=$?
  grep -E '^[[:space:]]*not ok|^# |Failed|Parse errors|Bad plan|ERROR|^\[[0-9:]+\] test' "$WORK/pgtap.log" | head -80
  tail -3 "$WORK/pgtap.log"
  count_tap "$WORK/pgtap.log" "pgTAP"
  [ $rc -ne 0 ] && ! grep -qE '^[[:space:]]*not ok' "$WORK/pgtap.log" && fail 1 "pg_prove exited $rc (a file died or broke its plan)"
fi

# ---- security: the pgTAP suite again with no search_path to lean on ----------
# (owned by the security work; see doc/security.md).  The calling role
# ims_nopath_tester has search_path = tap: only pgTAP's own schema, to which
# pgTAP is moved for this run; neither ims, public nor "$user" is on the path,
# so any ims function, view, default or trigger that resolves a name through
# the search path fails here.
if layer pgtap || layer nopath; then
  say "pgTAP again, calling role with search_path = tap only (no ims, no public)"
  if "${PSQL[@]}" -d ims_test -c "CREATE SCHEMA IF NOT EXISTS tap" -c "GRANT USAGE ON SCHEMA tap TO PUBLIC" -c "ALTER EXTENSION pgtap SET SCHEMA tap" \
       -c "DROP ROLE IF EXISTS ims_nopath_tester" -c "CREATE ROLE ims_nopath_tester SUPERUSER LOGIN" \
       -c "ALTER ROLE ims_nopath_tester SET search_path = tap" >/dev/null; then
    # The SQL fuzzer does not depend on search_path and already ran above.
    files=(${IMS_PGTAP:-$(ls test/pgtap/*.sql | grep -v 92_sql_fuzz)})
    pg_prove --verbose --ext .sql -U ims_nopath_tester -d ims_test "${files[@]}" >"$WORK/pgtap-nopath.log" 2>&1; rc=$?
    grep -E '^[[:space:]]*not ok|^# |Failed|Parse errors|Bad plan|ERROR' "$WORK/pgtap-nopath.log" | head -60
    tail -3 "$WORK/pgtap-nopath.log"
    count_tap "$WORK/pgtap-nopath.log" "pgTAP with empty search_path"
    [ $rc -ne 0 ] && ! grep -qE '^[[:space:]]*not ok' "$WORK/pgtap-nopath.log" && fail 1 "pg_prove (empty search_path) exited $rc"
    "${PSQL[@]}" -d ims_test -c "ALTER EXTENSION pgtap SET SCHEMA public" -c "DROP ROLE ims_nopath_tester" >/dev/null
  else
    fail 1 "setup of the empty search_path run"
  fi
fi
# Short load and crash test (the long one is make load): pgbench clients for a
# few seconds, invariants, then the same with the postmaster SIGKILLed midway.
if layer load && [ "${IMS_LOAD:-1}" != 0 ]; then
  say "load: pgbench workload, then SIGKILL of the postmaster and restart (test/load/run.sh --short)"
  IMS_LOAD_BIN="$BIN" bash test/load/run.sh --short >"$WORK/load.tap" 2>&1
  grep -vE '^ok ' "$WORK/load.tap"; echo "$(grep -cE '^ok ' "$WORK/load.tap") ok"
  count_tap "$WORK/load.tap" "load"
  grep -q '^1\.\.' "$WORK/load.tap" || fail 1 "load test did not finish"
fi
# ---- end of the security block ------------------------------------------------

if layer backup; then
  say "backup: pg_dump / pg_restore round trip (test/backup_check.sh)"
  BIN="$BIN" bash test/backup_check.sh >"$WORK/backup.tap" 2>&1
  cat "$WORK/backup.tap"; count_tap "$WORK/backup.tap" "backup"
fi

if layer pgtap; then
  say "documentation: every SQL object named in doc/"
  missing=$("${PSQL[@]}" -d ims_test -At -c "
    SELECT DISTINCT regexp_replace(pg_describe_object(d.classid, d.objid, 0), '^.* ims\.([a-z_0-9]+).*$', '\1')
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'ims' AND d.deptype = 'e'
       AND pg_describe_object(d.classid, d.objid, 0) ~ ' ims\.[a-z_0-9]+'
       AND NOT (d.classid = 'pg_proc'::regclass AND (SELECT prorettype = 'trigger'::regtype FROM pg_proc WHERE oid = d.objid))
       AND NOT (d.classid = 'pg_class'::regclass AND (SELECT relkind = 'S' FROM pg_class WHERE oid = d.objid))
       AND d.classid NOT IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass, 'pg_amop'::regclass, 'pg_amproc'::regclass)
       AND NOT (d.classid = 'pg_proc'::regclass AND (
             EXISTS (SELECT 1 FROM pg_type t WHERE d.objid IN (t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze))
          OR EXISTS (SELECT 1 FROM pg_operator o WHERE o.oprcode = d.objid)
          OR EXISTS (SELECT 1 FROM pg_amproc a WHERE a.amproc = d.objid)))
     ORDER BY 1" | while read -r n; do grep -rqw -- "$n" doc || echo "$n"; done | tr '\n' ' ')
  if [ -n "$missing" ]; then echo "not in doc/: $missing"; fail 1 "undocumented objects"; else pass 1; echo "all objects documented"; fi
fi

if [ -f "$DATA/server.log" ]; then
  if grep -E "terminated by signal|server process .* was terminated|PANIC" "$DATA/server.log"; then
    fail 1 "a backend crashed (see server log above)"
  else
    pass 1
  fi
fi

finish
