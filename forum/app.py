"""The Quart application factory."""

import logging
import secrets
import time
from pathlib import Path

from quart import Quart, Response, g, jsonify, render_template, request, send_from_directory
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from forum.assets import load_manifest
from forum.auth import csrf
from forum.auth.policy import can
from forum.auth.sessions import SESSION_COOKIE, get_session_member
from forum.config import PROJECT_ROOT, ConfigError, Settings, check_production
from forum.db import close_database, init_database
from forum.errors import (
    CsrfFailed,
    ForumError,
    SignInRequired,
    TooManyRequests,
    ValidationFailed,
)
from forum.logging_setup import request_id_var
from forum.services import email

logger = logging.getLogger(__name__)

STATIC_DIST = PROJECT_ROOT / "static" / "dist"

# No inline scripts or styles anywhere, so the policy can be strict.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


class DatabaseIdConverter(IntegerConverter):
    """An ``int`` URL converter that matches only values a 32-bit id column can hold."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(settings: Settings | None = None) -> Quart:
    """Build the app, raising ConfigError that lists every unsafe setting in production."""
    settings = settings or Settings.from_env()
    problems = check_production(settings)
    if problems:
        raise ConfigError("\n".join(problems))

    app = Quart(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=None,
    )
    app.config["FORUM"] = settings
    email.configure(settings)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    # Ids are 32-bit database integers, so a longer number in a URL is simply not found
    # rather than an overflow inside the database driver.
    app.url_map.converters["int"] = DatabaseIdConverter
    _register_lifecycle(app, settings)
    _register_request_hooks(app, settings)
    _register_error_handlers(app)
    _register_template_globals(app, settings)
    _register_blueprints(app)
    # After the blueprints, so the limiter can find each rate-limited endpoint.
    from forum.services.rate_limits import init_rate_limits

    init_rate_limits(app)
    return app


def _register_lifecycle(app: Quart, settings: Settings) -> None:
    @app.before_serving
    async def start() -> None:
        await init_database(settings.database_url)
        logger.info("forum started", extra={"env": settings.env})

    @app.after_serving
    async def stop() -> None:
        await close_database()
        logger.info("forum stopped")

    @app.route("/static/dist/<path:filename>")
    async def static_dist(filename: str) -> Response:
        response = await send_from_directory(STATIC_DIST, filename)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _content_security_policy(settings: Settings) -> str:
    """Return the policy, with the identity providers added to form-action.

    The sign-in buttons and the sign-out form redirect to a provider, and browsers check
    form-action on those redirects too.
    """
    from forum.auth.providers import form_action_origins

    origins = form_action_origins(settings.oidc_providers)
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


def _register_request_hooks(app: Quart, settings: Settings) -> None:
    content_security_policy = _content_security_policy(settings)

    @app.before_request
    async def load_member_and_check_csrf() -> None:
        request_id_var.set(request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8))
        g.started = time.perf_counter()
        g.session, g.member = None, None
        if request.path.startswith("/static/"):
            return

        g.session, g.member = await get_session_member(
            request.cookies.get(SESSION_COOKIE), secret_key=settings.secret_key
        )
        g.csrf_cookie = request.cookies.get(csrf.CSRF_COOKIE) or ""
        g.new_csrf_cookie = not g.csrf_cookie
        if g.new_csrf_cookie:
            g.csrf_cookie = csrf.new_cookie_value()

        # One-click unsubscribe (RFC 8058) is posted by mail clients, which have no CSRF
        # cookie or token. The signed, member-specific token in its URL is the protection,
        # because a forger cannot make one, and the POST only turns email off.
        is_unsubscribe = request.endpoint == "email_preferences.unsubscribe"
        if request.method in csrf.UNSAFE_METHODS and not is_unsubscribe:
            form = await request.form
            token = form.get(csrf.CSRF_FIELD) or request.headers.get(csrf.CSRF_HEADER)
            session_id = g.session.id if g.session else None
            if g.new_csrf_cookie or not csrf.is_valid_token(
                settings.secret_key, g.csrf_cookie, session_id, token
            ):
                logger.warning("csrf check failed", extra={"path": request.path})
                raise CsrfFailed()

    @app.after_request
    async def set_cookies_and_headers(response: Response) -> Response:
        if getattr(g, "new_csrf_cookie", False):
            response.set_cookie(
                csrf.CSRF_COOKIE,
                g.csrf_cookie,
                httponly=True,
                samesite="Lax",
                secure=settings.secure_cookies,
            )
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if settings.secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if getattr(g, "member", None) is not None:
            headers.setdefault("Cache-Control", "private, no-store")
        else:
            await _revalidate_anonymous_page(response)
        headers["X-Request-Id"] = request_id_var.get()
        return response


async def _revalidate_anonymous_page(response: Response) -> None:
    """Give a visitor's HTML page an ETag, and return 304 when the browser's copy matches.

    The ETag hashes the page itself, so any change (a new post, an edit, a moderator
    hiding a post) changes it. There is no Last-Modified, because no single timestamp
    covers everything a page shows. Pages carry the visitor's own CSRF token, so only the
    browser may keep them ("private"), and it must ask again each time ("no-cache").
    """
    if request.method != "GET" or response.status_code != 200 or response.mimetype != "text/html":
        return
    response.headers.setdefault("Cache-Control", "private, no-cache")
    await response.add_etag()
    await response.make_conditional(request)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_error_handlers(app: Quart) -> None:
    @app.errorhandler(ForumError)
    async def forum_error(error: ForumError):
        if isinstance(error, SignInRequired) and not _wants_json():
            from quart import redirect, url_for

            return redirect(url_for("account.sign_in", next=request.full_path.rstrip("?")))
        body = {"error": error.code, "message": error.message}
        if isinstance(error, ValidationFailed):
            body["errors"] = error.errors
        headers = {}
        if isinstance(error, TooManyRequests):
            headers["Retry-After"] = str(error.retry_after)
        if _wants_json():
            return jsonify(body), error.status, headers
        page = await render_template("error.html", error=error, status=error.status)
        return page, error.status, headers

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException):
        messages = {
            404: "We could not find that page. Check the address, or go back to the home page.",
            405: "That page does not accept this kind of request.",
            413: "What you sent is too large. Shorten it and try again.",
        }
        message = messages.get(error.code, "Something about that request was not right.")
        if _wants_json():
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": message}), error.code
        page_error = ForumError(message)
        return await render_template("error.html", error=page_error, status=error.code), error.code

    @app.errorhandler(Exception)
    async def unexpected_error(error: Exception):
        logger.exception("unhandled error", extra={"path": request.path})
        message = "Something went wrong on our side. Try again in a moment."
        if _wants_json():
            return jsonify({"error": "internal_error", "message": message}), 500
        try:
            return await render_template("error.html", error=ForumError(message), status=500), 500
        except Exception:
            # The template itself may be the failure, and a plain page is still better than none.
            return Response(message, status=500, content_type="text/plain; charset=utf-8")


def _register_template_globals(app: Quart, settings: Settings) -> None:
    manifest = {"value": None}

    def asset_url(name: str) -> str:
        if manifest["value"] is None:
            manifest["value"] = load_manifest(STATIC_DIST)
        return manifest["value"].url(name)

    def csrf_token() -> str:
        session_id = g.session.id if getattr(g, "session", None) else None
        return csrf.make_token(settings.secret_key, getattr(g, "csrf_cookie", ""), session_id)

    app.jinja_env.globals.update(
        asset_url=asset_url,
        csrf_token=csrf_token,
        can=lambda action, obj=None: can(g.get("member"), action, obj),
        site_name=settings.site_name,
        settings=settings,
    )


def _register_blueprints(app: Quart) -> None:
    from forum.views import account, health, threads

    app.register_blueprint(threads.blueprint)
    app.register_blueprint(account.blueprint)
    app.register_blueprint(health.blueprint)
    from forum.views import notifications, qa

    app.register_blueprint(qa.blueprint)
    app.register_blueprint(notifications.blueprint)
    from forum.views import live, search

    app.register_blueprint(search.blueprint)
    app.register_blueprint(live.blueprint)
    from forum.views import moderation

    app.register_blueprint(moderation.blueprint)
    from forum.views import mentoring

    app.register_blueprint(mentoring.blueprint)
    from forum.views import cpd, endorsements

    app.register_blueprint(endorsements.blueprint)
    app.register_blueprint(cpd.blueprint)
    app.register_blueprint(cpd.public_blueprint)
    from forum.views import learning

    app.register_blueprint(learning.blueprint)
    from forum.views import email_preferences

    app.register_blueprint(email_preferences.blueprint)
