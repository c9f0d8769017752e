"""Members' accounts: first sign-in, linked identities, organisations and approval.

An identity at an OpenID provider is matched only by its issuer and subject. An email
address never links an identity to an existing member. When a new identity brings a
verified address that a member already has, the sign-in is rejected with a message that
explains how to link. When the address is unverified, it is rejected with the plain
failure message. New members take their name and email address from the provider's
claims, and their organisation from the domain of a verified address. Members from an
approved organisation start active, and everyone else waits for approval.
"""

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.auth.oidc import SIGN_IN_FAILED_MESSAGE, VerifiedSignIn
from forum.auth.policy import Action, require
from forum.auth.providers import ProviderConfig
from forum.auth.sessions import list_live_sessions, may_hold_session
from forum.errors import Conflict, ForumError, NotFound
from models import Identity, Member, MemberState, Organisation, WebSession

logger = logging.getLogger(__name__)

HANDLE_MIN_LENGTH = 3
HANDLE_MAX_LENGTH = 30
DISPLAY_NAME_MAX_LENGTH = 120
# Handles that would look like the forum speaking, rejected whatever their spelling.
RESERVED_HANDLES = frozenset(
    {
        "admin", "administrator", "moderator", "mod", "support", "help", "forum", "system",
        "root", "staff", "centre", "center", "security", "official", "anonymous", "deleted",
        "member", "members", "everyone", "here", "null", "none",
    }
)
EMAIL_IN_USE_MESSAGE = (
    "An account with your email address already exists. Sign in the way you signed in "
    "before, then link this sign-in from your account page."
)
IDENTITY_LINKED_ELSEWHERE_MESSAGE = (
    "That account is already linked to another member of the forum. Sign out and sign in "
    "with it to use that membership."
)
REJECTED_MESSAGE = (
    "Your request to join the forum was not approved. If you think this is a mistake, "
    "contact the forum's administrators."
)

# Zero-width characters and bidirectional controls, which can make two different names
# look the same or reverse how the rest of a line reads.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
        "\u2069\u3164\ufeff\uffa0",
    )
)
# Characters that look alike in handles, mapped to one spelling for comparison only.
_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s"})
_HANDLE_SEPARATORS = re.compile(r"[._-]+")
_NOT_HANDLE = re.compile(r"[^a-z0-9._-]+")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")


class SignInRejected(ForumError):
    """Raised when a completed sign-in may not go on to a session.

    ``message`` is for the member; ``reason`` is for the warning log.
    """

    status = 403
    code = "sign_in_rejected"
    default_message = SIGN_IN_FAILED_MESSAGE

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ProviderIdentity:
    """Name, handle hint and email address taken from a verified sign-in."""

    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    display_name: str | None
    handle_hint: str | None


@dataclass(frozen=True)
class AccountPage:
    member: Member
    organisation: Organisation | None
    identities: list[Identity]
    sessions: list[WebSession]


# Claims


def identity_from_sign_in(verified: VerifiedSignIn, config: ProviderConfig) -> ProviderIdentity:
    """Read the name, handle and email address from checked claims, by the provider's rules."""
    claims = verified.claims
    email = _clean_email(claims.get("email"))
    display_name = _claim_text(claims, config.name_claim)
    if display_name is None:
        parts = [_claim_text(claims, "given_name"), _claim_text(claims, "family_name")]
        display_name = " ".join(part for part in parts if part) or None
    return ProviderIdentity(
        provider=verified.provider,
        issuer=verified.issuer,
        subject=verified.subject,
        email=email,
        email_verified=email is not None and _is_email_verified(claims, email, config),
        display_name=display_name,
        handle_hint=_claim_text(claims, config.handle_claim),
    )


def _is_email_verified(claims: Mapping[str, Any], email: str, config: ProviderConfig) -> bool:
    if _is_true(claims.get("email_verified")):
        return True
    # Entra ID sends no email_verified. Its optional xms_edov claim is true when the
    # tenant has verified that it owns the address's domain.
    if config.kind == "entra" and _is_true(claims.get("xms_edov")):
        return True
    return email.rpartition("@")[2] in config.verified_email_domains


