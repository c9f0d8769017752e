"""Mentoring: mentor profiles, requests, the mentorship lifecycle and the pair's space.

Every change to a mentorship goes through :func:`check_transition`, which reads
``MENTORSHIP_TRANSITIONS`` and raises TransitionRefused with a message that says why, and
then through a conditional UPDATE on the state it read, so two people acting at once
cannot both move it. Accepting takes one of the mentor's places with a conditional UPDATE
on ``mentee_count`` (``mentee_count < capacity``), so of two accepts racing for the last
place exactly one succeeds, on SQLite and PostgreSQL alike.

The pair's private space is ``MentorshipMessage`` rows, not a forum thread: thread lists,
search and thread notifications never read that table, so nothing in it can leak there.
Only the pair sees it (``VIEW_MENTORSHIP_SPACE``), and a moderator only through
:func:`do_open_as_moderator`, which writes an audit entry with the reason.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import NotFound, TransitionRefused, ValidationFailed
from forum.markdown import RENDERER_VERSION, MarkdownError, render_markdown
from forum.services import match_runs
from forum.services.audit import do_audit
from forum.services.browsing import Taxonomy
from forum.services.mentoring_forms import (
    TEXT_MAX,
    AgreementDraft,
    ProfileDraft,
    RequestDraft,
    SessionDraft,
    add_months,
    check_agreement,
    check_profile,
    check_request,
    check_session,
    parse_date,
)
from forum.services.notifications import do_notify
from models import (
    AgreementGoal,
    MatchSuggestion,
    Member,
    MentoringEvent,
    MentoringEventKind,
    MentoringRequest,
    MentoringSession,
    MentorProfile,
    Mentorship,
    MentorshipAgreement,
    MentorshipFeedback,
    MentorshipMessage,
    MentorshipState,
    MentorshipStep,
    MentorSkill,
    RequestSkill,
    RequestState,
    SuggestionState,
)
from models.mentoring import (
    CADENCE_LABELS,
    ENDED_STATES,
    MENTORSHIP_TRANSITIONS,
    PLACE_HOLDING_STATES,
    SESSION_STATES,
)

logger = logging.getLogger(__name__)

REQUEST_EXPIRY_DAYS = 14
QUIET_DAYS = 28
REASON_MIN = 10
MESSAGES_SHOWN = 100

STATE_WORDS = {
    MentorshipState.REQUESTED: "waiting for the mentor's answer",
    MentorshipState.ACCEPTED: "accepted and waiting for an agreement",
    MentorshipState.DECLINED: "declined",
    MentorshipState.EXPIRED: "expired without an answer",
    MentorshipState.WITHDRAWN: "withdrawn",
    MentorshipState.AGREED: "agreed and waiting for its first session",
    MentorshipState.ACTIVE: "active",
    MentorshipState.EXTENDED: "extended",
    MentorshipState.COMPLETED: "completed",
    MentorshipState.CLOSED_EARLY: "closed early",
}
STEP_WORDS = {
    MentorshipStep.ACCEPT: "accept",
    MentorshipStep.DECLINE: "decline",
    MentorshipStep.EXPIRE: "expire",
    MentorshipStep.WITHDRAW: "withdraw",
    MentorshipStep.AGREE: "record an agreement for",
    MentorshipStep.START: "start",
    MentorshipStep.EXTEND: "extend",
    MentorshipStep.COMPLETE: "complete",
    MentorshipStep.CLOSE_EARLY: "close",
}
STATE_HINTS = {
    MentorshipState.REQUESTED: "Wait for the mentor to accept or decline.",
    MentorshipState.ACCEPTED: "Record your agreement first.",
    MentorshipState.AGREED: "Log your first session first.",
    MentorshipState.ACTIVE: "",
    MentorshipState.EXTENDED: "",
}
ENDED_HINT = (
    "It has ended, so nothing more can change. Make a new request if you want more mentoring."
)


def transition_message(state: MentorshipState, step: MentorshipStep) -> str:
    """Say why ``step`` is not possible from ``state``, and what to do instead."""
    message = f"You cannot {STEP_WORDS[step]} this mentorship because it is {STATE_WORDS[state]}."
    hint = STATE_HINTS.get(state, ENDED_HINT)
    return f"{message} {hint}".strip()


def check_transition(mentorship: Mentorship, step: MentorshipStep) -> MentorshipState:
    """Return the state ``step`` leads to, or raise TransitionRefused saying why not."""
    target = MENTORSHIP_TRANSITIONS.get((MentorshipState(mentorship.state), step))
    if target is None:
        raise TransitionRefused(transition_message(MentorshipState(mentorship.state), step))
    return target


async def _move(mentorship: Mentorship, step: MentorshipStep, **changes) -> None:
    """Change the state with a conditional UPDATE on the state read, and raise if it changed since."""
    target = check_transition(mentorship, step)
    changed = await Mentorship.filter(id=mentorship.id, state=mentorship.state).update(
        state=target, **changes
    )
    if not changed:
        await mentorship.refresh_from_db(fields=["state"])
        raise TransitionRefused(transition_message(MentorshipState(mentorship.state), step))

    mentorship.state = target
    for name, value in changes.items():
        setattr(mentorship, name, value)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _url(mentorship: Mentorship) -> str:
    return f"/mentoring/mentorships/{mentorship.id}"


def _other(mentorship: Mentorship, member: Member) -> int:
    return mentorship.mentee_id if member.id == mentorship.mentor_id else mentorship.mentor_id


def _check_reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationFailed({field_name: f"Give a reason of at least {REASON_MIN} characters."})
    if len(reason) > TEXT_MAX:
        raise ValidationFailed({field_name: f"Keep the reason to {TEXT_MAX} characters or fewer."})
    return reason


# Mentor profiles ------------------------------------------------------------------------


async def get_mentor_profile(member: Member) -> tuple[MentorProfile | None, dict[int, int]]:
    """Return the member's mentor profile, if any, and its levels by skill area id."""
    profile = await MentorProfile.filter(member_id=member.id).first()
    if profile is None:
        return None, {}
    rows = await MentorSkill.filter(profile_id=profile.id).values_list("skill_area_id", "level")
    return profile, dict(rows)


