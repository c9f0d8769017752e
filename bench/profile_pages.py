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
        page_cache_seconds=0 if args.no_page_cache or args.member else 30,
    )
    app = create_app(settings)
    paths = page_paths(args.meta)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        if args.member:
            from forum.auth.sessions import SESSION_COOKIE
            from forum.services.benchdata import do_start_bench_sessions

            ((cookie, _),) = await do_start_bench_sessions(SECRET_KEY, 1)
            client.set_cookie("localhost", SESSION_COOKIE, cookie)
        if args.profile == "reply" or args.reply:
            await measure_reply(test_app, args)
            return
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


async def measure_reply(test_app, args) -> None:
    """Post replies as members in turn, as the load runner's reply path does."""
    from run import REPLY_BODY

    from forum.auth.csrf import CSRF_COOKIE, make_token
    from forum.auth.sessions import SESSION_COOKIE
    from forum.services.benchdata import do_start_bench_sessions

    sessions = await do_start_bench_sessions(SECRET_KEY, args.requests + 5)
    path = f"/threads/{args.meta['reply_thread_id']}/reply"

    async def post(number: int) -> None:
        cookie, session_id = sessions[number]
        client = test_app.test_client()
        client.set_cookie("localhost", SESSION_COOKIE, cookie)
        client.set_cookie("localhost", CSRF_COOKIE, "profile-csrf")
        form = {"csrf_token": make_token(SECRET_KEY, "profile-csrf", session_id), "body": f"{REPLY_BODY}{number}"}
        response = await client.post(path, form=form)
        assert response.status_code == 303, response.status_code

    for number in range(5):
        await post(number)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    timings = []
    for number in range(5, args.requests + 5):
        started = time.process_time()
        await post(number)
        timings.append((time.process_time() - started) * 1000)
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{'reply':12} CPU median {statistics.median(timings):6.2f} ms  "
          f"p90 {statistics.quantiles(timings, n=10)[-1]:6.2f} ms  ({args.requests} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Time or profile the forum's pages in-process.")
    parser.add_argument("--database", default=f"sqlite://{ROOT / 'var' / 'bench' / 'run.sqlite3'}")
    parser.add_argument("--meta", default=str(ROOT / "var" / "bench" / "forum-small-v1-sqlite.json"))
    parser.add_argument("--requests", type=int, default=100, help="Requests per page.")
    parser.add_argument("--profile", help="Profile only this page with pyinstrument.")
    parser.add_argument("--reply", action="store_true", help="Time the reply path instead of the pages.")
    parser.add_argument("--member", action="store_true",
                        help="Request the pages as a signed-in member (never from the page cache).")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="Render every page for a visitor, with the page cache off.")
    args = parser.parse_args()
    args.meta = json.loads(Path(args.meta).read_text())
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
