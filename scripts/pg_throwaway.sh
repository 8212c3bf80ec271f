#!/usr/bin/env bash
# A throwaway PostgreSQL for the DB tests: initdb into a temp folder, listen on a free local
# TCP port only, trust auth on loopback. Prints the SQLAlchemy URL on stdout.
#
#   url=$(scripts/pg_throwaway.sh start DIR)   # DIR is created (its parents must be reachable
#                                               # by user postgres); runs until stop
#   scripts/pg_throwaway.sh stop DIR
#
# Uses Debian's postgresql package (/usr/lib/postgresql/*/bin). As root, the server runs as the
# `postgres` user (PostgreSQL refuses to run as root) via runuser.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n "$bin" ]] || { echo "pg_throwaway: no /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 1; }
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" || {
      echo "pg_throwaway: user postgres cannot reach $dir (make its parents world-executable)" >&2
      exit 1
    }
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg "$bin/initdb" -D "$dir/data" -U reroute --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U reroute reroute_test
  echo "postgresql+psycopg://reroute@127.0.0.1:$port/reroute_test"
  ;;
stop)
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
