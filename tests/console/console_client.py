"""A small HTTP client for the console tests, on http.client so that every header (Host, Origin,
Sec-Fetch-Site, Cookie) is exactly what the test says; and the Console process handle."""

import http.client
import re
import signal
import time
import urllib.parse


class Reply:
    def __init__(self, response):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read().decode("utf-8", "replace")

    def header(self, name):
        return self.headers.get(name)

    def csrf(self):
        match = re.search(r'name="csrf" value="([0-9a-f]+)"', self.body)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def field(self, name):
        match = re.search(r'name="' + re.escape(name) + r'" value="([^"]*)"', self.body)
        assert match, f"no field {name} on the page"
        return match.group(1)

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:200]!r}>"


class Client:
    """Requests to one console, keeping its session cookie like a browser."""

    def __init__(self, base):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.base = base
        self.cookie = None

    def request(self, method, path, body=None, headers=None, cookie=True, host=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Host": host if host is not None else f"{self.host}:{self.port}"}
        if cookie and self.cookie:
            sent["Cookie"] = self.cookie
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            if isinstance(body, dict):
                body = urllib.parse.urlencode(body, doseq=True)
        sent.update(headers or {})
        connection.request(method, path, body=body, headers=sent)
        reply = Reply(connection.getresponse())
        connection.close()
        for value in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            if name == "tokenauth_session":
                token = rest.split(";")[0]
                self.cookie = f"tokenauth_session={token}" if token else None
        return reply

    def get(self, path, **options):
        return self.request("GET", path, **options)

    def post(self, path, fields, **options):
        headers = {"Origin": self.base, **options.pop("headers", {})}
        return self.request("POST", path, body=fields, headers=headers, **options)

    def form_post(self, page, path, fields, **options):
        """POSTs `fields` to `path` with the CSRF token (and any form_id) of the page at `page`."""
        shown = self.get(page)
        assert shown.status == 200, shown
        extra = {"csrf": shown.csrf()}
        if 'name="form_id"' in shown.body:
            extra["form_id"] = shown.field("form_id")
        return self.post(path, {**extra, **fields}, **options)

    def sign_in(self, link):
        path = urllib.parse.urlsplit(link)
        code = urllib.parse.parse_qs(path.query)["code"][0]
        page = self.get(f"{path.path}?{path.query}")
        assert page.status == 200 and "Sign in" in page.body, page
        reply = self.post("/signin", {"code": code})
        assert reply.status == 303 and reply.header("Location") == "/tokens", reply
        assert self.cookie, "no session cookie"
        return reply


class Console:
    """A running `tokenauth serve`."""

    def __init__(self, process, port, out, err, db):
        self.process, self.port, self.out, self.err, self.db = process, port, out, err, db
        self.base = f"http://127.0.0.1:{port}"
        self.links_read = 0

    def stdout_lines(self):
        self.out.seek(0)
        return [line for line in self.out.read().splitlines() if line]

    def next_link(self, timeout=10):
        """The next sign-in link printed on standard output."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = self.stdout_lines()
            if len(lines) > self.links_read:
                self.links_read += 1
                return lines[self.links_read - 1]
            time.sleep(0.05)
        raise AssertionError("no sign-in link printed")

    def log(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self, sig=signal.SIGTERM):
        """Stops the server with `sig` and returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except Exception:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