async def do_save_mentor_profile(
    member: Member, draft: ProfileDraft, taxonomy: Taxonomy
) -> MentorProfile:
    """Create or replace the member's mentor profile and its skill levels."""
    require(member, Action.OFFER_MENTORING)
    levels = check_profile(draft, taxonomy)
    values = {
        "capacity": int(draft.capacity),
        "formats": sorted(set(draft.formats)),
        "availability": draft.availability.strip(),
        "offer": draft.offer.strip(),
        "systems": sorted(set(draft.systems)),
        "returns": sorted(set(draft.returns)),
        "accepting": draft.accepting,
    }

    async with in_transaction():
        profile, _ = await MentorProfile.update_or_create(member_id=member.id, defaults=values)
        await MentorSkill.filter(profile_id=profile.id).delete()
        await MentorSkill.bulk_create(
            [
                MentorSkill(profile_id=profile.id, skill_area_id=a, level=lv)
                for a, lv in sorted(levels.items())
            ]
        )
    logger.info("mentor profile saved", extra={"member_id": member.id})
    return profile


# Mentor directory -----------------------------------------------------------------------


DIRECTORY_PAGE = 50


@dataclass(frozen=True)
class DirectoryFilter:
    skill: str = ""
    level: str = ""
    role: str = ""
    organisation_kind: str = ""
    include_full: bool = False


@dataclass
class DirectoryEntry:
    profile: MentorProfile
    member: Member
    skills: list[tuple[object, int]]


async def list_mentor_directory(
    taxonomy: Taxonomy, directory_filter: DirectoryFilter, *, page: int = 1
) -> tuple[list[DirectoryEntry], bool]:
    """Return one page of mentors, filtered, and whether another page follows.

    Only mentors with a free place are listed unless ``include_full`` is set. Issues two
    queries whatever the number of mentors.
    """
    query = MentorProfile.filter(
        member__state="active", member__permission__in=match_runs.MENTOR_PERMISSIONS
    )
    if not directory_filter.include_full:
        query = query.filter(accepting=True, capacity__gt=F("mentee_count"))
    area = taxonomy.skill_area(directory_filter.skill)
    if area is not None:
        minimum = int(directory_filter.level) if directory_filter.level in ("2", "3", "4") else 2
        query = query.filter(
            skills__skill_area_id__in=taxonomy.descendant_ids(area), skills__level__gte=minimum
        )
    role = taxonomy.role(directory_filter.role)
    if role is not None:
        query = query.filter(member__role_id=role.id)
    if directory_filter.organisation_kind:
        query = query.filter(member__organisation__kind=directory_filter.organisation_kind)

    page = max(page, 1)
    profiles = await (
        query.distinct()
        .order_by("member__display_name", "id")
        .offset((page - 1) * DIRECTORY_PAGE)
        .limit(DIRECTORY_PAGE + 1)
        .select_related("member", "member__organisation", "member__role")
    )
    has_more = len(profiles) > DIRECTORY_PAGE
    profiles = profiles[:DIRECTORY_PAGE]

    areas = {a.id: a for a in taxonomy.skill_areas}
    rows = await MentorSkill.filter(profile_id__in=[p.id for p in profiles]).values_list(
        "profile_id", "skill_area_id", "level"
    )
    entries = []
    for profile in profiles:
        skills = [(areas[a], lv) for pid, a, lv in rows if pid == profile.id and a in areas]
        skills.sort(key=lambda item: (-item[1], item[0].position))
        entries.append(DirectoryEntry(profile=profile, member=profile.member, skills=skills))
    return entries, has_more


# Mentoring requests ---------------------------------------------------------------------


