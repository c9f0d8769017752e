"""Two ``forum serve`` instances sharing one PostgreSQL database and one Redis server.

This is the production layout in small: a request may reach either instance, so live
updates, sessions, rate limits and the cap on event streams must all hold across them.
The test makes a PostgreSQL database of its own, whatever database the rest of the run
uses, and a Redis prefix of its own, and removes both afterwards. It is skipped, saying
why, only when PostgreSQL or Redis does not respond on this machine.
"""

import json
import os
import subprocess
import sys
import time
from contextlib import AsyncExitStack

import httpx
import pytest

from forum.config import PROJECT_ROOT
from forum.services import live
from tests.conftest import DATABASE_URL, IS_POSTGRES, _run_on_postgres, _with_database_name
from tests.servers import EventReader, csrf_form, member_cookies, start_servers, stop_server

POSTGRES_URL = (
    DATABASE_URL
    if IS_POSTGRES
    else os.environ.get("FORUM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
)
REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The posting allowance in forum/services/rate_limits.py: five posts a minute.
POSTS_PER_MINUTE = 5


async def _unreachable() -> str | None:
    """Return why PostgreSQL or Redis cannot be used, or None when both respond."""
    import asyncpg
    import redis.asyncio as redis

    try:
        connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
        await connection.close()
    except (OSError, asyncpg.PostgresError) as error:
        return f"PostgreSQL at {POSTGRES_URL} did not answer ({type(error).__name__})"

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as error:
        return f"Redis at {REDIS_URL} did not answer ({type(error).__name__})"
    finally:
        await client.aclose()
    return None


def _run(*command: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(name="instances", scope="module")
async def _instances(tmp_path_factory):
    reason = await _unreachable()
    if reason:
        pytest.skip(f"two instances need PostgreSQL and Redis: {reason}")

    suffix = f"{os.getpid()}_{os.urandom(3).hex()}"
    name = f"forum_instances_{suffix}"
    database_url = _with_database_name(POSTGRES_URL, name)
    prefix = f"forum-test-{suffix}"
    # Member ids far from other runs', because the rate limiter keys Redis by member id.
    first_member_id = int.from_bytes(os.urandom(3), "big") * 100 + 1_000_000
    await _run_on_postgres(POSTGRES_URL, f'CREATE DATABASE "{name}"')

    servers = []
    try:
        env = {**os.environ, "FORUM_ENV": "test", "FORUM_DATABASE_URL": database_url}
        _run(str(PROJECT_ROOT / ".venv" / "bin" / "forum"), "migrate", env=env)
        seed = json.loads(
            _run(
                sys.executable,
                "-m",
                "tests.seed_for_servers",
                database_url,
                str(first_member_id),
                env=env,
            )
        )
        servers = start_servers(
            2,
            database_url,
            tmp_path_factory.mktemp("instances"),
            FORUM_REDIS_URL=REDIS_URL,
            FORUM_REDIS_PREFIX=prefix,
        )
        yield servers, seed
    finally:
        for server in servers:
            stop_server(server)
        await _run_on_postgres(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _remove_redis_keys(prefix, first_member_id)


async def _remove_redis_keys(prefix: str, first_member_id: int) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    patterns = [f"{prefix}:*"] + [f"*:member-{first_member_id + offset}" for offset in range(3)]
    try:
        for pattern in patterns:
            async for key in client.scan_iter(match=pattern):
                await client.delete(key)
    finally:
        await client.aclose()


def _client(server, session: dict) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url,
        cookies=member_cookies(session["cookie"]),
        trust_env=False,
        timeout=10,
    )


def _has(kind: str, data: str | None = None):
    def stop(events: list[dict]) -> bool:
        return any(
            event.get("event") == kind and (data is None or event.get("data") == data)
            for event in events
        )

    return stop


async def test_post_on_one_instance_streams_from_other(instances):
    (first, second), seed = instances
    asker, replier = seed["sessions"]["asker"], seed["sessions"]["replier"]
    thread_id = seed["thread_id"]

    async with _client(second, asker) as viewer, _client(first, replier) as poster:
        async with viewer.stream("GET", f"/api/live/events?thread={thread_id}&after=1") as stream:
            reader = EventReader(stream)
            await reader.until(_has("unread"), 5)
            started = time.monotonic()
            reply = await poster.post(
                f"/threads/{thread_id}/reply",
                data=csrf_form(replier["session_id"], body="Posted on the first instance."),
            )
            events = await reader.until(_has("post"), 5)
            elapsed = time.monotonic() - started
            await reader.until(_has("unread", "1"), 5)

    assert reply.status_code == 303, first.log_tail()
    [post_event] = [event for event in events if event.get("event") == "post"]
    assert post_event["id"] == "2"
    assert "Posted on the first instance." in post_event["data"]
    assert elapsed < 1.0, f"the post took {elapsed:.2f} s to reach the other instance"


async def test_session_works_on_both_instances(instances):
    servers, seed = instances
    asker = seed["sessions"]["asker"]

    for server in servers:
        async with _client(server, asker) as client:
            page = await client.get("/")
        assert page.status_code == 200
        assert "Sign out Asha Patel" in page.text, server.log_tail()


async def test_rate_limit_counts_posts_on_both_instances(instances):
    (first, second), seed = instances
    flooder = seed["sessions"]["flooder"]
    thread_id = seed["thread_id"]
    statuses = []

    async with _client(first, flooder) as on_first, _client(second, flooder) as on_second:
        for number in range(POSTS_PER_MINUTE + 1):
            client = on_first if number % 2 == 0 else on_second
            response = await client.post(
                f"/threads/{thread_id}/reply",
                data=csrf_form(flooder["session_id"], body=f"Rate limit reply {number}."),
            )
            statuses.append(response.status_code)

    assert statuses == [303] * POSTS_PER_MINUTE + [429]
    assert int(response.headers["retry-after"]) > 0


async def test_stream_cap_counts_streams_on_both_instances(instances):
    (first, second), seed = instances
    asker = seed["sessions"]["asker"]

    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(_client(server, asker)) for server in (first, second)
        ]
        # Readers are kept, because a dropped reader closes its stream.
        readers = []
        for number in range(live.MAX_STREAMS_PER_MEMBER):
            stream = await stack.enter_async_context(
                clients[number % 2].stream("GET", "/api/live/events")
            )
            readers.append(EventReader(stream))
            await readers[-1].until(_has("unread"), 5)

        refused = await clients[1].get("/api/live/events")

    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
