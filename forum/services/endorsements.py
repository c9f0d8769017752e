"""Endorsements and the evidenced level they add up to.

An endorsement starts from evidence (a post by the member, a resource the member shared
in a resource thread, or a mentorship of the pair) and must pass every rule in :func:`check_fields` and :func:`check_rules`. Reciprocal pairs and endorsements
from the member's own organisation are accepted but count for less in
:func:`weigh_endorsements`, which turns endorsements into an evidenced level.
"""

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import Conflict, NotFound, ValidationFailed
from forum.services.audit import do_audit
from forum.services.notifications import do_notify
from forum.services.privacy import check_personal_data
from models import (
    Endorsement,
    EndorsementRelationship,
    EndorsementState,
    EvidenceKind,
    Member,
    MemberPermission,
    MemberState,
    Mentorship,
    MentorshipState,
    Post,
    SkillArea,
    ThreadKind,
    ThreadState,
)

logger = logging.getLogger(__name__)

EXPERT = 4
REPEAT_WINDOW = timedelta(days=365)
RECIPROCAL_WINDOW = timedelta(days=60)
WEEKLY_LIMIT = 5
STATEMENT_MIN = 20
STATEMENT_MAX = 2000
HALF_LIFE_DAYS = 730
# A mentorship is evidence once the pair has agreed to work together.
MENTORSHIP_EVIDENCE_STATES = (
    MentorshipState.AGREED,
    MentorshipState.ACTIVE,
    MentorshipState.EXTENDED,
    MentorshipState.COMPLETED,
)

RELATIONSHIP_LABELS = {
    EndorsementRelationship.WORKED_TOGETHER: "We worked together",
    EndorsementRelationship.MENTORED: "I mentored them",
    EndorsementRelationship.REVIEWED_WORK: "I reviewed their work",
    EndorsementRelationship.SAW_IN_FORUM: "I saw their work in the forum",
}

# Weights for the endorser's relationship to the work, and for the strength of the evidence.
RELATIONSHIP_WEIGHTS = {
    EndorsementRelationship.WORKED_TOGETHER: 1.0,
    EndorsementRelationship.MENTORED: 1.0,
    EndorsementRelationship.REVIEWED_WORK: 0.9,
    EndorsementRelationship.SAW_IN_FORUM: 0.6,
}
EVIDENCE_WEIGHTS = {EvidenceKind.MENTORSHIP: 1.0, EvidenceKind.POST: 0.8, EvidenceKind.RESOURCE: 0.7}
# A mentor's endorsement backed by the mentorship itself is the mentor's attestation.
ATTESTATION_FACTOR = 1.25
SAME_ORGANISATION_FACTOR = 0.5
RECIPROCAL_FACTOR = 0.25


# Weighting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeighedEndorsement:
    """The fields of one active endorsement that the weighting reads."""

    level: int
    relationship: str
    evidence_kind: str
    created_at: datetime
    # The endorser's own evidenced level in the same skill area, None without one.
    endorser_level: int | None = None
    # None when the endorser belongs to no organisation: each such endorser counts apart.
    endorser_organisation_id: int | None = None
    same_organisation: bool = False
    is_reciprocal: bool = False
    key: object = None


@dataclass(frozen=True)
class EvidencedLevel:
    level: int
    # 0 to 1, growing with the total weight of the evidence.
    confidence: float
    total_weight: float
    # The keys of the three endorsements that weigh most, heaviest first.
    top_keys: tuple = ()

    @property
    def confidence_label(self) -> str:
        if self.confidence >= 0.6:
            return "high"
        if self.confidence >= 0.35:
            return "medium"
        return "low"


def endorsement_weight(item: WeighedEndorsement, now: datetime) -> float:
    """Return one endorsement's weight before the organisation-diversity step."""
    endorser_level = item.endorser_level or 0
    weight = 0.5 + 0.25 * endorser_level
    weight *= RELATIONSHIP_WEIGHTS[EndorsementRelationship(item.relationship)]
    weight *= EVIDENCE_WEIGHTS[EvidenceKind(item.evidence_kind)]
    if item.relationship == EndorsementRelationship.MENTORED and item.evidence_kind == EvidenceKind.MENTORSHIP:
        weight *= ATTESTATION_FACTOR
    age_days = max((now - item.created_at).total_seconds() / 86400, 0.0)
    weight *= 0.5 ** (age_days / HALF_LIFE_DAYS)
    if item.same_organisation:
        weight *= SAME_ORGANISATION_FACTOR
    if item.is_reciprocal:
        weight *= RECIPROCAL_FACTOR
    return weight


