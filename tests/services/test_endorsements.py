"""Endorsement rules, each with its message, and the evidenced-level weighting."""

from datetime import UTC, datetime, timedelta

import pytest

from forum.errors import Conflict, Forbidden, NotFound, SignInRequired, ValidationFailed
from forum.services import endorsements
from forum.services.endorsements import EndorsementDraft, WeighedEndorsement, weigh_endorsements
from models import AuditEntry, CpdEntry, Endorsement, EndorsementState, Notification
from tests.factories import make_member, make_organisation, make_reply, make_thread

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _item(level, *, endorser_level=2, relationship="worked_together", evidence="mentorship", days_old=0,
          organisation=None, same_organisation=False, reciprocal=False, key=None):
    return WeighedEndorsement(
        level=level,
        relationship=relationship,
        evidence_kind=evidence,
        created_at=NOW - timedelta(days=days_old),
        endorser_level=endorser_level,
        endorser_organisation_id=organisation,
        same_organisation=same_organisation,
        is_reciprocal=reciprocal,
        key=key,
    )


# (case, endorsements, expected level, expected total weight)
WEIGHTING_CASES = [
    ("one unproven forum observer", [_item(2, endorser_level=None, relationship="saw_in_forum", evidence="post")], 2, 0.24),
    ("two equal weights average", [_item(1), _item(3)], 2, 2.0),
    ("expert endorser outweighs unproven", [_item(3, endorser_level=4), _item(1, endorser_level=None)], 3, 2.0),
    ("two-year-old endorsement counts half", [_item(4, days_old=730), _item(1)], 2, 1.5),
    ("same organisation counts half", [_item(4, same_organisation=True), _item(1)], 2, 1.5),
    ("reciprocal pair counts a quarter", [_item(4, reciprocal=True), _item(1)], 2, 1.25),
    (
        "one organisation cannot outvote many",
        [_item(4, organisation=7), _item(4, organisation=7), _item(4, organisation=7), _item(1, organisation=8), _item(1)],
        2,
        3.833,
    ),
    (
        "mentor attestation weighs most",
        [_item(4, relationship="mentored"), _item(1, relationship="saw_in_forum", evidence="post")],
        3,
        1.73,
    ),
]


@pytest.mark.parametrize(("case", "items", "level", "weight"), WEIGHTING_CASES, ids=[c[0] for c in WEIGHTING_CASES])
def test_weighting_table(case, items, level, weight):
    result = weigh_endorsements(items, NOW)

    assert result.level == level
    assert result.total_weight == pytest.approx(weight, abs=0.001)


def test_weighting_without_endorsements_is_none():
    assert weigh_endorsements([], NOW) is None


def test_weighting_confidence_grows_with_evidence():
    weak = weigh_endorsements([_item(2, endorser_level=None, relationship="saw_in_forum", evidence="post")], NOW)
    strong = weigh_endorsements([_item(2, endorser_level=4, organisation=n) for n in range(4)], NOW)

    assert weak.confidence_label == "low"
    assert strong.confidence_label == "high"


def test_weighting_top_three_heaviest_first():
    items = [_item(2, endorser_level=n, key=n) for n in range(5)]

    assert weigh_endorsements(items, NOW).top_keys == (4, 3, 2)


# Rules --------------------------------------------------------------------------------


def _draft(**fields) -> EndorsementDraft:
    defaults = {
        "skill_area": "",
        "level": "1",
        "relationship": "saw_in_forum",
        "observed_from": "2025-01-01",
        "observed_to": "2025-06-01",
        "statement": "Their answer on cleansing returns data fixed our monthly submission.",
    }
    return EndorsementDraft(**{**defaults, **fields})


async def _evidence(endorser, author=None):
    author = author or await make_member()
    thread = await make_thread()
    post = await make_reply(thread, author=author)
    return await endorsements.access_evidence(endorser, "post", post.id)


