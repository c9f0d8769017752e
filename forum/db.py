"""Tortoise ORM configuration and database start-up."""

import logging

from tortoise import Tortoise

logger = logging.getLogger(__name__)

MODEL_MODULES = ["models"]


def tortoise_config(database_url: str) -> dict:
    """Build the Tortoise configuration for one database URL."""
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_database(database_url: str) -> None:
    """Open the connection pool for the app; migrations are applied separately.

    Hypercorn runs start-up in a task of its own, so the Tortoise context is made the
    global fallback for the request tasks that follow.
    """
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    logger.info("database connected", extra={"database": _describe(database_url)})


async def close_database() -> None:
    await Tortoise.close_connections()
    logger.info("database closed")


async def apply_migrations(database_url: str) -> None:
    """Apply every pending migration; a new database gets the schema and the taxonomy."""
    from tortoise.migrations.api import migrate

    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


def _describe(database_url: str) -> str:
    """Name the database without its password, for logs."""
    scheme, _, rest = database_url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
