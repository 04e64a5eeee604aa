#!/usr/bin/env bash
# make load — pgbench workload against ims, then invariants; the same load with
# the postmaster killed (SIGKILL) in the middle and the cluster restarted.
#
#   bash test/load/run.sh [--short]
#
# Environment: IMS_LOAD_CLIENTS (default 8), IMS_LOAD_SECONDS (default 120;
# --short: 8), IMS_LOAD_FSYNC (on|off, default on; --short: off — a process
# kill does not lose the OS page cache, so fsync matters only for power loss),
# IMS_LOAD_BIN (a bin folder of a private tree with ims installed, as make test
# has; otherwise one is built here), IMS_LOAD_PHASES (default "steady crash").
#
# Every pgbench transaction writes a marker row (client, n); pgbench's
# per-transaction logs (--log) tell which transactions it saw committed; after
# the run test/load/check.sql checks the invariants.  Output is TAP; the last
# lines give the figures that doc/reliability.md quotes.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$IMS_TOP"

SHORT=0; [ "${1:-}" = --short ] && SHORT=1
CLIENTS=${IMS_LOAD_CLIENTS:-$([ $SHORT = 1 ] && echo 4 || echo 8)}
SECONDS_RUN=${IMS_LOAD_SECONDS:-$([ $SHORT = 1 ] && echo 8 || echo 120)}
FSYNC=${IMS_LOAD_FSYNC:-$([ $SHORT = 1 ] && echo off || echo on)}
PHASES=${IMS_LOAD_PHASES:-steady crash}

WORK=$(mktemp -d /tmp/ims-load.XXXXXX); chmod 755 "$WORK"
if [ -n "${IMS_LOAD_BIN:-}" ]; then
  BIN=$IMS_LOAD_BIN
else
  ims_install_packages >/dev/null
  make -s all >/dev/null || die "build failed"
  ims_private_install "$WORK/pg"
  BIN="$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin"
fi
DATA="$WORK/data"; SOCK="$WORK/sock"; PORT=$(ims_pick_port)
trap 'cluster_stop "$BIN" "$DATA"; [ "${IMS_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT

n=0; bad=0
tap() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else bad=$((bad + 1)); echo "not ok $n - $2"; fi; }

cluster_start "$BIN" "$DATA" "$SOCK" "$PORT" "fsync = $FSYNC" "cron.database_name = 'postgres'" \
  "max_connections = $((CLIENTS + 20))" "restart_after_crash = off"
export PGHOST="$SOCK" PGPORT="$PORT" PGUSER=postgres
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off)
WORKLOAD=(-f test/load/w_ci_insert.sql@1 -f test/load/w_ci_status.sql@1 -f test/load/w_impact.sql@2
          -f test/load/w_incident_open.sql@3 -f test/load/w_incident_work.sql@5 -f test/load/w_change.sql@2
          -f test/load/w_sla_tick.sql@1)
for w in test/load/w_*.sql; do
  case " ${WORKLOAD[*]} " in *" $w@"*) ;; *) echo "# note: $w is not in the workload list of run.sh" ;; esac
done