async def _endorse(endorser, evidence, skill_areas, slug="data-quality", **fields):
    draft = _draft(skill_area=str(skill_areas[slug].id), **fields)
    return await endorsements.do_endorse(endorser, evidence, draft)


async def _given(endorser, member, skill_area, level, **fields):
    return await Endorsement.create(
        endorser_id=endorser.id, member_id=member.id, skill_area_id=skill_area.id, level=level,
        relationship=fields.pop("relationship", "worked_together"), observed_from=NOW.date(), observed_to=NOW.date(),
        statement="Seen in practice.", evidence_kind="post", evidence_id=1, **fields,
    )


async def test_endorse_from_post_stores_and_notifies(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)

    endorsement = await _endorse(endorser, evidence, skill_areas)

    assert endorsement.member_id == evidence.member.id
    assert endorsement.evidence_kind == "post"
    assert await Notification.filter(member_id=evidence.member.id, kind="endorsement_received").count() == 1
    draft = await CpdEntry.get(member_id=evidence.member.id, source_key=f"endorsement:{endorsement.id}")
    assert draft.is_draft
    assert draft.visibility == "private"


async def test_self_endorsement_refused(skill_areas):
    member = await make_member()
    evidence = await _evidence(member, author=member)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(member, evidence, skill_areas)

    assert error.value.errors == {"member": "You cannot endorse yourself. Ask someone who has seen your work."}


async def test_anonymous_endorsement_refused(skill_areas):
    evidence = await _evidence(None)

    with pytest.raises(SignInRequired):
        await _endorse(None, evidence, skill_areas)


async def test_second_endorsement_within_twelve_months_refused(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)
    await _endorse(endorser, evidence, skill_areas)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas)

    message = error.value.errors["skill_area"]
    assert message.startswith("You have already endorsed this member in this skill area in the last 12 months.")
    assert "again from" in message


async def test_same_member_other_skill_area_allowed(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)
    await _endorse(endorser, evidence, skill_areas)

    second = await _endorse(endorser, evidence, skill_areas, slug="sql-data-engineering")

    assert second.id


async def test_level_above_own_plus_one_refused(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas, level="2")

    assert error.value.errors == {
        "level": "You can endorse at level 1 or below in this skill area, which is one above your own evidenced level (0)."
    }


async def test_level_one_above_own_evidenced_level_allowed(skill_areas):
    endorser = await make_member()
    area = skill_areas["data-quality"]
    for _ in range(2):
        await _given(await make_member(organisation=await make_organisation()), endorser, area, 2)
    evidence = await _evidence(endorser)

    endorsement = await _endorse(endorser, evidence, skill_areas, level="3")

    assert endorsement.level == 3


async def test_expert_only_from_expert(skill_areas):
    endorser = await make_member()
    await _given(await make_member(), endorser, skill_areas["data-quality"], 3)
    evidence = await _evidence(endorser)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas, level="4")

    assert error.value.errors == {
        "level": "Only a member with an evidenced expert level in this skill area can endorse at expert."
    }


async def test_sixth_endorsement_in_a_week_refused(skill_areas):
    endorser = await make_member()
    for _ in range(5):
        await _given(endorser, await make_member(), skill_areas["data-quality"], 1)
    evidence = await _evidence(endorser)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas)

    assert error.value.errors == {
        "statement": "You have given 5 endorsements in the last 7 days, which is the most allowed. Try again next week."
    }


async def test_reciprocal_pair_discounted_and_flagged(skill_areas):
    moderator = await make_member(permission="moderator")
    first, second = await make_member(), await make_member()
    earlier = await _endorse(first, await _evidence(first, author=second), skill_areas)

    later = await _endorse(second, await _evidence(second, author=first), skill_areas)

    assert later.is_reciprocal
    assert (await Endorsement.get(id=earlier.id)).is_reciprocal
    flags = await Notification.filter(member_id=moderator.id, kind="endorsement_reciprocal")
    assert len(flags) == 1


