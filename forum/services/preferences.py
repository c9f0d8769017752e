"""Members' notification preferences, digest frequency, and one-click unsubscribe."""

import logging
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import ValidationFailed
from forum.services import digests, email
from models import Delivery, DigestFrequency, DigestSchedule, Member, NotificationPreference

logger = logging.getLogger(__name__)

DELIVERY_LABELS = {
    Delivery.IN_APP: "On the site only",
    Delivery.EMAIL: "Email me straight away",
    Delivery.DIGEST: "Include in my digest",
    Delivery.OFF: "Off",
}
FREQUENCY_LABELS = {
    DigestFrequency.DAILY: "Daily",
    DigestFrequency.WEEKLY: "Weekly",
    DigestFrequency.OFF: "Never",
}


@dataclass
class PreferenceRow:
    kind: str
    label: str
    delivery: str


async def list_preferences(member: Member) -> tuple[list[PreferenceRow], str]:
    """Return one row per kind with the member's delivery, and their digest frequency (2 queries)."""
    require(member, Action.MANAGE_NOTIFICATION_PREFERENCES)
    stored = dict(
        await NotificationPreference.filter(member_id=member.id).values_list("kind", "delivery")
    )
    rows = [
        PreferenceRow(kind, label, stored.get(kind, email.default_delivery(kind)))
        for kind, label in email.KIND_LABELS.items()
    ]
    return rows, await digests.get_frequency(member)


async def do_save_preferences(member: Member, form: dict[str, str]) -> None:
    """Store the delivery for every kind and the digest frequency from the preferences form.

    The form holds ``kind-<kind>`` fields and ``digest_frequency``. A missing field keeps
    the current value, and an unknown value raises ValidationFailed on that field.
    """
    require(member, Action.MANAGE_NOTIFICATION_PREFERENCES)
    errors = {}
    choices = {}
    for kind in email.KIND_LABELS:
        value = form.get(f"kind-{kind}")
        if value is None:
            continue
        if value not in set(Delivery):
            errors[f"kind-{kind}"] = f"Choose how you hear about: {email.KIND_LABELS[kind].lower()}."
        else:
            choices[kind] = value
    frequency = form.get("digest_frequency")
    if frequency is not None and frequency not in set(DigestFrequency):
        errors["digest_frequency"] = "Choose daily, weekly or never for your digest."
    if errors:
        raise ValidationFailed(errors)

    async with in_transaction():
        for kind, delivery in choices.items():
            await _store_delivery(member.id, kind, delivery)
        if frequency is not None:
            await digests.do_set_frequency(member, frequency)
    logger.info("notification preferences saved", extra={"member_id": member.id})


async def _store_delivery(member_id: int, kind: str, delivery: str) -> None:
    updated = await NotificationPreference.filter(member_id=member_id, kind=kind).update(
        delivery=delivery
    )
    if not updated:
        await NotificationPreference.create(member_id=member_id, kind=kind, delivery=delivery)


def describe_unsubscribe(kind: str) -> str:
    if kind == email.DIGEST_KIND:
        return "digest emails"
    return "emails about " + email.KIND_LABELS.get(kind, "this kind of notification").lower()


async def access_unsubscribe(token: str) -> tuple[Member, str] | None:
    """Return the member and kind a signed unsubscribe token names, or None when it is invalid."""
    value = email.read_unsubscribe_token(token)
    if value is None:
        return None
    member_id, kind = value
    if kind != email.DIGEST_KIND and kind not in email.KIND_LABELS:
        return None
    member = await Member.filter(id=member_id).first()
    if member is None:
        return None
    return member, kind


async def do_unsubscribe(member: Member, kind: str) -> None:
    """Stop one kind of email: the kind stays on the site, or digests stop altogether.

    Needs no signed-in member, because the caller has checked a signed token naming them.
    """
    if kind == email.DIGEST_KIND:
        updated = await DigestSchedule.filter(member_id=member.id).update(
            frequency=DigestFrequency.OFF
        )
        if not updated:
            await DigestSchedule.create(member_id=member.id, frequency=DigestFrequency.OFF)
    else:
        await _store_delivery(member.id, kind, Delivery.IN_APP)
    logger.info("unsubscribed", extra={"member_id": member.id, "kind": kind})
