"""The demo community loads completely, renders, and loads only once."""

from forum import demo_content
from forum.services.demo import do_load_demo
from models import Member, Post, Revision, Thread, ThreadState, Vote


async def test_demo_loads_everything():
    added = await do_load_demo()

    replies = sum(len(thread["replies"]) for thread in demo_content.THREADS)
    assert added == {
        "organisations": len(demo_content.ORGANISATIONS),
        "members": len(demo_content.MEMBERS),
        "threads": len(demo_content.THREADS),
        "posts": len(demo_content.THREADS) + replies,
    }
    assert await Revision.all().count() == added["posts"]
    assert await Member.filter(permission="moderator").count() >= 1
    assert await Member.filter(permission="admin").count() >= 1
    skill_areas = await Thread.all().distinct().values_list("skill_area_id", flat=True)
    assert len(set(skill_areas)) >= 10


async def test_demo_is_idempotent():
    await do_load_demo()
    counts = (await Thread.all().count(), await Post.all().count(), await Member.all().count())

    second = await do_load_demo()

    assert second == {"organisations": 0, "members": 0, "threads": 0, "posts": 0}
    assert (
        await Thread.all().count(),
        await Post.all().count(),
        await Member.all().count(),
    ) == counts


async def test_demo_counters_match_posts():
    await do_load_demo()

    for thread in await Thread.all():
        posts = await Post.filter(thread_id=thread.id).order_by("number")
        assert thread.post_count == len(posts)
        assert [post.number for post in posts] == list(range(1, len(posts) + 1))
        assert thread.last_activity_at == posts[-1].created_at


async def test_demo_has_accepted_answers_and_votes():
    await do_load_demo()
    await do_load_demo()

    solved = await Thread.filter(accepted_post_id__isnull=False)
    assert len(solved) == len(demo_content.ACCEPTED_ANSWERS)
    assert {thread.state for thread in solved} == {ThreadState.SOLVED}
    votes = await Vote.all().select_related("post")
    assert votes
    assert all(vote.member_id != vote.post.author_id for vote in votes)
    for post_id in {vote.post_id for vote in votes}:
        post = next(vote.post for vote in votes if vote.post_id == post_id)
        assert post.score == sum(1 for vote in votes if vote.post_id == post_id)
