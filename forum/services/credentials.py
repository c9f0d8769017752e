"""Open Badges 3.0 credentials for evidenced levels, signed as JWTs by the site's key.

A credential is an ``OpenBadgeCredential`` (a W3C Verifiable Credential) whose achievement
is aligned to one skill area and level, with the strongest endorsements as evidence. It is
encoded as a JWT (the VC-JWT form that Open Badges 3.0 allows) and signed with ES256.
The public key is published at ``/.well-known/jwks.json``. :func:`verify_credential`
checks a pasted token's signature, issuer, validity dates and revocation.
"""

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from forum.auth.policy import Action, require
from forum.config import Settings
from forum.errors import NotFound, ValidationFailed
from forum.services.endorsements import get_evidenced_levels
from models import IssuedCredential, Member

logger = logging.getLogger(__name__)

ALGORITHM = "ES256"
VALIDITY = timedelta(days=2 * 365)
DEV_KEY_PATH = Path(__file__).resolve().parents[2] / "var" / "credential-signing-key.pem"
CONTEXTS = [
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]

_key_lock = threading.Lock()
_key_cache: dict[str, ECKey] = {}


def load_signing_key(settings: Settings) -> ECKey:
    """Return the site's private key from FORUM_SIGNING_KEY, or the development key in var/.

    Outside production, a missing development key is generated and written with mode 0600.
    """
    with _key_lock:
        cache_key = settings.signing_key or str(DEV_KEY_PATH)
        if cache_key in _key_cache:
            return _key_cache[cache_key]
        if settings.signing_key:
            key = ECKey.import_key(settings.signing_key)
        elif settings.is_production:
            raise RuntimeError("FORUM_SIGNING_KEY is missing, and production does not generate one.")
        elif DEV_KEY_PATH.exists():
            key = ECKey.import_key(DEV_KEY_PATH.read_bytes())
        else:
            key = ECKey.generate_key("P-256")
            DEV_KEY_PATH.parent.mkdir(parents=True, exist_ok=True)
            DEV_KEY_PATH.touch(mode=0o600)
            DEV_KEY_PATH.write_bytes(key.as_pem(private=True))
            logger.info("development signing key generated", extra={"path": str(DEV_KEY_PATH)})
        _key_cache[cache_key] = key
        return key


def public_jwks(settings: Settings) -> dict:
    """Return the JSON Web Key Set that verifiers fetch, holding only the public key."""
    key = load_signing_key(settings)
    public = key.as_dict(private=False)
    return {"keys": [{**public, "kid": key.thumbprint(), "use": "sig", "alg": ALGORITHM}]}


def _issuer(settings: Settings) -> str:
    return settings.base_url


def build_credential(
    settings: Settings, member: Member, credential_id: uuid.UUID, evidence, level_name: str, issued_at: datetime
) -> dict:
    """Build the OpenBadgeCredential for one skill area's evidenced level."""
    area = evidence.skill_area
    base = settings.base_url
    return {
        "@context": CONTEXTS,
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": _issuer(settings), "type": ["Profile"], "name": settings.site_name, "url": base},
        "issuanceDate": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expirationDate": (issued_at + VALIDITY).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "name": f"{area.name}: {level_name}",
        "credentialSubject": {
            "id": f"{base}/members/{member.handle}/skills",
            "type": ["AchievementSubject"],
            "name": member.display_name,
            "achievement": {
                "id": f"{base}/skills/{area.slug}#level-{evidence.result.level}",
                "type": ["Achievement"],
                "achievementType": "Competency",
                "name": f"{area.name}: {level_name}",
                "description": f"An evidenced level of {level_name.lower()} in {area.name}, from endorsements by peers.",
                "criteria": {
                    "narrative": "A weighted consensus of endorsements backed by evidence, each weighted by the "
                    "endorser's own evidenced level, the relationship, the evidence, its age and the "
                    "spread of organisations."
                },
                "alignment": [{
                    "type": ["Alignment"],
                    "targetName": area.name,
                    "targetUrl": f"{base}/skills/{area.slug}",
                    "targetCode": f"{area.slug}:{evidence.result.level}",
                    "targetType": "ceterms:Skill",
                    "targetFramework": settings.site_name,
                }],
            },
            "result": [{"type": ["Result"], "value": level_name}],
        },
        "evidence": [
            {
                "id": f"{base}/endorsements/{endorsement.id}",
                "type": ["Evidence"],
                "name": f"Endorsement by {endorsement.endorser.display_name}",
                "narrative": endorsement.statement,
            }
            for endorsement in evidence.top
        ],
    }


