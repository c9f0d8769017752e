"""Re-rendering stored Markdown written by an older renderer version."""

import logging

from forum.markdown import RENDERER_VERSION, render_markdown
from forum.services import rerender
from models import MentoringRequest, Post, Revision
from tests.factories import make_member, make_reply, make_thread

OLD_VERSION = RENDERER_VERSION - 1


async def _age(post: Post) -> None:
    await Post.filter(id=post.id).update(html="<p>stale</p>", renderer_version=OLD_VERSION)
    await Revision.filter(post_id=post.id).update(html="<p>stale</p>", renderer_version=OLD_VERSION)


def _counts(results: list[rerender.RerenderCounts]) -> dict[str, rerender.RerenderCounts]:
    return {counts.table: counts for counts in results}


async def test_rerender_updates_old_posts_and_revisions():
    thread = await make_thread()
    old = await make_reply(thread, body="Use **bold** for the field name.")
    current = await make_reply(thread, body="Already current.")
    current_html = (await Post.get(id=current.id)).html
    await _age(old)

    results = _counts(await rerender.do_rerender(batch_size=2))

    post = await Post.get(id=old.id)
    revision = await Revision.get(post_id=old.id)
    assert post.html == render_markdown("Use **bold** for the field name.")
    assert post.renderer_version == RENDERER_VERSION
    assert revision.html == post.html
    assert revision.renderer_version == RENDERER_VERSION
    assert (await Post.get(id=current.id)).html == current_html
    assert results["post"].rerendered == 1
    assert results["revision"].rerendered == 1


async def test_rerender_walks_every_batch():
    thread = await make_thread()
    replies = [await make_reply(thread, body=f"Reply number {n}.") for n in range(7)]
    for reply in replies:
        await _age(reply)

    results = _counts(await rerender.do_rerender(batch_size=3))

    assert results["post"].rerendered == 7
    assert await Post.filter(renderer_version__lt=RENDERER_VERSION).count() == 0


async def test_rerender_adds_thread_titles_to_pasted_links():
    target = await make_thread(title="Counting children looked after on 31 March")
    thread = await make_thread()
    link = f"https://forum.example/threads/{target.id}"
    reply = await make_reply(thread, body=f"See {link}")
    await _age(reply)

    await rerender.do_rerender(base_url="https://forum.example")

    assert "Counting children looked after on 31 March</a>" in (await Post.get(id=reply.id)).html


async def test_rerender_keeps_rows_that_no_longer_render(caplog):
    thread = await make_thread()
    reply = await make_reply(thread, body="Fine for now.")
    nested = "> " * 40 + "deep"
    await Post.filter(id=reply.id).update(
        source=nested, html="<p>old</p>", renderer_version=OLD_VERSION
    )

    with caplog.at_level(logging.WARNING, logger="forum.services.rerender"):
        results = _counts(await rerender.do_rerender())

    post = await Post.get(id=reply.id)
    assert post.html == "<p>old</p>"
    assert post.renderer_version == OLD_VERSION
    assert results["post"].failed == 1
    assert "stored markdown no longer renders" in caplog.text
    assert "deep" not in caplog.text


async def test_rerender_renders_mentoring_goals():
    member = await make_member()
    request = await MentoringRequest.create(
        mentee=member,
        goals_source="Learn *window functions*.",
        goals_html="<p>stale</p>",
        renderer_version=OLD_VERSION,
    )

    results = _counts(await rerender.do_rerender())

    stored = await MentoringRequest.get(id=request.id)
    assert stored.goals_html == render_markdown("Learn *window functions*.")
    assert stored.renderer_version == RENDERER_VERSION
    assert results["mentoring_request"].rerendered == 1


async def test_rerender_logs_start_and_finish(caplog):
    with caplog.at_level(logging.INFO, logger="forum.services.rerender"):
        await rerender.do_rerender()

    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "rerender started"
    assert messages[-1] == "rerender finished"