def weigh_endorsements(items: list[WeighedEndorsement], now: datetime) -> EvidencedLevel | None:
    """Combine endorsements into one level, or None when there are none.

    The level is the weighted mean of the levels, rounded half up. Within one endorser
    organisation the n-th heaviest endorsement counts 1/n, so that ten colleagues from
    one council weigh less than ten people from ten organisations.
    """
    if not items:
        return None

    by_organisation: dict[object, list[tuple[float, WeighedEndorsement]]] = defaultdict(list)
    for index, item in enumerate(items):
        group = item.endorser_organisation_id if item.endorser_organisation_id is not None else ("none", index)
        by_organisation[group].append((endorsement_weight(item, now), item))

    weighted: list[tuple[float, WeighedEndorsement]] = []
    for group in by_organisation.values():
        group.sort(key=lambda pair: pair[0], reverse=True)
        weighted.extend((weight / rank, item) for rank, (weight, item) in enumerate(group, start=1))

    total = sum(weight for weight, _ in weighted)
    if total <= 0:
        return None
    mean = sum(weight * item.level for weight, item in weighted) / total
    level = min(EXPERT, math.floor(mean + 0.5))
    confidence = round(1 - math.exp(-total / 2), 2)
    heaviest = sorted(weighted, key=lambda pair: pair[0], reverse=True)[:3]
    return EvidencedLevel(
        level=level,
        confidence=confidence,
        total_weight=round(total, 3),
        top_keys=tuple(item.key for _, item in heaviest),
    )


async def _raw_levels(member_ids: list[int], skill_area_id: int | None, now: datetime) -> dict[tuple[int, int], EvidencedLevel]:
    """Evidenced levels that treat every endorser as unproven, one query.

    Used for the endorsers' own levels, which keeps the weighting from recursing.
    """
    query = Endorsement.filter(member_id__in=member_ids, state=EndorsementState.ACTIVE)
    if skill_area_id is not None:
        query = query.filter(skill_area_id=skill_area_id)
    rows = await query.select_related("endorser")
    grouped: dict[tuple[int, int], list[WeighedEndorsement]] = defaultdict(list)
    for row in rows:
        grouped[(row.member_id, row.skill_area_id)].append(_weighed(row, None))
    return {key: result for key, items in grouped.items() if (result := weigh_endorsements(items, now))}


def _weighed(row: Endorsement, endorser_level: int | None) -> WeighedEndorsement:
    return WeighedEndorsement(
        level=row.level,
        relationship=row.relationship,
        evidence_kind=row.evidence_kind,
        created_at=row.created_at,
        endorser_level=endorser_level,
        endorser_organisation_id=row.endorser.organisation_id,
        same_organisation=row.same_organisation,
        is_reciprocal=row.is_reciprocal,
        key=row.id,
    )


@dataclass
class SkillEvidence:
    """A member's evidenced level in one skill area, with the endorsements behind it."""

    skill_area: SkillArea
    result: EvidencedLevel
    top: list[Endorsement] = field(default_factory=list)