echo "# load: $CLIENTS clients, ${SECONDS_RUN}s per phase, fsync=$FSYNC, phases: $PHASES"
total_tx=0; total_markers=0
for phase in $PHASES; do
  db="ims_load_$phase"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null || { tap bad "$phase: create database"; continue; }
  if "${PSQL[@]}" -d "$db" -c "CREATE EXTENSION ims CASCADE" -c "CREATE EXTENSION IF NOT EXISTS amcheck" \
       -f test/load/setup.sql >"$WORK/$phase-setup.log" 2>&1; then :; else
    cat "$WORK/$phase-setup.log"; tap bad "$phase: setup"; continue
  fi
  logdir="$WORK/log-$phase"; mkdir -p "$logdir"
  "$BIN/pgbench" -n -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" -D n=0 --log --log-prefix="$logdir/tx" \
     "${WORKLOAD[@]}" -d "$db" >"$WORK/$phase-pgbench.log" 2>&1 &
  pgb=$!
  killed=0
  if [ "$phase" = crash ]; then
    sleep $((SECONDS_RUN / 2))
    pm=$(head -1 "$DATA/postmaster.pid")
    kids=$(pgrep -P "$pm" | tr '\n' ' ')
    kill -9 "$pm" $kids 2>/dev/null && killed=1
    echo "# crash: SIGKILL to postmaster $pm and its $(echo $kids | wc -w) children at $((SECONDS_RUN / 2))s"
  fi
  wait $pgb; pgbrc=$?
  if [ $killed = 1 ]; then
    for _ in $(seq 1 50); do  # until every killed process is gone (zombies may linger: bounded)
      alive=0; for p in $pm $kids; do [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break; sleep 0.1
    done
    # the killed postmaster cannot remove its lock files; its children are gone
    rm -f "$DATA/postmaster.pid" "$SOCK/.s.PGSQL.$PORT.lock"
    if as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 120 start >/dev/null; then
      tap ok "crash: cluster restarted (crash recovery) after SIGKILL"
    else
      tail -20 "$DATA/server.log"; tap bad "crash: cluster restart"; break
    fi
  else
    if [ $pgbrc -eq 0 ] && ! grep -q "aborted" "$WORK/$phase-pgbench.log"; then
      tap ok "$phase: pgbench ran ${SECONDS_RUN}s with $CLIENTS clients, no client aborted"
    else
      tail -20 "$WORK/$phase-pgbench.log"; tap bad "$phase: pgbench (exit $pgbrc)"
    fi
  fi
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/$phase-pgbench.log")
  cat "$logdir"/tx* 2>/dev/null | awk 'NF >= 6 {print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6}' >"$WORK/$phase-txlog.tsv"
  "${PSQL[@]}" -d "$db" -c "\\copy load.txlog FROM '$WORK/$phase-txlog.tsv'" >/dev/null
  logged=$("${PSQL[@]}" -d "$db" -At -c "SELECT count(*) FROM load.txlog WHERE latency ~ '^[0-9]+\$'")
  if [ $killed = 0 ]; then
    if [ "$processed" = "$logged" ]; then tap ok "$phase: pgbench reports $processed transactions, its log lists $logged"
    else tap bad "$phase: pgbench reports '$processed' transactions but its log lists $logged"; fi
  fi
  expect=$([ $killed = 1 ] && echo 0 || echo 1)
  "${PSQL[@]}" -d "$db" -At -F '|' -v expect_exact=$expect -f test/load/check.sql >"$WORK/$phase-check.out" 2>&1 \
    || { cat "$WORK/$phase-check.out"; tap bad "$phase: invariant query failed"; continue; }
  while IFS='|' read -r name ok detail; do
    [ -z "$name" ] && continue
    if [ "$ok" = t ]; then tap ok "$phase: $name ($detail)"; else tap bad "$phase: $name ($detail)"; fi
  done <"$WORK/$phase-check.out"
  markers=$("${PSQL[@]}" -d "$db" -At -c "SELECT count(*) FROM load.marker")
  bytype=$("${PSQL[@]}" -d "$db" -At -c "SELECT string_agg(script || '=' || c, ' ' ORDER BY script) FROM (SELECT script, count(*) c FROM load.marker GROUP BY 1) s")
  echo "# $phase: committed (pgbench log) $logged, markers $markers [$bytype], pgbench exit $pgbrc"
  grep -E "^(tps|latency average)" "$WORK/$phase-pgbench.log" | sed "s/^/# $phase: /"
  total_tx=$((total_tx + logged)); total_markers=$((total_markers + markers))
done

if grep -E "PANIC|terminated by signal [^9]" "$DATA/server.log"; then tap bad "server log: a backend crashed on its own"
else tap ok "server log: no backend crashed except by the injected SIGKILL"; fi
echo "# total: $total_tx transactions seen committed by pgbench, $total_markers markers found"
echo "1..$n"
[ $bad -eq 0 ]
