"""OpenID Connect relying party: a thin Quart-side integration of Authlib's async client.

Authlib has no Quart integration, so :class:`OidcClient` builds on the same framework-free
pieces as its Starlette integration (``BaseApp``, ``AsyncOAuth2Mixin``,
``AsyncOpenIDMixin`` and the httpx ``AsyncOAuth2Client``) and hardens them:

- the discovery document's issuer must equal the configured issuer, and none of its keys
  reach the HTTP client's constructor;
- ID tokens are accepted only with the algorithms pinned in configuration, and ``iss``,
  ``aud``, ``azp``, ``exp``, ``iat``, ``nbf`` and ``nonce`` are checked here on every call;
- an unknown ``kid`` makes one fresh fetch of the provider's JWKS, for key rotation;
- userinfo must be about the same ``sub`` as the ID token;
- ``private_key_jwt`` assertions live for two minutes and carry a ``kid``;
- every back-channel request shares one connection pool with timeouts.

State, nonce and PKCE verifier are stored by :mod:`forum.auth.pending`, not here.
Every failure raises :class:`SignInFailed`, whose ``reason`` is for the log only.
"""

import hmac
import logging
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuthError
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from authlib.oidc.core.util import create_half_hash
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from forum.auth.providers import LOOPBACK_HOSTS, ProviderConfig, origin_of
from forum.errors import ForumError

with warnings.catch_warnings():
    # NOTE: Authlib 1.9 prefers the httpx2 package and warns, on every start, when it
    # falls back to httpx. The forum pins httpx 0.28, which Authlib still supports, so
    # only that one warning is hidden.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

logger = logging.getLogger(__name__)

SIGN_IN_FAILED_MESSAGE = (
    "Sign-in did not complete. Try again, or contact your organisation's IT team if it "
    "keeps happening."
)
# Connect within 5 seconds and get each response within 10, so a slow provider fails a
# sign-in instead of holding a worker.
BACK_CHANNEL_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
BACK_CHANNEL_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10)
# Discovery documents and key sets are fetched again after an hour.
METADATA_MAX_AGE_SECONDS = 3600
JWKS_MAX_AGE_SECONDS = 3600
# Lifetime of a private_key_jwt client assertion: long enough for clock differences,
# short enough that a captured assertion is soon useless.
CLIENT_ASSERTION_LIFETIME_SECONDS = 120
# Claims that name, describe or reach the member; only these are taken from userinfo.
PROFILE_CLAIMS = (
    "email", "email_verified", "name", "given_name", "family_name", "preferred_username",
)


class SignInFailed(ForumError):
    """Raised for any failed step of an OpenID sign-in.

    Members see one plain message. ``reason`` describes what failed, for the warning log.
    It is built from fixed text and short, checked values, never from a token, code,
    state or nonce.
    """

    status = 400
    code = "sign_in_failed"
    default_message = SIGN_IN_FAILED_MESSAGE

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


@dataclass(frozen=True)
class VerifiedSignIn:
    """The outcome of a completed authorization code flow."""

    provider: str
    issuer: str
    subject: str
    # Checked ID token claims, with profile claims from userinfo laid over them.
    claims: Mapping[str, Any]
    id_token: str


