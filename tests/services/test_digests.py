"""Digest emails: what they list, when they are due, and turning them off."""

from datetime import UTC, datetime, timedelta

from forum.services import digests, email, watches
from forum.services.worker import send_watcher_notices
from models import (
    DigestFrequency,
    DigestSchedule,
    OutboxMessage,
    SkillArea,
    WatchLevel,
    WatchTarget,
)
from tests.factories import make_member, make_reply, make_thread


async def _watch_area(member, slug="cin-census"):
    area = await SkillArea.get(slug=slug)
    await watches.do_set_watch_level(member, WatchTarget.SKILL_AREA, area.id, WatchLevel.WATCHING)


async def test_digest_lists_activity_and_questions(settings):
    email.configure(settings)
    member = await make_member(display_name="Sam Okafor")
    await _watch_area(member)
    watched = await make_thread(author=member, title="Which CIN census codes changed")
    await make_reply(watched, author=await make_member(display_name="Asha Patel"))
    unanswered = await make_thread(title="Deadline for the CIN census return", skill_area="cin-census")
    answered = await make_thread(title="Where is the CIN census guidance", skill_area="cin-census")
    await make_reply(answered)
    elsewhere = await make_thread(title="A data quality question nobody answered", skill_area="data-quality")
    await send_watcher_notices()

    queued = await digests.do_queue_due_digests()

    assert queued >= 1
    message = await OutboxMessage.get(member=member, kind=email.DIGEST_KIND)
    assert message.subject == f"Your weekly digest from {settings.site_name}"
    assert "Hello Sam Okafor," in message.text
    # The author's reply notification goes by email, the watched-thread ones to the digest.
    assert "Asha Patel replied" not in message.text
    activity, _, questions = message.text.partition("Unanswered questions in your skill areas")
    # New threads in a watched skill area are activity, whether answered or not.
    assert f"started “{answered.title}”" in activity
    assert unanswered.title in questions
    assert f"{settings.base_url}/threads/{unanswered.id}" in questions
    assert answered.title not in questions
    assert elsewhere.title not in message.text
    assert unanswered.title in message.html
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_digest_lists_watched_replies(settings):
    email.configure(settings)
    member = await make_member()
    thread = await make_thread(title="Sharing our early help dashboards")
    await make_reply(thread, author=member)
    await make_reply(thread, author=await make_member(display_name="Jo Reid"))
    await send_watcher_notices()

    await digests.do_queue_due_digests()

    message = await OutboxMessage.get(member=member, kind=email.DIGEST_KIND)
    assert "Jo Reid replied in “Sharing our early help dashboards”." in message.text


async def test_digest_not_due_again_within_period(settings):
    email.configure(settings)
    member = await make_member()
    await _watch_area(member)
    await make_thread(skill_area="cin-census")
    await digests.do_queue_due_digests()

    await make_thread(skill_area="cin-census")
    await digests.do_queue_due_digests()
    later = datetime.now(UTC) + timedelta(days=8)
    await digests.do_queue_due_digests(now=later)

    assert await OutboxMessage.filter(member=member, kind=email.DIGEST_KIND).count() == 2


async def test_empty_digest_is_not_sent_but_schedule_moves(settings):
    member = await make_member()

    await digests.do_queue_due_digests()

    assert not await OutboxMessage.filter(member=member).exists()
    schedule = await DigestSchedule.get(member=member)
    assert schedule.last_sent_at is not None


async def test_digest_off_sends_nothing(settings):
    member = await make_member()
    await digests.do_set_frequency(member, DigestFrequency.OFF)
    await _watch_area(member)
    await make_thread(skill_area="cin-census")

    await digests.do_queue_due_digests()

    assert not await OutboxMessage.filter(member=member, kind=email.DIGEST_KIND).exists()