async def do_create_request(
    member: Member, draft: RequestDraft, taxonomy: Taxonomy, *, max_length: int
) -> MentoringRequest:
    """Open a mentoring request. A member has at most one open request per skill area."""
    require(member, Action.REQUEST_MENTORING)
    needs, goals_html = check_request(draft, taxonomy, max_length=max_length)

    open_areas = set(
        await RequestSkill.filter(open_mentee_id=member.id).values_list("skill_area_id", flat=True)
    )
    names = {area.id: area.name for area in taxonomy.skill_areas}
    clashes = [names[area_id] for area_id, *_ in needs if area_id in open_areas]
    if clashes:
        raise ValidationFailed(
            {
                "need-1-skill_area": f"You already have an open request for {clashes[0]}. "
                "Close that request first, or choose another skill area."
            }
        )

    try:
        async with in_transaction():
            request = await MentoringRequest.create(
                mentee_id=member.id,
                goals_source=draft.goals,
                goals_html=goals_html,
                renderer_version=RENDERER_VERSION,
                prefers_other_organisation=draft.prefers_other_organisation,
                prefers_same_role=draft.prefers_same_role,
                formats=sorted(set(draft.formats)),
                systems=sorted(set(draft.systems)),
                returns=sorted(set(draft.returns)),
                timeframe_months=int(draft.timeframe_months),
            )
            await RequestSkill.bulk_create(
                [
                    RequestSkill(
                        request_id=request.id,
                        skill_area_id=area_id,
                        current_level=current,
                        target_level=target,
                        importance=importance,
                        open_mentee_id=member.id,
                    )
                    for area_id, current, target, importance in needs
                ]
            )
    except IntegrityError:
        # Another request for the same area was opened at the same moment.
        raise ValidationFailed(
            {"need-1-skill_area": "You already have an open request for one of these skill areas."}
        ) from None
    logger.info(
        "mentoring request opened", extra={"request_id": request.id, "member_id": member.id}
    )
    return request


async def access_request(member: Member | None, request_id: int) -> MentoringRequest:
    """Return the member's own request, or raise NotFound (missing and others' alike)."""
    request = await MentoringRequest.filter(id=request_id).select_related("mentee").first()
    if request is None or member is None or request.mentee_id != member.id:
        raise NotFound()
    return request


async def list_request_skills(request: MentoringRequest, taxonomy: Taxonomy) -> list[dict]:
    areas = {area.id: area for area in taxonomy.skill_areas}
    skills = await RequestSkill.filter(request_id=request.id).order_by("-importance", "id")
    return [
        {
            "area": areas.get(s.skill_area_id),
            "current": s.current_level,
            "target": s.target_level,
            "importance": s.importance,
        }
        for s in skills
    ]


async def do_close_request(
    member: Member, request: MentoringRequest, *, now: datetime | None = None
) -> None:
    """Close an open request. A request waiting for a mentor's answer must be withdrawn first."""
    require(member, Action.WITHDRAW_REQUEST, request)
    now = _now(now)
    async with in_transaction():
        changed = await MentoringRequest.filter(id=request.id, state=RequestState.OPEN).update(
            state=RequestState.CLOSED, closed_at=now
        )
        if not changed:
            raise TransitionRefused(_request_refusal(request.state))
        await RequestSkill.filter(request_id=request.id).update(open_mentee_id=None)
    request.state = RequestState.CLOSED
    logger.info("mentoring request closed", extra={"request_id": request.id})


def _request_refusal(state: str) -> str:
    return {
        RequestState.ASKED: (
            "You have asked a mentor about this request and are waiting for their answer. "
            "Withdraw that first."
        ),
        RequestState.MATCHED: "This request already has a mentor, so it cannot change.",
        RequestState.CLOSED: "This request is closed. Make a new request if you still want a mentor.",
    }.get(state, "This request cannot change now. Reload the page to see its latest state.")


# The mentorship lifecycle ---------------------------------------------------------------


async def do_ask_mentor(
    member: Member,
    request: MentoringRequest,
    mentor_id: int,
    *,
    message: str = "",
    now: datetime | None = None,
    expiry_days: int = REQUEST_EXPIRY_DAYS,
) -> Mentorship:
    """Ask one mentor to take on a request. The mentor has ``expiry_days`` days to answer.

    The pair must pass every hard filter of the matching engine. A request asks one
    mentor at a time: its state moves from open to asked with a conditional UPDATE.
    """
    require(member, Action.REQUEST_MENTORING)
    if request.mentee_id != member.id:
        raise NotFound()
    now = _now(now)
    if request.state != RequestState.OPEN:
        raise TransitionRefused(_request_refusal(request.state))
    message = (message or "").strip()
    if len(message) > 2000:
        raise ValidationFailed(
            {"message": "Keep your note to the mentor to 2,000 characters or fewer."}
        )

    pair = await match_runs.score_for_request(request, member, mentor_id, now=now)
    names = await match_runs.area_names()
    reasons = match_runs.matching.explain(pair, names, match_runs.LABELS)
    mentor = await Member.get(id=mentor_id)

    try:
        async with in_transaction():
            changed = await MentoringRequest.filter(id=request.id, state=RequestState.OPEN).update(
                state=RequestState.ASKED
            )
            if not changed:
                raise TransitionRefused(_request_refusal(RequestState.ASKED))
            suggestion = await MatchSuggestion.filter(
                request_id=request.id, mentor_id=mentor_id, state=SuggestionState.PUBLISHED
            ).first()
            mentorship = await Mentorship.create(
                request_id=request.id,
                mentor_id=mentor_id,
                mentee_id=member.id,
                suggestion_id=suggestion.id if suggestion else None,
                live_pair=f"{mentor_id}:{member.id}",
                score=pair.score,
                factors=pair.factors_as_dict(),
                explanation=reasons,
                message=message,
                requested_at=now,
                expires_at=now + timedelta(days=expiry_days),
            )
            if suggestion:
                await MatchSuggestion.filter(id=suggestion.id).update(
                    state=SuggestionState.REQUESTED
                )
            await do_notify(
                mentor_id,
                "mentoring_request",
                actor_id=member.id,
                text=f"{member.display_name} has asked you to be their mentor. "
                f"Answer within {expiry_days} days.",
                data={"url": _url(mentorship)},
            )
    except IntegrityError:
        raise TransitionRefused(
            f"You already have a mentorship or a request with {mentor.display_name}."
        ) from None

    request.state = RequestState.ASKED
    logger.info("mentor asked", extra={"mentorship_id": mentorship.id, "member_id": member.id})
    return mentorship


