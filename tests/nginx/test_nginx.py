"""make test-nginx: Debian's nginx with ngx_http_tokenauth_module, driven by real HTTP clients.

Covers the status table (every refusal's status, JSON body and headers), RFC 6750 challenges, the
access phase after allow/deny, subrequests, error_page, variables, bad input (nothing crashes,
nothing secret is logged), usage recorded from the log phase (and the operation it is counted
under), grants scoped to resources (tokenauth_resource), an unusable store (503, the worker lives on
and recovers), and four workers: the store opened in each worker and never in the master, a
revocation from another process refused at once by every worker, usage flushed on reload.

    test_nginx.py --work DIR      prints every failed check, then "N passed, N failed"
"""

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.parse
from typing import Callable, List

import tokenauth

from nginx_harness import (MODULE, NGINX, Nginx, as_root, fresh_dir, free_port, give_to_workers, open_files,
                           process_uid, raw_request, request, WORKER_USER)
from scenario import Scenario, Tokens, fill, open_store, run_status_table, start_gateway, UPSTREAM

passed = 0
failures: List[str] = []


def check(ok: bool, what: str) -> None:
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)


def section(name: str, body: Callable[[], None]) -> None:
    """Runs one group of checks; an exception fails the group, not the whole run."""
    started = time.monotonic()
    try:
        body()
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        failures.append(f"{name}: {type(e).__name__}: {e}")
    print(f"  {name}: {time.monotonic() - started:.1f} s", flush=True)


def is_json_refusal(r, status: tokenauth.Status) -> bool:
    return r.header("Content-Type") == "application/json" and r.text == tokenauth.error_json(status)


def no_crash(nginx: Nginx, what: str) -> None:
    log = nginx.error_log()
    check("exited on signal" not in log, f"{what}: a worker crashed: " +
          "\n".join(l for l in log.splitlines() if "signal" in l)[:500])


def no_secret_logged(nginx: Nginx, secrets: List[str], what: str) -> None:
    logs = nginx.error_log() + nginx.access_log()
    leaked = [s[:9] + "..." for s in secrets if s in logs]
    check(not leaked, f"{what}: secrets in the logs: {leaked}")


# ------------------------------------------------------------------------------ the gateway

def gateway_checks(work: str) -> None:
    store_dir = os.path.join(work, "store")
    store = open_store(store_dir)
    t = Tokens(store)
    other = tokenauth.Store.open(os.path.join(work, "other.db"), token_prefix="abc")
    other.put_member("eve", "tickets:read ManagePersonalAccessTokens")
    foreign = other.create_token("another store's", "tickets:read", actor="eve")
    other.close()
    ports = {"port": free_port(), "big": free_port(), "upstream": free_port()}
    db = os.path.join(store_dir, "tokens.db")
    nginx = start_gateway(os.path.join(work, "gateway"), db, ports)
    try:
        time.sleep(1.1)  # the short-lived token (1 s) expires, for real
        pids_before = sorted(nginx.worker_pids())
        sc = Scenario(ports["port"])
        run_status_table(sc, t)
        for row in sc.rows:
            check(row.ok, f"status table: {row.case}: {'; '.join(row.problems)}")
        answers(ports, t, nginx)
        bad_input(ports, t, foreign.secret)
        check(sorted(nginx.worker_pids()) == pids_before, "the worker was replaced: it died")
        no_crash(nginx, "gateway")
    finally:
        nginx.stop()
    no_secret_logged(nginx, t.secrets(), "gateway")
    check(re.search(r"subject=alice token=tok_\w+ kind=personal status=TA_OK", nginx.access_log()) is not None,
          "access log lacks the variables of a passed request")
    check("status=TA_REVOKED" in nginx.access_log(), "access log lacks $tokenauth_status of a refusal")
    check(re.search(r"tokenauth: TA_REVOKED \(401\) token tok_\w+: ", nginx.error_log()) is not None,
          "error log (info) lacks the refusal's reason")
    usage(store, t)
    store.close()


