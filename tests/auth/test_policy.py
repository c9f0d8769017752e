"""Every action in the policy, for every kind of visitor, in one table."""

from datetime import UTC, datetime, timedelta

import pytest

from forum.auth.policy import RULES, Action, can, require
from forum.errors import Forbidden, SignInRequired
from models import (
    CpdEntry,
    Endorsement,
    Member,
    MemberState,
    MentoringRequest,
    Mentorship,
    Post,
    Thread,
    ThreadKind,
    ThreadState,
)

pytestmark = pytest.mark.no_database

# "mentor" is an active member with the mentor permission. It has every right "member" has,
# so a row that allows "member" for a reason other than who the member is also allows "mentor".
VISITORS = ("anonymous", "member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin")


def _member(permission: str = "member", state: str = MemberState.ACTIVE, member_id: int = 1, **fields):
    return Member(id=member_id, handle=f"h{member_id}", display_name="M", permission=permission, state=state, **fields)



@pytest.fixture(name="db", autouse=True)
def _no_emptying(database_url):
    """Replace the shared fixture that empties every table before each test, because the
    policy reads no database and this file has about a thousand cases. ``database_url``
    still initialises Tortoise, which model instances need for their relation fields."""
    yield None

def _visitor(name: str) -> Member | None:
    return {
        "anonymous": None,
        "member": _member(member_id=2),
        "mentor": _member("mentor", member_id=8),
        "suspended": _member(state=MemberState.SUSPENDED, member_id=1),
        "silenced": _member(member_id=6, is_silenced=True),
        "pending": _member(state=MemberState.PENDING, member_id=7),
        "author": _member(member_id=1),
        "moderator": _member("moderator", member_id=3),
        "admin": _member("admin", member_id=4),
    }[name]


def _thread(state: str = ThreadState.OPEN, kind: str = ThreadKind.QUESTION) -> Thread:
    return Thread(id=10, title="T", slug="t", kind=kind, state=state, author_id=1)


def _post(hidden: bool = False, state: str = ThreadState.OPEN, author_id: int = 1) -> Post:
    post = Post(id=20, number=1, author_id=author_id, is_hidden=hidden, source="x", html="x", renderer_version=1)
    post.thread = _thread(state)
    return post


def _redacted_post() -> Post:
    post = _post(author_id=5)
    post.redacted_at = datetime(2025, 1, 1, tzinfo=UTC)
    return post


def _target(permission: str = "member", state: str = MemberState.ACTIVE, member_id: int = 9) -> Member:
    return _member(permission, state, member_id=member_id)


MODERATORS = {"moderator", "admin"}


def _mentorship(mentor_id: int = 8, mentee_id: int = 2, state: str = "requested") -> Mentorship:
    """A mentorship of the "mentor" visitor and the "member" visitor by default."""
    return Mentorship(id=30, mentor_id=mentor_id, mentee_id=mentee_id, request_id=40, state=state)


def _mentoring_request(mentee_id: int = 2) -> MentoringRequest:
    return MentoringRequest(id=40, mentee_id=mentee_id)


PAIR = {"mentor", "member"}


def _endorsement(endorser_id: int = 2, member_id: int = 1) -> Endorsement:
    return Endorsement(id=60, endorser_id=endorser_id, member_id=member_id, skill_area_id=1, level=2)
ADMINS = {"admin"}

