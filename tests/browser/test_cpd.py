"""Endorsing from a post, opening one's CPD record and downloading it, in a real Chromium."""

import csv
import io
import re

import pytest
from playwright.async_api import expect

from models import Endorsement, SkillArea, Thread
from tests.browser.helpers import blocking_violations, describe_violations, run_axe
from tests.factories import make_member, make_reply, make_thread

pytestmark = pytest.mark.browser


async def test_endorse_from_post(pages):
    author = await make_member(display_name="Priya Shah")
    endorser = await make_member(display_name="Tom Reed")
    thread = await make_thread(title="Checking school census returns")
    reply = await make_reply(thread, author=author, body="We run the validation rules before submitting.")
    thread = await Thread.get(id=thread.id)
    area = await SkillArea.get(slug="data-quality")
    page = (await pages.open(endorser)).page
    await page.goto(f"/threads/{thread.id}/{thread.slug}")

    await page.get_by_role("link", name=re.compile(r"^Endorse\s*Priya Shah for post 2$")).click()
    await page.get_by_label("Skill area").select_option(str(area.id))
    await page.get_by_label("Awareness").check()
    await page.get_by_label("I saw their work in the forum").check()
    await page.get_by_label("Observed from").fill("2025-01-01")
    await page.get_by_label("Observed until").fill("2025-06-01")
    await page.get_by_label("What did you see them do?").fill("Their validation checklist saved us a resubmission.")
    await page.get_by_role("button", name="Endorse").click()

    await expect(page.get_by_role("heading", name="Tom Reed endorsed Priya Shah")).to_be_visible()
    endorsement = await Endorsement.get(member_id=author.id)
    assert endorsement.evidence_id == reply.id


async def test_open_record_and_download_export(pages, axe_script):
    member = await make_member(display_name="Sam Okoye")
    tracked = await pages.open(member, bypass_csp=True)
    page = tracked.page
    await page.goto("/cpd/entries/new")
    await page.get_by_label("Title", exact=True).fill("GDPR refresher course")
    await page.get_by_label("Type of activity").select_option("course")
    await page.get_by_label("Start date", exact=True).fill("2026-02-02")
    await page.get_by_role("button", name="Save entry").click()

    await expect(page.get_by_role("heading", name="Your CPD record")).to_be_visible()
    await expect(page.get_by_role("link", name="GDPR refresher course")).to_be_visible()
    violations = blocking_violations(await run_axe(page, axe_script))
    assert not violations, describe_violations(violations)
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download as CSV").click()
    download = await download_info.value
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
    assert [row["title"] for row in rows] == ["GDPR refresher course"]
