#!/usr/bin/env bash
# Stops the test PostgreSQL server started by pg_start.sh and removes its files (CTest fixture
# cleanup, test pg_stop).   pg_stop.sh BINDIR STATEDIR
set -uo pipefail
bindir=$1 statedir=$2
statedir=$(realpath -ms "$statedir")
cd / # the server's user may not be able to enter the caller's folder
run=()
[[ $(id -u) == 0 ]] && run=(runuser -u postgres --)
# pg_start.sh may have put the server's files under /tmp and STATEDIR as a link to them.
here=$statedir
[[ -L $statedir ]] && here=$(readlink -f "$statedir")
if [[ -f $here/data/postmaster.pid ]]; then
  "${run[@]}" "$bindir/pg_ctl" -D "$here/data" -m fast -w -t 30 stop >/dev/null ||
    "${run[@]}" "$bindir/pg_ctl" -D "$here/data" -m immediate stop >/dev/null || true
fi
# Keep the log of a failed run for whoever reads the CTest output.
if [[ -n ${ROSTER_TEST_PG_KEEP_LOG:-} && -f $here/server.log ]]; then
  cp "$here/server.log" "$ROSTER_TEST_PG_KEEP_LOG"
fi
rm -rf "$here" "$statedir"
echo "pg_stop: stopped and removed $statedir"