# (action, object factory, visitors allowed); every visitor not listed must be refused.
TABLE = [
    (Action.VIEW_THREAD, lambda: _thread(), set(VISITORS)),
    (Action.VIEW_THREAD, lambda: _thread(ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.VIEW_THREAD, lambda: _thread(ThreadState.HELD), {"author", "suspended", "moderator", "admin"}),
    (Action.VIEW_HIDDEN_CONTENT, lambda: None, {"moderator", "admin"}),
    (Action.CREATE_THREAD, lambda: ThreadKind.QUESTION, {"member", "mentor", "author", "moderator", "admin"}),
    (Action.CREATE_THREAD, lambda: ThreadKind.ANNOUNCEMENT, {"moderator", "admin"}),
    (Action.CREATE_ANNOUNCEMENT, lambda: None, {"moderator", "admin"}),
    (Action.REPLY, lambda: _thread(), {"member", "mentor", "author", "moderator", "admin"}),
    (Action.REPLY, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.REPLY, lambda: _thread(ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.EDIT_POST, lambda: _post(), {"author", "moderator", "admin"}),
    (Action.EDIT_POST, lambda: _post(hidden=True), {"moderator", "admin"}),
    (Action.EDIT_POST, lambda: _post(author_id=6), {"moderator", "admin"}),
    (Action.EDIT_POST, _redacted_post, set()),
    (Action.VIEW_REVISIONS, lambda: _post(), set(VISITORS)),
    (Action.VIEW_REVISIONS, lambda: _post(state=ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.PREVIEW_MARKDOWN, lambda: None, {"member", "mentor", "silenced", "author", "moderator", "admin"}),
    (Action.SIGN_OUT, lambda: None, {"member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin"}),
    (Action.PROMOTE_MEMBER, lambda: None, {"admin"}),
    (Action.MANAGE_OWN_ACCOUNT, lambda: _member(member_id=1), {"author"}),
    (Action.MANAGE_OWN_ACCOUNT, lambda: _member(state=MemberState.PENDING, member_id=7), {"pending"}),
    (Action.MANAGE_OWN_ACCOUNT, lambda: None, set()),
    (Action.ACCEPT_ANSWER, lambda: _thread(), {"author", "moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(ThreadState.SOLVED), {"author", "moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(kind=ThreadKind.DISCUSSION), set()),
    (Action.VOTE, lambda: _post(author_id=5), {"member", "mentor", "author", "moderator", "admin"}),
    (Action.VOTE, lambda: _post(), {"member", "mentor", "moderator", "admin"}),
    (Action.VOTE, lambda: _post(author_id=5, hidden=True), set()),
    (Action.VOTE, lambda: _post(author_id=5, state=ThreadState.HIDDEN), set()),
    (Action.VOTE, lambda: _post(author_id=5, state=ThreadState.LOCKED), {"member", "mentor", "author", "moderator", "admin"}),
    (Action.SAVE_DRAFT, lambda: _thread(), {"member", "mentor", "author", "moderator", "admin"}),
    (Action.SAVE_DRAFT, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.SUGGEST_MENTIONS, lambda: None, {"member", "mentor", "silenced", "author", "moderator", "admin"}),
    (Action.SUGGEST_DUPLICATE, lambda: _thread(), {"member", "mentor", "author", "moderator", "admin"}),
    (Action.SUGGEST_DUPLICATE, lambda: _thread(ThreadState.HIDDEN), set()),
    (Action.ACCEPT_DUPLICATE, lambda: _thread(), {"author", "moderator", "admin"}),
    (Action.ACCEPT_DUPLICATE, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.ACCEPT_DUPLICATE, lambda: _thread(kind=ThreadKind.RESOURCE), set()),
    (Action.VIEW_NOTIFICATIONS, lambda: None, {"member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin"}),
    (Action.MARK_NOTIFICATIONS_READ, lambda: None, {"member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin"}),
    (Action.MANAGE_NOTIFICATION_PREFERENCES, lambda: None, {"member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin"}),
    (Action.SET_WATCH_LEVEL, lambda: None, {"member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin"}),
    (Action.FLAG, lambda: _post(author_id=5), {"member", "mentor", "silenced", "author", "moderator", "admin"}),
    (Action.FLAG, lambda: _post(), {"member", "mentor", "silenced", "moderator", "admin"}),
    (Action.FLAG, lambda: _post(author_id=5, hidden=True), set()),
    (Action.FLAG, lambda: _post(author_id=5, state=ThreadState.HIDDEN), MODERATORS),
    (Action.FLAG, lambda: _thread(), {"member", "mentor", "silenced", "moderator", "admin"}),
    (Action.FLAG, lambda: _thread(ThreadState.HIDDEN), MODERATORS),
    (Action.REVIEW_FLAGS, lambda: None, MODERATORS),
    (Action.LOCK_THREAD, lambda: _thread(), MODERATORS),
    (Action.PIN_THREAD, lambda: _thread(), MODERATORS),
    (Action.MOVE_THREAD, lambda: _thread(), MODERATORS),
    (Action.MERGE_THREADS, lambda: _thread(), MODERATORS),
    (Action.SPLIT_THREAD, lambda: _thread(), MODERATORS),
    (Action.HIDE, lambda: _post(), MODERATORS),
    (Action.HIDE, lambda: _thread(), MODERATORS),
    (Action.REDACT_POST, lambda: _post(), MODERATORS),
    (Action.REDACT_POST, _redacted_post, set()),
    (Action.SET_SLOW_MODE, lambda: _thread(), MODERATORS),
    (Action.MANAGE_CANNED_REASONS, lambda: None, {"admin"}),
    (Action.SUSPEND_MEMBER, lambda: _target(), MODERATORS),
    (Action.SUSPEND_MEMBER, lambda: _target("mentor"), MODERATORS),
    (Action.SUSPEND_MEMBER, lambda: _target("moderator"), {"admin"}),
    (Action.SUSPEND_MEMBER, lambda: _target("admin"), set()),
    (Action.SUSPEND_MEMBER, lambda: _target("moderator", member_id=3), {"admin"}),
    (Action.SILENCE_MEMBER, lambda: _target(), MODERATORS),
    (Action.SILENCE_MEMBER, lambda: _target("moderator"), {"admin"}),
    (Action.SILENCE_MEMBER, lambda: _target("admin"), set()),
    (Action.NOTE_MEMBER, lambda: _target(), MODERATORS),
    (Action.APPROVE_MEMBER, lambda: _target(state=MemberState.PENDING), MODERATORS),
    (Action.APPROVE_MEMBER, lambda: _target(), set()),
    (Action.VIEW_AUDIT_LOG, lambda: None, MODERATORS),
    (Action.REVIEW_HELD_POSTS, lambda: None, MODERATORS),
    (Action.LISTEN_LIVE, lambda: None, {"member", "mentor", "suspended", "silenced", "pending", "author", "moderator", "admin"}),
    (Action.OFFER_MENTORING, lambda: None, {"mentor", "moderator", "admin"}),
    (Action.REQUEST_MENTORING, lambda: None, {"member", "mentor", "author", "moderator", "admin"}),
    (Action.RESPOND_TO_REQUEST, lambda: _mentorship(), {"mentor"}),
    (Action.RESPOND_TO_REQUEST, lambda: _mentorship(mentor_id=1, mentee_id=2), {"author"}),
    (Action.WITHDRAW_REQUEST, lambda: _mentorship(), {"member"}),
    (Action.WITHDRAW_REQUEST, lambda: _mentoring_request(), {"member"}),
    (Action.WITHDRAW_REQUEST, lambda: _mentoring_request(mentee_id=1), {"author"}),
    (Action.AGREE_MENTORSHIP, lambda: _mentorship(), PAIR),
    (Action.LOG_SESSION, lambda: _mentorship(), PAIR),
    # A silenced member still runs an existing mentorship.
    (Action.LOG_SESSION, lambda: _mentorship(mentor_id=3, mentee_id=6), {"moderator", "silenced"}),
    (Action.CLOSE_MENTORSHIP, lambda: _mentorship(), PAIR),
    (Action.CLOSE_MENTORSHIP, lambda: _mentorship(mentor_id=8, mentee_id=1), {"mentor", "author"}),
    (Action.GIVE_MENTORING_FEEDBACK, lambda: _mentorship(), PAIR),
    (Action.VIEW_MENTORSHIP_SPACE, lambda: _mentorship(), PAIR),
    # A suspended member still reads their own space ("suspended" and "author" share id 1).
    (Action.VIEW_MENTORSHIP_SPACE, lambda: _mentorship(mentor_id=8, mentee_id=1), {"mentor", "suspended", "author"}),
    (Action.SEND_MENTORSHIP_MESSAGE, lambda: _mentorship(), PAIR),
    (Action.SEND_MENTORSHIP_MESSAGE, lambda: _mentorship(mentor_id=8, mentee_id=6), {"mentor"}),
    (Action.OPEN_MENTORSHIP_AS_MODERATOR, lambda: _mentorship(), {"moderator", "admin"}),
    (Action.RUN_MATCHING, lambda: None, ADMINS),
    (Action.PUBLISH_MATCHES, lambda: None, ADMINS),
    (Action.EDIT_MATCHING_WEIGHTS, lambda: None, ADMINS),
    (Action.VIEW_MENTORING_FEEDBACK, lambda: None, ADMINS),
    (Action.ENDORSE, lambda: None, {"member", "mentor", "author", "moderator", "admin"}),
    (Action.WITHDRAW_ENDORSEMENT, lambda: _endorsement(endorser_id=2, member_id=1), {"member"}),
    (Action.WITHDRAW_ENDORSEMENT, lambda: _endorsement(endorser_id=6, member_id=1), {"silenced"}),
    (Action.VOID_ENDORSEMENT, lambda: _endorsement(), MODERATORS),
    (Action.HIDE_ENDORSEMENT, lambda: _endorsement(endorser_id=2, member_id=1), {"author"}),
    (Action.HIDE_ENDORSEMENT, lambda: _endorsement(endorser_id=2, member_id=7), set()),
    (Action.MANAGE_LEARNING_RESOURCES, lambda: None, ADMINS),
    (Action.VIEW_SECTOR, lambda: None, ADMINS),
    (Action.COMPLETE_RESOURCE, lambda: None, {"member", "mentor", "silenced", "author", "moderator", "admin"}),
    (Action.ISSUE_CREDENTIAL, lambda: None, {"member", "mentor", "silenced", "author", "moderator", "admin"}),
    (Action.KEEP_CPD_RECORD, lambda: None, {"member", "mentor", "silenced", "author", "moderator", "admin"}),
    (Action.KEEP_CPD_RECORD, lambda: CpdEntry(id=50, member_id=2), {"member"}),
    (Action.MANAGE_ROLE_PROFILES, lambda: None, ADMINS),
    # The mentor of a current mentorship and the mentee read the mentee's shared entries.
    # Another mentor, another member, moderators and admins do not.
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(state="active"), PAIR),
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(state="agreed"), PAIR),
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(state="extended"), PAIR),
    # Once the mentorship ends, or before it is agreed, the mentor no longer reads them.
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(state="completed"), {"member"}),
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(state="accepted"), {"member"}),
    # The moderator as mentor and the admin as mentee: rank gives no extra access.
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(mentor_id=3, mentee_id=4, state="active"), {"moderator", "admin"}),
    (Action.VIEW_SHARED_CPD, lambda: _mentorship(mentor_id=9, mentee_id=2, state="active"), {"member"}),
]


