# test/lib/common.sh — shared by make test, make demo, make bench and make load.
#
# Installs what the project needs (Debian packages), builds a private
# PostgreSQL installation tree with ims installed into it, and starts and stops
# throwaway clusters on a unix socket in a private directory.  Sourced, not run.

IMS_TOP=${IMS_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PG_MAJOR=${PG_MAJOR:-15}
SYS_PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin

# Everything make test/demo/bench need, as Debian package names.
IMS_PACKAGES=(
  make gcc clang libclang-rt-14-dev xz-utils
  "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" "postgresql-contrib"
  "postgresql-$PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl
  "postgresql-$PG_MAJOR-cron" graphviz gnuplot-nox
)

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ims_install_packages [extra packages...]: apt-get the missing ones (as root),
# or print the exact command to run and fail (as anyone else).
ims_install_packages() {
  local missing=() p
  for p in "${IMS_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "ims needs these Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed"
}

# as_pg CMD...: run a server program as the postgres OS user when we are root
# (initdb and postgres refuse root), else as ourselves.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ims_private_install DIR: copy the server's installation into DIR (keeping its
# relative layout, so the copied binaries find their own share and lib
# folders) and install ims into it.  Tests then never touch system folders,
# and several work trees can test side by side.
ims_private_install() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql" "$dir/usr/include/postgresql"
  cp -a "/usr/lib/postgresql/$PG_MAJOR" "$dir/usr/lib/postgresql/"
  cp -a "/usr/share/postgresql/$PG_MAJOR" "$dir/usr/share/postgresql/"
  ln -s "/usr/include/postgresql/$PG_MAJOR" "$dir/usr/include/postgresql/$PG_MAJOR"
  make -C "$IMS_TOP" -s install PG_CONFIG="$dir/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null \
    || die "make install into the private tree failed"
  chmod -R a+rX "$dir"
}

# cluster_start BINDIR DATADIR SOCKDIR PORT [extra postgresql.conf lines...]
cluster_start() {
  local bindir=$1 data=$2 sock=$3 port=$4; shift 4
  mkdir -p "$data" "$sock"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$data" "$sock"
  as_pg "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 \
    || { cat "$data.initdb.log"; die "initdb failed"; }
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$sock'"
    echo "port = $port"
    echo "shared_preload_libraries = 'pg_cron'"
    echo "cron.database_name = 'ims_test'"
    echo "fsync = off"
    echo "max_connections = 60"
    echo "log_min_messages = warning"
    local l; for l in "$@"; do echo "$l"; done
  } >>"$data/postgresql.conf"
  as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null \
    || { cat "$data/server.log"; die "the test cluster did not start"; }
}

cluster_stop() {
  local bindir=$1 data=$2
  [ -f "$data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1
  return 0
}

# A free port: the sockets live in a private folder, so only shared memory
# keys could collide, and PostgreSQL steps around those itself.
ims_pick_port() { echo $(( 55000 + (RANDOM % 4000) )); }
