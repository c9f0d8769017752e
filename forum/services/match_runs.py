"""Feeding the matching engine from the database: suggestions, batch runs and weights.

The engine itself (``forum.services.matching``) is pure. This module loads mentors,
requests and past pairings into its dataclasses, and stores what it returns: a mentee's
self-match suggestions are computed when the page is shown, and a batch run is stored as a
``MatchRun`` with one ``MatchSuggestion`` per pairing, for an admin to review and publish.
"""

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import NotFound, TransitionRefused, ValidationFailed
from forum.services import matching
from forum.services.audit import do_audit
from forum.services.notifications import do_notify
from models import (
    MatchingWeights,
    MatchRun,
    MatchRunState,
    MatchSuggestion,
    Member,
    MemberPermission,
    MemberState,
    MentoringRequest,
    MentorProfile,
    Mentorship,
    MentorshipState,
    MentorSkill,
    RequestSkill,
    RequestState,
    SkillArea,
    SuggestionState,
)
from models.mentoring import (
    CASE_MANAGEMENT_SYSTEMS,
    FORMAT_LABELS,
    LIVE_STATES,
    STATUTORY_RETURNS,
)

logger = logging.getLogger(__name__)

MENTOR_PERMISSIONS = (MemberPermission.MENTOR, MemberPermission.MODERATOR, MemberPermission.ADMIN)
# Past pairings that may not be suggested again, besides any pairing still live.
BARRING_STATES = (MentorshipState.DECLINED, MentorshipState.CLOSED_EARLY)
LABELS = {
    **CASE_MANAGEMENT_SYSTEMS,
    **STATUTORY_RETURNS,
    **{str(k): v for k, v in FORMAT_LABELS.items()},
}

WEIGHT_FIELDS = (*matching.FACTORS, "min_score", "load_penalty", "full_boost_days")
WEIGHT_LIMITS = {
    **{name: (0, 100) for name in matching.FACTORS},
    "min_score": (0, 100),
    "load_penalty": (0, 20),
    "full_boost_days": (1, 365),
}


# Weights ----------------------------------------------------------------------------


async def get_weights() -> matching.Weights:
    """Return the admins' weights, or the defaults while none have been saved."""
    row = await MatchingWeights.filter(id=1).first()
    if row is None:
        return matching.Weights()
    return matching.Weights(**{name: getattr(row, name) for name in WEIGHT_FIELDS})


def check_weights(form: dict[str, str]) -> matching.Weights:
    """Validate the weights form, raising ValidationFailed with a message per field."""
    errors, values = {}, {}
    for name in WEIGHT_FIELDS:
        low, high = WEIGHT_LIMITS[name]
        text = (form.get(name) or "").strip()
        if not text.isdigit() or not low <= int(text) <= high:
            errors[name] = f"Enter a whole number from {low} to {high}."
            continue
        values[name] = int(text)
    if not errors and sum(values[name] for name in matching.FACTORS) == 0:
        errors["skill"] = "Give at least one factor a weight above 0."
    if errors:
        raise ValidationFailed(errors)
    return matching.Weights(**values)


async def do_save_weights(admin: Member, form: dict[str, str]) -> matching.Weights:
    """Save new weights and record the change in the audit log."""
    require(admin, Action.EDIT_MATCHING_WEIGHTS)
    weights = check_weights(form)
    before = asdict(await get_weights())

    async with in_transaction():
        await MatchingWeights.update_or_create(
            id=1, defaults={**asdict(weights), "updated_by_id": admin.id}
        )
        await do_audit(
            admin,
            "edit_matching_weights",
            target_type="matching_weights",
            target_id=1,
            before=before,
            after=asdict(weights),
        )
    logger.info("matching weights changed", extra={"member_id": admin.id})
    return weights


# Engine inputs ------------------------------------------------------------------------


@dataclass
class MentorPoolData:
    """The mentors who could take a mentee now, as profiles and as engine input."""

    profiles: dict[int, MentorProfile]
    mentors: list[matching.Mentor]

    def mentor(self, member_id: int) -> matching.Mentor | None:
        return next((mentor for mentor in self.mentors if mentor.mentor_id == member_id), None)


