"""Time each page in-process, request after request, and optionally profile one of them.

This measures the CPU time a page costs (the whole process, so the SQLite driver's thread
counts too) without the network or the HTTP server, so it is steadier than a load test on
a shared machine. The database is a working copy that
``bench/run.py`` made (``var/bench/run.sqlite3``) or any URL given.

    .venv/bin/python bench/profile_pages.py                     # median ms per page
    .venv/bin/python bench/profile_pages.py --profile thread     # pyinstrument text report
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from forum.app import create_app  # noqa: E402
from forum.config import Settings  # noqa: E402

SECRET_KEY = "benchmark-only-secret-key-0123456789-abcdefghijklmnop"


def page_paths(meta: dict) -> dict[str, str]:
    return {
        "home": "/",
        "skill area": f"/skills/{meta['skill_area']}",
        "role": f"/roles/{meta['role']}",
        "thread": f"/threads/{meta['hot_thread_id']}/{meta['hot_thread_slug']}",
    }


async def measure(args) -> None:
    from run import signing_key_pem

    settings = Settings(
        env="production", database_url=args.database, secret_key=SECRET_KEY, dev_sign_in=False,
        secure_cookies=True, base_url="https://forum.bench.example", signing_key=signing_key_pem(),
    )
    app = create_app(settings)
    paths = page_paths(args.meta)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        for name, path in paths.items():
            if args.profile and name != args.profile:
                continue
            for _ in range(5):
                response = await client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            timings = []
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            for _ in range(args.requests):
                started = time.process_time()
                await client.get(path)
                timings.append((time.process_time() - started) * 1000)
            if profiler:
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False))
            print(f"{name:12} CPU median {statistics.median(timings):6.2f} ms  "
                  f"p90 {statistics.quantiles(timings, n=10)[-1]:6.2f} ms  ({args.requests} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Time or profile the forum's pages in-process.")
    parser.add_argument("--database", default=f"sqlite://{ROOT / 'var' / 'bench' / 'run.sqlite3'}")
    parser.add_argument("--meta", default=str(ROOT / "var" / "bench" / "forum-small-v1-sqlite.json"))
    parser.add_argument("--requests", type=int, default=100, help="Requests per page.")
    parser.add_argument("--profile", help="Profile only this page with pyinstrument.")
    args = parser.parse_args()
    args.meta = json.loads(Path(args.meta).read_text())
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
