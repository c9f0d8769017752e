"""Seed a database that servers started by a test will use: members, a thread, sessions.

Run as ``python -m tests.seed_for_servers DATABASE_URL FIRST_MEMBER_ID``. It prints JSON
with the ids, the session cookies and the session ids. It runs in its own process
because the test process's Tortoise is bound to the run's own test database.
"""

import asyncio
import json
import sys

from tortoise import Tortoise

from forum.auth.sessions import do_start_session
from forum.db import tortoise_config
from tests.factories import SECRET_KEY, make_member, make_thread


async def seed(database_url: str, first_member_id: int) -> dict:
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        asker = await make_member(id=first_member_id, display_name="Asha Patel")
        replier = await make_member(id=first_member_id + 1, display_name="Priya Shah")
        flooder = await make_member(id=first_member_id + 2, display_name="Sam Jones")
        thread = await make_thread(author=asker, title="Placement moves in the SSDA903 return")
        sessions = {}
        for name, member in (("asker", asker), ("replier", replier), ("flooder", flooder)):
            cookie, session = await do_start_session(member, secret_key=SECRET_KEY, days=1)
            sessions[name] = {"member_id": member.id, "cookie": cookie, "session_id": session.id}
        return {"thread_id": thread.id, "thread_slug": thread.slug, "sessions": sessions}
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed(sys.argv[1], int(sys.argv[2])))))
