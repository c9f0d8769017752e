"""Accounts: first sign-in, linking by issuer and subject only, organisations and approval."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from forum.auth.oidc import SIGN_IN_FAILED_MESSAGE, VerifiedSignIn
from forum.auth.providers import load_providers
from forum.errors import Conflict, NotFound
from forum.services import accounts
from forum.services.accounts import (
    EMAIL_IN_USE_MESSAGE,
    IDENTITY_LINKED_ELSEWHERE_MESSAGE,
    REJECTED_MESSAGE,
    ProviderIdentity,
    SignInRejected,
    choose_display_name,
    choose_handle,
    clean_text,
    handle_skeleton,
    normalise_handle,
)
from models import Identity, Member, MemberState
from tests.factories import make_member, make_organisation

ISSUER = "https://login.northmoor.example"


def _identity(subject: str = "subject-1", **changes) -> ProviderIdentity:
    values = {
        "provider": "council",
        "issuer": ISSUER,
        "subject": subject,
        "email": "jo.bloggs@northmoor.gov.uk",
        "email_verified": True,
        "display_name": "Jo Bloggs",
        "handle_hint": "jo.bloggs",
    }
    values.update(changes)
    return ProviderIdentity(**values)


def _config(kind: str = "oidc", **changes):
    entry = {"name": "council", "label": "Council", "kind": kind, "client_id": "forum", "client_secret": "s", **changes}
    if kind == "oidc":
        entry.setdefault("issuer", ISSUER)
    (provider,) = load_providers({"FORUM_OIDC_PROVIDERS": json.dumps([entry])}, production=False)
    return provider


def _verified(**claims) -> VerifiedSignIn:
    return VerifiedSignIn(provider="council", issuer=ISSUER, subject="s", claims={"sub": "s", **claims}, id_token="t")


@pytest.fixture(name="northmoor")
async def _northmoor():
    return await make_organisation(name="Northmoor Council", email_domains=["northmoor.gov.uk"], approved=True)


# Text and handles


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jo\u200bBloggs", "JoBloggs"),
        ("\u202eJo Bloggs", "Jo Bloggs"),
        ("Jo\u2066 Bloggs\u2069", "Jo Bloggs"),
        ("Jo\ufeff Bloggs", "Jo Bloggs"),
        ("Ｊｏ　Ｂｌｏｇｇｓ", "Jo Bloggs"),
        ("Jo\tBloggs\n", "Jo Bloggs"),
        ("Jo \x07Bloggs", "Jo Bloggs"),
        ("  Jo   Bloggs  ", "Jo Bloggs"),
        ("ﬁona", "fiona"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jo.bloggs", "jo.bloggs"),
        ("Jo Bloggs", "jo.bloggs"),
        ("jo.bloggs@northmoor.gov.uk", "jo.bloggs"),
        ("@jo_bloggs", "jo_bloggs"),
        ("Zoë Ångström", "zoe.angstrom"),
        ("ｊｏｈｎ", "john"),
        ("jo\u200bhn", "john"),
        ("\u202ejohn", "john"),
        ("jo..--bloggs", "jo.bloggs"),
        ("--jo--", "jo"),
        ("李雷", ""),
        ("a" * 50, "a" * 30),
    ],
)
def test_normalise_handle(raw, expected):
    assert normalise_handle(raw) == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [("john.smith", "J0hn_Sm1th"), ("mike", "rnike"), ("jo-bloggs", "jobloggs"), ("will", "vvill"), ("alice", "a1ice")],
)
def test_lookalike_handles_share_a_skeleton(first, second):
    assert handle_skeleton(first) == handle_skeleton(second)


@pytest.mark.parametrize(
    ("candidates", "taken", "expected"),
    [
        (["jo.bloggs"], set(), "jo.bloggs"),
        (["jo.bloggs"], {"jo.bloggs"}, "jo.bloggs2"),
        (["jo.bloggs"], {"jo.bloggs", "jo.bloggs2"}, "jo.bloggs3"),
        (["j0.b1oggs"], {"jo.bloggs"}, "j0.b1oggs2"),
        (["admin", "jo.bloggs"], set(), "jo.bloggs"),
        (["Adm1n"], set(), "member2"),
        ([None, "", "李雷"], set(), "member2"),
        (["jo"], set(), "member2"),
        (["a" * 30], {"a" * 30}, "a" * 29 + "2"),
    ],
)
def test_choose_handle(candidates, taken, expected):
    assert choose_handle(candidates, {handle_skeleton(handle) for handle in taken}) == expected


@pytest.mark.parametrize(
    ("display_name", "email_verified", "expected"),
    [
        ("Jo Bloggs", True, "Jo Bloggs"),
        ("joe.marchetti", True, "new.handle"),
        ("@Joe_Marchetti", True, "new.handle"),
        ("Moderator", True, "new.handle"),
        ("Joe Marchetti", True, "Joe Marchetti"),
        (None, True, "Jo Bloggs"),
        (None, False, "new.handle"),
    ],
)
def test_choose_display_name(display_name, email_verified, expected):
    identity = _identity(display_name=display_name, email_verified=email_verified)

    assert choose_display_name(identity, "new.handle", {handle_skeleton("joe.marchetti")}) == expected


# Claims to identity


@pytest.mark.parametrize(
    ("claims", "kind", "config", "verified"),
    [
        ({"email_verified": True}, "oidc", {}, True),
        ({"email_verified": "true"}, "oidc", {}, True),
        ({"email_verified": False}, "oidc", {}, False),
        ({}, "oidc", {}, False),
        ({}, "oidc", {"verified_email_domains": ["northmoor.gov.uk"]}, True),
        ({}, "oidc", {"verified_email_domains": ["eastwick.gov.uk"]}, False),
        ({"xms_edov": True}, "oidc", {}, False),
    ],
)
def test_email_verification_by_provider(claims, kind, config, verified):
    identity = accounts.identity_from_sign_in(_verified(email="Jo.Bloggs@Northmoor.gov.uk", **claims), _config(kind, **config))

    assert identity.email == "jo.bloggs@northmoor.gov.uk"
    assert identity.email_verified is verified


@pytest.mark.parametrize("edov", [True, "1", "true"])
def test_entra_email_verified_by_domain_owner_claim(edov):
    config = _config("entra", tenant="11111111-2222-3333-4444-555555555555")

    identity = accounts.identity_from_sign_in(_verified(email="jo@northmoor.gov.uk", xms_edov=edov), config)

    assert identity.email_verified is True


@pytest.mark.parametrize(
    ("claims", "name_claim", "expected"),
    [
        ({"name": "Jo Bloggs"}, "name", "Jo Bloggs"),
        ({"given_name": "Jo", "family_name": "Bloggs"}, "name", "Jo Bloggs"),
        ({"name": "\u202e\u200b"}, "name", None),
        ({"name": "Jo", "displayName": "Jo B (Data)"}, "displayName", "Jo B (Data)"),
        ({"name": 42}, "name", None),
    ],
)
def test_display_name_from_claims(claims, name_claim, expected):
    identity = accounts.identity_from_sign_in(_verified(**claims), _config(name_claim=name_claim))

    assert identity.display_name == expected


@pytest.mark.parametrize("email", ["not-an-email", "two@@signs", "", 42, "spaces in@x.org"])
def test_invalid_email_claim_is_ignored(email):
    identity = accounts.identity_from_sign_in(_verified(email=email, email_verified=True), _config())

    assert identity.email is None
    assert identity.email_verified is False


# First sign-in


async def test_first_sign_in_from_approved_organisation_is_active(northmoor):
    member = await accounts.do_sign_in_identity(_identity())

    assert member.state == MemberState.ACTIVE
    assert member.organisation_id == northmoor.id
    assert member.email == "jo.bloggs@northmoor.gov.uk"
    assert (member.handle, member.display_name) == ("jo.bloggs", "Jo Bloggs")
    identity = await Identity.get(member_id=member.id)
    assert (identity.issuer, identity.subject, identity.email_seen) == (ISSUER, "subject-1", "jo.bloggs@northmoor.gov.uk")


async def test_first_sign_in_from_unapproved_organisation_is_pending():
    organisation = await make_organisation(email_domains=["kestrelvale.gov.uk"], approved=False)

    member = await accounts.do_sign_in_identity(_identity(email="kim@kestrelvale.gov.uk"))

    assert member.state == MemberState.PENDING
    assert member.organisation_id == organisation.id


async def test_unknown_domain_member_is_pending(northmoor):
    member = await accounts.do_sign_in_identity(_identity(email="kim@unknown.example.org"))

    assert member.state == MemberState.PENDING
    assert member.organisation_id is None


async def test_organisation_matches_whole_domain_only(northmoor):
    subdomain = await accounts.find_organisation("jo@staff.northmoor.gov.uk")
    lookalike = await accounts.find_organisation("jo@evilnorthmoor.gov.uk")
    upper_case = await accounts.find_organisation("jo@northmoor.gov.uk".upper().lower())

    assert subdomain is None
    assert lookalike is None
    assert upper_case.id == northmoor.id


async def test_unverified_email_never_grants_an_organisation(northmoor):
    member = await accounts.do_sign_in_identity(_identity(email_verified=False))

    assert member.state == MemberState.PENDING
    assert member.organisation_id is None
    assert member.email is None
    assert (await Identity.get(member_id=member.id)).email_seen == "jo.bloggs@northmoor.gov.uk"


async def test_taken_verified_email_explains_linking(northmoor):
    existing = await make_member(email="Jo.Bloggs@northmoor.gov.uk".lower())

    with pytest.raises(SignInRejected) as refused:
        await accounts.do_sign_in_identity(_identity(email="JO.BLOGGS@northmoor.gov.uk".lower()))

    assert refused.value.message == EMAIL_IN_USE_MESSAGE
    assert await Identity.filter(member_id=existing.id).count() == 0


async def test_unverified_email_of_existing_member_is_rejected_plainly(northmoor):
    await make_member(email="jo.bloggs@northmoor.gov.uk")

    with pytest.raises(SignInRejected) as refused:
        await accounts.do_sign_in_identity(_identity(email_verified=False))

    assert refused.value.message == SIGN_IN_FAILED_MESSAGE
    assert refused.value.reason == "unverified email matches an existing member"
    assert await Member.all().count() == 1


async def test_lookalike_handle_made_unique(northmoor):
    await make_member(handle="jo.bloggs", email="other@example.org")

    member = await accounts.do_sign_in_identity(_identity(handle_hint="J0_Bloggs"))

    assert member.handle == "j0_bloggs2"


async def test_concurrent_first_sign_ins_make_one_member(northmoor):
    first, second = await asyncio.gather(
        accounts.do_sign_in_identity(_identity()), accounts.do_sign_in_identity(_identity())
    )

    assert first.id == second.id
    assert await Member.all().count() == 1
    assert await Identity.all().count() == 1


# Later sign-ins


async def test_returning_identity_signs_in_the_same_member(northmoor):
    first = await accounts.do_sign_in_identity(_identity())
    await Identity.all().update(last_used_at=datetime.now(UTC) - timedelta(days=3))

    again = await accounts.do_sign_in_identity(_identity(email="jo.b@northmoor.gov.uk", display_name="Someone Else"))

    identity = await Identity.get(member_id=first.id)
    assert again.id == first.id
    assert again.display_name == "Jo Bloggs"
    assert identity.email_seen == "jo.b@northmoor.gov.uk"
    assert identity.last_used_at > datetime.now(UTC) - timedelta(minutes=1)


async def test_same_subject_at_another_issuer_is_another_identity(northmoor):
    first = await accounts.do_sign_in_identity(_identity())

    with pytest.raises(SignInRejected):
        await accounts.do_sign_in_identity(_identity(issuer="https://login.other.example"))

    assert await Identity.filter(member_id=first.id).count() == 1


async def test_pending_member_is_activated_once_organisation_is_approved():
    organisation = await make_organisation(email_domains=["kestrelvale.gov.uk"], approved=False)
    member = await accounts.do_sign_in_identity(_identity(email="kim@kestrelvale.gov.uk"))
    organisation.approved = True
    await organisation.save()

    again = await accounts.do_sign_in_identity(_identity(email="kim@kestrelvale.gov.uk"))

    assert again.id == member.id
    assert again.state == MemberState.ACTIVE
    assert (await Member.get(id=member.id)).state == MemberState.ACTIVE


@pytest.mark.parametrize(
    ("state", "changes", "message"),
    [
        (MemberState.SUSPENDED, {"suspended_until": datetime(2099, 1, 2, 9, 0, tzinfo=UTC), "suspension_reason": "Shared a child's name."},
         "Your account is suspended until 2 January 2099 at 09:00 UTC, so you cannot sign in. The moderators gave this reason: Shared a child's name."),
        (MemberState.SUSPENDED, {}, "Your account is suspended, so you cannot sign in."),
        (MemberState.REJECTED, {}, REJECTED_MESSAGE),
        (MemberState.ERASED, {}, SIGN_IN_FAILED_MESSAGE),
    ],
)
async def test_member_state_refuses_sign_in(state, changes, message):
    member = await make_member(state=state, **changes)
    await Identity.create(member=member, issuer=ISSUER, subject="subject-1", provider="council", last_used_at=datetime.now(UTC))

    with pytest.raises(SignInRejected) as refused:
        await accounts.do_sign_in_identity(_identity())

    assert refused.value.message == message


async def test_ended_suspension_allows_sign_in():
    member = await make_member(state=MemberState.SUSPENDED, suspended_until=datetime.now(UTC) - timedelta(hours=1))
    await Identity.create(member=member, issuer=ISSUER, subject="subject-1", provider="council", last_used_at=datetime.now(UTC))

    signed_in = await accounts.do_sign_in_identity(_identity())

    assert signed_in.id == member.id


# Linking


async def test_link_adds_an_identity_to_the_member():
    member = await make_member()

    await accounts.do_link_identity(member, _identity(subject="second"))

    assert await Identity.filter(member_id=member.id).values_list("subject", flat=True) == ["second"]


async def test_link_of_own_identity_again_is_harmless():
    member = await make_member()
    await accounts.do_link_identity(member, _identity())

    await accounts.do_link_identity(member, _identity())

    assert await Identity.filter(member_id=member.id).count() == 1


async def test_link_of_another_members_identity_is_rejected(northmoor):
    owner = await accounts.do_sign_in_identity(_identity())
    other = await make_member()

    with pytest.raises(SignInRejected) as refused:
        await accounts.do_link_identity(other, _identity())

    assert refused.value.message == IDENTITY_LINKED_ELSEWHERE_MESSAGE
    assert await Identity.filter(member_id=owner.id).count() == 1
    assert await Identity.filter(member_id=other.id).count() == 0


async def test_unlink_keeps_at_least_one_identity():
    member = await make_member()
    first = await accounts.do_link_identity(member, _identity(subject="one"))
    await accounts.do_link_identity(member, _identity(subject="two"))

    await accounts.do_unlink_identity(member, first.id)
    remaining = await Identity.get(member_id=member.id)

    with pytest.raises(Conflict, match="only way to sign in"):
        await accounts.do_unlink_identity(member, remaining.id)


async def test_unlink_of_another_members_identity_is_not_found():
    owner, other = await make_member(), await make_member()
    identity = await accounts.do_link_identity(owner, _identity())
    await accounts.do_link_identity(other, _identity(subject="other"))

    with pytest.raises(NotFound):
        await accounts.do_unlink_identity(other, identity.id)

    assert await Identity.filter(id=identity.id).exists()


async def test_account_page_lists_identities_and_sessions(northmoor):
    member = await accounts.do_sign_in_identity(_identity())
    await accounts.do_link_identity(member, _identity(subject="second", provider="other"))

    page = await accounts.get_account_page(member)

    assert page.organisation.id == northmoor.id
    assert [identity.subject for identity in page.identities] == ["subject-1", "second"]
    assert page.sessions == []


async def test_waiting_page_only_for_pending_members():
    pending = await make_member(state=MemberState.PENDING)
    active = await make_member()

    member, _ = await accounts.get_waiting_member(pending.id)

    assert member.id == pending.id
    with pytest.raises(NotFound):
        await accounts.get_waiting_member(active.id)