async def get_evidenced_levels(member: Member, *, now: datetime | None = None) -> list[SkillEvidence]:
    """Return the member's evidenced level in every skill area they have endorsements in.

    Runs three queries whatever the number of endorsements.
    """
    now = now or datetime.now(UTC)
    rows = await Endorsement.filter(member_id=member.id, state=EndorsementState.ACTIVE).select_related(
        "endorser", "skill_area"
    )
    if not rows:
        return []
    endorser_ids = sorted({row.endorser_id for row in rows})
    endorser_levels = await _raw_levels(endorser_ids, None, now)

    grouped: dict[int, list[Endorsement]] = defaultdict(list)
    for row in rows:
        grouped[row.skill_area_id].append(row)

    evidence = []
    for rows_in_area in grouped.values():
        items = []
        for row in rows_in_area:
            own = endorser_levels.get((row.endorser_id, row.skill_area_id))
            items.append(_weighed(row, own.level if own else None))
        result = weigh_endorsements(items, now)
        if result is None:
            continue
        by_id = {row.id: row for row in rows_in_area}
        top = [by_id[key] for key in result.top_keys if not by_id[key].hidden_by_member]
        evidence.append(SkillEvidence(skill_area=rows_in_area[0].skill_area, result=result, top=top))
    evidence.sort(key=lambda item: (item.skill_area.position, item.skill_area.name))
    return evidence


async def get_evidenced_level_map(
    member_ids: list[int], *, skill_area_id: int | None = None, now: datetime | None = None
) -> dict[tuple[int, int], int]:
    """Return evidenced levels keyed by (member id, skill area id), in two queries.

    Pairs without active endorsements are absent. The matching engine and the
    endorsement rules call this.
    """
    now = now or datetime.now(UTC)
    query = Endorsement.filter(member_id__in=member_ids, state=EndorsementState.ACTIVE)
    if skill_area_id is not None:
        query = query.filter(skill_area_id=skill_area_id)
    rows = await query.select_related("endorser")
    if not rows:
        return {}
    endorser_levels = await _raw_levels(sorted({row.endorser_id for row in rows}), skill_area_id, now)
    grouped: dict[tuple[int, int], list[WeighedEndorsement]] = defaultdict(list)
    for row in rows:
        own = endorser_levels.get((row.endorser_id, row.skill_area_id))
        grouped[(row.member_id, row.skill_area_id)].append(_weighed(row, own.level if own else None))
    return {key: result.level for key, items in grouped.items() if (result := weigh_endorsements(items, now))}


async def get_evidenced_level(member_id: int, skill_area_id: int, *, now: datetime | None = None) -> int | None:
    """Return one member's evidenced level in one skill area, or None without endorsements."""
    levels = await get_evidenced_level_map([member_id], skill_area_id=skill_area_id, now=now)
    return levels.get((member_id, skill_area_id))


# Evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """The post, shared resource or mentorship an endorsement starts from, and the member it is about."""

    kind: EvidenceKind
    object_id: int
    member: Member
    label: str
    url: str


async def access_evidence(endorser: Member | None, kind: str, object_id: int) -> Evidence:
    """Return the evidence an endorser may endorse from, or raise NotFound.

    A post must be visible to everyone. A shared resource is a thread of the resource
    kind, named by its thread id, and is about the member who opened it. Its opening post
    is always treated as that resource, so one observation has one kind of evidence and
    one weight. A mentorship must have the endorser in the pair and have reached agreement.
    """
    from forum.services import browsing

    if kind == EvidenceKind.RESOURCE:
        opening_ids = await Post.filter(thread_id=object_id, number=1).values_list("id", flat=True)
        if not opening_ids:
            raise NotFound()
        return _shared_resource(await browsing.access_post(endorser, opening_ids[0]))
    if kind == EvidenceKind.POST:
        post = await browsing.access_post(endorser, object_id)
        if post.is_hidden or post.held_for_review or post.author is None:
            raise NotFound()
        if post.number == 1 and post.thread.kind == ThreadKind.RESOURCE:
            return _shared_resource(post)
        return Evidence(
            kind=EvidenceKind.POST,
            object_id=post.id,
            member=post.author,
            label=f"Post {post.number} in “{post.thread.title}”",
            url=f"/posts/{post.id}",
        )
    if kind == EvidenceKind.MENTORSHIP:
        mentorship = await Mentorship.filter(id=object_id).select_related("mentor", "mentee").first()
        if mentorship is None or endorser is None or endorser.id not in (mentorship.mentor_id, mentorship.mentee_id):
            raise NotFound()
        if mentorship.state not in MENTORSHIP_EVIDENCE_STATES:
            raise NotFound()
        other = mentorship.mentee if endorser.id == mentorship.mentor_id else mentorship.mentor
        return Evidence(
            kind=EvidenceKind.MENTORSHIP,
            object_id=mentorship.id,
            member=other,
            label=f"Mentorship of {mentorship.mentee.display_name} by {mentorship.mentor.display_name}",
            url=f"/mentoring/mentorships/{mentorship.id}",
        )
    raise NotFound()


