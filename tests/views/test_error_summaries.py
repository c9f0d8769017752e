"""Every link in an error summary leads to an element on the same page."""

import re

from tests.factories import make_member, make_reply, make_thread
from tests.views.test_cpd import ENTRY_FORM
from tests.views.test_endorsements import _form

SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.DOTALL)


async def _assert_links_land(response) -> None:
    html = await response.get_data(as_text=True)
    summary = SUMMARY.search(html)
    assert summary, "the page shows no error summary"
    targets = re.findall(r'href="#([^"]+)"', summary.group(0))
    assert targets
    for target in targets:
        assert f'id="{target}"' in html, f"#{target} is not on the page"


async def test_cpd_entry_without_visibility(sign_in):
    client = await sign_in(await make_member())
    form = {name: value for name, value in ENTRY_FORM.items() if name != "visibility"}

    response = await client.post("/cpd/entries/new", form=form)

    assert response.status_code == 422
    await _assert_links_land(response)


async def test_post_tools_without_action(sign_in):
    post = await make_reply(await make_thread())
    client = await sign_in(await make_member(permission="moderator"))

    response = await client.post(f"/moderation/posts/{post.id}", {"reason": "Off topic"})

    assert response.status_code == 422
    await _assert_links_land(response)


async def test_endorsing_own_post(sign_in, skill_areas):
    member = await make_member()
    post = await make_reply(await make_thread(), author=member)
    client = await sign_in(member)

    response = await client.post(f"/endorse/post/{post.id}", form=_form(skill_areas))

    assert response.status_code == 422
    await _assert_links_land(response)
