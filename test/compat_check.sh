#!/usr/bin/env bash
# test/compat_check.sh — compile every C file of ims against the server headers
# of PostgreSQL 13 and 17 (SPEC: keep 13-17 buildable; the tests run on 15).
#
# Debian 12 ships only PostgreSQL 15, so the headers come from the Debian
# releases that ship the other majors (bullseye: 13, trixie: 17), downloaded
# with a private apt configuration into a cache folder: nothing is installed
# and the machine's apt sources are untouched.  When the archive cannot be
# reached the check says so and is skipped; a compile error or warning fails.
#
#   bash test/compat_check.sh            # prints "compat: N files clean on 13 17"
#   IMS_COMPAT_CACHE=/path bash test/compat_check.sh
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMS_COMPAT_CACHE:-/tmp/ims-compat-cache}
mkdir -p "$CACHE"/{etc,state,lists/partial,cache/archives/partial,deb}
cat > "$CACHE/etc/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
EOF
APT=(-o Dir::Etc::SourceList="$CACHE/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State="$CACHE/state" -o Dir::State::Lists="$CACHE/lists" -o Dir::Cache="$CACHE/cache"
     -o Dir::State::status=/var/lib/dpkg/status -o APT::Sandbox::User=root)
CC=${CC:-gcc}
FLAGS=(-std=gnu99 -fsyntax-only -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
       -Wno-sign-compare -Wmissing-prototypes -Wdeclaration-after-statement -Werror
       -I "$TOP/src" -DIMS_VERSION='"compat"')
fail=0; checked=()
for v in 13 17; do
  inc="$CACHE/pg$v/usr/include/postgresql/$v/server"
  if [ ! -d "$inc" ]; then
    if [ ! -s "$CACHE/lists/.updated" ]; then
      timeout 300 apt-get "${APT[@]}" -qq update >/dev/null 2>&1 && date > "$CACHE/lists/.updated"
    fi
    ( cd "$CACHE/deb" && timeout 300 apt-get "${APT[@]}" -qq download "postgresql-server-dev-$v" >/dev/null 2>&1 )
    deb=$(ls "$CACHE"/deb/postgresql-server-dev-"$v"_*.deb 2>/dev/null | head -1)
    if [ -z "$deb" ]; then
      echo "compat: PostgreSQL $v headers not reachable (deb.debian.org); skipped"
      continue
    fi
    mkdir -p "$CACHE/pg$v" && dpkg -x "$deb" "$CACHE/pg$v"
  fi
  for f in "$TOP"/src/*.c "$TOP"/src/core/*.c; do
    # The newer glibc those headers were configured with declares strlcpy;
    # this machine's does not, so declare it the way PostgreSQL's port.h would.
    if ! out=$("$CC" "${FLAGS[@]}" -I "$inc" -include "$TOP/test/compat_strlcpy.h" "$f" 2>&1); then
      echo "compat: PostgreSQL $v: ${f#$TOP/} does not compile:"; echo "$out" | head -20; fail=1
    fi
  done
  checked+=("$v")
done
n=$(ls "$TOP"/src/*.c "$TOP"/src/core/*.c | wc -l)
[ "$fail" -eq 0 ] && echo "compat: $n files clean on ${checked[*]:-none}"
exit $fail
