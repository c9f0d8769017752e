"""The benchmark data generator: deterministic, within its limits, and loadable."""

import pytest

from forum.services import benchdata
from models import Member, Post, Revision, Thread

AREAS = ["statutory-returns", "cin-census", "data-quality", "sql-data-engineering"]
ROLES = ["la-data", "la-leadership", "cg-data", "supplier-partner"]


def _tiny(seed: int = benchdata.SEED) -> benchdata.Dataset:
    return benchdata.Dataset(benchdata.SIZES["tiny"], AREAS, ROLES, seed=seed)


def test_dataset_same_seed_same_rows():
    first, second = _tiny(), _tiny()

    assert first.bodies == second.bodies
    assert first.threads == second.threads
    assert list(first.posts()) == list(second.posts())


def test_dataset_other_seed_other_rows():
    assert _tiny().bodies != _tiny(seed=7).bodies


def test_dataset_sizes_and_hot_thread():
    dataset = _tiny()
    size = benchdata.SIZES["tiny"]
    posts = list(dataset.posts())
    hot = dataset.threads[-1]

    assert len(dataset.members) == size.members
    assert len(dataset.threads) == size.threads
    assert len(posts) == size.posts == sum(thread.post_count for thread in dataset.threads)
    assert hot.post_count == size.hot_posts
    assert hot.skill_area == benchdata.HOT_SKILL_AREA
    assert benchdata.HOT_ROLE in hot.roles
    assert all(thread.last_activity_at < hot.last_activity_at for thread in dataset.threads[:-1])
    assert all(1 <= thread.post_count <= benchdata.MAX_OTHER_POSTS for thread in dataset.threads[:-1])


def test_dataset_posts_numbered_in_time_order():
    dataset = _tiny()
    by_thread: dict[int, list] = {}
    for post in dataset.posts():
        by_thread.setdefault(post.thread_id, []).append(post)

    for thread in dataset.threads:
        posts = by_thread[thread.id]
        assert [post.number for post in posts] == list(range(1, thread.post_count + 1))
        assert [post.created_at for post in posts] == sorted(post.created_at for post in posts)
        assert posts[0].author_id == thread.author_id
        assert posts[-1].created_at == thread.last_activity_at


def test_dataset_bodies_within_limits():
    bodies = _tiny().bodies

    assert all(benchdata.MIN_BODY_LENGTH <= len(body) <= benchdata.MAX_BODY_LENGTH for body in bodies)
    assert all(body.count("```") % 2 == 0 for body in bodies)
    assert any("```sql" in body for body in bodies)
    assert any("\n- " in body for body in bodies)


def test_dataset_rejects_too_few_posts():
    with pytest.raises(ValueError):
        benchdata.Dataset(benchdata.BenchSize(members=5, threads=10, posts=5, hot_posts=3), AREAS, ROLES)


async def test_load_writes_every_row(database_url, client):
    summary = await benchdata.do_load_bench_data(
        database_url, benchdata.SIZES["tiny"], progress=lambda message: None
    )
    size = benchdata.SIZES["tiny"]

    assert await Member.all().count() == size.members
    assert await Thread.all().count() == size.threads
    assert await Post.all().count() == size.posts
    assert await Revision.all().count() == size.posts
    assert await Post.filter(thread_id=summary["hot_thread_id"]).count() == size.hot_posts
    home = await client.get("/")
    assert f'/threads/{summary["hot_thread_id"]}/' in (await home.get_data(as_text=True))
    thread_page = await client.get(f'/threads/{summary["hot_thread_id"]}/{summary["hot_thread_slug"]}')
    assert thread_page.status_code == 200


async def test_load_refuses_a_database_with_threads(database_url):
    from tests.factories import make_thread

    await make_thread()

    with pytest.raises(ValueError, match="already has members or threads"):
        await benchdata.do_load_bench_data(database_url, benchdata.SIZES["tiny"], progress=lambda m: None)


async def test_bench_sessions_sign_members_in(database_url):
    await benchdata.do_load_bench_data(database_url, benchdata.SIZES["tiny"], progress=lambda m: None)

    sessions = await benchdata.do_start_bench_sessions("a-secret-key-for-this-test-only-1234567890", 3)

    assert len(sessions) == 3
    assert len({session_id for _, session_id in sessions}) == 3
