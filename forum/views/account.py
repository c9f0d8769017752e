"""Signing in and out, the account page, and linking identities.

Members sign in through the OpenID providers in configuration. The development sign-in
exists only when enabled, never in production.
"""

import logging
import posixpath
from urllib.parse import parse_qs, unquote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from quart import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from forum.auth import flow
from forum.auth.oidc import OidcClient, OidcRegistry, SignInFailed
from forum.auth.pending import PENDING_LIFETIME, SIGN_IN_COOKIE, new_browser_key, read_browser_key
from forum.auth.policy import Action, require
from forum.auth.sessions import (
    SESSION_COOKIE,
    do_revoke_all_sessions,
    do_revoke_session,
    do_start_session,
)
from forum.config import Settings
from forum.errors import NotFound, SignInRequired, ValidationFailed
from forum.services import accounts, members
from models import Member, MemberState

blueprint = Blueprint("account", __name__)
logger = logging.getLogger(__name__)

REGISTRY_KEY = "forum_oidc"
# How long the link on the waiting page shows the member's name and organisation.
WAITING_TICKET_MAX_AGE_SECONDS = 3600
MAX_NEXT_LENGTH = 500
# Pages that start or end a sign-in. A sign-in never returns to one, so that signing in
# from the sign-in page itself does not wrap one next= inside another.
SIGN_IN_PAGE_PATHS = (
    "/sign-in",
    "/dev/sign-in",
    "/sign-out",
    "/signed-out",
    "/account/sign-out-everywhere",
)
# How many next= wrapped inside sign-in page addresses safe_next unwraps.
MAX_NEXT_NESTING = 5


@blueprint.record_once
def _create_registry(state) -> None:
    settings: Settings = state.app.config["FORUM"]
    state.app.extensions[REGISTRY_KEY] = OidcRegistry(settings.oidc_providers, settings.base_url)
    if settings.is_production and not settings.oidc_providers:
        logger.warning("no OpenID provider is configured, so members cannot sign in: set FORUM_OIDC_PROVIDERS")


@blueprint.after_app_serving
async def _close_registry() -> None:
    await _registry().aclose()


def _registry() -> OidcRegistry:
    return current_app.extensions[REGISTRY_KEY]


def _settings() -> Settings:
    return current_app.config["FORUM"]


def _client(name: str) -> OidcClient:
    client = _registry().get(name)
    if client is None:
        raise NotFound()
    return client


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, otherwise the home page.

    Refused: anything not starting with one slash (``//host`` and schemes), backslashes,
    which browsers read as slashes, control characters, and over-long values. A sign-in
    or sign-out page is replaced by the page in its own ``next``, checked the same way.
    """
    for _ in range(MAX_NEXT_NESTING + 1):
        target = _local_path(target)
        parts = urlsplit(target)
        if not _is_sign_in_page(parts.path):
            return target
        target = parse_qs(parts.query).get("next", ["/"])[0]
    return "/"


def _is_sign_in_page(path: str) -> bool:
    # Routing decodes percent escapes, and browsers resolve dot segments before requesting.
    path = posixpath.normpath(unquote(path))
    return any(path == page or path.startswith(page + "/") for page in SIGN_IN_PAGE_PATHS)


@blueprint.app_template_global()
def sign_in_url() -> str:
    """Return the sign-in page's address, with ``next`` leading back to the current page.

    On a sign-in page, ``next`` is that page's own ``next``, so signing in from there
    does not nest one sign-in address inside another.
    """
    return url_for("account.sign_in", next=safe_next(request.full_path.rstrip("?")))


def _local_path(target: str | None) -> str:
    if not target or len(target) > MAX_NEXT_LENGTH:
        return "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    return target


def _set_session_cookie(response: Response, cookie: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


async def _start_session(member: Member, *, provider: str | None = None, id_token: str | None = None) -> str:
    """Revoke this browser's old session, if any, and start a new one; return the cookie value."""
    settings = _settings()
    if g.session is not None:
        await do_revoke_session(g.session)
    cookie, _ = await do_start_session(
        member,
        secret_key=settings.secret_key,
        days=settings.session_days,
        idle_minutes=settings.session_idle_minutes,
        user_agent=request.headers.get("User-Agent", ""),
        provider=provider,
        id_token_hint=id_token,
    )
    return cookie


def _waiting_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_settings().secret_key, salt="forum-waiting-for-approval")


# Signing in


@blueprint.get("/sign-in")
async def sign_in():
    """Show a button for each identity provider."""
    settings = _settings()
    return await render_template(
        "account/sign_in.html",
        next=safe_next(request.args.get("next")),
        providers=list(_registry()),
        dev_sign_in=settings.dev_sign_in and not settings.is_production,
    )


@blueprint.post("/sign-in/<provider>")
async def start_sign_in(provider: str):
    """Send the browser to the provider's sign-in page."""
    client = _client(provider)
    form = await request.form
    return await _redirect_to_provider(client, next_url=safe_next(form.get("next")), link_member=None)


