"""Accepted answers, helpful votes and duplicate threads, against the real database."""

import asyncio

import pytest

from forum.errors import Conflict, Forbidden, ValidationFailed
from forum.services import browsing, qa
from models import (
    AuditEntry,
    DuplicateState,
    DuplicateSuggestion,
    Notification,
    Post,
    Thread,
    ThreadState,
    Vote,
)
from tests.factories import make_member, make_reply, make_thread

BASE_URL = "http://127.0.0.1:8000"


async def _post(post_id: int) -> Post:
    return await Post.filter(id=post_id).select_related("thread", "author").get()


async def _question_with_replies(count: int = 2):
    asker = await make_member()
    thread = await make_thread(author=asker)
    replies = [await _post((await make_reply(thread)).id) for _ in range(count)]
    return asker, await Thread.get(id=thread.id), replies


# Accepted answers -------------------------------------------------------------------


async def test_accept_answer_solves_question():
    asker, thread, (answer, _other) = await _question_with_replies()

    await qa.do_accept_answer(asker, answer)

    thread = await Thread.get(id=thread.id)
    assert thread.accepted_post_id == answer.id
    assert thread.state == ThreadState.SOLVED


async def test_accept_answer_notifies_answer_author():
    asker, thread, (answer, _other) = await _question_with_replies()

    await qa.do_accept_answer(asker, answer)

    notification = await Notification.get(member_id=answer.author_id, kind="answer_accepted")
    assert notification.post_id == answer.id
    assert notification.actor_id == asker.id


async def test_change_accepted_answer():
    asker, thread, (first, second) = await _question_with_replies()
    await qa.do_accept_answer(asker, first)

    await qa.do_accept_answer(asker, second)

    thread = await Thread.get(id=thread.id)
    assert thread.accepted_post_id == second.id
    assert thread.state == ThreadState.SOLVED


async def test_remove_accepted_answer_reopens_question():
    asker, thread, (answer, _other) = await _question_with_replies()
    await qa.do_accept_answer(asker, answer)

    await qa.do_remove_accepted_answer(asker, thread)

    thread = await Thread.get(id=thread.id)
    assert thread.accepted_post_id is None
    assert thread.state == ThreadState.OPEN


async def test_accept_by_other_member_rejected():
    _asker, thread, (answer, _other) = await _question_with_replies()

    with pytest.raises(Forbidden):
        await qa.do_accept_answer(await make_member(), answer)

    assert (await Thread.get(id=thread.id)).accepted_post_id is None


async def test_accept_opening_post_rejected():
    asker, thread, _replies = await _question_with_replies(1)
    opening = await _post((await Post.get(thread_id=thread.id, number=1)).id)

    with pytest.raises(Conflict, match="question itself cannot be its accepted answer"):
        await qa.do_accept_answer(asker, opening)


async def test_accept_hidden_post_rejected():
    asker, _thread, (answer, _other) = await _question_with_replies()
    await Post.filter(id=answer.id).update(is_hidden=True)
    answer = await _post(answer.id)

    with pytest.raises(Conflict, match="hidden post cannot be the accepted answer"):
        await qa.do_accept_answer(asker, answer)


async def test_moderator_accept_writes_audit_entry():
    _asker, thread, (answer, _other) = await _question_with_replies()
    moderator = await make_member(permission="moderator")

    await qa.do_accept_answer(moderator, answer)

    entry = await AuditEntry.get(action="accept_answer")
    assert entry.actor_id == moderator.id
    assert entry.target_id == thread.id
    assert entry.after == {"accepted_post_id": answer.id}


async def test_asker_accept_writes_no_audit_entry():
    asker, _thread, (answer, _other) = await _question_with_replies()

    await qa.do_accept_answer(asker, answer)

    assert await AuditEntry.all().count() == 0


