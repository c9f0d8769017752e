import pytest
from tests.browser.helpers import run_axe, describe_violations
from tests.browser.test_pages import _demo, PAGE_CASES  # noqa
pytestmark = pytest.mark.browser
async def test_dump(pages, axe_script, demo):
    for name, path, who, status in PAGE_CASES:
        tracked = await pages.open(demo.author if who else None, bypass_csp=True)
        await tracked.page.goto(path.format(thread=demo.thread_path, post=demo.post.id))
        v = await run_axe(tracked.page, axe_script)
        print("==", name, tracked.page.url); print(describe_violations(v, 5))
        await tracked.page.context.close()
