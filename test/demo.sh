#!/usr/bin/env bash
# make demo / make demo-stop — build, install, start a cluster that stays up,
# load demo data and walk through the capabilities (test/demo/NN_*.sql|sh).
#
# The cluster's data lives in .demo/ in the project (git-ignored); charts and
# other output go to .demo/out/.  IMS_DEMO_PORT picks the port (default 5499).
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$IMS_TOP"

DEMO="$IMS_TOP/.demo"
BIN="$SYS_PGBIN"
PORT=${IMS_DEMO_PORT:-5499}

stop() {
  if [ -f "$DEMO/env" ]; then
    # shellcheck disable=SC1091
    source "$DEMO/env"
    cluster_stop "$BIN" "$IMS_DEMO_DATA"
    echo "demo cluster stopped (data kept in $IMS_DEMO_DATA; remove it with: rm -rf $IMS_DEMO_DATA)"
    rm -f "$DEMO/env"
  else
    echo "no demo cluster is running"
  fi
}

start() {
  ims_install_packages
  [ -f "$DEMO/env" ] && stop >/dev/null
  say "build and install ims"
  make -s PG_CONFIG="$BIN/pg_config" all >/dev/null && make -s PG_CONFIG="$BIN/pg_config" install >/dev/null \
    || die "build or install failed"

  mkdir -p "$DEMO/out"; chmod 755 "$DEMO" "$DEMO/out"
  # The postgres OS user must reach the data folder; a clone inside a private
  # folder (mktemp -d) is not reachable, so fall back to /tmp then.
  local data="$DEMO/data" sock="$DEMO/sock"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$DEMO"; then
    data="/tmp/ims-demo-$(id -u)/data"; sock="/tmp/ims-demo-$(id -u)/sock"
    mkdir -p "/tmp/ims-demo-$(id -u)"; chmod 755 "/tmp/ims-demo-$(id -u)"
    echo "note: postgres cannot reach $DEMO, so the cluster lives in /tmp/ims-demo-$(id -u)"
  fi
  rm -rf "$data" "$sock"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DEMO/out"
  say "starting a demo cluster on $sock port $PORT"
  cluster_start "$BIN" "$data" "$sock" "$PORT" "cron.database_name = 'ims_demo'"
  printf 'IMS_DEMO_DATA=%q\nIMS_DEMO_SOCK=%q\nIMS_DEMO_PORT=%q\n' "$data" "$sock" "$PORT" >"$DEMO/env"

  export PGHOST="$sock" PGPORT="$PORT" PGUSER=postgres PGDATABASE=ims_demo IMS_DEMO_OUT="$DEMO/out"
  "$BIN/psql" -X -q -d postgres -c "CREATE DATABASE ims_demo" || die "createdb failed"
  "$BIN/psql" -X -q -c "CREATE EXTENSION ims CASCADE" || die "CREATE EXTENSION failed"

  local f rc=0
  for f in test/demo/[0-9]*; do
    case "$f" in
      *.sql) "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off -f "$f" || rc=1 ;;
      *.sh)  bash "$f" || rc=1 ;;
    esac
  done

  cat <<MSG

== the demo cluster is up
  connect:  psql -h $sock -p $PORT -U postgres ims_demo
  output:   $DEMO/out
  stop it:  make demo-stop
MSG
  return $rc
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
