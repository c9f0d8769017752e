"""Provider configuration: defaults per kind, and a start-up error naming every bad setting."""

import json

import pytest
from joserfc.jwk import ECKey, RSAKey

from forum.auth.providers import ENTRA_TENANT_PLACEHOLDER, load_providers
from forum.config import ConfigError, Settings


@pytest.fixture(name="db", autouse=True)
def _no_database():
    """Replace the shared fixture that empties every table: these tests use no database."""
    yield None


TENANT_A = "11111111-2222-3333-4444-555555555555"
TENANT_B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@pytest.fixture(name="rsa_key_file")
def _rsa_key_file(tmp_path):
    path = tmp_path / "client.pem"
    path.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
    return path


def _generic(**changes) -> dict:
    return {
        "name": "council",
        "label": "Northmoor Council",
        "kind": "oidc",
        "issuer": "https://login.northmoor.example",
        "client_id": "forum",
        "client_secret": "s3cret",
        **changes,
    }


def _load(*entries: dict, production: bool = False, **environ: str):
    return load_providers({"FORUM_OIDC_PROVIDERS": json.dumps(list(entries)), **environ}, production=production)


def test_no_providers_configured():
    assert load_providers({}, production=True) == ()


def test_generic_provider_defaults():
    (provider,) = _load(_generic())

    assert provider.discovery_url == "https://login.northmoor.example/.well-known/openid-configuration"
    assert provider.client_auth == "client_secret_basic"
    assert provider.id_token_algorithms == ("RS256",)
    assert provider.scopes == ("openid", "email", "profile")
    assert provider.use_userinfo is True
    assert provider.leeway_seconds == 60


def test_entra_multi_tenant_uses_issuer_template():
    (provider,) = _load(
        {
            "name": "entra", "label": "Microsoft", "kind": "entra", "client_id": "app",
            "client_secret": "s", "tenant": "organizations", "allowed_tenants": [TENANT_A.upper(), TENANT_B],
        }
    )

    assert provider.issuer == f"https://login.microsoftonline.com/{ENTRA_TENANT_PLACEHOLDER}/v2.0"
    assert provider.discovery_url == "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration"
    assert provider.allowed_tenants == {TENANT_A, TENANT_B}
    assert provider.issuer_for_tenant(TENANT_A) == f"https://login.microsoftonline.com/{TENANT_A}/v2.0"
    assert provider.use_userinfo is False


def test_entra_single_tenant_issuer():
    (provider,) = _load(
        {"name": "entra", "label": "Microsoft", "kind": "entra", "client_id": "app", "client_secret": "s", "tenant": TENANT_A}
    )

    assert provider.issuer == f"https://login.microsoftonline.com/{TENANT_A}/v2.0"
    assert not provider.is_issuer_template


@pytest.mark.parametrize(("domains", "hint"), [(["northmoor.gov.uk"], "northmoor.gov.uk"), (["a.gov.uk", "b.gov.uk"], "*")])
def test_google_restricts_hosted_domains(domains, hint):
    (provider,) = _load(
        {"name": "google", "label": "Google", "kind": "google", "client_id": "app", "client_secret": "s", "hosted_domains": domains}
    )

    assert provider.issuer == "https://accounts.google.com"
    assert provider.hosted_domains == set(domains)
    assert provider.authorize_params["hd"] == hint


def test_govuk_defaults(rsa_key_file):
    (provider,) = _load(
        {
            "name": "govuk", "label": "GOV.UK One Login", "kind": "govuk", "client_id": "app",
            "issuer": "https://oidc.integration.account.gov.uk/", "private_key_file": str(rsa_key_file),
            "authorize_params": {"claims": "{}"},
        }
    )

    assert provider.client_auth == "private_key_jwt"
    assert provider.id_token_algorithms == ("ES256",)
    assert provider.scopes == ("openid", "email")
    assert provider.use_userinfo is True
    assert provider.authorize_params == {"vtr": '["Cl.Cm"]', "ui_locales": "en", "claims": "{}"}
    assert provider.private_key_algorithm == "RS256"
    assert provider.private_key_id == provider.private_key.thumbprint()


