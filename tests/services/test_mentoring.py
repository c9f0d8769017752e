"""The mentoring services: profiles, requests, every lifecycle transition, the pair's space,
expiry, reminders, CPD events and batch runs, on the real database."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from forum.errors import NotFound, TransitionRefused, ValidationFailed
from forum.services import match_runs, mentoring
from forum.services.browsing import get_taxonomy
from forum.services.mentoring import transition_message
from forum.services.mentoring_forms import (
    AgreementDraft,
    GoalDraft,
    NeedDraft,
    ProfileDraft,
    RequestDraft,
    SessionDraft,
    add_months,
)
from models import (
    AuditEntry,
    MatchRun,
    MatchSuggestion,
    MentoringEvent,
    MentoringRequest,
    MentorProfile,
    Mentorship,
    MentorshipAgreement,
    MentorshipState,
    MentorshipStep,
    Notification,
    RequestState,
)
from models.mentoring import MENTORSHIP_TRANSITIONS
from tests.conftest import IS_POSTGRES
from tests.factories import make_member, make_mentor, make_mentoring_request, make_organisation

S = MentorshipState


def _agreement(months: int = 3) -> AgreementDraft:
    end = add_months(date.today(), months)
    return AgreementDraft(
        goals=(GoalDraft("sql-data-engineering", "3", "Write window functions for episodes."),),
        cadence="fortnightly",
        end_day=str(end.day),
        end_month=str(end.month),
        end_year=str(end.year),
    )


def _session(day: date | None = None, minutes: int = 45) -> SessionDraft:
    day = day or date.today()
    return SessionDraft(
        held_day=str(day.day),
        held_month=str(day.month),
        held_year=str(day.year),
        minutes=str(minutes),
        skill_areas=("sql-data-engineering",),
        shared_notes="We looked at `LAG` over episodes.",
        private_notes="Needs more practice.",
    )


class Pair:
    """A mentor and a mentee, and helpers that drive their mentorship to any state."""

    def __init__(self, mentor, mentee, taxonomy):
        self.mentor, self.mentee, self.taxonomy = mentor, mentee, taxonomy
        self.mentorship: Mentorship | None = None

    @classmethod
    async def make(cls, capacity: int = 2):
        mentor = await make_mentor(capacity=capacity)
        mentee = await make_member()
        return cls(mentor, mentee, await get_taxonomy())

    async def reload(self) -> Mentorship:
        self.mentorship = await Mentorship.get(id=self.mentorship.id)
        return self.mentorship

    async def ask(self, now=None):
        request = await make_mentoring_request(self.mentee)
        self.mentorship = await mentoring.do_ask_mentor(
            self.mentee, request, self.mentor.id, now=now
        )
        return self.mentorship

    async def step(self, step: MentorshipStep):
        """Take ``step`` as the side that normally takes it."""
        m = await self.reload()
        if step == MentorshipStep.ACCEPT:
            await mentoring.do_accept(self.mentor, m)
        elif step == MentorshipStep.DECLINE:
            await mentoring.do_decline(self.mentor, m, "My diary is full until the spring.")
        elif step == MentorshipStep.WITHDRAW:
            await mentoring.do_withdraw(self.mentee, m)
        elif step == MentorshipStep.EXPIRE:
            await mentoring.do_expire_requests(now=datetime.now(UTC) + timedelta(days=15))
        elif step == MentorshipStep.AGREE:
            await mentoring.do_record_agreement(self.mentee, m, _agreement(), self.taxonomy)
        elif step == MentorshipStep.START:
            await mentoring.do_log_session(
                self.mentor, m, _session(), self.taxonomy, max_length=20000
            )
        elif step == MentorshipStep.EXTEND:
            agreement = await MentorshipAgreement.filter(mentorship_id=m.id).first()
            end = add_months(agreement.end_on if agreement else date.today(), 1)
            await mentoring.do_extend(self.mentor, m, str(end.day), str(end.month), str(end.year))
        elif step == MentorshipStep.COMPLETE:
            await mentoring.do_complete(self.mentee, m)
        elif step == MentorshipStep.CLOSE_EARLY:
            await mentoring.do_close_early(self.mentor, m, "I am moving to a new job next month.")
        return await self.reload()


# How to reach each state from a new request, step by step.
PATHS = {
    S.REQUESTED: [],
    S.ACCEPTED: [MentorshipStep.ACCEPT],
    S.DECLINED: [MentorshipStep.DECLINE],
    S.EXPIRED: [MentorshipStep.EXPIRE],
    S.WITHDRAWN: [MentorshipStep.WITHDRAW],
    S.AGREED: [MentorshipStep.ACCEPT, MentorshipStep.AGREE],
    S.ACTIVE: [MentorshipStep.ACCEPT, MentorshipStep.AGREE, MentorshipStep.START],
    S.EXTENDED: [
        MentorshipStep.ACCEPT,
        MentorshipStep.AGREE,
        MentorshipStep.START,
        MentorshipStep.EXTEND,
    ],
    S.COMPLETED: [
        MentorshipStep.ACCEPT,
        MentorshipStep.AGREE,
        MentorshipStep.START,
        MentorshipStep.COMPLETE,
    ],
    S.CLOSED_EARLY: [MentorshipStep.ACCEPT, MentorshipStep.CLOSE_EARLY],
}


async def _pair_in(state: MentorshipState) -> Pair:
    pair = await Pair.make()
    await pair.ask()
    for step in PATHS[state]:
        await pair.step(step)
    assert pair.mentorship.state == state
    return pair


LEGAL = sorted(MENTORSHIP_TRANSITIONS.items())
ILLEGAL = [
    (state, step)
    for state in MentorshipState
    for step in MentorshipStep
    if (state, step) not in MENTORSHIP_TRANSITIONS
    and step != MentorshipStep.EXPIRE
    # Logging a session is how a mentorship starts, and stays allowed once it runs.
    and not (step == MentorshipStep.START and state in (S.ACTIVE, S.EXTENDED))
]


@pytest.mark.parametrize(("transition", "target"), LEGAL, ids=[f"{s}-{t}" for (s, t), _ in LEGAL])
async def test_legal_transition(transition, target):
    state, step = transition
    pair = await _pair_in(state)

    mentorship = await pair.step(step)

    assert mentorship.state == target


@pytest.mark.parametrize(("state", "step"), ILLEGAL, ids=[f"{s}-{t}" for s, t in ILLEGAL])
async def test_illegal_transition_refused(state, step):
    pair = await _pair_in(state)

    with pytest.raises(TransitionRefused) as refused:
        await pair.step(step)

    assert (await pair.reload()).state == state
    assert mentoring.STATE_WORDS[state] in refused.value.message


@pytest.mark.parametrize("state", [s for s in MentorshipState if s != S.REQUESTED])
async def test_expiry_leaves_other_states_alone(state):
    pair = await _pair_in(state)

    await pair.step(MentorshipStep.EXPIRE)

    assert (await pair.reload()).state == state


# Every sentence a member can see when a change is refused, word for word.
MESSAGE_CASES = [
    (
        S.DECLINED,
        MentorshipStep.ACCEPT,
        "You cannot accept this mentorship because it is declined. It has ended, so nothing more "
        "can change. Make a new request if you want more mentoring.",
    ),
    (
        S.REQUESTED,
        MentorshipStep.AGREE,
        "You cannot record an agreement for this mentorship because it is waiting for the mentor's "
        "answer. Wait for the mentor to accept or decline.",
    ),
    (
        S.ACCEPTED,
        MentorshipStep.COMPLETE,
        "You cannot complete this mentorship because it is accepted and waiting for an agreement. "
        "Record your agreement first.",
    ),
    (
        S.AGREED,
        MentorshipStep.EXTEND,
        "You cannot extend this mentorship because it is agreed and waiting for its first session. "
        "Log your first session first.",
    ),
    (S.ACTIVE, MentorshipStep.ACCEPT, "You cannot accept this mentorship because it is active."),
    (
        S.COMPLETED,
        MentorshipStep.CLOSE_EARLY,
        "You cannot close this mentorship because it is completed. It has ended, so nothing more "
        "can change. Make a new request if you want more mentoring.",
    ),
    (
        S.WITHDRAWN,
        MentorshipStep.WITHDRAW,
        "You cannot withdraw this mentorship because it is withdrawn. It has ended, so nothing "
        "more can change. Make a new request if you want more mentoring.",
    ),
]


@pytest.mark.parametrize(("state", "step", "expected"), MESSAGE_CASES)
def test_transition_message(state, step, expected):
    assert transition_message(state, step) == expected


@pytest.mark.parametrize("state", [S.ACTIVE, S.EXTENDED])
def test_running_mentorship_cannot_start_again(state):
    with pytest.raises(TransitionRefused):
        mentoring.check_transition(Mentorship(state=state), MentorshipStep.START)


async def test_log_session_before_agreement_says_why():
    pair = await _pair_in(S.ACCEPTED)

    with pytest.raises(TransitionRefused) as refused:
        await pair.step(MentorshipStep.START)

    assert refused.value.message == (
        "You cannot log a session because this mentorship is accepted and waiting for an "
        "agreement. Record your agreement first."
    )


async def test_only_the_mentor_accepts():
    pair = await _pair_in(S.REQUESTED)

    with pytest.raises(Exception) as refused:
        await mentoring.do_accept(pair.mentee, pair.mentorship)

    assert refused.value.status == 403
    assert (await pair.reload()).state == S.REQUESTED


async def test_accept_takes_a_place_and_close_frees_it():
    pair = await _pair_in(S.ACCEPTED)
    assert (await MentorProfile.get(member_id=pair.mentor.id)).mentee_count == 1

    await pair.step(MentorshipStep.CLOSE_EARLY)

    assert (await MentorProfile.get(member_id=pair.mentor.id)).mentee_count == 0
    request = await MentoringRequest.get(id=pair.mentorship.request_id)
    assert request.state == RequestState.MATCHED


async def test_decline_reopens_request_and_tells_mentee_why():
    pair = await _pair_in(S.DECLINED)

    request = await MentoringRequest.get(id=pair.mentorship.request_id)
    assert request.state == RequestState.OPEN
    texts = await Notification.filter(member_id=pair.mentee.id).values_list("text", flat=True)
    assert any("My diary is full until the spring." in text for text in texts)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("", "Give a reason of at least 10 characters."),
        ("Too busy", "Give a reason of at least 10 characters."),
    ],
)
async def test_decline_needs_a_reason(reason, expected):
    pair = await _pair_in(S.REQUESTED)

    with pytest.raises(ValidationFailed) as failed:
        await mentoring.do_decline(pair.mentor, pair.mentorship, reason)

    assert failed.value.errors == {"reason": expected}


async def test_concurrent_accepts_take_the_last_place_once():
    mentor = await make_mentor(capacity=1)
    mentorships = []
    for _ in range(2):
        mentee = await make_member()
        request = await make_mentoring_request(mentee)
        mentorships.append(await mentoring.do_ask_mentor(mentee, request, mentor.id))

    results = await asyncio.gather(
        *(mentoring.do_accept(mentor, m) for m in mentorships), return_exceptions=True
    )

    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1, results
    assert isinstance(failures[0], TransitionRefused)
    assert "no free place" in failures[0].message
    states = sorted([(await Mentorship.get(id=m.id)).state for m in mentorships])
    assert states == [S.ACCEPTED, S.REQUESTED]
    assert (await MentorProfile.get(member_id=mentor.id)).mentee_count == 1


async def test_concurrent_accept_and_withdraw_leave_one_outcome():
    pair = await _pair_in(S.REQUESTED)
    mentorship = pair.mentorship

    results = await asyncio.gather(
        mentoring.do_accept(pair.mentor, await Mentorship.get(id=mentorship.id)),
        mentoring.do_withdraw(pair.mentee, await Mentorship.get(id=mentorship.id)),
        return_exceptions=True,
    )

    assert sum(isinstance(r, TransitionRefused) for r in results) == 1, results
    final = await pair.reload()
    assert final.state in (S.ACCEPTED, S.WITHDRAWN)
    expected_count = 1 if final.state == S.ACCEPTED else 0
    assert (await MentorProfile.get(member_id=pair.mentor.id)).mentee_count == expected_count


async def test_request_expires_after_fourteen_days():
    pair = await Pair.make()
    asked_at = datetime.now(UTC) - timedelta(days=20)
    await pair.ask(now=asked_at)

    not_yet = await mentoring.do_expire_requests(now=asked_at + timedelta(days=13))
    expired = await mentoring.do_expire_requests(now=asked_at + timedelta(days=14, seconds=1))
    again = await mentoring.do_expire_requests(now=asked_at + timedelta(days=30))

    assert (not_yet, expired, again) == (0, 1, 0)
    assert (await pair.reload()).state == S.EXPIRED
    request = await MentoringRequest.get(id=pair.mentorship.request_id)
    assert request.state == RequestState.OPEN
    kinds = await Notification.filter(kind="mentoring_expired").values_list("member_id", flat=True)
    assert sorted(kinds) == sorted([pair.mentor.id, pair.mentee.id])


async def test_accepting_an_expired_request_is_refused():
    pair = await Pair.make()
    await pair.ask(now=datetime.now(UTC) - timedelta(days=15))

    with pytest.raises(TransitionRefused, match="expired"):
        await mentoring.do_accept(pair.mentor, pair.mentorship)

    assert (await pair.reload()).state == S.EXPIRED


async def test_quiet_pair_reminded_every_four_weeks():
    pair = await _pair_in(S.ACTIVE)
    last = datetime.now(UTC)

    soon = await mentoring.do_remind_quiet_pairs(now=last + timedelta(days=20))
    first = await mentoring.do_remind_quiet_pairs(now=last + timedelta(days=29))
    repeat = await mentoring.do_remind_quiet_pairs(now=last + timedelta(days=40))
    second = await mentoring.do_remind_quiet_pairs(now=last + timedelta(days=58))

    assert (soon, first, repeat, second) == (0, 1, 0, 1)
    reminded = await Notification.filter(kind="mentoring_reminder").values_list(
        "member_id", flat=True
    )
    assert sorted(reminded) == sorted([pair.mentor.id, pair.mentee.id] * 2)


async def test_agreed_pair_without_sessions_is_reminded():
    pair = await _pair_in(S.AGREED)

    assert await mentoring.do_remind_quiet_pairs(now=datetime.now(UTC) + timedelta(days=29)) == 1
    reminded = await Notification.filter(kind="mentoring_reminder").values_list(
        "member_id", flat=True
    )
    assert sorted(reminded) == sorted([pair.mentor.id, pair.mentee.id])


async def test_session_and_completion_write_cpd_events_for_both():
    pair = await _pair_in(S.COMPLETED)

    events = await MentoringEvent.filter(mentorship_id=pair.mentorship.id).order_by(
        "kind", "member_id"
    )
    kinds = sorted((event.kind, event.data["side"]) for event in events)
    assert kinds == [
        ("mentorship_completed", "mentee"),
        ("mentorship_completed", "mentor"),
        ("session_logged", "mentee"),
        ("session_logged", "mentor"),
    ]
    session_event = next(
        e for e in events if e.kind == "session_logged" and e.member_id == pair.mentee.id
    )
    assert session_event.data["minutes"] == 45
    assert session_event.data["skill_areas"] == ["SQL and data engineering"]
    assert session_event.data["other_name"] == pair.mentor.display_name
    assert "private_notes" not in session_event.data
    completed = next(
        e for e in events if e.kind == "mentorship_completed" and e.member_id == pair.mentor.id
    )
    assert completed.data["session_count"] == 1
    assert completed.data["goals"][0]["skill_area"] == "SQL and data engineering"
    assert all(event.processed_at is None for event in events)


async def test_private_notes_only_for_their_author():
    pair = await _pair_in(S.ACTIVE)
    taxonomy = await get_taxonomy()

    mentor_view = await mentoring.get_space(pair.mentorship, pair.mentor, taxonomy)
    mentee_view = await mentoring.get_space(pair.mentorship, pair.mentee, taxonomy)

    assert mentor_view.sessions[0].private_notes == "Needs more practice."
    assert mentee_view.sessions[0].private_notes == ""
    assert "LAG" in mentee_view.sessions[0].shared_notes_html


async def test_space_is_not_found_for_anyone_else():
    pair = await _pair_in(S.ACTIVE)
    outsider = await make_member()
    moderator = await make_member(permission="moderator")

    for member in (outsider, moderator, None):
        with pytest.raises(NotFound):
            await mentoring.access_mentorship(member, pair.mentorship.id)


async def test_moderator_opens_space_only_with_an_audited_reason():
    pair = await _pair_in(S.ACTIVE)
    moderator = await make_member(permission="moderator")
    taxonomy = await get_taxonomy()

    with pytest.raises(ValidationFailed):
        await mentoring.do_open_as_moderator(moderator, pair.mentorship.id, "", taxonomy)
    space = await mentoring.do_open_as_moderator(
        moderator, pair.mentorship.id, "A flag says a message was abusive.", taxonomy
    )

    assert space.as_moderator is True
    entry = await AuditEntry.get(action="open_mentorship_space")
    assert (entry.actor_id, entry.target_id, entry.reason) == (
        moderator.id,
        pair.mentorship.id,
        "A flag says a message was abusive.",
    )


async def test_message_notifies_only_the_other_side():
    pair = await _pair_in(S.ACCEPTED)
    bystander = await make_member()

    await mentoring.do_send_message(
        pair.mentee, pair.mentorship, "Shall we meet on Tuesday?", max_length=20000
    )

    notified = await Notification.filter(kind="mentoring_message").values_list("member_id", "text")
    assert notified == [
        (pair.mentor.id, f"{pair.mentee.display_name} sent you a message in your mentorship space.")
    ]
    assert await Notification.filter(member_id=bystander.id).count() == 0


async def test_feedback_once_after_the_end():
    pair = await _pair_in(S.ACTIVE)
    with pytest.raises(TransitionRefused, match="once the mentorship has ended"):
        await mentoring.do_give_feedback(pair.mentee, pair.mentorship, "5", "Very helpful.")

    await pair.step(MentorshipStep.COMPLETE)
    await mentoring.do_give_feedback(pair.mentee, pair.mentorship, "5", "Very helpful.")

    with pytest.raises(TransitionRefused, match="already given feedback"):
        await mentoring.do_give_feedback(pair.mentee, pair.mentorship, "4", "Again.")


REQUEST_CASES = [
    (
        "no skill area",
        {"needs": ()},
        {"need-1-skill_area": "Choose at least one skill area you want help with."},
    ),
    (
        "target not above current",
        {"needs": (NeedDraft("power-bi", "2", "2", "2"),)},
        {"need-1-target_level": "Choose a target level in Power BI above your current level."},
    ),
    (
        "same area twice",
        {"needs": (NeedDraft("power-bi", "1", "2", "2"), NeedDraft("power-bi", "1", "3", "2"))},
        {"need-2-skill_area": "You chose Power BI twice. Choose each skill area once."},
    ),
    (
        "unknown area",
        {"needs": (NeedDraft("knitting", "1", "2", "2"),)},
        {"need-1-skill_area": "That skill area does not exist. Choose one from the list."},
    ),
    ("no goals", {"goals": "  "}, {"goals": "Describe what you want to achieve with a mentor."}),
    (
        "timeframe too long",
        {"timeframe_months": "13"},
        {"timeframe_months": "Choose how long you would like mentoring for, from 1 to 12 months."},
    ),
    (
        "unknown format",
        {"formats": ("carrier-pigeon",)},
        {"formats": "Choose formats from the list."},
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in REQUEST_CASES], ids=[c[0] for c in REQUEST_CASES]
)
async def test_request_validation(fields, expected):
    draft = RequestDraft(
        **{"needs": (NeedDraft("power-bi", "1", "3", "3"),), "goals": "Learn DAX.", **fields}
    )

    with pytest.raises(ValidationFailed) as failed:
        await mentoring.do_create_request(
            await make_member(), draft, await get_taxonomy(), max_length=20000
        )

    assert failed.value.errors == expected


async def test_one_open_request_per_skill_area():
    mentee = await make_member()
    await make_mentoring_request(mentee, needs=(("power-bi", 1, 3, 3),))

    with pytest.raises(ValidationFailed) as failed:
        await make_mentoring_request(
            mentee, needs=(("sql-data-engineering", 1, 2, 2), ("power-bi", 0, 2, 3))
        )

    assert failed.value.errors == {
        "need-1-skill_area": "You already have an open request for Power BI. Close that request "
        "first, or choose another skill area."
    }
    request = await MentoringRequest.get(mentee_id=mentee.id)
    await mentoring.do_close_request(mentee, request)
    assert await make_mentoring_request(mentee, needs=(("power-bi", 1, 3, 3),))


PROFILE_CASES = [
    ("no skill", {"levels": {}}, {"levels": "Choose at least one skill area you can mentor in."}),
    (
        "awareness is too low to mentor",
        {"levels": {"power-bi": "1"}},
        {"levels": "Choose working, practitioner or expert for each skill area you offer."},
    ),
    (
        "capacity above ten",
        {"capacity": "11"},
        {"capacity": "Enter how many mentees you can take at once, from 0 to 10."},
    ),
    (
        "capacity not a number",
        {"capacity": "two"},
        {"capacity": "Enter how many mentees you can take at once, from 0 to 10."},
    ),
    ("no format", {"formats": ()}, {"formats": "Choose at least one way you can meet mentees."}),
    (
        "unknown system",
        {"systems": ("abacus",)},
        {"systems": "Choose case management systems from the list."},
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in PROFILE_CASES], ids=[c[0] for c in PROFILE_CASES]
)
async def test_profile_validation(fields, expected):
    draft = ProfileDraft(
        **{"levels": {"power-bi": "3"}, "capacity": "2", "formats": ("video",), **fields}
    )

    with pytest.raises(ValidationFailed) as failed:
        await mentoring.do_save_mentor_profile(
            await make_member(permission="mentor"), draft, await get_taxonomy()
        )

    assert failed.value.errors == expected


async def test_member_without_mentor_permission_cannot_offer():
    draft = ProfileDraft(levels={"power-bi": "3"}, capacity="2", formats=("video",))

    with pytest.raises(Exception) as refused:
        await mentoring.do_save_mentor_profile(await make_member(), draft, await get_taxonomy())

    assert refused.value.status == 403


def _end(months: int = 0, days: int = 0) -> dict:
    end = add_months(date.today(), months) + timedelta(days=days)
    return {"end_day": str(end.day), "end_month": str(end.month), "end_year": str(end.year)}


AGREEMENT_CASES = [
    ("no goal", {"goals": ()}, {"goal-1-skill_area": "Enter at least one goal."}),
    (
        "goal without level",
        {"goals": (GoalDraft("power-bi", "", "Build a measure."),)},
        {"goal-1-target_level": "Choose the target level for goal 1."},
    ),
    (
        "goal without words",
        {"goals": (GoalDraft("power-bi", "3", " "),)},
        {"goal-1-description": "Describe goal 1 in a sentence."},
    ),
    (
        "four goals",
        {"goals": tuple(GoalDraft("power-bi", "3", f"Goal {n}") for n in range(4))},
        {"goal-1-skill_area": "Agree at most 3 goals."},
    ),
    ("no cadence", {"cadence": ""}, {"cadence": "Choose how often you will meet."}),
    (
        "end too soon",
        _end(0, 20),
        {"end_on": "The end date must be at least one month from today."},
    ),
    (
        "end too late",
        _end(12, 1),
        {"end_on": "The end date must be no more than twelve months from today."},
    ),
    (
        "end not a date",
        {"end_day": "31", "end_month": "2", "end_year": "2027"},
        {"end_on": "Enter the end date as a real date, for example 31 3 2027."},
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in AGREEMENT_CASES], ids=[c[0] for c in AGREEMENT_CASES]
)
async def test_agreement_validation(fields, expected):
    pair = await _pair_in(S.ACCEPTED)
    base = _agreement()
    draft = AgreementDraft(**{**vars(base), **fields})

    with pytest.raises(ValidationFailed) as failed:
        await mentoring.do_record_agreement(pair.mentee, pair.mentorship, draft, pair.taxonomy)

    assert failed.value.errors == expected
    assert (await pair.reload()).state == S.ACCEPTED


SESSION_CASES = [
    (
        "future date",
        {"held_day": "1", "held_month": "1", "held_year": str(date.today().year + 1)},
        {"held_on": "The session date must be today or in the past."},
    ),
    (
        "too short",
        {"minutes": "2"},
        {"minutes": "Enter how long the session lasted, from 5 to 480 minutes."},
    ),
    (
        "no skill area",
        {"skill_areas": ()},
        {"skill_areas": "Choose at least one skill area the session covered."},
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in SESSION_CASES], ids=[c[0] for c in SESSION_CASES]
)
async def test_session_validation(fields, expected):
    pair = await _pair_in(S.AGREED)
    draft = SessionDraft(**{**vars(_session()), **fields})

    with pytest.raises(ValidationFailed) as failed:
        await mentoring.do_log_session(
            pair.mentor, pair.mentorship, draft, pair.taxonomy, max_length=20000
        )

    assert failed.value.errors == expected


async def test_session_before_the_mentorship_began_is_refused():
    pair = await _pair_in(S.AGREED)

    with pytest.raises(ValidationFailed) as failed:
        await mentoring.do_log_session(
            pair.mentor,
            pair.mentorship,
            _session(date.today() - timedelta(days=3)),
            pair.taxonomy,
            max_length=20000,
        )

    assert list(failed.value.errors) == ["held_on"]
    assert "when the mentorship began" in failed.value.errors["held_on"]


ASK_CASES = [
    (
        "paused mentor",
        {"accepting": False},
        {},
        "That mentor has no free place now, or has paused mentoring. Choose another mentor.",
    ),
    (
        "full mentor",
        {"capacity": 0},
        {},
        "That mentor has no free place now, or has paused mentoring. Choose another mentor.",
    ),
    (
        "mentor below target",
        {"levels": {"sql-data-engineering": 2}},
        {},
        "That mentor does not offer any of your request's skill areas at your target level. Choose another mentor.",
    ),
    (
        "same organisation refused",
        {"same_org": True},
        {"prefers_other_organisation": True},
        "That mentor works for your organisation, and your request asks for a mentor from another one. "
        "Choose another mentor or change your request.",
    ),
]


@pytest.mark.parametrize(
    ("mentor_fields", "request_fields", "expected"),
    [c[1:] for c in ASK_CASES],
    ids=[c[0] for c in ASK_CASES],
)
async def test_ask_refused_when_a_hard_filter_fails(mentor_fields, request_fields, expected):
    organisation = await make_organisation()
    same_org = mentor_fields.pop("same_org", False)
    mentor = await make_mentor(organisation=organisation if same_org else None, **mentor_fields)
    mentee = await make_member(organisation=organisation)
    request = await make_mentoring_request(mentee, **request_fields)

    with pytest.raises(TransitionRefused) as refused:
        await mentoring.do_ask_mentor(mentee, request, mentor.id)

    assert refused.value.message == expected
    assert (await MentoringRequest.get(id=request.id)).state == RequestState.OPEN


async def test_ask_twice_for_one_request_is_refused():
    pair = await _pair_in(S.REQUESTED)
    other_mentor = await make_mentor()
    request = await MentoringRequest.get(id=pair.mentorship.request_id)

    with pytest.raises(TransitionRefused, match="waiting for their answer"):
        await mentoring.do_ask_mentor(pair.mentee, request, other_mentor.id)


async def test_mentor_declined_before_is_not_suggested_again():
    pair = await _pair_in(S.DECLINED)
    request = await MentoringRequest.get(id=pair.mentorship.request_id)

    suggestions = await match_runs.list_suggestions(request, pair.mentee)

    assert pair.mentor.id not in [s.mentor.id for s in suggestions]
    with pytest.raises(TransitionRefused, match="cannot ask this mentor again"):
        await mentoring.do_ask_mentor(pair.mentee, request, pair.mentor.id)


async def test_suggestions_list_five_best_with_reasons():
    mentors = [
        await make_mentor(levels={"sql-data-engineering": 4 if n % 2 else 3}) for n in range(7)
    ]
    mentee = await make_member()
    request = await make_mentoring_request(mentee)

    suggestions = await match_runs.list_suggestions(request, mentee)

    assert len(suggestions) == 5
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert {s.mentor.id for s in suggestions[:3]} <= {m.id for n, m in enumerate(mentors) if n % 2}
    assert suggestions[0].reasons[0].startswith("Offers SQL and data engineering at expert level")


async def test_full_mentor_is_not_suggested():
    full = await make_mentor(capacity=1)
    taken = await make_member()
    await mentoring.do_accept(
        full, await mentoring.do_ask_mentor(taken, await make_mentoring_request(taken), full.id)
    )
    mentee = await make_member()
    request = await make_mentoring_request(mentee)

    suggestions = await match_runs.list_suggestions(request, mentee)

    assert full.id not in [s.mentor.id for s in suggestions]


async def test_batch_run_dry_run_and_publish():
    admin = await make_member(permission="admin")
    mentor = await make_mentor(capacity=1)
    mentees = [await make_member() for _ in range(2)]
    for mentee in mentees:
        await make_mentoring_request(mentee)

    dry = await match_runs.do_run_matching(admin, dry_run=True)
    assert (dry.run, len(dry.pairs), len(dry.unmatched)) == (None, 1, 1)
    assert await MatchRun.all().count() == 0

    outcome = await match_runs.do_run_matching(admin)
    suggestion = await MatchSuggestion.get(run_id=outcome.run.id)
    assert suggestion.mentor_id == mentor.id
    assert set(suggestion.factors) == set(match_runs.matching.FACTORS)
    assert suggestion.explanation

    assert await match_runs.do_publish_run(admin, outcome.run.id) == 1
    notified = await Notification.filter(kind="mentoring_suggestion").values_list(
        "member_id", flat=True
    )
    request = await MentoringRequest.get(id=suggestion.request_id)
    assert notified == [request.mentee_id]
    with pytest.raises(TransitionRefused, match="already been published"):
        await match_runs.do_publish_run(admin, outcome.run.id)


async def test_asking_from_a_published_suggestion_links_it():
    admin = await make_member(permission="admin")
    mentor = await make_mentor()
    mentee = await make_member()
    request = await make_mentoring_request(mentee)
    outcome = await match_runs.do_run_matching(admin)
    await match_runs.do_publish_run(admin, outcome.run.id)

    suggestions = await match_runs.list_suggestions(request, mentee)
    mentorship = await mentoring.do_ask_mentor(mentee, request, mentor.id)

    assert suggestions[0].from_run is True
    suggestion = await MatchSuggestion.get(run_id=outcome.run.id)
    assert mentorship.suggestion_id == suggestion.id
    assert suggestion.state == "requested"


WEIGHT_CASES = [
    ("negative", {"skill": "-1"}, {"skill": "Enter a whole number from 0 to 100."}),
    ("too high", {"min_score": "101"}, {"min_score": "Enter a whole number from 0 to 100."}),
    (
        "penalty too high",
        {"load_penalty": "21"},
        {"load_penalty": "Enter a whole number from 0 to 20."},
    ),
    (
        "boost days zero",
        {"full_boost_days": "0"},
        {"full_boost_days": "Enter a whole number from 1 to 365."},
    ),
    (
        "all factors zero",
        dict.fromkeys(match_runs.matching.FACTORS, "0"),
        {"skill": "Give at least one factor a weight above 0."},
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in WEIGHT_CASES], ids=[c[0] for c in WEIGHT_CASES]
)
async def test_weights_validation(fields, expected):
    form = {name: str(value) for name, value in vars(match_runs.matching.Weights()).items()}

    with pytest.raises(ValidationFailed) as failed:
        await match_runs.do_save_weights(await make_member(permission="admin"), {**form, **fields})

    assert failed.value.errors == expected


async def test_weights_change_is_audited_and_used():
    admin = await make_member(permission="admin")
    form = {name: str(value) for name, value in vars(match_runs.matching.Weights()).items()}

    await match_runs.do_save_weights(admin, {**form, "min_score": "55"})

    assert (await match_runs.get_weights()).min_score == 55
    entry = await AuditEntry.get(action="edit_matching_weights")
    assert (entry.before["min_score"], entry.after["min_score"]) == (40, 55)


@pytest.mark.skipif(
    not IS_POSTGRES, reason="three connections wait on one row lock only on PostgreSQL"
)
async def test_three_accepts_for_two_places():
    mentor = await make_mentor(capacity=2)
    mentorships = []
    for _ in range(3):
        mentee = await make_member()
        mentorships.append(
            await mentoring.do_ask_mentor(mentee, await make_mentoring_request(mentee), mentor.id)
        )

    results = await asyncio.gather(
        *(mentoring.do_accept(mentor, m) for m in mentorships), return_exceptions=True
    )

    assert sum(r is None for r in results) == 2, results
    assert (await MentorProfile.get(member_id=mentor.id)).mentee_count == 2


async def test_demo_mentoring_content_loads_once():
    from forum.services.demo import do_load_demo
    from models import MentoringSession, MentorshipFeedback

    await do_load_demo()
    await do_load_demo()

    assert await MentorProfile.all().count() == 4
    assert await MentoringRequest.filter(state=RequestState.OPEN).count() == 3
    states = sorted(await Mentorship.all().values_list("state", flat=True))
    assert states == [S.ACTIVE, S.COMPLETED]
    active = await Mentorship.get(state=S.ACTIVE).select_related("mentor")
    assert await MentoringSession.filter(mentorship_id=active.id).count() == 2
    assert (await MentorProfile.get(member_id=active.mentor_id)).mentee_count == 1
    assert await MentorshipFeedback.all().count() == 2
    assert await MentoringEvent.all().count() == 2 * (2 + 3 + 1)