async def test_moderator_accept_keeps_locked_thread_locked():
    _asker, thread, (answer, _other) = await _question_with_replies()
    await Thread.filter(id=thread.id).update(state=ThreadState.LOCKED)
    answer = await _post(answer.id)

    await qa.do_accept_answer(await make_member(permission="moderator"), answer)

    thread = await Thread.get(id=thread.id)
    assert thread.state == ThreadState.LOCKED
    assert thread.accepted_post_id == answer.id


async def test_concurrent_accepts_leave_one_answer():
    asker, thread, replies = await _question_with_replies(4)

    await asyncio.gather(*(qa.do_accept_answer(asker, reply) for reply in replies))

    thread = await Thread.get(id=thread.id)
    assert thread.accepted_post_id in {reply.id for reply in replies}
    assert thread.state == ThreadState.SOLVED


async def test_concurrent_accept_and_remove_stay_consistent():
    asker, thread, (first, second) = await _question_with_replies()

    await asyncio.gather(
        qa.do_accept_answer(asker, first),
        qa.do_remove_accepted_answer(asker, thread),
        qa.do_accept_answer(asker, second),
        qa.do_remove_accepted_answer(asker, thread),
    )

    thread = await Thread.get(id=thread.id)
    solved = thread.state == ThreadState.SOLVED
    assert solved == (thread.accepted_post_id is not None)


async def test_filters_use_accepted_answer():
    asker, answered, (answer, _other) = await _question_with_replies()
    await qa.do_accept_answer(asker, answer)
    await Thread.filter(id=answered.id).update(state=ThreadState.LOCKED)
    waiting = await make_thread()
    taxonomy = await browsing.get_taxonomy()

    solved = await browsing.list_threads(taxonomy, browsing.ThreadFilter(state="solved"))
    unanswered = await browsing.list_threads(taxonomy, browsing.ThreadFilter(state="unanswered"))

    assert [thread.id for thread in solved.threads] == [answered.id]
    assert [thread.id for thread in unanswered.threads] == [waiting.id]


async def test_get_accepted_answer_hides_hidden_post_from_members():
    asker, thread, (answer, _other) = await _question_with_replies()
    await qa.do_accept_answer(asker, answer)
    await Post.filter(id=answer.id).update(is_hidden=True)
    thread = await Thread.get(id=thread.id)

    assert await qa.get_accepted_answer(asker, thread) is None
    moderator = await make_member(permission="moderator")
    assert (await qa.get_accepted_answer(moderator, thread)).id == answer.id


# Helpful votes ----------------------------------------------------------------------


async def test_vote_counts_once():
    _asker, _thread, (answer, _other) = await _question_with_replies()
    voter = await make_member()

    first = await qa.do_vote(voter, answer)
    second = await qa.do_vote(voter, answer)

    assert first == second == qa.VoteResult(post_id=answer.id, voted=True, score=1)
    assert (await Post.get(id=answer.id)).score == 1


async def test_unvote_takes_vote_back():
    _asker, _thread, (answer, _other) = await _question_with_replies()
    voter = await make_member()
    await qa.do_vote(voter, answer)

    result = await qa.do_unvote(voter, answer)
    again = await qa.do_unvote(voter, answer)

    assert result.voted is False
    assert result.score == again.score == 0
    assert await Vote.all().count() == 0


async def test_vote_on_own_post_rejected():
    _asker, _thread, (answer, _other) = await _question_with_replies()

    with pytest.raises(Forbidden):
        await qa.do_vote(answer.author, answer)


async def test_concurrent_votes_by_one_member_count_once():
    _asker, _thread, (answer, _other) = await _question_with_replies()
    voter = await make_member()

    await asyncio.gather(*(qa.do_vote(voter, answer) for _ in range(8)))

    assert (await Post.get(id=answer.id)).score == 1
    assert await Vote.filter(post_id=answer.id).count() == 1


async def test_concurrent_votes_by_many_members_all_count():
    _asker, _thread, (answer, _other) = await _question_with_replies()
    voters = [await make_member() for _ in range(6)]

    await asyncio.gather(*(qa.do_vote(voter, answer) for voter in voters for _ in range(2)))

    assert (await Post.get(id=answer.id)).score == 6
    assert await Vote.filter(post_id=answer.id).count() == 6


