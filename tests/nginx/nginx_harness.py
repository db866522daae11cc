"""Debian's nginx with the tokenauth module, in a temporary prefix, for the tests, the demo and the
benchmark: a configuration written from a template, free loopback ports, the master started in the
foreground and always stopped, plain HTTP clients (http.client, and raw sockets for what
http.client refuses to send).

Environment: NGINX (default /usr/sbin/nginx), NGINX_MODULE (the built .so), TOKENAUTH_LIBRARY (for
the Python binding that sets up the store).
"""

import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

NGINX = os.environ.get("NGINX_BINARY", "/usr/sbin/nginx")
MODULE = os.environ.get("NGINX_MODULE", "")
#: The workers' user when the tests run as root (nginx ignores `user` otherwise).
WORKER_USER = "www-data"


def free_port() -> int:
    """A port the kernel says is free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_root() -> bool:
    return os.geteuid() == 0


def give_to_workers(path: str) -> None:
    """Lets the workers' user write `path` (a directory and what it holds) when running as root."""
    if not as_root():
        return
    user = pwd.getpwnam(WORKER_USER)
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)


@dataclass
class Response:
    status: int
    headers: Dict[str, List[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> Optional[str]:
        """The first value of a header (case-insensitive), or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(port: int, method: str, path: str, headers: Optional[Dict[str, str]] = None,
            body: Optional[bytes] = None, connection: Optional[http.client.HTTPConnection] = None) -> Response:
    """One HTTP/1.1 request with http.client (a new connection unless one is given)."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        collected: Dict[str, List[str]] = {}
        for name, value in resp.getheaders():
            collected.setdefault(name.lower(), []).append(value)
        return Response(resp.status, collected, resp.read())
    finally:
        if connection is None:
            conn.close()


def raw_request(port: int, data: bytes) -> Response:
    """Sends `data` as is and reads the answer until the server closes (send Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
    headers: Dict[str, List[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Response(int(match.group(1)) if match else 0, headers, body)


class Nginx:
    """One nginx master (and its workers) in `prefix`, configured with `http_block`.

    `http_block` is the inside of the http {} block, `main` more directives of the main context.
    The module is loaded with load_module; logs go to prefix/logs.
    """

    def __init__(self, prefix: str, http_block: str, workers: int = 1, error_level: str = "info",
                 main: str = "") -> None:
        self.prefix = os.path.abspath(prefix)
        self.http_block = http_block
        self.workers = workers
        self.error_level = error_level
        self.main = main
        self.process: Optional[subprocess.Popen] = None

    @property
    def error_log_path(self) -> str:
        return os.path.join(self.prefix, "logs", "error.log")

    @property
    def access_log_path(self) -> str:
        return os.path.join(self.prefix, "logs", "access.log")

    def error_log(self) -> str:
        return read_text(self.error_log_path)

    def access_log(self) -> str:
        return read_text(self.access_log_path)

    def config(self) -> str:
        user = f"user {WORKER_USER};\n" if as_root() else ""
        temp = "\n".join(f"    {name}_temp_path {self.prefix}/tmp/{name};"
                         for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return (
            f"load_module {MODULE};\n"
            f"{user}"
            f"daemon off;\nmaster_process on;\nworker_processes {self.workers};\n"
            f"pid {self.prefix}/nginx.pid;\n"
            f"error_log {self.error_log_path} {self.error_level};\n"
            f"{self.main}\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n{temp}\n    access_log off;\n{self.http_block}\n}}\n"
        )

    def start(self) -> "Nginx":
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(self.config())
        self.process = subprocess.Popen(
            [NGINX, "-p", self.prefix + "/", "-c", conf, "-e", self.error_log_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        ports = [int(p) for p in re.findall(r"listen\s+127\.0\.0\.1:(\d+)", self.http_block)]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"nginx exited at start: {err.strip()}\n{self.error_log()[-2000:]}")
            if all(self._accepts(p) for p in ports) and len(self.worker_pids()) >= self.workers:
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("nginx did not start listening within 10 s")

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    def worker_pids(self) -> List[int]:
        """The master's children (the workers), from /proc."""
        if not self.process:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="latin-1") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and int(fields[1]) == self.process.pid:
                pids.append(int(entry))
        return pids

    def stop(self) -> None:
        """Graceful stop (SIGQUIT: workers finish and close the store), then a hard one."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def reload(self) -> None:
        """SIGHUP: new workers with the configuration as written now."""
        with open(os.path.join(self.prefix, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write(self.config())
        assert self.process
        self.process.send_signal(signal.SIGHUP)

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def read_text(path: str) -> str:
    """The file's text ("" when it does not exist yet)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def fresh_dir(path: str) -> str:
    """Empties `path` (under build/) and returns its absolute path."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return os.path.abspath(path)


def cpu_seconds(pids: List[int]) -> float:
    """User + system CPU time of `pids` so far (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="latin-1") as f:
                fields = f.read().rsplit(")", 1)[-1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tick


def open_files(pid: int) -> List[str]:
    """What the process has open (targets of /proc/PID/fd)."""
    out = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        pass
    return out


def process_uid(pid: int) -> Tuple[int, int]:
    """(real uid, effective uid) of `pid`."""
    with open(f"/proc/{pid}/status", encoding="latin-1") as f:
        for line in f:
            if line.startswith("Uid:"):
                parts = line.split()
                return int(parts[1]), int(parts[2])
    return -1, -1
