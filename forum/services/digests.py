"""Daily and weekly digest emails.

A digest lists the notifications whose kind the member routes to the digest, since the
last digest, and the questions without an accepted answer or any reply that were asked
since then in the skill areas the member watches. Members who never chose a frequency get
a weekly digest. A digest with nothing in it is not sent, but still moves the schedule on.
"""

import logging
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from forum.auth.policy import Action, can
from forum.services import email
from models import (
    Delivery,
    DigestFrequency,
    DigestSchedule,
    Member,
    MemberState,
    Notification,
    NotificationPreference,
    Thread,
    ThreadKind,
    ThreadState,
    Watch,
    WatchLevel,
    WatchTarget,
)

logger = logging.getLogger(__name__)

PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
DEFAULT_FREQUENCY = DigestFrequency.WEEKLY
MAX_ITEMS = 50


async def get_frequency(member: Member) -> str:
    stored = await DigestSchedule.filter(member_id=member.id).values_list("frequency", flat=True)
    return stored[0] if stored else DEFAULT_FREQUENCY


async def do_set_frequency(member: Member, frequency: str) -> None:
    updated = await DigestSchedule.filter(member_id=member.id).update(frequency=frequency)
    if not updated:
        await DigestSchedule.create(member_id=member.id, frequency=frequency)


async def do_queue_due_digests(*, now: datetime | None = None) -> int:
    """Queue a digest for every member whose period has passed, and return how many were queued.

    NOTE: this reads every active member with an address on each run, which suits
    thousands of members. Beyond that it needs a ``next_digest_at`` column with an index.
    """
    now = now or datetime.now(UTC)
    schedules = {row.member_id: row for row in await DigestSchedule.all()}
    members = await Member.filter(email__isnull=False, state=MemberState.ACTIVE, is_imported=False)
    queued = 0
    for member in members:
        schedule = schedules.get(member.id)
        frequency = schedule.frequency if schedule else DEFAULT_FREQUENCY
        if frequency == DigestFrequency.OFF:
            continue
        since = schedule.last_sent_at if schedule and schedule.last_sent_at else None
        if since is not None and now - since < PERIODS[DigestFrequency(frequency)]:
            continue
        # A member's first digest covers one period back.
        since = since or now - PERIODS[DigestFrequency(frequency)]
        if await do_queue_digest(member, str(frequency), since=since, now=now):
            queued += 1
    logger.info("digests queued", extra={"count": queued})
    return queued


async def build_digest(member: Member, *, since: datetime) -> tuple[list[dict], list[dict]]:
    """Return the notification items and unanswered questions a member's digest lists."""
    stored = dict(
        await NotificationPreference.filter(member_id=member.id).values_list("kind", "delivery")
    )
    digest_kinds = {
        kind
        for kind in email.KIND_LABELS
        if stored.get(kind, email.default_delivery(kind)) == Delivery.DIGEST
    }
    rows = await Notification.filter(
        member_id=member.id, kind__in=sorted(digest_kinds), created_at__gt=since
    ).order_by("-created_at").limit(MAX_ITEMS)
    base = email.current_settings().base_url
    notifications = [
        {"text": row.text, "link": base + email.notification_path(row)} for row in rows
    ]

    area_ids = await Watch.filter(
        member_id=member.id, target_type=WatchTarget.SKILL_AREA, level=WatchLevel.WATCHING
    ).values_list("target_id", flat=True)
    questions = []
    if area_ids:
        threads = await Thread.filter(
            skill_area_id__in=list(area_ids),
            kind=ThreadKind.QUESTION,
            state=ThreadState.OPEN,
            accepted_post_id__isnull=True,
            post_count=1,
            created_at__gt=since,
        ).exclude(author_id=member.id).select_related("skill_area").order_by("-created_at").limit(MAX_ITEMS)
        questions = [
            {
                "title": thread.title,
                "skill_area": thread.skill_area.name,
                "link": f"{base}/threads/{thread.id}",
            }
            for thread in threads
            if can(member, Action.VIEW_THREAD, thread)
        ]
    return notifications, questions


async def do_queue_digest(member: Member, frequency: str, *, since: datetime, now: datetime) -> bool:
    """Queue one member's digest and move their schedule on; return whether one was queued."""
    notifications, questions = await build_digest(member, since=since)
    async with in_transaction():
        updated = await DigestSchedule.filter(member_id=member.id).update(last_sent_at=now)
        if not updated:
            await DigestSchedule.create(member_id=member.id, frequency=frequency, last_sent_at=now)
        if not notifications and not questions:
            return False
        message = await email.do_queue_email(
            member,
            email.DIGEST_KIND,
            subject=f"Your {frequency} digest from {email.current_settings().site_name}",
            template="digest",
            context={
                "member": member,
                "frequency": frequency,
                "notifications": notifications,
                "questions": questions,
            },
            # Keyed by the period's start, so two workers running at once queue one digest.
            idempotency_key=f"digest:{member.id}:{since.isoformat()}",
        )
    return message is not None
