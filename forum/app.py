"""The Quart application factory."""

import logging
import secrets
import time

from quart import (
    Quart,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
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
from forum.services import email, page_cache

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
    app.extensions["page_cache"] = page_cache.PageCache(
        max_age=settings.page_cache_seconds, max_chars=settings.page_cache_chars
    )
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


# POST endpoints that change nothing, so they leave the kept pages alone (the live
# preview is posted as a member types).
READ_ONLY_POSTS = frozenset({"threads.preview", "qa.suggest_mentions", "credentials.verify"})


def _register_request_hooks(app: Quart, settings: Settings) -> None:
    content_security_policy = _content_security_policy(settings)
    kept_pages: page_cache.PageCache = app.extensions["page_cache"]

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
            g.changes_state = request.endpoint not in READ_ONLY_POSTS
        return await _serve_kept_page(kept_pages, settings)

    @app.after_request
    async def set_cookies_and_headers(response: Response) -> Response:
        await _keep_page(kept_pages, settings, response)
        if getattr(g, "changes_state", False):
            # After the view's transaction has committed, so no page rendered from the old
            # data can be kept under the new generation.
            try:
                await page_cache.bump_generation(request.endpoint or request.path)
            except Exception:
                logger.exception("could not raise the page generation", extra={"path": request.path})
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


def _visitor_token(settings: Settings) -> str:
    return csrf.make_token(settings.secret_key, g.csrf_cookie, None)


async def _serve_kept_page(kept_pages: page_cache.PageCache, settings: Settings) -> Response | None:
    """Return a visitor's kept page, or None after arranging for this page to be kept.

    Returning None lets the view run. When the page may be kept, the view renders it with
    a placeholder for the CSRF token, and ``_keep_page`` stores it and puts the token in.
    """
    g.kept_page, g.keep_as = None, None
    if (
        g.member is not None
        or request.method != "GET"
        or not kept_pages.enabled
        or request.headers.get("HX-Request")
        or not page_cache.is_kept_view(current_app.view_functions.get(request.endpoint))
    ):
        return None
    generation = await page_cache.current_generation()
    key = request.full_path
    kept = kept_pages.get(key, generation)
    if kept is None:
        g.keep_as = (key, generation)
        g.csrf_placeholder = True
        return None
    g.kept_page = kept
    return Response(kept.body_for(_visitor_token(settings)), content_type=kept.content_type)


async def _keep_page(kept_pages: page_cache.PageCache, settings: Settings, response: Response) -> None:
    """Store a page rendered with the token placeholder, and give this visitor their token."""
    if not getattr(g, "csrf_placeholder", False) or response.mimetype != "text/html":
        return
    body = await response.get_data(as_text=True)
    if g.keep_as is not None and response.status_code == 200 and "Set-Cookie" not in response.headers:
        key, generation = g.keep_as
        g.kept_page = kept_pages.put(key, generation, body, response.content_type)
    response.set_data(body.replace(page_cache.TOKEN_PLACEHOLDER, _visitor_token(settings)))


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
    kept = getattr(g, "kept_page", None)
    if kept is not None:
        # The kept page's hash is already known, so only the visitor's token is hashed.
        response.set_etag(kept.etag_for(getattr(g, "csrf_cookie", "")))
    else:
        await response.add_etag()
    await response.make_conditional(request)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_error_handlers(app: Quart) -> None:
    @app.errorhandler(ForumError)
    async def forum_error(error: ForumError):
        if isinstance(error, SignInRequired) and not _wants_json():
            from quart import redirect

            from forum.views.account import sign_in_url

            return redirect(sign_in_url())
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
        if g.get("csrf_placeholder"):
            return page_cache.TOKEN_PLACEHOLDER
        session_id = g.session.id if getattr(g, "session", None) else None
        key = (getattr(g, "csrf_cookie", ""), session_id)
        # A thread page needs the token once per post, and it changes only with the cookie
        # or the session.
        made = g.get("csrf_token_made")
        if made is None or made[0] != key:
            made = g.csrf_token_made = (key, csrf.make_token(settings.secret_key, key[0], session_id))
        return made[1]

    id_url_parts: dict[tuple[str, str], tuple[str, str]] = {}

    def id_url(endpoint: str, **value: int) -> str:
        """Build the address of a route whose one variable is an integer id, like url_for.

        A thread page builds several addresses for each of its 50 posts, and url_for takes
        about 9 µs each. This builds the route once with a marker id and then only joins
        strings.
        """
        ((name, number),) = value.items()
        parts = id_url_parts.get((endpoint, name))
        if parts is None:
            marker = 2147483647
            built = url_for(endpoint, **{name: marker})
            if built.count(str(marker)) != 1:
                return url_for(endpoint, **value)
            parts = id_url_parts[(endpoint, name)] = tuple(built.split(str(marker)))
        return f"{parts[0]}{int(number)}{parts[1]}"

    app.jinja_env.globals.update(
        id_url=id_url,
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
