"""Mentoring: mentor profiles, mentoring requests, mentorships and batch match runs.

A mentorship moves through the states in ``MENTORSHIP_TRANSITIONS``. The services in
``forum.services.mentoring`` are the only writers, and they check that table before every
change. The pair's conversation is stored in ``MentorshipMessage`` rather than as a forum
thread, so no thread list, search index or thread notification can ever include it.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MentoringFormat(StrEnum):
    VIDEO = "video"
    IN_PERSON = "in_person"
    MESSAGES = "messages"


FORMAT_LABELS = {
    MentoringFormat.VIDEO: "Video call",
    MentoringFormat.IN_PERSON: "In person",
    MentoringFormat.MESSAGES: "Messages",
}

# Case management systems and statutory returns that mentors know and mentees work with.
# Stored by slug in JSON lists, so adding one here needs no migration.
CASE_MANAGEMENT_SYSTEMS = {
    "liquidlogic": "Liquidlogic",
    "mosaic": "Mosaic",
    "eclipse": "Eclipse",
    "carefirst": "CareFirst",
    "other-system": "Another case management system",
}
STATUTORY_RETURNS = {
    "cin-census": "Children in Need census",
    "ssda903": "SSDA903 children looked after return",
    "workforce-census": "Children's social work workforce census",
    "annex-a": "Ofsted ILACS Annex A",
}

IMPORTANCE_LABELS = {1: "Nice to have", 2: "Important", 3: "Essential"}


class RequestState(StrEnum):
    """Open: looking for a mentor. Asked: one mentor has been asked and has not answered.
    Matched: a mentor accepted. Closed: the member closed it."""

    OPEN = "open"
    ASKED = "asked"
    MATCHED = "matched"
    CLOSED = "closed"


class MentorshipState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    AGREED = "agreed"
    ACTIVE = "active"
    EXTENDED = "extended"
    COMPLETED = "completed"
    CLOSED_EARLY = "closed_early"


class MentorshipStep(StrEnum):
    """A change someone can ask for. The transition table maps (state, step) to a new state."""

    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"
    AGREE = "agree"
    START = "start"
    EXTEND = "extend"
    COMPLETE = "complete"
    CLOSE_EARLY = "close_early"


MENTORSHIP_TRANSITIONS: dict[tuple[MentorshipState, MentorshipStep], MentorshipState] = {
    (MentorshipState.REQUESTED, MentorshipStep.ACCEPT): MentorshipState.ACCEPTED,
    (MentorshipState.REQUESTED, MentorshipStep.DECLINE): MentorshipState.DECLINED,
    (MentorshipState.REQUESTED, MentorshipStep.EXPIRE): MentorshipState.EXPIRED,
    (MentorshipState.REQUESTED, MentorshipStep.WITHDRAW): MentorshipState.WITHDRAWN,
    (MentorshipState.ACCEPTED, MentorshipStep.AGREE): MentorshipState.AGREED,
    (MentorshipState.ACCEPTED, MentorshipStep.CLOSE_EARLY): MentorshipState.CLOSED_EARLY,
    (MentorshipState.AGREED, MentorshipStep.START): MentorshipState.ACTIVE,
    (MentorshipState.AGREED, MentorshipStep.CLOSE_EARLY): MentorshipState.CLOSED_EARLY,
    (MentorshipState.ACTIVE, MentorshipStep.EXTEND): MentorshipState.EXTENDED,
    (MentorshipState.ACTIVE, MentorshipStep.COMPLETE): MentorshipState.COMPLETED,
    (MentorshipState.ACTIVE, MentorshipStep.CLOSE_EARLY): MentorshipState.CLOSED_EARLY,
    (MentorshipState.EXTENDED, MentorshipStep.EXTEND): MentorshipState.EXTENDED,
    (MentorshipState.EXTENDED, MentorshipStep.COMPLETE): MentorshipState.COMPLETED,
    (MentorshipState.EXTENDED, MentorshipStep.CLOSE_EARLY): MentorshipState.CLOSED_EARLY,
}

# States in which the mentorship takes one of the mentor's places.
PLACE_HOLDING_STATES = (
    MentorshipState.ACCEPTED,
    MentorshipState.AGREED,
    MentorshipState.ACTIVE,
    MentorshipState.EXTENDED,
)
# States in which the pair may still change something: the request is pending or running.
LIVE_STATES = (MentorshipState.REQUESTED, *PLACE_HOLDING_STATES)
# States in which sessions can be logged: logging the first session starts an agreed one.
SESSION_STATES = (MentorshipState.AGREED, MentorshipState.ACTIVE, MentorshipState.EXTENDED)
ENDED_STATES = (MentorshipState.COMPLETED, MentorshipState.CLOSED_EARLY)


class MentorProfile(Model):
    """A member's offer to mentor: skill areas with levels, capacity, formats and context."""

    id = fields.IntField(primary_key=True)
    member: fields.OneToOneRelation["Member"] = fields.OneToOneField(  # noqa: F821
        "models.Member", related_name="mentor_profile", on_delete=fields.CASCADE
    )
    # The most mentees the mentor takes at once, 0 to 10.
    capacity = fields.SmallIntField(default=2)
    # Mentorships holding a place (accepted, agreed, active or extended). Accepting a
    # request raises it with a conditional UPDATE, so two accepts cannot both take the last place.
    mentee_count = fields.SmallIntField(default=0)
    formats: list = fields.JSONField(default=list)
    availability = fields.CharField(max_length=500, default="")
    # What the mentor can help with, in their own words. The matching engine compares it
    # with mentees' goals.
    offer = fields.TextField(default="")
    systems: list = fields.JSONField(default=list)
    returns: list = fields.JSONField(default=list)
    accepting = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mentor_profile"

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.mentee_count, 0)


