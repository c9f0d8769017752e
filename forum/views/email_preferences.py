"""Notification preferences, one-click unsubscribe from email, and watch controls."""

from quart import Blueprint, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import NotFound, ValidationFailed
from forum.services import preferences, watches
from models import Delivery, DigestFrequency, WatchLevel, WatchTarget

blueprint = Blueprint("email_preferences", __name__)

# The only endpoint that takes a POST without a CSRF token (see forum/app.py).
UNSUBSCRIBE_ENDPOINT = "email_preferences.unsubscribe"


@blueprint.app_context_processor
async def watch_level_function():
    """Offer templates the member's watch level, so only pages with watch controls query."""

    async def watch_level(target_type: str, target_id: int) -> str:
        return await watches.get_watch_level(g.get("member"), target_type, target_id)

    return {"watch_level": watch_level}


@blueprint.route("/account/notifications", methods=["GET", "POST"])
async def edit_preferences():
    """Show and save how each kind of notification reaches the member."""
    require(g.member, Action.MANAGE_NOTIFICATION_PREFERENCES)
    errors = {}
    saved = request.args.get("saved") == "1"
    if request.method == "POST":
        form = await request.form
        try:
            await preferences.do_save_preferences(g.member, form.to_dict())
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("email_preferences.edit_preferences", saved=1), 303)

    rows, frequency = await preferences.list_preferences(g.member)
    return await render_template(
        "email_preferences/preferences.html",
        rows=rows,
        frequency=frequency,
        errors=errors,
        saved=saved,
        delivery_labels=preferences.DELIVERY_LABELS,
        frequency_labels=preferences.FREQUENCY_LABELS,
        deliveries=list(Delivery),
        frequencies=list(DigestFrequency),
    ), (422 if errors else 200)


@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
async def unsubscribe(token: str):
    """Unsubscribe from one kind of email with the signed link from that email.

    GET only shows a confirmation button, because mail scanners follow links. POST
    unsubscribes, including the one-click POST a mail client sends (RFC 8058), with no
    sign-in and no CSRF token: the signed token in the URL is the proof.
    """
    found = await preferences.access_unsubscribe(token)
    if found is None:
        raise NotFound()
    member, kind = found
    description = preferences.describe_unsubscribe(kind)
    done = False
    if request.method == "POST":
        await preferences.do_unsubscribe(member, kind)
        done = True
    return await render_template(
        "email_preferences/unsubscribe.html", token=token, description=description, done=done
    )


@blueprint.post("/watch/<target_type>/<int:target_id>")
async def set_watch_level(target_type: str, target_id: int):
    """Set the member's watch level for a thread, skill area or role, then go back."""
    require(g.member, Action.SET_WATCH_LEVEL)
    if target_type not in set(WatchTarget):
        raise NotFound()
    form = await request.form
    await watches.do_set_watch_level(
        g.member, target_type, target_id, form.get("level", WatchLevel.NORMAL)
    )
    back = form.get("next", "")
    if not back.startswith("/") or back.startswith(("//", "/\\")):
        back = url_for("email_preferences.edit_preferences")
    return redirect(back, 303)