async def load_mentor_pool() -> MentorPoolData:
    """Load every accepting, active mentor with a free place, in two queries."""
    profiles = await MentorProfile.filter(
        accepting=True,
        capacity__gt=F("mentee_count"),
        member__state=MemberState.ACTIVE,
        member__permission__in=MENTOR_PERMISSIONS,
    ).select_related("member", "member__organisation", "member__role")
    skills = await MentorSkill.filter(profile_id__in=[p.id for p in profiles]).values_list(
        "profile_id", "skill_area_id", "level"
    )
    levels: dict[int, dict[int, int]] = {}
    for profile_id, area_id, level in skills:
        levels.setdefault(profile_id, {})[area_id] = level
    await _use_evidenced_levels(profiles, levels)

    mentors = [mentor_input(profile, levels.get(profile.id, {})) for profile in profiles]
    return MentorPoolData({p.member_id: p for p in profiles}, mentors)


async def _use_evidenced_levels(
    profiles: list[MentorProfile], levels: dict[int, dict[int, int]]
) -> None:
    """Replace a mentor's self-declared level with their evidenced level from endorsements,
    in each skill area they offer where one exists. Two queries."""
    from forum.services.endorsements import get_evidenced_level_map

    evidenced = await get_evidenced_level_map([profile.member_id for profile in profiles])
    for profile in profiles:
        offered = levels.get(profile.id, {})
        for area_id in offered:
            if (profile.member_id, area_id) in evidenced:
                offered[area_id] = evidenced[(profile.member_id, area_id)]


def mentor_input(profile: MentorProfile, levels: dict[int, int]) -> matching.Mentor:
    member = profile.member
    return matching.Mentor(
        mentor_id=member.id,
        levels=levels,
        free_places=profile.free_places,
        current_mentees=profile.mentee_count,
        organisation_id=member.organisation_id,
        role_id=member.role_id,
        offer=profile.offer,
        formats=frozenset(profile.formats),
        systems=frozenset(profile.systems),
        returns=frozenset(profile.returns),
        accepting=profile.accepting,
    )


def mentee_input(
    request: MentoringRequest, mentee: Member, skills: list[RequestSkill], now: datetime
) -> matching.Mentee:
    return matching.Mentee(
        request_id=request.id,
        mentee_id=mentee.id,
        needs=tuple(
            matching.Need(
                skill.skill_area_id, skill.current_level, skill.target_level, skill.importance
            )
            for skill in sorted(skills, key=lambda skill: (-skill.importance, skill.skill_area_id))
        ),
        organisation_id=mentee.organisation_id,
        role_id=mentee.role_id,
        goals=request.goals_source,
        formats=frozenset(request.formats),
        systems=frozenset(request.systems),
        returns=frozenset(request.returns),
        prefers_other_organisation=request.prefers_other_organisation,
        prefers_same_role=request.prefers_same_role,
        waiting_days=max((now - request.created_at).total_seconds() / 86400, 0.0),
    )


async def load_excluded_pairs(mentee_ids: list[int]) -> frozenset[tuple[int, int]]:
    """Return (mentor id, mentee id) pairs that declined or closed early, or are live now."""
    if not mentee_ids:
        return frozenset()
    rows = await Mentorship.filter(
        Q(state__in=BARRING_STATES) | Q(state__in=LIVE_STATES), mentee_id__in=mentee_ids
    ).values_list("mentor_id", "mentee_id")
    return frozenset(rows)


async def area_names() -> dict[int, str]:
    return dict(await SkillArea.all().values_list("id", "name"))


# Self-match -----------------------------------------------------------------------------


@dataclass
class MentorSuggestion:
    """A mentor suggested for a request, with the score and the reasons in plain words."""

    mentor: Member
    profile: MentorProfile
    score: float
    factors: dict
    reasons: list[str]
    from_run: bool = False