class MentorSkill(Model):
    """The level a mentor offers in one skill area."""

    id = fields.IntField(primary_key=True)
    profile: fields.ForeignKeyRelation[MentorProfile] = fields.ForeignKeyField(
        "models.MentorProfile", related_name="skills", on_delete=fields.CASCADE
    )
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="mentor_skills", on_delete=fields.RESTRICT
    )
    level = fields.SmallIntField()

    class Meta:
        table = "mentor_skill"
        unique_together = (("profile_id", "skill_area_id"),)
        indexes = (("skill_area_id", "level"),)


class MentoringRequest(Model):
    """A member's request for a mentor: skill areas, goals, preferences and a timeframe."""

    id = fields.IntField(primary_key=True)
    mentee: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentoring_requests", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(RequestState, max_length=20, default=RequestState.OPEN)
    goals_source = fields.TextField()
    goals_html = fields.TextField()
    renderer_version = fields.SmallIntField()
    prefers_other_organisation = fields.BooleanField(default=False)
    prefers_same_role = fields.BooleanField(default=False)
    formats: list = fields.JSONField(default=list)
    systems: list = fields.JSONField(default=list)
    returns: list = fields.JSONField(default=list)
    # How many months of mentoring the member hopes for, 1 to 12.
    timeframe_months = fields.SmallIntField(default=6)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mentoring_request"
        indexes = (("state", "created_at"), ("mentee_id", "state"))


class RequestSkill(Model):
    """One skill area of a request, with the mentee's current and target level.

    ``open_mentee_id`` repeats the mentee's id while the request is open and is NULL
    afterwards. The unique pair (skill area, open mentee) lets the database itself keep
    one open request per member per skill area, because NULLs never collide.
    """

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation[MentoringRequest] = fields.ForeignKeyField(
        "models.MentoringRequest", related_name="skills", on_delete=fields.CASCADE
    )
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="request_skills", on_delete=fields.RESTRICT
    )
    current_level = fields.SmallIntField()
    target_level = fields.SmallIntField()
    # 1 nice to have, 2 important, 3 essential. A mentor must cover every essential area.
    importance = fields.SmallIntField(default=2)
    open_mentee_id = fields.IntField(null=True)

    class Meta:
        table = "request_skill"
        unique_together = (("request_id", "skill_area_id"), ("skill_area_id", "open_mentee_id"))


class MatchingWeights(Model):
    """The admin-editable weights of the matching score. One row, id 1."""

    id = fields.IntField(primary_key=True)
    skill = fields.SmallIntField(default=35)
    goals = fields.SmallIntField(default=15)
    context = fields.SmallIntField(default=15)
    rarity = fields.SmallIntField(default=10)
    format = fields.SmallIntField(default=10)
    preference = fields.SmallIntField(default=10)
    waiting = fields.SmallIntField(default=5)
    # Pairs scoring below this (0 to 100) are never suggested.
    min_score = fields.SmallIntField(default=40)
    # Score points each mentee a mentor already has takes off the next pairing with them.
    load_penalty = fields.SmallIntField(default=3)
    # Days of waiting after which the waiting factor reaches its full value.
    full_boost_days = fields.SmallIntField(default=60)
    updated_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member",
        related_name="matching_weight_changes",
        null=True,
        on_delete=fields.SET_NULL,
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "matching_weights"