async def do_accept(member: Member, mentorship: Mentorship, *, now: datetime | None = None) -> None:
    """Accept a request, taking one of the mentor's free places.

    Raises TransitionRefused when the request is no longer waiting, has expired, or the
    mentor has no free place left, as when a concurrent accept took the last one.
    """
    require(member, Action.RESPOND_TO_REQUEST, mentorship)
    now = _now(now)
    check_transition(mentorship, MentorshipStep.ACCEPT)
    if mentorship.expires_at <= now:
        await do_expire_requests(now=now)
        raise TransitionRefused(
            "This request expired before you accepted it. The mentee can ask you again."
        )

    async with in_transaction():
        await _move(mentorship, MentorshipStep.ACCEPT, decided_at=now)
        taken = await MentorProfile.filter(
            member_id=mentorship.mentor_id, mentee_count__lt=F("capacity")
        ).update(mentee_count=F("mentee_count") + 1)
        if not taken:
            # Raising here rolls back the state change above.
            raise TransitionRefused(
                "You have no free place left, so you cannot accept this request. "
                "Raise your capacity on your mentor profile, or decline the request."
            )
        await MentoringRequest.filter(id=mentorship.request_id).update(
            state=RequestState.MATCHED, closed_at=now
        )
        await RequestSkill.filter(request_id=mentorship.request_id).update(open_mentee_id=None)
        await do_notify(
            mentorship.mentee_id,
            "mentoring_decision",
            actor_id=member.id,
            text=f"{member.display_name} has accepted your mentoring request. Agree your goals next.",
            data={"url": _url(mentorship)},
        )
    logger.info("mentoring request accepted", extra={"mentorship_id": mentorship.id})


async def _reopen_request(mentorship: Mentorship) -> None:
    await MentoringRequest.filter(id=mentorship.request_id, state=RequestState.ASKED).update(
        state=RequestState.OPEN
    )


async def do_decline(
    member: Member, mentorship: Mentorship, reason: str, *, now: datetime | None = None
) -> None:
    """Decline a request with a reason, which the mentee sees. Their request opens again."""
    require(member, Action.RESPOND_TO_REQUEST, mentorship)
    check_transition(mentorship, MentorshipStep.DECLINE)
    reason = _check_reason(reason)
    now = _now(now)

    async with in_transaction():
        await _move(
            mentorship,
            MentorshipStep.DECLINE,
            decided_at=now,
            reason=reason,
            live_pair=None,
            ended_by_id=member.id,
        )
        await _reopen_request(mentorship)
        await do_notify(
            mentorship.mentee_id,
            "mentoring_decision",
            actor_id=member.id,
            text=f"{member.display_name} has declined your mentoring request: {reason}",
            data={"url": _url(mentorship)},
        )
    logger.info("mentoring request declined", extra={"mentorship_id": mentorship.id})


async def do_withdraw(
    member: Member, mentorship: Mentorship, *, now: datetime | None = None
) -> None:
    """Withdraw a request before the mentor answers. The mentee's request opens again."""
    require(member, Action.WITHDRAW_REQUEST, mentorship)
    check_transition(mentorship, MentorshipStep.WITHDRAW)
    now = _now(now)

    async with in_transaction():
        await _move(
            mentorship,
            MentorshipStep.WITHDRAW,
            decided_at=now,
            live_pair=None,
            ended_by_id=member.id,
        )
        await _reopen_request(mentorship)
        await do_notify(
            mentorship.mentor_id,
            "mentoring_decision",
            actor_id=member.id,
            text=f"{member.display_name} has withdrawn their mentoring request.",
            data={"url": "/mentoring"},
        )
    logger.info("mentoring request withdrawn", extra={"mentorship_id": mentorship.id})


