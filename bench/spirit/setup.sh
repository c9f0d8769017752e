#!/usr/bin/env bash
# Install django-spirit into its own virtual environment and create a Spirit project for
# the benchmark, with production settings on SQLite. Safe to run again: it keeps an
# existing virtual environment and seeded database, and only rewrites the settings.
#
# Usage: bash bench/spirit/setup.sh            (from the repository root)
# Env:   SPIRIT_HOME (default bench/.spirit), SPIRIT_PYTHON (default python3)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SPIRIT_HOME=${SPIRIT_HOME:-$ROOT/bench/.spirit}
SPIRIT_PYTHON=${SPIRIT_PYTHON:-python3}
SPIRIT_VERSION=0.14.3
GUNICORN_VERSION=23.0.0

mkdir -p "$SPIRIT_HOME"
cd "$SPIRIT_HOME"
if [ ! -x venv/bin/python ]; then
  "$SPIRIT_PYTHON" -m venv venv
  venv/bin/pip install --quiet --upgrade pip
fi
venv/bin/pip install --quiet "django-spirit==$SPIRIT_VERSION" "gunicorn==$GUNICORN_VERSION"

if [ ! -f site/manage.py ]; then
  rm -rf site
  mkdir site
  PATH="$SPIRIT_HOME/venv/bin:$PATH" spirit startproject peerforum --path site
fi

# Settings for the benchmark: Spirit's production settings, with SQLite, loopback hosts, a
# process-local cache (one worker) and no rate limit, so the reply path measures writing
# rather than the limiter. SPIRIT_BENCH_DB points the server at a working copy.
cat > site/peerforum/settings/bench.py <<'PY'
import os

from .prod import *  # noqa: F403

DEBUG = False
SECRET_KEY = "spirit-benchmark-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ST_SITE_URL = "http://127.0.0.1:8300/"
ST_RATELIMIT_ENABLE = False

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SPIRIT_BENCH_DB", os.path.join(BASE_DIR, "db.sqlite3")),  # noqa: F405
    }
}
HAYSTACK_CONNECTIONS["default"]["PATH"] = os.path.join(BASE_DIR, "st_search")  # noqa: F405
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "st_rate_limit": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "spirit_rl_cache",
        "TIMEOUT": None,
    },
}
# Every seeded user shares one cheap hash, so seeding 2,000 users takes no time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
PY

cd site
export DJANGO_SETTINGS_MODULE=peerforum.settings.bench
if [ ! -f db.sqlite3 ]; then
  ../venv/bin/python manage.py migrate --noinput --verbosity 0
fi
../venv/bin/python manage.py collectstatic --noinput --verbosity 0
"$SPIRIT_HOME/venv/bin/pip" freeze > "$SPIRIT_HOME/pip-freeze.txt"
echo "Spirit project ready in $SPIRIT_HOME/site"
