"""make bench-nginx: what ngx_http_tokenauth_module costs nginx, measured with wrk.

One nginx worker serves every variant, one wrk thread drives it (each pinned to a core of its own),
and every request carries `Authorization: Bearer <token>`, cycling through hot service tokens, so
that the variants differ only in what the location does:

  proxied      a location that proxies to an upstream (a server block of the same nginx, over
               keep-alive connections), as a gateway does:
               - no auth
               - tokenauth on (tokenauth_scopes, $tokenauth_subject passed upstream, usage recorded)
               - auth_request to an authenticating upstream (a server block of the same nginx
                 whose location has tokenauth on and answers 204), nginx's usual way to put an
                 external check in front of a location
  static       a location that answers by itself from memory (empty_gif, a content handler: `return`
               would answer in the rewrite phase, before any access check): the least work nginx
               can do per request, so the largest share authentication can take; no auth /
               tokenauth on

Each round runs every variant once (1 s each), in an order that rotates between rounds; a variant's
ratio is the median of its per-round ratios to "no auth" of the same shape: short runs side by side
see the same machine, which other work shares. Besides req/s, the worker's CPU
time per request (from /proc) is reported: it is steadier than req/s on a shared machine.

    nginx_bench.py --work DIR [--seconds 1] [--rounds 15] [--tokens 100] [--connections 16]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Tuple

import tokenauth

from nginx_harness import Nginx, cpu_seconds, fresh_dir, free_port, give_to_workers, request

HTTP_BLOCK = r"""
    tokenauth_store @DB@;
    upstream backend { server 127.0.0.1:@UPSTREAM@; keepalive 32; }
    upstream authsvc { server 127.0.0.1:@AUTH@; keepalive 32; }
    proxy_http_version 1.1;

    server {   # the upstream of every proxied variant
        listen 127.0.0.1:@UPSTREAM@;
        keepalive_requests 1000000;
        location / { default_type application/json; return 200 '{"ok":true}'; }
    }
    server {   # the authenticating upstream of auth_request
        listen 127.0.0.1:@AUTH@;
        keepalive_requests 1000000;
        # 204 without a body (the auth subrequest reads no body, so a body would cost the keep-alive
        # connection), from try_files, after the access phase (`return` answers before it)
        location = /check { tokenauth on; tokenauth_scopes "tickets:read"; try_files /nonexistent =204; }
    }
    server {
        listen 127.0.0.1:@PORT@;
        keepalive_requests 1000000;
        # a location that sets one proxy_set_header inherits none: all of them are set here
        proxy_set_header Connection "";
        proxy_set_header Authorization "";
        proxy_set_header X-Token-Subject $tokenauth_subject;
        location /proxied/noauth { proxy_pass http://backend; }
        location /proxied/tokenauth {
            tokenauth on;
            tokenauth_scopes "tickets:read";
            proxy_pass http://backend;
        }
        location /proxied/auth_request {
            auth_request /_auth;
            proxy_pass http://backend;
        }
        location = /_auth {
            internal;
            proxy_pass http://authsvc/check;
            proxy_pass_request_body off;
            proxy_set_header Connection "";
            proxy_set_header Content-Length "";
            proxy_set_header Authorization $http_authorization;
        }
        location /static/noauth { empty_gif; }
        location /static/tokenauth {
            tokenauth on;
            tokenauth_scopes "tickets:read";
            empty_gif;
        }
    }
"""

VARIANTS: List[Tuple[str, str, str]] = [
    ("proxied", "no auth", "/proxied/noauth"),
    ("proxied", "tokenauth on", "/proxied/tokenauth"),
    ("proxied", "auth_request to an authenticating upstream", "/proxied/auth_request"),
    ("static", "no auth", "/static/noauth"),
    ("static", "tokenauth on", "/static/tokenauth"),
]
TARGET = 0.95  # tokenauth on keeps at least 95% of the no-auth throughput


def wrk_script(path: str, secrets: List[str]) -> None:
    """A wrk script that sends each request with the next token's Authorization header."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("local tokens = {\n")
        for s in secrets:
            f.write(f'  "Bearer {s}",\n')
        f.write("}\nlocal i = 0\n"
                "request = function()\n"
                "  i = i % #tokens + 1\n"
                "  wrk.headers[\"Authorization\"] = tokens[i]\n"
                "  return wrk.format(nil)\n"
                "end\n")
    os.chmod(path, 0o600)


def run_wrk(url: str, script: str, seconds: float, connections: int, pids: List[int]) -> Tuple[float, float]:
    """One wrk run: (requests per second, worker CPU µs per request). Fails on non-2xx answers."""
    cpu0 = cpu_seconds(pids)
    pin = ["taskset", "-c", "1"] if os.cpu_count() and os.cpu_count() > 1 else []
    out = subprocess.run(pin + ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    cpu1 = cpu_seconds(pids)
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, (cpu1 - cpu0) * 1e6 / max(total, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("NGINX_BENCH_SECONDS", 1)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("NGINX_BENCH_ROUNDS", 15)))
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    work = fresh_dir(args.work)
    give_to_workers(work)

    store_dir = os.path.join(work, "store")
    os.makedirs(store_dir)
    store = tokenauth.Store.open(os.path.join(store_dir, "tokens.db"))
    secrets = [secret for secret, _ in store.create_tokens(
        [{"name": f"bench {i}", "scopes": "tickets:read", "kind": "service"} for i in range(args.tokens)])]
    store.close()
    give_to_workers(store_dir)
    script = os.path.join(work, "tokens.lua")
    wrk_script(script, secrets)

    port, upstream, auth = free_port(), free_port(), free_port()
    block = HTTP_BLOCK
    for name, value in (("DB", os.path.join(store_dir, "tokens.db")), ("PORT", port), ("UPSTREAM", upstream),
                        ("AUTH", auth)):
        block = block.replace(f"@{name}@", str(value))
    # the worker on the first CPU, wrk on the second: they do not take turns on one
    pin = "worker_cpu_affinity 01;" if os.cpu_count() and os.cpu_count() > 1 else ""
    nginx = Nginx(os.path.join(work, "nginx"), block, workers=1, error_level="warn", main=pin).start()
    try:
        pids = nginx.worker_pids()
        base = f"http://127.0.0.1:{port}"
        for _, _, path in VARIANTS:
            r = request(port, "GET", path, {"Authorization": "Bearer " + secrets[0]})
            if r.status != 200:
                raise RuntimeError(f"{path} answered {r.status}: {r.text[:200]}")
        print(f"bench-nginx: wrk -t1 -c{args.connections} -d{args.seconds:g}s x {args.rounds} rounds, "
              f"{len(secrets)} hot service tokens, 1 nginx worker, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
        for _, _, path in VARIANTS:  # warm-up: every token verified once, connections open
            run_wrk(base + path, script, 1, args.connections, pids)

        rps: Dict[str, List[float]] = {path: [] for _, _, path in VARIANTS}
        cpu: Dict[str, List[float]] = {path: [] for _, _, path in VARIANTS}
        for k in range(args.rounds):
            order = VARIANTS[k % len(VARIANTS):] + VARIANTS[:k % len(VARIANTS)]
            for _, _, path in order:
                r, c = run_wrk(base + path, script, args.seconds, args.connections, pids)
                rps[path].append(r)
                cpu[path].append(c)
            print(f"  round {k + 1}: " + "  ".join(f"{p.split('/', 2)[2]}@{p.split('/')[1]} {rps[p][-1]:.0f}/s"
                                                  for _, _, p in VARIANTS), flush=True)
        errors = [line for line in nginx.error_log().splitlines() if "[error]" in line or "[alert]" in line]
    finally:
        nginx.stop()

    print(f"\n| shape | variant | req/s (median) | ratio to no auth (median of rounds) | "
          f"worker CPU per request | CPU added |")
    print("|---|---|---|---|---|---|")
    verdict = True
    for shape, name, path in VARIANTS:
        base_path = f"/{shape}/noauth"
        ratios = [a / b for a, b in zip(rps[path], rps[base_path])]
        ratio = statistics.median(ratios)
        added = statistics.median(cpu[path]) - statistics.median(cpu[base_path])
        mark = ""
        if shape == "proxied" and name == "tokenauth on":
            ok = ratio >= TARGET
            verdict = verdict and ok
            mark = f" (target ≥ {TARGET:.2f}: {'PASS' if ok else 'MISS'})"
        print(f"| {shape} | {name} | {statistics.median(rps[path]):,.0f} | {ratio:.3f}{mark} | "
              f"{statistics.median(cpu[path]):.1f} µs | {'' if path == base_path else f'{added:+.1f} µs'} |")
    print(f"\nper-round ratios: " + "; ".join(
        f"{p}: " + " ".join(f"{a / b:.3f}" for a, b in zip(rps[p], rps[f'/{s}/noauth']))
        for s, n, p in VARIANTS if n != "no auth"))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if errors:
        print("nginx logged errors:\n" + "\n".join(errors[:10]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
