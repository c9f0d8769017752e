"""Open Badges credentials: signing, verifying a round trip, and every kind of tampering."""

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from forum.config import Settings
from forum.errors import ValidationFailed
from forum.services import credentials
from models import Endorsement, IssuedCredential
from tests.factories import make_member

KEY = ECKey.generate_key("P-256")
SETTINGS = Settings(env="test", base_url="https://forum.example.org", signing_key=KEY.as_pem(private=True).decode())
LEVEL_NAMES = {1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}


async def _endorsed_member(area, level: int = 3):
    member = await make_member()
    for _ in range(2):
        await Endorsement.create(
            endorser_id=(await make_member()).id, member_id=member.id, skill_area_id=area.id, level=level,
            relationship="worked_together", observed_from=date(2025, 1, 1), observed_to=date(2025, 2, 1),
            statement="Built our SQL pipeline for the CIN census.", evidence_kind="post", evidence_id=1,
        )
    return member


async def _issued(skill_areas):
    area = skill_areas["sql-data-engineering"]
    member = await _endorsed_member(area)
    return member, area, await credentials.do_issue_credential(SETTINGS, member, area.id, LEVEL_NAMES)


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _failed_check(verification) -> tuple[str, str]:
    name, passed, message = verification.checks[-1]
    assert not passed
    return name, message


async def test_round_trip_is_valid(skill_areas):
    member, area, token = await _issued(skill_areas)

    verification = await credentials.verify_credential(SETTINGS, token)

    assert verification.is_valid
    assert [name for name, _, _ in verification.checks] == ["Signature", "Issuer", "Validity dates", "Revocation"]
    vc = verification.credential
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = vc["credentialSubject"]["achievement"]
    assert achievement["alignment"][0]["targetName"] == area.name
    assert achievement["alignment"][0]["targetCode"] == "sql-data-engineering:3"
    assert vc["credentialSubject"]["name"] == member.display_name
    assert len(vc["evidence"]) == 2


async def test_header_names_algorithm_and_key(skill_areas):
    _, _, token = await _issued(skill_areas)

    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))

    assert header == {"alg": "ES256", "kid": KEY.thumbprint(), "typ": "JWT"}


async def test_changed_payload_fails_signature(skill_areas):
    _, _, token = await _issued(skill_areas)
    claims = _claims(token)
    claims["vc"]["credentialSubject"]["achievement"]["name"] = "SQL: Expert"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    header, _, signature = token.split(".")

    verification = await credentials.verify_credential(SETTINGS, f"{header}.{forged_payload}.{signature}")

    assert _failed_check(verification)[0] == "Signature"
    assert not verification.is_valid


async def test_other_key_fails_signature(skill_areas):
    _, _, token = await _issued(skill_areas)
    other = ECKey.generate_key("P-256")
    forged = jwt.encode({"alg": "ES256", "kid": KEY.thumbprint()}, _claims(token), other)

    verification = await credentials.verify_credential(SETTINGS, forged)

    assert _failed_check(verification) == (
        "Signature", "The signature is invalid, so the credential was changed or not signed by this site."
    )


async def test_unsigned_token_fails_signature(skill_areas):
    _, _, token = await _issued(skill_areas)
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()

    verification = await credentials.verify_credential(SETTINGS, f"{none_header}.{token.split('.')[1]}.")

    assert _failed_check(verification)[0] == "Signature"


async def test_garbage_fails_signature():
    verification = await credentials.verify_credential(SETTINGS, "not a credential")

    assert _failed_check(verification)[0] == "Signature"


async def test_other_issuer_fails(skill_areas):
    _, _, token = await _issued(skill_areas)
    claims = {**_claims(token), "iss": "https://elsewhere.example.org"}
    forged = jwt.encode({"alg": "ES256", "kid": KEY.thumbprint()}, claims, KEY)

    verification = await credentials.verify_credential(SETTINGS, forged)

    assert _failed_check(verification) == ("Issuer", "Issued by 'https://elsewhere.example.org', not this site.")


async def test_expired_credential_fails(skill_areas):
    _, _, token = await _issued(skill_areas)

    verification = await credentials.verify_credential(SETTINGS, token, now=datetime.now(UTC) + timedelta(days=800))

    name, message = _failed_check(verification)
    assert name == "Validity dates"
    assert message.startswith("The credential expired on ")


async def test_not_yet_valid_credential_fails(skill_areas):
    _, _, token = await _issued(skill_areas)

    verification = await credentials.verify_credential(SETTINGS, token, now=datetime.now(UTC) - timedelta(days=1))

    assert _failed_check(verification) == ("Validity dates", "The credential is not valid yet.")


async def test_revoked_credential_fails(skill_areas):
    member, _, token = await _issued(skill_areas)
    issued = await IssuedCredential.get(member_id=member.id)
    await credentials.do_revoke_credential(member, str(issued.id))

    verification = await credentials.verify_credential(SETTINGS, token)

    name, message = _failed_check(verification)
    assert name == "Revocation"
    assert message.startswith("The member revoked this credential on ")


async def test_unknown_credential_id_fails(skill_areas):
    _, _, token = await _issued(skill_areas)
    claims = {**_claims(token), "jti": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    forged = jwt.encode({"alg": "ES256", "kid": KEY.thumbprint()}, claims, KEY)

    verification = await credentials.verify_credential(SETTINGS, forged)

    assert _failed_check(verification) == ("Revocation", "This site has no record of issuing this credential.")


async def test_no_evidenced_level_refused(skill_areas):
    member = await make_member()

    with pytest.raises(ValidationFailed) as error:
        await credentials.do_issue_credential(SETTINGS, member, skill_areas["python"].id, LEVEL_NAMES)

    assert error.value.errors == {
        "skill_area": "You have no evidenced level in this skill area yet, so it cannot be a credential."
    }


def test_jwks_holds_only_the_public_key():
    keys = credentials.public_jwks(SETTINGS)["keys"]

    assert len(keys) == 1
    assert "d" not in keys[0]
    assert keys[0]["kid"] == KEY.thumbprint()
    assert keys[0]["alg"] == "ES256"


def test_development_key_generated_once(tmp_path, monkeypatch):
    path = tmp_path / "var" / "key.pem"
    monkeypatch.setattr(credentials, "DEV_KEY_PATH", path)
    development = Settings(env="development")

    first = credentials.load_signing_key(development)
    credentials._key_cache.clear()
    second = credentials.load_signing_key(development)

    assert path.stat().st_mode & 0o777 == 0o600
    assert first.thumbprint() == second.thumbprint()


def test_production_without_key_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(credentials, "DEV_KEY_PATH", tmp_path / "key.pem")
    credentials._key_cache.clear()

    with pytest.raises(RuntimeError):
        credentials.load_signing_key(Settings(env="production"))
