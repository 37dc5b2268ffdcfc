#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the test suite (CTest fixture "pg", test pg_start).
#   pg_start.sh BINDIR STATEDIR PORT PASSWORD
# BINDIR holds initdb/pg_ctl/psql (e.g. /usr/lib/postgresql/15/bin). STATEDIR (per build dir) gets
# the data directory, the socket and the log. The server listens on 127.0.0.1:PORT only; the role
# "roster" (LOGIN, CREATEDB, password PASSWORD, scram-sha-256) is what the tests connect as.
# Run as root, the server runs as the "postgres" system user: PostgreSQL refuses to run as root.
set -euo pipefail
bindir=$1 statedir=$2 port=$3 password=$4
die() { echo "pg_start: $*" >&2; exit 1; }

for tool in initdb pg_ctl psql; do
  [[ -x "$bindir/$tool" ]] || die "$bindir/$tool not found: install PostgreSQL 15 (Debian package postgresql, script/bootstrap --test)"
done

statedir=$(realpath -ms "$statedir")
cd / # the server's user may not be able to enter the caller's folder
run=()
if [[ $(id -u) == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user to run the server as"
  run=(runuser -u postgres --)
fi

# STATEDIR may be a link to the server's real folder (see below): the server is given real paths.
here=$statedir
[[ -L $statedir ]] && here=$(readlink -f "$statedir")
# A server left running by an interrupted earlier run of this build dir: stop it first.
if [[ -f $here/data/postmaster.pid ]]; then
  "${run[@]}" "$bindir/pg_ctl" -D "$here/data" -m immediate stop >/dev/null 2>&1 || true
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  die "port $port on 127.0.0.1 is busy (another PostgreSQL or test run?): stop it, or configure with -DROSTER_TEST_PG_PORT=<free port>"
fi

[[ -L $statedir ]] && rm -rf "$here"
rm -rf "$statedir"
here=$statedir
# Run as root, the server runs as "postgres", which must reach its folder. A build tree under a
# folder it cannot enter (a clone in /root, mode 0700, on a fresh machine) gets the server's
# files in a folder of their own under /tmp, and STATEDIR becomes a link to it.
if [[ ${#run[@]} -gt 0 ]] && ! "${run[@]}" test -x "$(dirname "$statedir")"; then
  mkdir -p "$(dirname "$statedir")"
  here=$(mktemp -d /tmp/roster-pg.XXXXXX)
  ln -s "$here" "$statedir"
fi
mkdir -p "$here"
chmod 0755 "$here"
[[ ${#run[@]} -gt 0 ]] && chown postgres "$here"
data=$here/data
statedir=$here

pwfile=$statedir/superuser.pw
head -c 24 /dev/urandom | base64 | tr -d '\n/+=' > "$pwfile"
[[ ${#run[@]} -gt 0 ]] && chown postgres "$pwfile"

"${run[@]}" "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$statedir/initdb.log" 2>&1 \
  || { cat "$statedir/initdb.log" >&2; die "initdb failed"; }

opts="-c listen_addresses=127.0.0.1 -p $port -k $statedir -c fsync=off -c synchronous_commit=off"
opts+=" -c full_page_writes=off -c max_connections=200 -c log_min_messages=warning"
if ! "${run[@]}" "$bindir/pg_ctl" -D "$data" -l "$statedir/server.log" -o "$opts" -w -t 60 start >/dev/null; then
  cat "$statedir/server.log" >&2 || true
  die "the server did not start (log above: $statedir/server.log)"
fi

# psql interpolates :'pw' (quoted as a literal) only in statements read from stdin, not with -c.
if ! echo "CREATE ROLE roster LOGIN CREATEDB PASSWORD :'pw';" |
     "${run[@]}" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -v pw="$password" -h "$statedir" \
       -p "$port" -U postgres -d postgres >/dev/null; then
  die "could not create the test role (log: $statedir/server.log)"
fi
echo "pg_start: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $data"