def _shared_resource(opening: Post) -> Evidence:
    """Return a resource thread's opening post as resource evidence, or raise NotFound.

    The thread must be of the resource kind and visible to everyone, and its opening
    post visible and by a member.
    """
    thread = opening.thread
    if thread.kind != ThreadKind.RESOURCE or thread.state in (ThreadState.HIDDEN, ThreadState.HELD):
        raise NotFound()
    if opening.is_hidden or opening.held_for_review or opening.author is None:
        raise NotFound()
    return Evidence(
        kind=EvidenceKind.RESOURCE,
        object_id=thread.id,
        member=opening.author,
        label=f"Resource shared in “{thread.title}”",
        url=f"/threads/{thread.id}/{thread.slug}",
    )


# Rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndorsementDraft:
    """The endorsement form as submitted, every field a string."""

    skill_area: str = ""
    level: str = ""
    relationship: str = ""
    observed_from: str = ""
    observed_to: str = ""
    statement: str = ""


@dataclass(frozen=True)
class CheckedEndorsement:
    skill_area_id: int
    level: int
    relationship: EndorsementRelationship
    observed_from: date
    observed_to: date
    statement: str


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def check_fields(draft: EndorsementDraft, skill_area_ids: set[int], today: date) -> CheckedEndorsement:
    """Validate the form's own fields, with one message per invalid field.

    :raises ValidationFailed: naming each invalid field.
    """
    errors: dict[str, str] = {}
    skill_area_id = int(draft.skill_area) if draft.skill_area.isdigit() else None
    if skill_area_id is None or skill_area_id not in skill_area_ids:
        errors["skill_area"] = "Choose the skill area you saw this member's work in."
    level = int(draft.level) if draft.level.isdigit() else None
    if level is None or not 1 <= level <= EXPERT:
        errors["level"] = "Choose a level from awareness to expert."
    relationship = None
    try:
        relationship = EndorsementRelationship(draft.relationship)
    except ValueError:
        errors["relationship"] = "Choose how you know this member's work."
    observed_from = _parse_day(draft.observed_from)
    observed_to = _parse_day(draft.observed_to)
    if observed_from is None:
        errors["observed_from"] = "Enter the date you started seeing their work, as YYYY-MM-DD."
    if observed_to is None:
        errors["observed_to"] = "Enter the date you last saw their work, as YYYY-MM-DD."
    elif observed_to > today:
        errors["observed_to"] = "The end of the period you observed must be today or in the past."
    if observed_from and observed_to and observed_from > observed_to:
        errors["observed_from"] = "The start of the period you observed must be on or before its end."
    statement = draft.statement.strip()
    if len(statement) < STATEMENT_MIN:
        errors["statement"] = f"Write at least {STATEMENT_MIN} characters on what you saw them do."
    elif len(statement) > STATEMENT_MAX:
        errors["statement"] = f"Shorten your statement to {STATEMENT_MAX} characters or fewer. It has {len(statement)}."
    if errors:
        raise ValidationFailed(errors)
    return CheckedEndorsement(skill_area_id, level, relationship, observed_from, observed_to, statement)


