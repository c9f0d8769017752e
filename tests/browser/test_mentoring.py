"""The mentoring journey in a real Chromium: ask a suggested mentor, accept as the mentor,
record the agreement and log a session, with accessibility checks on each page."""

from datetime import date

import pytest
from playwright.async_api import expect

from forum.services.mentoring_forms import add_months
from models import Mentorship, MentorshipState
from tests.browser.helpers import blocking_violations, describe_violations, run_axe
from tests.factories import make_member, make_mentor, make_mentoring_request

pytestmark = pytest.mark.browser


async def _check_accessibility(page, axe_script) -> None:
    violations = blocking_violations(await run_axe(page, axe_script))
    assert not violations, describe_violations(violations)


async def test_request_accept_agree_and_log_session(pages, axe_script):
    mentor = await make_mentor(
        display_name="Mei Chen", offer="SQL window functions for SSDA903 episodes", capacity=1
    )
    mentee = await make_member(display_name="Tom Ashworth")
    request = await make_mentoring_request(mentee)

    # The mentee asks the suggested mentor.
    mentee_page = (await pages.open(mentee, bypass_csp=True)).page
    await mentee_page.goto(f"/mentoring/requests/{request.id}")
    suggestion = mentee_page.locator(f"#suggestion-{mentor.id}")
    await expect(suggestion.get_by_role("heading", name="Why this match")).to_be_visible()
    await expect(suggestion).to_contain_text("Offers SQL and data engineering at expert level")
    await _check_accessibility(mentee_page, axe_script)
    await suggestion.get_by_label("A note for Mei Chen (optional)").fill("I would value your help.")
    await suggestion.get_by_role("button", name="Ask Mei Chen to mentor you").click()
    await expect(mentee_page.get_by_role("heading", level=1)).to_have_text(
        "Mei Chen mentoring Tom Ashworth"
    )
    await expect(mentee_page.get_by_text("Waiting for an answer")).to_be_visible()
    mentorship = await Mentorship.get(request_id=request.id)

    # The mentor accepts.
    mentor_page = (await pages.open(mentor, bypass_csp=True)).page
    await mentor_page.goto("/mentoring")
    await mentor_page.get_by_role("link", name="Tom Ashworth asked you to mentor them").click()
    await expect(mentor_page.get_by_text("I would value your help.")).to_be_visible()
    await _check_accessibility(mentor_page, axe_script)
    await mentor_page.get_by_role("button", name="Accept Tom Ashworth as your mentee").click()
    await expect(mentor_page.get_by_text("Accepted", exact=True)).to_be_visible()

    # The mentee records the agreement.
    await mentee_page.goto(f"/mentoring/mentorships/{mentorship.id}")
    await mentee_page.get_by_role("link", name="Record your agreement").click()
    goal = mentee_page.get_by_role("group", name="Goal 1")
    await goal.get_by_label("Skill area").select_option("sql-data-engineering")
    await goal.get_by_label("Target level").select_option("3")
    await goal.get_by_label("What will be different when it is met?").fill(
        "Write window functions alone."
    )
    await mentee_page.get_by_label("How often will you meet?").select_option("fortnightly")
    end = add_months(date.today(), 3)
    ends = mentee_page.get_by_role("group", name="When does the mentorship end?")
    await ends.get_by_label("Day").fill(str(end.day))
    await ends.get_by_label("Month").fill(str(end.month))
    await ends.get_by_label("Year").fill(str(end.year))
    await _check_accessibility(mentee_page, axe_script)
    await mentee_page.get_by_role("button", name="Record the agreement").click()
    await expect(mentee_page.get_by_text("Write window functions alone.")).to_be_visible()

    # The mentor logs a session, which starts the mentorship.
    await mentor_page.goto(f"/mentoring/mentorships/{mentorship.id}")
    await mentor_page.get_by_role("link", name="Log a session").click()
    today = date.today()
    held = mentor_page.get_by_role("group", name="When was the session?")
    await held.get_by_label("Day").fill(str(today.day))
    await held.get_by_label("Month").fill(str(today.month))
    await held.get_by_label("Year").fill(str(today.year))
    await mentor_page.get_by_label("How long was it, in minutes?").fill("45")
    await mentor_page.get_by_label("Skill areas covered").select_option(["sql-data-engineering"])
    await mentor_page.get_by_label("Private notes (optional)").fill("Ready for LEAD next time.")
    await _check_accessibility(mentor_page, axe_script)
    await mentor_page.get_by_role("button", name="Log the session").click()

    await expect(
        mentor_page.get_by_role("heading", name=f"{today:%-d %B %Y}, 45 minutes")
    ).to_be_visible()
    await expect(mentor_page.get_by_text("Ready for LEAD next time.")).to_be_visible()
    await expect(mentor_page.get_by_text("Active", exact=True)).to_be_visible()
    assert (await Mentorship.get(id=mentorship.id)).state == MentorshipState.ACTIVE

    await mentee_page.reload()
    await expect(
        mentee_page.get_by_role("heading", name=f"{today:%-d %B %Y}, 45 minutes")
    ).to_be_visible()
    await expect(mentee_page.get_by_text("Ready for LEAD next time.")).to_have_count(0)


async def test_form_errors_are_summarised_and_linked(pages, axe_script):
    page = (await pages.open(await make_member(), bypass_csp=True)).page
    await page.goto("/mentoring/requests/new")

    await page.get_by_role("button", name="Open request").click()

    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Choose at least one skill area you want help with.")
    await summary.get_by_role(
        "link", name="Choose at least one skill area you want help with."
    ).click()
    await expect(page.locator("#need-1-skill_area")).to_be_focused()
    await _check_accessibility(page, axe_script)


async def test_directory_is_accessible_without_sign_in(pages, axe_script):
    await make_mentor(display_name="Sian Pryce")
    page = (await pages.open(bypass_csp=True)).page

    await page.goto("/mentoring/mentors")

    await expect(page.get_by_role("heading", name="Sian Pryce")).to_be_visible()
    await _check_accessibility(page, axe_script)
