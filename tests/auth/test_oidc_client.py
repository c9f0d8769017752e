"""The relying party's checks, with ID tokens signed here.

A small HTTP server on 127.0.0.1 serves the discovery documents and key sets, so these
tests cover Entra ID's multi-tenant issuer template and Google's hosted domains without
the real services. The full flow against a real provider is in ``test_oidc_flow.py``.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from forum.auth.oidc import (
    BACK_CHANNEL_TIMEOUT,
    CLIENT_ASSERTION_LIFETIME_SECONDS,
    BackChannel,
    OidcClient,
    OidcRegistry,
    ShortLivedPrivateKeyJWT,
    SignInFailed,
    check_id_token_claims,
)
from forum.auth.providers import ProviderConfig, load_providers


@pytest.fixture(name="db", autouse=True)
def _no_database():
    """Replace the shared fixture that empties every table: these tests use no database."""
    yield None


TENANT_A = "11111111-2222-3333-4444-555555555555"
TENANT_B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TENANT_C = "99999999-8888-7777-6666-555555555555"
NONCE = "n-0S6_WzA2Mj"
SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": "local-key", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "local-key"})


class _Documents(BaseHTTPRequestHandler):
    documents: dict[str, dict] = {}

    def do_GET(self):  # noqa: N802 - the name http.server calls
        document = self.documents.get(self.path)
        body = json.dumps(document).encode()
        self.send_response(200 if document is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return None


@pytest.fixture(name="documents", scope="module")
def _documents():
    """Serve JSON documents on a free local port; tests put them in the returned dict."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Documents.documents = {}
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_address[1]}", paths=_Documents.documents)
    server.shutdown()


def _publish(documents, prefix: str, issuer: str, **extra) -> None:
    documents.paths[f"{prefix}/.well-known/openid-configuration"] = {
        "issuer": issuer,
        "authorization_endpoint": f"{documents.base}/authorize",
        "token_endpoint": f"{documents.base}/token",
        "jwks_uri": f"{documents.base}{prefix}/keys",
        **extra,
    }
    documents.paths[f"{prefix}/keys"] = KeySet([SIGNING_KEY]).as_dict(private=False)


def _provider(**entry) -> ProviderConfig:
    (provider,) = load_providers({"FORUM_OIDC_PROVIDERS": json.dumps([entry])}, production=False)
    return provider


def _entra(documents) -> OidcClient:
    provider = _provider(
        name="entra", label="Microsoft", kind="entra", client_id="entra-app", client_secret="s",
        tenant="organizations", allowed_tenants=[TENANT_A, TENANT_B], authority=documents.base,
    )
    _publish(documents, "/organizations/v2.0", f"{documents.base}/{{tenantid}}/v2.0")
    return OidcClient(provider, BackChannel(), "http://127.0.0.1:8000/sign-in/entra/callback")


def _google(documents) -> OidcClient:
    provider = _provider(
        name="google", label="Google", kind="google", client_id="google-app", client_secret="s",
        issuer=documents.base + "/google", hosted_domains=["northmoor.gov.uk"],
    )
    _publish(documents, "/google", documents.base + "/google")
    return OidcClient(provider, BackChannel(), "http://127.0.0.1:8000/sign-in/google/callback")


def _sign(claims: dict, key=SIGNING_KEY, alg: str = "RS256", **header) -> str:
    return jwt.encode({"alg": alg, "kid": key.kid, **header}, claims, key, algorithms=[alg])


def _claims(issuer: str, audience: str = "entra-app", **changes) -> dict:
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": "subject-1", "exp": now + 300, "iat": now, "nonce": NONCE}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


# Entra ID, multi-tenant


async def test_entra_token_from_allowed_tenant_is_accepted(documents):
    client = _entra(documents)
    token = _sign(_claims(f"{documents.base}/{TENANT_A}/v2.0", tid=TENANT_A))

    claims = await client.validate_id_token(token, nonce=NONCE)

    assert claims["tid"] == TENANT_A


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"tid": TENANT_C, "iss": "{base}/" + TENANT_C + "/v2.0"}, f"ID token tid '{TENANT_C}' is not an allowed tenant"),
        ({"tid": TENANT_A, "iss": "{base}/" + TENANT_B + "/v2.0"}, "ID token iss is not the issuer of its tenant"),
        ({"tid": TENANT_A, "iss": "{base}/{{tenantid}}/v2.0"}, "ID token iss is not the issuer of its tenant"),
        ({"tid": None, "iss": "{base}/" + TENANT_A + "/v2.0"}, "ID token has no tid"),
        ({"tid": TENANT_A, "iss": "https://sts.windows.net/" + TENANT_A + "/"}, "ID token iss is not the issuer of its tenant"),
    ],
)
async def test_entra_token_outside_allow_list_is_rejected(documents, changes, reason):
    client = _entra(documents)
    claims = _claims(changes["iss"].format(base=documents.base), tid=changes["tid"])

    with pytest.raises(SignInFailed) as failed:
        await client.validate_id_token(_sign(claims), nonce=NONCE)

    assert failed.value.reason == reason


