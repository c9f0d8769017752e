"""Watch levels: who hears about replies and new threads, and muting."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from forum.errors import NotFound, ValidationFailed
from forum.services import notifications, watches
from models import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    Role,
    SkillArea,
    Watch,
    WatcherNotice,
    WatchLevel,
    WatchTarget,
)
from tests.factories import make_member, make_reply, make_thread


async def _send() -> None:
    """Do what the worker does after a post: notify its watchers."""
    while await watches.do_send_watcher_notices():
        pass


async def _kinds_now(member) -> list[str]:
    """Return the kinds of the member's notifications, without running the worker."""
    return sorted(await Notification.filter(member=member).values_list("kind", flat=True))


async def _kinds(member) -> list[str]:
    """Return the kinds of the member's notifications, once the worker has sent the queued ones."""
    await _send()
    return sorted(await Notification.filter(member=member).values_list("kind", flat=True))


async def test_starting_and_replying_watch_thread():
    author, replier = await make_member(), await make_member()
    thread = await make_thread(author=author)
    await make_reply(thread, author=replier)

    for member in (author, replier):
        assert await watches.get_watch_level(member, WatchTarget.THREAD, thread.id) == WatchLevel.WATCHING


async def test_reply_notifies_watchers_once():
    author, first, second = await make_member(), await make_member(), await make_member()
    thread = await make_thread(author=author)
    await make_reply(thread, author=first)

    await make_reply(thread, author=second)

    # The author hears as the question's author, not a second time as a watcher.
    assert await _kinds(author) == ["reply", "reply"]
    assert await _kinds(first) == ["watched_reply"]
    assert await _kinds(second) == []


async def test_normal_level_gets_no_watched_reply():
    author, reader = await make_member(), await make_member()
    thread = await make_thread(author=author)
    await watches.do_set_watch_level(reader, WatchTarget.THREAD, thread.id, WatchLevel.NORMAL)

    await make_reply(thread)

    assert await _kinds(reader) == []


async def test_muted_thread_suppresses_replies_and_mentions():
    author = await make_member()
    thread = await make_thread(author=author)
    await watches.do_set_watch_level(author, WatchTarget.THREAD, thread.id, WatchLevel.MUTED)

    await make_reply(thread, body=f"Thanks @{author.handle}, that helps.")

    assert await _kinds(author) == []


async def test_reply_keeps_chosen_level():
    member = await make_member()
    thread = await make_thread()
    await watches.do_set_watch_level(member, WatchTarget.THREAD, thread.id, WatchLevel.MUTED)

    await make_reply(thread, author=member)

    assert await watches.get_watch_level(member, WatchTarget.THREAD, thread.id) == WatchLevel.MUTED


@pytest.mark.parametrize(("target_type", "slug"), [("skill_area", "cin-census"), ("role", "la-leadership")])
async def test_watched_area_or_role_hears_of_new_thread(target_type, slug):
    watcher = await make_member()
    model = SkillArea if target_type == "skill_area" else Role
    target = await model.get(slug=slug)
    await watches.do_set_watch_level(watcher, target_type, target.id, WatchLevel.WATCHING)

    await make_thread(skill_area="cin-census", roles=["la-leadership"])
    await make_thread(skill_area="data-quality", roles=["la-data"])

    assert await _kinds(watcher) == ["new_thread"]


@pytest.mark.parametrize(
    ("target_type", "level", "message"),
    [
        ("thread", "loud", "Choose watching, normal or muted."),
        ("forum", "watching", "You can watch only a thread, a skill area or a role."),
    ],
)
async def test_invalid_watch_is_rejected(target_type, level, message):
    member = await make_member()
    thread = await make_thread()

    with pytest.raises(ValidationFailed) as failure:
        await watches.do_set_watch_level(member, target_type, thread.id, level)

    assert failure.value.errors == {"level": message}


async def test_watching_missing_thread_is_not_found():
    member = await make_member()

    with pytest.raises(NotFound):
        await watches.do_set_watch_level(member, WatchTarget.THREAD, 999999, WatchLevel.WATCHING)
    assert not await Watch.filter(member=member).exists()


async def test_watcher_choosing_email_gets_one_email():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await NotificationPreference.create(member=watcher, kind="watched_reply", delivery="email")

    post = await make_reply(thread)
    await _send()

    message = await OutboxMessage.get(member=watcher)
    assert message.kind == "watched_reply"
    assert message.idempotency_key == f"notification:watched_reply:{post.id}:{watcher.id}"
    assert f"/posts/{post.id}" in message.text


