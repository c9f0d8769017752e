"""OpenID providers read from configuration, checked once at start-up.

The providers come from ``FORUM_OIDC_PROVIDERS`` (a JSON list) or from the JSON file named
by ``FORUM_OIDC_CONFIG``. Each entry has a ``kind``:

- ``oidc``: any OpenID Connect provider, found through its discovery document;
- ``entra``: Microsoft Entra ID, one tenant, or several through an allow-list of tenant ids;
- ``google``: Google Workspace, restricted to hosted domains;
- ``govuk``: GOV.UK One Login, with ``private_key_jwt`` and claims from userinfo.

Every problem raises :class:`ConfigError` with a message that names the setting, the
provider and the key, so the forum stops at start-up rather than fail at sign-in.
``docs/sso.md`` describes every key.
"""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey, import_key

from forum.config import ConfigError

PROVIDERS_VARIABLE = "FORUM_OIDC_PROVIDERS"
CONFIG_FILE_VARIABLE = "FORUM_OIDC_CONFIG"

KINDS = ("oidc", "entra", "google", "govuk")
CLIENT_AUTH_METHODS = ("client_secret_basic", "private_key_jwt")
# Asymmetric algorithms only, because "none" has no signature, and the HMAC algorithms
# would let anyone who has the client secret sign ID tokens.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# Authorization request parameters the forum sets itself; configuration may not override them.
RESERVED_AUTHORIZE_PARAMS = frozenset(
    {
        "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
        "code_challenge", "code_challenge_method", "request", "request_uri", "response_mode",
    }
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Seconds of clock difference accepted on the exp, iat and nbf claims of an ID token.
DEFAULT_LEEWAY_SECONDS = 60
MAX_LEEWAY_SECONDS = 300

ENTRA_AUTHORITY = "https://login.microsoftonline.com"
ENTRA_TENANT_PLACEHOLDER = "{tenantid}"
ENTRA_MULTI_TENANT = frozenset({"organizations", "common"})
GOOGLE_ISSUER = "https://accounts.google.com"
GOVUK_DEFAULT_AUTHORIZE_PARAMS = {"vtr": '["Cl.Cm"]', "ui_locales": "en"}

_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_TENANT_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

KNOWN_KEYS = frozenset(
    {
        "name", "label", "kind", "issuer", "discovery_url", "client_id", "client_secret",
        "client_secret_env", "client_auth", "private_key_file", "private_key_id",
        "private_key_algorithm", "id_token_algorithms", "scopes", "authorize_params",
        "userinfo", "tenant", "allowed_tenants", "authority", "hosted_domains",
        "verified_email_domains", "name_claim", "handle_claim", "logout", "leeway_seconds",
    }
)


@dataclass(frozen=True)
class ProviderConfig:
    """One OpenID provider, with every default filled in and every value checked."""

    name: str
    label: str
    kind: str
    # The exact issuer identifier. For Entra multi-tenant it contains "{tenantid}".
    issuer: str
    discovery_url: str
    client_id: str
    client_auth: str
    client_secret: str | None = None
    private_key: Key | None = None
    private_key_id: str | None = None
    private_key_algorithm: str | None = None
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    use_userinfo: bool = False
    allowed_tenants: frozenset[str] = frozenset()
    hosted_domains: frozenset[str] = frozenset()
    # Email addresses in these domains count as verified from this provider, for
    # providers such as Entra ID that send no email_verified claim.
    verified_email_domains: frozenset[str] = frozenset()
    name_claim: str = "name"
    handle_claim: str = "preferred_username"
    # Whether sign-out also ends the session at the provider, when it offers an
    # end-session endpoint.
    logout: bool = True
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS

    @property
    def is_issuer_template(self) -> bool:
        return ENTRA_TENANT_PLACEHOLDER in self.issuer

    def issuer_for_tenant(self, tenant_id: str) -> str:
        return self.issuer.replace(ENTRA_TENANT_PLACEHOLDER, tenant_id)


def load_providers(environ: Mapping[str, str], *, production: bool) -> tuple[ProviderConfig, ...]:
    """Read and check every configured provider; raise ConfigError naming the setting."""
    inline = (environ.get(PROVIDERS_VARIABLE) or "").strip()
    path = (environ.get(CONFIG_FILE_VARIABLE) or "").strip()
    if inline and path:
        raise ConfigError(
            f"{PROVIDERS_VARIABLE} and {CONFIG_FILE_VARIABLE} are both set: use one of them."
        )
    if not inline and not path:
        return ()

    if path:
        setting = f"{CONFIG_FILE_VARIABLE} ({path})"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"{setting}: cannot read the file: {error.strerror}.") from None
    else:
        setting, text = PROVIDERS_VARIABLE, inline

    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{setting}: invalid JSON at line {error.lineno}: {error.msg}.") from None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{setting}: must be a JSON list with one object per provider.")

    providers = [
        _parse_provider(entry, f"{setting}[{index}]", environ, production)
        for index, entry in enumerate(entries)
    ]
    names = [provider.name for provider in providers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{setting}: provider names must be unique; repeated: {', '.join(duplicates)}.")
    return tuple(providers)


class _Entry:
    """Typed reads from one provider's JSON object, with errors that name the key."""

    def __init__(self, data: dict[str, Any], where: str):
        self.data, self.where = data, where

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key} {problem}")

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key, default)
        if value is None or value == "":
            if required:
                raise self.fail(key, "is missing.")
            return default
        if not isinstance(value, str):
            raise self.fail(key, "must be a string.")
        return value.strip()

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false.")
        return value

    def integer(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
            raise self.fail(key, f"must be a whole number from {minimum} to {maximum}.")
        return value

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(key, "must be a list of strings.")
        return tuple(item.strip() for item in value)

    def domains(self, key: str) -> frozenset[str]:
        domains = frozenset(item.lower() for item in self.strings(key))
        for domain in sorted(domains):
            if not _DOMAIN_PATTERN.match(domain):
                raise self.fail(key, f"contains {domain!r}, which is not a domain name.")
        return domains


def _parse_provider(
    data: Any, where: str, environ: Mapping[str, str], production: bool
) -> ProviderConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a JSON object.")

    name = data.get("name")
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ConfigError(
            f"{where}: name is missing or invalid: use 1 to 40 lower-case letters, digits and "
            "hyphens, starting with a letter or digit."
        )
    entry = _Entry(data, f'{where} ("{name}")')

    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise entry.fail(unknown[0], "is not a known setting (check its spelling in docs/sso.md).")

    kind = entry.text("kind", required=True)
    if kind not in KINDS:
        raise entry.fail("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}.")

    settings: dict[str, Any] = {
        "name": name,
        "label": entry.text("label", required=True),
        "kind": kind,
        "client_id": entry.text("client_id", required=True),
        "name_claim": entry.text("name_claim", "name"),
        "handle_claim": entry.text("handle_claim", "preferred_username"),
        "logout": entry.boolean("logout", True),
        "leeway_seconds": entry.integer(
            "leeway_seconds", DEFAULT_LEEWAY_SECONDS, 0, MAX_LEEWAY_SECONDS
        ),
        "verified_email_domains": entry.domains("verified_email_domains"),
    }
    settings.update(_KIND_DEFAULTS[kind](entry))

    settings["issuer"] = _check_url(entry, "issuer", settings["issuer"], production)
    settings["discovery_url"] = _check_url(
        entry,
        "discovery_url",
        entry.text("discovery_url")
        or settings.get("discovery_url")
        or settings["issuer"].rstrip("/") + "/.well-known/openid-configuration",
        production,
    )
    settings["scopes"] = _scopes(entry, settings.pop("default_scopes"))
    settings["id_token_algorithms"] = _algorithms(entry, settings.pop("default_algorithms"))
    settings["authorize_params"] = _authorize_params(entry, settings.pop("default_authorize_params"))
    settings["use_userinfo"] = entry.boolean("userinfo", settings.pop("default_userinfo"))
    if kind == "govuk" and entry.text("client_auth", "private_key_jwt") != "private_key_jwt":
        raise entry.fail("client_auth", "must be private_key_jwt for GOV.UK One Login.")
    if kind == "entra" and entry.text("client_auth", "client_secret_basic") != "client_secret_basic":
        # Entra ID identifies the key of a client assertion by its certificate's thumbprint
        # (x5t), and the forum's assertions name the key with kid only.
        raise entry.fail("client_auth", "must be client_secret_basic for Entra ID: use a client secret.")
    settings.update(_client_auth(entry, environ, settings.pop("default_client_auth")))

    if kind == "govuk" and not settings["use_userinfo"]:
        raise entry.fail("userinfo", "must be true for GOV.UK One Login, which sends claims only from userinfo.")
    return ProviderConfig(**settings)


def _oidc_defaults(entry: _Entry) -> dict[str, Any]:
    return {
        "issuer": entry.text("issuer", required=True),
        "default_scopes": ("openid", "email", "profile"),
        "default_algorithms": ("RS256",),
        "default_authorize_params": {},
        "default_userinfo": True,
        "default_client_auth": "client_secret_basic",
    }


def _entra_defaults(entry: _Entry) -> dict[str, Any]:
    tenant = (entry.text("tenant", required=True) or "").lower()
    authority = (entry.text("authority") or ENTRA_AUTHORITY).rstrip("/")
    allowed = frozenset(item.lower() for item in entry.strings("allowed_tenants"))
    for tenant_id in sorted(allowed):
        if not _TENANT_ID_PATTERN.match(tenant_id):
            raise entry.fail("allowed_tenants", f"contains {tenant_id!r}, which is not a tenant id (a GUID).")

    if tenant in ENTRA_MULTI_TENANT:
        if not allowed:
            raise entry.fail(
                "allowed_tenants",
                f'is missing: a multi-tenant ("{tenant}") registration must list the tenant ids it accepts.',
            )
        issuer = f"{authority}/{ENTRA_TENANT_PLACEHOLDER}/v2.0"
    elif _TENANT_ID_PATTERN.match(tenant):
        if allowed:
            raise entry.fail("allowed_tenants", "is only for a multi-tenant registration (tenant organizations).")
        issuer = f"{authority}/{tenant}/v2.0"
    else:
        raise entry.fail("tenant", "must be a tenant id (a GUID) or organizations.")

    if entry.text("issuer"):
        raise entry.fail("issuer", "is derived from tenant for Entra ID: remove it, or set authority.")
    return {
        "issuer": issuer,
        "discovery_url": f"{authority}/{tenant}/v2.0/.well-known/openid-configuration",
        "allowed_tenants": allowed,
        "default_scopes": ("openid", "email", "profile"),
        "default_algorithms": ("RS256",),
        "default_authorize_params": {},
        "default_userinfo": False,
        "default_client_auth": "client_secret_basic",
    }


def _google_defaults(entry: _Entry) -> dict[str, Any]:
    hosted_domains = entry.domains("hosted_domains")
    if not hosted_domains:
        raise entry.fail("hosted_domains", "is missing: list the Google Workspace domains whose accounts may sign in.")

    # Google shows only accounts of the hosted domain when there is one, and "*" requests
    # any Workspace account. The hd claim is checked either way, because the parameter
    # is only a hint.
    hint = next(iter(hosted_domains)) if len(hosted_domains) == 1 else "*"
    return {
        "issuer": entry.text("issuer") or GOOGLE_ISSUER,
        "hosted_domains": hosted_domains,
        "default_scopes": ("openid", "email", "profile"),
        "default_algorithms": ("RS256",),
        "default_authorize_params": {"hd": hint},
        "default_userinfo": False,
        "default_client_auth": "client_secret_basic",
    }


def _govuk_defaults(entry: _Entry) -> dict[str, Any]:
    return {
        "issuer": entry.text("issuer", required=True),
        "default_scopes": ("openid", "email"),
        # GOV.UK One Login signs ID tokens with ES256 unless the registration requests RS256.
        "default_algorithms": ("ES256",),
        "default_authorize_params": GOVUK_DEFAULT_AUTHORIZE_PARAMS,
        "default_userinfo": True,
        "default_client_auth": "private_key_jwt",
    }


_KIND_DEFAULTS = {
    "oidc": _oidc_defaults,
    "entra": _entra_defaults,
    "google": _google_defaults,
    "govuk": _govuk_defaults,
}


def _check_url(entry: _Entry, key: str, url: str, production: bool) -> str:
    parts = urlsplit(url.replace(ENTRA_TENANT_PLACEHOLDER, "tenant"))
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and not production:
        return url
    raise entry.fail(key, f"must be an https:// address, not {url!r}.")


def _scopes(entry: _Entry, default: tuple[str, ...]) -> tuple[str, ...]:
    scopes = entry.strings("scopes", default)
    if "openid" not in scopes:
        raise entry.fail("scopes", "must include openid.")
    return scopes


def _algorithms(entry: _Entry, default: tuple[str, ...]) -> tuple[str, ...]:
    algorithms = entry.strings("id_token_algorithms", default)
    if not algorithms:
        raise entry.fail("id_token_algorithms", "must list at least one algorithm.")
    rejected = [alg for alg in algorithms if alg not in SIGNING_ALGORITHMS]
    if rejected:
        raise entry.fail(
            "id_token_algorithms",
            f"contains {rejected[0]!r}: use asymmetric algorithms such as RS256 or ES256 "
            "(none and HMAC algorithms are rejected).",
        )
    return algorithms


def _authorize_params(entry: _Entry, default: Mapping[str, str]) -> dict[str, str]:
    value = entry.data.get("authorize_params", {})
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise entry.fail("authorize_params", "must be an object of string values.")
    reserved = sorted(set(value) & RESERVED_AUTHORIZE_PARAMS)
    if reserved:
        raise entry.fail("authorize_params", f"must not set {reserved[0]}: the forum sets it itself.")
    return {**default, **value}


def _client_auth(entry: _Entry, environ: Mapping[str, str], default: str) -> dict[str, Any]:
    method = entry.text("client_auth", default)
    if method not in CLIENT_AUTH_METHODS:
        raise entry.fail("client_auth", f"must be one of {', '.join(CLIENT_AUTH_METHODS)}, not {method!r}.")

    if method == "client_secret_basic":
        return {"client_auth": method, "client_secret": _client_secret(entry, environ)}

    if entry.data.get("client_secret") or entry.data.get("client_secret_env"):
        raise entry.fail("client_secret", "is not used with private_key_jwt: remove it.")
    key = _private_key(entry)
    algorithm = entry.text("private_key_algorithm") or _default_key_algorithm(key)
    if algorithm not in SIGNING_ALGORITHMS:
        raise entry.fail("private_key_algorithm", f"must be an asymmetric algorithm such as RS256, not {algorithm!r}.")
    key_id = entry.text("private_key_id") or key.thumbprint()
    return {
        "client_auth": method,
        "private_key": key,
        "private_key_id": key_id,
        "private_key_algorithm": algorithm,
    }


def _client_secret(entry: _Entry, environ: Mapping[str, str]) -> str:
    secret = entry.text("client_secret")
    variable = entry.text("client_secret_env")
    if secret and variable:
        raise entry.fail("client_secret", "and client_secret_env are both set: use one of them.")
    if variable:
        secret = (environ.get(variable) or os.environ.get(variable) or "").strip()
        if not secret:
            raise entry.fail("client_secret_env", f"names {variable}, which is not set.")
    if not secret:
        raise entry.fail("client_secret", "is missing (or set client_secret_env to the name of a variable holding it).")
    return secret


def _private_key(entry: _Entry) -> Key:
    path = entry.text("private_key_file", required=True) or ""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise entry.fail("private_key_file", f"cannot be read ({path}): {error.strerror}.") from None

    try:
        if data.lstrip().startswith(b"{"):
            key = import_key(json.loads(data))
        else:
            key = _import_pem(data)
    except (ValueError, JoseError) as error:
        raise entry.fail(
            "private_key_file", f"is not a PEM or JWK private key ({path}): {error}."
        ) from None
    if not isinstance(key, (RSAKey, ECKey, OKPKey)) or not key.is_private:
        raise entry.fail("private_key_file", f"must hold an RSA, EC or OKP private key ({path}).")
    return key


def _import_pem(data: bytes) -> Key:
    for key_type in ("RSA", "EC", "OKP"):
        try:
            return import_key(data, key_type)
        except (ValueError, JoseError):
            continue
    raise ValueError("no RSA, EC or OKP key found")


def _default_key_algorithm(key: Key) -> str:
    if isinstance(key, ECKey):
        return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(key.curve_name, "ES256")
    if isinstance(key, OKPKey):
        return "EdDSA"
    return "RS256"


def origin_of(url: str) -> str:
    """Return the scheme, host and port of ``url``, as browsers compare origins."""
    parts = urlsplit(url.replace(ENTRA_TENANT_PLACEHOLDER, "tenant"))
    return f"{parts.scheme}://{parts.netloc}".lower()


def form_action_origins(providers: tuple[ProviderConfig, ...]) -> list[str]:
    """Return the origins the browser may be redirected to from the forum's forms.

    The authorization and end-session endpoints must be on the origin of the provider's
    issuer or discovery document. The client checks that when it reads the document.
    """
    origins = {origin_of(provider.issuer) for provider in providers}
    origins |= {origin_of(provider.discovery_url) for provider in providers}
    return sorted(origins)