async def test_entra_callback_iss_checked(documents):
    client = _entra(documents)

    await client.check_callback_issuer(f"{documents.base}/{TENANT_B}/v2.0")
    with pytest.raises(SignInFailed) as failed:
        await client.check_callback_issuer(f"{documents.base}/{TENANT_C}/v2.0")

    assert failed.value.reason == "authorization response iss parameter is not the provider's issuer"


async def test_entra_discovery_must_publish_the_template(documents):
    client = _entra(documents)
    _publish(documents, "/organizations/v2.0", f"{documents.base}/{TENANT_A}/v2.0")

    with pytest.raises(SignInFailed) as failed:
        await client.load_server_metadata()

    assert "is not the configured issuer" in failed.value.reason


# Google Workspace


async def test_google_token_from_hosted_domain_is_accepted(documents):
    client = _google(documents)
    token = _sign(_claims(documents.base + "/google", "google-app", hd="northmoor.gov.uk"))

    claims = await client.validate_id_token(token, nonce=NONCE)

    assert claims["hd"] == "northmoor.gov.uk"


@pytest.mark.parametrize(
    ("hosted_domain", "reason"),
    [
        ("eastwick.gov.uk", "ID token hd 'eastwick.gov.uk' is not an allowed hosted domain"),
        (None, "ID token has no hd, so the account is not in a Workspace domain"),
    ],
)
async def test_google_token_from_other_domain_is_rejected(documents, hosted_domain, reason):
    client = _google(documents)
    token = _sign(_claims(documents.base + "/google", "google-app", hd=hosted_domain))

    with pytest.raises(SignInFailed) as failed:
        await client.validate_id_token(token, nonce=NONCE)

    assert failed.value.reason == reason


async def test_google_authorization_request_carries_hd_hint(documents):
    client = _google(documents)

    url = await client.authorization_url(state="s" * 43, nonce="n" * 43, code_verifier="v" * 64)

    assert "hd=northmoor.gov.uk" in url


# Signatures and algorithms


async def test_algorithm_is_pinned_not_taken_from_discovery(documents):
    client = _google(documents)
    documents.paths["/google/.well-known/openid-configuration"]["id_token_signing_alg_values_supported"] = ["HS256"]
    secret = OctKey.import_key("client-secret-shared-with-the-provider-xx")
    token = jwt.encode({"alg": "HS256"}, _claims(documents.base + "/google", "google-app", hd="northmoor.gov.uk"), secret)

    with pytest.raises(SignInFailed) as failed:
        await client.validate_id_token(token, nonce=NONCE)

    assert failed.value.reason == "ID token algorithm 'HS256' is not accepted (accepted: RS256)"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-jwt", "ID token is not a compact JWS"),
        ("a.b.c.d.e", "ID token is not a compact JWS"),
    ],
)
async def test_malformed_token_is_rejected(documents, token, reason):
    client = _google(documents)

    with pytest.raises(SignInFailed) as failed:
        await client.validate_id_token(token, nonce=NONCE)

    assert failed.value.reason == reason


async def test_forged_signature_rejected(documents):
    client = _google(documents)
    token = _sign(_claims(documents.base + "/google", "google-app", hd="northmoor.gov.uk"), key=OTHER_KEY)

    with pytest.raises(SignInFailed) as failed:
        await client.validate_id_token(token, nonce=NONCE)

    assert failed.value.reason == "ID token signature is invalid"


async def test_access_token_hash_must_match(documents):
    client = _google(documents)
    claims = _claims(
        documents.base + "/google", "google-app", hd="northmoor.gov.uk",
        at_hash=create_half_hash("the-access-token", "RS256").decode(),
    )

    assert await client.validate_id_token(_sign(claims), nonce=NONCE, access_token="the-access-token")
    with pytest.raises(SignInFailed) as failed:
        await client.validate_id_token(_sign(claims), nonce=NONCE, access_token="another-access-token")

    assert failed.value.reason == "ID token at_hash does not match the access token"


