"""Run the forum with sign-in through the local test OpenID provider (``make run-sso``).

Run it from the project root as ``.venv/bin/python -m tests.oidc_provider.run_sso``.

Starts ``server.mjs`` on a free loopback port, then ``forum serve`` configured with two
providers on it: one client authenticating with a client secret and one with
``private_key_jwt``. Open the forum, choose Sign in, press either button, and pick an
account on the provider's page. Ctrl+C stops both.

The browser tests run this same program on free ports against their test database.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.oidc_provider.process import (
    PROJECT_ROOT,
    ProviderNotStarted,
    provider_settings,
    start_provider,
)

PROVIDER_NAMES = ("local-secret", "local-key")
FORUM_COMMAND = PROJECT_ROOT / ".venv" / "bin" / "forum"
# Seconds to wait for the forum to respond to /healthz.
FORUM_START_TIMEOUT_SECONDS = 30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the forum with the local test OpenID provider.")
    parser.add_argument("--port", type=int, default=8000, help="Port for the forum (default 8000).")
    parser.add_argument(
        "--state-dir", type=Path, default=PROJECT_ROOT / "var" / "sso",
        help="Folder for the client key and the provider's log (default var/sso).",
    )
    args = parser.parse_args(argv)

    base_url = f"http://127.0.0.1:{args.port}"
    try:
        provider = start_provider(
            redirect_uris=[f"{base_url}/sign-in/{name}/callback" for name in PROVIDER_NAMES],
            post_logout_redirect_uris=[f"{base_url}/signed-out"],
            client_key_path=args.state_dir / "forum-jwt-key.pem",
            log_path=args.state_dir / "provider.log",
        )
    except ProviderNotStarted as error:
        print(f"run-sso: {error}", file=sys.stderr)
        return 1

    environment = {
        **os.environ,
        "FORUM_BASE_URL": base_url,
        "FORUM_OIDC_PROVIDERS": json.dumps(
            provider_settings(provider.issuer, provider.client_key_path, names=PROVIDER_NAMES)
        ),
    }
    environment.pop("FORUM_OIDC_CONFIG", None)
    forum = subprocess.Popen(
        [str(FORUM_COMMAND), "serve", "--host", "127.0.0.1", "--port", str(args.port)],
        env=environment,
        cwd=PROJECT_ROOT,
    )
    # SIGTERM (from a test or a process manager) stops both processes as Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if _wait_for_forum(base_url, forum):
            print(
                f"run-sso: the forum is at {base_url}/sign-in and the test provider at {provider.issuer}.\n"
                "run-sso: sign in as Alex (approved organisation, once the demo is loaded), "
                "Kim (organisation awaiting approval) or Sam (email address not verified).",
                flush=True,
            )
        return forum.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(forum)
        provider.stop()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _wait_for_forum(base_url: str, forum: subprocess.Popen) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + FORUM_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and forum.poll() is None:
        try:
            with opener.open(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
