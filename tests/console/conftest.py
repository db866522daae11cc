"""Fixtures of the console tests: a store prepared with the CLI, `tokenauth serve` started on a free
loopback port against it, and an HTTP client that keeps a session cookie and reads CSRF tokens.
Everything runs the release binary that `make cli` built (TOKENAUTH_BIN), in a temporary folder
under build/, and every server is stopped at the end, even when a test fails."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

from console_client import Client, Console

BIN = os.environ.get("TOKENAUTH_BIN", os.path.abspath("build/bin/tokenauth"))
WORK = os.environ.get("CONSOLE_TEST_DIR", os.path.abspath("build/console-tests"))

# The members of every test store: who may do what (see docs/console.md, "Who sees what").
MEMBERS = {
    "admin1": "admin",
    "alice": "ManagePersonalAccessTokens tickets:write assets:read",
    "bob": "ManagePersonalAccessTokens tickets:read",
    "svcmgr": "ManageServiceAccessTokens tickets:write assets:write",
    "auditor": "ListAccessTokens tickets:read",
    "carol": "tickets:read",
}


def cli(db, *args, stdin=None):
    """Runs the CLI on `db` and returns its standard output (raises on failure)."""
    done = subprocess.run([BIN, *args], env={**os.environ, "TOKENAUTH_DB": db}, input=stdin,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"tokenauth {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return done.stdout


def create_token(db, actor, name, scopes, kind="personal", *extra):
    """Creates a token with the CLI; returns (id, secret)."""
    out = json.loads(cli(db, "token", "create", "--as", actor, "--name", name, "--kind", kind,
                         "--scopes", scopes, "--json", *extra))
    return out["id"], out["token"]


@pytest.fixture
def store(tmp_path_factory):
    """A fresh SQLite store with MEMBERS."""
    os.makedirs(WORK, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="store-", dir=WORK)
    db = os.path.join(folder, "tokens.db")
    for member, permissions in MEMBERS.items():
        cli(db, "member", "put", member, "--permissions", permissions)
    return db


def start(db, *args):
    """Starts `tokenauth serve` on a free port; returns the Console (stopped by the caller)."""
    out = tempfile.TemporaryFile(mode="w+")
    err = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", *args],
                               stdout=out, stderr=err, text=True)
    deadline = time.time() + 20
    port = None
    while time.time() < deadline and port is None:
        if process.poll() is not None:
            err.seek(0)
            raise AssertionError(f"tokenauth serve exited {process.returncode}: {err.read()}")
        err.seek(0)
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", err.read())
        if match:
            port = int(match.group(1))
        else:
            time.sleep(0.05)
    if port is None:
        process.kill()
        raise AssertionError("tokenauth serve did not start within 20 s")
    return Console(process, port, out, err, db)


@pytest.fixture
def serve(store):
    """serve(*args) starts a console on the store; all are stopped (SIGTERM) after the test."""
    started = []

    def run(*args, db=None):
        console = start(db or store, *args)
        started.append(console)
        return console

    yield run
    for console in started:
        console.stop()


@pytest.fixture
def admin(serve):
    """A console started with --as admin1, and a client signed in through its one-time link."""
    console = serve("--as", "admin1")
    client = Client(console.base)
    client.sign_in(console.next_link())
    return console, client


def pytest_sessionfinish(session, exitstatus):
    # Nothing to clean but the servers, which the fixtures stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
