"""The ``forum`` command, run as a real process against a real database file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

FORUM = str(Path(sys.executable).with_name("forum"))


def _run(args: list[str], database_url: str, **env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "FORUM_DATABASE_URL": database_url,
        "FORUM_ENV": "development",
        **env,
    }
    return subprocess.run(
        [FORUM, *args], capture_output=True, text=True, env=environment, timeout=120
    )


@pytest.fixture(name="cli_database")
def _cli_database(tmp_path) -> str:
    url = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    result = _run(["migrate"], url)
    assert result.returncode == 0, result.stderr
    return url


def test_demo_if_empty_loads_once(cli_database):
    first = _run(["demo", "--if-empty"], cli_database)
    second = _run(["demo", "--if-empty"], cli_database)

    assert first.returncode == 0, first.stderr
    assert "threads added" in first.stdout
    assert "already has threads" in second.stdout


def test_promote_changes_permission(cli_database):
    _run(["demo"], cli_database)

    result = _run(["promote", "admin.joe", "--role", "moderator"], cli_database)

    assert result.returncode == 0, result.stderr
    assert "is now moderator" in result.stdout


def test_promote_unknown_member_explains(cli_database):
    result = _run(["promote", "nobody@example.org", "--role", "admin"], cli_database)

    assert result.returncode == 1
    assert "No member has the email address or handle 'nobody@example.org'" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_unsafe_production(cli_database):
    result = _run(["serve"], cli_database, FORUM_ENV="production", FORUM_DEV_SIGN_IN="true")

    assert result.returncode == 1
    assert "FORUM_SECRET_KEY is missing" in result.stderr
    assert "FORUM_DEV_SIGN_IN is enabled" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_is_repeatable(cli_database):
    result = _run(["migrate"], cli_database)

    assert result.returncode == 0, result.stderr


def test_match_dry_run_prints_and_stores_nothing(cli_database):
    _run(["demo"], cli_database)

    dry = _run(["match", "--dry-run"], cli_database)
    stored = _run(["match"], cli_database)
    tasks = _run(["mentoring-tasks"], cli_database)

    assert dry.returncode == 0, dry.stderr
    assert "3 open requests" in dry.stdout
    assert "Tom Ashworth with Mei Chen" in dry.stdout
    assert "Dry run: nothing was stored." in dry.stdout
    assert stored.returncode == 0, stored.stderr
    assert "Stored as match run 1." in stored.stdout
    assert tasks.returncode == 0, tasks.stderr
    assert "mentoring requests expired" in tasks.stdout


def test_rerender_updates_posts_from_older_renderer(cli_database):
    import sqlite3

    from forum.markdown import RENDERER_VERSION

    _run(["demo"], cli_database)
    path = cli_database.removeprefix("sqlite://")
    with sqlite3.connect(path) as connection:
        aged = connection.execute(
            "UPDATE post SET html = '<p>stale</p>', renderer_version = ? WHERE id % 2 = 0",
            [RENDERER_VERSION - 1],
        ).rowcount

    result = _run(["rerender", "--batch-size", "7"], cli_database)

    assert result.returncode == 0, result.stderr
    assert f"post: {aged} re-rendered, 0 failed" in result.stdout
    assert "rerender started" in result.stderr
    assert "rerender finished" in result.stderr
    with sqlite3.connect(path) as connection:
        left = connection.execute(
            "SELECT count(*) FROM post WHERE renderer_version < ? OR html = '<p>stale</p>'",
            [RENDERER_VERSION],
        ).fetchone()[0]
    assert aged > 0
    assert left == 0


def test_rerender_rejects_zero_batch_size(cli_database):
    result = _run(["rerender", "--batch-size", "0"], cli_database)

    assert result.returncode == 1
    assert "--batch-size must be 1 or more" in result.stderr