class _SharedTransport(httpx.AsyncBaseTransport):
    """Hands requests to the shared pools and ignores close requests.

    Authlib opens and closes a short-lived client for each call. Giving each of them
    this transport keeps one set of connections for the whole process.
    """

    def __init__(self, back_channel: "BackChannel"):
        self._back_channel = back_channel

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._back_channel.transport_for(request.url.host)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class BackChannel:
    """The one HTTP connection pool, with timeouts, for every call to every provider.

    An httpx client given a transport ignores the proxy variables, so this class reads
    ``HTTPS_PROXY`` and ``NO_PROXY`` itself and keeps a second pool for the proxy.
    Loopback addresses never go through the proxy.
    """

    def __init__(self, environ: Mapping[str, str] | None = None):
        environ = os.environ if environ is None else environ
        self._direct = httpx.AsyncHTTPTransport(limits=BACK_CHANNEL_LIMITS, retries=0)
        proxy = environ.get("HTTPS_PROXY") or environ.get("https_proxy")
        self._proxied = (
            httpx.AsyncHTTPTransport(proxy=proxy, limits=BACK_CHANNEL_LIMITS, retries=0)
            if proxy
            else None
        )
        no_proxy = environ.get("NO_PROXY") or environ.get("no_proxy") or ""
        self._no_proxy = tuple(
            entry.strip().lower().lstrip(".") for entry in no_proxy.split(",") if entry.strip()
        )
        self.transport = _SharedTransport(self)
        self.timeout = BACK_CHANNEL_TIMEOUT

    def transport_for(self, host: str) -> httpx.AsyncBaseTransport:
        host = host.lower()
        if self._proxied is None or host in LOOPBACK_HOSTS or "*" in self._no_proxy:
            return self._direct
        if any(host == entry or host.endswith("." + entry) for entry in self._no_proxy):
            return self._direct
        return self._proxied

    async def aclose(self) -> None:
        await self._direct.aclose()
        if self._proxied is not None:
            await self._proxied.aclose()


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """``private_key_jwt`` client authentication with a short lifetime and a ``kid``.

    Authlib's own class signs assertions valid for an hour, and it reuses one claims dict
    for every assertion. This class builds fresh claims and headers on each call.
    """

    def __init__(self, key_id: str, alg: str):
        super().__init__(alg=alg)
        self.key_id = key_id

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            claims={},
            header={"kid": self.key_id, "typ": "JWT"},
            expires_in=CLIENT_ASSERTION_LIFETIME_SECONDS,
        )


