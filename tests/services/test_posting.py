"""The posting service's one-time submission tokens: a repeated form saves one post."""

import asyncio
from datetime import timedelta

import pytest

from forum.services import posting
from forum.services.browsing import get_taxonomy
from models import FormSubmission, Notification, Post, Thread
from tests.factories import make_member, make_thread

TOKEN = "k" * 32


def _draft(**fields) -> posting.ThreadDraft:
    values = {
        "title": "SSDA903 episodes overlapping at year end",
        "kind": "question",
        "skill_area": "ssda903",
        "roles": ("la-data",),
        "body": "How do you close the earlier episode?",
    }
    values.update(fields)
    return posting.ThreadDraft(**values)


async def _reply(member, thread, body="Close it the day before.", token=TOKEN, **options):
    return await posting.do_reply(
        member, thread, body, max_length=20000, submission_token=token, **options
    )


async def test_repeated_reply_returns_first_post():
    thread = await make_thread()
    member = await make_member()

    first = await _reply(member, thread)
    with pytest.raises(posting.RepeatedSubmission) as repeat:
        await _reply(member, thread)

    assert repeat.value.post.id == first.id
    assert repeat.value.post.thread.id == thread.id
    assert await Post.filter(thread_id=thread.id).count() == 2
    assert (await Thread.get(id=thread.id)).post_count == 2


async def test_simultaneous_replies_save_one_post():
    thread = await make_thread()
    member = await make_member()

    results = await asyncio.gather(
        *(_reply(member, thread) for _ in range(4)), return_exceptions=True
    )

    saved = [result for result in results if isinstance(result, Post)]
    repeats = [result for result in results if isinstance(result, posting.RepeatedSubmission)]
    assert len(saved) == 1, results
    assert len(repeats) == 3, results
    assert {repeat.post.id for repeat in repeats} == {saved[0].id}
    assert await Post.filter(thread_id=thread.id).count() == 2
    assert (await Thread.get(id=thread.id)).post_count == 2
    assert await FormSubmission.filter(member_id=member.id).count() == 1


async def test_simultaneous_replies_notify_once():
    author = await make_member()
    thread = await make_thread(author=author)
    member = await make_member()

    await asyncio.gather(*(_reply(member, thread) for _ in range(3)), return_exceptions=True)

    assert await Notification.filter(member_id=author.id).count() == 1


async def test_changed_reply_with_same_token_is_saved():
    thread = await make_thread()
    member = await make_member()

    first = await _reply(member, thread, body="First answer.")
    second = await _reply(member, thread, body="A different answer, sent from the same form.")

    assert second.id != first.id
    assert await Post.filter(thread_id=thread.id).count() == 3


async def test_same_token_from_two_members_saves_both():
    thread = await make_thread()

    first = await _reply(await make_member(), thread)
    second = await _reply(await make_member(), thread)

    assert second.id != first.id


@pytest.mark.parametrize("token", [None, "", "short", "not a token with spaces!!!!!!!!"])
async def test_reply_without_valid_token_is_never_a_repeat(token):
    thread = await make_thread()
    member = await make_member()

    await _reply(member, thread, body="The first answer.", token=token)
    await _reply(member, thread, body="A second, different answer.", token=token)

    assert await Post.filter(thread_id=thread.id).count() == 3
    assert await FormSubmission.all().count() == 0


async def test_same_text_with_new_token_is_repeat():
    """Back, then send again: the page comes with a new token and the browser refills the text."""
    thread = await make_thread()
    member = await make_member()

    first = await _reply(member, thread, token="a" * 32)
    with pytest.raises(posting.RepeatedSubmission) as repeat:
        await _reply(member, thread, token="b" * 32)

    assert repeat.value.post.id == first.id
    assert await Post.filter(thread_id=thread.id).count() == 2


async def test_same_text_after_window_is_saved():
    thread = await make_thread()
    member = await make_member()
    first = await _reply(member, thread, token=None)
    await Post.filter(id=first.id).update(
        created_at=first.created_at - posting.TWIN_REPLY_WINDOW - timedelta(minutes=1)
    )

    again = await _reply(member, thread, token=None)

    assert again.id != first.id


