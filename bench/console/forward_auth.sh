#!/usr/bin/env bash
# make bench-console: forward authentication through `tokenauth serve` (/verify), measured with wrk
# (2 threads, 32 connections, 3 s, 3 rounds; the median round is printed) beside baselines run in
# the same run on the same machine:
#   static     GET /assets/console.css: the same server without a token check (HTTP stack alone)
#   verify     GET /verify with a Bearer token and X-Required-Scopes (the library's check, counted)
#   nginx      nginx auth_request -> /verify -> a static upstream (docs/console/gateways/nginx.conf)
# To compare another gateway (e.g. the nginx module of `make nginx-module`), add a `measure NAME URL` line
# below with its URL; every row is printed with its req/s ratio to "verify".
set -euo pipefail
BIN=${TOKENAUTH_BIN:?} DIR=${BENCH_DIR:?}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$DIR" && mkdir -p "$DIR"
db="$DIR/tokens.db"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TOKENAUTH_DB=$db "$BIN" member put ops --permissions "ManageServiceAccessTokens tickets:read" >/dev/null
secret=$(TOKENAUTH_DB=$db "$BIN" token create --as ops --name bench --kind service --scopes tickets:read --json |
         python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

port=$(free_port)
"$BIN" serve --db "$db" --listen "127.0.0.1:$port" --as ops >"$DIR/serve.out" 2>"$DIR/serve.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$DIR/serve.log" && break; sleep 0.1; done

cat > "$DIR/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $secret"
wrk.headers["X-Required-Scopes"] = "tickets:read"
LUA

rows=()
# measure NAME URL [wrk script]: prints "NAME req/s p99" for the median of 3 rounds.
measure() {
    local name=$1 url=$2 script=${3:-} results=()
    wrk -t2 -c32 -d1s ${script:+-s "$script"} "$url" >/dev/null 2>&1 || true   # warm-up
    for round in 1 2 3; do
        out=$(wrk -t2 -c32 -d3s --latency ${script:+-s "$script"} "$url")
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
        [ -z "$non2xx" ] || { echo "bench-console: $name: $non2xx non-2xx answers" >&2; exit 1; }
        results+=("$rps $p99")
    done
    median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n 2p)
    rows+=("$name $median")
    printf '  %-8s %10s req/s   p99 %s\n' "$name" ${median}
}

echo "bench-console: wrk -t2 -c32 -d3s, median of 3 rounds ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
measure static "http://127.0.0.1:$port/assets/console.css"
measure verify "http://127.0.0.1:$port/verify" "$DIR/auth.lua"

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
    nginx_port=$(free_port) upstream_port=$(free_port)
    mkdir -p "$DIR/nginx/tmp" "$DIR/nginx/logs"
    user=""; [ "$(id -u)" = 0 ] && user="user root root;"
    {
        echo "$user daemon off; worker_processes 1; pid $DIR/nginx/nginx.pid; error_log $DIR/nginx/logs/error.log crit;"
        echo "events { worker_connections 256; }"
        echo "http { access_log off;"
        for kind in client_body proxy fastcgi uwsgi scgi; do echo "${kind}_temp_path $DIR/nginx/tmp/$kind;"; done
        echo "server { listen 127.0.0.1:$upstream_port; location / { return 200 'ok'; } }"
        sed -e "s/@CONSOLE_PORT@/$port/; s/@NGINX_PORT@/$nginx_port/; s/@UPSTREAM_PORT@/$upstream_port/" "$here/../../docs/console/gateways/nginx.conf"
        echo "}"
    } > "$DIR/nginx/nginx.conf"
    "$(command -v nginx || echo /usr/sbin/nginx)" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" &
    pids+=($!)
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break; sleep 0.1; done
    measure nginx "http://127.0.0.1:$nginx_port/api/tickets" "$DIR/auth.lua"
fi

verify_rps=$(printf '%s\n' "${rows[@]}" | awk '$1 == "verify" {print $2}')
echo "bench-console: req/s relative to verify:"
for row in "${rows[@]}"; do
    awk -v base="$verify_rps" '{printf "  %-8s %.2f\n", $1, $2 / base}' <<<"$row"
done
uses=$(kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null; TOKENAUTH_DB=$db "$BIN" token list --json |
       python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["use_count"])')
echo "bench-console: uses counted for the token: $uses"