class OidcClient(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):
    """One configured provider: authorization URL, code exchange and checked claims."""

    client_cls = AsyncOAuth2Client

    def __init__(self, config: ProviderConfig, back_channel: BackChannel, redirect_uri: str):
        self.config = config
        self.redirect_uri = redirect_uri
        self._back_channel = back_channel
        self._metadata_loaded_at = 0.0
        self._jwks: KeySet | None = None
        self._jwks_loaded_at = 0.0

        private_key_jwt = config.client_auth == "private_key_jwt"
        auth_methods = None
        if private_key_jwt:
            auth_methods = [ShortLivedPrivateKeyJWT(config.private_key_id, config.private_key_algorithm)]
        super().__init__(
            # Authlib's framework hooks keep state in a web session. This forum keeps state
            # in the database, so the hooks are never called.
            framework=FrameworkIntegration(config.name),
            name=config.name,
            client_id=config.client_id,
            client_secret=config.private_key if private_key_jwt else config.client_secret,
            authorize_params=dict(config.authorize_params),
            client_kwargs={
                "scope": " ".join(config.scopes),
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": config.client_auth,
                "transport": back_channel.transport,
                "timeout": back_channel.timeout,
            },
            client_auth_methods=auth_methods,
            server_metadata_url=config.discovery_url,
        )

    @property
    def label(self) -> str:
        return self.config.label

    def _get_oauth_client(self, **metadata):
        # The discovery document is remote input. Authlib would pass its keys to the
        # client's constructor, where names such as "proxy", "verify" or "response_mode"
        # change how the client works, so none of them are passed on.
        return super()._get_oauth_client()

    # Discovery and keys

    async def load_server_metadata(self) -> dict:
        """Return the provider's discovery document, fetched at most once an hour.

        :raises SignInFailed: when it cannot be fetched, or its issuer or endpoints are wrong.
        """
        if self.server_metadata and time.monotonic() - self._metadata_loaded_at < METADATA_MAX_AGE_SECONDS:
            return self.server_metadata

        metadata = await self._get_json(self.config.discovery_url, "discovery document")
        if metadata.get("issuer") != self.config.issuer:
            raise SignInFailed(
                f"discovery document issuer {str(metadata.get('issuer'))[:200]!r} is not the "
                f"configured issuer {self.config.issuer!r}"
            )
        required = ["authorization_endpoint", "token_endpoint", "jwks_uri"]
        if self.config.use_userinfo:
            required.append("userinfo_endpoint")
        for name in required:
            self._check_endpoint(name, metadata.get(name))
        if metadata.get("end_session_endpoint") is not None:
            self._check_endpoint("end_session_endpoint", metadata["end_session_endpoint"])
        for name in ("authorization_endpoint", "end_session_endpoint"):
            if metadata.get(name) is not None:
                self._check_browser_endpoint(name, metadata[name])

        # Replaced whole, never updated in place, so a concurrent request reads either the
        # old document or the new one.
        self.server_metadata = metadata
        self._metadata_loaded_at = time.monotonic()
        return metadata

    def _check_endpoint(self, name: str, url: Any) -> None:
        parts = urlsplit(url) if isinstance(url, str) else None
        issuer_is_loopback = urlsplit(self.config.discovery_url).hostname in LOOPBACK_HOSTS
        if parts is None or not parts.hostname:
            raise SignInFailed(f"discovery document has no valid {name}")
        if parts.scheme != "https" and not (parts.scheme == "http" and issuer_is_loopback):
            raise SignInFailed(f"discovery document {name} is not https")

    def _check_browser_endpoint(self, name: str, url: str) -> None:
        # Browsers reach these endpoints by a redirect from one of the forum's forms, which
        # the Content-Security-Policy allows only to the issuer's and discovery origins.
        allowed = {origin_of(self.config.issuer), origin_of(self.config.discovery_url)}
        if origin_of(url) not in allowed:
            raise SignInFailed(
                f"discovery document {name} is on {origin_of(url)}, outside the origins the "
                f"Content-Security-Policy allows ({', '.join(sorted(allowed))})"
            )

    async def fetch_jwk_set(self, force: bool = False) -> KeySet:
        """Return the provider's signing keys, fetched again when ``force`` is set or after an hour."""
        fresh = time.monotonic() - self._jwks_loaded_at < JWKS_MAX_AGE_SECONDS
        if self._jwks is not None and fresh and not force:
            return self._jwks

        metadata = await self.load_server_metadata()
        document = await self._get_json(metadata["jwks_uri"], "JWKS")
        try:
            key_set = KeySet.import_key_set(document, parameters={"use": "sig"})
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise SignInFailed(f"JWKS could not be read: {type(error).__name__}") from None
        self._jwks, self._jwks_loaded_at = key_set, time.monotonic()
        return key_set

    async def _get_json(self, url: str, what: str) -> dict:
        try:
            async with self._get_session() as client:
                response = await client.request("GET", url, withhold_token=True)
        except httpx.HTTPError as error:
            raise SignInFailed(f"{what} request failed: {type(error).__name__}") from None
        if response.status_code != 200:
            raise SignInFailed(f"{what} request returned HTTP {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise SignInFailed(f"{what} is not JSON") from None
        if not isinstance(document, dict):
            raise SignInFailed(f"{what} is not a JSON object")
        return document

    # The flow

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str, **params) -> str:
        """Return the provider's authorization URL for one sign-in attempt.

        :raises SignInFailed: when the discovery document cannot be loaded or is wrong.
        """
        result = await self.create_authorization_url(
            self.redirect_uri, state=state, nonce=nonce, code_verifier=code_verifier, **params
        )
        return result["url"]

    async def check_callback_issuer(self, iss: str | None) -> None:
        """Check the RFC 9207 ``iss`` parameter of an authorization response.

        :raises SignInFailed: when it is present and wrong, or missing although the
            provider's discovery document promises it.
        """
        metadata = await self.load_server_metadata()
        if iss is None:
            if metadata.get("authorization_response_iss_parameter_supported") is True:
                raise SignInFailed("authorization response has no iss parameter")
            return
        if self.config.is_issuer_template:
            if any(iss == self.config.issuer_for_tenant(tid) for tid in self.config.allowed_tenants):
                return
        elif iss == self.config.issuer:
            return
        raise SignInFailed("authorization response iss parameter is not the provider's issuer")

    async def complete(
        self, *, code: str, code_verifier: str, nonce: str, issued_after: float
    ) -> VerifiedSignIn:
        """Exchange the code, check the ID token, and add userinfo when configured.

        ``issued_after`` is when the sign-in started (seconds since the epoch); an ID token
        issued before then is rejected.

        :raises SignInFailed: for every failed request or check.
        """
        token = await self._exchange_code(code, code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise SignInFailed("token response has no ID token")

        claims = await self.validate_id_token(
            id_token, nonce=nonce, access_token=token.get("access_token"), issued_after=issued_after
        )
        if self.config.use_userinfo:
            claims = {**claims, **await self._fetch_userinfo(token, claims["sub"])}
        return VerifiedSignIn(
            provider=self.config.name,
            issuer=claims["iss"],
            subject=claims["sub"],
            claims=claims,
            id_token=id_token,
        )

    async def _exchange_code(self, code: str, code_verifier: str) -> dict:
        try:
            token = await self.fetch_access_token(
                redirect_uri=self.redirect_uri,
                code=code,
                code_verifier=code_verifier,
                grant_type="authorization_code",
            )
        except OAuthError as error:
            raise SignInFailed(f"token request rejected: {_error_code(error.error)}") from None
        except httpx.HTTPError as error:
            raise SignInFailed(f"token request failed: {type(error).__name__}") from None
        except ValueError:
            raise SignInFailed("token response is not a JSON object") from None
        if str(token.get("token_type", "")).lower() != "bearer":
            raise SignInFailed("token response token_type is not Bearer")
        return dict(token)

    async def _fetch_userinfo(self, token: dict, subject: str) -> dict:
        try:
            userinfo = await self.userinfo(token=token)
        except (OAuthError, httpx.HTTPError) as error:
            raise SignInFailed(f"userinfo request failed: {type(error).__name__}") from None
        except (ValueError, TypeError):
            raise SignInFailed("userinfo response is not a JSON object") from None

        if not isinstance(userinfo.get("sub"), str) or not _same_text(userinfo["sub"], subject):
            raise SignInFailed("userinfo sub is not the ID token's sub")
        wanted = {*PROFILE_CLAIMS, self.config.name_claim, self.config.handle_claim}
        return {name: value for name, value in userinfo.items() if name in wanted}

    # ID token validation

    async def parse_id_token(self, token, nonce, claims_options=None, claims_cls=None, leeway=None):
        """Check ``token["id_token"]`` by this module's rules; Authlib's options are not used."""
        return await self.validate_id_token(
            token.get("id_token", ""), nonce=nonce, access_token=token.get("access_token")
        )

    async def validate_id_token(
        self,
        id_token: str,
        *,
        nonce: str,
        access_token: str | None = None,
        issued_after: float | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """Verify the signature and claims of an ID token; return its claims.

        :raises SignInFailed: naming the first check that failed.
        """
        try:
            header = jws.extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError, UnicodeError):
            raise SignInFailed("ID token is not a compact JWS") from None

        algorithm = header.get("alg")
        if algorithm not in self.config.id_token_algorithms:
            raise SignInFailed(
                f"ID token algorithm {str(algorithm)[:20]!r} is not accepted "
                f"(accepted: {', '.join(self.config.id_token_algorithms)})"
            )

        key_set = await self.fetch_jwk_set()
        try:
            decoded = self._decode(id_token, key_set)
        except InvalidKeyIdError:
            # The provider may have rotated its keys since the set was fetched, so fetch
            # them once more, and only once.
            try:
                decoded = self._decode(id_token, await self.fetch_jwk_set(force=True))
            except InvalidKeyIdError:
                raise SignInFailed(
                    f"no key in the provider's JWKS has the ID token's kid {str(header.get('kid'))[:80]!r}"
                ) from None

        claims = dict(decoded.claims)
        check_id_token_claims(
            self.config,
            claims,
            nonce=nonce,
            now=time.time() if now is None else now,
            issued_after=issued_after,
        )
        _check_access_token_hash(claims, algorithm, access_token)
        return claims

    def _decode(self, id_token: str, key_set: KeySet) -> jwt.Token:
        try:
            return jwt.decode(id_token, key_set, algorithms=list(self.config.id_token_algorithms))
        except InvalidKeyIdError:
            raise
        except BadSignatureError:
            raise SignInFailed("ID token signature is invalid") from None
        except (JoseError, ValueError) as error:
            raise SignInFailed(f"ID token could not be verified: {type(error).__name__}") from None

    async def logout_url(self, *, id_token_hint: str | None, post_logout_redirect_uri: str) -> str | None:
        """Return the provider's end-session URL, or None when it offers none."""
        if not self.config.logout:
            return None
        metadata = await self.load_server_metadata()
        if not metadata.get("end_session_endpoint"):
            return None
        result = await self.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri,
            id_token_hint=id_token_hint,
            client_id=self.config.client_id,
        )
        return result["url"]


