"""Moderating members: suspension, silence, warnings, moderator notes and the queue of new
members from organisations that are not yet approved."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, is_silenced, require
from forum.auth.sessions import do_revoke_all_sessions
from forum.errors import Conflict, NotFound, ValidationFailed
from forum.services.audit import do_audit
from forum.services.notifications import do_notify
from models import AuditEntry, Member, MemberState, ModeratorNote, Organisation

logger = logging.getLogger(__name__)

NOTE_MAX = 4000
PENDING_PER_PAGE = 100
HISTORY_ROWS = 50


class ModerationNotice:
    """Notification kinds written by moderation, shown on the member's notifications page."""

    SUSPENDED = "suspended"
    SUSPENSION_LIFTED = "suspension_lifted"
    SILENCED = "silenced"
    SILENCE_LIFTED = "silence_lifted"
    WARNING = "warning"
    MEMBERSHIP_APPROVED = "membership_approved"


def _format_until(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%-d %B %Y at %H:%M UTC") if moment else ""


async def access_member(moderator: Member, member_id: int) -> Member:
    """Return a member for a moderator's pages, or raise NotFound."""
    require(moderator, Action.NOTE_MEMBER)
    member = (
        await Member.filter(id=member_id, is_imported=False)
        .select_related("organisation", "role")
        .first()
    )
    if member is None:
        raise NotFound()
    return member


# Suspension ---------------------------------------------------------------------------


async def do_suspend_member(
    moderator: Member, member: Member, *, until: datetime, reason: str
) -> Member:
    """Suspend a member until ``until`` and end every session they have at once.

    The member gets the reason in a notification and in every refused action's message.
    """
    require(moderator, Action.SUSPEND_MEMBER, member)
    if until <= datetime.now(UTC):
        raise ValidationFailed({"until": "The suspension must end in the future."})
    if member.state not in (MemberState.ACTIVE, MemberState.SUSPENDED):
        raise Conflict("Only an active member can be suspended.")

    async with in_transaction():
        before = {
            "state": member.state,
            "until": member.suspended_until.isoformat() if member.suspended_until else None,
        }
        await Member.filter(id=member.id).update(
            state=MemberState.SUSPENDED, suspended_until=until, suspension_reason=reason
        )
        sessions = await do_revoke_all_sessions(member.id)
        await do_audit(
            moderator,
            "member_suspended",
            target_type="member",
            target_id=member.id,
            reason=reason,
            before=before,
            after={
                "state": MemberState.SUSPENDED,
                "until": until.isoformat(),
                "sessions_ended": sessions,
            },
        )
        await do_notify(
            member.id,
            ModerationNotice.SUSPENDED,
            actor_id=moderator.id,
            text=f"Your account is suspended until {_format_until(until)}. Reason: {reason}",
        )
    member.state, member.suspended_until, member.suspension_reason = (
        MemberState.SUSPENDED,
        until,
        reason,
    )
    logger.info(
        "member suspended",
        extra={"member_id": member.id, "moderator_id": moderator.id, "sessions": sessions},
    )
    return member


async def do_lift_suspension(moderator: Member, member: Member, reason: str) -> Member:
    require(moderator, Action.SUSPEND_MEMBER, member)
    if member.state != MemberState.SUSPENDED:
        raise Conflict("This member is not suspended.")

    async with in_transaction():
        await Member.filter(id=member.id).update(
            state=MemberState.ACTIVE, suspended_until=None, suspension_reason=""
        )
        await do_audit(
            moderator,
            "suspension_lifted",
            target_type="member",
            target_id=member.id,
            reason=reason,
            before={"state": MemberState.SUSPENDED, "until": _format_until(member.suspended_until)},
            after={"state": MemberState.ACTIVE},
        )
        await do_notify(
            member.id,
            ModerationNotice.SUSPENSION_LIFTED,
            actor_id=moderator.id,
            text="A moderator has lifted your suspension. You can take part again.",
        )
    member.state, member.suspended_until, member.suspension_reason = MemberState.ACTIVE, None, ""
    return member


# Silence ------------------------------------------------------------------------------


async def do_silence_member(
    moderator: Member, member: Member, *, reason: str, until: datetime | None = None
) -> Member:
    """Make a member read-only until ``until``, or until a moderator lifts it."""
    require(moderator, Action.SILENCE_MEMBER, member)
    if until is not None and until <= datetime.now(UTC):
        raise ValidationFailed(
            {"until": "The silence must end in the future, or leave the date empty."}
        )

    async with in_transaction():
        await Member.filter(id=member.id).update(
            is_silenced=True, silenced_until=until, silence_reason=reason
        )
        await do_audit(
            moderator,
            "member_silenced",
            target_type="member",
            target_id=member.id,
            reason=reason,
            before={"silenced": is_silenced(member)},
            after={"silenced": True, "until": until.isoformat() if until else None},
        )
        ending = f" until {_format_until(until)}" if until else ""
        await do_notify(
            member.id,
            ModerationNotice.SILENCED,
            actor_id=moderator.id,
            text=f"A moderator has made your account read-only{ending}. Reason: {reason}",
        )
    member.is_silenced, member.silenced_until, member.silence_reason = True, until, reason
    return member


async def do_lift_silence(moderator: Member, member: Member, reason: str) -> Member:
    require(moderator, Action.SILENCE_MEMBER, member)
    if not member.is_silenced:
        raise Conflict("This member is not silenced.")

    async with in_transaction():
        await Member.filter(id=member.id).update(
            is_silenced=False, silenced_until=None, silence_reason=""
        )
        await do_audit(
            moderator,
            "silence_lifted",
            target_type="member",
            target_id=member.id,
            reason=reason,
            before={"silenced": is_silenced(member)},
            after={"silenced": False},
        )
        await do_notify(
            member.id,
            ModerationNotice.SILENCE_LIFTED,
            actor_id=moderator.id,
            text="A moderator has lifted the read-only restriction on your account.",
        )
    member.is_silenced, member.silenced_until, member.silence_reason = False, None, ""
    return member


# Warnings and notes -------------------------------------------------------------------


async def do_warn_member(moderator: Member, member: Member, text: str, *, about: str = "") -> None:
    """Send a member a warning and keep a copy as a moderator note, in the caller's
    transaction when there is one."""
    require(moderator, Action.REVIEW_FLAGS)
    if not text:
        raise ValidationFailed({"reason": "Enter the warning the member will see."})
    await do_notify(
        member.id,
        ModerationNotice.WARNING,
        actor_id=moderator.id,
        text=f"A moderator has sent you a warning: {text}",
    )
    note = f"Warning sent{f' about {about}' if about else ''}: {text}"
    await ModeratorNote.create(member_id=member.id, author_id=moderator.id, text=note[:NOTE_MAX])
    await do_audit(
        moderator, "member_warned", target_type="member", target_id=member.id, reason=text
    )


async def do_add_note(moderator: Member, member: Member, text: str) -> ModeratorNote:
    """Add a note about a member that only moderators can read."""
    require(moderator, Action.NOTE_MEMBER, member)
    text = text.strip()
    if not text:
        raise ValidationFailed({"note": "Enter the note."})
    if len(text) > NOTE_MAX:
        raise ValidationFailed(
            {"note": f"The note must be {NOTE_MAX} characters or fewer. Shorten it."}
        )

    async with in_transaction():
        note = await ModeratorNote.create(member_id=member.id, author_id=moderator.id, text=text)
        await do_audit(
            moderator,
            "note_added",
            target_type="member",
            target_id=member.id,
            after={"note_id": note.id, "length": len(text)},
        )
    return note


@dataclass
class MemberRecord:
    """A moderator's record of one member: notes and the audit entries about them."""

    member: Member
    notes: list[ModeratorNote]
    history: list[AuditEntry]


async def get_member_record(moderator: Member, member: Member) -> MemberRecord:
    require(moderator, Action.NOTE_MEMBER, member)
    notes = (
        await ModeratorNote.filter(member_id=member.id)
        .order_by("-created_at", "-id")
        .select_related("author")
    )
    history = await (
        AuditEntry.filter(target_type="member", target_id=member.id)
        .order_by("-created_at", "-id")
        .limit(HISTORY_ROWS)
        .select_related("actor")
    )
    return MemberRecord(member=member, notes=notes, history=history)


# New members from organisations not yet approved --------------------------------------


async def list_pending_members(moderator: Member) -> list[Member]:
    """List members waiting for approval whose organisation is unknown or not approved,
    oldest first."""
    require(moderator, Action.APPROVE_MEMBER)
    return await (
        Member.filter(state=MemberState.PENDING, is_imported=False)
        .filter(Q(organisation_id__isnull=True) | Q(organisation__approved=False))
        .order_by("created_at", "id")
        .limit(PENDING_PER_PAGE)
        .select_related("organisation", "role")
    )


async def do_approve_member(
    moderator: Member, member: Member, *, reason: str = "", approve_organisation: bool = False
) -> Member:
    """Let a pending member take part, and optionally approve their organisation too, so
    later members from it skip this queue."""
    require(moderator, Action.APPROVE_MEMBER, member)
    async with in_transaction():
        updated = await Member.filter(id=member.id, state=MemberState.PENDING).update(
            state=MemberState.ACTIVE
        )
        if not updated:
            raise Conflict("This member has already been approved or rejected.")
        organisation_approved = False
        if approve_organisation and member.organisation_id is not None:
            organisation_approved = bool(
                await Organisation.filter(id=member.organisation_id, approved=False).update(
                    approved=True
                )
            )
        await do_audit(
            moderator,
            "member_approved",
            target_type="member",
            target_id=member.id,
            reason=reason,
            before={"state": MemberState.PENDING},
            after={"state": MemberState.ACTIVE, "organisation_approved": organisation_approved},
        )
        if organisation_approved:
            await do_audit(
                moderator,
                "organisation_approved",
                target_type="organisation",
                target_id=member.organisation_id,
                reason=reason,
                before={"approved": False},
                after={"approved": True},
            )
        await do_notify(
            member.id,
            ModerationNotice.MEMBERSHIP_APPROVED,
            actor_id=moderator.id,
            text="Your membership has been approved. Welcome: you can now post and reply.",
        )
    member.state = MemberState.ACTIVE
    return member


async def do_reject_member(moderator: Member, member: Member, *, reason: str) -> Member:
    """Turn down a pending member and end their sessions. They can still read threads."""
    require(moderator, Action.APPROVE_MEMBER, member)
    async with in_transaction():
        updated = await Member.filter(id=member.id, state=MemberState.PENDING).update(
            state=MemberState.REJECTED
        )
        if not updated:
            raise Conflict("This member has already been approved or rejected.")
        sessions = await do_revoke_all_sessions(member.id)
        await do_audit(
            moderator,
            "member_rejected",
            target_type="member",
            target_id=member.id,
            reason=reason,
            before={"state": MemberState.PENDING},
            after={"state": MemberState.REJECTED, "sessions_ended": sessions},
        )
    member.state = MemberState.REJECTED
    return member
