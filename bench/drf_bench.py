#!/usr/bin/env python3
"""drf_bench — a DRF request authenticated by tokenauth vs djangorestframework-api-key (issue 19).

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
per request; a route's overhead in a round is its median minus the baseline's. Prints the medians
over the rounds and the ratio of the overheads; target: tokenauth's overhead is at most 1/10 of
api-key's.
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
from typing import Callable, Dict, List


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


def one(client: object, route: str, header: str) -> float:
    """Seconds one request to /route takes."""
    get: Callable[..., object] = client.get  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    response = get("/" + route, HTTP_AUTHORIZATION=header)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, (route, response.status_code)  # type: ignore[attr-defined]
    return elapsed


def round_medians(client: object, credentials: Dict[str, List[str]], start: int, k: int, rng: random.Random) -> Dict[str, float]:
    """One round: k requests to every route, interleaved (each time the routes in a new random
    order, so that they share the machine's noise); the median time per route."""
    times: Dict[str, List[float]] = {r: [] for r in credentials}
    routes = list(credentials)
    gc.collect()
    for i in range(start, start + k):
        rng.shuffle(routes)
        for r in routes:
            headers = credentials[r]
            times[r].append(one(client, r, headers[i % len(headers)]))
    return {r: statistics.median(ts) for r, ts in times.items()}


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
    per_request: Dict[str, List[float]] = {r: [] for r in routes}
    overhead: Dict[str, List[float]] = {r: [] for r in routes if r != "baseline"}
    for n in range(args.rounds):
        took = round_medians(client, credentials, n * args.requests, args.requests, rng)
        for r in routes:
            per_request[r].append(took[r])
        for r in overhead:
            overhead[r].append(took[r] - took["baseline"])

    us = lambda xs: statistics.median(xs) * 1e6  # noqa: E731
    print(f"# drf_bench: libtokenauth {tokenauth.version()} ({tokenauth.library_path()}), Django {django.__version__}, "
          f"DRF {rest_framework.__version__}, djangorestframework-api-key {version('djangorestframework-api-key')}, "
          f"Python {platform.python_version()}")
    print(f"# machine: {os.cpu_count()} CPUs online, {platform.processor() or platform.machine()}; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"# {args.keys} tokens and {args.keys} API keys, {args.rounds} rounds x {args.requests} requests per route, "
          "Django test client, Django's database: SQLite in memory")
    print()
    print(f"## DRF request: median over {args.rounds} rounds of each round's median")
    print()
    print("| route | per request (µs) | authentication overhead (µs) |")
    print("|---|---:|---:|")
    for r in routes:
        extra = f"{us(overhead[r]):.1f}" if r in overhead else "—"
        print(f"| {r} | {us(per_request[r]):.1f} | {extra} |")
    ratios = [t / a for t, a in zip(overhead["tokenauth"], overhead["api-key"]) if a > 0]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= 0.10 else "NOT met"
    print()
    print(f"tokenauth overhead / api-key overhead: {ratio:.3f} (median of per-round ratios; target <= 0.10: {verdict})")
    drf.gateway().close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
