#!/bin/sh
# install_debootstrap.sh DEB CACHE_DIR VERSION
# Installs the .deb into a clean Debian 12 root and starts both programs there:
#   apt-get install ./roster.deb   (its Depends come from Debian's mirror; no Recommends)
#   QT_QPA_PLATFORM=offscreen roster --version;  rosterctl --version
#   rosterctl demo on SQLite (loads the SQLite driver plugin), a postgresql:// URL (the PostgreSQL
#   driver plugin is found), roster on the xcb platform without a display (the xcb plugin loads).
# Costs: root, debootstrap, Debian's mirror; the first run makes a minbase root (~75 s here,
# cached as CACHE_DIR/bookworm-minbase.tar, ~200 MB); every run then unpacks it afresh and
# installs the package with its 107 dependencies (~75 MB download, ~290 MB, about a minute). Skipped unless ROSTER_TEST_DEBOOTSTRAP=1.
# ROSTER_DEBOOTSTRAP_MIRROR overrides the mirror (default: this machine's bookworm source).
set -eu
deb=$1
cache=$2
version=$3

if [ "${ROSTER_TEST_DEBOOTSTRAP:-}" != 1 ]; then
  echo "skipped: set ROSTER_TEST_DEBOOTSTRAP=1 to install the .deb into a fresh Debian 12 root (root, debootstrap and the mirror needed; a few minutes)"
  exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || fail "debootstrap is missing (Debian: apt-get install debootstrap)"
[ -f "$deb" ] || fail "no package at $deb (the test packaging_deb_build makes it)"

mirror=${ROSTER_DEBOOTSTRAP_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 sources first: the URIs of the stanza whose Suites name bookworm itself.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*bookworm([ \n]|$)/ {
                    if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u=substr($0,RSTART,RLENGTH); sub(/URIs:[ \t]*/,"",u); print u; exit } }' "$f")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}
echo "mirror: $mirror"

mkdir -p "$cache"
base="$cache/bookworm-minbase.tar"
if [ ! -f "$base" ]; then
  echo "making the minbase root (once; delete $base to make it again)"
  fresh="$cache/debootstrap.$$"
  rm -rf --one-file-system "$fresh"
  debootstrap --variant=minbase bookworm "$fresh" "$mirror" > "$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log"; rm -rf --one-file-system "$fresh"; fail "debootstrap failed (log: $cache/debootstrap.log)"; }
  tar --numeric-owner -C "$fresh" -cf "$base.part" .
  rm -rf --one-file-system "$fresh"
  mv "$base.part" "$base"
fi

root=$(mktemp -d "$cache/root.XXXXXX")
proc_mounted=0
cleanup() {
  [ "$proc_mounted" = 1 ] && umount "$root/proc" 2>/dev/null || true
  if mountpoint -q "$root/proc" 2>/dev/null; then
    echo "leaving $root in place: $root/proc is still mounted" >&2
  else
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT
tar --numeric-owner -C "$root" -xpf "$base"
mount -t proc proc "$root/proc" 2>/dev/null && proc_mounted=1 || echo "note: cannot mount /proc in the root; going on without it"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$root/tmp/roster.deb"

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# apt says "Can not write log (Is /dev/pts mounted?)": harmless, and nothing is bind-mounted into
# the root so that removing it can never reach the host.
in_root apt-get update -q
in_root apt-get install -y -q --no-install-recommends /tmp/roster.deb
in_root dpkg -s roster | grep -q '^Status: install ok installed' || fail "roster is not installed"

out=$(in_root env QT_QPA_PLATFORM=offscreen roster --version 2>&1) || fail "roster --version failed: $out"
echo "roster --version: $out"
echo "$out" | grep -q "$version" || fail "roster --version does not print $version"

out=$(in_root rosterctl --version 2>&1) || fail "rosterctl --version failed: $out"
echo "rosterctl --version: $out"
[ "$out" = "rosterctl $version" ] || fail "rosterctl --version printed \"$out\""

# The SQLite driver is a plugin: a demo database proves it is installed and loads.
out=$(in_root env XDG_CONFIG_HOME=/tmp/config rosterctl --db /tmp/demo.db demo --users 20 2>&1) ||
  fail "rosterctl demo failed: $out"
echo "$out"
pw=$(echo "$out" | sed -n 's/^Sign in as \([^ ]*\) with the password \(.*\)$/\2/p')
admin=$(echo "$out" | sed -n 's/^Sign in as \([^ ]*\) with the password .*$/\1/p')
[ -n "$pw" ] || fail "rosterctl demo printed no password"
out=$(in_root env XDG_CONFIG_HOME=/tmp/config ROSTER_PASSWORD="$pw" rosterctl --db /tmp/demo.db --as "$admin" \
        user list --view unconfirmed --format csv 2>&1) || fail "rosterctl user list failed: $out"
echo "$out" | head -n 3

# The PostgreSQL driver: nothing listens on port 1, so the connection fails (exit 5), but not
# for want of the driver.
rc=0
out=$(in_root rosterctl --db postgresql://roster@127.0.0.1:1/roster --as a@b.example user list 2>&1 </dev/null) || rc=$?
echo "postgresql: exit $rc: $out"
echo "$out" | grep -qi "driver" && fail "the PostgreSQL driver is not usable: $out"
[ "$rc" = 5 ] || fail "expected exit 5 (database error) from an unreachable server, got $rc"

# The xcb platform plugin loads (and then finds no display).
out=$(in_root env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb roster --version 2>&1) || true
echo "xcb: $out"
echo "$out" | grep -q "could not connect to display" || fail "the xcb platform plugin did not load: $out"

echo "PASS: roster $version installs and starts on a fresh Debian 12"
