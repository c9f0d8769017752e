"""Start and stop the local test OpenID provider (``server.mjs``) from Python.

Used by the tests and by ``make run-sso``. The provider listens on a free port on
127.0.0.1 and prints a ready line with its issuer; :func:`start_provider` waits for it.
"""

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = Path(__file__).with_name("server.mjs")
ACCOUNTS_FILE = Path(__file__).with_name("accounts.json")
OIDC_PROVIDER_PACKAGE = PROJECT_ROOT / "node_modules" / "oidc-provider"
READY_LINE = re.compile(r"^oidc-provider ready at (http://127\.0\.0\.1:\d+)$")
# Seconds to wait for the ready line; generating the RSA keys takes most of it.
START_TIMEOUT_SECONDS = 20

BASIC_CLIENT_ID = "forum-basic"
BASIC_CLIENT_SECRET = "forum-basic-secret-for-local-tests-only"
JWT_CLIENT_ID = "forum-jwt"
CUSTOM_NAME_CLAIM = "https://vocab.forum.test/v1/displayName"


class ProviderNotStarted(RuntimeError):
    """Raised when the test provider cannot start. The message explains why and what to do."""


@dataclass
class RunningProvider:
    issuer: str
    client_key_path: Path
    log_path: Path
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_provider(
    *,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    client_key_path: Path,
    log_path: Path,
) -> RunningProvider:
    """Start ``server.mjs`` on a free loopback port and wait for its ready line.

    :raises ProviderNotStarted: when Node.js or the npm package is missing, or the
        program exits or stays silent past ``START_TIMEOUT_SECONDS``.
    """
    node = shutil.which("node")
    if node is None:
        raise ProviderNotStarted("Node.js is not installed: install Node.js 20 or newer.")
    if not OIDC_PROVIDER_PACKAGE.exists():
        raise ProviderNotStarted(f"{OIDC_PROVIDER_PACKAGE} is missing: run 'npm ci' (make test does).")

    command = [node, str(SERVER_SCRIPT), "--port", "0", "--client-key", str(client_key_path)]
    for uri in redirect_uris:
        command += ["--redirect-uri", uri]
    for uri in post_logout_redirect_uris:
        command += ["--post-logout-redirect-uri", uri]

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, cwd=PROJECT_ROOT, env=_environment()
        )
    issuer = _wait_for_ready_line(process, log_path)
    return RunningProvider(issuer=issuer, client_key_path=client_key_path, log_path=log_path, process=process)


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    # The provider's back channel is local; no proxy may sit in between.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        environment.pop(name, None)
    return environment


def _wait_for_ready_line(process: subprocess.Popen, log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    buffered = b""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProviderNotStarted(
                f"the test provider exited with code {process.returncode}; see {log_path}:\n"
                + log_path.read_text(errors="replace")[-2000:]
            )
        chunk = process.stdout.read() or b""
        buffered += chunk
        for line in buffered.decode(errors="replace").splitlines():
            match = READY_LINE.match(line.strip())
            if match:
                return match.group(1)
        time.sleep(0.05)

    process.kill()
    process.wait()
    raise ProviderNotStarted(
        f"the test provider printed no ready line within {START_TIMEOUT_SECONDS} s; see {log_path}."
    )


def provider_settings(
    issuer: str, client_key_path: Path, *, names: tuple[str, str] = ("test-basic", "test-jwt")
) -> list[dict]:
    """Return forum provider settings for the provider's two clients."""
    basic_name, jwt_name = names
    return [
        {
            "name": basic_name,
            "label": "the test provider (client secret)",
            "kind": "oidc",
            "issuer": issuer,
            "client_id": BASIC_CLIENT_ID,
            "client_secret": BASIC_CLIENT_SECRET,
        },
        {
            "name": jwt_name,
            "label": "the test provider (private key)",
            "kind": "oidc",
            "issuer": issuer,
            "client_id": JWT_CLIENT_ID,
            "client_auth": "private_key_jwt",
            "private_key_file": str(client_key_path),
        },
    ]


def accounts() -> dict:
    return json.loads(ACCOUNTS_FILE.read_text(encoding="utf-8"))
