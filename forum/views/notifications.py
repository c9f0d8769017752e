"""The notifications page and the unread count in the header."""

from quart import Blueprint, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import NotFound
from forum.services import notifications

blueprint = Blueprint("notifications", __name__)


@blueprint.app_context_processor
async def unread_notification_count():
    """Offer templates a function for the unread count, so only pages that show it query."""

    async def count() -> int:
        return await notifications.count_unread(g.get("member"))

    return {"unread_notification_count": count}


@blueprint.get("/notifications")
async def list_notifications():
    """List the member's notifications, newest first."""
    require(g.member, Action.VIEW_NOTIFICATIONS)
    page = await notifications.list_notifications(g.member, request.args.get("after"))
    return await render_template("notifications/list.html", page=page)


@blueprint.get("/notifications/<int:notification_id>")
async def open_notification(notification_id: int):
    """Mark a notification read and go to what it is about."""
    require(g.member, Action.VIEW_NOTIFICATIONS)
    notification = await notifications.do_mark_read(g.member, notification_id)
    if notification is None:
        raise NotFound()
    return redirect(_target_url(notification))


@blueprint.post("/notifications/<int:notification_id>/read")
async def mark_read(notification_id: int):
    """Mark one notification read without opening it."""
    if await notifications.do_mark_read(g.member, notification_id) is None:
        raise NotFound()
    return redirect(url_for("notifications.list_notifications"), 303)


@blueprint.post("/notifications/read")
async def mark_all_read():
    """Mark every notification read."""
    await notifications.do_mark_all_read(g.member)
    return redirect(url_for("notifications.list_notifications"), 303)


def _target_url(notification) -> str:
    """Return where a notification leads: its post, its thread, a ``data["url"]`` path, or the list."""
    if notification.post_id is not None:
        return url_for("qa.show_post", post_id=notification.post_id)
    if notification.thread_id is not None:
        return url_for("threads.show_thread", thread_id=notification.thread_id)
    path = (notification.data or {}).get("url", "")
    # "//host" and "/\\host" would leave the site, so only a plain path is followed.
    if isinstance(path, str) and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return url_for("notifications.list_notifications")