class MatchRunState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class MatchRun(Model):
    """One batch run of the matching engine, reviewed by an admin before publication."""

    id = fields.IntField(primary_key=True)
    state = fields.CharEnumField(MatchRunState, max_length=20, default=MatchRunState.DRAFT)
    started_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="match_runs", null=True, on_delete=fields.SET_NULL
    )
    # The weights used, copied so that later edits do not change what this run meant.
    weights: dict = fields.JSONField(default=dict)
    request_count = fields.IntField(default=0)
    mentor_count = fields.IntField(default=0)
    matched_count = fields.IntField(default=0)
    total_score = fields.FloatField(default=0)
    duration_ms = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)
    published_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member",
        related_name="published_match_runs",
        null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "match_run"
        ordering = ["-created_at", "-id"]


class SuggestionState(StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"
    REQUESTED = "requested"


class MatchSuggestion(Model):
    """One pairing from a match run, with the factor breakdown that produced its score."""

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[MatchRun] = fields.ForeignKeyField(
        "models.MatchRun", related_name="suggestions", on_delete=fields.CASCADE
    )
    request: fields.ForeignKeyRelation[MentoringRequest] = fields.ForeignKeyField(
        "models.MentoringRequest", related_name="suggestions", on_delete=fields.CASCADE
    )
    mentor: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentor_suggestions", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(SuggestionState, max_length=20, default=SuggestionState.PROPOSED)
    score = fields.FloatField()
    # Per factor: its value from 0 to 1, its weight, the points it added and its details.
    factors: dict = fields.JSONField(default=dict)
    # "Why this match", one plain sentence per factor that counted.
    explanation: list = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "match_suggestion"
        unique_together = (("run_id", "request_id"),)


class Mentorship(Model):
    """A pairing of mentor and mentee, from the request to its close."""

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation[MentoringRequest] = fields.ForeignKeyField(
        "models.MentoringRequest", related_name="mentorships", on_delete=fields.CASCADE
    )
    mentor: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentorships_as_mentor", on_delete=fields.CASCADE
    )
    mentee: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentorships_as_mentee", on_delete=fields.CASCADE
    )
    suggestion: fields.ForeignKeyNullableRelation[MatchSuggestion] = fields.ForeignKeyField(
        "models.MatchSuggestion",
        related_name="mentorships",
        null=True,
        on_delete=fields.SET_NULL,
    )
    state = fields.CharEnumField(MentorshipState, max_length=20, default=MentorshipState.REQUESTED)
    # "mentor:mentee" while the mentorship is live and NULL after, so the database refuses
    # a second live mentorship for the same pair.
    live_pair = fields.CharField(max_length=40, null=True, unique=True)
    score = fields.FloatField(null=True)
    factors: dict = fields.JSONField(default=dict)
    explanation: list = fields.JSONField(default=list)
    # The mentee's note to the mentor when asking, in plain text.
    message = fields.TextField(default="")
    # Why the mentor declined or why either side closed early.
    reason = fields.TextField(default="")
    ended_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="ended_mentorships", null=True, on_delete=fields.SET_NULL
    )
    requested_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    agreed_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    last_session_at = fields.DatetimeField(null=True)
    last_reminder_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mentorship"
        indexes = (
            ("mentor_id", "state"),
            ("mentee_id", "state"),
            ("state", "expires_at"),
        )

    def is_party(self, member_id: int | None) -> bool:
        return member_id is not None and member_id in (self.mentor_id, self.mentee_id)


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    AS_NEEDED = "as_needed"


CADENCE_LABELS = {
    Cadence.WEEKLY: "Every week",
    Cadence.FORTNIGHTLY: "Every two weeks",
    Cadence.MONTHLY: "Every month",
    Cadence.AS_NEEDED: "When either of us asks",
}


