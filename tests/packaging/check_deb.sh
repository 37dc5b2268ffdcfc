#!/bin/sh
# check_deb.sh DEB VERSION: the package holds the executables, desktop integration and man pages,
# its dependencies come from dpkg-shlibdeps plus the Qt plugins, and its desktop file and
# metainfo still validate where they were installed.
set -eu
deb=$1
version=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$deb" ] || fail "no package at $deb (the test packaging_deb_build makes it)"

info=$(dpkg-deb -I "$deb")
echo "$info"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = roster ] || fail "Package is not roster"
[ "$(field Version)" = "$version" ] || fail "Version is $(field Version), not $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is $(field Architecture)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ "$(field Section)" = admin ] || fail "Section is $(field Section), not admin"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
# From dpkg-shlibdeps (versioned, as only shlibdeps writes them) ...
for lib in libc6 libstdc++6 libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 libqt6sql6 libargon2-1 libmicrohttpd12; do
  re=$(printf '%s' "$lib" | sed 's/[+.]/\\&/g')
  echo "$depends" | grep -Eq "(^|, )$re \(>= [^)]+\)" || fail "Depends lacks a versioned $lib (dpkg-shlibdeps): $depends"
done
# ... and the plugins that no ELF header names.
for plugin in libqt6sql6-sqlite libqt6sql6-psql; do
  echo "$depends" | grep -Eq "(^|, )$plugin(,|\$| )" || fail "Depends lacks $plugin: $depends"
done

contents=$(dpkg-deb -c "$deb")
echo "$contents"
for path in \
    ./usr/bin/roster ./usr/bin/rosterctl ./usr/bin/roster-web \
    ./usr/lib/systemd/system/roster-web.service ./usr/share/doc/roster/web.md \
    ./usr/share/man/man1/roster-web.1.gz \
    ./usr/share/applications/org.roster.Roster.desktop \
    ./usr/share/metainfo/org.roster.Roster.metainfo.xml \
    ./usr/share/icons/hicolor/scalable/apps/org.roster.Roster.svg \
    ./usr/share/man/man1/roster.1.gz ./usr/share/man/man1/rosterctl.1.gz; do
  echo "$contents" | grep -Eq " $path\$" || fail "the package does not contain $path"
done
echo "$contents" | awk '{print $2}' | grep -qv '^root/root$' && fail "files not owned by root/root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
for exe in roster rosterctl roster-web; do
  file -L "$tmp/usr/bin/$exe" | grep -q 'ELF.*executable\|ELF.*pie' || fail "usr/bin/$exe is not an ELF executable"
  file -L "$tmp/usr/bin/$exe" | grep -q ', stripped' || fail "usr/bin/$exe is not stripped"
  [ -x "$tmp/usr/bin/$exe" ] || fail "usr/bin/$exe is not executable"
done
desktop-file-validate "$tmp/usr/share/applications/org.roster.Roster.desktop"
appstreamcli validate --no-net --strict "$tmp/usr/share/metainfo/org.roster.Roster.metainfo.xml"
for page in roster rosterctl roster-web; do
  gzip -t "$tmp/usr/share/man/man1/$page.1.gz" || fail "$page.1.gz is not gzip"
done
echo "PASS: $deb"