async def do_expire_requests(*, now: datetime | None = None) -> int:
    """Expire every request left unanswered past its expiry, and return how many expired.

    Each expiry is its own conditional UPDATE, so running this twice, or beside an
    accept, never expires a request that was answered in the meantime.
    """
    now = _now(now)
    overdue = await Mentorship.filter(
        state=MentorshipState.REQUESTED, expires_at__lte=now
    ).select_related("mentor", "mentee")
    expired = 0
    for mentorship in overdue:
        async with in_transaction():
            changed = await Mentorship.filter(
                id=mentorship.id, state=MentorshipState.REQUESTED
            ).update(state=MentorshipState.EXPIRED, decided_at=now, live_pair=None)
            if not changed:
                continue
            await _reopen_request(mentorship)
            await do_notify(
                mentorship.mentee_id,
                "mentoring_expired",
                text=f"Your request to {mentorship.mentor.display_name} expired without an answer. "
                "Your request is open again, so you can ask another mentor.",
                data={"url": f"/mentoring/requests/{mentorship.request_id}"},
            )
            await do_notify(
                mentorship.mentor_id,
                "mentoring_expired",
                text=f"The mentoring request from {mentorship.mentee.display_name} expired "
                "without an answer.",
                data={"url": "/mentoring"},
            )
        expired += 1
    if expired:
        logger.info("mentoring requests expired", extra={"count": expired})
    return expired


async def do_record_agreement(
    member: Member,
    mentorship: Mentorship,
    draft: AgreementDraft,
    taxonomy: Taxonomy,
    *,
    now: datetime | None = None,
) -> MentorshipAgreement:
    """Record what the pair agreed. Either of them may do it, once, after the accept."""
    require(member, Action.AGREE_MENTORSHIP, mentorship)
    check_transition(mentorship, MentorshipStep.AGREE)
    now = _now(now)
    goals, cadence, end_on = check_agreement(draft, taxonomy, now.date())

    async with in_transaction():
        await _move(mentorship, MentorshipStep.AGREE, agreed_at=now)
        agreement = await MentorshipAgreement.create(
            mentorship_id=mentorship.id, cadence=cadence, end_on=end_on, recorded_by_id=member.id
        )
        await AgreementGoal.bulk_create(
            [
                AgreementGoal(
                    agreement_id=agreement.id,
                    skill_area_id=area_id,
                    target_level=level,
                    description=description,
                    position=position,
                )
                for position, (area_id, level, description) in enumerate(goals)
            ]
        )
        await do_notify(
            _other(mentorship, member),
            "mentoring_agreement",
            actor_id=member.id,
            text=f"{member.display_name} recorded your mentoring agreement: "
            f"{len(goals)} goal{'s' if len(goals) > 1 else ''}, {CADENCE_LABELS[cadence].lower()}, "
            f"until {end_on:%-d %B %Y}.",
            data={"url": _url(mentorship)},
        )
    logger.info("mentoring agreement recorded", extra={"mentorship_id": mentorship.id})
    return agreement


async def do_log_session(
    member: Member,
    mentorship: Mentorship,
    draft: SessionDraft,
    taxonomy: Taxonomy,
    *,
    max_length: int,
    now: datetime | None = None,
) -> MentoringSession:
    """Log a session. The first one starts an agreed mentorship. Writes a CPD event for each side."""
    require(member, Action.LOG_SESSION, mentorship)
    if mentorship.state not in SESSION_STATES:
        raise TransitionRefused(
            f"You cannot log a session because this mentorship is {STATE_WORDS[MentorshipState(mentorship.state)]}. "
            + (STATE_HINTS.get(MentorshipState(mentorship.state)) or ENDED_HINT)
        )
    now = _now(now)
    earliest = (mentorship.decided_at or mentorship.requested_at).date()
    held_on, minutes, area_ids, shared_html = check_session(
        draft, taxonomy, earliest=earliest, today=now.date(), max_length=max_length
    )
    held_at = datetime(held_on.year, held_on.month, held_on.day, 12, tzinfo=UTC)

    async with in_transaction():
        if mentorship.state == MentorshipState.AGREED:
            await _move(mentorship, MentorshipStep.START, started_at=now)
        session = await MentoringSession.create(
            mentorship_id=mentorship.id,
            logged_by_id=member.id,
            held_on=held_on,
            minutes=minutes,
            skill_area_ids=area_ids,
            shared_notes_source=draft.shared_notes,
            shared_notes_html=shared_html,
            renderer_version=RENDERER_VERSION,
            private_notes=draft.private_notes.strip(),
        )
        latest = mentorship.last_session_at
        if latest is None or held_at > latest:
            await Mentorship.filter(id=mentorship.id).update(last_session_at=held_at)
            mentorship.last_session_at = held_at
        names = {area.id: area.name for area in taxonomy.skill_areas}
        await _write_events(
            mentorship,
            MentoringEventKind.SESSION_LOGGED,
            occurred_at=held_at,
            session=session,
            data={
                "session_id": session.id,
                "held_on": held_on.isoformat(),
                "minutes": minutes,
                "skill_area_ids": area_ids,
                "skill_areas": [names[area_id] for area_id in area_ids],
            },
        )
        await do_notify(
            _other(mentorship, member),
            "mentoring_session",
            actor_id=member.id,
            text=f"{member.display_name} logged a {minutes}-minute mentoring session on {held_on:%-d %B %Y}.",
            data={"url": _url(mentorship)},
        )
    logger.info(
        "mentoring session logged", extra={"mentorship_id": mentorship.id, "session_id": session.id}
    )
    return session