async def test_concurrent_votes_and_undos_keep_count_in_step():
    _asker, _thread, (answer, _other) = await _question_with_replies()
    voters = [await make_member() for _ in range(4)]

    await asyncio.gather(
        *(qa.do_vote(voter, answer) for voter in voters),
        *(qa.do_unvote(voter, answer) for voter in voters[:2]),
        *(qa.do_vote(voter, answer) for voter in voters),
    )

    assert (await Post.get(id=answer.id)).score == await Vote.filter(post_id=answer.id).count()


async def test_list_voted_post_ids():
    _asker, _thread, (first, second) = await _question_with_replies()
    voter = await make_member()
    await qa.do_vote(voter, second)

    assert await qa.list_voted_post_ids(voter, [first, second]) == {second.id}
    assert await qa.list_voted_post_ids(None, [first, second]) == set()


# Duplicates -------------------------------------------------------------------------


REFERENCE_CASES = [
    ("42", 42),
    ("#42", 42),
    (" 42 ", 42),
    ("/threads/42", 42),
    ("/threads/42/some-slug", 42),
    ("http://127.0.0.1:8000/threads/42/some-slug?after=50#post-3", 42),
    ("https://example.org/threads/42", None),
    ("/posts/42", None),
    ("forty-two", None),
    ("", None),
]


@pytest.mark.parametrize(("reference", "expected"), REFERENCE_CASES)
def test_parse_thread_reference(reference, expected):
    assert qa.parse_thread_reference(reference, BASE_URL) == expected


INVALID_CANONICAL = [
    (
        "empty",
        lambda thread, other: "",
        "Enter the address or number of the thread that answers this one.",
    ),
    (
        "unreadable",
        lambda thread, other: "the one about episodes",
        "Enter a thread address from this forum, for example /threads/42, or a thread number.",
    ),
    (
        "same thread",
        lambda thread, other: str(thread.id),
        "That is this thread. Enter a different, earlier thread.",
    ),
    (
        "missing thread",
        lambda thread, other: "999999",
        "There is no thread number 999999. Check the address.",
    ),
]


@pytest.mark.parametrize(
    ("case", "make_reference", "message"),
    INVALID_CANONICAL,
    ids=[row[0] for row in INVALID_CANONICAL],
)
async def test_suggest_duplicate_validation(case, make_reference, message):
    thread, other = await make_thread(), await make_thread()

    with pytest.raises(ValidationFailed) as failure:
        await qa.do_suggest_duplicate(
            await make_member(), thread, make_reference(thread, other), base_url=BASE_URL
        )

    assert failure.value.errors == {"canonical": message}


async def test_suggest_hidden_thread_reads_as_missing():
    thread, hidden = await make_thread(), await make_thread()
    await Thread.filter(id=hidden.id).update(state=ThreadState.HIDDEN)

    with pytest.raises(ValidationFailed) as failure:
        await qa.do_suggest_duplicate(
            await make_member(), thread, str(hidden.id), base_url=BASE_URL
        )

    assert failure.value.errors == {
        "canonical": f"There is no thread number {hidden.id}. Check the address."
    }


async def test_suggest_duplicate_notifies_asker():
    asker = await make_member()
    thread, canonical = await make_thread(author=asker), await make_thread()
    member = await make_member()

    suggestion = await qa.do_suggest_duplicate(
        member, thread, f"/threads/{canonical.id}", base_url=BASE_URL
    )

    assert suggestion.state == DuplicateState.OPEN
    notification = await Notification.get(member_id=asker.id)
    assert notification.kind == "duplicate_suggested"
    assert notification.data == {"canonical_id": canonical.id}


