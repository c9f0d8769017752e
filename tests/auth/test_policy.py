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


def _thread(state: str = ThreadState.OPEN) -> Thread:
    return Thread(id=10, title="T", slug="t", kind=ThreadKind.QUESTION, state=state, author_id=1)


def _post(hidden: bool = False, state: str = ThreadState.OPEN) -> Post:
    post = Post(id=20, number=1, author_id=1, is_hidden=hidden, source="x", html="x", renderer_version=1)
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
