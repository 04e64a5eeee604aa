#!/usr/bin/env bash
# Benchmark 20_graph (run by test/bench/run.sh): dependency-graph traversal.
# Installs pgRouting (Debian package postgresql-15-pgrouting; this benchmark
# only) into the system and copies its files into the benchmark's private
# PostgreSQL tree, then runs test/bench/graph_bench.sql with psql variables
# scale (IMS_BENCH_SCALE, default 1: 1,000,000 CIs), debian_nodes/_edges
# (the machine's Debian package graph, test/data/debian_graph.sh) and
# pgrouting (1 when available).  IMS_BENCH_GRAPH_DATA=DIR keeps the generated
# synthetic CMDB in DIR (binary COPY files, about 150 MB at scale 1) and loads
# it from there on later runs instead of generating it again (several
# minutes); delete DIR after changing the generator or the scale.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$IMS_TOP"
: "${IMS_BENCH_WORK:?run through make bench}" "${IMS_BIN:?run through make bench}"

pgr=0
lib=
pkg="postgresql-$PG_MAJOR-pgrouting"
if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing $pkg for the pgRouting comparison" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1; }
  fi
fi
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
  # copy the package's server files into the private tree (same relative layout)
  dpkg -L "$pkg" "$pkg-scripts" 2>/dev/null | while read -r f; do
    case "$f" in
      /usr/lib/postgresql/*|/usr/share/postgresql/*)
        [ -f "$f" ] && { mkdir -p "$IMS_BENCH_WORK/pg$(dirname "$f")"; cp -a "$f" "$IMS_BENCH_WORK/pg$f"; } ;;
    esac
  done
  lib=$(ls "$IMS_BENCH_WORK/pg/usr/lib/postgresql/$PG_MAJOR/lib/"libpgrouting-*.so 2>/dev/null | head -1)
  [ -n "$lib" ] && pgr=1
else
  echo "note: $pkg is not available; the pgRouting row is skipped" >&2
fi

nodes="$IMS_BENCH_WORK/debian_nodes.tsv"; edges="$IMS_BENCH_WORK/debian_edges.tsv"
bash test/data/debian_graph.sh nodes >"$nodes"
bash test/data/debian_graph.sh edges >"$edges"
chmod 644 "$nodes" "$edges"

reuse=0; save=0; gdata=
if [ -n "${IMS_BENCH_GRAPH_DATA:-}" ]; then
  gdata=$(mkdir -p "$IMS_BENCH_GRAPH_DATA" && cd "$IMS_BENCH_GRAPH_DATA" && pwd)
  if [ -s "$gdata/ci.copy" ] && [ -s "$gdata/ci_relation.copy" ] && [ "$(cat "$gdata/scale" 2>/dev/null)" = "${IMS_BENCH_SCALE:-1}" ]; then
    reuse=1
  else
    save=1; rm -f "$gdata/ci.copy" "$gdata/ci_relation.copy"; echo "${IMS_BENCH_SCALE:-1}" >"$gdata/scale"
  fi
fi

"$IMS_BIN/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off \
  -v graph_reuse="$reuse" -v graph_save="$save" -v graph_data="$gdata" -v graph_ci="$gdata/ci.copy" -v graph_rel="$gdata/ci_relation.copy" \
  -v scale="${IMS_BENCH_SCALE:-1}" -v pgrouting="$pgr" -v pgr_lib="$(basename "${lib:-none}" .so)" \
  -v debian_nodes="$nodes" -v debian_edges="$edges" \
  -f test/bench/graph_bench.sql
