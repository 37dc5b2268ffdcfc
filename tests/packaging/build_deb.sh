#!/bin/sh
# build_deb.sh BUILD_DIR OUT_DIR: runs CPack's DEB generator on a built tree (the fixture roster_deb).
set -eu
build=$1
out=$2
for tool in cpack dpkg-deb dpkg-shlibdeps file; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: cmake, dpkg-dev, file)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out"
set -- "$out"/roster_*.deb
[ -f "$1" ] || { echo "cpack wrote no roster_*.deb into $out" >&2; exit 1; }
ln -sf "$(basename "$1")" "$out/roster.deb"
echo "built $1"