async def _write_events(
    mentorship: Mentorship,
    kind: MentoringEventKind,
    *,
    occurred_at: datetime,
    data: dict,
    session: MentoringSession | None = None,
) -> None:
    """Write one CPD event for the mentor and one for the mentee, each from their side."""
    people = {
        m.id: m for m in await Member.filter(id__in=[mentorship.mentor_id, mentorship.mentee_id])
    }
    for side, member_id, other_id in (
        ("mentor", mentorship.mentor_id, mentorship.mentee_id),
        ("mentee", mentorship.mentee_id, mentorship.mentor_id),
    ):
        other = people.get(other_id)
        await MentoringEvent.create(
            kind=kind,
            mentorship_id=mentorship.id,
            session_id=session.id if session else None,
            member_id=member_id,
            occurred_at=occurred_at,
            data={
                **data,
                "side": side,
                "mentorship_id": mentorship.id,
                "other_member_id": other_id,
                "other_name": other.display_name if other else "",
            },
            key=f"{kind}:{mentorship.id}:{session.id if session else 0}:{member_id}",
        )


async def _release_place(mentorship: Mentorship) -> None:
    await MentorProfile.filter(member_id=mentorship.mentor_id, mentee_count__gt=0).update(
        mentee_count=F("mentee_count") - 1
    )


async def do_extend(
    member: Member,
    mentorship: Mentorship,
    end_day: str,
    end_month: str,
    end_year: str,
    *,
    now: datetime | None = None,
) -> date:
    """Move the agreed end date later, up to twelve months from today."""
    require(member, Action.CLOSE_MENTORSHIP, mentorship)
    check_transition(mentorship, MentorshipStep.EXTEND)
    now = _now(now)
    agreement = await MentorshipAgreement.get(mentorship_id=mentorship.id)
    end_on = parse_date(end_day, end_month, end_year)
    if end_on is None:
        raise ValidationFailed(
            {"end_on": "Enter the new end date as a real date, for example 31 3 2027."}
        )
    if end_on <= agreement.end_on:
        raise ValidationFailed(
            {
                "end_on": f"The new end date must be after the current one, {agreement.end_on:%-d %B %Y}."
            }
        )
    if end_on > add_months(now.date(), 12):
        raise ValidationFailed(
            {"end_on": "The new end date must be no more than twelve months from today."}
        )

    async with in_transaction():
        await _move(mentorship, MentorshipStep.EXTEND)
        await MentorshipAgreement.filter(id=agreement.id).update(end_on=end_on)
        await do_notify(
            _other(mentorship, member),
            "mentoring_agreement",
            actor_id=member.id,
            text=f"{member.display_name} extended your mentorship until {end_on:%-d %B %Y}.",
            data={"url": _url(mentorship)},
        )
    logger.info("mentorship extended", extra={"mentorship_id": mentorship.id})
    return end_on


async def do_complete(
    member: Member, mentorship: Mentorship, *, now: datetime | None = None
) -> None:
    """Complete a mentorship: free the mentor's place and write a CPD event for each side."""
    require(member, Action.CLOSE_MENTORSHIP, mentorship)
    check_transition(mentorship, MentorshipStep.COMPLETE)
    now = _now(now)
    goals = await AgreementGoal.filter(agreement__mentorship_id=mentorship.id).select_related(
        "skill_area"
    )
    sessions = await MentoringSession.filter(mentorship_id=mentorship.id).values_list(
        "minutes", flat=True
    )

    async with in_transaction():
        await _move(
            mentorship, MentorshipStep.COMPLETE, ended_at=now, live_pair=None, ended_by_id=member.id
        )
        await _release_place(mentorship)
        await _write_events(
            mentorship,
            MentoringEventKind.MENTORSHIP_COMPLETED,
            occurred_at=now,
            data={
                "started_on": (mentorship.started_at or mentorship.agreed_at or now)
                .date()
                .isoformat(),
                "ended_on": now.date().isoformat(),
                "session_count": len(sessions),
                "total_minutes": sum(sessions),
                "goals": [
                    {
                        "skill_area_id": goal.skill_area_id,
                        "skill_area": goal.skill_area.name,
                        "target_level": goal.target_level,
                        "description": goal.description,
                    }
                    for goal in goals
                ],
            },
        )
        await do_notify(
            _other(mentorship, member),
            "mentoring_closed",
            actor_id=member.id,
            text=f"{member.display_name} marked your mentorship as completed. Give your feedback when you can.",
            data={"url": _url(mentorship)},
        )
    logger.info("mentorship completed", extra={"mentorship_id": mentorship.id})


