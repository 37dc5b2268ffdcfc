#!/usr/bin/env bash
# Stops the test PostgreSQL server started by pg_start.sh and removes its files (CTest fixture
# cleanup, test pg_stop).   pg_stop.sh BINDIR STATEDIR
set -uo pipefail
bindir=$1 statedir=$2
run=()
[[ $(id -u) == 0 ]] && run=(runuser -u postgres --)
if [[ -f $statedir/data/postmaster.pid ]]; then
  "${run[@]}" "$bindir/pg_ctl" -D "$statedir/data" -m fast -w -t 30 stop >/dev/null ||
    "${run[@]}" "$bindir/pg_ctl" -D "$statedir/data" -m immediate stop >/dev/null || true
fi
# Keep the log of a failed run for whoever reads the CTest output.
if [[ -n ${ROSTER_TEST_PG_KEEP_LOG:-} && -f $statedir/server.log ]]; then
  cp "$statedir/server.log" "$ROSTER_TEST_PG_KEEP_LOG"
fi
rm -rf "$statedir"
echo "pg_stop: stopped and removed $statedir"
