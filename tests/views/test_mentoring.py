"""Mentoring pages through the real app and database: the directory, requests, the pair's
space, its privacy, the admin run pages, and each page's query count."""

import re
from datetime import date

import pytest

from forum.services import match_runs, mentoring, mentoring_forms
from forum.services.browsing import get_taxonomy
from forum.services.mentoring_forms import add_months
from models import AuditEntry, MentoringRequest, Mentorship, MentorshipState
from tests.factories import (
    make_member,
    make_mentor,
    make_mentoring_request,
    make_organisation,
    make_thread,
)


async def _text(response) -> str:
    return await response.get_data(as_text=True)


async def _active_pair(mentor=None, mentee=None):
    """Make a mentorship that has an agreement and one logged session."""
    mentor = mentor or await make_mentor()
    mentee = mentee or await make_member()
    request = await make_mentoring_request(mentee)
    mentorship = await mentoring.do_ask_mentor(mentee, request, mentor.id)
    await mentoring.do_accept(mentor, mentorship)
    taxonomy = await get_taxonomy()
    end = add_months(date.today(), 3)
    await mentoring.do_record_agreement(
        mentee,
        mentorship,
        mentoring_forms.AgreementDraft(
            goals=(
                mentoring_forms.GoalDraft("sql-data-engineering", "3", "Write window functions."),
            ),
            cadence="monthly",
            end_day=str(end.day),
            end_month=str(end.month),
            end_year=str(end.year),
        ),
        taxonomy,
    )
    today = date.today()
    await mentoring.do_log_session(
        mentor,
        mentorship,
        mentoring_forms.SessionDraft(
            str(today.day),
            str(today.month),
            str(today.year),
            "30",
            ("sql-data-engineering",),
            "Shared",
            "Private",
        ),
        taxonomy,
        max_length=20000,
    )
    return mentor, mentee, mentorship