# Claims, rule by rule


def _generic_config(**changes) -> ProviderConfig:
    return _provider(
        name="council", label="Council", kind="oidc", issuer="https://idp.example", client_id="forum",
        client_secret="s", **changes,
    )


NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://idp.example/"}, "ID token iss is not the provider's issuer"),
        ({"iss": None}, "ID token has no iss"),
        ({"aud": "another-client"}, "ID token aud does not contain the client id"),
        ({"aud": None}, "ID token aud does not contain the client id"),
        ({"aud": ["another-client"]}, "ID token aud does not contain the client id"),
        ({"aud": ["forum", "another-client"]}, "ID token has several audiences and no azp"),
        ({"aud": ["forum", "another-client"], "azp": "another-client"}, "ID token azp is not the client id"),
        ({"azp": "another-client"}, "ID token azp is not the client id"),
        ({"exp": None}, "ID token has no numeric exp"),
        ({"exp": str(NOW + 300)}, "ID token has no numeric exp"),
        ({"exp": True}, "ID token has no numeric exp"),
        ({"iat": None}, "ID token has no numeric iat"),
        ({"exp": NOW - 61}, "ID token has expired"),
        ({"iat": NOW + 61}, "ID token iat is in the future"),
        ({"iat": NOW - 661}, "ID token was issued before this sign-in started"),
        ({"nbf": NOW + 61}, "ID token nbf is in the future"),
        ({"nonce": "another-nonce"}, "ID token nonce does not match this sign-in"),
        ({"nonce": None}, "ID token nonce does not match this sign-in"),
        ({"nonce": "nöñce"}, "ID token nonce does not match this sign-in"),
        ({"sub": None}, "ID token sub is missing or longer than 255 characters"),
        ({"sub": ""}, "ID token sub is missing or longer than 255 characters"),
        ({"sub": "x" * 256}, "ID token sub is missing or longer than 255 characters"),
    ],
)
def test_claim_check_refuses(changes, reason):
    claims = {"iss": "https://idp.example", "aud": "forum", "sub": "s", "exp": NOW + 300, "iat": NOW, "nonce": NONCE}
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}

    with pytest.raises(SignInFailed) as failed:
        check_id_token_claims(_generic_config(), claims, nonce=NONCE, now=NOW, issued_after=NOW - 600)

    assert failed.value.reason == reason


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": NOW - 59},
        {"iat": NOW + 59},
        {"nbf": NOW + 59},
        {"aud": ["forum", "another-client"], "azp": "forum"},
        {"aud": ["forum"]},
    ],
)
def test_claim_check_accepts_within_leeway(changes):
    claims = {"iss": "https://idp.example", "aud": "forum", "sub": "s", "exp": NOW + 300, "iat": NOW, "nonce": NONCE}
    claims.update(changes)

    check_id_token_claims(_generic_config(), claims, nonce=NONCE, now=NOW, issued_after=NOW - 600)


def test_claim_check_uses_each_providers_own_rules():
    strict = _generic_config(leeway_seconds=0)
    lenient = _generic_config(leeway_seconds=120)
    claims = {"iss": "https://idp.example", "aud": "forum", "sub": "s", "exp": NOW - 30, "iat": NOW - 60, "nonce": NONCE}

    check_id_token_claims(lenient, claims, nonce=NONCE, now=NOW)
    with pytest.raises(SignInFailed) as failed:
        check_id_token_claims(strict, claims, nonce=NONCE, now=NOW)
    check_id_token_claims(lenient, claims, nonce=NONCE, now=NOW)

    assert failed.value.reason == "ID token has expired"


# Client authentication and the back channel


def test_client_assertion_short_lived_with_kid():
    key = RSAKey.generate_key(2048)
    method = ShortLivedPrivateKeyJWT("client-key-1", "RS256")
    auth = SimpleNamespace(client_id="forum-jwt", client_secret=key)

    first = jwt.decode(method.sign(auth, "https://idp.example/token"), key)
    second = jwt.decode(method.sign(auth, "https://idp.example/token"), key)

    assert first.header["kid"] == "client-key-1"
    assert first.header["alg"] == "RS256"
    assert first.claims["iss"] == first.claims["sub"] == "forum-jwt"
    assert first.claims["aud"] == "https://idp.example/token"
    assert first.claims["exp"] - first.claims["iat"] == CLIENT_ASSERTION_LIFETIME_SECONDS <= 300
    assert first.claims["jti"] != second.claims["jti"]