def check_id_token_claims(
    config: ProviderConfig,
    claims: Mapping[str, Any],
    *,
    nonce: str,
    now: float,
    issued_after: float | None = None,
) -> None:
    """Check the claims of a signature-verified ID token against one provider's rules.

    The rules are rebuilt from ``config`` on every call, with ``config.leeway_seconds``
    of clock difference allowed on times.

    :raises SignInFailed: naming the first claim that failed.
    """
    leeway = config.leeway_seconds
    _check_issuer(config, claims)

    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or config.client_id not in audiences:
        raise SignInFailed("ID token aud does not contain the client id")
    authorized_party = claims.get("azp")
    if authorized_party is not None and authorized_party != config.client_id:
        raise SignInFailed("ID token azp is not the client id")
    if len(audiences) > 1 and authorized_party is None:
        raise SignInFailed("ID token has several audiences and no azp")

    expires_at, issued_at = claims.get("exp"), claims.get("iat")
    if not _is_number(expires_at):
        raise SignInFailed("ID token has no numeric exp")
    if not _is_number(issued_at):
        raise SignInFailed("ID token has no numeric iat")
    if now > expires_at + leeway:
        raise SignInFailed("ID token has expired")
    if issued_at > now + leeway:
        raise SignInFailed("ID token iat is in the future")
    if issued_after is not None and issued_at < issued_after - leeway:
        raise SignInFailed("ID token was issued before this sign-in started")
    not_before = claims.get("nbf")
    if not_before is not None and (not _is_number(not_before) or not_before > now + leeway):
        raise SignInFailed("ID token nbf is in the future")

    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not _same_text(token_nonce, nonce):
        raise SignInFailed("ID token nonce does not match this sign-in")

    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInFailed("ID token sub is missing or longer than 255 characters")

    if config.hosted_domains:
        hosted_domain = claims.get("hd")
        if not isinstance(hosted_domain, str):
            raise SignInFailed("ID token has no hd, so the account is not in a Workspace domain")
        if hosted_domain.lower() not in config.hosted_domains:
            raise SignInFailed(f"ID token hd {hosted_domain[:100]!r} is not an allowed hosted domain")