async def test_same_organisation_endorsement_damped(skill_areas):
    organisation = await make_organisation()
    endorser = await make_member(organisation=organisation)
    colleague = await make_member(organisation=organisation)

    endorsement = await _endorse(endorser, await _evidence(endorser, author=colleague), skill_areas)

    assert endorsement.same_organisation


async def test_statement_with_personal_data_refused(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas, statement="They helped the family at SW1A 1AA with the forms.")

    assert "postcode" in error.value.errors["personal_data_confirmed"]


FIELD_CASES = [
    ({"level": "5"}, "level", "Choose a level from awareness to expert."),
    ({"level": ""}, "level", "Choose a level from awareness to expert."),
    ({"relationship": "friends"}, "relationship", "Choose how you know this member's work."),
    ({"observed_from": "last year"}, "observed_from", "Enter the date you started seeing their work, as YYYY-MM-DD."),
    ({"observed_to": ""}, "observed_to", "Enter the date you last saw their work, as YYYY-MM-DD."),
    ({"observed_to": "2099-01-01"}, "observed_to", "The end of the period you observed must be today or in the past."),
    (
        {"observed_from": "2025-07-01"},
        "observed_from",
        "The start of the period you observed must be on or before its end.",
    ),
    ({"statement": "Great."}, "statement", "Write at least 20 characters on what you saw them do."),
    ({"statement": "x" * 2001}, "statement", "Shorten your statement to 2000 characters or fewer. It has 2001."),
]


@pytest.mark.parametrize(("fields", "field", "message"), FIELD_CASES)
async def test_endorsement_field_validation(skill_areas, fields, field, message):
    endorser = await make_member()
    evidence = await _evidence(endorser)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas, **fields)

    assert error.value.errors[field] == message


async def test_unknown_skill_area_refused(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)

    with pytest.raises(ValidationFailed) as error:
        await endorsements.do_endorse(endorser, evidence, _draft(skill_area="99999"))

    assert error.value.errors["skill_area"] == "Choose the skill area you saw this member's work in."


async def test_hidden_post_is_no_evidence():
    endorser = await make_member()
    thread = await make_thread()
    post = await make_reply(thread)
    from models import Post

    await Post.filter(id=post.id).update(is_hidden=True)

    with pytest.raises(NotFound):
        await endorsements.access_evidence(endorser, "post", post.id)


# Withdraw, void, hide -----------------------------------------------------------------


async def test_endorser_withdraws_and_level_drops(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)
    endorsement = await _endorse(endorser, evidence, skill_areas)

    await endorsements.do_withdraw(endorser, endorsement)

    assert (await Endorsement.get(id=endorsement.id)).state == EndorsementState.WITHDRAWN
    assert await endorsements.get_evidenced_level(evidence.member.id, skill_areas["data-quality"].id) is None
    with pytest.raises(Conflict):
        await endorsements.do_withdraw(endorser, endorsement)


async def test_member_cannot_withdraw_or_void(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)
    endorsement = await _endorse(endorser, evidence, skill_areas)

    with pytest.raises(Forbidden):
        await endorsements.do_withdraw(evidence.member, endorsement)
    with pytest.raises(Forbidden):
        await endorsements.do_void(evidence.member, endorsement, "I do not like it")


async def test_moderator_void_is_audited(skill_areas):
    moderator = await make_member(permission="moderator")
    endorser = await make_member()
    endorsement = await _endorse(endorser, await _evidence(endorser), skill_areas)

    await endorsements.do_void(moderator, endorsement, "Traded between two accounts.")

    assert (await Endorsement.get(id=endorsement.id)).state == EndorsementState.VOIDED
    entry = await AuditEntry.get(action="void_endorsement", target_id=endorsement.id)
    assert entry.reason == "Traded between two accounts."
    assert entry.actor_id == moderator.id


async def test_void_needs_a_reason(skill_areas):
    moderator = await make_member(permission="moderator")
    endorser = await make_member()
    endorsement = await _endorse(endorser, await _evidence(endorser), skill_areas)

    with pytest.raises(ValidationFailed) as error:
        await endorsements.do_void(moderator, endorsement, "  ")

    assert error.value.errors == {"reason": "Enter the reason for voiding this endorsement. It is kept in the audit log."}


