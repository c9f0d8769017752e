"""CPD entries a mentee shares with their current mentor: who sees them, and what is left out."""

import pytest

from forum.errors import Forbidden
from forum.services import cpd
from models import CpdEntry, MentorshipState
from tests.factories import make_member, make_mentor
from tests.services.test_mentoring import _pair_in


async def _entries_of(mentee) -> dict[str, CpdEntry]:
    """Create one entry per visibility, plus a draft, for the mentee."""
    entries = {}
    for title, visibility, is_draft in [
        ("Shared course on SSDA903", "mentor", False),
        ("Private reflection", "private", False),
        ("Public summary entry", "public_summary", False),
        ("Drafted mentor entry", "mentor", True),
    ]:
        entries[title] = await CpdEntry.create(
            member_id=mentee.id, title=title, activity_type="course", started_on="2026-01-10",
            visibility=visibility, is_draft=is_draft, provenance="drafted" if is_draft else "manual",
            source_key=f"test:{title}" if is_draft else None,
        )
    return entries


def _path(pair) -> str:
    return f"/cpd/mentorships/{pair.mentorship.id}/shared"


async def test_mentor_reads_only_saved_shared_entries(sign_in):
    pair = await _pair_in(MentorshipState.ACTIVE)
    await _entries_of(pair.mentee)
    client = await sign_in(pair.mentor)

    response = await client.get(_path(pair))

    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Shared course on SSDA903" in html
    assert "Private reflection" not in html
    assert "Public summary entry" not in html
    assert "Drafted mentor entry" not in html
    assert "/cpd/entries/" not in html


async def test_mentee_sees_what_they_share(sign_in):
    pair = await _pair_in(MentorshipState.ACTIVE)
    await _entries_of(pair.mentee)
    client = await sign_in(pair.mentee)

    html = await (await client.get(_path(pair))).get_data(as_text=True)

    assert "CPD entries you share with" in html
    assert "Shared course on SSDA903" in html
    assert "Drafted mentor entry" not in html


@pytest.mark.parametrize("outsider", ["another mentor", "another member", "moderator", "admin"])
async def test_outsiders_get_not_found(sign_in, outsider):
    pair = await _pair_in(MentorshipState.ACTIVE)
    await _entries_of(pair.mentee)
    visitor = {
        "another mentor": make_mentor,
        "another member": make_member,
        "moderator": lambda: make_member(permission="moderator"),
        "admin": lambda: make_member(permission="admin"),
    }[outsider]
    client = await sign_in(await visitor())

    response = await client.get(_path(pair))

    assert response.status_code == 404
    assert "Shared course on SSDA903" not in await response.get_data(as_text=True)


async def test_anonymous_visitor_sent_to_sign_in(client):
    pair = await _pair_in(MentorshipState.ACTIVE)

    response = await client.get(_path(pair))

    assert response.status_code in (302, 303, 401)


async def test_mentor_of_ended_mentorship_refused(sign_in):
    pair = await _pair_in(MentorshipState.COMPLETED)
    await _entries_of(pair.mentee)
    client = await sign_in(pair.mentor)

    response = await client.get(_path(pair))

    html = await response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Shared course on SSDA903" not in html
    assert "This mentorship has ended" in html


async def test_saving_draft_as_shared_shows_it():
    pair = await _pair_in(MentorshipState.ACTIVE)
    draft = (await _entries_of(pair.mentee))["Drafted mentor entry"]
    before = await cpd.list_shared_with_mentor(pair.mentor, pair.mentorship)

    await cpd.do_save_entry(pair.mentee, cpd.EntryDraft(
        title="Drafted mentor entry", activity_type="course", started_on="2026-01-10", visibility="mentor",
    ), draft)
    after = await cpd.list_shared_with_mentor(pair.mentor, pair.mentorship)

    assert [entry.title for entry in before] == ["Shared course on SSDA903"]
    assert sorted(entry.title for entry in after) == ["Drafted mentor entry", "Shared course on SSDA903"]


async def test_mentors_own_entries_not_listed():
    pair = await _pair_in(MentorshipState.ACTIVE)
    await CpdEntry.create(member_id=pair.mentor.id, title="Mentor's own", activity_type="course",
                          started_on="2026-01-10", visibility="mentor")

    entries = await cpd.list_shared_with_mentor(pair.mentor, pair.mentorship)

    assert entries == []


async def test_service_refuses_other_mentor():
    pair = await _pair_in(MentorshipState.ACTIVE)

    with pytest.raises(Forbidden):
        await cpd.list_shared_with_mentor(await make_mentor(), pair.mentorship)


async def test_space_links_shared_entries_for_pair(sign_in):
    pair = await _pair_in(MentorshipState.ACTIVE)
    mentor_client = await sign_in(pair.mentor)
    mentee_client = await sign_in(pair.mentee)

    mentor_html = await (await mentor_client.get(f"/mentoring/mentorships/{pair.mentorship.id}")).get_data(as_text=True)
    mentee_html = await (await mentee_client.get(f"/mentoring/mentorships/{pair.mentorship.id}")).get_data(as_text=True)

    assert f'href="{_path(pair)}"' in mentor_html
    assert f"CPD entries {pair.mentee.display_name} shares with you" in mentor_html
    assert "CPD entries you share with your mentor" in mentee_html