def test_every_provider_shares_one_back_channel_with_timeouts(documents):
    providers = (_generic_config(), _provider(
        name="other", label="Other", kind="oidc", issuer="https://other.example", client_id="f", client_secret="s",
    ))
    registry = OidcRegistry(providers, "http://127.0.0.1:8000")

    sessions = [client._get_session() for client in registry]

    assert {id(session._transport) for session in sessions} == {id(registry.back_channel.transport)}
    assert all(session.timeout == BACK_CHANNEL_TIMEOUT for session in sessions)
    assert BACK_CHANNEL_TIMEOUT.connect == 5.0


@pytest.mark.parametrize(
    ("environ", "host", "proxied"),
    [
        ({}, "login.microsoftonline.com", False),
        ({"HTTPS_PROXY": "http://proxy.council.example:3128"}, "login.microsoftonline.com", True),
        ({"HTTPS_PROXY": "http://proxy.council.example:3128"}, "127.0.0.1", False),
        ({"HTTPS_PROXY": "http://proxy.council.example:3128", "NO_PROXY": ".council.example"}, "idp.council.example", False),
        ({"https_proxy": "http://proxy.council.example:3128", "no_proxy": "*"}, "accounts.google.com", False),
    ],
)
async def test_back_channel_follows_proxy_variables(environ, host, proxied):
    back_channel = BackChannel(environ)

    chosen = back_channel.transport_for(host)

    assert (chosen is back_channel._proxied) is proxied
    await back_channel.aclose()


async def test_discovery_keys_do_not_reach_the_http_client(documents):
    client = _google(documents)
    documents.paths["/google/.well-known/openid-configuration"].update(
        {"response_mode": "fragment", "prompt": "none", "proxy": "http://attacker.example:8080", "verify": False}
    )

    url = await client.authorization_url(state="s" * 43, nonce="n" * 43, code_verifier="v" * 64)
    session = client._get_oauth_client(**client.server_metadata)

    assert "response_mode" not in url
    assert "prompt" not in url
    assert session._mounts == {}


async def test_unreachable_provider_fails_plainly():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = _provider(
        name="down", label="Down", kind="oidc", issuer=f"http://127.0.0.1:{closed_port}", client_id="f", client_secret="s",
    )
    client = OidcClient(config, BackChannel(), "http://127.0.0.1:8000/sign-in/down/callback")

    with pytest.raises(SignInFailed) as failed:
        await client.authorization_url(state="s" * 43, nonce="n" * 43, code_verifier="v" * 64)

    assert failed.value.reason == "discovery document request failed: ConnectError"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"token_endpoint": None}, "discovery document has no valid token_endpoint"),
        ({"jwks_uri": "/keys"}, "discovery document has no valid jwks_uri"),
        ({"end_session_endpoint": 42}, "discovery document has no valid end_session_endpoint"),
    ],
)
async def test_discovery_document_endpoints_are_checked(documents, changes, reason):
    client = _google(documents)
    documents.paths["/google/.well-known/openid-configuration"].update(changes)

    with pytest.raises(SignInFailed) as failed:
        await client.load_server_metadata()

    assert failed.value.reason == reason


def test_endpoints_must_be_https():
    client = OidcClient(_generic_config(), BackChannel(), "https://forum.example/sign-in/council/callback")

    with pytest.raises(SignInFailed) as failed:
        client._check_endpoint("token_endpoint", "http://idp.example/token")

    assert failed.value.reason == "discovery document token_endpoint is not https"


async def test_closing_one_client_keeps_the_shared_pool_open(documents):
    back_channel = BackChannel()
    url = documents.base + "/google/keys"
    _publish(documents, "/google", documents.base + "/google")

    async with httpx.AsyncClient(transport=back_channel.transport) as first:
        assert (await first.get(url)).status_code == 200
    async with httpx.AsyncClient(transport=back_channel.transport) as second:
        assert (await second.get(url)).status_code == 200

    await back_channel.aclose()


@pytest.mark.parametrize("name", ["authorization_endpoint", "end_session_endpoint"])
async def test_browser_endpoints_must_share_the_providers_origin(documents, name):
    client = _google(documents)
    documents.paths["/google/.well-known/openid-configuration"][name] = "https://elsewhere.example/path"

    with pytest.raises(SignInFailed) as failed:
        await client.load_server_metadata()

    assert failed.value.reason.startswith(f"discovery document {name} is on https://elsewhere.example, outside")