def answers(ports: dict, t: Tokens, nginx: Nginx) -> None:
    port = ports["port"]
    alice = {"Authorization": "Bearer " + t.alice.secret}

    r = request(port, "GET", "/api/tickets", {"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    check(r.status == 401 and r.header("WWW-Authenticate") == 'Bearer realm="api"'
          and is_json_refusal(r, tokenauth.Status.MALFORMED),
          f"Basic: want 401 without an error code, got {r.status} {r.header('WWW-Authenticate')!r}")

    r = request(port, "HEAD", "/api/tickets")
    check(r.status == 401 and r.body == b"" and r.header("Content-Type") == "application/json",
          f"HEAD refused: {r.status} {r.header('Content-Type')!r} {r.body[:40]!r}")

    r = request(port, "GET", "/custom/x")
    check(r.status == 401 and r.text == '{"custom":"error page"}',
          f"error_page wins: {r.status} {r.text[:80]!r}")
    check(r.header("WWW-Authenticate") == 'Bearer realm="tickets \\"eu\\""',
          f"error_page keeps the escaped realm's challenge: {r.header('WWW-Authenticate')!r}")

    r = request(port, "GET", "/denied/x", alice)
    check(r.status == 403 and r.header("X-Tokenauth-Status") is None and "application/json" != r.header("Content-Type"),
          f"deny all decides before tokenauth: {r.status} {r.header('X-Tokenauth-Status')!r}")

    r = request(port, "GET", "/sub/x")
    check(r.status == 200, f"an auth_request subrequest is not checked: {r.status}")

    r = request(port, "GET", "/api/misconfigured", alice)
    check(r.status == 500 and is_json_refusal(r, tokenauth.Status.INTERNAL_ERROR)
          and r.header("X-Tokenauth-Status") == "TA_INVALID_ARGUMENT",
          f"invalid tokenauth_scopes: {r.status} {r.text[:80]!r}")
    check("tokenauth: TA_INVALID_ARGUMENT (500)" in nginx.error_log(), "invalid tokenauth_scopes not logged")

    r = request(port, "GET", "/api/scoped?scope=tickets:write", alice)
    check(r.status == 200, f"scopes from a variable: {r.status}")
    r = request(port, "GET", "/api/scoped?scope=users:read", alice)
    check(r.status == 403 and 'scope="users:read"' in (r.header("WWW-Authenticate") or ""),
          f"scopes from a variable, missing: {r.status} {r.header('WWW-Authenticate')!r}")

    r = request(port, "GET", "/api/tickets", {**alice, "X-Token-Subject": "mallory"})
    check('"subject":"alice"' in r.text, f"a client's X-Token-Subject reaches the upstream: {r.text[:120]!r}")

    r = request(port, "GET", "/api/gone/x", {"Authorization": "Bearer " + t.carol.secret})
    check(r.status == 404, f"the upstream's 404 is passed on: {r.status}")

    r = request(port, "GET", "/api/tickets/%0D%0AX-Evil:1", {"Authorization": "Bearer " + t.carol.secret})
    check(r.status == 200 and r.header("X-Evil") is None, f"CR LF in the path: {r.status} {r.headers}")


def bad_input(ports: dict, t: Tokens, foreign_secret: str) -> None:
    port, big = ports["port"], ports["big"]
    long_value = "Bearer " + "A" * 8192

    r = request(big, "GET", "/x", {"Authorization": long_value})
    check(r.status == 401 and is_json_refusal(r, tokenauth.Status.MALFORMED),
          f"8 KiB Authorization (16k header buffers): {r.status} {r.text[:80]!r}")
    r = request(port, "GET", "/api/tickets", {"Authorization": long_value})
    check(r.status == 400 and is_json_refusal(r, tokenauth.Status.INVALID_ARGUMENT),
          f"8 KiB Authorization (nginx's default buffers): {r.status} {r.text[:80]!r}")

    # nginx itself refuses these (client sent duplicate/invalid header line) before any module;
    # the values are dummies, since nginx's info-level log quotes the line it refuses
    dummy = "tkap_" + "0" * 38
    r = raw_request(port, (f"GET /api/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {dummy}\r\n"
                           f"Authorization: Bearer {dummy}\r\nConnection: close\r\n\r\n").encode())
    check(r.status == 400 and r.body.decode() == tokenauth.error_json(tokenauth.Status.INVALID_ARGUMENT),
          f"two Authorization headers: {r.status} {r.body[:80]!r}")
    r = raw_request(port, b"GET /api/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tkap_\x00x\r\n"
                          b"Connection: close\r\n\r\n")
    check(r.status == 400 and r.body.decode() == tokenauth.error_json(tokenauth.Status.INVALID_ARGUMENT),
          f"NUL in Authorization: {r.status} {r.body[:80]!r}")

    for name, value in (("control bytes", b"Bearer tkap_\x01\x02\x7f" + b"A" * 40),
                        ("a tab in the token", b"Bearer tkap_\tAAAA"),
                        ("bytes >= 0x80", b"Bearer tkap_\xff\xfe" + b"A" * 40),
                        ("Bearer and nothing", b"Bearer "),
                        ("another store's token", b"Bearer " + foreign_secret.encode())):
        r = raw_request(port, b"GET /api/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: " + value +
                        b"\r\nConnection: close\r\n\r\n")
        check(r.status == 401 and r.header("X-Tokenauth-Status") == "TA_MALFORMED"
              and r.body.decode() == tokenauth.error_json(tokenauth.Status.MALFORMED)
              and r.header("WWW-Authenticate") == 'Bearer realm="api", error="invalid_token"',
              f"{name}: {r.status} {r.header('X-Tokenauth-Status')!r} {r.body[:60]!r}")

    # RFC 7235: the scheme is case-insensitive, and the library matches it so
    r = request(port, "GET", "/api/tickets", {"Authorization": "bearer " + t.carol.secret})
    check(r.status == 200, f"lower-case bearer with a valid token: {r.status}")
    r = request(port, "GET", "/api/tickets", {"Authorization": "bearer nonsense"})
    check(r.status == 401 and r.header("WWW-Authenticate") == 'Bearer realm="api", error="invalid_token"',
          f"lower-case bearer with garbage: {r.status} {r.header('WWW-Authenticate')!r}")


def usage(store: tokenauth.Store, t: Tokens) -> None:
    """After nginx stopped (its workers closed the store): what the log phase recorded."""
    alice = store.stats(t.alice.id)
    ops, statuses = alice.get("by_operation", {}), alice.get("by_status", {})
    check(ops.get("GET /api/tickets", 0) >= 2 and ops.get("POST /api/tickets") == 1
          and ops.get("GET /api/scoped (tickets:write)") == 1,
          f"alice's by_operation: {ops}")
    check(statuses.get("200", 0) >= 3 and statuses.get("201") == 1, f"alice's by_status: {statuses}")
    carol = store.stats(t.carol.id)
    check(carol.get("by_operation", {}).get("GET /api/gone") == 1 and carol.get("by_status", {}).get("404") == 1,
          f"the upstream's final status (404) recorded: {carol.get('by_operation')} {carol.get('by_status')}")
    limited = store.stats(t.limited.id)
    check(limited.get("use_count") == 2 and limited.get("denied_count") == 1, f"rate-limited token: {limited}")
    denied = {e["detail"]["status"] for e in store.audit({"event": "verify.denied"})}
    for status in ("TA_EXPIRED", "TA_REVOKED", "TA_FORBIDDEN", "TA_INACTIVE", "TA_OWNER_INACTIVE", "TA_RATE_LIMITED"):
        check(status in denied, f"no verify.denied audit entry with {status}")


# ------------------------------------------------------------------------------ resources

#: tokenauth_resource: from a regex capture, an argument, a map (empty by default) and literals;
#: set on the server, overridden, inherited and turned off in nested locations.
RESOURCES = r"""
    tokenauth_store @DB@;
    log_format resources '"$request" $status resource=$tokenauth_resource status=$tokenauth_status';

    map $arg_m $mapped_resource {
        default  "";
        a        project/42;
    }

    server {
        listen 127.0.0.1:@PORT@;
        access_log @LOGS@/access.log resources;
        root @LOGS@/no-such-root;
        add_header X-Tokenauth-Status $tokenauth_status always;
        add_header X-Tokenauth-Resource $tokenauth_resource always;

        tokenauth on;
        tokenauth_scopes "tickets:read";
        tokenauth_resource project/$arg_project;

        location ~ ^/projects/([^/]+)/ {
            tokenauth_resource project/$1;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /by-arg/ {
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /mapped/ {
            tokenauth_resource $mapped_resource;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /p42/ {
            tokenauth_resource project/42;
            location /p42/inner/ {
                proxy_pass http://127.0.0.1:@UPSTREAM@;
            }
            location /p42/anywhere/ {
                tokenauth_resource off;
                proxy_pass http://127.0.0.1:@UPSTREAM@;
            }
            location /p42/then-43/ {
                try_files /nothing @p43;
            }
            location /p42/then-42/ {
                try_files /nothing @p42;
            }
        }
        location @p43 {
            tokenauth_resource project/43;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location @p42 {
            tokenauth_resource project/42;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /scopes-bad/ {
            set $bad_scopes "Tickets:Read";
            tokenauth_scopes $bad_scopes;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
    }
"""


def resources(work: str) -> None:
    """Tokens whose grants are scoped to resources, checked against tokenauth_resource."""
    store_dir = os.path.join(work, "resources-store")
    store = open_store(store_dir)
    store.put_member("ops", "admin")
    p42 = store.create_token("project 42 sync", "tickets:read@project/42", kind="service", actor="ops")
    everywhere = store.create_token("all projects", "tickets:read", kind="service", actor="ops")
    port, upstream = free_port(), free_port()
    prefix = os.path.join(work, "resources")
    http_block = fill(UPSTREAM, UPSTREAM=upstream) + fill(RESOURCES, DB=os.path.join(store_dir, "tokens.db"), PORT=port,
                                                          UPSTREAM=upstream, LOGS=os.path.join(prefix, "logs"))
    nginx = Nginx(prefix, http_block).start()
    forbidden = tokenauth.error_json(tokenauth.Status.FORBIDDEN)
    insufficient = 'Bearer realm="api", error="insufficient_scope", scope="tickets:read"'

    def get(path: str, token, want: int, want_resource) -> None:
        headers = {"Authorization": "Bearer " + token.secret} if token else {}
        r = request(port, "GET", path, headers)
        who = "project 42's token" if token is p42 else "an unqualified token" if token else "no token"
        check(r.status == want and r.header("X-Tokenauth-Resource") == want_resource,
              f"resources: {who} GET {path}: want {want} on {want_resource!r}, got {r.status} "
              f"on {r.header('X-Tokenauth-Resource')!r} ({r.header('X-Tokenauth-Status')})")
        if want == 403:
            check(r.text == forbidden and r.header("WWW-Authenticate") == insufficient,
                  f"resources: {who} GET {path}: 403 {r.text[:60]!r} {r.header('WWW-Authenticate')!r}")
        if want == 400:
            check(is_json_refusal(r, tokenauth.Status.INVALID_ARGUMENT)
                  and r.header("X-Tokenauth-Status") == "TA_INVALID_ARGUMENT"
                  and r.header("WWW-Authenticate") == 'Bearer realm="api", error="invalid_request"',
                  f"resources: {who} GET {path}: 400 {r.text[:60]!r} {r.header('WWW-Authenticate')!r}")
        if want == 500:
            check(is_json_refusal(r, tokenauth.Status.INTERNAL_ERROR)
                  and r.header("X-Tokenauth-Status") == "TA_INVALID_ARGUMENT",
                  f"resources: {who} GET {path}: 500 {r.text[:60]!r}")

    # (path, token, HTTP status, $tokenauth_resource)
    cases = (
        # a regex capture: the grant's project and below it, no other
        ("/projects/42/tickets/7", p42, 200, "project/42"),
        ("/projects/43/tickets/1", p42, 403, "project/43"),
        ("/projects/43/tickets/1", everywhere, 200, "project/43"),
        ("/projects/42/tickets/7", None, 401, "project/42"),
        # inherited from the server: an argument
        ("/by-arg/?project=42", p42, 200, "project/42"),
        ("/by-arg/?project=43", p42, 403, "project/43"),
        ("/by-arg/?project=43", everywhere, 200, "project/43"),
        # ill-formed, from the request: 400, decided before the credential
        ("/by-arg/", p42, 400, "project/"),
        ("/by-arg/?project=a%20b", everywhere, 400, "project/a%20b"),
        ("/by-arg/", None, 400, "project/"),
        # empty: no specific resource, only grants on every resource count (fail closed)
        ("/mapped/", p42, 403, None),
        ("/mapped/", everywhere, 200, None),
        ("/mapped/?m=a", p42, 200, "project/42"),
        # overridden in a location, inherited by the nested one, turned off in another
        ("/p42/inner/?project=43", p42, 200, "project/42"),
        ("/p42/anywhere/", p42, 403, None),
        ("/p42/anywhere/", everywhere, 200, None),
        # an internal redirect to another resource is checked again; to the same, it passes
        ("/p42/then-43/", p42, 403, "project/43"),
        ("/p42/then-42/", p42, 200, "project/42"),
        ("/p42/then-43/", everywhere, 200, "project/43"),
        # a configuration error in a variable: 500 (a fixed one fails nginx -t)
        ("/scopes-bad/?project=42", everywhere, 500, "project/42"),
        ("/scopes-bad/", everywhere, 400, "project/"),
    )
    try:
        for case in cases:
            get(*case)
        no_crash(nginx, "resources")
    finally:
        nginx.stop()
    log = nginx.error_log()
    check("TA_INVALID_ARGUMENT (400): the resource (tokenauth_resource) is not a resource name" in log
          and "TA_INVALID_ARGUMENT (500): tokenauth_scopes is not a list of scope names" in log,
          "resources: an ill-formed resource and a configuration error are not logged with their cause")
    check(re.search(r"TA_FORBIDDEN \(403\) token tok_\w+: .* on resource project/43", log) is not None,
          "resources: a refusal on a resource does not name it in the error log")
    check('"GET /by-arg/?project=42 HTTP/1.1" 200 resource=project/42 status=TA_OK' in nginx.access_log(),
          "resources: $tokenauth_resource is not in the access log")
    no_secret_logged(nginx, [p42.secret, everywhere.secret], "resources")
    store.close()


# ------------------------------------------------------------------------------ an unusable store

def unusable_store(work: str) -> None:
    store_dir = os.path.join(work, "later")  # does not exist yet: the workers cannot open it
    db = os.path.join(store_dir, "tokens.db")
    ports = {"port": free_port(), "big": free_port(), "upstream": free_port()}
    nginx = start_gateway(os.path.join(work, "unusable"), db, ports)
    try:
        pid = nginx.worker_pids()
        r = request(ports["port"], "GET", "/api/tickets", {"Authorization": "Bearer x"})
        check(r.status == 503 and is_json_refusal(r, tokenauth.Status.STORAGE_ERROR)
              and r.header("X-Tokenauth-Status") == "TA_STORAGE_ERROR",
              f"unusable store: {r.status} {r.text[:80]!r}")
        check("tokenauth: cannot open the token store" in nginx.error_log(), "unusable store not logged")
        r = request(ports["port"], "GET", "/health")
        check(r.status == 200 and nginx.worker_pids() == pid, "the worker did not survive an unusable store")
        store = open_store(store_dir)
        store.put_member("ops", "admin")
        svc = store.create_token("late", "tickets:read", kind="service", actor="ops")
        give_to_workers(store_dir)
        time.sleep(1.1)  # the worker tries again at most once a second
        r = request(ports["port"], "GET", "/api/tickets", {"Authorization": "Bearer " + svc.secret})
        check(r.status == 200, f"the worker opens the store once it is usable: {r.status} {r.text[:80]!r}")
        no_crash(nginx, "unusable store")
        store.close()
    finally:
        nginx.stop()


# ------------------------------------------------------------------------------ four workers

def workers(work: str) -> None:
    store_dir = os.path.join(work, "workers-store")
    store = open_store(store_dir)
    store.put_member("ops", "admin")
    svc = store.create_token("fleet", "tickets:read", kind="service", actor="ops")
    db = os.path.join(store_dir, "tokens.db")
    port, upstream = free_port(), free_port()
    http_block = fill(UPSTREAM, UPSTREAM=upstream) + fill(r"""
    tokenauth_store @DB@;
    server {
        listen 127.0.0.1:@PORT@ reuseport;
        add_header X-Worker $pid always;
        add_header X-Tokenauth-Status $tokenauth_status always;
        location /api/ {
            tokenauth on;
            tokenauth_scopes "tickets:read";
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
    }
""", DB=db, PORT=port, UPSTREAM=upstream)
    nginx = Nginx(os.path.join(work, "workers"), http_block, workers=4).start()
    bearer = {"Authorization": "Bearer " + svc.secret, "Connection": "close"}
    try:
        pids = set(nginx.worker_pids())
        check(len(pids) == 4, f"4 workers expected, found {len(pids)}")
        # every worker verifies the token once (it is then in each worker's index)
        served = set()
        deadline = time.monotonic() + 10
        while served != pids and time.monotonic() < deadline:
            r = request(port, "GET", "/api/x", bearer)
            if r.status == 200:
                served.add(int(r.header("X-Worker") or 0))
        check(served == pids, f"not every worker answered before the revocation: {len(served)} of {len(pids)}")
        assert nginx.process
        check(not any(f.startswith(db) for f in open_files(nginx.process.pid)),
              "the master has the store open")
        check(all(any(f.startswith(db) for f in open_files(p)) for p in pids),
              "a worker does not have the store open")
        if as_root():
            import pwd
            uid = pwd.getpwnam(WORKER_USER).pw_uid
            check(all(process_uid(p)[1] == uid for p in pids), f"workers do not run as {WORKER_USER}")

        store.revoke(svc.id)  # another process; when it returns, every worker must refuse
        answers, by_worker = {}, set()
        for _ in range(1000):
            r = request(port, "GET", "/api/x", bearer)
            answers[r.status] = answers.get(r.status, 0) + 1
            by_worker.add(int(r.header("X-Worker") or 0))
        check(answers.get(200, 0) == 0, f"revoked, then 1,000 requests: {answers.get(200, 0)} answered 200 ({answers})")
        check(answers.get(401) == 1000, f"revoked: answers {answers}")
        check(by_worker == pids, f"the 1,000 requests reached {len(by_worker)} of 4 workers")
        print(f"    revocation: 1,000 requests after ta_token_revoke returned: {answers} from {len(by_worker)} workers")

        # a rate limit holds across the workers: 5 a minute for the host, whichever worker answers
        limited = store.create_token("limited fleet", "tickets:read", kind="service", actor="ops",
                                     rate_limit=5, rate_window_ms=60000)
        answers, by_worker = {}, set()
        for _ in range(40):
            r = request(port, "GET", "/api/x", {"Authorization": "Bearer " + limited.secret, "Connection": "close"})
            answers[r.status] = answers.get(r.status, 0) + 1
            by_worker.add(int(r.header("X-Worker") or 0))
        check(answers == {200: 5, 429: 35} and len(by_worker) > 1,
              f"5/min across {len(by_worker)} workers, 40 requests: {answers}")

        # a reload: the old workers close the store (flushing their usage), new ones open it
        svc2 = store.create_token("after reload", "tickets:read", kind="service", actor="ops")
        for _ in range(20):
            request(port, "GET", "/api/x", {"Authorization": "Bearer " + svc2.secret, "Connection": "close"})
        nginx.reload()
        deadline = time.monotonic() + 10
        while pids & set(nginx.worker_pids()) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not pids & set(nginx.worker_pids()), "old workers still running after a reload")
        stats = store.stats(svc2.id)
        check(stats.get("use_count") == 20 and stats.get("by_status", {}).get("200") == 20,
              f"usage of workers that exited on reload: {stats}")
        r = request(port, "GET", "/api/x", {"Authorization": "Bearer " + svc2.secret})
        check(r.status == 200, f"after a reload: {r.status}")
        no_crash(nginx, "workers")
    finally:
        nginx.stop()
    no_secret_logged(nginx, [svc.secret], "workers")
    store.close()


