"""The endorsement pages: the form reached from a post, the endorsement page and its actions."""

import pytest

from models import AuditEntry, Endorsement, EndorsementState
from tests.factories import make_member, make_reply, make_thread


async def _post_by(author):
    thread = await make_thread()
    return await make_reply(thread, author=author)


def _form(skill_areas, **fields) -> dict:
    return {
        "skill_area": str(skill_areas["data-quality"].id),
        "level": "1",
        "relationship": "saw_in_forum",
        "observed_from": "2025-01-01",
        "observed_to": "2025-06-01",
        "statement": "Their answer on cleansing returns data fixed our monthly submission.",
        **fields,
    }


async def test_thread_shows_endorse_link_on_others_posts(sign_in):
    author, reader = await make_member(), await make_member()
    post = await _post_by(author)
    client = await sign_in(reader)

    response = await client.get(f"/threads/{post.thread_id}")

    html = await response.get_data(as_text=True)
    assert f"/endorse/post/{post.id}" in html


async def test_thread_has_no_endorse_link_on_own_post(sign_in):
    author = await make_member()
    post = await _post_by(author)
    client = await sign_in(author)

    response = await client.get(f"/threads/{post.thread_id}")

    assert f"/endorse/post/{post.id}" not in await response.get_data(as_text=True)


async def test_anonymous_visitor_sent_to_sign_in(client):
    post = await _post_by(await make_member())

    response = await client.get(f"/endorse/post/{post.id}")

    assert response.status_code in (302, 303, 401)


async def test_endorse_from_post_redirects_to_endorsement(sign_in, skill_areas):
    author, endorser = await make_member(), await make_member()
    post = await _post_by(author)
    client = await sign_in(endorser)

    response = await client.post(f"/endorse/post/{post.id}", form=_form(skill_areas))

    assert response.status_code == 303
    endorsement = await Endorsement.get(member_id=author.id)
    assert response.headers["Location"] == f"/endorsements/{endorsement.id}"


async def test_endorse_form_shows_rule_message(sign_in, skill_areas):
    author, endorser = await make_member(), await make_member()
    post = await _post_by(author)
    client = await sign_in(endorser)

    response = await client.post(f"/endorse/post/{post.id}", form=_form(skill_areas, level="3"))

    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "govuk-error-summary" in html
    assert "You can endorse at level 1 or below in this skill area" in html


async def test_moderator_voids_from_endorsement_page(sign_in, skill_areas):
    author, endorser = await make_member(), await make_member()
    post = await _post_by(author)
    await (await sign_in(endorser)).post(f"/endorse/post/{post.id}", form=_form(skill_areas))
    endorsement = await Endorsement.get(member_id=author.id)
    moderator = await sign_in(await make_member(permission="moderator"))

    missing_reason = await moderator.post(f"/endorsements/{endorsement.id}/void", form={"reason": ""})
    voided = await moderator.post(f"/endorsements/{endorsement.id}/void", form={"reason": "Traded."})

    assert missing_reason.status_code == 422
    assert voided.status_code == 303
    assert (await Endorsement.get(id=endorsement.id)).state == EndorsementState.VOIDED
    assert await AuditEntry.filter(action="void_endorsement").count() == 1


async def test_member_hides_endorsement_and_public_loses_it(sign_in, client, skill_areas):
    author, endorser = await make_member(), await make_member()
    post = await _post_by(author)
    await (await sign_in(endorser)).post(f"/endorse/post/{post.id}", form=_form(skill_areas))
    endorsement = await Endorsement.get(member_id=author.id)

    response = await (await sign_in(author)).post(f"/endorsements/{endorsement.id}/visibility", form={"hidden": "true"})

    assert response.status_code == 303
    assert (await client.get(f"/endorsements/{endorsement.id}")).status_code == 404


@pytest.mark.parametrize("extra", [0, 6])
async def test_endorsement_page_query_count_constant(client, count_queries, skill_areas, extra):
    author = await make_member()
    endorsement = None
    for _ in range(1 + extra):
        endorser = await make_member()
        endorsement = await Endorsement.create(
            endorser_id=endorser.id, member_id=author.id, skill_area_id=skill_areas["data-quality"].id, level=1,
            relationship="saw_in_forum", observed_from="2025-01-01", observed_to="2025-02-01",
            statement="Seen in the forum.", evidence_kind="post", evidence_id=1,
        )
    count_queries.statements.clear()

    response = await client.get(f"/endorsements/{endorsement.id}")

    assert response.status_code == 200
    assert count_queries.count <= 3, count_queries.statements


@pytest.mark.parametrize("extra", [0, 6])
async def test_endorse_form_query_count_constant(sign_in, count_queries, skill_areas, extra):
    author, endorser = await make_member(), await make_member()
    post = await _post_by(author)
    for _ in range(extra):
        await _post_by(author)
    client = await sign_in(endorser)
    count_queries.statements.clear()

    response = await client.get(f"/endorse/post/{post.id}")

    assert response.status_code == 200
    assert count_queries.count <= 8, count_queries.statements


