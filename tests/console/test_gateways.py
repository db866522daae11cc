"""Real gateways in front of /verify, with the configurations docs/console.md shows (the files in
docs/console/gateways/, placeholders filled in): nginx auth_request (including the 429 workaround)
and Caddy forward_auth. Each gateway, the console and a stub upstream listen on free loopback ports."""

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import create_token
from console_client import Client

GATEWAYS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "console", "gateways")


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
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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


def check_gateway(base, store, console, resolves_dot_segments):
    """The same requests through any gateway: who reaches the upstream, and what the client sees."""
    token_id, secret = create_token(store, "alice", "through the gateway", "tickets:read")
    _, writer = create_token(store, "alice", "no read", "assets:read")
    limited_id, limited = create_token(store, "alice", "limited", "tickets:read", "personal", "--rate-limit", "1/min")
    client = Client(base)
    ok = client.get("/api/tickets", headers={"Authorization": "Bearer " + secret, "X-Token-Subject": "admin1"})
    assert ok.status == 200, ok
    seen = json.loads(ok.body)
    assert seen["x-token-subject"] == "alice", "the subject comes from /verify, never from the client"
    assert seen["x-token-id"] == token_id and "authorization" not in seen
    for headers, status, error in [({}, 401, "Unauthorized"), ({"Authorization": "Bearer nope"}, 401, "Unauthorized"),
                                   ({"Authorization": "Bearer " + writer}, 403, "Forbidden")]:
        reply = client.get("/api/tickets", headers=headers)
        assert reply.status == status, (headers, reply)
        assert json.loads(reply.body)["errors"] == [error]
        assert reply.header("WWW-Authenticate", ).startswith("Bearer realm=\"tokenauth\"")
    check_resources(client, store, resolves_dot_segments)
    assert client.get("/api/tickets", headers={"Authorization": "Bearer " + limited}).status == 200
    over = client.get("/api/tickets", headers={"Authorization": "Bearer " + limited})
    assert over.status == 429, over
    assert int(over.header("Retry-After")) >= 1
    assert json.loads(over.body)["errors"] == ["Too Many Requests"]
    console.stop()
    shown = json.loads(subprocess.run([os.environ.get("TOKENAUTH_BIN", "build/bin/tokenauth"), "token", "show", token_id,
                                       "--json", "--db", store], capture_output=True, text=True).stdout)
    assert shown["use_count"] == 1, "counted once, as a gateway's use"


def check_resources(client, store, resolves_dot_segments):
    """A token scoped to project 42 through the gateway, which derives the resource from the path
    (/api/projects/42/… is project/42) and never lets the client name one."""
    _, scoped = create_token(store, "svcmgr", "project 42", "tickets:read@project/42", "service")
    bearer = {"Authorization": "Bearer " + scoped}
    inside = client.get("/api/projects/42/tickets/7", headers=bearer)
    assert inside.status == 200, inside
    assert json.loads(inside.body)["x-token-subject"] == json.loads(inside.body)["x-token-id"]
    for path, headers in [("/api/projects/43/tickets", {}), ("/api/tickets", {}), ("/api/projects", {}),
                          ("/api/tickets", {"X-Resource": "project/42"}),
                          ("/api/projects/43/tickets", {"X-Resource": "project/42"}),
                          ("/api/projects/42/../43/tickets", {})]:
        reply = client.get(path, headers={**bearer, **headers})
        if ".." in path and not resolves_dot_segments:
            assert reply.status == 400, (path, reply)
            continue
        assert reply.status == 403 and json.loads(reply.body)["errors"] == ["Forbidden"], (path, headers, reply)
    # "..": nginx resolves it and asks the upstream for the path the resource was read from;
    # Caddy, which would pass it on as written, refuses it.
    dotted = client.get("/api/projects/43/../42/tickets", headers=bearer)
    if resolves_dot_segments:
        assert dotted.status == 200 and json.loads(dotted.body)["_path"] == "/api/projects/42/tickets", dotted
    else:
        assert dotted.status == 400 and json.loads(dotted.body)["errors"] == ["Bad Request"], dotted
    bad = client.get("/api/projects/" + "x" * 65 + "/tickets", headers=bearer)
    assert bad.status == 400 and json.loads(bad.body)["errors"] == ["Bad Request"], bad


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
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(port, nginx, "nginx")
        check_gateway(f"http://127.0.0.1:{port}", store, console, resolves_dot_segments=True)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    log = (prefix / "logs" / "error.log").read_text()
    assert "auth request unexpected status: 429" in log, "the workaround handled nginx's 500"


@pytest.mark.skipif(not shutil.which("caddy"), reason="caddy is not installed")
def test_caddy_forward_auth(serve, store, upstream, tmp_path):
    console = serve("--as", "admin1")
    port = free_port()
    (tmp_path / "Caddyfile").write_text(fill("Caddyfile", CONSOLE_PORT=console.port, CADDY_PORT=port, UPSTREAM_PORT=upstream.port))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    caddy = subprocess.Popen([shutil.which("caddy"), "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wait_for(port, caddy, "caddy")
        check_gateway(f"http://127.0.0.1:{port}", store, console, resolves_dot_segments=False)
    finally:
        caddy.terminate()
        caddy.wait(timeout=10)