async def list_suggestions(
    request: MentoringRequest, mentee: Member, *, now: datetime | None = None
) -> list[MentorSuggestion]:
    """Return the request's five best mentors who have a free place now, best first.

    Published batch suggestions for the request come first when their mentor is still in
    the pool. Issues a fixed number of queries whatever the number of mentors.
    """
    now = now or datetime.now(UTC)
    skills = await RequestSkill.filter(request_id=request.id)
    pool = await load_mentor_pool()
    excluded = await load_excluded_pairs([mentee.id])
    names = await area_names()
    weights = await get_weights()

    mentee_data = mentee_input(request, mentee, skills, now)
    ranked = matching.rank_mentors(mentee_data, pool.mentors, weights, excluded_pairs=excluded)
    published = set(
        await MatchSuggestion.filter(
            request_id=request.id, state=SuggestionState.PUBLISHED
        ).values_list("mentor_id", flat=True)
    )
    # A batch suggestion outside the top five still shows while its mentor has a place.
    supply = matching.count_supply(pool.mentors)
    for mentor_id in sorted(published - {pair.mentor_id for pair in ranked}):
        mentor = pool.mentor(mentor_id)
        if mentor is not None and matching.check_pair(mentee_data, mentor, excluded) is None:
            ranked.append(matching.score_pair(mentee_data, mentor, weights, supply))

    suggestions = [
        MentorSuggestion(
            mentor=pool.profiles[pair.mentor_id].member,
            profile=pool.profiles[pair.mentor_id],
            score=pair.score,
            factors=pair.factors_as_dict(),
            reasons=matching.explain(pair, names, LABELS),
            from_run=pair.mentor_id in published,
        )
        for pair in ranked
    ]
    suggestions.sort(key=lambda suggestion: not suggestion.from_run)
    return suggestions


async def score_for_request(
    request: MentoringRequest, mentee: Member, mentor_id: int, *, now: datetime
) -> matching.PairScore:
    """Check one mentor against a request's hard filters and score the pair.

    Raises TransitionRefused, saying why, when the pair fails a filter.
    """
    skills = await RequestSkill.filter(request_id=request.id)
    pool = await load_mentor_pool()
    mentor = pool.mentor(mentor_id)
    if mentor is None:
        raise TransitionRefused(
            "That mentor has no free place now, or has paused mentoring. Choose another mentor."
        )

    mentee_data = mentee_input(request, mentee, skills, now)
    excluded = await load_excluded_pairs([mentee.id])
    rejection = matching.check_pair(mentee_data, mentor, excluded)
    if rejection is not None:
        raise TransitionRefused(REJECTION_MESSAGES[rejection])

    weights = await get_weights()
    return matching.score_pair(mentee_data, mentor, weights, matching.count_supply(pool.mentors))


REJECTION_MESSAGES = {
    matching.Rejection.SAME_PERSON: "You cannot ask yourself to be your mentor.",
    matching.Rejection.NOT_ACCEPTING: "That mentor has paused mentoring. Choose another mentor.",
    matching.Rejection.NO_FREE_PLACE: "That mentor has no free place now. Choose another mentor.",
    matching.Rejection.EXCLUDED_PAIR: (
        "You cannot ask this mentor again, because an earlier request between you was declined "
        "or closed early, or one is still open. Choose another mentor."
    ),
    matching.Rejection.SAME_ORGANISATION: (
        "That mentor works for your organisation, and your request asks for a mentor from "
        "another one. Choose another mentor or change your request."
    ),
    matching.Rejection.NO_SKILL_COVERED: (
        "That mentor does not offer any of your request's skill areas at your target level. "
        "Choose another mentor."
    ),
    matching.Rejection.ESSENTIAL_NOT_COVERED: (
        "That mentor does not offer every skill area you marked essential at your target "
        "level. Choose another mentor."
    ),
}


# Batch runs -----------------------------------------------------------------------------


@dataclass
class RunOutcome:
    """What one batch run found, stored or not."""

    run: MatchRun | None
    request_count: int
    mentor_count: int
    pairs: list[tuple[MentoringRequest, Member, matching.PairScore, list[str]]]
    unmatched: list[MentoringRequest]
    seconds: float