async def _redirect_to_provider(client: OidcClient, *, next_url: str, link_member: Member | None):
    settings = _settings()
    browser_key = read_browser_key(request.cookies.get(SIGN_IN_COOKIE), settings.secret_key)
    cookie = None
    if browser_key is None:
        browser_key, cookie = new_browser_key(settings.secret_key)

    try:
        url = await flow.do_begin_sign_in(
            client, browser_key=browser_key, next_url=next_url, link_member=link_member
        )
    except SignInFailed as failure:
        return await _sign_in_failed(client, failure)

    response = redirect(url, 303)
    if cookie is not None:
        response.set_cookie(
            SIGN_IN_COOKIE,
            cookie,
            max_age=int(PENDING_LIFETIME.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=settings.secure_cookies,
        )
    return response


@blueprint.get("/sign-in/<provider>/callback")
async def finish_sign_in(provider: str):
    """Finish a sign-in or a link when the provider sends the browser back."""
    client = _client(provider)
    settings = _settings()
    browser_key = read_browser_key(request.cookies.get(SIGN_IN_COOKIE), settings.secret_key)
    try:
        finished = await flow.do_finish_sign_in(
            client, request.args, browser_key=browser_key, current_member=g.member
        )
    except SignInFailed as failure:
        return await _sign_in_failed(client, failure)
    except accounts.SignInRejected as rejection:
        logger.warning("sign-in rejected", extra={"provider": client.config.name, "reason": rejection.reason})
        return await render_template(
            "account/sign_in_problem.html", message=rejection.message, provider=client.label
        ), rejection.status

    if finished.linked:
        return redirect(url_for("account.show_account", linked=client.config.name), 303)

    member = finished.member
    if member.state == MemberState.PENDING:
        logger.info("sign-in waits for approval", extra={"provider": client.config.name, "member_id": member.id})
        if g.session is not None:
            await do_revoke_session(g.session)
        ticket = _waiting_serializer().dumps(member.id)
        response = redirect(url_for("account.waiting_for_approval", ticket=ticket), 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    cookie = await _start_session(member, provider=client.config.name, id_token=finished.id_token)
    logger.info("signed in", extra={"provider": client.config.name, "member_id": member.id})
    response = redirect(finished.next_url, 303)
    _set_session_cookie(response, cookie, settings)
    return response


async def _sign_in_failed(client: OidcClient, failure: SignInFailed):
    logger.warning("sign-in failed", extra={"provider": client.config.name, "reason": failure.reason})
    page = await render_template(
        "account/sign_in_problem.html", message=failure.message, provider=client.label
    )
    return page, failure.status


@blueprint.get("/sign-in/waiting")
async def waiting_for_approval():
    """Tell a member from an organisation the forum has not approved that they must wait."""
    member, organisation = None, None
    try:
        member_id = _waiting_serializer().loads(
            request.args.get("ticket", ""), max_age=WAITING_TICKET_MAX_AGE_SECONDS
        )
    except BadSignature:
        member_id = None
    if isinstance(member_id, int):
        try:
            member, organisation = await accounts.get_waiting_member(member_id)
        except NotFound:
            member = None
    return await render_template("account/waiting.html", member=member, organisation=organisation)


@blueprint.route("/dev/sign-in", methods=["GET", "POST"])
async def dev_sign_in():
    """List the demo members and sign in as one (development only)."""
    settings = _settings()
    if not settings.dev_sign_in or settings.is_production:
        raise NotFound()

    next_url = safe_next(request.args.get("next"))
    if request.method == "POST":
        form = await request.form
        next_url = safe_next(form.get("next"))
        member = await members.get_member_for_dev_sign_in(form.get("handle", ""))
        if member is None:
            raise ValidationFailed({"handle": "Choose a member from the list."})
        cookie = await _start_session(member)
        response = redirect(next_url, 303)
        _set_session_cookie(response, cookie, settings)
        return response

    return await render_template(
        "account/dev_sign_in.html", members=await members.list_dev_sign_in_members(), next=next_url
    )


# Signing out


@blueprint.post("/sign-out")
async def sign_out():
    """End this browser's session, and the provider's session when it offers that."""
    require(g.member, Action.SIGN_OUT)
    session = g.session
    await do_revoke_session(session)
    return await _signed_out_response(session, everywhere=False)


@blueprint.post("/account/sign-out-everywhere")
async def sign_out_everywhere():
    """End every session of the signed-in member, in every browser."""
    require(g.member, Action.MANAGE_OWN_ACCOUNT, g.member)
    session = g.session
    await do_revoke_all_sessions(g.member.id)
    return await _signed_out_response(session, everywhere=True)


async def _signed_out_response(session, *, everywhere: bool):
    settings = _settings()
    target = url_for("account.signed_out", everywhere="1" if everywhere else None)
    client = _registry().get(session.provider) if session.provider else None
    if client is not None:
        try:
            logout_url = await client.logout_url(
                id_token_hint=session.id_token_hint,
                post_logout_redirect_uri=f"{settings.base_url}{url_for('account.signed_out')}",
            )
        except SignInFailed as failure:
            logger.warning(
                "provider sign-out skipped", extra={"provider": client.config.name, "reason": failure.reason}
            )
            logout_url = None
        target = logout_url or target

    response = redirect(target, 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@blueprint.get("/signed-out")
async def signed_out():
    """Confirm that the member has signed out."""
    return await render_template(
        "account/signed_out.html", everywhere=request.args.get("everywhere") == "1"
    )


# The account page


@blueprint.get("/account")
async def show_account():
    """Show the member's details, linked identities and sessions."""
    if g.member is None:
        raise SignInRequired()
    page = await accounts.get_account_page(g.member)
    linked = _registry().get(request.args.get("linked", ""))
    return await render_template(
        "account/account.html",
        page=page,
        providers=list(_registry()),
        provider_labels={client.config.name: client.label for client in _registry()},
        current_session_id=g.session.id,
        linked=linked,
    )


@blueprint.post("/account/link/<provider>")
async def start_link(provider: str):
    """Send a signed-in member to another provider to link that account."""
    require(g.member, Action.MANAGE_OWN_ACCOUNT, g.member)
    client = _client(provider)
    return await _redirect_to_provider(client, next_url="/account", link_member=g.member)


@blueprint.post("/account/identities/<int:identity_id>/remove")
async def remove_identity(identity_id: int):
    """Remove one of the member's linked identities."""
    await accounts.do_unlink_identity(g.member, identity_id)
    return redirect(url_for("account.show_account"), 303)
