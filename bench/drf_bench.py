#!/usr/bin/env python3
"""drf_bench — a DRF request authenticated by tokenauth vs djangorestframework-api-key.

    PYTHONPATH=bindings/python/src TOKENAUTH_LIBRARY=build/prefix/lib/libtokenauth.so.1 \\
        build/py-tools/bin/python bench/drf_bench.py [--keys N] [--rounds R] [--requests K] [--dir DIR]

Three routes to the same APIView, in one Django process, through Django's test client:
  baseline   no authentication, AllowAny: what the request costs without any;
  tokenauth  tokenauth.contrib.drf.TokenAuthentication + HasScopes (required_scopes
             ["tickets:read"]), UsageMiddleware recording the answered status (ta_record_usage);
  api-key    rest_framework_api_key.permissions.HasAPIKey: its default hasher (SHA-512), its keys
             in Django's database (SQLite in memory: the fastest database it can have).
UsageMiddleware is installed for all three. N tokens and N API keys are made, and every request
presents the next one. Each round makes K requests to every route, interleaved one by one in a
random order (so that the routes share the machine's noise), and takes each route's median time
per request, by the CPU time of the serving thread (what other processes on a shared machine do
not change) and by the wall clock; a route's overhead in a round is its median minus the
baseline's. Prints the medians over the rounds and the ratios of the overheads; target:
tokenauth's overhead is at most 1/10 of api-key's. The usage that tokenauth's gateway records on
its background thread is measured apart, as CPU per request.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Tuple


def configure_django(store_path: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework",
                        "rest_framework_api_key"],
        MIDDLEWARE=["tokenauth.contrib.drf.UsageMiddleware"],
        ROOT_URLCONF=__name__,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        TOKENAUTH={"STORE": store_path},
        REST_FRAMEWORK={"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
                        "UNAUTHENTICATED_USER": None},
        USE_TZ=True,
    )
    django.setup()


urlpatterns: List[object] = []


def build_routes() -> None:
    from django.urls import path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView
    from rest_framework_api_key.permissions import HasAPIKey

    from tokenauth.contrib.drf import HasScopes, TokenAuthentication

    class Ping(APIView):
        required_scopes = None

        def get(self, request: object) -> Response:
            return Response({"ok": True})

    urlpatterns[:] = [
        path("baseline", Ping.as_view(authentication_classes=[], permission_classes=[AllowAny])),
        path("tokenauth", Ping.as_view(authentication_classes=[TokenAuthentication],
                                       permission_classes=[HasScopes], required_scopes=["tickets:read"])),
        path("api-key", Ping.as_view(authentication_classes=[], permission_classes=[HasAPIKey])),
    ]


def make_credentials(n: int) -> Dict[str, List[str]]:
    """N tokenauth tokens and N API keys, as Authorization header values."""
    from django.core.management import call_command
    from rest_framework_api_key.models import APIKey

    import tokenauth
    from tokenauth.contrib import drf

    call_command("migrate", verbosity=0)
    keys = ["Api-Key " + APIKey.objects.create_key(name=f"key {i}")[1] for i in range(n)]
    store = drf.gateway().store()
    store.put_member("bench", "tickets:read ManagePersonalAccessTokens")
    tokens: List[str] = []
    for start in range(0, n, tokenauth.BATCH_MAX):
        specs = [{"name": f"token {i}", "scopes": "tickets:read"} for i in range(start, min(n, start + tokenauth.BATCH_MAX))]
        tokens += ["Bearer " + t.secret for t in store.create_tokens(specs, actor="bench")]
    return {"baseline": [""] * n, "tokenauth": tokens, "api-key": keys}


def one(client: object, route: str, header: str) -> Tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this thread) that one request to /route takes."""
    get: Callable[..., object] = client.get  # type: ignore[attr-defined]
    c0, t0 = time.thread_time(), time.perf_counter()
    response = get("/" + route, HTTP_AUTHORIZATION=header)
    t1, c1 = time.perf_counter(), time.thread_time()
    assert response.status_code == 200, (route, response.status_code)  # type: ignore[attr-defined]
    return t1 - t0, c1 - c0


