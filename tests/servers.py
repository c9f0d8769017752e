"""Real ``forum serve`` processes for tests that need a running server.

Server-sent events stream forever, which Quart's test client cannot read, and several
instances need several processes. Each server here is the ``.venv/bin/forum`` console
script on a free local port, with its log in a file that a failing test prints.
"""

import asyncio
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from forum.auth.csrf import CSRF_COOKIE, CSRF_FIELD, make_token
from forum.auth.sessions import SESSION_COOKIE
from forum.config import PROJECT_ROOT
from tests.factories import SECRET_KEY

FORUM_COMMAND = PROJECT_ROOT / ".venv" / "bin" / "forum"
# Seconds to wait for /healthz to respond, and for the process to exit when stopped.
START_TIMEOUT = 30
STOP_TIMEOUT = 10
CSRF_COOKIE_VALUE = "live-test-csrf-cookie"


def free_port() -> int:
    # NOTE: another process could take the port before the server binds it. The server
    # then fails to start, and start_server raises with the log tail.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ServerProcess:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def start_server(database_url: str, log_dir: Path, **environment: str) -> ServerProcess:
    """Start ``forum serve`` against ``database_url`` and wait until /healthz returns 200.

    ``environment`` adds or overrides FORUM_* variables. FORUM_REDIS_URL is removed unless
    given, so a server uses Redis only when a test passes it.
    """
    return start_servers(1, database_url, log_dir, **environment)[0]


def start_servers(
    count: int, database_url: str, log_dir: Path, **environment: str
) -> list[ServerProcess]:
    """Start ``count`` servers at once, as :func:`start_server` does, and wait for them all."""
    servers = [_launch(database_url, log_dir, environment) for _ in range(count)]
    try:
        for server in servers:
            _wait_until_healthy(server)
    except RuntimeError:
        for server in servers:
            stop_server(server)
        raise
    return servers


def _launch(database_url: str, log_dir: Path, environment: dict[str, str]) -> ServerProcess:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{port}.log"
    env = {
        **os.environ,
        "FORUM_ENV": "test",
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": SECRET_KEY,
        "FORUM_DEV_SIGN_IN": "true",
        "FORUM_BASE_URL": base_url,
    }
    env.pop("FORUM_REDIS_URL", None)
    env.update(environment)

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(FORUM_COMMAND), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return ServerProcess(base_url, process, log_path)


def _wait_until_healthy(server: ServerProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(trust_env=False, timeout=1) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"forum serve exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            try:
                if client.get(server.url("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(
        f"forum serve did not respond within {START_TIMEOUT} s:\n{server.log_tail()}"
    )


def stop_server(server: ServerProcess) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def member_cookies(session_cookie: str) -> dict[str, str]:
    """Return the cookies of a signed-in browser: the session and a CSRF cookie."""
    return {SESSION_COOKIE: session_cookie, CSRF_COOKIE: CSRF_COOKIE_VALUE}


def csrf_form(session_id: str, **fields: str) -> dict[str, str]:
    """Return form fields with the CSRF token that goes with ``member_cookies``."""
    return {CSRF_FIELD: make_token(SECRET_KEY, CSRF_COOKIE_VALUE, session_id), **fields}


class EventReader:
    """Read server-sent events from one streaming response, across several waits.

    Each event is a dict of its fields (``id``, ``event``, ``data``). Comment lines, such as
    heartbeats, come back as ``{"comment": text}``.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.events: list[dict] = []
        self._lines = response.aiter_lines()
        self._current: dict = {}

    async def until(self, stop, seconds: float) -> list[dict]:
        """Read until ``stop(events)`` is true for the events so far; raise TimeoutError after ``seconds``.

        A timeout ends the stream's line reader, so wait for nothing after one.
        """
        if stop(self.events):
            return self.events
        await asyncio.wait_for(self._read(stop), seconds)
        return self.events

    async def _read(self, stop) -> None:
        async for line in self._lines:
            if line.startswith(":"):
                self.events.append({"comment": line[1:].strip()})
            elif line == "":
                if not self._current:
                    continue
                self.events.append(self._current)
                self._current = {}
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data" and "data" in self._current:
                    self._current["data"] += "\n" + value
                else:
                    self._current[name] = value
                continue
            if stop(self.events):
                return
