"""The demo community loads completely, renders, and loads only once."""

from forum import demo_content
from forum.services.demo import do_load_demo
from models import Member, Post, Revision, SkillArea, Thread, ThreadState, Vote


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


async def test_demo_fills_a_cpd_record():
    from joserfc.jwk import ECKey

    from forum.config import Settings
    from forum.services import cpd
    from models import CpdEntry, Endorsement, IssuedCredential, LearningResource, ResourceCompletion

    settings = Settings(env="test", signing_key=ECKey.generate_key("P-256").as_pem(private=True).decode())
    await do_load_demo(settings=settings)
    await do_load_demo(settings=settings)

    priya = await Member.get(handle="priya.n")
    assert await LearningResource.all().count() == len(demo_content.LEARNING_RESOURCES)
    assert await ResourceCompletion.all().count() == len(demo_content.RESOURCE_COMPLETIONS)
    assert await Endorsement.all().count() == len(demo_content.ENDORSEMENTS)
    assert await Endorsement.filter(evidence_kind="resource").count() == 2
    assert await IssuedCredential.filter(member_id=priya.id).count() == 1
    entries = await cpd.list_entries(priya)
    assert len([entry for entry in entries if not entry.is_draft]) == 5
    assert any(entry.is_draft for entry in entries)
    assert await CpdEntry.filter(member_id=priya.id, visibility="mentor", is_draft=False).count() == 3
    areas = {area.id: area.name for area in await SkillArea.all()}
    progress = await cpd.get_progress(priya, entries, areas)
    assert progress.profile.slug == "performance-analyst"
    assert any(row.evidenced is not None for row in progress.rows)
    assert progress.gaps
