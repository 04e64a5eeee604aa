#!/usr/bin/env bash
# Backup check (a layer of make test; also runnable alone against a running
# cluster with PGHOST/PGPORT/PGUSER set and BIN pointing at its bin folder):
# load the fixtures test/data/fixture_*.sql into a fresh database, pg_dump it,
# restore into another fresh database, and compare the contents of every ims
# table and view (row count and an md5 over the sorted rows).  Views whose
# rows depend on the wall clock are listed in IMS_BACKUP_LIVE and compared by
# row count only.  Prints TAP.
set -uo pipefail
BIN=${BIN:?set BIN to the PostgreSQL bin folder}
LIVE=${IMS_BACKUP_LIVE:-v_sla_status}
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
n=0; bad=0
tap() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else bad=$((bad + 1)); echo "not ok $n - $2"; fi; }

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS ims_dump_src" -c "DROP DATABASE IF EXISTS ims_dump_dst" \
  -c "CREATE DATABASE ims_dump_src" -c "CREATE DATABASE ims_dump_dst" >/dev/null || exit 1
"${PSQL[@]}" -d ims_dump_src -c "CREATE EXTENSION ims CASCADE" >/dev/null || exit 1
for f in test/data/fixture_*.sql; do
  [ -e "$f" ] || continue
  if "${PSQL[@]}" -d ims_dump_src -f "$f" >/dev/null; then tap ok "fixture $f loads"; else tap bad "fixture $f loads"; fi
done

dump=$(mktemp /tmp/ims-dump.XXXXXX)
if "$BIN/pg_dump" -Fc -d ims_dump_src -f "$dump" && "$BIN/pg_restore" --exit-on-error -d ims_dump_dst "$dump"; then
  tap ok "pg_dump and pg_restore of a database with ims and data"
else
  tap bad "pg_dump and pg_restore of a database with ims and data"
fi
rm -f "$dump"

rels=$("${PSQL[@]}" -d ims_dump_src -At -c "
  SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'ims'::regnamespace
     AND c.relkind IN ('r', 'v', 'm') ORDER BY 1")
digest() {
  local db=$1 rel=$2
  if [[ " $LIVE " == *" $rel "* ]]; then
    "${PSQL[@]}" -d "$db" -At -c "SELECT count(*) FROM ims.$rel"
  else
    "${PSQL[@]}" -d "$db" -At -c "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '-') FROM ims.$rel x"
  fi
}
same=0; differ=""
for r in $rels; do
  a=$(digest ims_dump_src "$r" 2>&1); b=$(digest ims_dump_dst "$r" 2>&1)
  if [ "$a" = "$b" ]; then same=$((same + 1)); else differ="$differ $r($a vs $b)"; fi
done
if [ -z "$differ" ]; then tap ok "all $same ims tables and views read the same after restore"
else tap bad "restored contents differ:$differ"; fi
seqs() { "${PSQL[@]}" -d "$1" -At -c "SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ' ' ORDER BY sequencename) FROM pg_sequences WHERE schemaname = 'ims'"; }
a=$(seqs ims_dump_src); b=$(seqs ims_dump_dst)
if [ "$a" = "$b" ]; then tap ok "sequences (identity columns) resume where they were"
else tap bad "sequences differ after restore: [$a] vs [$b]"; fi
echo "1..$n"
[ $bad -eq 0 ]