async def do_close_early(
    member: Member, mentorship: Mentorship, reason: str, *, now: datetime | None = None
) -> None:
    """Close a mentorship before its end, with a reason the other side sees."""
    require(member, Action.CLOSE_MENTORSHIP, mentorship)
    check_transition(mentorship, MentorshipStep.CLOSE_EARLY)
    reason = _check_reason(reason)
    now = _now(now)

    async with in_transaction():
        await _move(
            mentorship,
            MentorshipStep.CLOSE_EARLY,
            ended_at=now,
            live_pair=None,
            reason=reason,
            ended_by_id=member.id,
        )
        await _release_place(mentorship)
        await do_notify(
            _other(mentorship, member),
            "mentoring_closed",
            actor_id=member.id,
            text=f"{member.display_name} closed your mentorship early: {reason}",
            data={"url": _url(mentorship)},
        )
    logger.info("mentorship closed early", extra={"mentorship_id": mentorship.id})


async def do_give_feedback(
    member: Member, mentorship: Mentorship, rating: str, words: str
) -> MentorshipFeedback:
    """Store one side's private feedback on an ended mentorship, once."""
    require(member, Action.GIVE_MENTORING_FEEDBACK, mentorship)
    if mentorship.state not in ENDED_STATES:
        raise TransitionRefused("You can give feedback once the mentorship has ended.")
    errors = {}
    if rating not in ("1", "2", "3", "4", "5"):
        errors["rating"] = "Choose a rating from 1 to 5."
    if len(words) > TEXT_MAX:
        errors["words"] = f"Keep your feedback to {TEXT_MAX} characters or fewer."
    if errors:
        raise ValidationFailed(errors)

    try:
        feedback = await MentorshipFeedback.create(
            mentorship_id=mentorship.id,
            author_id=member.id,
            rating=int(rating),
            words=words.strip(),
        )
    except IntegrityError:
        raise TransitionRefused("You have already given feedback on this mentorship.") from None
    logger.info("mentoring feedback given", extra={"mentorship_id": mentorship.id})
    return feedback


async def list_feedback(admin: Member, *, limit: int = 100) -> list[MentorshipFeedback]:
    """Return the latest feedback with ratings, for admins only."""
    require(admin, Action.VIEW_MENTORING_FEEDBACK)
    return (
        await MentorshipFeedback.all()
        .order_by("-created_at", "-id")
        .limit(limit)
        .select_related("author", "mentorship", "mentorship__mentor", "mentorship__mentee")
    )


async def do_send_message(
    member: Member, mentorship: Mentorship, body: str, *, max_length: int
) -> MentorshipMessage:
    """Add a message to the pair's private space and tell the other side, and nobody else."""
    require(member, Action.SEND_MENTORSHIP_MESSAGE, mentorship)
    if mentorship.state not in PLACE_HOLDING_STATES:
        raise TransitionRefused(
            "Messages can be sent only while the mentorship runs, from the accept to the close."
        )
    try:
        html = render_markdown(body, max_length=min(max_length, TEXT_MAX))
    except MarkdownError as error:
        raise ValidationFailed({"body": str(error)}) from None

    async with in_transaction():
        message = await MentorshipMessage.create(
            mentorship_id=mentorship.id,
            author_id=member.id,
            source=body,
            html=html,
            renderer_version=RENDERER_VERSION,
        )
        await do_notify(
            _other(mentorship, member),
            "mentoring_message",
            actor_id=member.id,
            text=f"{member.display_name} sent you a message in your mentorship space.",
            data={"url": _url(mentorship) + "#messages"},
        )
    return message


async def do_remind_quiet_pairs(*, now: datetime | None = None) -> int:
    """Remind both sides of each running mentorship with no session for four weeks.

    A pair is reminded again only after another four weeks. Returns how many pairs were
    reminded. Safe to run from several processes: each reminder is a conditional UPDATE.
    """
    now = _now(now)
    cutoff = now - timedelta(days=QUIET_DAYS)
    quiet = await Mentorship.filter(
        Q(last_session_at__lte=cutoff) | Q(last_session_at__isnull=True, agreed_at__lte=cutoff),
        Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lte=cutoff),
        state__in=SESSION_STATES,
    ).select_related("mentor", "mentee")

    reminded = 0
    for mentorship in quiet:
        async with in_transaction():
            unchanged = Mentorship.filter(id=mentorship.id)
            if mentorship.last_reminder_at is None:
                unchanged = unchanged.filter(last_reminder_at__isnull=True)
            else:
                unchanged = unchanged.filter(last_reminder_at=mentorship.last_reminder_at)
            changed = await unchanged.update(last_reminder_at=now)
            if not changed:
                continue
            for member_id, other in (
                (mentorship.mentor_id, mentorship.mentee),
                (mentorship.mentee_id, mentorship.mentor),
            ):
                await do_notify(
                    member_id,
                    "mentoring_reminder",
                    text=f"No session with {other.display_name} has been logged for four weeks. "
                    "Arrange one, or log the last one you had.",
                    data={"url": _url(mentorship)},
                )
        reminded += 1
    if reminded:
        logger.info("mentoring reminders sent", extra={"count": reminded})
    return reminded


# Reading --------------------------------------------------------------------------------


