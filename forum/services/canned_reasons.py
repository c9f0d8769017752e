"""Canned reasons: ready-written reasons that admins manage and moderators pick from.

Every moderator form offers the active canned reasons beside a free-text reason box.
:func:`resolve_reason` turns what was submitted into the one reason text that is stored.
"""

import logging
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import NotFound, ValidationFailed
from forum.services.audit import do_audit
from models import CannedReason, Member

logger = logging.getLogger(__name__)

REASON_MAX = 500
TITLE_MAX = 80


async def list_canned_reasons(*, include_archived: bool = False) -> list[CannedReason]:
    query = CannedReason.all() if include_archived else CannedReason.filter(is_active=True)
    return await query.order_by("position", "title")


async def resolve_reason(
    reason: str, canned_reason_id: str | int | None, *, required: bool = True
) -> str:
    """Return the reason to store: the typed text, else the chosen canned reason's text.

    :raises ValidationFailed: on ``reason`` when a required reason is missing, too long, or
        the canned reason chosen does not exist.
    """
    text = " ".join((reason or "").split())
    if not text and canned_reason_id not in (None, ""):
        canned = None
        if str(canned_reason_id).isdigit():
            canned = await CannedReason.filter(id=int(canned_reason_id), is_active=True).first()
        if canned is None:
            raise ValidationFailed(
                {"reason": "That canned reason no longer exists. Choose another or type a reason."}
            )
        text = canned.text

    if required and not text:
        raise ValidationFailed({"reason": "Enter a reason, or choose a canned reason."})
    if len(text) > REASON_MAX:
        raise ValidationFailed(
            {"reason": f"The reason must be {REASON_MAX} characters or fewer. Shorten it."}
        )
    return text


@dataclass(frozen=True)
class CannedReasonForm:
    title: str = ""
    text: str = ""
    position: str = "0"


def check_canned_reason(form: CannedReasonForm) -> tuple[str, str, int]:
    """Validate an admin's canned reason; return the clean title, text and position."""
    errors: dict[str, str] = {}
    title = " ".join(form.title.split())
    text = " ".join(form.text.split())

    if not title:
        errors["title"] = "Enter a short title, for example “Personal data”."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"The title must be {TITLE_MAX} characters or fewer."
    if not text:
        errors["text"] = "Enter the reason text that members will see."
    elif len(text) > REASON_MAX:
        errors["text"] = f"The reason text must be {REASON_MAX} characters or fewer."

    position = 0
    if form.position.strip():
        try:
            position = int(form.position)
        except ValueError:
            errors["position"] = "Enter the position as a whole number, for example 3."
        else:
            if not 0 <= position <= 1000:
                errors["position"] = "Enter a position from 0 to 1000."

    if errors:
        raise ValidationFailed(errors)
    return title, text, position


async def do_create_canned_reason(member: Member, form: CannedReasonForm) -> CannedReason:
    require(member, Action.MANAGE_CANNED_REASONS)
    title, text, position = check_canned_reason(form)
    try:
        async with in_transaction():
            canned = await CannedReason.create(title=title, text=text, position=position)
            await do_audit(
                member,
                "canned_reason_created",
                target_type="canned_reason",
                target_id=canned.id,
                after={"title": title, "text": text, "position": position},
            )
    except IntegrityError:
        raise ValidationFailed(
            {"title": "A canned reason with that title already exists. Choose another title."}
        ) from None
    return canned


async def do_update_canned_reason(
    member: Member, reason_id: int, form: CannedReasonForm
) -> CannedReason:
    require(member, Action.MANAGE_CANNED_REASONS)
    canned = await _get(reason_id)
    title, text, position = check_canned_reason(form)
    before = {"title": canned.title, "text": canned.text, "position": canned.position}
    try:
        async with in_transaction():
            await CannedReason.filter(id=canned.id).update(
                title=title, text=text, position=position
            )
            await do_audit(
                member,
                "canned_reason_updated",
                target_type="canned_reason",
                target_id=canned.id,
                before=before,
                after={"title": title, "text": text, "position": position},
            )
    except IntegrityError:
        raise ValidationFailed(
            {"title": "A canned reason with that title already exists. Choose another title."}
        ) from None
    canned.title, canned.text, canned.position = title, text, position
    return canned


async def do_set_canned_reason_active(member: Member, reason_id: int, active: bool) -> CannedReason:
    """Archive a canned reason (hide it from moderators' lists) or bring it back.

    Reasons are archived rather than deleted, so the text stays readable for the records.
    """
    require(member, Action.MANAGE_CANNED_REASONS)
    canned = await _get(reason_id)
    if canned.is_active == active:
        return canned

    async with in_transaction():
        await CannedReason.filter(id=canned.id).update(is_active=active)
        await do_audit(
            member,
            "canned_reason_restored" if active else "canned_reason_archived",
            target_type="canned_reason",
            target_id=canned.id,
            before={"is_active": canned.is_active},
            after={"is_active": active},
        )
    canned.is_active = active
    return canned


async def _get(reason_id: int) -> CannedReason:
    canned = await CannedReason.filter(id=reason_id).first()
    if canned is None:
        raise NotFound()
    return canned
