"""Measure full-text search latency at a million posts, on SQLite and on PostgreSQL.

    .venv/bin/python bench/search.py load --database sqlite      # about 10 minutes, once
    .venv/bin/python bench/search.py load --database postgres
    .venv/bin/python bench/search.py measure --database sqlite
    .venv/bin/python bench/search.py measure --database postgres

``load`` migrates a new database and fills it with the deterministic ``large`` data set of
``forum/services/benchdata.py`` (10,000 members, 100,000 threads, 1,000,000 posts) through
the same bulk loader as ``forum bench-data``. The search triggers index every row as it is
written, so the load also shows what the index costs on a bulk write. The SQLite file goes
to ``var/bench/search-large.sqlite3`` and the PostgreSQL database is ``forum_bench_search``,
both outside git.

``measure`` calls the search service in this process, one query at a time, the way a page
request does: :func:`forum.services.search.search_posts` for a checked request, and
:func:`forum.services.search.list_similar_threads` for the new-thread suggestions. Each
query of a fixed list runs ``--rounds`` times after one warm-up run, and the script prints
p50, p95 and maximum latency for each kind of query and for all of them, in milliseconds.
It times the database round trip and building the results, not HTTP or templates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA_DIR = ROOT / "var" / "bench"
SQLITE_PATH = DATA_DIR / "search-large.sqlite3"
POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_NAME = "forum_bench_search"

# (kind, query text, form filters). The words come from the data set's vocabulary, from
# rare field terms to words that most posts contain.
QUERIES = [
    ("one rare word", "DPIA", {}),
    ("one rare word", "tidyverse", {}),
    ("one rare word", "sufficiency", {}),
    ("one common word", "data", {}),
    ("one common word", "check", {}),
    ("two words", "census episode", {}),
    ("two words", "placement validation", {}),
    ("two words", "SQL join", {}),
    ("three words", "team council report", {}),
    ("three words", "Power BI dashboard", {}),
    ("phrase", '"legal status"', {}),
    ("phrase", '"statistical neighbours"', {}),
    ("exclusion", "episode -placement", {}),
    ("exclusion", "query -SQL", {}),
    ("filtered", "census", {"skill": "statutory-returns"}),
    ("filtered", "pipeline", {"solved": True}),
    ("filtered", "referral", {"role": "la-leadership"}),
    ("filtered", "assessment", {"posted_after": ("1", "6", "2026")}),
    ("page 5", "caseload", {"page": 5}),
]
SIMILAR_TITLES = [
    "CIN census error on closed cases",
    "Power BI measure for re-referr",
    "SSDA903 episode dates overlap",
    "How do other councils check the data",
]


def database_url(database: str) -> str:
    if database == "sqlite":
        return f"sqlite://{SQLITE_PATH}"
    base, _, _ = POSTGRES_SERVER.rpartition("/")
    return f"{base}/{POSTGRES_NAME}"


async def _run_on_postgres_server(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_SERVER.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _remove_sqlite_files() -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


async def load(database: str, size_name: str) -> None:
    from tortoise import Tortoise

    from forum.db import apply_migrations, tortoise_config
    from forum.services.benchdata import SIZES, do_load_bench_data

    url = database_url(database)
    if database == "sqlite":
        _remove_sqlite_files()
    else:
        await _run_on_postgres_server(f'DROP DATABASE IF EXISTS "{POSTGRES_NAME}" WITH (FORCE)')
        await _run_on_postgres_server(f'CREATE DATABASE "{POSTGRES_NAME}"')

    started = time.perf_counter()
    await apply_migrations(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        summary = await do_load_bench_data(url, SIZES[size_name])
    finally:
        await Tortoise.close_connections()
    summary["load_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, indent=2))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def _summary(values: list[float]) -> dict:
    return {
        "runs": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(_percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


async def measure(database: str, rounds: int) -> dict:
    from tortoise import Tortoise

    from forum.db import apply_migrations, tortoise_config
    from forum.services import search
    from forum.services.browsing import get_taxonomy
    from models import Post

    # Migrations added since the load must be applied before the current code can run.
    await apply_migrations(database_url(database))
    await Tortoise.init(config=tortoise_config(database_url(database)))
    try:
        posts = await Post.all().count()
        taxonomy = await get_taxonomy()
        timings: dict[str, list[float]] = {}
        result_counts: dict[str, int] = {}

        timeouts: dict[str, int] = {}
        for kind, text, filters in QUERIES:
            form = search.SearchForm(text=text, **filters)
            for run in range(rounds + 1):
                started = time.perf_counter()
                try:
                    page = await search.search_posts(search.check_search(form, taxonomy))
                    result_counts[text] = len(page.results)
                except search.SearchTooSlow:
                    # Counted at the time it took, which is the timeout or a little more.
                    timeouts[text] = timeouts.get(text, 0) + 1
                elapsed = (time.perf_counter() - started) * 1000
                if run == 0:
                    continue  # the warm-up run
                timings.setdefault(kind, []).append(elapsed)
                timings.setdefault("all searches", []).append(elapsed)

        for title in SIMILAR_TITLES:
            await search.list_similar_threads(title)  # the warm-up run
            for _ in range(rounds):
                started = time.perf_counter()
                await search.list_similar_threads(title)
                timings.setdefault("similar titles", []).append(
                    (time.perf_counter() - started) * 1000
                )
    finally:
        await Tortoise.close_connections()

    report = {
        "database": database,
        "load_average": [round(value, 1) for value in os.getloadavg()],
        "timeouts": timeouts,
        "posts": posts,
        "rounds": rounds,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "latency": {kind: _summary(values) for kind, values in timings.items()},
        "results_on_first_page": result_counts,
    }
    return report


def print_report(report: dict) -> None:
    print(
        f"{report['database']}: {report['posts']:,} posts, {report['rounds']} rounds per query, "
        f"load average {report['load_average']}"
    )
    if report["timeouts"]:
        print(f"timed out: {report['timeouts']}")
    print(f"{'kind':<18} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, figures in report["latency"].items():
        print(
            f"{kind:<18} {figures['runs']:>5} {figures['p50_ms']:>8} "
            f"{figures['p95_ms']:>8} {figures['max_ms']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load_command = commands.add_parser("load", help="Create and fill the benchmark database.")
    load_command.add_argument("--database", choices=["sqlite", "postgres"], required=True)
    load_command.add_argument("--size", default="large", help="A size from benchdata.SIZES.")
    measure_command = commands.add_parser("measure", help="Time the search queries.")
    measure_command.add_argument("--database", choices=["sqlite", "postgres"], required=True)
    measure_command.add_argument("--rounds", type=int, default=20, help="Timed runs per query.")
    measure_command.add_argument("--json", action="store_true", help="Print JSON as well.")
    args = parser.parse_args()

    if args.command == "load":
        asyncio.run(load(args.database, args.size))
    else:
        report = asyncio.run(measure(args.database, args.rounds))
        print_report(report)
        if args.json:
            print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