async def access_mentorship(member: Member | None, mentorship_id: int) -> Mentorship:
    """Return a mentorship of which the member is one of the pair, or raise NotFound.

    Moderators get NotFound too: they open a space only through do_open_as_moderator.
    """
    mentorship = (
        await Mentorship.filter(id=mentorship_id).select_related("mentor", "mentee").first()
    )
    if mentorship is None or member is None or not mentorship.is_party(member.id):
        raise NotFound()
    require(member, Action.VIEW_MENTORSHIP_SPACE, mentorship)
    return mentorship


@dataclass
class Space:
    """Everything on a mentorship's page, as plain lists for the template."""

    mentorship: Mentorship
    agreement: MentorshipAgreement | None
    goals: list[AgreementGoal]
    sessions: list[MentoringSession]
    messages: list[MentorshipMessage]
    request_skills: list[dict]
    own_feedback: MentorshipFeedback | None
    viewer_id: int | None
    as_moderator: bool = False


async def get_space(
    mentorship: Mentorship, viewer: Member, taxonomy: Taxonomy, *, as_moderator: bool = False
) -> Space:
    """Load a mentorship's agreement, sessions and messages in a fixed number of queries.

    Private session notes are blanked for everyone except the member who wrote them.
    """
    agreement = await MentorshipAgreement.filter(mentorship_id=mentorship.id).first()
    goals = []
    if agreement is not None:
        goals = await AgreementGoal.filter(agreement_id=agreement.id).order_by("position")
    sessions = await MentoringSession.filter(mentorship_id=mentorship.id).order_by(
        "-held_on", "-id"
    )
    messages = (
        await MentorshipMessage.filter(mentorship_id=mentorship.id)
        .order_by("-created_at", "-id")
        .limit(MESSAGES_SHOWN)
        .select_related("author")
    )
    messages.reverse()
    own_feedback = await MentorshipFeedback.filter(
        mentorship_id=mentorship.id, author_id=viewer.id
    ).first()
    request = MentoringRequest(id=mentorship.request_id)
    request_skills = await list_request_skills(request, taxonomy)

    areas = {area.id: area for area in taxonomy.skill_areas}
    for goal in goals:
        goal.area = areas.get(goal.skill_area_id)
    for session in sessions:
        session.areas = [areas[a] for a in session.skill_area_ids if a in areas]
        if session.logged_by_id != viewer.id:
            session.private_notes = ""
    return Space(
        mentorship=mentorship,
        agreement=agreement,
        goals=goals,
        sessions=sessions,
        messages=messages,
        request_skills=request_skills,
        own_feedback=own_feedback,
        viewer_id=viewer.id,
        as_moderator=as_moderator,
    )


async def do_open_as_moderator(
    moderator: Member, mentorship_id: int, reason: str, taxonomy: Taxonomy
) -> Space:
    """Open a pair's private space as a moderator, recording who, when and why in the audit log."""
    require(moderator, Action.OPEN_MENTORSHIP_AS_MODERATOR)
    mentorship = (
        await Mentorship.filter(id=mentorship_id).select_related("mentor", "mentee").first()
    )
    if mentorship is None:
        raise NotFound()
    reason = _check_reason(reason)

    await do_audit(
        moderator,
        "open_mentorship_space",
        target_type="mentorship",
        target_id=mentorship.id,
        reason=reason,
    )
    logger.info(
        "mentorship space opened by moderator",
        extra={"mentorship_id": mentorship.id, "member_id": moderator.id},
    )
    return await get_space(mentorship, moderator, taxonomy, as_moderator=True)


@dataclass
class Overview:
    """A member's mentoring page: their profile, requests and mentorships."""

    profile: MentorProfile | None
    profile_levels: dict[int, int]
    requests: list[MentoringRequest]
    waiting_for_me: list[Mentorship]
    as_mentor: list[Mentorship]
    as_mentee: list[Mentorship]


async def get_overview(member: Member, taxonomy: Taxonomy) -> Overview:
    """Load the member's mentoring page in a fixed number of queries."""
    profile, levels = await get_mentor_profile(member)
    requests = await MentoringRequest.filter(mentee_id=member.id).order_by("-created_at").limit(20)
    skill_rows = await RequestSkill.filter(request_id__in=[r.id for r in requests]).order_by(
        "-importance", "id"
    )
    areas = {area.id: area for area in taxonomy.skill_areas}
    for request in requests:
        request.areas = [
            areas.get(s.skill_area_id) for s in skill_rows if s.request_id == request.id
        ]

    mentorships = (
        await Mentorship.filter(Q(mentor_id=member.id) | Q(mentee_id=member.id))
        .order_by("-updated_at", "-id")
        .limit(100)
        .select_related("mentor", "mentee")
    )
    waiting = [
        m for m in mentorships if m.mentor_id == member.id and m.state == MentorshipState.REQUESTED
    ]
    return Overview(
        profile=profile,
        profile_levels=levels,
        requests=requests,
        waiting_for_me=waiting,
        as_mentor=[m for m in mentorships if m.mentor_id == member.id and m not in waiting],
        as_mentee=[m for m in mentorships if m.mentee_id == member.id],
    )


async def list_request_mentorships(request: MentoringRequest) -> list[Mentorship]:
    return (
        await Mentorship.filter(request_id=request.id)
        .order_by("-requested_at")
        .select_related("mentor")
    )