async def do_run_matching(
    actor: Member | None, *, dry_run: bool = False, now: datetime | None = None
) -> RunOutcome:
    """Match every open request against every mentor with a free place, all at once.

    A member with several open requests takes part with the one that has waited longest,
    because the engine gives each mentee at most one mentor per run. With ``dry_run`` the
    result is returned and nothing is stored. Otherwise a draft ``MatchRun`` is stored for
    an admin to review. ``actor`` is None when run from the command line.
    """
    if actor is not None:
        require(actor, Action.RUN_MATCHING)
    now = now or datetime.now(UTC)

    requests = (
        await MentoringRequest.filter(state=RequestState.OPEN, mentee__state=MemberState.ACTIVE)
        .order_by("created_at", "id")
        .select_related("mentee")
    )
    oldest_per_mentee: dict[int, MentoringRequest] = {}
    for request in requests:
        oldest_per_mentee.setdefault(request.mentee_id, request)
    requests = list(oldest_per_mentee.values())

    skills: dict[int, list[RequestSkill]] = {}
    for skill in await RequestSkill.filter(request_id__in=[r.id for r in requests]):
        skills.setdefault(skill.request_id, []).append(skill)
    pool = await load_mentor_pool()
    excluded = await load_excluded_pairs([r.mentee_id for r in requests])
    weights = await get_weights()
    names = await area_names()

    started = time.perf_counter()
    mentees = [mentee_input(r, r.mentee, skills.get(r.id, []), now) for r in requests]
    assignment = matching.assign(mentees, pool.mentors, weights, excluded_pairs=excluded)
    seconds = time.perf_counter() - started

    by_id = {request.id: request for request in requests}
    pairs = [
        (
            by_id[pair.request_id],
            pool.profiles[pair.mentor_id].member,
            pair,
            matching.explain(pair, names, LABELS),
        )
        for pair in assignment.pairs
    ]
    outcome = RunOutcome(
        run=None,
        request_count=len(requests),
        mentor_count=len(pool.mentors),
        pairs=pairs,
        unmatched=[by_id[request_id] for request_id in assignment.unmatched],
        seconds=seconds,
    )
    if dry_run:
        return outcome

    async with in_transaction():
        outcome.run = await MatchRun.create(
            started_by_id=actor.id if actor else None,
            weights=asdict(weights),
            request_count=len(requests),
            mentor_count=len(pool.mentors),
            matched_count=len(pairs),
            total_score=assignment.total_score,
            duration_ms=round(seconds * 1000),
        )
        await MatchSuggestion.bulk_create(
            [
                MatchSuggestion(
                    run_id=outcome.run.id,
                    request_id=request.id,
                    mentor_id=mentor.id,
                    score=pair.score,
                    factors=pair.factors_as_dict(),
                    explanation=reasons,
                )
                for request, mentor, pair, reasons in pairs
            ]
        )
    logger.info(
        "match run stored",
        extra={"run_id": outcome.run.id, "matched": len(pairs), "requests": len(requests)},
    )
    return outcome


async def list_runs(admin: Member, *, limit: int = 20) -> list[MatchRun]:
    require(admin, Action.RUN_MATCHING)
    return (
        await MatchRun.all()
        .order_by("-created_at", "-id")
        .limit(limit)
        .select_related("started_by")
    )


async def access_run(admin: Member, run_id: int) -> tuple[MatchRun, list[MatchSuggestion]]:
    """Return a run and its suggestions, with their requests, mentees and mentors loaded."""
    require(admin, Action.RUN_MATCHING)
    run = await MatchRun.filter(id=run_id).select_related("started_by", "published_by").first()
    if run is None:
        raise NotFound()
    suggestions = (
        await MatchSuggestion.filter(run_id=run.id)
        .order_by("-score", "id")
        .select_related("request", "request__mentee", "mentor")
    )
    return run, suggestions


async def do_publish_run(admin: Member, run_id: int, *, now: datetime | None = None) -> int:
    """Publish a draft run: each suggestion whose request is still open is shown to its mentee.

    Returns how many suggestions were published. Raises TransitionRefused when the run
    was already published.
    """
    require(admin, Action.PUBLISH_MATCHES)
    now = now or datetime.now(UTC)
    run, suggestions = await access_run(admin, run_id)

    published = 0
    async with in_transaction():
        changed = await MatchRun.filter(id=run.id, state=MatchRunState.DRAFT).update(
            state=MatchRunState.PUBLISHED, published_at=now, published_by_id=admin.id
        )
        if not changed:
            raise TransitionRefused("This match run has already been published.")

        for suggestion in suggestions:
            if suggestion.request.state != RequestState.OPEN:
                continue
            await MatchSuggestion.filter(id=suggestion.id).update(state=SuggestionState.PUBLISHED)
            await do_notify(
                suggestion.request.mentee_id,
                "mentoring_suggestion",
                actor_id=admin.id,
                text=(
                    f"We suggest {suggestion.mentor.display_name} as your mentor. "
                    "See why, and ask them if you agree."
                ),
                data={"url": f"/mentoring/requests/{suggestion.request_id}"},
            )
            published += 1
        await do_audit(
            admin,
            "publish_match_run",
            target_type="match_run",
            target_id=run.id,
            after={"published": published, "suggestions": len(suggestions)},
        )
    logger.info("match run published", extra={"run_id": run.id, "published": published})
    return published
