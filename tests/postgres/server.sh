#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks: its own data directory, a free port on
# 127.0.0.1, trust authentication, no fsync (nothing here must survive a power loss).
#
#   server.sh start DIR    initdb (once) + pg_ctl start; prints the URI of database `tokenauth`
#   server.sh stop DIR     pg_ctl stop (fast); the data directory stays for the next start
#   server.sh destroy DIR  stop, then remove DIR
#   server.sh freeze DIR   SIGSTOP the server's processes (a hung server); `thaw` SIGCONTs them
#   server.sh url DIR      the URI of the running server
#
# initdb refuses to run as root: as root, the server runs as the `postgres` user of the Debian
# package (created when missing). Installs the Debian package `postgresql` when initdb is missing.
set -euo pipefail

cmd=${1:?usage: server.sh start|stop|destroy|freeze|thaw|url DIR}
dir=${2:?usage: server.sh start|stop|destroy|freeze|thaw|url DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The server's own files (data directory, log) must be reachable by the server's user. As root,
# when `postgres` cannot reach DIR (a checkout under /root, say), they live in a directory under
# /tmp instead, whose name DIR/home records.
home=$dir
if [ -s "$dir/home" ]; then home=$(cat "$dir/home"); fi
data=$home/data

bindir() {
    local b
    b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$b" ] || [ ! -x "$b/initdb" ]; then
        b=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
    fi
    echo "$b"
}

ensure_installed() {
    if [ -x "$(bindir)/initdb" ]; then return; fi
    echo "server.sh: installing the Debian package postgresql" >&2
    if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
    $sudo apt-get update >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
}

# Runs a command as the server's user: ourselves, or `postgres` when we are root.
as_owner() {
    if [ "$(id -u)" != 0 ]; then "$@"; return; fi
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    runuser -u postgres -- "$@"
}

url() {
    local port
    port=$(cat "$dir/port")
    echo "postgresql://postgres@127.0.0.1:$port/tokenauth"
}

case $cmd in
start)
    ensure_installed
    bin=$(bindir)
    if [ "$(id -u)" = 0 ]; then
        as_owner true # creates the user if needed
        if [ "$home" = "$dir" ] && ! runuser -u postgres -- test -x "$dir"; then
            home=$(mktemp -d /tmp/tokenauth-pg.XXXXXX)
            echo "$home" >"$dir/home"
            data=$home/data
        fi
        chown postgres: "$home"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        rm -rf "$data"
        as_owner mkdir -p "$data"
        as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    fi
    if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        url
        exit 0
    fi
    # A free port: bound by the kernel, released, then taken by the server (retried if it raced).
    # A restart tries the previous port first, so that open handles' URIs stay valid.
    for attempt in 1 2 3 4 5 6; do
        if [ "$attempt" = 1 ] && [ -s "$dir/port" ]; then
            port=$(cat "$dir/port")
        else
            port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        fi
        if as_owner "$bin/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 -o \
            "-p $port -c unix_socket_directories= -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB" \
            start >"$dir/pg_ctl.log" 2>&1; then
            echo "$port" >"$dir/port"
            as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
                -c "SELECT 1 FROM pg_database WHERE datname = 'tokenauth'" | grep -q 1 ||
                as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -c "CREATE DATABASE tokenauth" >/dev/null
            url
            exit 0
        fi
    done
    cat "$dir/pg_ctl.log" "$home/server.log" >&2 || true
    echo "server.sh: cannot start PostgreSQL" >&2
    exit 1
    ;;
stop)
    bin=$(bindir)
    if [ -f "$data/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
freeze | thaw)
    # For the failover test: a server that hangs without closing its connections (SIGSTOP of the
    # postmaster and of its children, which this script started), and its recovery.
    pid=$(head -n 1 "$data/postmaster.pid")
    children=$(for f in /proc/[0-9]*/stat; do
        read -r p _ _ parent _ <"$f" 2>/dev/null && [ "$parent" = "$pid" ] && echo "$p"
    done || true)
    if [ "$cmd" = freeze ]; then kill -STOP "$pid" $children; else kill -CONT $children "$pid"; fi
    ;;
destroy)
    bash "$0" stop "$dir"
    if [ "$home" != "$dir" ]; then rm -rf "$home"; fi
    rm -rf "$dir"
    ;;
url)
    url
    ;;
*)
    echo "usage: server.sh start|stop|destroy|freeze|thaw|url DIR" >&2
    exit 2
    ;;
esac