async def test_member_hides_but_level_still_counts(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)
    endorsement = await _endorse(endorser, evidence, skill_areas)

    await endorsements.do_set_hidden(evidence.member, endorsement, True)

    evidence_list = await endorsements.get_evidenced_levels(evidence.member)
    assert evidence_list[0].result.level == 1
    assert evidence_list[0].top == []
    with pytest.raises(Forbidden):
        await endorsements.do_set_hidden(endorser, endorsement, False)


async def test_mentor_attests_from_completed_mentorship(skill_areas):
    from models import MentorshipState
    from tests.services.test_mentoring import _pair_in

    pair = await _pair_in(MentorshipState.COMPLETED)
    evidence = await endorsements.access_evidence(pair.mentor, "mentorship", pair.mentorship.id)

    endorsement = await _endorse(pair.mentor, evidence, skill_areas, relationship="mentored")

    assert evidence.member.id == pair.mentee.id
    assert endorsement.evidence_kind == "mentorship"


async def test_requested_mentorship_is_no_evidence():
    from models import MentorshipState
    from tests.services.test_mentoring import _pair_in

    pair = await _pair_in(MentorshipState.REQUESTED)

    with pytest.raises(NotFound):
        await endorsements.access_evidence(pair.mentor, "mentorship", pair.mentorship.id)


async def test_mentorship_outsider_cannot_use_it_as_evidence():
    from models import MentorshipState
    from tests.services.test_mentoring import _pair_in

    pair = await _pair_in(MentorshipState.COMPLETED)

    with pytest.raises(NotFound):
        await endorsements.access_evidence(await make_member(), "mentorship", pair.mentorship.id)


async def test_matching_uses_evidenced_level_where_it_exists(skill_areas):
    from forum.services.match_runs import load_mentor_pool
    from tests.factories import make_mentor

    mentor = await make_mentor(levels={"data-quality": 2, "sql-data-engineering": 2})
    await _given(await make_member(), mentor, skill_areas["data-quality"], 3)

    pool = await load_mentor_pool()

    levels = pool.mentor(mentor.id).levels
    assert levels[skill_areas["data-quality"].id] == 3
    assert levels[skill_areas["sql-data-engineering"].id] == 2


# Shared resources as evidence ----------------------------------------------------------


async def _resource_thread(author, **fields):
    return await make_thread(author=author, kind="resource", title=fields.pop("title", "Reading list for new analysts"),
                             body="Statutory guidance worth reading first, and why.", **fields)


async def test_endorse_from_shared_resource(skill_areas):
    sharer, endorser = await make_member(), await make_member()
    thread = await _resource_thread(sharer)
    evidence = await endorsements.access_evidence(endorser, "resource", thread.id)

    endorsement = await _endorse(endorser, evidence, skill_areas)

    assert evidence.member.id == sharer.id
    assert evidence.label == "Resource shared in “Reading list for new analysts”"
    assert (endorsement.evidence_kind, endorsement.evidence_id) == ("resource", thread.id)
    draft = await CpdEntry.get(member_id=sharer.id, source_key=f"endorsement:{endorsement.id}")
    assert draft.is_draft


async def test_resource_opening_post_counts_as_resource():
    sharer = await make_member()
    thread = await _resource_thread(sharer)
    from models import Post

    opening = await Post.get(thread_id=thread.id, number=1)
    evidence = await endorsements.access_evidence(await make_member(), "post", opening.id)

    assert (evidence.kind, evidence.object_id) == ("resource", thread.id)


async def test_question_thread_is_no_resource():
    thread = await make_thread(author=await make_member())

    with pytest.raises(NotFound):
        await endorsements.access_evidence(await make_member(), "resource", thread.id)


async def test_hidden_resource_is_no_evidence():
    from models import Thread

    thread = await _resource_thread(await make_member())
    await Thread.filter(id=thread.id).update(state="hidden")

    with pytest.raises(NotFound):
        await endorsements.access_evidence(await make_member(permission="moderator"), "resource", thread.id)