def _check_issuer(config: ProviderConfig, claims: Mapping[str, Any]) -> None:
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise SignInFailed("ID token has no iss")
    if not config.is_issuer_template:
        if issuer != config.issuer:
            raise SignInFailed("ID token iss is not the provider's issuer")
        return

    # Entra ID's shared discovery document publishes the issuer with a {tenantid}
    # placeholder: the token's tenant must be allowed, and its issuer must be exactly
    # the template with that tenant filled in.
    tenant_id = claims.get("tid")
    if not isinstance(tenant_id, str):
        raise SignInFailed("ID token has no tid")
    if tenant_id.lower() not in config.allowed_tenants:
        raise SignInFailed(f"ID token tid {tenant_id[:40]!r} is not an allowed tenant")
    if issuer != config.issuer_for_tenant(tenant_id):
        raise SignInFailed("ID token iss is not the issuer of its tenant")


def _check_access_token_hash(claims: Mapping[str, Any], algorithm: str, access_token: str | None) -> None:
    expected = claims.get("at_hash")
    if expected is None or access_token is None:
        return
    actual = create_half_hash(access_token, algorithm)
    if actual is None or not _same_text(actual.decode(), str(expected)):
        raise SignInFailed("ID token at_hash does not match the access token")


def _same_text(first: str, second: str) -> bool:
    """Compare in constant time; compare_digest takes only ASCII text, so compare bytes."""
    return hmac.compare_digest(first.encode(), second.encode())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _error_code(error: Any) -> str:
    """Return an OAuth error code safe to log: short, and only the characters codes use."""
    text = str(error or "unknown")[:40]
    return "".join(character for character in text if character.isalnum() or character in "_-.")


class OidcRegistry:
    """Every configured provider's client, sharing one back channel."""

    def __init__(self, providers: tuple[ProviderConfig, ...], base_url: str):
        self.back_channel = BackChannel()
        self.clients = {
            provider.name: OidcClient(
                provider, self.back_channel, f"{base_url}/sign-in/{provider.name}/callback"
            )
            for provider in providers
        }

    def get(self, name: str) -> OidcClient | None:
        return self.clients.get(name)

    def __iter__(self):
        return iter(self.clients.values())

    def __bool__(self) -> bool:
        return bool(self.clients)

    async def aclose(self) -> None:
        await self.back_channel.aclose()
