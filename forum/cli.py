"""The ``forum`` command: serve, worker, migrate, demo, import and promote."""

import argparse
import asyncio
import logging
import sys

from forum.config import ConfigError, Settings, check_production
from forum.logging_setup import configure_logging

logger = logging.getLogger(__name__)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        sys.exit(f"forum: {error}")


async def _with_database(settings: Settings, work):
    """Run ``work`` with the database open; afterwards, have servers render pages afresh."""
    from forum.db import close_database, init_database
    from forum.services.page_cache import bump_generation

    await init_database(settings.database_url)
    try:
        return await work()
    finally:
        try:
            # Commands write behind the servers' backs (an import, demo content, a
            # promotion), so pages kept for visitors must not outlive them.
            await bump_generation("command")
        finally:
            await close_database()


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings()
    problems = check_production(settings)
    if problems:
        sys.exit("forum: refusing to start in production:\n" + "\n".join(problems))

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from forum.app import create_app

    config = Config()
    config.bind = [f"{args.host}:{args.port}"]
    config.workers = args.workers
    config.accesslog = "-" if args.access_log else None
    config.graceful_timeout = 5
    if args.workers > 1:
        # Several workers need hypercorn's process runner, which imports the app by path.
        from hypercorn.run import run

        config.application_path = "forum.asgi:app"
        sys.exit(run(config))
    # Serve on uvloop's event loop (libuv, installed with tortoise-orm's "accel" extra) when it
    # is there. NOTE: its gain on this app is unmeasured: an A/B run here was within the
    # machine's noise (docs/benchmarks.md).
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    run_loop(serve(create_app(settings), config))


def cmd_migrate(args: argparse.Namespace) -> None:
    from forum.db import apply_migrations

    settings = _settings()
    asyncio.run(apply_migrations(settings.database_url))
    print("Migrations applied.")


def cmd_demo(args: argparse.Namespace) -> None:
    from forum.services.demo import do_load_demo

    settings = _settings()

    async def work():
        from models import Thread

        if args.if_empty and await Thread.exists():
            return None
        return await do_load_demo(max_length=settings.max_post_length)

    added = asyncio.run(_with_database(settings, work))
    if added is None:
        print("The database already has threads, so no demo content was loaded.")
    else:
        print(
            "Demo content: " + ", ".join(f"{count} {name} added" for name, count in added.items())
        )