async def check_rules(endorser: Member, member: Member, checked: CheckedEndorsement, now: datetime) -> None:
    """Apply the rules that depend on other endorsements.

    :raises ValidationFailed: with the broken rule's message.
    """
    if endorser.id == member.id:
        raise ValidationFailed({"member": "You cannot endorse yourself. Ask someone who has seen your work."})
    if member.state != MemberState.ACTIVE or member.is_imported:
        raise ValidationFailed({"member": "This member cannot be endorsed because their account is not active."})

    earlier = await Endorsement.filter(
        endorser_id=endorser.id,
        member_id=member.id,
        skill_area_id=checked.skill_area_id,
        created_at__gte=now - REPEAT_WINDOW,
    ).exclude(state=EndorsementState.VOIDED).order_by("-created_at").first()
    if earlier is not None:
        again = (earlier.created_at + REPEAT_WINDOW).astimezone(UTC)
        raise ValidationFailed({
            "skill_area": "You have already endorsed this member in this skill area in the last 12 months. "
            f"You can endorse them in it again from {again:%-d %B %Y}."
        })

    given_this_week = await Endorsement.filter(
        endorser_id=endorser.id, created_at__gte=now - timedelta(days=7)
    ).count()
    if given_this_week >= WEEKLY_LIMIT:
        raise ValidationFailed({
            "statement": f"You have given {WEEKLY_LIMIT} endorsements in the last 7 days, which is the most allowed. "
            "Try again next week."
        })

    own = await get_evidenced_level(endorser.id, checked.skill_area_id, now=now)
    if checked.level == EXPERT and own != EXPERT:
        raise ValidationFailed({"level": "Only a member with an evidenced expert level in this skill area can endorse at expert."})
    ceiling = (own or 0) + 1
    if checked.level > ceiling:
        raise ValidationFailed({
            "level": f"You can endorse at level {ceiling} or below in this skill area, "
            f"which is one above your own evidenced level ({own or 0})."
        })


async def do_endorse(
    endorser: Member, evidence: Evidence, draft: EndorsementDraft, *, now: datetime | None = None
) -> Endorsement:
    """Check and store an endorsement, notify the member and draft their CPD entry.

    :raises SignInRequired: for an anonymous visitor, because endorsements are always signed.
    :raises ValidationFailed: with the message of the first broken rule.
    """
    from forum.services import cpd

    require(endorser, Action.ENDORSE)
    now = now or datetime.now(UTC)
    skill_area_ids = set(await SkillArea.all().values_list("id", flat=True))
    checked = check_fields(draft, skill_area_ids, now.date())
    check_personal_data(endorser, {"statement": checked.statement}, confirmed=False)
    member = evidence.member
    await check_rules(endorser, member, checked, now)

    same_organisation = endorser.organisation_id is not None and endorser.organisation_id == member.organisation_id
    async with in_transaction():
        reverse = await Endorsement.filter(
            endorser_id=member.id,
            member_id=endorser.id,
            state=EndorsementState.ACTIVE,
            created_at__gte=now - RECIPROCAL_WINDOW,
        ).values_list("id", flat=True)
        endorsement = await Endorsement.create(
            endorser_id=endorser.id,
            member_id=member.id,
            skill_area_id=checked.skill_area_id,
            level=checked.level,
            relationship=checked.relationship,
            observed_from=checked.observed_from,
            observed_to=checked.observed_to,
            statement=checked.statement,
            evidence_kind=evidence.kind,
            evidence_id=evidence.object_id,
            same_organisation=same_organisation,
            is_reciprocal=bool(reverse),
        )
        await Endorsement.filter(id=endorsement.id).update(created_at=now)
        endorsement.created_at = now
        if reverse:
            await Endorsement.filter(id__in=list(reverse)).update(is_reciprocal=True)
            await _flag_reciprocal(endorser, member, endorsement)
        await do_notify(
            member.id,
            "endorsement_received",
            actor_id=endorser.id,
            text=f"{endorser.display_name} endorsed your work. It has been added to your CPD record as a draft.",
            data={"url": "/cpd"},
        )
        await cpd.do_draft_from_endorsement(endorsement, endorser)

    logger.info(
        "endorsement given",
        extra={"endorsement_id": endorsement.id, "member_id": endorser.id, "reciprocal": bool(reverse)},
    )
    return endorsement


async def _flag_reciprocal(endorser: Member, member: Member, endorsement: Endorsement) -> None:
    """Tell every moderator about a pair of members who endorsed each other within 60 days."""
    moderator_ids = await Member.filter(
        permission__in=[MemberPermission.MODERATOR, MemberPermission.ADMIN], state=MemberState.ACTIVE
    ).values_list("id", flat=True)
    for moderator_id in moderator_ids:
        if moderator_id in (endorser.id, member.id):
            continue
        await do_notify(
            moderator_id,
            "endorsement_reciprocal",
            actor_id=endorser.id,
            text=f"{endorser.display_name} and {member.display_name} endorsed each other within 60 days. "
            "Both endorsements now count for less. Check them and void them if they were traded.",
            data={"url": f"/endorsements/{endorsement.id}"},
        )