async def test_same_text_to_another_post_is_saved():
    thread = await make_thread()
    member = await make_member()
    first = await _reply(member, thread, token=None)

    again = await _reply(member, thread, token=None, reply_to=first)

    assert again.id != first.id


async def test_repeat_skips_slow_mode():
    thread = await make_thread()
    await Thread.filter(id=thread.id).update(slow_mode_seconds=3600)
    thread = await Thread.get(id=thread.id)
    member = await make_member()

    first = await _reply(member, thread)
    with pytest.raises(posting.RepeatedSubmission) as repeat:
        await _reply(member, thread)

    assert repeat.value.post.id == first.id


async def test_rejected_reply_leaves_token_unused():
    thread = await make_thread()
    member = await make_member()

    with pytest.raises(posting.ValidationFailed):
        await _reply(member, thread, body="   ")
    saved = await _reply(member, thread, body="Now with words.")

    assert saved.number == 2


async def test_repeated_new_thread_returns_first_thread():
    taxonomy = await get_taxonomy()
    member = await make_member()

    thread = await posting.do_create_thread(
        member, _draft(), taxonomy, max_length=20000, submission_token=TOKEN
    )
    with pytest.raises(posting.RepeatedSubmission) as repeat:
        await posting.do_create_thread(
            member, _draft(), taxonomy, max_length=20000, submission_token=TOKEN
        )

    assert repeat.value.post.thread.id == thread.id
    assert repeat.value.post.number == 1
    assert await Thread.filter(author_id=member.id).count() == 1


async def test_simultaneous_new_threads_save_one():
    taxonomy = await get_taxonomy()
    member = await make_member()

    results = await asyncio.gather(
        *(
            posting.do_create_thread(
                member, _draft(), taxonomy, max_length=20000, submission_token=TOKEN
            )
            for _ in range(4)
        ),
        return_exceptions=True,
    )

    saved = [result for result in results if isinstance(result, Thread)]
    repeats = [result for result in results if isinstance(result, posting.RepeatedSubmission)]
    assert len(saved) == 1, results
    assert len(repeats) == 3, results
    assert {repeat.post.thread.id for repeat in repeats} == {saved[0].id}
    assert await Thread.filter(author_id=member.id).count() == 1
    assert await Post.filter(author_id=member.id).count() == 1


async def test_changed_new_thread_with_same_token_is_saved():
    taxonomy = await get_taxonomy()
    member = await make_member()

    await posting.do_create_thread(
        member, _draft(), taxonomy, max_length=20000, submission_token=TOKEN
    )
    await posting.do_create_thread(
        member, _draft(title="SSDA903 episodes overlapping in March"), taxonomy,
        max_length=20000, submission_token=TOKEN,
    )

    assert await Thread.filter(author_id=member.id).count() == 2


async def test_old_submission_keys_are_forgotten():
    thread = await make_thread()
    member = await make_member()
    old = await _reply(member, thread, body="Saved three days ago.", token="o" * 32)
    recent = await _reply(member, thread, body="Saved just now.", token="r" * 32)
    await FormSubmission.filter(post_id=old.id).update(
        created_at=old.created_at - posting.SUBMISSION_MEMORY - timedelta(days=1)
    )

    forgotten = await posting.do_forget_old_submissions()

    assert forgotten == 1
    assert await FormSubmission.filter(post_id=recent.id).exists()
    assert not await FormSubmission.filter(post_id=old.id).exists()


async def test_worker_forgets_old_submission_keys():
    from forum.services.worker import run_scheduled_jobs

    thread = await make_thread()
    post = await _reply(await make_member(), thread, token="w" * 32)
    await FormSubmission.filter(post_id=post.id).update(
        created_at=post.created_at - posting.SUBMISSION_MEMORY - timedelta(days=1)
    )

    await run_scheduled_jobs()

    assert not await FormSubmission.filter(post_id=post.id).exists()
