"""Every thread imported from the real Stack Exchange file renders, with its attribution."""

import re
from pathlib import Path

from forum.services.importer import run_stackexchange_import
from models import Thread

REAL_POSTS = (
    Path(__file__).parents[2] / ".." / "shared" / "data" / "stackexchange" / "datascience-meta-Posts.xml"
)


async def test_every_imported_thread_renders(client):
    await run_stackexchange_import(
        str(REAL_POSTS),
        default_skill_area="programming-reproducible-analysis",
        tag_map_path=None,
        max_length=20000,
        site=None,
        progress=False,
    )
    threads = await Thread.all().values_list("id", "post_count", "title")
    assert len(threads) == 95

    for thread_id, post_count, title in threads:
        response = await client.get(f"/threads/{thread_id}")
        page = await response.get_data(as_text=True)
        assert response.status_code == 200, title
        assert "Imported from" in page, title
        assert "CC BY-SA" in page, title
        rendered_posts = re.findall(r'<li class="forum-post[ "]', page)
        assert len(rendered_posts) == min(post_count, 50), title