def test_table_covers_every_action():
    assert {row[0] for row in TABLE} == set(RULES) == set(Action)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("action", "make_object", "allowed"), TABLE)
def test_policy_decision(action, make_object, allowed, visitor):
    decision = can(_visitor(visitor), action, make_object())

    assert decision is (visitor in allowed), f"{visitor} {action}"


def test_require_asks_anonymous_visitors_to_sign_in():
    with pytest.raises(SignInRequired):
        require(None, Action.REPLY, _thread())


def test_require_tells_suspended_members_why():
    with pytest.raises(Forbidden, match="suspended"):
        require(_visitor("suspended"), Action.REPLY, _thread())


def test_suspension_ends_at_its_end_time():
    ended = _member(state=MemberState.SUSPENDED, suspended_until=datetime.now(UTC) - timedelta(minutes=1))
    running = _member(state=MemberState.SUSPENDED, suspended_until=datetime.now(UTC) + timedelta(days=1))

    assert can(ended, Action.REPLY, _thread())
    assert not can(running, Action.REPLY, _thread())


def test_silence_ends_at_its_end_time():
    ended = _member(is_silenced=True, silenced_until=datetime.now(UTC) - timedelta(minutes=1))
    running = _member(is_silenced=True, silenced_until=datetime.now(UTC) + timedelta(days=1))

    assert can(ended, Action.REPLY, _thread())
    assert not can(running, Action.REPLY, _thread())


def test_require_gives_suspended_member_the_reason():
    member = _member(
        state=MemberState.SUSPENDED,
        suspended_until=datetime(2031, 5, 1, 9, 30, tzinfo=UTC),
        suspension_reason="Repeated personal attacks.",
    )

    with pytest.raises(Forbidden) as raised:
        require(member, Action.REPLY, _thread())

    assert "until 1 May 2031 at 09:30 UTC" in raised.value.message
    assert "Repeated personal attacks." in raised.value.message


def test_require_tells_silenced_member_why():
    member = _member(is_silenced=True, silence_reason="Cooling-off period.")

    with pytest.raises(Forbidden, match="read-only.*Cooling-off period"):
        require(member, Action.CREATE_THREAD, ThreadKind.QUESTION)