async def test_public_profile_hides_hidden_evidence_and_private_entries(client, skill_areas):
    from models import CpdEntry

    member = await make_member()
    shown_by, hidden_by = await make_member(display_name="Shown Endorser"), await make_member(display_name="Hidden Endorser")
    for endorser, hidden in ((shown_by, False), (hidden_by, True)):
        await Endorsement.create(
            endorser_id=endorser.id, member_id=member.id, skill_area_id=skill_areas["data-quality"].id, level=2,
            relationship="worked_together", observed_from="2025-01-01", observed_to="2025-02-01",
            statement="Seen at work.", evidence_kind="post", evidence_id=1, hidden_by_member=hidden,
        )
    await CpdEntry.create(member_id=member.id, title="Public course", activity_type="course", started_on="2026-01-01",
                          visibility="public_summary")
    await CpdEntry.create(member_id=member.id, title="Private reading", activity_type="reading", started_on="2026-01-01")

    html = await (await client.get(f"/members/{member.handle}/skills")).get_data(as_text=True)

    assert "Shown Endorser" in html
    assert "Hidden Endorser" not in html
    assert "Public course" in html
    assert "Private reading" not in html


async def test_public_profile_unknown_member_not_found(client):
    response = await client.get("/members/nobody-here/skills")

    assert response.status_code == 404


@pytest.mark.parametrize("extra", [0, 6])
async def test_public_profile_query_count_constant(client, count_queries, skill_areas, extra):
    member = await make_member()
    for _ in range(1 + extra):
        await Endorsement.create(
            endorser_id=(await make_member()).id, member_id=member.id, skill_area_id=skill_areas["data-quality"].id,
            level=2, relationship="worked_together", observed_from="2025-01-01", observed_to="2025-02-01",
            statement="Seen at work.", evidence_kind="post", evidence_id=1,
        )
    await client.get(f"/members/{member.handle}/skills")
    count_queries.statements.clear()

    assert (await client.get(f"/members/{member.handle}/skills")).status_code == 200
    assert count_queries.count == 5, count_queries.statements


async def test_endorse_from_shared_resource_page(sign_in, skill_areas):
    sharer, endorser = await make_member(display_name="Sian Pryce"), await make_member()
    thread = await make_thread(author=sharer, kind="resource", title="Reading list for new analysts")
    client = await sign_in(endorser)

    form_page = await client.get(f"/endorse/resource/{thread.id}")
    response = await client.post(f"/endorse/resource/{thread.id}", form=_form(skill_areas))

    assert "Resource shared in “Reading list for new analysts”" in await form_page.get_data(as_text=True)
    assert response.status_code == 303
    endorsement = await Endorsement.get(member_id=sharer.id)
    assert (endorsement.evidence_kind, endorsement.evidence_id) == ("resource", thread.id)
    shown = await (await client.get(response.headers["Location"])).get_data(as_text=True)
    assert f'href="/threads/{thread.id}">A resource they shared in the forum</a>' in shown


async def test_resource_thread_offers_endorse_on_opening_post(sign_in):
    from models import Post

    sharer = await make_member()
    thread = await make_thread(author=sharer, kind="resource")
    opening = await Post.get(thread_id=thread.id, number=1)
    client = await sign_in(await make_member())

    thread_html = await (await client.get(f"/threads/{thread.id}")).get_data(as_text=True)
    form_html = await (await client.get(f"/endorse/post/{opening.id}")).get_data(as_text=True)

    assert f"/endorse/post/{opening.id}" in thread_html
    assert "Resource shared in" in form_html


async def test_question_thread_is_not_resource_evidence(sign_in):
    thread = await make_thread(author=await make_member())
    client = await sign_in(await make_member())

    response = await client.get(f"/endorse/resource/{thread.id}")

    assert response.status_code == 404


async def test_endorsed_member_cannot_edit(sign_in, skill_areas):
    author, endorser = await make_member(), await make_member()
    post = await _post_by(author)
    await (await sign_in(endorser)).post(f"/endorse/post/{post.id}", form=_form(skill_areas))
    endorsement = await Endorsement.get(member_id=author.id)
    client = await sign_in(author)

    page = await (await client.get(f"/endorsements/{endorsement.id}")).get_data(as_text=True)
    edited = await client.post(f"/endorsements/{endorsement.id}", form={"level": "4", "statement": "Changed by the member."})

    assert "Hide from my profile" in page
    assert "Withdraw my endorsement" not in page
    assert edited.status_code == 405
    unchanged = await Endorsement.get(id=endorsement.id)
    assert (unchanged.level, unchanged.statement) == (1, _form(skill_areas)["statement"])
