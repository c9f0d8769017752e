"""Storing, listing and reading in-app notifications."""

import pytest

from forum.errors import SignInRequired
from forum.services import notifications
from models import Notification, Thread, ThreadState
from tests.factories import make_member, make_thread


async def test_notify_stores_notification():
    member, actor = await make_member(), await make_member()
    thread = await make_thread(author=member)

    await notifications.do_notify(
        member.id,
        "reply",
        actor_id=actor.id,
        thread_id=thread.id,
        text="Someone replied.",
        data={"extra": 1},
    )

    stored = await Notification.get(member_id=member.id)
    assert stored.kind == "reply"
    assert stored.actor_id == actor.id
    assert stored.thread_id == thread.id
    assert stored.text == "Someone replied."
    assert stored.data == {"extra": 1}
    assert stored.read_at is None


async def test_notify_skips_the_actor():
    member = await make_member()

    await notifications.do_notify(member.id, "reply", actor_id=member.id, text="You replied.")

    assert await Notification.all().count() == 0


async def test_notify_shortens_long_text():
    member = await make_member()

    await notifications.do_notify(member.id, "mention", text="word " * 200)

    stored = await Notification.get(member_id=member.id)
    assert len(stored.text) == notifications.TEXT_MAX
    assert stored.text.endswith("…")


async def test_list_is_newest_first_and_pages():
    member = await make_member()
    for number in range(5):
        await notifications.do_notify(member.id, "reply", text=f"Number {number}")

    first = await notifications.list_notifications(member, limit=3)
    second = await notifications.list_notifications(member, first.next_cursor, limit=3)

    assert [n.text for n in first.notifications] == ["Number 4", "Number 3", "Number 2"]
    assert [n.text for n in second.notifications] == ["Number 1", "Number 0"]
    assert second.next_cursor is None


async def test_list_shows_only_own_notifications():
    member, other = await make_member(), await make_member()
    await notifications.do_notify(other.id, "reply", text="Not yours")

    page = await notifications.list_notifications(member)

    assert page.notifications == []


async def test_list_hides_link_to_hidden_thread():
    member = await make_member()
    thread = await make_thread()
    await notifications.do_notify(member.id, "reply", thread_id=thread.id, text="Reply")
    await Thread.filter(id=thread.id).update(state=ThreadState.HIDDEN)

    page = await notifications.list_notifications(member)

    assert page.notifications[0].link_visible is False


async def test_list_requires_sign_in():
    with pytest.raises(SignInRequired):
        await notifications.list_notifications(None)


async def test_count_unread_counts_only_unread():
    member, other = await make_member(), await make_member()
    for _ in range(3):
        await notifications.do_notify(member.id, "reply", text="Reply")
    await notifications.do_notify(other.id, "reply", text="Reply")
    first = await Notification.filter(member_id=member.id).first()
    await notifications.do_mark_read(member, first.id)

    assert await notifications.count_unread(member) == 2
    assert await notifications.count_unread(None) == 0


async def test_mark_read_ignores_other_members_notification():
    member, other = await make_member(), await make_member()
    await notifications.do_notify(other.id, "reply", text="Reply")
    theirs = await Notification.get(member_id=other.id)

    result = await notifications.do_mark_read(member, theirs.id)

    assert result is None
    assert (await Notification.get(id=theirs.id)).read_at is None


async def test_mark_all_read_returns_changed_count():
    member = await make_member()
    for _ in range(4):
        await notifications.do_notify(member.id, "reply", text="Reply")

    changed = await notifications.do_mark_all_read(member)

    assert changed == 4
    assert await notifications.count_unread(member) == 0
    assert await notifications.do_mark_all_read(member) == 0
