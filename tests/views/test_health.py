"""The health check answers 503, not a stack trace, when the database is unreachable."""

import json
import subprocess
import sys
import textwrap

import pytest

# Run in a fresh interpreter: initialising Tortoise for a second database finalises the
# shared model classes for that driver, which would change how later tests read values.
pytestmark = pytest.mark.no_database

HEALTH_CHECK_SCRIPT = textwrap.dedent(
    """
    import asyncio, json
    from tortoise import Tortoise
    from forum.app import create_app
    from forum.config import Settings
    from forum.db import tortoise_config

    async def main():
        url = "postgres://nobody@127.0.0.1:9/nowhere"
        app = create_app(Settings(env="test", database_url=url, secret_key="x" * 40))
        await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
        response = await app.test_client().get("/healthz")
        body = await response.get_data(as_text=True)
        print(json.dumps({"status": response.status_code, "body": body}))

    asyncio.run(main())
    """
)


def test_healthz_503_when_database_unreachable():
    result = subprocess.run(
        [sys.executable, "-c", HEALTH_CHECK_SCRIPT], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 503
    assert json.loads(outcome["body"]) == {"status": "unavailable", "database": "unreachable"}
    assert "Traceback" not in outcome["body"]