# ------------------------------------------------------------------------------ operations

#: The location names that default operations are made of, and tokenauth_operation with and without
#: variables; one name long enough to be cut (inside a two-byte character) at 200 bytes.
LONG_LOCATION = "/long/" + "x" * 189 + "\u00e9/"
OPERATIONS = r"""
    tokenauth_store @DB@;
    server {
        listen 127.0.0.1:@PORT@;
        tokenauth on;
        location /default/ { proxy_pass http://127.0.0.1:@UPSTREAM@; }
        location /fixed/ { tokenauth_operation "list things"; proxy_pass http://127.0.0.1:@UPSTREAM@; }
        location /fixed-long/ { tokenauth_operation "@LONG_OPERATION@"; proxy_pass http://127.0.0.1:@UPSTREAM@; }
        location /from-arg/ { tokenauth_operation $arg_op; proxy_pass http://127.0.0.1:@UPSTREAM@; }
        location @LONG_LOCATION@ { proxy_pass http://127.0.0.1:@UPSTREAM@; }
    }
"""


def operations(work: str) -> None:
    """The operation usage is counted under, for each way of naming it."""
    store_dir = os.path.join(work, "operations-store")
    store = open_store(store_dir)
    store.put_member("ops", "admin")
    token = store.create_token("operations", "tickets:read", kind="service", actor="ops")
    port, upstream = free_port(), free_port()
    http_block = fill(UPSTREAM, UPSTREAM=upstream) + fill(
        OPERATIONS, DB=os.path.join(store_dir, "tokens.db"), PORT=port, UPSTREAM=upstream,
        LONG_OPERATION="o" * 201, LONG_LOCATION=LONG_LOCATION)
    nginx = Nginx(os.path.join(work, "operations"), http_block).start()
    try:
        headers = {"Authorization": "Bearer " + token.secret}
        for method, path in (("GET", "/default/"), ("DELETE", "/default/"), ("PURGE", "/default/"),
                             ("GET", "/fixed/"), ("GET", "/fixed-long/"), ("GET", "/from-arg/?op=custom"),
                             ("GET", "/from-arg/"), ("GET", urllib.parse.quote(LONG_LOCATION))):
            r = request(port, method, path, headers)
            check(r.status == 200, f"operations: {method} {path}: {r.status}")
    finally:
        nginx.stop()
    ops = store.stats(token.id).get("by_operation", {})
    want = {"GET /default/": 1, "DELETE /default/": 1, "OTHER /default/": 1, "list things": 1, "o" * 200: 1,
            "custom": 1, "GET /from-arg/": 1, "GET " + LONG_LOCATION[:195]: 1}
    check(ops == want, f"operations: by_operation {ops}, want {want}")
    store.close()


