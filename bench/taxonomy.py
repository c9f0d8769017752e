"""Print the forum's taxonomy as JSON, for seeding the peer forum with the same spread.

Usage: .venv/bin/python bench/taxonomy.py > bench/.spirit/taxonomy.json
It migrates a temporary SQLite database, so it needs no running forum.
"""

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import Tortoise  # noqa: E402

from forum.db import apply_migrations, tortoise_config  # noqa: E402
from forum.services.benchdata import list_taxonomy  # noqa: E402


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite://{directory}/taxonomy.sqlite3"
        await apply_migrations(url)
        await Tortoise.init(config=tortoise_config(url))
        try:
            print(json.dumps(await list_taxonomy(), indent=1))
        finally:
            await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
