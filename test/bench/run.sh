#!/usr/bin/env bash
# make bench [BENCH=name] — start a private cluster, run test/bench/NN_*.sql
# (or the one whose name contains $1), and print ims against the baseline a
# user would otherwise write, measured side by side in one run.
# IMS_BENCH_SCALE (default 1) scales data sizes where a benchmark supports it.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$IMS_TOP"
ims_install_packages >/dev/null

WORK=$(mktemp -d /tmp/ims-bench.XXXXXX); chmod 755 "$WORK"
BIN="$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin"
DATA="$WORK/data"; SOCK="$WORK/sock"; PORT=$(ims_pick_port)
trap 'cluster_stop "$BIN" "$DATA"; rm -rf "$WORK"' EXIT

make -s all >/dev/null || die "build failed"
ims_private_install "$WORK/pg"
cluster_start "$BIN" "$DATA" "$SOCK" "$PORT" "shared_buffers = '1GB'" "work_mem = '256MB'" \
  "maintenance_work_mem = '1GB'" "max_wal_size = '8GB'" "synchronous_commit = off" "jit = off"
export PGHOST="$SOCK" PGPORT="$PORT" PGUSER=postgres PGDATABASE=ims_test IMS_BENCH_WORK="$WORK" IMS_BIN="$BIN"
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE ims_test" || exit 1
"${PSQL[@]}" -c "CREATE EXTENSION pg_cron; CREATE EXTENSION ims CASCADE" -f test/bench/lib.sql || exit 1

for f in test/bench/[0-9]*; do
  [ -n "${1:-}" ] && [[ "$f" != *"$1"* ]] && continue
  echo "== $f" >&2
  case "$f" in
    *.sql) "${PSQL[@]}" -v scale="${IMS_BENCH_SCALE:-1}" -f "$f" || echo "benchmark $f failed" >&2 ;;
    *.sh)  bash "$f" || echo "benchmark $f failed" >&2 ;;
  esac
done

echo
echo "ims benchmarks, $(date -u +%Y-%m-%d), PostgreSQL $("$BIN/postgres" --version | awk '{print $3}'), $(nproc) cores"
"${PSQL[@]}" -A -F ' | ' -t -c "
SELECT '| benchmark | ims ms | baseline | baseline ms | ratio | goal | met |'
UNION ALL SELECT '|---|---:|---|---:|---:|---|---|'
UNION ALL (SELECT format('| %s | %s | %s | %s | %sx | %s | %s |', bench, round(ims_ms::numeric, 1), baseline,
            round(baseline_ms::numeric, 1), round((baseline_ms / greatest(ims_ms, 0.001))::numeric, 2),
            goal, CASE WHEN met THEN 'yes' ELSE 'NO' END)
           FROM bench.result ORDER BY id)"