def _mentor_names(html: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-s">([^<]+)</h2>', html)


async def test_directory_shows_only_mentors_with_a_free_place(client):
    free = await make_mentor(display_name="Free Mentor")
    full = await make_mentor(display_name="Full Mentor", capacity=0)
    paused = await make_mentor(display_name="Paused Mentor", accepting=False)

    default = _mentor_names(await _text(await client.get("/mentoring/mentors")))
    everyone = _mentor_names(await _text(await client.get("/mentoring/mentors?include_full=yes")))

    assert default == [free.display_name]
    assert sorted(everyone) == sorted([free.display_name, full.display_name, paused.display_name])


DIRECTORY_FILTERS = [
    ("?skill=power-bi", {"Power Mentor", "Both Mentor"}),
    ("?skill=power-bi&level=4", {"Both Mentor"}),
    ("?skill=bi-visualisation", {"Power Mentor", "Both Mentor"}),
    ("?role=la-leadership", {"Both Mentor"}),
    ("?organisation_kind=supplier", {"Sql Mentor"}),
    ("?skill=no-such-area", {"Power Mentor", "Both Mentor", "Sql Mentor"}),
]


@pytest.mark.parametrize(("query", "expected"), DIRECTORY_FILTERS)
async def test_directory_filters(client, query, expected):
    supplier = await make_organisation(kind="supplier")
    leadership = (await get_taxonomy()).role("la-leadership")
    await make_mentor(display_name="Power Mentor", levels={"power-bi": 3})
    await make_mentor(
        display_name="Both Mentor",
        levels={"power-bi": 4, "sql-data-engineering": 3},
        role=leadership,
    )
    await make_mentor(
        display_name="Sql Mentor", levels={"sql-data-engineering": 4}, organisation=supplier
    )

    names = _mentor_names(await _text(await client.get(f"/mentoring/mentors{query}")))

    assert set(names) == expected


async def test_overview_needs_sign_in(client):
    response = await client.get("/mentoring")

    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"] or "sign" in response.headers["Location"]


async def test_request_form_opens_request_and_shows_suggestions(sign_in):
    mentor = await make_mentor(display_name="Mei Mentor", offer="SQL window functions for episodes")
    mentee = await make_member()
    client = await sign_in(mentee)

    response = await client.post(
        "/mentoring/requests/new",
        {
            "need-1-skill_area": "sql-data-engineering",
            "need-1-current_level": "1",
            "need-1-target_level": "3",
            "need-1-importance": "3",
            "goals": "Learn SQL window functions for SSDA903 episodes.",
            "timeframe_months": "6",
        },
    )

    assert response.status_code == 303
    request = await MentoringRequest.get(mentee_id=mentee.id)
    page = await _text(await client.get(response.headers["Location"]))
    assert f"Ask {mentor.display_name} to mentor you" in page
    assert "Why this match" in page
    assert "Offers SQL and data engineering at expert level" in page
    assert request.state == "open"


async def test_request_form_errors_are_listed_and_linked(sign_in):
    client = await sign_in(await make_member())

    response = await client.post("/mentoring/requests/new", {"goals": "", "timeframe_months": "6"})

    assert response.status_code == 422
    page = await _text(response)
    assert 'href="#need-1-skill_area"' in page
    assert 'href="#goals"' in page
    assert 'aria-describedby="need-1-skill_area-error"' in page


async def test_ask_accept_agree_and_log_through_pages(sign_in):
    mentor = await make_mentor()
    mentee = await make_member()
    request = await make_mentoring_request(mentee)
    as_mentee, as_mentor = await sign_in(mentee), await sign_in(mentor)

    asked = await as_mentee.post(
        f"/mentoring/requests/{request.id}/ask", {"mentor_id": str(mentor.id), "message": "Hello"}
    )
    mentorship = await Mentorship.get(request_id=request.id)
    accepted = await as_mentor.post(f"/mentoring/mentorships/{mentorship.id}/accept")
    end = add_months(date.today(), 2)
    agreed = await as_mentee.post(
        f"/mentoring/mentorships/{mentorship.id}/agreement",
        {
            "goal-1-skill_area": "sql-data-engineering",
            "goal-1-target_level": "3",
            "goal-1-description": "Write a window function query alone.",
            "cadence": "weekly",
            "end_day": str(end.day),
            "end_month": str(end.month),
            "end_year": str(end.year),
        },
    )
    today = date.today()
    logged = await as_mentor.post(
        f"/mentoring/mentorships/{mentorship.id}/sessions/new",
        {
            "held_day": str(today.day),
            "held_month": str(today.month),
            "held_year": str(today.year),
            "minutes": "50",
            "skill_areas": "sql-data-engineering",
            "shared_notes": "We used LAG.",
        },
    )

    assert [r.status_code for r in (asked, accepted, agreed, logged)] == [303, 303, 303, 303]
    assert (await Mentorship.get(id=mentorship.id)).state == MentorshipState.ACTIVE
    page = await _text(await as_mentee.get(f"/mentoring/mentorships/{mentorship.id}"))
    assert "50 minutes" in page
    assert "We used LAG." in page


async def test_refused_transition_shows_the_reason(sign_in):
    mentor, mentee, mentorship = await _active_pair()
    client = await sign_in(mentor)

    response = await client.post(f"/mentoring/mentorships/{mentorship.id}/accept")

    assert response.status_code == 409
    assert "You cannot accept this mentorship because it is active." in await _text(response)


async def test_decline_without_reason_shows_field_error(sign_in):
    mentor = await make_mentor()
    mentee = await make_member()
    mentorship = await mentoring.do_ask_mentor(
        mentee, await make_mentoring_request(mentee), mentor.id
    )
    client = await sign_in(mentor)

    response = await client.post(f"/mentoring/mentorships/{mentorship.id}/decline", {"reason": ""})

    assert response.status_code == 422
    page = await _text(response)
    assert 'id="reason-error"' in page
    assert "Give a reason of at least 10 characters." in page


async def test_private_space_is_invisible_to_everyone_else(client, sign_in):
    mentor, mentee, mentorship = await _active_pair()
    await make_thread(title="A public thread about zebrafinch data")
    await mentoring.do_send_message(
        mentee, mentorship, "Secret word quokkapassage here.", max_length=20000
    )
    outsider, moderator = await make_member(), await make_member(permission="moderator")

    for member in (outsider, moderator):
        signed_in = await sign_in(member)
        space = await signed_in.get(f"/mentoring/mentorships/{mentorship.id}")
        assert space.status_code == 404
        for path in ("/", "/search?q=quokkapassage", "/notifications", "/mentoring"):
            page = await _text(await signed_in.get(path))
            # The search page repeats the query, so look for the rest of the message.
            assert "Secret word" not in page, path
    assert "Secret word" not in await _text(await client.get("/search?q=quokkapassage"))
    assert (await client.get(f"/mentoring/mentorships/{mentorship.id}")).status_code == 302

    own = await _text(await (await sign_in(mentor)).get(f"/mentoring/mentorships/{mentorship.id}"))
    assert "quokkapassage" in own


async def test_private_notes_shown_only_to_their_author(sign_in):
    mentor, mentee, mentorship = await _active_pair()

    mentor_page = await _text(
        await (await sign_in(mentor)).get(f"/mentoring/mentorships/{mentorship.id}")
    )
    mentee_page = await _text(
        await (await sign_in(mentee)).get(f"/mentoring/mentorships/{mentorship.id}")
    )

    assert "Only you see this" in mentor_page
    assert "Only you see this" not in mentee_page


async def test_moderator_opens_space_with_reason(sign_in):
    mentor, mentee, mentorship = await _active_pair()
    await mentoring.do_send_message(mentee, mentorship, "Message under review.", max_length=20000)
    moderator = await make_member(permission="moderator")
    client = await sign_in(moderator)

    form_page = await client.get(f"/mentoring/mentorships/{mentorship.id}/moderate")
    refused = await client.post(
        f"/mentoring/mentorships/{mentorship.id}/moderate", {"reason": "short"}
    )
    opened = await client.post(
        f"/mentoring/mentorships/{mentorship.id}/moderate",
        {"reason": "Flag 12 reports an abusive message."},
    )

    assert form_page.status_code == 200
    assert refused.status_code == 422
    assert opened.status_code == 200
    assert "Message under review." in await _text(opened)
    assert (
        await AuditEntry.filter(action="open_mentorship_space", actor_id=moderator.id).count() == 1
    )


async def test_member_cannot_open_space_as_moderator(sign_in):
    _, _, mentorship = await _active_pair()
    client = await sign_in(await make_member())

    response = await client.post(
        f"/mentoring/mentorships/{mentorship.id}/moderate", {"reason": "Just curious about it."}
    )

    assert response.status_code == 403
    assert await AuditEntry.filter(action="open_mentorship_space").count() == 0


@pytest.mark.parametrize(
    "path", ["/mentoring/admin", "/mentoring/admin/weights", "/mentoring/admin/feedback"]
)
async def test_admin_pages_refuse_members(sign_in, path):
    client = await sign_in(await make_mentor())

    assert (await client.get(path)).status_code == 403


async def test_admin_runs_matching_and_publishes(sign_in):
    admin = await make_member(permission="admin")
    mentor = await make_mentor(display_name="Batch Mentor")
    mentee = await make_member(display_name="Batch Mentee")
    await make_mentoring_request(mentee)
    client = await sign_in(admin)

    started = await client.post("/mentoring/admin/runs")
    run_page = await _text(await client.get(started.headers["Location"]))
    published = await client.post(started.headers["Location"] + "/publish")

    assert started.status_code == 303
    assert "Batch Mentee" in run_page
    assert mentor.display_name in run_page
    assert "Publish 1 suggestions" in run_page
    assert published.status_code == 303
    mentee_client = await sign_in(mentee)
    notifications = await _text(await mentee_client.get("/notifications"))
    assert "We suggest Batch Mentor as your mentor." in notifications


async def test_weights_form_shows_errors(sign_in):
    client = await sign_in(await make_member(permission="admin"))
    form = {name: str(value) for name, value in vars(match_runs.matching.Weights()).items()}

    response = await client.post("/mentoring/admin/weights", {**form, "min_score": "300"})

    assert response.status_code == 422
    assert "Enter a whole number from 0 to 100." in await _text(response)


# Query budgets, as for an anonymous visitor: each page's count must not grow with the
# number of mentors, requests, sessions or messages. Signing in adds one query for the session.
async def _more_mentoring_data():
    supplier = await make_organisation(kind="supplier")
    for n in range(4):
        await make_mentor(
            levels={"sql-data-engineering": 3 + n % 2, "power-bi": 2}, organisation=supplier
        )
    for _ in range(3):
        await make_mentoring_request(await make_member())


async def _count(client, count_queries, path: str) -> int:
    count_queries.statements.clear()
    response = await client.get(path)
    assert response.status_code == 200, path
    return count_queries.count


PAGE_BUDGETS = {
    "directory": 4,
    "overview": 6,
    "request": 13,
    "mentorship": 9,
    "run": 3,
    "runs": 2,
    "profile": 3,
    "new request": 2,
    "agreement": 3,
    "session form": 3,
    "moderate": 1,
    "weights": 2,
    "feedback": 2,
}


@pytest.mark.parametrize("page", PAGE_BUDGETS)
async def test_query_count_is_constant(sign_in, count_queries, page):
    admin = await make_member(permission="admin")
    mentor, mentee, mentorship = await _active_pair(mentor=await make_mentor(), mentee=admin)
    request = await make_mentoring_request(admin, needs=(("power-bi", 0, 2, 3),))
    await make_mentor(levels={"power-bi": 4})
    python_mentor = await make_mentor(levels={"python": 4})
    accepted = await mentoring.do_ask_mentor(
        admin, await make_mentoring_request(admin, needs=(("python", 0, 2, 3),)), python_mentor.id
    )
    await mentoring.do_accept(python_mentor, accepted)
    await match_runs.do_run_matching(admin)
    run_id = (await match_runs.list_runs(admin))[0].id
    paths = {
        "runs": "/mentoring/admin",
        "profile": "/mentoring/profile",
        "new request": "/mentoring/requests/new",
        "agreement": f"/mentoring/mentorships/{accepted.id}/agreement",
        "session form": f"/mentoring/mentorships/{mentorship.id}/sessions/new",
        "moderate": f"/mentoring/mentorships/{mentorship.id}/moderate",
        "weights": "/mentoring/admin/weights",
        "feedback": "/mentoring/admin/feedback",
        "directory": "/mentoring/mentors",
        "overview": "/mentoring",
        "request": f"/mentoring/requests/{request.id}",
        "mentorship": f"/mentoring/mentorships/{mentorship.id}",
        "run": f"/mentoring/admin/runs/{run_id}",
    }
    client = await sign_in(admin)
    small = await _count(client, count_queries, paths[page])

    await _more_mentoring_data()
    for n in range(3):
        await mentoring.do_send_message(mentor, mentorship, f"Message {n}", max_length=20000)
    await match_runs.do_run_matching(admin)
    more = await _count(client, count_queries, paths[page])

    assert small == more, count_queries.statements
    assert small <= PAGE_BUDGETS[page] + 1, count_queries.statements
