"""Pytest helpers for signing in through the real test provider.

One provider process serves the whole run. :class:`SsoBrowser` plays one browser: it talks
to the forum through Quart's test client and to the provider through httpx, each with its
own cookies, and follows the provider's redirects until the provider sends the browser
back to the forum.
"""

import atexit
import json
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from forum.app import create_app
from forum.auth.providers import load_providers
from forum.config import Settings
from tests.factories import SECRET_KEY
from tests.oidc_provider.process import (
    CUSTOM_NAME_CLAIM,
    JWT_CLIENT_ID,
    RunningProvider,
    provider_settings,
    start_provider,
)

FORUM_BASE_URL = "http://127.0.0.1:8000"
PROVIDER_NAMES = ("test-basic", "test-jwt", "test-govuk", "test-wrong-issuer")
# Redirects a sign-in may take at the provider before coming back to the forum.
MAX_PROVIDER_REDIRECTS = 10

_running: dict[str, RunningProvider] = {}


def running_provider() -> RunningProvider:
    """Return the run's provider process, starting it on first use or when it has exited."""
    current = _running.get("provider")
    if current is not None and current.process.poll() is not None:
        print(
            f"the test OpenID provider exited with code {current.process.returncode}, so it is "
            f"started again; its log is {current.log_path}",
            file=sys.stderr,
        )
        del _running["provider"]
    if "provider" not in _running:
        directory = Path(tempfile.mkdtemp(prefix="forum-oidc-"))
        provider = start_provider(
            redirect_uris=[f"{FORUM_BASE_URL}/sign-in/{name}/callback" for name in PROVIDER_NAMES],
            post_logout_redirect_uris=[f"{FORUM_BASE_URL}/signed-out"],
            client_key_path=directory / "forum-jwt-key.pem",
            log_path=directory / "provider.log",
        )
        _running["provider"] = provider
        atexit.register(provider.stop)
    return _running["provider"]


def forum_provider_settings(provider: RunningProvider) -> list[dict]:
    """Return the forum's settings for every provider name the tests use."""
    settings = provider_settings(provider.issuer, provider.client_key_path)
    settings.append(
        {
            "name": "test-govuk",
            "label": "GOV.UK One Login (test)",
            "kind": "govuk",
            "issuer": provider.issuer,
            "client_id": JWT_CLIENT_ID,
            "private_key_file": str(provider.client_key_path),
            "id_token_algorithms": ["RS256"],
            "name_claim": CUSTOM_NAME_CLAIM,
            "authorize_params": {"claims": json.dumps({"userinfo": {CUSTOM_NAME_CLAIM: None}})},
        }
    )
    settings.append(
        {
            # The provider's real discovery document under a configured issuer it does not have.
            "name": "test-wrong-issuer",
            "label": "a provider with another issuer",
            "kind": "oidc",
            "issuer": provider.issuer + "/another-issuer",
            "discovery_url": provider.issuer + "/.well-known/openid-configuration",
            "client_id": "forum-basic",
            "client_secret": "unused",
        }
    )
    return settings


def make_sso_app(database_url: str, provider: RunningProvider, **overrides):
    providers = load_providers(
        {"FORUM_OIDC_PROVIDERS": json.dumps(forum_provider_settings(provider))}, production=False
    )
    settings = Settings(
        env="test",
        database_url=database_url,
        secret_key=SECRET_KEY,
        base_url=FORUM_BASE_URL,
        oidc_providers=providers,
        **overrides,
    )
    return create_app(settings)


async def control(provider: RunningProvider, action: str) -> dict:
    """Call one of the provider's /test-control/ endpoints and return its JSON."""
    async with httpx.AsyncClient(trust_env=False) as client:
        if action == "state":
            response = await client.get(f"{provider.issuer}/test-control/state")
        else:
            response = await client.post(f"{provider.issuer}/test-control/{action}")
    response.raise_for_status()
    return response.json()


def with_query(url: str, **changes: str | None) -> str:
    """Return ``url`` with query parameters set, or removed where the value is None."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_value(url: str, name: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(name)


class SsoBrowser:
    """One browser signing in: the forum through Quart's test client, the provider through httpx."""

    def __init__(self, app):
        self.app = app
        self.forum = app.test_client()
        self.provider = httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=10)

    async def aclose(self) -> None:
        await self.provider.aclose()

    async def csrf_token(self, path: str = "/sign-in") -> str:
        page = await (await self.forum.get(path)).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    async def start(self, provider_name: str, *, next_url: str = "/") -> str:
        """Press the provider's button on the sign-in page; return the authorization URL."""
        token = await self.csrf_token()
        response = await self.forum.post(
            f"/sign-in/{provider_name}", form={"csrf_token": token, "next": next_url}
        )
        assert response.status_code == 303, await response.get_data(as_text=True)
        return response.headers["Location"]

    async def start_link(self, provider_name: str) -> str:
        token = await self.csrf_token("/account")
        response = await self.forum.post(f"/account/link/{provider_name}", form={"csrf_token": token})
        assert response.status_code == 303, await response.get_data(as_text=True)
        return response.headers["Location"]

    async def authorize(self, authorization_url: str, account: str) -> str:
        """Sign in at the provider as ``account``; return the callback URL it redirects to."""
        url = with_query(authorization_url, login_hint=account)
        for _ in range(MAX_PROVIDER_REDIRECTS):
            response = await self.provider.get(url)
            if response.status_code not in {302, 303}:
                raise AssertionError(f"provider returned {response.status_code}: {response.text[:500]}")
            location = str(response.url.join(response.headers["location"]))
            if location.startswith(FORUM_BASE_URL):
                return location
            url = location
        raise AssertionError("the provider never sent the browser back to the forum")

    async def callback(self, callback_url: str):
        """Follow the provider's redirect back to the forum."""
        assert callback_url.startswith(FORUM_BASE_URL)
        return await self.forum.get(callback_url.removeprefix(FORUM_BASE_URL))

    async def sign_in(self, provider_name: str, account: str, *, next_url: str = "/"):
        authorization_url = await self.start(provider_name, next_url=next_url)
        callback_url = await self.authorize(authorization_url, account)
        return await self.callback(callback_url)

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.forum.cookie_jar if cookie.name == name), None)
