"""Configuration for Tortoise's own command line, used to write new migrations:

    .venv/bin/tortoise -c forum.tortoise_cli.TORTOISE_ORM makemigrations -n what_changed
"""

from forum.config import Settings
from forum.db import tortoise_config

TORTOISE_ORM = tortoise_config(Settings.from_env().database_url)