def test_private_key_id_and_ec_algorithm(tmp_path):
    path = tmp_path / "client.pem"
    path.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))

    (provider,) = _load(_generic(client_secret=None, client_auth="private_key_jwt", private_key_file=str(path), private_key_id="key-2025"))

    assert provider.private_key_algorithm == "ES256"
    assert provider.private_key_id == "key-2025"


def test_jwk_private_key_file(tmp_path):
    path = tmp_path / "client.json"
    path.write_text(json.dumps(RSAKey.generate_key(2048).as_dict(private=True)))

    (provider,) = _load(_generic(client_secret=None, client_auth="private_key_jwt", private_key_file=str(path)))

    assert provider.private_key.is_private


def test_client_secret_from_named_variable():
    (provider,) = _load(_generic(client_secret=None, client_secret_env="COUNCIL_SECRET"), COUNCIL_SECRET="from-env")

    assert provider.client_secret == "from-env"


def test_config_file(tmp_path):
    path = tmp_path / "sso.json"
    path.write_text(json.dumps([_generic()]))

    (provider,) = load_providers({"FORUM_OIDC_CONFIG": str(path)}, production=True)

    assert provider.name == "council"


def test_loopback_http_issuer_allowed_outside_production():
    (provider,) = _load(_generic(issuer="http://127.0.0.1:9000"))

    assert provider.issuer == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_generic(kind="saml")], 'FORUM_OIDC_PROVIDERS[0] ("council"): kind must be one of oidc, entra, google, govuk'),
        ([_generic(client_id=None)], "client_id is missing"),
        ([_generic(client_id="")], "client_id is missing"),
        ([_generic(label=None)], "label is missing"),
        ([_generic(name="Council A")], "FORUM_OIDC_PROVIDERS[0]: name is missing or invalid"),
        ([_generic(), _generic()], "provider names must be unique; repeated: council"),
        ([_generic(client_secrett="x")], "client_secrett is not a known setting"),
        ([_generic(issuer="http://login.northmoor.example")], "issuer must be an https:// address"),
        ([_generic(issuer=None)], "issuer is missing"),
        ([_generic(id_token_algorithms=["none"])], "id_token_algorithms contains 'none'"),
        ([_generic(id_token_algorithms=["HS256"])], "id_token_algorithms contains 'HS256'"),
        ([_generic(id_token_algorithms=[])], "id_token_algorithms must list at least one algorithm"),
        ([_generic(scopes=["email"])], "scopes must include openid"),
        ([_generic(authorize_params={"state": "fixed"})], "authorize_params must not set state"),
        ([_generic(authorize_params={"vtr": ["Cl"]})], "authorize_params must be an object of string values"),
        ([_generic(client_auth="client_secret_post")], "client_auth must be one of client_secret_basic, private_key_jwt"),
        ([_generic(client_secret=None)], "client_secret is missing"),
        ([_generic(client_secret_env="NOT_SET_ANYWHERE_123")], "client_secret and client_secret_env are both set"),
        ([_generic(client_secret=None, client_secret_env="NOT_SET_ANYWHERE_123")], "client_secret_env names NOT_SET_ANYWHERE_123, which is not set"),
        ([_generic(client_secret=None, client_auth="private_key_jwt")], "private_key_file is missing"),
        ([_generic(client_secret=None, client_auth="private_key_jwt", private_key_file="/nonexistent/key.pem")], "private_key_file cannot be read (/nonexistent/key.pem)"),
        ([_generic(client_auth="private_key_jwt", private_key_file="/dev/null")], "client_secret is not used with private_key_jwt"),
        ([_generic(userinfo="yes")], "userinfo must be true or false"),
        ([_generic(leeway_seconds=900)], "leeway_seconds must be a whole number from 0 to 300"),
        ([_generic(verified_email_domains=["not a domain"])], "verified_email_domains contains 'not a domain'"),
        ([{**_generic(kind="entra", tenant="contoso"), "issuer": None}], "tenant must be a tenant id (a GUID) or organizations"),
        ([{**_generic(kind="entra", tenant="organizations"), "issuer": None}], "allowed_tenants is missing"),
        ([{**_generic(kind="entra", tenant="organizations", allowed_tenants=["contoso"]), "issuer": None}], "allowed_tenants contains 'contoso'"),
        ([_generic(kind="entra", tenant=TENANT_A)], "issuer is derived from tenant for Entra ID"),
        ([{**_generic(kind="entra", tenant=TENANT_A, client_auth="private_key_jwt"), "issuer": None}], "client_auth must be client_secret_basic for Entra ID"),
        ([_generic(kind="google", issuer=None)], "hosted_domains is missing"),
        ([_generic(kind="govuk", client_auth="client_secret_basic")], "client_auth must be private_key_jwt for GOV.UK One Login"),
        ("not a list", "must be a JSON list with one object per provider"),
        ([], "must be a JSON list with one object per provider"),
        (["council"], "FORUM_OIDC_PROVIDERS[0]: must be a JSON object"),
    ],
)
def test_bad_setting_is_named(entries, message):
    with pytest.raises(ConfigError) as raised:
        load_providers({"FORUM_OIDC_PROVIDERS": json.dumps(entries)}, production=False)

    assert message in str(raised.value)


