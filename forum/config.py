"""Settings read from ``FORUM_*`` environment variables.

Every setting has a default that suits a laptop running ``make run``. In production,
:func:`check_production` lists each missing or unsafe setting so start-up can refuse
with one line per problem.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite://{PROJECT_ROOT / 'var' / 'forum.sqlite3'}"
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


class ConfigError(Exception):
    """Raised when the settings cannot run the forum. The message lists every problem."""


def _read_bool(environ: dict[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default

    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


def _read_int(environ: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default

    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}.")
    return value


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEVELOPMENT_SECRET_KEY
    redis_url: str | None = None
    # Start of every Redis channel and key the live updates use, so that several forums
    # (or test runs) can share one Redis server.
    redis_prefix: str = "forum"
    dev_sign_in: bool = True
    # Longest post body accepted, in characters of markdown.
    max_post_length: int = 20000
    # Days a browser session lasts without signing in again.
    session_days: int = 14
    # Minutes without a request after which a session ends.
    session_idle_minutes: int = 480
    # OpenID providers members sign in with (forum.auth.providers.ProviderConfig).
    oidc_providers: tuple = ()
    site_name: str = "Children's Services Data Forum"
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    # Outgoing mail. With no SMTP host the worker holds queued mail instead of sending it.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "forum@localhost"
    # PEM private key (EC P-256) that signs Open Badges credentials. Outside production an
    # empty value means a development key generated into var/.
    signing_key: str = ""
    # Seconds a page rendered for a visitor who is not signed in may be served again
    # (forum.services.page_cache); 0 turns the cache off. Any change clears it sooner.
    page_cache_seconds: int = 30
    # Most characters of kept pages held in memory by one worker process.
    page_cache_chars: int = 8_000_000
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Build settings from the environment, raising ConfigError on an unreadable value."""
        environ = dict(os.environ if environ is None else environ)
        env = environ.get("FORUM_ENV", "development").strip().lower() or "development"
        if env not in {"development", "production", "test"}:
            raise ConfigError(f"FORUM_ENV must be development, test or production, not {env!r}.")

        is_production = env == "production"
        secret_key = environ.get("FORUM_SECRET_KEY", "")
        if not secret_key and not is_production:
            secret_key = DEVELOPMENT_SECRET_KEY

        return cls(
            env=env,
            database_url=normalise_database_url(
                environ.get("FORUM_DATABASE_URL") or DEFAULT_DATABASE_URL
            ),
            secret_key=secret_key,
            redis_url=environ.get("FORUM_REDIS_URL") or None,
            redis_prefix=environ.get("FORUM_REDIS_PREFIX", "").strip() or "forum",
            dev_sign_in=_read_bool(environ, "FORUM_DEV_SIGN_IN", not is_production),
            max_post_length=_read_int(environ, "FORUM_MAX_POST_LENGTH", 20000, 100),
            session_days=_read_int(environ, "FORUM_SESSION_DAYS", 14, 1),
            session_idle_minutes=_read_int(environ, "FORUM_SESSION_IDLE_MINUTES", 480, 5),
            oidc_providers=_read_oidc_providers(environ, is_production),
            base_url=environ.get("FORUM_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            secure_cookies=_read_bool(environ, "FORUM_SECURE_COOKIES", is_production),
            smtp_host=environ.get("FORUM_SMTP_HOST", "").strip(),
            smtp_port=_read_int(environ, "FORUM_SMTP_PORT", 587, 1),
            smtp_username=environ.get("FORUM_SMTP_USERNAME", ""),
            smtp_password=environ.get("FORUM_SMTP_PASSWORD", ""),
            smtp_starttls=_read_bool(environ, "FORUM_SMTP_STARTTLS", True),
            mail_from=environ.get("FORUM_MAIL_FROM", "").strip() or "forum@localhost",
            signing_key=environ.get("FORUM_SIGNING_KEY", "").replace("\\n", "\n").strip(),
            page_cache_seconds=_read_int(environ, "FORUM_PAGE_CACHE_SECONDS", 30, 0),
            page_cache_chars=_read_int(environ, "FORUM_PAGE_CACHE_CHARS", 8_000_000, 0),
        )


def _read_oidc_providers(environ: dict[str, str], is_production: bool) -> tuple:
    # Imported here because the providers module imports ConfigError from this one.
    from forum.auth.providers import load_providers

    return load_providers(environ, production=is_production)


def normalise_database_url(url: str) -> str:
    """Map ``postgresql://`` to the ``postgres://`` scheme that Tortoise expects."""
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


def check_production(settings: Settings) -> list[str]:
    """Return one line per missing or unsafe setting. An empty list means safe to start."""
    if not settings.is_production:
        return []

    problems = []
    if not settings.secret_key:
        problems.append("FORUM_SECRET_KEY is missing: set it to a long random value.")
    elif settings.secret_key == DEVELOPMENT_SECRET_KEY or len(settings.secret_key) < 32:
        problems.append(
            "FORUM_SECRET_KEY is unsafe: use at least 32 random characters, "
            f"for example {secrets.token_urlsafe(32)!r}."
        )
    if settings.dev_sign_in:
        problems.append(
            "FORUM_DEV_SIGN_IN is enabled: development sign-in must be off in production."
        )
    if not settings.secure_cookies:
        problems.append(
            "FORUM_SECURE_COOKIES is off: production cookies must be sent over HTTPS only."
        )
    if not settings.base_url.startswith("https://"):
        problems.append("FORUM_BASE_URL must start with https:// in production.")
    if not settings.signing_key:
        problems.append(
            "FORUM_SIGNING_KEY is missing: set it to a PEM EC P-256 private key, which signs credentials."
        )
    return problems
