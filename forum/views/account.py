"""Signing in and out. Development sign-in exists only when enabled, never in production."""

import logging
from urllib.parse import urlsplit

from quart import Blueprint, current_app, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.auth.sessions import SESSION_COOKIE, do_revoke_session, do_start_session
from forum.errors import NotFound, ValidationFailed
from forum.services import members

blueprint = Blueprint("account", __name__)
logger = logging.getLogger(__name__)


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, otherwise the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@blueprint.get("/sign-in")
async def sign_in():
    """Show the ways to sign in."""
    settings = current_app.config["FORUM"]
    return await render_template(
        "account/sign_in.html", next=safe_next(request.args.get("next")), dev_sign_in=settings.dev_sign_in
    )


@blueprint.route("/dev/sign-in", methods=["GET", "POST"])
async def dev_sign_in():
    """List the demo members and sign in as one (development only)."""
    settings = current_app.config["FORUM"]
    if not settings.dev_sign_in or settings.is_production:
        raise NotFound()

    next_url = safe_next(request.args.get("next"))
    if request.method == "POST":
        form = await request.form
        next_url = safe_next(form.get("next"))
        member = await members.get_member_for_dev_sign_in(form.get("handle", ""))
        if member is None:
            raise ValidationFailed({"handle": "Choose a member from the list."})
        if g.session is not None:
            await do_revoke_session(g.session)
        cookie, _ = await do_start_session(
            member,
            secret_key=settings.secret_key,
            days=settings.session_days,
            user_agent=request.headers.get("User-Agent", ""),
        )
        response = redirect(next_url, 303)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=settings.session_days * 86400,
            httponly=True,
            samesite="Lax",
            secure=settings.secure_cookies,
        )
        return response

    return await render_template(
        "account/dev_sign_in.html", members=await members.list_dev_sign_in_members(), next=next_url
    )


@blueprint.post("/sign-out")
async def sign_out():
    """End this browser's session."""
    require(g.member, Action.SIGN_OUT)
    await do_revoke_session(g.session)
    response = redirect(url_for("threads.home"), 303)
    response.delete_cookie(SESSION_COOKIE)
    return response