class MentorshipAgreement(Model):
    """What the pair agreed: how often they meet and when the mentorship ends."""

    id = fields.IntField(primary_key=True)
    mentorship: fields.OneToOneRelation[Mentorship] = fields.OneToOneField(
        "models.Mentorship", related_name="agreement", on_delete=fields.CASCADE
    )
    cadence = fields.CharEnumField(Cadence, max_length=20)
    end_on = fields.DateField()
    recorded_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="recorded_agreements", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mentorship_agreement"


class AgreementGoal(Model):
    """One of the one to three goals of an agreement, tied to a skill area and target level."""

    id = fields.IntField(primary_key=True)
    agreement: fields.ForeignKeyRelation[MentorshipAgreement] = fields.ForeignKeyField(
        "models.MentorshipAgreement", related_name="goals", on_delete=fields.CASCADE
    )
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="agreement_goals", on_delete=fields.RESTRICT
    )
    target_level = fields.SmallIntField()
    description = fields.CharField(max_length=300)
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "agreement_goal"
        ordering = ["position"]


class MentoringSession(Model):
    """A logged meeting of the pair. Private notes are shown only to the member who logged it."""

    id = fields.IntField(primary_key=True)
    mentorship: fields.ForeignKeyRelation[Mentorship] = fields.ForeignKeyField(
        "models.Mentorship", related_name="sessions", on_delete=fields.CASCADE
    )
    logged_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="logged_sessions", null=True, on_delete=fields.SET_NULL
    )
    held_on = fields.DateField()
    minutes = fields.SmallIntField()
    # Ids of the skill areas the session covered.
    skill_area_ids: list = fields.JSONField(default=list)
    shared_notes_source = fields.TextField(default="")
    shared_notes_html = fields.TextField(default="")
    renderer_version = fields.SmallIntField()
    private_notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mentoring_session"
        ordering = ["-held_on", "-id"]
        indexes = (("mentorship_id", "held_on"),)


class MentorshipMessage(Model):
    """A message in the pair's private space.

    A separate table rather than a forum thread: thread lists, search and thread
    notifications read only ``thread`` and ``post``, so none of them can show these.
    """

    id = fields.IntField(primary_key=True)
    mentorship: fields.ForeignKeyRelation[Mentorship] = fields.ForeignKeyField(
        "models.Mentorship", related_name="messages", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentorship_messages", null=True, on_delete=fields.SET_NULL
    )
    source = fields.TextField()
    html = fields.TextField()
    renderer_version = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mentorship_message"
        ordering = ["created_at", "id"]
        indexes = (("mentorship_id", "created_at"),)


class MentorshipFeedback(Model):
    """One side's private feedback at the close. Only admins see the rating."""

    id = fields.IntField(primary_key=True)
    mentorship: fields.ForeignKeyRelation[Mentorship] = fields.ForeignKeyField(
        "models.Mentorship", related_name="feedback", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentoring_feedback", on_delete=fields.CASCADE
    )
    # 1 (poor) to 5 (excellent).
    rating = fields.SmallIntField()
    words = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mentorship_feedback"
        unique_together = (("mentorship_id", "author_id"),)


class MentoringEventKind(StrEnum):
    SESSION_LOGGED = "session_logged"
    MENTORSHIP_COMPLETED = "mentorship_completed"


class MentoringEvent(Model):
    """Something in a mentorship that counts as professional development for one member.

    Each logged session and each completion writes one event for the mentor and one for
    the mentee. The CPD record turns events into draft entries and sets ``processed_at``.
    ``data`` holds what an entry needs without further queries: the member's side
    (mentor or mentee), the other person, skill area ids and names, minutes, dates and goals.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(MentoringEventKind, max_length=40)
    mentorship: fields.ForeignKeyRelation[Mentorship] = fields.ForeignKeyField(
        "models.Mentorship", related_name="events", on_delete=fields.CASCADE
    )
    session: fields.ForeignKeyNullableRelation[MentoringSession] = fields.ForeignKeyField(
        "models.MentoringSession", related_name="events", null=True, on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="mentoring_events", on_delete=fields.CASCADE
    )
    occurred_at = fields.DatetimeField()
    data: dict = fields.JSONField(default=dict)
    # "kind:mentorship:session:member", unique so that an event is never written twice.
    key = fields.CharField(max_length=100, unique=True)
    processed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mentoring_event"
        indexes = (("member_id", "processed_at"),)