# ------------------------------------------------------------------------------ nginx -t

def configuration(work: str) -> None:
    """`nginx -t` with the module: what it accepts and refuses, and that testing opens no store."""
    db = os.path.join(work, "never-created.db")

    def nginx_t(http: str) -> subprocess.CompletedProcess:
        conf = os.path.join(work, "test.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"load_module {MODULE};\nevents {{}}\nhttp {{ {http} }}\n")
        return subprocess.run([NGINX, "-t", "-q", "-c", conf, "-g", "error_log stderr; pid /dev/null;"],
                              capture_output=True, text=True)

    good = nginx_t(f'tokenauth_store {db}; server {{ listen 127.0.0.1:1; tokenauth on; '
                   f'location / {{ tokenauth_scopes "tickets:read $arg_x"; tokenauth_realm "a \\"b\\""; '
                   f'tokenauth_operation "$request_method /"; }} location /p {{ tokenauth off; }} }}')
    check(good.returncode == 0, f"nginx -t refused a good configuration: {good.stderr.strip()}")
    check(not os.path.exists(db), "nginx -t opened the store (the master must never open it)")
    no_store = nginx_t('server { listen 127.0.0.1:1; location / { tokenauth on; } }')
    check(no_store.returncode != 0 and '"tokenauth on" needs "tokenauth_store"' in no_store.stderr,
          f"tokenauth on without tokenauth_store: {no_store.returncode} {no_store.stderr.strip()}")
    realm = nginx_t(f'tokenauth_store {db}; server {{ listen 127.0.0.1:1; tokenauth_realm "a\x01b"; }}')
    check(realm.returncode != 0 and "control characters" in realm.stderr,
          f"a control character in tokenauth_realm: {realm.stderr.strip()}")
    twice = nginx_t(f'tokenauth_store {db}; tokenauth_store {db};')
    check(twice.returncode != 0 and "is duplicate" in twice.stderr, f"tokenauth_store twice: {twice.stderr.strip()}")

    resource = nginx_t(f'tokenauth_store {db}; tokenauth_resource project/$arg_p; server {{ listen 127.0.0.1:1; '
                       f'tokenauth on; location ~ ^/p/([^/]+)/ {{ tokenauth_resource "project/$1"; }} '
                       f'location /q/ {{ tokenauth_resource off; }} location /r/ {{ tokenauth_resource site/7; }} }}')
    check(resource.returncode == 0, f"nginx -t refused good tokenauth_resource directives: {resource.stderr.strip()}")
    for what, http, message in (
            ("no value", "tokenauth_resource;", 'invalid number of arguments in "tokenauth_resource"'),
            ("two values", "tokenauth_resource a b;", 'invalid number of arguments in "tokenauth_resource"'),
            ("an empty value", 'tokenauth_resource "";', '"tokenauth_resource" directive needs a resource name'),
            ("twice", "tokenauth_resource a; tokenauth_resource b;", '"tokenauth_resource" directive is duplicate'),
            ("off, then a value", "tokenauth_resource off; tokenauth_resource b;", "is duplicate"),
            ("an unknown variable", "tokenauth_resource project/$nope;", 'unknown "nope" variable'),
            ("a fixed value that is not a resource name", 'tokenauth_resource "project/4 2";',
             'tokenauth_resource "project/4 2": the resource is not a resource name'),
            ("a fixed pattern", "tokenauth_resource project/*;",
             'tokenauth_resource "project/*": the resource is not a resource name'),
            ("fixed scopes that are not scope names", 'tokenauth_scopes "Tickets:Read";',
             'tokenauth_scopes "Tickets:Read": required_scopes is not a space-separated list of scope names')):
        refused = nginx_t(f"tokenauth_store {db}; server {{ listen 127.0.0.1:1; location / {{ {http} }} }}")
        check(refused.returncode != 0 and message in refused.stderr,
              f"nginx -t with tokenauth_resource, {what}: {refused.returncode} {refused.stderr.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = fresh_dir(args.work)
    if as_root():
        give_to_workers(work)
    print(f"test-nginx: {NGINX} with {os.environ.get('NGINX_MODULE')}")
    section("configuration (nginx -t)", lambda: configuration(work))
    section("gateway (status table, answers, bad input, usage)", lambda: gateway_checks(work))
    section("resources (tokenauth_resource)", lambda: resources(work))
    section("operations (tokenauth_operation and its default)", lambda: operations(work))
    section("unusable store", lambda: unusable_store(work))
    section("four workers (store per worker, revocation, reload)", lambda: workers(work))
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
