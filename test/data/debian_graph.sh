#!/usr/bin/env bash
# debian_graph.sh nodes|edges — the machine's Debian package index as a
# dependency graph, for tests and benchmarks (packages as CIs, Depends and
# Pre-Depends as depends_on relations).
#
#   nodes: one package name per line
#   edges: "package<TAB>dependency" per line (first alternative of each
#          clause, version and architecture qualifiers dropped, only
#          dependencies that are real packages, no duplicates)
#
# Reads every /var/lib/apt/lists/*_Packages file through apt-helper, which
# undoes whatever compression apt used (lz4, gz, xz).  Prints nothing when the
# lists are missing (run apt-get update).
set -uo pipefail
mode=${1:?usage: debian_graph.sh nodes|edges}
shopt -s nullglob
files=(/var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Packages.*)
[ ${#files[@]} -eq 0 ] && exit 0
/usr/lib/apt/apt-helper cat-file "${files[@]}" 2>/dev/null | awk -v mode="$mode" '
  BEGIN { RS = ""; FS = "\n" }
  {
    pkg = ""; deps = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Package: /) pkg = substr($i, 10)
      else if ($i ~ /^(Pre-)?Depends: /) { sub(/^(Pre-)?Depends: /, "", $i); deps = deps "," $i }
    }
    if (pkg == "") next
    if (!(pkg in seen)) { seen[pkg] = 1; order[++npkg] = pkg }
    ndeps[pkg] = ndeps[pkg] deps
  }
  END {
    if (mode == "nodes") { for (i = 1; i <= npkg; i++) print order[i]; exit }
    for (i = 1; i <= npkg; i++) {
      p = order[i]; n = split(ndeps[p], clause, ",")
      for (j = 1; j <= n; j++) {
        c = clause[j]; sub(/\|.*/, "", c); gsub(/^[ \t]+/, "", c)
        sub(/[ \t(:\[].*/, "", c)
        if (c == "" || c == p || !(c in seen)) continue
        key = p "\t" c
        if (key in done) continue
        done[key] = 1; print key
      }
    }
  }'