def round_medians(client: object, credentials: Dict[str, List[str]], start: int, k: int,
                  rng: random.Random) -> Dict[str, Tuple[float, float]]:
    """One round: k requests to every route, interleaved (each time the routes in a new random
    order, so that they share the machine's noise); per route, the median wall-clock and CPU
    time of a request."""
    times: Dict[str, List[Tuple[float, float]]] = {r: [] for r in credentials}
    routes = list(credentials)
    gc.collect()
    for i in range(start, start + k):
        rng.shuffle(routes)
        for r in routes:
            headers = credentials[r]
            times[r].append(one(client, r, headers[i % len(headers)]))
    return {r: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)) for r, ts in times.items()}


def recording_cost(authorization: str, n: int) -> float:
    """Seconds per request that the gateway's background thread spends recording usage (n
    queued, then recorded in one burst, as the thread does)."""
    from tokenauth.contrib import drf

    gateway = drf.gateway()
    gateway.flush()
    token = gateway.check(authorization).verdict.token_id
    for _ in range(n):
        gateway._usage._queue.append((token, "GET /tokenauth", 200))
    t0 = time.thread_time()
    gateway._usage.drain()
    return (time.thread_time() - t0) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=1000, help="tokens and API keys made (each)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200, help="requests per route per round")
    parser.add_argument("--dir", default=None, help="where the token database goes (removed after)")
    args = parser.parse_args()

    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="drf-bench-", dir=args.dir)
    try:
        configure_django(os.path.join(workdir, "tokens.db"))
        build_routes()
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: str) -> int:
    import django
    import rest_framework
    from django.test import Client
    from importlib.metadata import version

    import tokenauth
    from tokenauth.contrib import drf

    credentials = make_credentials(args.keys)
    client = Client()
    rng = random.Random(19)
    round_medians(client, credentials, 0, args.keys, rng)  # warm: every token indexed, every key cached
    routes = list(credentials)
    # Per route and clock: each round's median; per route but the baseline, its overhead.
    per_request: Dict[str, List[Tuple[float, float]]] = {r: [] for r in routes}
    overhead: Dict[str, List[Tuple[float, float]]] = {r: [] for r in routes if r != "baseline"}
    for n in range(args.rounds):
        took = round_medians(client, credentials, n * args.requests, args.requests, rng)
        for r in routes:
            per_request[r].append(took[r])
        for r in overhead:
            overhead[r].append((took[r][0] - took["baseline"][0], took[r][1] - took["baseline"][1]))
    recording = recording_cost(credentials["tokenauth"][0], 10_000)

    def us(pairs: List[Tuple[float, float]], clock: int) -> str:
        return f"{statistics.median(p[clock] for p in pairs) * 1e6:.1f}"

    print(f"# drf_bench: libtokenauth {tokenauth.version()} ({tokenauth.library_path()}), Django {django.__version__}, "
          f"DRF {rest_framework.__version__}, djangorestframework-api-key {version('djangorestframework-api-key')}, "
          f"Python {platform.python_version()}")
    print(f"# machine: {os.cpu_count()} CPUs online, {platform.processor() or platform.machine()}; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"# {args.keys} tokens and {args.keys} API keys, {args.rounds} rounds x {args.requests} requests per route, "
          "Django test client, Django's database: SQLite in memory")
    print()
    print(f"## DRF request: median over {args.rounds} rounds of each round's median (µs)")
    print()
    print("| route | CPU per request | overhead (CPU) | wall per request | overhead (wall) |")
    print("|---|---:|---:|---:|---:|")
    for r in routes:
        cpu_extra = us(overhead[r], 1) if r in overhead else "—"
        wall_extra = us(overhead[r], 0) if r in overhead else "—"
        print(f"| {r} | {us(per_request[r], 1)} | {cpu_extra} | {us(per_request[r], 0)} | {wall_extra} |")
    print()
    print(f"usage recording on the gateway's background thread: {recording * 1e6:.1f} µs CPU per request "
          "(in bursts, off the request path; not in the overheads above)")
    for clock, name in ((1, "CPU"), (0, "wall-clock")):
        ratios = [t[clock] / a[clock] for t, a in zip(overhead["tokenauth"], overhead["api-key"]) if a[clock] > 0]
        ratio = statistics.median(ratios)
        verdict = "met" if ratio <= 0.10 else "NOT met"
        print(f"tokenauth overhead / api-key overhead ({name}): {ratio:.3f} (median of per-round ratios; "
              f"target <= 0.10: {verdict})")
    drf.gateway().close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