async def test_watcher_choosing_off_gets_nothing():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await NotificationPreference.create(member=watcher, kind="watched_reply", delivery="off")

    await make_reply(thread)

    assert await _kinds(watcher) == []


async def test_many_watchers_cost_the_same_queries_as_one(count_queries):
    thread = await make_thread()
    few = [await make_member()]
    many = [await make_member() for _ in range(30)]
    for member in few:
        await make_reply(thread, author=member)
    await _send()
    await make_reply(thread)
    count_queries.statements.clear()
    await _send()
    with_one = count_queries.count

    for member in many:
        await watches.do_set_watch_level(member, WatchTarget.THREAD, thread.id, WatchLevel.WATCHING)
    await make_reply(thread)
    count_queries.statements.clear()
    await _send()
    with_thirty_one = count_queries.count

    assert with_one == with_thirty_one, count_queries.statements
    for member in many:
        assert await _kinds(member) == ["watched_reply"]


async def test_reply_leaves_watchers_to_the_worker():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)

    post = await make_reply(thread)

    assert await WatcherNotice.filter(post=post).count() == 1
    assert not await Notification.filter(member=watcher).exists()
    assert await watches.do_send_watcher_notices() >= 1
    assert await _kinds(watcher) == ["watched_reply"]
    assert not await WatcherNotice.exists()


async def test_reply_author_email_waits_for_worker():
    author = await make_member()
    thread = await make_thread(author=author)

    post = await make_reply(thread)

    # The in-app notification is stored with the reply, and its email waits for the worker.
    assert await _kinds_now(author) == ["reply"]
    assert not await OutboxMessage.exists()
    await _send()
    message = await OutboxMessage.get(member=author)
    assert message.kind == "reply"
    assert message.idempotency_key.startswith("notification:")
    assert f"/posts/{post.id}" in message.text
    await _send()
    assert await OutboxMessage.filter(member=author).count() == 1


async def test_muting_before_worker_stops_email():
    author = await make_member()
    thread = await make_thread(author=author)
    await make_reply(thread)

    await watches.do_set_watch_level(author, WatchTarget.THREAD, thread.id, WatchLevel.MUTED)
    await _send()

    assert not await OutboxMessage.exists()


async def test_edit_mention_emailed_once():
    from forum.services.posting import do_edit_post

    writer, mentioned = await make_member(), await make_member()
    thread = await make_thread()
    post = await make_reply(thread, author=writer)

    await do_edit_post(writer, post, f"Here is what we do, @{mentioned.handle}.", max_length=20000)
    # The edit emails its new mention at once, and the worker finds it already queued.
    assert await OutboxMessage.filter(member=mentioned).count() == 1
    await _send()

    assert await OutboxMessage.filter(member=mentioned).count() == 1


async def test_hidden_reply_emails_nobody():
    author = await make_member()
    thread = await make_thread(author=author)
    post = await make_reply(thread)
    post.is_hidden = True
    await post.save()

    await _send()

    assert await _kinds_now(author) == ["reply"]
    assert not await OutboxMessage.exists()


async def test_post_hidden_before_sending_notifies_nobody():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await _send()
    post = await make_reply(thread)
    post.is_hidden = True
    await post.save()

    assert await watches.do_send_watcher_notices() == 1

    assert await _kinds(watcher) == []
    assert not await WatcherNotice.exists()


async def test_two_senders_notify_each_watcher_once():
    watchers = [await make_member() for _ in range(3)]
    thread = await make_thread()
    for watcher in watchers:
        await make_reply(thread, author=watcher)
    await _send()
    for watcher in watchers:
        await notifications.do_mark_all_read(watcher)
    new_ids = [(await make_reply(thread)).id for _ in range(6)]

    counts = await asyncio.gather(*(watches.do_send_watcher_notices(2) for _ in range(4)))

    assert sum(counts) == 6
    for watcher in watchers:
        # One each, because a watcher's unread notice for the thread stands for the rest.
        assert await Notification.filter(member=watcher, post_id__in=new_ids).count() == 1
        assert not await WatcherNotice.exists()


