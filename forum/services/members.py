"""Members: look-ups for sign-in and changes to site permission."""

import logging

from tortoise.transactions import in_transaction

from forum.auth.policy import RANK
from forum.errors import NotFound, ValidationFailed
from forum.services.audit import do_audit
from models import Member, MemberPermission, MemberState

logger = logging.getLogger(__name__)


async def list_dev_sign_in_members() -> list[Member]:
    """Members a developer may sign in as: everyone active who is not an imported placeholder."""
    return await (
        Member.filter(is_imported=False, state=MemberState.ACTIVE)
        .select_related("organisation", "role")
        .order_by("-permission", "display_name")
    )


async def get_member_for_dev_sign_in(handle: str) -> Member | None:
    return await Member.filter(handle=handle, is_imported=False, state=MemberState.ACTIVE).first()


async def do_promote(email_or_handle: str, permission: str) -> Member:
    """Set a member's site permission, for the ``forum promote`` command.

    :raises NotFound: when no member has that email address or handle.
    :raises ValidationFailed: when the permission is not one the site knows.
    """
    if permission not in {p.value for p in MemberPermission}:
        choices = ", ".join(p.value for p in sorted(MemberPermission, key=RANK.get))
        raise ValidationFailed({"role": f"Choose one of: {choices}."})

    member = await Member.filter(email=email_or_handle.strip().lower()).first()
    member = member or await Member.filter(handle=email_or_handle.strip()).first()
    if member is None:
        raise NotFound(f"No member has the email address or handle {email_or_handle!r}.")

    async with in_transaction():
        await Member.filter(id=member.id).update(permission=permission)
        # The command line has no signed-in member, so the entry's actor is empty.
        await do_audit(
            None, "member_promoted", target_type="member", target_id=member.id,
            before={"permission": member.permission}, after={"permission": permission},
        )
    logger.info("member promoted", extra={"member_id": member.id, "permission": permission})
    member.permission = MemberPermission(permission)
    return member