async def do_issue_credential(
    settings: Settings, member: Member, skill_area_id: int, level_names: dict[int, str], *, now: datetime | None = None
) -> str:
    """Sign a credential for the member's evidenced level in one skill area and return the JWT.

    :raises ValidationFailed: when the member has no evidenced level in that area.
    """
    require(member, Action.ISSUE_CREDENTIAL)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    evidence = next(
        (item for item in await get_evidenced_levels(member, now=now) if item.skill_area.id == skill_area_id), None
    )
    if evidence is None:
        raise ValidationFailed({"skill_area": "You have no evidenced level in this skill area yet, so it cannot be a credential."})

    credential_id = uuid.uuid4()
    level_name = level_names.get(evidence.result.level, str(evidence.result.level))
    credential = build_credential(settings, member, credential_id, evidence, level_name, now)
    key = load_signing_key(settings)
    claims = {
        "iss": _issuer(settings),
        "sub": credential["credentialSubject"]["id"],
        "jti": credential["id"],
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + VALIDITY).timestamp()),
        "vc": credential,
    }
    token = jwt.encode({"alg": ALGORITHM, "kid": key.thumbprint(), "typ": "JWT"}, claims, key, algorithms=[ALGORITHM])
    await IssuedCredential.create(
        id=credential_id,
        member_id=member.id,
        skill_area_id=skill_area_id,
        level=evidence.result.level,
        issued_at=now,
        expires_at=now + VALIDITY,
    )
    logger.info("credential issued", extra={"credential_id": str(credential_id), "member_id": member.id})
    return token


async def do_revoke_credential(member: Member, credential_id: str, *, now: datetime | None = None) -> None:
    """Revoke one of the member's own credentials, so verification reports it revoked."""
    require(member, Action.ISSUE_CREDENTIAL)
    try:
        parsed = uuid.UUID(credential_id)
    except ValueError:
        raise NotFound() from None
    updated = await IssuedCredential.filter(id=parsed, member_id=member.id, revoked_at__isnull=True).update(
        revoked_at=now or datetime.now(UTC)
    )
    if not updated:
        raise NotFound()
    logger.info("credential revoked", extra={"credential_id": credential_id, "member_id": member.id})


async def list_credentials(member: Member) -> list[IssuedCredential]:
    return await IssuedCredential.filter(member_id=member.id).select_related("skill_area")


@dataclass
class Verification:
    """The outcome of checking a pasted credential: one line per check, in order."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    credential: dict | None = None

    @property
    def is_valid(self) -> bool:
        return bool(self.checks) and all(passed for _, passed, _ in self.checks)

    def add(self, name: str, passed: bool, message: str) -> bool:
        self.checks.append((name, passed, message))
        return passed


async def verify_credential(settings: Settings, token: str, *, now: datetime | None = None) -> Verification:
    """Check a credential's signature, issuer, validity dates and revocation, in that order.

    Stops at the first failed check, because later checks would read unverified claims.
    """
    now = now or datetime.now(UTC)
    result = Verification()
    token = "".join(token.split())
    key_set = KeySet.import_key_set(public_jwks(settings))
    try:
        decoded = jwt.decode(token, key_set, algorithms=[ALGORITHM])
    except (JoseError, ValueError) as error:
        logger.info("credential signature check failed", extra={"error": type(error).__name__})
        result.add("Signature", False, "The signature is invalid, so the credential was changed or not signed by this site.")
        return result
    result.add("Signature", True, "Signed with this site's key.")

    claims = decoded.claims
    issuer = claims.get("iss")
    vc = claims.get("vc") if isinstance(claims.get("vc"), dict) else {}
    vc_issuer = vc.get("issuer", {}).get("id") if isinstance(vc.get("issuer"), dict) else None
    if not result.add(
        "Issuer",
        issuer == _issuer(settings) and vc_issuer == issuer,
        f"Issued by {settings.site_name}." if issuer == _issuer(settings) else f"Issued by {issuer!r}, not this site.",
    ):
        return result

    timestamp = now.timestamp()
    not_before, expires = claims.get("nbf"), claims.get("exp")
    if not isinstance(not_before, int) or not isinstance(expires, int):
        result.add("Validity dates", False, "The credential has no validity dates.")
        return result
    if timestamp < not_before:
        result.add("Validity dates", False, "The credential is not valid yet.")
        return result
    if timestamp >= expires:
        ended = datetime.fromtimestamp(expires, UTC)
        result.add("Validity dates", False, f"The credential expired on {ended:%-d %B %Y}.")
        return result
    result.add("Validity dates", True, f"Valid until {datetime.fromtimestamp(expires, UTC):%-d %B %Y}.")

    jti = str(claims.get("jti", ""))
    try:
        credential_id = uuid.UUID(jti.removeprefix("urn:uuid:"))
    except ValueError:
        credential_id = None
    issued = await IssuedCredential.filter(id=credential_id).first() if credential_id else None
    if issued is None:
        result.add("Revocation", False, "This site has no record of issuing this credential.")
        return result
    if issued.revoked_at is not None:
        result.add("Revocation", False, f"The member revoked this credential on {issued.revoked_at:%-d %B %Y}.")
        return result
    result.add("Revocation", True, "Not revoked.")
    result.credential = vc
    return result
