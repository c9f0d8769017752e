"""Every action in the policy, for every kind of visitor, in one table."""

import pytest

from forum.auth.policy import RULES, Action, can, require
from forum.errors import Forbidden, SignInRequired
from models import Member, MemberState, Post, Thread, ThreadKind, ThreadState

VISITORS = ("anonymous", "member", "suspended", "author", "moderator", "admin")


def _member(permission: str = "member", state: str = MemberState.ACTIVE, member_id: int = 1):
    return Member(id=member_id, handle=f"h{member_id}", display_name="M", permission=permission, state=state)


def _visitor(name: str) -> Member | None:
    return {
        "anonymous": None,
        "member": _member(member_id=2),
        "suspended": _member(state=MemberState.SUSPENDED, member_id=1),
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


# (action, object factory, visitors allowed); every visitor not listed must be refused.
TABLE = [
    (Action.VIEW_THREAD, lambda: _thread(), set(VISITORS)),
    (Action.VIEW_THREAD, lambda: _thread(ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.VIEW_HIDDEN_CONTENT, lambda: None, {"moderator", "admin"}),
    (Action.CREATE_THREAD, lambda: ThreadKind.QUESTION, {"member", "author", "moderator", "admin"}),
    (Action.CREATE_THREAD, lambda: ThreadKind.ANNOUNCEMENT, {"moderator", "admin"}),
    (Action.CREATE_ANNOUNCEMENT, lambda: None, {"moderator", "admin"}),
    (Action.REPLY, lambda: _thread(), {"member", "author", "moderator", "admin"}),
    (Action.REPLY, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.REPLY, lambda: _thread(ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.EDIT_POST, lambda: _post(), {"author", "moderator", "admin"}),
    (Action.EDIT_POST, lambda: _post(hidden=True), {"moderator", "admin"}),
    (Action.VIEW_REVISIONS, lambda: _post(), set(VISITORS)),
    (Action.VIEW_REVISIONS, lambda: _post(state=ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.PREVIEW_MARKDOWN, lambda: None, {"member", "author", "moderator", "admin"}),
    (Action.SIGN_OUT, lambda: None, {"member", "suspended", "author", "moderator", "admin"}),
    (Action.PROMOTE_MEMBER, lambda: None, {"admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(), {"author", "moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(ThreadState.SOLVED), {"author", "moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(ThreadState.HIDDEN), {"moderator", "admin"}),
    (Action.ACCEPT_ANSWER, lambda: _thread(kind=ThreadKind.DISCUSSION), set()),
    (Action.VOTE, lambda: _post(author_id=5), {"member", "author", "moderator", "admin"}),
    (Action.VOTE, lambda: _post(), {"member", "moderator", "admin"}),
    (Action.VOTE, lambda: _post(author_id=5, hidden=True), set()),
    (Action.VOTE, lambda: _post(author_id=5, state=ThreadState.HIDDEN), set()),
    (Action.VOTE, lambda: _post(author_id=5, state=ThreadState.LOCKED), {"member", "author", "moderator", "admin"}),
    (Action.SAVE_DRAFT, lambda: _thread(), {"member", "author", "moderator", "admin"}),
    (Action.SAVE_DRAFT, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.SUGGEST_MENTIONS, lambda: None, {"member", "author", "moderator", "admin"}),
    (Action.SUGGEST_DUPLICATE, lambda: _thread(), {"member", "author", "moderator", "admin"}),
    (Action.SUGGEST_DUPLICATE, lambda: _thread(ThreadState.HIDDEN), set()),
    (Action.ACCEPT_DUPLICATE, lambda: _thread(), {"author", "moderator", "admin"}),
    (Action.ACCEPT_DUPLICATE, lambda: _thread(ThreadState.LOCKED), {"moderator", "admin"}),
    (Action.ACCEPT_DUPLICATE, lambda: _thread(kind=ThreadKind.RESOURCE), set()),
    (Action.VIEW_NOTIFICATIONS, lambda: None, {"member", "suspended", "author", "moderator", "admin"}),
    (Action.MARK_NOTIFICATIONS_READ, lambda: None, {"member", "suspended", "author", "moderator", "admin"}),
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