async def test_unknown_resource_is_no_evidence():
    with pytest.raises(NotFound):
        await endorsements.access_evidence(await make_member(), "resource", 999999)


async def test_own_shared_resource_refused(skill_areas):
    sharer = await make_member()
    evidence = await endorsements.access_evidence(sharer, "resource", (await _resource_thread(sharer)).id)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(sharer, evidence, skill_areas)

    assert error.value.errors == {"member": "You cannot endorse yourself. Ask someone who has seen your work."}


async def test_resource_then_post_within_year_refused(skill_areas):
    sharer, endorser = await make_member(), await make_member()
    resource = await endorsements.access_evidence(endorser, "resource", (await _resource_thread(sharer)).id)
    await _endorse(endorser, resource, skill_areas)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, await _evidence(endorser, author=sharer), skill_areas)

    assert "in the last 12 months" in error.value.errors["skill_area"]


async def test_resource_level_rule_applies(skill_areas):
    endorser = await make_member()
    evidence = await endorsements.access_evidence(endorser, "resource", (await _resource_thread(await make_member())).id)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas, level="3")

    assert error.value.errors == {
        "level": "You can endorse at level 1 or below in this skill area, which is one above your own evidenced level (0)."
    }


def test_resource_evidence_weighs_less_than_post():
    post = weigh_endorsements([_item(2, relationship="saw_in_forum", evidence="post")], NOW)
    resource = weigh_endorsements([_item(2, relationship="saw_in_forum", evidence="resource")], NOW)

    assert post.total_weight == pytest.approx(0.48)
    assert resource.total_weight == pytest.approx(0.42)


# Rules not covered above ---------------------------------------------------------------


async def test_inactive_member_cannot_be_endorsed(skill_areas):
    from models import Member

    endorser = await make_member()
    evidence = await _evidence(endorser)
    await Member.filter(id=evidence.member.id).update(state="suspended")
    evidence.member.state = "suspended"

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas)

    assert error.value.errors == {"member": "This member cannot be endorsed because their account is not active."}


async def test_withdrawn_endorsement_still_blocks_repeat(skill_areas):
    endorser = await make_member()
    evidence = await _evidence(endorser)
    endorsement = await _endorse(endorser, evidence, skill_areas)
    await endorsements.do_withdraw(endorser, endorsement)

    with pytest.raises(ValidationFailed) as error:
        await _endorse(endorser, evidence, skill_areas)

    assert "in the last 12 months" in error.value.errors["skill_area"]


async def test_voided_endorsement_allows_repeat(skill_areas):
    moderator = await make_member(permission="moderator")
    endorser = await make_member()
    evidence = await _evidence(endorser)
    endorsement = await _endorse(endorser, evidence, skill_areas)
    await endorsements.do_void(moderator, endorsement, "Wrong skill area chosen.")

    again = await _endorse(endorser, evidence, skill_areas)

    assert again.state == "active"


async def test_reciprocal_after_sixty_days_not_flagged(skill_areas):
    moderator = await make_member(permission="moderator")
    first, second = await make_member(), await make_member()
    earlier = await _given(first, second, skill_areas["data-quality"], 1)
    await Endorsement.filter(id=earlier.id).update(created_at=datetime.now(UTC) - timedelta(days=61))

    later = await _endorse(second, await _evidence(second, author=first), skill_areas)

    assert not later.is_reciprocal
    assert not (await Endorsement.get(id=earlier.id)).is_reciprocal
    assert await Notification.filter(member_id=moderator.id, kind="endorsement_reciprocal").count() == 0


async def test_other_organisation_not_damped(skill_areas):
    endorser = await make_member(organisation=await make_organisation())
    member = await make_member(organisation=await make_organisation())

    endorsement = await _endorse(endorser, await _evidence(endorser, author=member), skill_areas)

    assert not endorsement.same_organisation