async def test_repeated_suggestion_returns_first():
    thread, canonical = await make_thread(), await make_thread()

    first = await qa.do_suggest_duplicate(
        await make_member(), thread, str(canonical.id), base_url=BASE_URL
    )
    second = await qa.do_suggest_duplicate(
        await make_member(), thread, str(canonical.id), base_url=BASE_URL
    )

    assert first.id == second.id
    assert await DuplicateSuggestion.all().count() == 1


async def _suggestion(asker=None):
    asker = asker or await make_member()
    thread, canonical = await make_thread(author=asker), await make_thread()
    suggestion = await qa.do_suggest_duplicate(
        await make_member(), thread, str(canonical.id), base_url=BASE_URL
    )
    return asker, await qa.access_suggestion(asker, suggestion.id)


async def test_accept_duplicate_points_thread_and_solves_it():
    asker, suggestion = await _suggestion()

    await qa.do_accept_duplicate(asker, suggestion)

    thread = await Thread.get(id=suggestion.thread_id)
    view = await qa.get_duplicate_view(asker, thread)
    assert view.canonical.id == suggestion.canonical_id
    assert view.suggestions == []
    assert thread.state == ThreadState.SOLVED
    assert (
        await Notification.filter(
            member_id=suggestion.suggested_by_id, kind="duplicate_accepted"
        ).count()
        == 1
    )


async def test_accept_duplicate_by_other_member_rejected():
    _asker, suggestion = await _suggestion()

    with pytest.raises(Forbidden):
        await qa.do_accept_duplicate(await make_member(), suggestion)


async def test_moderator_accept_duplicate_writes_audit_entry():
    _asker, suggestion = await _suggestion()
    moderator = await make_member(permission="moderator")

    await qa.do_accept_duplicate(moderator, suggestion)

    entry = await AuditEntry.get(action="accept_duplicate")
    assert entry.actor_id == moderator.id
    assert entry.after == {"duplicate_of": suggestion.canonical_id}


async def test_accept_decided_suggestion_rejected():
    asker, suggestion = await _suggestion()
    await qa.do_decline_duplicate(asker, suggestion)

    with pytest.raises(Conflict, match="already been decided"):
        await qa.do_accept_duplicate(asker, suggestion)


async def test_second_duplicate_accept_rejected():
    asker, suggestion = await _suggestion()
    other = await make_thread()
    second = await qa.do_suggest_duplicate(
        await make_member(), suggestion.thread, str(other.id), base_url=BASE_URL
    )
    await qa.do_accept_duplicate(asker, suggestion)

    with pytest.raises(Conflict, match="already points"):
        await qa.do_accept_duplicate(asker, await qa.access_suggestion(asker, second.id))


async def test_declined_pair_cannot_be_suggested_again():
    asker, suggestion = await _suggestion()
    await qa.do_decline_duplicate(asker, suggestion)

    with pytest.raises(Conflict, match="already decided"):
        await qa.do_suggest_duplicate(
            await make_member(), suggestion.thread, str(suggestion.canonical_id), base_url=BASE_URL
        )


async def test_removing_duplicate_link_reopens_question():
    asker, suggestion = await _suggestion()
    await qa.do_accept_duplicate(asker, suggestion)

    await qa.do_decline_duplicate(asker, suggestion)

    thread = await Thread.get(id=suggestion.thread_id)
    assert thread.state == ThreadState.OPEN
    assert (await qa.get_duplicate_view(asker, thread)).canonical is None


async def test_thread_pointing_onward_cannot_be_canonical():
    asker, suggestion = await _suggestion()
    await qa.do_accept_duplicate(asker, suggestion)
    newer = await make_thread()

    with pytest.raises(ValidationFailed) as failure:
        await qa.do_suggest_duplicate(
            await make_member(), newer, str(suggestion.thread_id), base_url=BASE_URL
        )

    assert failure.value.errors == {
        "canonical": (
            f"That thread already points to thread {suggestion.canonical_id}. "
            f"Suggest thread {suggestion.canonical_id} instead."
        )
    }
