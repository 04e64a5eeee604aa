#!/usr/bin/env bash
# Demo chapter 21 (graphics for chapter 20): render impact graphs of the demo CMDB
# (test/demo/20_cmdb.sql) to SVG with Graphviz from ims.graph_dot.
set -uo pipefail
out=${IMS_DEMO_OUT:-.}
psql_() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
command -v dot >/dev/null || { echo "graphviz (dot) is not installed; skipping the SVG"; exit 0; }
render() {
  local name=$1 sql=$2
  if psql_ -c "$sql" | dot -Tsvg -o "$out/$name.svg"; then
    echo "wrote $out/$name.svg"
  else
    echo "could not render $name" >&2; return 1
  fi
}
render impact_host_b "SELECT ims.graph_dot(ARRAY(SELECT id FROM ims.ci WHERE name = 'host-b'))" &&
render impact_san "SELECT ims.graph_dot(ARRAY(SELECT id FROM ims.ci WHERE name = 'san-01'))" &&
render dependencies_shop "SELECT ims.graph_dot(ARRAY(SELECT id FROM ims.ci WHERE name = 'Web shop'), 'dependencies')"