def cmd_import(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        summary = _run_import(args, settings)
    except (ValueError, OSError) as error:
        sys.exit(f"forum import: {error}")
    print(summary.describe())
    if summary.failed_rows:
        sys.exit(1)


def _run_import(args: argparse.Namespace, settings: Settings):
    from forum.services.importer import run_stackexchange_import

    return asyncio.run(
        _with_database(
            settings,
            lambda: run_stackexchange_import(
                args.path,
                default_skill_area=args.skill_area,
                tag_map_path=args.tag_map,
                max_length=settings.max_post_length,
                site=args.site,
                progress=not args.quiet,
            ),
        )
    )


def cmd_promote(args: argparse.Namespace) -> None:
    from forum.errors import ForumError
    from forum.services.members import do_promote

    settings = _settings()
    try:
        member = asyncio.run(_with_database(settings, lambda: do_promote(args.email, args.role)))
    except ForumError as error:
        message = error.errors["role"] if hasattr(error, "errors") else error.message
        sys.exit(f"forum promote: {message}")
    print(f"{member.display_name} ({member.handle}) is now {member.permission}.")


def cmd_bench_data(args: argparse.Namespace) -> None:
    import json

    from forum.db import apply_migrations
    from forum.services.benchdata import SIZES, do_load_bench_data

    settings = _settings()
    asyncio.run(apply_migrations(settings.database_url))
    try:
        summary = asyncio.run(
            _with_database(
                settings, lambda: do_load_bench_data(settings.database_url, SIZES[args.size])
            )
        )
    except ValueError as error:
        sys.exit(f"forum bench-data: {error}")
    print(json.dumps(summary, indent=2))


def cmd_match(args: argparse.Namespace) -> None:
    from forum.services.match_runs import do_run_matching
    from forum.services.mentoring import do_expire_requests

    settings = _settings()

    async def work():
        if not args.dry_run:
            # Expiring first reopens requests that a mentor never answered, so they take part.
            await do_expire_requests()
        return await do_run_matching(None, dry_run=args.dry_run)

    outcome = asyncio.run(_with_database(settings, work))
    print(
        f"{outcome.request_count} open requests, {outcome.mentor_count} mentors with a free place: "
        f"{len(outcome.pairs)} matched, {len(outcome.unmatched)} unmatched, "
        f"in {outcome.seconds:.2f} s."
    )
    for request, mentor, pair, reasons in outcome.pairs:
        print(f"- {request.mentee.display_name} with {mentor.display_name}: score {pair.score:.1f}")
        for reason in reasons:
            print(f"    {reason}")
    if args.dry_run:
        print("Dry run: nothing was stored.")
    else:
        print(f"Stored as match run {outcome.run.id}. Review and publish it at /mentoring/admin.")


def cmd_mentoring_tasks(args: argparse.Namespace) -> None:
    from forum.services.mentoring import do_expire_requests, do_remind_quiet_pairs

    settings = _settings()

    async def work():
        return await do_expire_requests(), await do_remind_quiet_pairs()

    expired, reminded = asyncio.run(_with_database(settings, work))
    print(f"{expired} mentoring requests expired, {reminded} quiet pairs reminded.")


def cmd_rerender(args: argparse.Namespace) -> None:
    from forum.markdown import RENDERER_VERSION
    from forum.services.rerender import do_rerender

    if args.batch_size < 1:
        sys.exit(f"forum: --batch-size must be 1 or more, not {args.batch_size}.")
    settings = _settings()

    async def work():
        return await do_rerender(batch_size=args.batch_size, base_url=settings.base_url)

    results = asyncio.run(_with_database(settings, work))
    for counts in results:
        print(
            f"{counts.table}: {counts.rerendered} re-rendered, {counts.failed} failed, "
            f"{counts.skipped} skipped because they were edited meanwhile."
        )
    print(f"Stored HTML is now at renderer version {RENDERER_VERSION} where it could be.")
    if any(counts.failed for counts in results):
        sys.exit(
            "forum: some stored Markdown no longer renders and kept its old HTML. "
            "The log names each row."
        )


def cmd_worker(args: argparse.Namespace) -> None:
    from forum.services.worker import WorkerOptions, run_worker

    settings = _settings()
    options = WorkerOptions(
        poll_seconds=args.poll_seconds,
        schedule_seconds=args.schedule_seconds,
        lease_seconds=args.lease_seconds,
        once=args.once,
    )
    asyncio.run(_with_database(settings, lambda: run_worker(settings, options)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forum", description="Run and manage the forum.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="Serve the forum with hypercorn.")
    serve.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    serve.add_argument("--port", type=int, default=8000, help="Port to listen on.")
    serve.add_argument("--workers", type=int, default=1, help="Number of worker processes.")
    serve.add_argument("--access-log", action="store_true", help="Log every request.")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="Apply database migrations.")
    migrate.set_defaults(handler=cmd_migrate)

    demo = commands.add_parser("demo", help="Load the demo community (idempotent).")
    demo.add_argument(
        "--if-empty", action="store_true", help="Load only when the database has no threads."
    )
    demo.set_defaults(handler=cmd_demo)

    importer = commands.add_parser("import", help="Import content from another forum.")
    sources = importer.add_subparsers(dest="source", required=True)
    stackexchange = sources.add_parser("stackexchange", help="Import a Stack Exchange Posts.xml.")
    stackexchange.add_argument("path", help="Path to Posts.xml.")
    stackexchange.add_argument(
        "--skill-area",
        default="programming-reproducible-analysis",
        help="Skill area slug for questions whose tags map to none.",
    )
    stackexchange.add_argument("--tag-map", help="JSON file mapping tags to skill area slugs.")
    stackexchange.add_argument(
        "--site", default=None, help="Source site name; defaults to one taken from the file name."
    )
    stackexchange.add_argument("--quiet", action="store_true", help="Hide the progress bar.")
    stackexchange.set_defaults(handler=cmd_import)

    bench_data = commands.add_parser(
        "bench-data", help="Load generated benchmark data into an empty database."
    )
    bench_data.add_argument(
        "--size", choices=["small", "large", "tiny"], default="small",
        help="small: 2,000 members, 20,000 threads, 200,000 posts. large: 1,000,000 posts.",
    )
    bench_data.set_defaults(handler=cmd_bench_data)

    promote = commands.add_parser("promote", help="Change a member's site permission.")
    promote.add_argument("email", help="The member's email address or handle.")
    promote.add_argument(
        "--role",
        required=True,
        choices=["member", "mentor", "moderator", "admin"],
        help="The permission to give.",
    )
    promote.set_defaults(handler=cmd_promote)

    match = commands.add_parser(
        "match", help="Match every open mentoring request with a mentor, as a draft run to review."
    )
    match.add_argument(
        "--dry-run", action="store_true", help="Print the pairings without storing anything."
    )
    match.set_defaults(handler=cmd_match)

    mentoring_tasks = commands.add_parser(
        "mentoring-tasks",
        help="Expire unanswered mentoring requests after 14 days and remind pairs with no "
        "session for 4 weeks, once. The worker also does this every hour.",
    )
    mentoring_tasks.set_defaults(handler=cmd_mentoring_tasks)

    rerender = commands.add_parser(
        "rerender",
        help="Render stored Markdown (posts, revisions, mentoring text) again where an older "
        "renderer version wrote its HTML.",
    )
    rerender.add_argument(
        "--batch-size", type=int, default=500,
        help="Rows read and written per transaction (default 500).",
    )
    rerender.set_defaults(handler=cmd_rerender)

    worker = commands.add_parser(
        "worker", help="Send queued email and run scheduled jobs (digests, mentoring) until stopped."
    )
    worker.add_argument(
        "--poll-seconds", type=float, default=2.0, help="Seconds between polls of the outbox."
    )
    worker.add_argument(
        "--schedule-seconds", type=float, default=3600.0,
        help="Seconds between runs of the digest and mentoring jobs.",
    )
    worker.add_argument(
        "--lease-seconds", type=int, default=300,
        help="Seconds a claimed email stays reserved before another worker may send it again.",
    )
    worker.add_argument(
        "--once", action="store_true", help="Send what is due, run the jobs once, and exit."
    )
    worker.set_defaults(handler=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = _settings()
    configure_logging(settings.is_production)
    args.handler(args)


if __name__ == "__main__":
    main()