def test_unreadable_private_key_is_named(tmp_path):
    path = tmp_path / "not-a-key.pem"
    path.write_text("-----BEGIN NOTHING-----\n")

    with pytest.raises(ConfigError, match=r"private_key_file is not a PEM or JWK private key"):
        _load(_generic(client_secret=None, client_auth="private_key_jwt", private_key_file=str(path)))


def test_public_key_is_refused(tmp_path):
    path = tmp_path / "public.pem"
    path.write_bytes(RSAKey.generate_key(2048).as_pem(private=False))

    with pytest.raises(ConfigError, match="private_key_file must hold an RSA, EC or OKP private key"):
        _load(_generic(client_secret=None, client_auth="private_key_jwt", private_key_file=str(path)))


def test_govuk_needs_userinfo(rsa_key_file):
    entry = {
        "name": "govuk", "label": "GOV.UK One Login", "kind": "govuk", "client_id": "app",
        "issuer": "https://oidc.account.gov.uk/", "private_key_file": str(rsa_key_file), "userinfo": False,
    }

    with pytest.raises(ConfigError, match="userinfo must be true for GOV.UK One Login"):
        _load(entry)


def test_loopback_http_issuer_refused_in_production():
    with pytest.raises(ConfigError, match="issuer must be an https:// address"):
        _load(_generic(issuer="http://127.0.0.1:9000"), production=True)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FORUM_OIDC_PROVIDERS": "[", "FORUM_OIDC_CONFIG": "/x"}, "FORUM_OIDC_PROVIDERS and FORUM_OIDC_CONFIG are both set"),
        ({"FORUM_OIDC_PROVIDERS": "[{"}, "FORUM_OIDC_PROVIDERS: invalid JSON at line 1"),
        ({"FORUM_OIDC_CONFIG": "/nonexistent/sso.json"}, "FORUM_OIDC_CONFIG (/nonexistent/sso.json): cannot read the file"),
    ],
)
def test_settings_refuse_unreadable_provider_configuration(environ, message):
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(environ)

    assert message in str(raised.value)


def test_settings_read_providers():
    settings = Settings.from_env({"FORUM_OIDC_PROVIDERS": json.dumps([_generic()])})

    assert [provider.name for provider in settings.oidc_providers] == ["council"]


def test_forum_command_stops_with_the_setting_named(monkeypatch, capsys):
    from forum.cli import main

    monkeypatch.setenv("FORUM_OIDC_PROVIDERS", json.dumps([_generic(kind="saml")]))

    with pytest.raises(SystemExit) as exited:
        main(["migrate"])

    assert "FORUM_OIDC_PROVIDERS[0]" in str(exited.value.code)
    assert "kind must be one of" in str(exited.value.code)