async def test_unread_watched_reply_stands_for_later_ones():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    first = await make_reply(thread)
    await make_reply(thread)
    await _send()

    unread = await Notification.filter(member=watcher, kind="watched_reply").values_list("post_id", flat=True)
    assert unread == [first.id]

    (notice,) = await Notification.filter(member=watcher, kind="watched_reply")
    await notifications.do_mark_read(watcher, notice.id)
    later = await make_reply(thread)
    await _send()
    notified = await Notification.filter(member=watcher, kind="watched_reply").order_by("id").values_list(
        "post_id", flat=True
    )
    assert notified == [first.id, later.id]


async def test_deleted_notice_lets_the_next_reply_notify():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await make_reply(thread)
    await _send()
    await Notification.filter(member=watcher, kind="watched_reply").delete()

    later = await make_reply(thread)
    await _send()

    notified = await Notification.filter(member=watcher, kind="watched_reply").values_list("post_id", flat=True)
    assert notified == [later.id]


async def test_marking_all_read_lets_every_thread_notify_again():
    watcher = await make_member()
    threads = [await make_thread() for _ in range(2)]
    for thread in threads:
        await make_reply(thread, author=watcher)
        await make_reply(thread)
    await _send()
    assert await Watch.filter(member=watcher, unread_notification_id__isnull=False).count() == 2

    await notifications.do_mark_all_read(watcher)

    assert not await Watch.filter(member=watcher, unread_notification_id__isnull=False).exists()
    for thread in threads:
        await make_reply(thread)
    await _send()
    assert await Notification.filter(member=watcher, kind="watched_reply", read_at__isnull=True).count() == 2


async def test_failing_notice_is_dropped_and_the_rest_sent(monkeypatch, caplog):
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await _send()
    broken = await make_reply(thread)
    fine = await make_reply(thread)
    prepare_one = watches._prepare_post_notices

    async def fail_for_broken(post):
        if post.id == broken.id:
            raise RuntimeError("cannot render")
        return await prepare_one(post)

    monkeypatch.setattr(watches, "_prepare_post_notices", fail_for_broken)

    assert await watches.do_send_watcher_notices() == 2

    notified = await Notification.filter(member=watcher).values_list("post_id", flat=True)
    assert notified == [fine.id]
    assert not await WatcherNotice.exists()
    assert "watcher notice dropped" in caplog.text


async def test_erased_watcher_gets_nothing():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    watcher.state = "erased"
    await watcher.save()

    await make_reply(thread)

    assert await _kinds(watcher) == []


async def test_hidden_thread_notifies_only_watching_moderators():
    member, moderator = await make_member(), await make_member(permission="moderator")
    thread = await make_thread()
    for watcher in (member, moderator):
        await watches.do_set_watch_level(watcher, WatchTarget.THREAD, thread.id, WatchLevel.WATCHING)
    thread.state = "hidden"
    await thread.save()

    await make_reply(thread, author=await make_member(permission="moderator"))

    assert await _kinds(member) == []
    assert await _kinds(moderator) == ["watched_reply"]


async def test_area_and_role_watcher_notified_once():
    watcher = await make_member()
    area = await SkillArea.get(slug="cin-census")
    role = await Role.get(slug="la-leadership")
    await watches.do_set_watch_level(watcher, WatchTarget.SKILL_AREA, area.id, WatchLevel.WATCHING)
    await watches.do_set_watch_level(watcher, WatchTarget.ROLE, role.id, WatchLevel.WATCHING)

    await make_thread(skill_area="cin-census", roles=["la-leadership"])

    assert await _kinds(watcher) == ["new_thread"]


async def test_leased_notice_waits_for_lease_end():
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await _send()
    post = await make_reply(thread)
    # Another worker leased the notice and has not finished with it.
    await WatcherNotice.filter(post=post).update(
        lease_until=datetime.now(UTC) + timedelta(minutes=1), lease_token="another-worker"
    )

    assert await watches.do_send_watcher_notices() == 0
    assert await _kinds_now(watcher) == []

    # That worker died, and its lease has ended.
    await WatcherNotice.filter(post=post).update(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    assert await watches.do_send_watcher_notices() == 1
    assert await _kinds_now(watcher) == ["watched_reply"]
    assert not await WatcherNotice.exists()


async def test_sending_takes_no_more_notices_than_asked():
    thread = await make_thread()
    for _ in range(5):
        await make_reply(thread)
    queued = await WatcherNotice.all().count()

    assert await watches.do_send_watcher_notices(2) == 2
    assert await WatcherNotice.all().count() == queued - 2
