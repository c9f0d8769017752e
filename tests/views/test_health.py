"""The health check answers 503, not a stack trace, when the database is unreachable."""

from tortoise import Tortoise
from tortoise.context import TortoiseContext

from forum.app import create_app
from forum.config import Settings
from tests.factories import SECRET_KEY


async def test_healthz_503_when_database_unreachable(database_url):
    # A second, separate Tortoise context pointing at a PostgreSQL port nothing listens on.
    unreachable = "postgres://nobody@127.0.0.1:9/nowhere"
    app = create_app(Settings(env="test", database_url=unreachable, secret_key=SECRET_KEY))

    async with TortoiseContext() as context:
        await context.init(
            config={
                "connections": {"default": unreachable},
                "apps": {"models": {"models": ["models"], "default_connection": "default"}},
            }
        )
        response = await app.test_client().get("/healthz")
    _refinalise_models()

    assert response.status_code == 503
    assert await response.get_json() == {"status": "unavailable", "database": "unreachable"}


def _refinalise_models() -> None:
    """Rebuild each model's value converters and filters for the run's own database.

    Initialising the second context finalises the shared model classes for asyncpg, whose
    driver returns dates natively, so Tortoise 1.1.9 stops converting them. Without this,
    later SQLite tests read ``DateField`` values back as strings. The two methods are
    Tortoise's own private ones (``MetaInfo`` in tortoise/models.py), as no public call redoes this.
    """
    for app_models in Tortoise.apps.values():
        for model in app_models.values():
            model._meta._generate_db_fields()
            model._meta._generate_filters()