# Changes after the fact ---------------------------------------------------------------


async def access_endorsement(member: Member | None, endorsement_id: int) -> Endorsement:
    """Return an endorsement the member may see, or raise NotFound.

    Active endorsements are public. A withdrawn or voided one is seen only by the two
    members and moderators.
    """
    from forum.auth.policy import can

    endorsement = await Endorsement.filter(id=endorsement_id).select_related(
        "endorser", "member", "skill_area"
    ).first()
    if endorsement is None:
        raise NotFound()
    if endorsement.state == EndorsementState.ACTIVE and not endorsement.hidden_by_member:
        return endorsement
    involved = member is not None and member.id in (endorsement.endorser_id, endorsement.member_id)
    if involved or can(member, Action.VOID_ENDORSEMENT):
        return endorsement
    raise NotFound()


async def do_withdraw(member: Member, endorsement: Endorsement, *, now: datetime | None = None) -> None:
    require(member, Action.WITHDRAW_ENDORSEMENT, endorsement)
    if endorsement.state != EndorsementState.ACTIVE:
        raise Conflict("This endorsement has already been withdrawn or voided.")
    now = now or datetime.now(UTC)
    await Endorsement.filter(id=endorsement.id).update(state=EndorsementState.WITHDRAWN, withdrawn_at=now)
    endorsement.state = EndorsementState.WITHDRAWN
    logger.info("endorsement withdrawn", extra={"endorsement_id": endorsement.id, "member_id": member.id})


async def do_void(moderator: Member, endorsement: Endorsement, reason: str, *, now: datetime | None = None) -> None:
    """Void an endorsement for a reason that goes into the audit log."""
    require(moderator, Action.VOID_ENDORSEMENT, endorsement)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "Enter the reason for voiding this endorsement. It is kept in the audit log."})
    if endorsement.state == EndorsementState.VOIDED:
        raise Conflict("This endorsement has already been voided.")
    now = now or datetime.now(UTC)
    async with in_transaction():
        await Endorsement.filter(id=endorsement.id).update(
            state=EndorsementState.VOIDED, voided_at=now, voided_by_id=moderator.id
        )
        await do_audit(
            moderator,
            "void_endorsement",
            target_type="endorsement",
            target_id=endorsement.id,
            reason=reason,
            before={"state": str(endorsement.state)},
            after={"state": str(EndorsementState.VOIDED)},
        )
    endorsement.state = EndorsementState.VOIDED
    logger.info("endorsement voided", extra={"endorsement_id": endorsement.id, "member_id": moderator.id})


async def do_set_hidden(member: Member, endorsement: Endorsement, hidden: bool) -> None:
    """Hide an endorsement from, or show it again on, the endorsed member's profile."""
    require(member, Action.HIDE_ENDORSEMENT, endorsement)
    await Endorsement.filter(id=endorsement.id).update(hidden_by_member=hidden)
    endorsement.hidden_by_member = hidden


async def list_received(member: Member) -> list[Endorsement]:
    """Return every endorsement the member has received, hidden ones included, one query."""
    return await Endorsement.filter(member_id=member.id).select_related("endorser", "skill_area")


async def get_public_profile(handle: str) -> tuple[Member, list[SkillEvidence], list]:
    """Return an active member, their evidenced levels and their public-summary CPD entries.

    Hidden endorsements still count towards a level but are left out of its evidence.

    :raises NotFound: for an unknown, erased or imported member.
    """
    from models import CpdEntry, CpdVisibility

    member = await Member.filter(handle=handle, state=MemberState.ACTIVE, is_imported=False).first()
    if member is None:
        raise NotFound()
    entries = await CpdEntry.filter(member_id=member.id, visibility=CpdVisibility.PUBLIC_SUMMARY, is_draft=False)
    return member, await get_evidenced_levels(member), entries