def _is_true(value: Any) -> bool:
    return value is True or value == 1 or (isinstance(value, str) and value.lower() in {"true", "1"})


def _claim_text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if not isinstance(value, str):
        return None
    return clean_text(value) or None


def _clean_email(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    email = unicodedata.normalize("NFKC", value).translate(_INVISIBLE).strip().lower()
    return email if _EMAIL.match(email) else None


# Names and handles


def clean_text(value: str, max_length: int = DISPLAY_NAME_MAX_LENGTH) -> str:
    """Normalise text from a provider: NFKC, no invisible or control characters, single spaces."""
    text = unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
    text = "".join(
        " " if character.isspace() else character
        for character in text
        if character.isspace() or unicodedata.category(character) not in {"Cc", "Cf", "Co", "Cs", "Cn"}
    )
    return " ".join(text.split())[:max_length].strip()


def normalise_handle(value: str) -> str:
    """Turn any text into handle form: lower-case ASCII letters, digits, dots, hyphens and underscores.

    Returns an empty string when nothing usable is left.
    """
    text = clean_text(value).lower()
    text = text.rpartition("@")[0] if "@" in text[1:] else text.lstrip("@")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    handle = _NOT_HANDLE.sub("-", ascii_text.replace(" ", "."))
    handle = re.sub(r"([._-])[._-]+", r"\1", handle).strip("._-")
    return handle[:HANDLE_MAX_LENGTH].rstrip("._-")


def handle_skeleton(handle: str) -> str:
    """Return the form two handles share when they look alike (case, separators, 0/o, 1/l/i, rn/m)."""
    text = _HANDLE_SEPARATORS.sub("", handle.casefold()).translate(_LOOKALIKES)
    return text.replace("rn", "m").replace("vv", "w")


def _reserved(skeleton: str) -> bool:
    return skeleton in _RESERVED_SKELETONS


_RESERVED_SKELETONS = frozenset(handle_skeleton(handle) for handle in RESERVED_HANDLES)


def choose_handle(candidates: list[str | None], taken_skeletons: set[str]) -> str:
    """Pick a handle from the first usable candidate, made unique against ``taken_skeletons``.

    A candidate that looks like a reserved word is skipped. One that looks like an existing
    handle gets the lowest number, from 2, that makes it unique.
    """
    base = "member"
    for candidate in candidates:
        handle = normalise_handle(candidate or "")
        if len(handle) >= HANDLE_MIN_LENGTH and not _reserved(handle_skeleton(handle)):
            base = handle
            break

    if handle_skeleton(base) not in taken_skeletons and not _reserved(handle_skeleton(base)):
        return base
    number = 2
    while True:
        suffix = str(number)
        handle = base[: HANDLE_MAX_LENGTH - len(suffix)].rstrip("._-") + suffix
        if handle_skeleton(handle) not in taken_skeletons:
            return handle
        number += 1


def choose_display_name(identity: ProviderIdentity, handle: str, taken_skeletons: set[str]) -> str:
    """Return the claimed name, or the handle when there is none or it poses as a handle.

    A name written like a handle (one word, perhaps starting with @) that looks like an
    existing handle or a reserved word is replaced, so that no member can pose as another.
    """
    name = identity.display_name
    if name is None and identity.email and identity.email_verified:
        name = clean_text(identity.email.partition("@")[0].replace(".", " ").replace("_", " ")).title()
    if not name:
        return handle

    if " " not in name.strip():
        skeleton = handle_skeleton(normalise_handle(name))
        if skeleton in taken_skeletons or _reserved(skeleton):
            return handle
    return name


async def _taken_handle_skeletons() -> set[str]:
    # NOTE: reads every handle, because a look-alike match cannot be written in SQL. A
    # first sign-in is rare, but past about 100,000 members a stored skeleton column
    # would be the better design.
    handles = await Member.all().values_list("handle", flat=True)
    return {handle_skeleton(handle) for handle in handles}


# Organisations


async def find_organisation(email: str | None) -> Organisation | None:
    """Return the organisation that lists the email address's domain, if any."""
    if not email:
        return None
    domain = email.rpartition("@")[2]
    # Organisations number in the hundreds, and their domains are a JSON list, so the
    # match runs here rather than in SQL.
    for organisation in await Organisation.all():
        if domain in {item.lower() for item in organisation.email_domains or []}:
            return organisation
    return None


# Sign-in


async def do_sign_in_identity(identity: ProviderIdentity) -> Member:
    """Return the member for a verified identity, creating one on first sign-in.

    :raises SignInRejected: when the identity is new and its email address belongs to a
        member, or when the member's state does not allow signing in. A verified address
        gets a message that explains linking, and an unverified one the plain failure.
    """
    linked = await Identity.filter(issuer=identity.issuer, subject=identity.subject).select_related("member").first()
    if linked is not None:
        return await _sign_in_linked(linked, identity)

    if identity.email is not None and await Member.filter(email__iexact=identity.email).exists():
        # The member may be this identity's own, made by a sign-in that committed between
        # the two queries (a double click on the provider's consent page does it).
        linked = await Identity.filter(issuer=identity.issuer, subject=identity.subject).select_related("member").first()
        if linked is not None:
            return await _sign_in_linked(linked, identity)
        if identity.email_verified:
            raise SignInRejected("verified email belongs to a member without this identity", EMAIL_IN_USE_MESSAGE)
        raise SignInRejected("unverified email matches an existing member")

    return await _create_member(identity)


async def _sign_in_linked(linked: Identity, identity: ProviderIdentity) -> Member:
    check_member_may_sign_in(linked.member)
    await _record_use(linked, identity)
    return await _activate_if_approved(linked.member, identity)


def check_member_may_sign_in(member: Member) -> None:
    """Raise SignInRejected unless the member's state lets them sign in (pending does)."""
    if may_hold_session(member):
        return
    if member.state == MemberState.SUSPENDED:
        raise SignInRejected("member is suspended", _suspended_message(member))
    if member.state == MemberState.REJECTED:
        raise SignInRejected("member was rejected", REJECTED_MESSAGE)
    raise SignInRejected(f"member state is {member.state}")


def _suspended_message(member: Member) -> str:
    until = ""
    if member.suspended_until is not None:
        until = " until " + member.suspended_until.astimezone(UTC).strftime("%-d %B %Y at %H:%M UTC")
    message = f"Your account is suspended{until}, so you cannot sign in."
    if member.suspension_reason:
        message += f" The moderators gave this reason: {member.suspension_reason}"
    return message


async def _record_use(linked: Identity, identity: ProviderIdentity) -> None:
    await Identity.filter(id=linked.id).update(
        last_used_at=datetime.now(UTC),
        email_seen=identity.email,
        email_verified=identity.email_verified,
        provider=identity.provider,
    )


async def _activate_if_approved(member: Member, identity: ProviderIdentity) -> Member:
    """Activate a pending member whose verified address now belongs to an approved organisation."""
    if member.state != MemberState.PENDING or not identity.email_verified:
        return member

    organisation = await find_organisation(identity.email)
    if organisation is None or not organisation.approved:
        return member
    if member.organisation_id not in (None, organisation.id):
        return member

    updated = await Member.filter(id=member.id, state=MemberState.PENDING).update(
        state=MemberState.ACTIVE, organisation_id=organisation.id
    )
    if updated:
        member.state, member.organisation_id = MemberState.ACTIVE, organisation.id
        logger.info(
            "pending member activated by approved organisation",
            extra={"member_id": member.id, "organisation_id": organisation.id},
        )
    return member


async def _create_member(identity: ProviderIdentity) -> Member:
    organisation = await find_organisation(identity.email) if identity.email_verified else None
    approved = organisation is not None and organisation.approved
    now = datetime.now(UTC)

    for _attempt in range(3):
        taken = await _taken_handle_skeletons()
        handle = choose_handle([identity.handle_hint, identity.email, identity.display_name], taken)
        try:
            async with in_transaction():
                member = await Member.create(
                    handle=handle,
                    display_name=choose_display_name(identity, handle, taken),
                    email=identity.email if identity.email_verified else None,
                    organisation=organisation,
                    state=MemberState.ACTIVE if approved else MemberState.PENDING,
                )
                await Identity.create(
                    member=member,
                    issuer=identity.issuer,
                    subject=identity.subject,
                    provider=identity.provider,
                    email_seen=identity.email,
                    email_verified=identity.email_verified,
                    last_used_at=now,
                )
        except IntegrityError:
            # Another request took the handle or the email address, or completed the same
            # first sign-in, between the checks and the insert.
            linked = await Identity.filter(issuer=identity.issuer, subject=identity.subject).select_related("member").first()
            if linked is not None:
                check_member_may_sign_in(linked.member)
                return linked.member
            if identity.email and await Member.filter(email__iexact=identity.email).exists():
                raise SignInRejected("email address was taken during first sign-in", EMAIL_IN_USE_MESSAGE) from None
            continue

        logger.info(
            "member created at first sign-in",
            extra={
                "member_id": member.id,
                "provider": identity.provider,
                "state": member.state,
                "organisation_id": organisation.id if organisation else None,
            },
        )
        return member
    raise SignInRejected("could not choose a unique handle")


# Linking


async def do_link_identity(member: Member, identity: ProviderIdentity) -> Identity:
    """Link a verified identity to a signed-in member.

    :raises SignInRejected: when the identity already belongs to another member.
    """
    require(member, Action.MANAGE_OWN_ACCOUNT, member)
    linked = await Identity.filter(issuer=identity.issuer, subject=identity.subject).first()
    if linked is not None:
        if linked.member_id != member.id:
            raise SignInRejected("identity is linked to another member", IDENTITY_LINKED_ELSEWHERE_MESSAGE)
        await _record_use(linked, identity)
        return linked

    try:
        created = await Identity.create(
            member=member,
            issuer=identity.issuer,
            subject=identity.subject,
            provider=identity.provider,
            email_seen=identity.email,
            email_verified=identity.email_verified,
            last_used_at=datetime.now(UTC),
        )
    except IntegrityError:
        raise SignInRejected("identity was linked to a member concurrently", IDENTITY_LINKED_ELSEWHERE_MESSAGE) from None
    logger.info("identity linked", extra={"member_id": member.id, "provider": identity.provider})
    return created


async def do_unlink_identity(member: Member, identity_id: int) -> None:
    """Remove one of the member's identities, keeping at least one.

    :raises NotFound: when the member has no identity with that id.
    :raises Conflict: when it is the member's only identity.
    """
    require(member, Action.MANAGE_OWN_ACCOUNT, member)
    identities = await Identity.filter(member_id=member.id).values_list("id", flat=True)
    if identity_id not in identities:
        raise NotFound()
    if len(identities) == 1:
        raise Conflict("You cannot remove your only way to sign in. Link another account first.")

    await Identity.filter(id=identity_id, member_id=member.id).delete()
    logger.info("identity unlinked", extra={"member_id": member.id, "identity_id": identity_id})


# Pages


async def get_account_page(member: Member) -> AccountPage:
    """Return what the member's account page shows, in a fixed number of queries."""
    require(member, Action.MANAGE_OWN_ACCOUNT, member)
    organisation = None
    if member.organisation_id is not None:
        organisation = await Organisation.filter(id=member.organisation_id).first()
    identities = await Identity.filter(member_id=member.id).order_by("created_at", "id")
    sessions = await list_live_sessions(member.id)
    return AccountPage(member=member, organisation=organisation, identities=identities, sessions=sessions)


async def get_waiting_member(member_id: int) -> tuple[Member, Organisation | None]:
    """Return a pending member and their organisation for the waiting page.

    :raises NotFound: when the member does not exist or is no longer pending.
    """
    member = await Member.filter(id=member_id, state=MemberState.PENDING).select_related("organisation").first()
    if member is None:
        raise NotFound()
    return member, member.organisation
