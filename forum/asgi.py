"""ASGI entry point for hypercorn's multi-worker runner: ``forum.asgi:app``."""

from forum.app import create_app
from forum.config import Settings
from forum.logging_setup import configure_logging

_settings = Settings.from_env()
configure_logging(_settings.is_production)
app = create_app(_settings)
