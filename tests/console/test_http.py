"""HTTP-level tests of `tokenauth serve`: every route, sign-in both ways, sessions, IAM, security
headers, CSRF and Host refusals, escaping, the secret shown once, graceful shutdown."""

import http.client
import json
import re
import signal
import time
import urllib.parse

from conftest import cli, create_token
from console_client import Client

CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"


def signed_in(serve, member, *args):
    console = serve("--as", member, *args)
    client = Client(console.base)
    client.sign_in(console.next_link())
    return console, client


def token_json(db, token_id):
    return json.loads(cli(db, "token", "show", token_id, "--json"))


# ---------------------------------------------------------------- sign-in and sessions

def test_one_time_link_is_one_line_on_stdout_and_works_once(serve):
    console = serve("--as", "alice")
    link = console.next_link()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/signin\?code=[0-9a-f]{48}", link)
    assert console.stdout_lines() == [link], "standard output holds the link alone"
    client = Client(console.base)
    path = link[len(console.base):]
    code = path.split("code=")[1]
    # Opening the link (or a link preview fetching it) does not spend the code.
    for _ in range(2):
        page = client.get(path)
        assert page.status == 200 and 'name="code"' in page.body and client.cookie is None
    reply = client.post("/signin", {"code": code})
    assert reply.status == 303 and reply.header("Location") == "/tokens"
    cookie = reply.header("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie and "Max-Age" not in cookie
    assert "Signed in as <strong>alice</strong>" in client.get("/tokens").body
    again = Client(console.base).post("/signin", {"code": code})
    assert again.status == 403 and "already used" in again.body
    # The next link is printed once this one is used, for a second browser.
    second = console.next_link()
    assert second != link
    other = Client(console.base)
    other.sign_in(second)
    assert other.cookie != client.cookie


def test_not_signed_in(serve):
    console = serve("--as", "alice")
    client = Client(console.base)
    reply = client.get("/tokens")
    assert reply.status == 302 and reply.header("Location") == "/signin"
    page = client.get("/signin")
    assert page.status == 401 and "not signed in" in page.body
    assert client.post("/tokens", {"name": "x"}).status == 401
    assert client.get("/tokens", headers={"Cookie": "tokenauth_session=" + "0" * 64}, cookie=False).status == 302


def test_sign_out_ends_the_session(serve):
    console, client = signed_in(serve, "alice")
    page = client.get("/tokens")
    cookie = client.cookie
    reply = client.post("/signout", {"csrf": page.csrf()})
    assert reply.status == 200 and "Max-Age=0" in reply.header("Set-Cookie")
    assert client.get("/tokens", headers={"Cookie": cookie}, cookie=False).status == 302


def test_idle_timeout(serve):
    console, client = signed_in(serve, "alice", "--idle-timeout", "1s")
    assert client.get("/tokens").status == 200
    time.sleep(1.3)
    assert client.get("/tokens").status == 302


def test_trusted_header_only_from_trusted_proxies(serve):
    console = serve("--trust-header", "X-Forwarded-User", "--trusted-proxy", "127.0.0.1")
    client = Client(console.base)
    page = client.get("/tokens", headers={"X-Forwarded-User": "bob"})
    assert page.status == 200 and "Signed in as <strong>bob</strong>" in page.body
    # The proxy's session holds only while the proxy keeps vouching for the same member.
    assert client.get("/tokens").status == 302
    assert "Signed in as <strong>carol</strong>" in client.get("/tokens", headers={"X-Forwarded-User": "carol"}).body
    refused = Client(console.base).get("/tokens", headers={"X-Forwarded-User": "nobody"})
    assert refused.status == 403, "not an active member"
    bad = Client(console.base).get("/tokens", headers={"X-Forwarded-User": "a b<"})
    assert bad.status == 400 and "a b<" not in bad.body

    untrusted = serve("--trust-header", "X-Forwarded-User", "--trusted-proxy", "127.0.0.2")
    reply = Client(untrusted.base).get("/tokens", headers={"X-Forwarded-User": "admin1"})
    assert reply.status == 302, "the header is ignored from any other peer"


def test_serve_refuses_bad_options(store):
    import subprocess
    from conftest import BIN
    for args, message in [([], "--as MEMBER"), (["--trust-header", "X-User"], "--trusted-proxy"),
                          (["--as", "nobody"], "not an active member"), (["--as", "alice", "--listen", "nonsense"], "--listen")]:
        done = subprocess.run([BIN, "serve", "--db", store, *args], capture_output=True, text=True, timeout=20)
        assert done.returncode != 0 and message in done.stderr, (args, done.stderr)


# ---------------------------------------------------------------- security

def test_security_headers_on_every_kind_of_response(admin):
    console, client = admin
    for path, status in [("/tokens", 200), ("/tokens/new", 200), ("/nowhere", 404), ("/tokens/tok_nonexistent00001", 404),
                         ("/assets/console.css", 200), ("/signin", 401)]:
        reply = client.get(path)
        assert reply.status == status, (path, reply)
        assert reply.header("Content-Security-Policy") == CSP, path
        assert reply.header("X-Content-Type-Options") == "nosniff", path
        assert reply.header("Referrer-Policy") == "same-origin", path
        if not path.startswith("/assets"):
            assert reply.header("Cache-Control") == "no-store", path
    for path in ["/tokens", "/audit", "/report", "/members", "/catalog", "/tokens/new"]:
        body = client.get(path).body
        assert "<script>" not in body and " style=" not in body and "onclick" not in body, f"inline script or style on {path}"
        assert re.findall(r'<script[^>]*src="([^"]+)"', body) == ["/assets/console.js"]
    js = client.get("/assets/console.js")
    assert js.header("Content-Type").startswith("text/javascript")


def test_host_allowlist(serve):
    console, client = signed_in(serve, "alice", "--allowed-host", "console.example", "--allowed-host", "gw.example:9000")
    for host in [f"127.0.0.1:{console.port}", f"localhost:{console.port}", f"console.example:{console.port}", "console.example",
                 "gw.example:9000"]:
        assert client.get("/tokens", host=host).status == 200, host
    for host in [f"evil.example:{console.port}", f"127.0.0.1:{console.port + 1}", "gw.example:9001", ""]:
        reply = client.get("/tokens", host=host)
        assert reply.status == 421 and "Host" in reply.body, host
    assert client.get("/signin", host="evil.example").status == 421
    # /verify answers whatever Host a gateway forwards: it trusts the token, not a cookie.
    assert client.get("/verify", host="evil.example", cookie=False).status == 401


def test_csrf_refusals(admin, store):
    console, client = admin
    token_id, _ = create_token(store, "alice", "victim", "tickets:read")
    page = client.get(f"/tokens/{token_id}/revoke")
    csrf = page.csrf()
    cases = [
        ({}, {}, "no token"),
        ({"csrf": "0" * 64}, {}, "wrong token"),
        ({"csrf": csrf}, {"Sec-Fetch-Site": "cross-site"}, "another site"),
        ({"csrf": csrf}, {"Origin": "http://evil.example"}, "another origin"),
        ({"csrf": csrf}, {"Origin": "null"}, "opaque origin"),
    ]
    for fields, headers, why in cases:
        reply = client.post(f"/tokens/{token_id}/revoke", fields, headers=headers)
        assert reply.status == 403 and "Refused" in reply.body, why
    assert token_json(store, token_id)["status"] == "active", "nothing was revoked"
    other = Client(console.base)
    other.sign_in(console.next_link())
    assert other.post(f"/tokens/{token_id}/revoke", {"csrf": csrf}).status == 403, "another session's token"
    ok = client.post(f"/tokens/{token_id}/revoke", {"csrf": csrf}, headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status == 303
    assert token_json(store, token_id)["status"] == "revoked"


def test_no_state_change_on_get(admin, store):
    console, client = admin
    token_id, _ = create_token(store, "alice", "still here", "tickets:read")
    for action in ["revoke", "deactivate", "delete", "rotate", "rename", "activate"]:
        client.get(f"/tokens/{token_id}/{action}")
    client.get("/signout")
    shown = token_json(store, token_id)
    assert shown["status"] == "active" and shown["name"] == "still here" and shown["rotated_to"] is None
    assert client.get("/tokens").status == 200, "still signed in"


def test_every_user_string_is_escaped(admin, store):
    console, client = admin
    evil = "<script>alert(1)</script>\"'&amp;"
    token_id, _ = create_token(store, "alice", evil, "tickets:read")
    cli(store, "token", "rename", token_id, evil + " renamed")
    pages = [client.get(p).body for p in ["/tokens", f"/tokens/{token_id}", f"/tokens/{token_id}/revoke", f"/tokens/{token_id}/rename",
                                          "/audit", "/report"]]
    pages.append(client.get("/tokens?name=" + urllib.parse.quote(evil)).body)
    pages.append(client.get("/audit?actor=" + urllib.parse.quote("<b>x")).body)
    for body in pages:
        assert "<script>alert" not in body and "<b>x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;amp;" in pages[0]


# ---------------------------------------------------------------- the tokens list

def test_list_filters_pagination_and_empty_state(admin, store):
    console, client = admin
    empty = client.get("/tokens")
    assert "No access tokens yet" in empty.body and 'href="/tokens/new"' in empty.body
    ids = [create_token(store, "svcmgr", f"svc {i:03}", "tickets:read", "service")[0] for i in range(55)]
    mine, _ = create_token(store, "alice", "alice laptop", "tickets:read")
    create_token(store, "bob", "bob phone", "tickets:read")
    first = client.get("/tokens?kind=service")
    rows = re.findall(r'<th scope="row"><a href="/tokens/(tok_\w+)"', first.body)
    assert len(rows) == 50 and rows == ids[::-1][:50], "newest first"
    nxt = re.search(r'<a href="(/tokens\?[^"]+)" rel="next">', first.body).group(1).replace("&amp;", "&")
    assert "kind=service" in nxt and "after=" in nxt, "filters kept in the URL"
    second = client.get(nxt)
    assert re.findall(r'<th scope="row"><a href="/tokens/(tok_\w+)"', second.body) == ids[::-1][50:]
    assert 'rel="next"' not in second.body or "No tokens" in client.get(re.search(r'<a href="(/tokens\?[^"]+)" rel="next">', second.body).group(1).replace("&amp;", "&")).body
    assert 'href="/tokens?kind=service">First page' in second.body
    for query, expect in [("name=LAPTOP", [mine]), ("owner=alice", [mine]), ("kind=personal&owner=alice", [mine])]:
        assert re.findall(r'<th scope="row"><a href="/tokens/(tok_\w+)"', client.get("/tokens?" + query).body) == expect, query
    cli(store, "token", "deactivate", mine)
    assert re.findall(r'<th scope="row"><a href="/tokens/(tok_\w+)"', client.get("/tokens?status=inactive").body) == [mine]
    none = client.get("/tokens?name=zzz")
    assert "No tokens match these filters" in none.body and "Clear filters" in none.body
    bad = client.get("/tokens?status=weird")
    assert bad.status == 400 and "status=" in bad.body
    assert client.get("/tokens?owner=a%20b").status == 400


def test_columns_status_expiry_usage_and_freshness(admin, store):
    console, client = admin
    soon, secret = create_token(store, "alice", "soon", "tickets:read", "personal", "--expires", "3d")
    never, _ = create_token(store, "alice", "forever", "tickets:read")
    assert client.get("/verify", headers={"Authorization": f"Bearer {secret}"}).status == 200
    body = client.get("/tokens").body
    row = body[body.index(f"/tokens/{soon}\""):]
    row = row[:row.index("</tr>")]
    assert "expires in 3 days" in row and "Active" in row and ">alice<" in row and "tickets:read" in row
    assert "just now" in row, "last used"
    assert re.search(r"<span>1</span>", row) and 'aria-label="1 use in the last 14 days"' in row
    assert "never expires" in body[body.index(f"/tokens/{never}\""):]
    assert re.search(r"Usage as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", body)


def test_iam_decides_what_each_member_sees_and_may_do(serve, store):
    a, _ = create_token(store, "alice", "alice token", "tickets:read")
    b, _ = create_token(store, "bob", "bob token", "tickets:read")
    s, _ = create_token(store, "svcmgr", "service token", "tickets:write", "service")

    def rows(client):
        return set(re.findall(r'<th scope="row"><a href="/tokens/(tok_\w+)"', client.get("/tokens").body))

    _, alice = signed_in(serve, "alice")
    _, carol = signed_in(serve, "carol")
    _, auditor = signed_in(serve, "auditor")
    _, admin = signed_in(serve, "admin1")
    _, svc = signed_in(serve, "svcmgr")
    assert rows(alice) == {a} and rows(carol) == set() and rows(auditor) == {a, b, s} and rows(svc) == {s}
    assert "Add token" in alice.get("/tokens").body and "Add token" not in carol.get("/tokens").body
    assert carol.get("/tokens/new").status == 403
    assert 'class="menu"' not in auditor.get("/tokens").body, "sees all, manages nothing"
    # Hidden exactly as TA_NOT_FOUND hides it.
    hidden = alice.get(f"/tokens/{b}")
    assert hidden.status == 404 and f'no token with id &quot;{b}&quot; is visible' in hidden.body
    page = alice.get("/tokens")
    assert alice.post(f"/tokens/{b}/revoke", {"csrf": page.csrf()}).status == 404
    refused = auditor.post(f"/tokens/{a}/revoke", {"csrf": auditor.get("/tokens").csrf()})
    assert refused.status == 403 and "only the owner or an admin" in refused.body
    # An admin manages alice's token but is not offered (and is refused) its rotation.
    detail = admin.get(f"/tokens/{a}").body
    assert f"/tokens/{a}/revoke" in detail and f"/tokens/{a}/rotate" not in detail
    rotate = admin.post(f"/tokens/{a}/rotate", {"csrf": admin.get("/tokens").csrf(), "grace": "0", "form_id": "x"})
    assert rotate.status == 303, "a form id that was never issued is refused before anything else"
    form = alice.get(f"/tokens/{a}/rotate")
    assert form.status == 200
    stolen = admin.post(f"/tokens/{a}/rotate", {"csrf": admin.get("/tokens").csrf(), "grace": "0",
                                                 "form_id": admin.get(f"/tokens/{s}/rotate").field("form_id")})
    assert stolen.status == 403 and "only the owner may rotate" in stolen.body
    assert token_json(store, a)["rotated_to"] is None
    # Audit log: admins only; the refusals above are in it.
    assert "Audit log" not in alice.get("/tokens").body and alice.get("/audit").status == 403
    log = admin.get("/audit?event=iam.denied").body
    assert "iam.denied" in log and "token_revoke" in log and "auditor" in log
    # Members: everyone sees themselves, admins everyone.
    assert re.findall(r'<th scope="row">(\w+)</th>', alice.get("/members").body) == ["alice"]
    assert len(re.findall(r'<th scope="row">(\w+)</th>', admin.get("/members").body)) == 6


# ---------------------------------------------------------------- create: the secret, once

def test_create_shows_the_secret_once(admin, store):
    console, client = admin
    form = client.get("/tokens/new")
    assert form.status == 200 and 'value="personal" checked' in form.body
    fields = {"csrf": form.csrf(), "form_id": form.field("form_id"), "name": "ci <deploy>", "kind": "service",
              "scope": ["tickets:read", "assets:read"], "scopes_text": "users:read", "expires": "30", "rate": "100",
              "rate_window": "60000"}
    reply = client.post("/tokens", fields)
    assert reply.status == 200 and reply.header("Cache-Control") == "no-store" and reply.header("Location") is None
    secret = re.search(r'id="secret" class="mono" value="(tkas_[0-9A-Za-z]+)"', reply.body).group(1)
    assert "visible one time" in reply.body and 'data-copy="secret"' in reply.body and "ci &lt;deploy&gt;" in reply.body
    token_id = re.search(r"<code>(tok_\w+)</code>", reply.body).group(1)
    shown = token_json(store, token_id)
    assert shown["scopes"] == ["assets:read", "tickets:read", "users:read"] and shown["rate_limit"]["limit"] == 100
    assert 29 * 86400000 < shown["expires_at"] - shown["created_at"] <= 30 * 86400000
    # A reload resubmits the same form: nothing is created, no secret is shown, anywhere.
    again = client.post("/tokens", fields)
    assert again.status == 303 and again.header("Location") == "/tokens" and secret not in again.body
    after = client.get("/tokens")
    assert secret not in after.body and "already submitted" in after.body
    for path in ["/tokens", f"/tokens/{token_id}", "/audit", "/report"]:
        assert secret not in client.get(path).body
    assert len(json.loads(cli(store, "token", "list", "--json"))) == 1
    assert client.get("/verify?scopes=assets:read", headers={"Authorization": "Bearer " + secret}).status == 200
    assert secret not in console.log()


def test_create_refusals_keep_the_input(admin, store):
    console, client = admin
    for fields, status, message in [
        ({"name": "", "scope": ["tickets:read"]}, 400, "name is empty"),
        ({"name": "x"}, 400, "at least one scope"),
        ({"name": "x", "scopes_text": "nope:nope"}, 400, "not in the catalog"),
        ({"name": "keep <me>", "scope": ["tickets:read"], "expires": "custom", "expires_on": "2001-01-01"}, 400, "not in the future"),
        ({"name": "x", "scope": ["tickets:read"], "rate": "-3"}, 400, "rate limit"),
    ]:
        form = client.get("/tokens/new")
        reply = client.post("/tokens", {"csrf": form.csrf(), "form_id": form.field("form_id"), "kind": "service", **fields})
        assert reply.status == status and message in reply.body, (fields, reply)
        assert 'role="alert"' in reply.body
        assert f'value="{fields["name"].replace("<", "&lt;").replace(">", "&gt;")}"' in reply.body, "the input is kept"
    assert not json.loads(cli(store, "token", "list", "--json"))


def test_members_may_grant_only_what_they_hold(serve, store):
    _, alice = signed_in(serve, "alice")
    form = alice.get("/tokens/new")
    offered = re.findall(r'name="scope" value="([^"]+)"', form.body)
    assert offered == ["assets:read", "tickets:read", "tickets:write"]
    assert 'value="service"' not in form.body
    reply = alice.post("/tokens", {"csrf": form.csrf(), "form_id": form.field("form_id"), "name": "x",
                                   "kind": "personal", "scopes_text": "users:read", "expires": "7"})
    assert reply.status == 403 and "does not hold scope users:read" in reply.body


# ---------------------------------------------------------------- grants scoped to resources

def grant_fields(form, grants):
    """The scope rows of the create form `form`, filled: `grants` maps an offered grant to the pattern
    typed beside it ("" for none); those are ticked. Every row's limit is sent, as a browser does."""
    offered = re.findall(r'name="offered" value="([^"]*)"', form.body)
    assert offered, "no scope rows on the form"
    return {"csrf": form.csrf(), "form_id": form.field("form_id"), "offered": offered,
            "limit": [grants.get(o, "") for o in offered], "scope": [o for o in offered if o in grants]}


def lead_signed_in(serve, store):
    """`lead`, who may write the tickets of project 42 only, and manage service tokens."""
    cli(store, "member", "put", "lead", "--permissions", "ManageServiceAccessTokens tickets:write@project/42")
    return signed_in(serve, "lead")


def test_create_a_grant_limited_to_a_pattern(admin, store):
    console, client = admin
    form = client.get("/tokens/new")
    assert 'id="limit-0" name="limit" value="" placeholder="every resource"' in form.body
    reply = client.post("/tokens", {**grant_fields(form, {"tickets:read": "project/42", "assets:read": ""}),
                                    "name": "jira sync p42", "kind": "service", "expires": "30"})
    assert reply.status == 200, reply
    secret = re.search(r'id="secret" class="mono" value="(tkas_[0-9A-Za-z]+)"', reply.body).group(1)
    token_id = re.search(r"Its id <code>(tok_\w+)</code>", reply.body).group(1)
    assert "Grants: <code>assets:read</code> <code>tickets:read@project/42</code>" in reply.body, "as the core wrote them"
    assert token_json(store, token_id)["scopes"] == ["assets:read", "tickets:read@project/42"]
    detail = client.get(f"/tokens/{token_id}").body
    assert "<dt>Scopes granted</dt><dd><code>assets:read</code> <code>tickets:read@project/42</code> </dd>" in detail
    assert "<li><code>tickets:read@project/42</code></li>" in client.get("/tokens").body
    assert secret not in detail
    # The gateway names the resource; the core decides which grants count there.
    bearer = {"Authorization": "Bearer " + secret}
    assert client.get("/verify", headers={**bearer, "X-Required-Scopes": "tickets:read",
                                          "X-Resource": "project/42/tickets/7"}, cookie=False).status == 200
    assert client.get("/verify?scopes=tickets:read&resource=project/42", headers=bearer, cookie=False).status == 200
    # Rotation keeps the grants, and shows them with the new secret.
    rotate = client.get(f"/tokens/{token_id}/rotate")
    rotated = client.post(f"/tokens/{token_id}/rotate", {"csrf": rotate.csrf(), "form_id": rotate.field("form_id"), "grace": "0"})
    assert rotated.status == 200 and "Grants: <code>assets:read</code> <code>tickets:read@project/42</code>" in rotated.body
    new_id = re.search(r"Its id <code>(tok_\w+)</code>", rotated.body).group(1)
    assert token_json(store, new_id)["scopes"] == ["assets:read", "tickets:read@project/42"]


def test_an_ill_formed_pattern_shows_the_error_and_creates_nothing(admin, store):
    console, client = admin
    for grants, text, message in [
        ({"tickets:read": "project//42"}, "", "resource pattern of &quot;tickets:read@project//42&quot;"),
        ({"tickets:read": "<b>x</b>"}, "", "resource pattern of &quot;tickets:read@&lt;b&gt;x&lt;/b&gt;&quot;"),
        ({"tickets:read": "project/42 admin"}, "", "the pattern for tickets:read is one pattern, without spaces"),
        ({"tickets:read": ""}, "assets:read@project/4*", "resource pattern of &quot;assets:read@project/4*&quot;"),
        ({"tickets:read": "project/42", "nope:nope": ""}, "", "not in the catalog"),
    ]:
        form = client.get("/tokens/new")
        fields = grant_fields(form, grants)
        if "nope:nope" in grants:  # a forged row: the core judges the scope all the same
            fields["offered"].append("nope:nope")
            fields["limit"].append("")
            fields["scope"].append("nope:nope")
        reply = client.post("/tokens", {**fields, "name": "keep <me>", "kind": "service", "scopes_text": text, "expires": "7"})
        assert reply.status == 400 and message in reply.body, (grants, reply)
        alert = re.search(r'<div class="problem" role="alert">.*?</div>', reply.body, re.S).group(0)
        assert message in alert, "the core's message, above the form"
        assert "<b>" not in reply.body, "escaped"
        assert 'value="keep &lt;me&gt;"' in reply.body, "what was typed is kept"
        row = re.search(r'value="tickets:read" checked[^>]*>.*?name="limit" value="([^"]*)"', reply.body, re.S)
        assert row and row.group(1) == grants["tickets:read"].replace("<", "&lt;").replace(">", "&gt;"), "the pattern is kept"
        assert 'name="secret"' not in reply.body and 'id="secret"' not in reply.body
    form = client.get("/tokens/new")
    unticked = grant_fields(form, {"tickets:read": ""})
    unticked["limit"][unticked["offered"].index("assets:read")] = "project/42"
    reply = client.post("/tokens", {**unticked, "name": "x", "kind": "service", "expires": "7"})
    assert reply.status == 400 and "a pattern is given for assets:read, which is not ticked" in reply.body
    assert not json.loads(cli(store, "token", "list", "--json")), "nothing was created"


def test_least_privilege_grant_by_grant(serve, store):
    _, lead = lead_signed_in(serve, store)
    form = lead.get("/tokens/new")
    assert re.findall(r'name="scope" value="([^"]+)"', form.body) == ["tickets:read@project/42", "tickets:write@project/42"]
    assert 'placeholder="project/42"' in form.body, "an empty pattern keeps the one held"
    for grants, text in [({"tickets:read@project/42": "project/43"}, ""), ({"tickets:read@project/42": "project"}, ""),
                         ({}, "tickets:read"), ({}, "tickets:read@project/*")]:
        form = lead.get("/tokens/new")
        reply = lead.post("/tokens", {**grant_fields(form, grants), "name": "too wide", "kind": "service", "scopes_text": text,
                                      "expires": "7"})
        assert reply.status == 403 and "cannot grant" in reply.body and 'role="alert"' in reply.body, (grants, text, reply)
    assert not json.loads(cli(store, "token", "list", "--json"))
    form = lead.get("/tokens/new")
    made = lead.post("/tokens", {**grant_fields(form, {"tickets:read@project/42": "project/42/tickets", "tickets:write@project/42": ""}),
                                 "name": "narrow", "kind": "service", "expires": "7"})
    assert made.status == 200 and "<code>tickets:read@project/42/tickets</code> <code>tickets:write@project/42</code>" in made.body


def test_verify_takes_the_resource_from_the_gateway(admin, store):
    console, client = admin
    _, secret = create_token(store, "svcmgr", "project 42", "tickets:read@project/42", "service")
    bearer = {"Authorization": "Bearer " + secret}

    def verify(path="/verify", **headers):
        return client.get(path, headers={**bearer, **headers}, cookie=False)

    read = {"X-Required-Scopes": "tickets:read"}
    assert verify(**read, **{"X-Resource": "project/42/tickets/7"}).status == 200
    assert verify("/verify?scopes=tickets:read&resource=project/42").status == 200
    outside = verify(**read, **{"X-Resource": "project/43"})
    assert outside.status == 403 and 'error="insufficient_scope", scope="tickets:read"' in outside.header("WWW-Authenticate")
    # No resource: only grants on every resource count, so a token holding only qualified ones fails closed.
    for reply in [verify(**read), verify("/verify?scopes=tickets:read"), verify(**read, **{"X-Resource": ""})]:
        assert reply.status == 403 and reply.header("X-Token-Status") == "TA_FORBIDDEN", reply
        assert json.loads(reply.body) == {"success": False, "errors": ["Forbidden"], "data": None}
    # The header wins over the query parameter (a gateway that sets the header decides).
    assert verify("/verify?scopes=tickets:read&resource=project/42", **{"X-Resource": "project/43"}).status == 403
    assert verify("/verify?scopes=tickets:read&resource=project/43", **{"X-Resource": "project/42"}).status == 200
    # Below /verify the query is the client's (Envoy appends it): it names no resource.
    assert verify("/verify/api/tickets?resource=project/42", **read).status == 403
    # An ill-formed resource, or one named twice: 400, counting nowhere.
    for path, headers in [("/verify", {"X-Resource": "project/*"}), ("/verify", {"X-Resource": "project//42"}),
                          ("/verify", {"X-Resource": "x" * 1025}),
                          ("/verify?resource=project/42&resource=project/43", {})]:
        reply = verify(path, **read, **headers)
        assert reply.status == 400 and reply.header("X-Token-Status") == "TA_INVALID_ARGUMENT", (path, headers, reply)
        assert 'error="invalid_request"' in reply.header("WWW-Authenticate")
        assert json.loads(reply.body)["errors"] == ["Bad Request"]
    twice = http.client.HTTPConnection(client.host, client.port, timeout=30)
    twice.putrequest("GET", "/verify")
    for name, value in [("Authorization", "Bearer " + secret), ("X-Required-Scopes", "tickets:read"),
                        ("X-Resource", "project/42"), ("X-Resource", "project/43")]:
        twice.putheader(name, value)
    twice.endheaders()
    answer = twice.getresponse()
    assert answer.status == 400 and answer.getheader("X-Token-Status") == "TA_INVALID_ARGUMENT", "a repeated header is not settled by picking one"
    twice.close()


# ---------------------------------------------------------------- row actions

def test_row_actions(admin, store):
    console, client = admin
    token_id, secret = create_token(store, "svcmgr", "integration", "tickets:read", "service")
    rename = client.get(f"/tokens/{token_id}/rename")
    assert rename.status == 200 and 'value="integration"' in rename.body
    assert client.post(f"/tokens/{token_id}/rename", {"csrf": rename.csrf(), "name": "renamed"}).status == 303
    assert "Token renamed." in client.get(f"/tokens/{token_id}").body
    assert client.post(f"/tokens/{token_id}/rename", {"csrf": rename.csrf(), "name": ""}).status == 400

    deactivate = client.get(f"/tokens/{token_id}/deactivate").body
    assert "A token can be used only when its status is active" in deactivate and ">Deactivate token</button>" in deactivate
    client.form_post(f"/tokens/{token_id}/deactivate", f"/tokens/{token_id}/deactivate", {})
    assert token_json(store, token_id)["status"] == "inactive"
    assert client.get("/verify", headers={"Authorization": "Bearer " + secret}).status == 403
    detail = client.get(f"/tokens/{token_id}").body
    assert f'action="/tokens/{token_id}/activate"' in detail and f"/tokens/{token_id}/deactivate\"" not in detail
    client.form_post(f"/tokens/{token_id}", f"/tokens/{token_id}/activate", {})
    assert token_json(store, token_id)["status"] == "active"

    rotate = client.get(f"/tokens/{token_id}/rotate")
    assert 'name="grace" value="3600000" checked' in rotate.body
    rotated = client.post(f"/tokens/{token_id}/rotate", {"csrf": rotate.csrf(), "form_id": rotate.field("form_id"), "grace": "600000"})
    assert rotated.status == 200 and "keeps working for 10 minutes" in rotated.body
    new_secret = re.search(r'value="(tkas_[0-9A-Za-z]+)"', rotated.body).group(1)
    new_id = re.search(r"Its id <code>(tok_\w+)</code>", rotated.body).group(1)
    assert client.get("/verify", headers={"Authorization": "Bearer " + secret}).status == 200, "grace period"
    assert client.get("/verify", headers={"Authorization": "Bearer " + new_secret}).status == 200
    assert "stops working in 10 minutes (rotated)" in client.get("/tokens").body

    revoke = client.get(f"/tokens/{new_id}/revoke").body
    assert ">Revoke token</button>" in revoke and "Yes" not in revoke
    assert re.search(r'<a href="/tokens/tok_\w+" class="button" autofocus>Cancel</a>', revoke), "focus starts on Cancel"
    assert "autofocus" not in re.search(r"<button[^>]*>Revoke token</button>", revoke).group(0)
    assert revoke.count("autofocus") == 1
    client.form_post(f"/tokens/{new_id}/revoke", f"/tokens/{new_id}/revoke", {})
    assert client.get("/verify", headers={"Authorization": "Bearer " + new_secret}).status == 401
    revoked = client.get(f"/tokens/{new_id}").body
    assert f"/tokens/{new_id}/revoke\"" not in revoked and f"/tokens/{new_id}/rotate\"" not in revoked
    conflict = client.form_post(f"/tokens/{new_id}", f"/tokens/{new_id}/activate", {})
    assert conflict.status == 409 and "cannot be activated again" in conflict.body

    delete = client.get(f"/tokens/{new_id}/delete").body
    assert "This cannot be undone" in delete and ">Delete token</button>" in delete
    gone = client.form_post(f"/tokens/{new_id}/delete", f"/tokens/{new_id}/delete", {})
    assert gone.status == 303 and gone.header("Location") == "/tokens"
    assert client.get(f"/tokens/{new_id}").status == 404


# ---------------------------------------------------------------- detail, audit, report, host pages

def test_token_detail(admin, store):
    console, client = admin
    token_id, secret = create_token(store, "svcmgr", "reporting", "tickets:read assets:write", "service")
    for _ in range(3):
        assert client.get("/verify", headers={"Authorization": "Bearer " + secret, "X-Required-Scopes": "tickets:read"}).status == 200
    client.get("/verify", headers={"Authorization": "Bearer " + secret, "X-Required-Scopes": "users:write"})
    body = client.get(f"/tokens/{token_id}").body
    assert '<svg width="720" height="180"' in body and 'role="img"' in body
    assert re.search(r'<rect class="bar" [^>]*><title>\d{4}-\d\d-\d\d: 3 uses</title>', body)
    assert "3 uses from" in body and "(1 denied)" in body
    assert re.search(r"<td><code>tickets:read</code></td><td>yes</td><td>yes</td>", body)
    assert re.search(r"<td><code>assets:write</code></td><td>yes</td><td>no</td>", body)
    assert "Least privilege" in body and "assets:write" in body
    assert "token.created" in body and "verify.denied" in body, "the audit trail, refusals included"
    assert "No operations recorded" in body


def test_audit_filters(admin, store):
    console, client = admin
    token_id, _ = create_token(store, "alice", "audited", "tickets:read")
    cli(store, "token", "revoke", token_id, "--as", "alice", "--yes")
    body = client.get(f"/audit?token={token_id}").body
    assert "<td>token.revoked</td>" in body and "<td>token.created</td>" in body and "<td>member.put</td>" not in body
    assert "<td>token.created</td>" not in client.get(f"/audit?token={token_id}&event=token.revoked").body
    assert "<td>token.revoked</td>" not in client.get("/audit?actor=svcmgr").body
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert "<td>token.revoked</td>" in client.get(f"/audit?since={today}&until={today}").body
    assert "<td>token.revoked</td>" not in client.get("/audit?until=2001-01-01").body
    assert client.get("/audit?since=yesterday").status == 400


def test_report_members_catalog(admin, store):
    console, client = admin
    create_token(store, "svcmgr", "never used", "tickets:read", "service")
    body = client.get("/report?since=30").body
    for heading in ["Unused scopes", "Never used", "Idle for 30 days or more", "Never expiring", "Expiring within 7 days"]:
        assert heading in body
    assert "never used</a>" in body and "never been used" in body
    assert client.get("/report?since=all").status == 200 and client.get("/report?since=5").status == 400
    catalog = client.get("/catalog").body
    assert "<code>tickets:write</code></th><td><code>tickets:read</code>" in catalog and "Read ticket data" in catalog
    members = client.get("/members").body
    assert "<code>ManagePersonalAccessTokens</code>" in members


# ---------------------------------------------------------------- forward auth

def test_verify_forward_auth(admin, store):
    console, client = admin
    token_id, secret = create_token(store, "alice", "gateway", "tickets:read")
    ok = client.get("/verify", headers={"Authorization": "Bearer " + secret, "X-Required-Scopes": "tickets:read"}, cookie=False)
    assert ok.status == 200 and ok.header("X-Token-Subject") == "alice" and ok.header("X-Token-Id") == token_id
    assert ok.header("X-Token-Kind") == "personal" and ok.body == ""
    for method in ["POST", "PUT", "DELETE", "HEAD"]:
        assert client.request(method, "/verify/api/tickets?x=1", headers={"Authorization": "Bearer " + secret}).status == 200
    assert client.get("/verify?scopes=tickets:read", headers={"Authorization": "Bearer " + secret}).status == 200
    cases = [
        ({}, None, 401, 'Bearer realm="tokenauth"', "Unauthorized"),
        ({"Authorization": "Bearer nonsense"}, None, 401, 'error="invalid_token"', "Unauthorized"),
        ({"Authorization": "Bearer " + secret, "X-Required-Scopes": "tickets:write"}, None, 403,
         'error="insufficient_scope", scope="tickets:write"', "Forbidden"),
        ({"Authorization": "Bearer " + secret}, "tickets:write", 403, "insufficient_scope", "Forbidden"),
        ({"Authorization": "Bearer " + secret, "X-Required-Scopes": "NOT A SCOPE"}, None, 400, "invalid_request", "Bad Request"),
    ]
    for headers, scopes, status, challenge, error in cases:
        path = "/verify" + (f"?scopes={scopes}" if scopes else "")
        reply = client.get(path, headers=headers, cookie=False)
        assert reply.status == status, (headers, reply)
        assert challenge in reply.header("WWW-Authenticate")
        assert json.loads(reply.body) == {"success": False, "errors": [error], "data": None}
        assert reply.header("Content-Type") == "application/json"
    limited_id, limited = create_token(store, "alice", "limited", "tickets:read", "personal", "--rate-limit", "1/min")
    assert client.get("/verify", headers={"Authorization": "Bearer " + limited}).status == 200
    over = client.get("/verify", headers={"Authorization": "Bearer " + limited})
    assert over.status == 429 and int(over.header("Retry-After")) >= 1 and over.header("X-Token-Status") == "TA_RATE_LIMITED"
    assert json.loads(over.body)["errors"] == ["Too Many Requests"] and "RateLimit" in over.headers
    assert secret not in console.log() and limited not in console.log()


def test_graceful_shutdown_flushes_usage(serve, store):
    for sig in [signal.SIGTERM, signal.SIGINT]:
        token_id, secret = create_token(store, "alice", f"flush {sig}", "tickets:read")
        console = serve("--as", "alice")
        client = Client(console.base)
        for _ in range(5):
            assert client.get("/verify", headers={"Authorization": "Bearer " + secret}).status == 200
        assert console.stop(sig) == 0
        assert "usage flushed" in console.log()
        assert token_json(store, token_id)["use_count"] == 5, sig


def test_log_holds_no_secret(admin, store):
    console, client = admin
    _, secret = create_token(store, "alice", "logged", "tickets:read")
    client.get("/verify", headers={"Authorization": "Bearer " + secret})
    page = client.get("/tokens?name=secretname")
    log = console.log()
    for needle in [secret, page.csrf(), client.cookie.split("=")[1], "secretname", "code="]:
        assert needle not in log, needle
    assert "GET /tokens 200" in log
