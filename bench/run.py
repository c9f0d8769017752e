"""Load-test the forum, the ceiling app and (when seeded) the Spirit peer, side by side.

Every server runs with one worker on 127.0.0.1, and load comes from ``wrk`` in a separate
process. For each page and client count the runner does ``--runs`` runs of ``--duration``
seconds after a warm-up, and reports the median of each figure. Results go to
``bench/results/<time>/`` as ``results.json`` and ``summary.md``.

    .venv/bin/python bench/run.py                          # forum (SQLite, PostgreSQL) and ceiling
    .venv/bin/python bench/run.py --targets forum --databases sqlite --pages thread

The forum's data comes from ``forum bench-data``. A seeded copy is kept in ``var/bench/``
and copied for each run, because the reply path writes to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum.auth.csrf import make_token  # noqa: E402
from forum.services import benchdata  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DATA_DIR = ROOT / "var" / "bench"
RESULTS_DIR = ROOT / "bench" / "results"
SPIRIT_HOME = Path(os.environ.get("SPIRIT_HOME", ROOT / "bench" / ".spirit"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "benchmark-only-secret-key-0123456789-abcdefghijklmnop"
FORUM_PORT, CEILING_PORT, SPIRIT_PORT = 8200, 8100, 8300
SEARCH_QUERY = "census episode"
# The real text of a Stack Exchange site, beside the checkout as the tests expect it.
STACKEXCHANGE_POSTS = ROOT.parent / "shared" / "data" / "stackexchange" / "datascience-meta-Posts.xml"
# Members signed in for the reply path: enough that none passes the posting limit of
# 5 a minute and 60 an hour during a run.
WRITERS = 2000
REPLY_BODY = (
    "Thanks, this helped. We check the **episode** dates first:\n\n"
    "- run the validation report\n- fix the open episodes\n\n"
    "```sql\nSELECT child_id FROM episodes WHERE episode_end IS NULL;\n```\n\n"
    "Reply number "
)
PAGES = ("home", "skill area", "role", "thread", "thread for a member", "imported thread", "search",
         "search not kept", "reply")
# Spirit's page compared with each of ours where the names differ. Spirit has no audience
# roles, and its topic page is measured for visitors only.
SPIRIT_EQUIVALENT = {"role": "skill area", "thread for a member": "thread", "search not kept": "search"}

# Lua for wrk: report the figures as one JSON line, and for the reply path build a
# different form body for every request.
LUA_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nBENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, '
    .. '"p99_us": %d, "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
    .. '"timeout": %d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, e.connect, e.read, e.write,
    e.status, e.timeout))
end
"""
LUA_POST = """
local counter = 0
local cookies = {%(cookies)s}
local prefixes = {%(prefixes)s}
request = function()
  counter = counter + 1
  local index = counter %% #cookies + 1
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookies[index]}
  return wrk.format("POST", %(path)s, headers, prefixes[index] .. "%(tag)s-" .. counter)
end
"""
# A visitor's page with a new address for every request, so none is served from the
# forum's page cache and each search runs.
LUA_NEW_ADDRESS = """
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", %(path)s .. "&run=%(tag)s-" .. counter)
end
"""
# A page read by signed-in members in turn: their pages are never kept, so this measures
# rendering, not the visitors' page cache.
LUA_SIGNED_IN_GET = """
local counter = 0
local cookies = {%(cookies)s}
request = function()
  counter = counter + 1
  return wrk.format("GET", %(path)s, {["Cookie"] = cookies[counter %% #cookies + 1]})
end
"""


@dataclass
class Page:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # For a write: one (Cookie header, form fields) pair per signed-in member, used in turn.
    writers: list[tuple[str, dict[str, str]]] | None = None
    # For a read as signed-in members: one Cookie header each, used in turn.
    readers: list[str] | None = None
    # Give every request its own address, so no request is served from the forum's page cache.
    new_address: bool = False
    # Counts the rows a reply adds, for the lost-write check.
    count_rows: object = None
    # Counts the posts whose watchers the worker has still to notify.
    count_pending: object = None


@dataclass
class Target:
    label: str
    base_url: str
    pages: list[Page]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# ------------------------------------------------------------------------- servers


class Server:
    """A server process started by the runner and stopped by its own process id."""

    def __init__(self, name: str, command: list[str], *, cwd: Path, env: dict, log_path: Path):
        self.name = name
        self.log_file = open(log_path, "w")
        self.process = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **env}, stdout=self.log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, url: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode}; see its log.")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not respond at {url} within {seconds:.0f} s; see its log.")

    def worker_pid(self) -> int:
        """Return the process that serves requests: the only child, or the server itself."""
        children_file = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        children = children_file.read_text().split() if children_file.exists() else []
        return int(children[0]) if children else self.process.pid

    def memory_mb(self) -> tuple[float, float, float]:
        """Return the worker's resident memory, its peak so far, and its private part, in MB.

        The private part (RssAnon) leaves out file pages such as SQLite's memory map, which
        the kernel shares and can drop.
        """
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        values = dict(re.findall(r"^(VmRSS|VmHWM|RssAnon):\s+(\d+) kB", status, re.M))
        return tuple(int(values[name]) / 1024 for name in ("VmRSS", "VmHWM", "RssAnon"))

    def wait_idle(self, seconds: float = 90) -> None:
        """Wait until the worker uses under 5% of a core, so requests queued by the last run
        (a sync worker still serving slow searches) do not eat into the next one."""
        stat = Path(f"/proc/{self.worker_pid()}/stat")
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            before = sum(int(value) for value in stat.read_text().rsplit(")", 1)[1].split()[11:13])
            time.sleep(0.5)
            after = sum(int(value) for value in stat.read_text().rsplit(")", 1)[1].split()[11:13])
            if (after - before) / ticks_per_second < 0.025:
                return

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# ------------------------------------------------------------------------ forum data


def ensure_forum_data(size: str, database: str) -> tuple[str, dict]:
    """Make a working database from the kept seed (creating the seed once); return its URL."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    seed_name = f"forum-{size}-v{benchdata.GENERATOR_VERSION}"
    meta_path = DATA_DIR / f"{seed_name}-{database}.json"
    env = {"FORUM_ENV": "development", "FORUM_SECRET_KEY": SECRET_KEY}

    if database == "sqlite":
        seed = DATA_DIR / f"{seed_name}.sqlite3"
        if not seed.exists() or not meta_path.exists():
            seed.unlink(missing_ok=True)
            log(f"Generating the {size} data set into {seed} (once).")
            meta_path.write_text(_run_bench_data(f"sqlite://{seed}", size, env))
        work = DATA_DIR / "run.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(seed, work)
        url = f"sqlite://{work}"
    else:
        seed_db = seed_name.replace("-", "_")
        if not _postgres_has(seed_db) or not meta_path.exists():
            log(f"Generating the {size} data set into PostgreSQL database {seed_db} (once).")
            _postgres(f'DROP DATABASE IF EXISTS "{seed_db}"')
            _postgres(f'CREATE DATABASE "{seed_db}"')
            meta_path.write_text(_run_bench_data(_postgres_url(seed_db), size, env))
        _postgres('DROP DATABASE IF EXISTS "forum_bench_run" WITH (FORCE)')
        _postgres(f'CREATE DATABASE "forum_bench_run" TEMPLATE "{seed_db}"')
        url = _postgres_url("forum_bench_run")

    # Migrations added since the seed was made apply to the working copy.
    subprocess.run([VENV_BIN / "forum", "migrate"], env={**os.environ, **env, "FORUM_DATABASE_URL": url},
                   check=True, stdout=subprocess.DEVNULL)
    meta = json.loads(meta_path.read_text())
    meta.update(import_stackexchange(url, database, env))
    return url, meta


def import_stackexchange(url: str, database: str, env: dict) -> dict:
    """Add the real Stack Exchange questions to the working copy; return the largest thread.

    Only the forum gets them (Spirit has no importer), so they are measured on a page of
    their own and every shared page keeps identical content on both sides.
    """
    if not STACKEXCHANGE_POSTS.exists():
        log(f"{STACKEXCHANGE_POSTS} is missing, so the imported thread page is not measured.")
        return {}
    subprocess.run(
        [VENV_BIN / "forum", "import", "stackexchange", str(STACKEXCHANGE_POSTS), "--quiet",
         "--skill-area", "data-quality"],
        env={**os.environ, **env, "FORUM_DATABASE_URL": url}, check=True, stdout=subprocess.DEVNULL,
    )
    query = ("SELECT id, slug FROM thread WHERE source_site IS NOT NULL "
             "ORDER BY post_count DESC, id LIMIT 1")
    if database == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
            thread_id, slug = connection.execute(query).fetchone()
    else:
        thread_id, slug = _postgres(query.replace("SELECT id, slug", "SELECT id || ' ' || slug"),
                                    "forum_bench_run").split(" ", 1)
    return {"imported_thread_id": int(thread_id), "imported_thread_slug": slug}


def _run_bench_data(url: str, size: str, env: dict) -> str:
    result = subprocess.run(
        [VENV_BIN / "forum", "bench-data", "--size", size],
        env={**os.environ, **env, "FORUM_DATABASE_URL": url}, check=True, capture_output=True, text=True,
    )
    return result.stdout[result.stdout.index("{"):]


def _postgres_url(name: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def _postgres(statement: str, database: str | None = None) -> str:
    url = _postgres_url(database) if database else POSTGRES_URL
    result = subprocess.run(["psql", url.replace("postgres://", "postgresql://", 1), "-tAc", statement],
                            check=True, capture_output=True, text=True)
    return result.stdout.strip()


def _postgres_has(name: str) -> bool:
    return _postgres(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


SESSIONS_SCRIPT = """
import asyncio, json, sys
from forum.db import close_database, init_database
from forum.services.benchdata import do_start_bench_sessions

async def main(url, secret_key, count):
    await init_database(url)
    try:
        print(json.dumps(await do_start_bench_sessions(secret_key, count)))
    finally:
        await close_database()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def start_sessions(url: str, count: int) -> list[tuple[str, str]]:
    """Sign members in from a new process.

    Tortoise keeps each model's INSERT statement from the first database it was used with,
    so one process cannot write to SQLite and then to PostgreSQL.
    """
    result = subprocess.run(
        [sys.executable, "-c", SESSIONS_SCRIPT, url, SECRET_KEY, str(count)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return [tuple(pair) for pair in json.loads(result.stdout.strip().splitlines()[-1])]


def forum_target(url: str, meta: dict, database: str) -> Target:
    from forum.auth.csrf import CSRF_COOKIE
    from forum.auth.sessions import SESSION_COOKIE

    # Replies come from many members in turn, so the per-member posting limits hold.
    csrf_cookie = "benchmark-csrf-cookie-value"
    writers = [
        (f"{SESSION_COOKIE}={cookie}; {CSRF_COOKIE}={csrf_cookie}",
         {"csrf_token": make_token(SECRET_KEY, csrf_cookie, session_id), "body": REPLY_BODY})
        for cookie, session_id in start_sessions(url, WRITERS)
    ]
    reply_thread = meta["reply_thread_id"]

    def count_rows() -> int:
        query = f"SELECT COUNT(*) FROM post WHERE thread_id = {int(reply_thread)}"
        if database == "sqlite":
            with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
                return connection.execute(query).fetchone()[0]
        return int(_postgres(query, "forum_bench_run"))

    def count_pending() -> int:
        query = "SELECT COUNT(*) FROM watcher_notice"
        if database == "sqlite":
            with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
                return connection.execute(query).fetchone()[0]
        return int(_postgres(query, "forum_bench_run"))

    return Target(
        label=f"forum ({'SQLite' if database == 'sqlite' else 'PostgreSQL'})",
        base_url=f"http://127.0.0.1:{FORUM_PORT}",
        pages=[
            Page("home", "/"),
            Page("skill area", f"/skills/{meta['skill_area']}"),
            Page("role", f"/roles/{meta['role']}"),
            Page("thread", f"/threads/{meta['hot_thread_id']}/{meta['hot_thread_slug']}"),
            Page("thread for a member", f"/threads/{meta['hot_thread_id']}/{meta['hot_thread_slug']}",
                 readers=[cookie for cookie, _ in writers[:200]]),
            *([Page("imported thread", f"/threads/{meta['imported_thread_id']}/{meta['imported_thread_slug']}")]
              if "imported_thread_id" in meta else []),
            Page("search", "/search?" + urllib.parse.urlencode({"q": SEARCH_QUERY})),
            Page("search not kept", "/search?" + urllib.parse.urlencode({"q": SEARCH_QUERY}), new_address=True),
            Page("reply", f"/threads/{reply_thread}/reply", writers=writers, count_rows=count_rows,
                 count_pending=count_pending),
        ],
    )


def signing_key_pem() -> str:
    """Return a new EC P-256 private key in PEM, which production settings require."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def start_forum(url: str, out: Path) -> tuple[Server, Server]:
    """Start ``forum serve`` and, as in production, ``forum worker`` beside it.

    The worker notifies the watchers of each reply, so its work is part of the reply path's
    cost: it runs on the same two cores while the replies are measured.
    """
    env = {
        "FORUM_ENV": "production", "FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": SECRET_KEY,
        "FORUM_BASE_URL": "https://forum.bench.example", "FORUM_DEV_SIGN_IN": "false",
        "FORUM_SECURE_COOKIES": "true", "FORUM_SIGNING_KEY": signing_key_pem(),
    }
    server = Server("forum", [str(VENV_BIN / "forum"), "serve", "--port", str(FORUM_PORT)],
                    cwd=ROOT, env=env, log_path=out / f"server-forum-{url.split(':')[0]}.log")
    server.wait_ready(f"http://127.0.0.1:{FORUM_PORT}/healthz")
    worker = Server("forum worker", [str(VENV_BIN / "forum"), "worker", "--poll-seconds", "0.5"],
                    cwd=ROOT, env=env, log_path=out / f"worker-forum-{url.split(':')[0]}.log")
    return server, worker


# --------------------------------------------------------------------------- Spirit


def spirit_seeded(size: str) -> dict | None:
    marker = SPIRIT_HOME / f"seeded-{size}.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def start_spirit(out: Path) -> Server:
    site = SPIRIT_HOME / "site"
    work = out / "spirit.sqlite3"
    shutil.copyfile(site / "db.sqlite3", work)
    env = {"DJANGO_SETTINGS_MODULE": "peerforum.settings.bench", "SPIRIT_BENCH_DB": str(work)}
    command = [str(SPIRIT_HOME / "venv" / "bin" / "gunicorn"), "--workers", "1", "--worker-class", "sync",
               "--bind", f"127.0.0.1:{SPIRIT_PORT}", "peerforum.wsgi:application"]
    server = Server("spirit", command, cwd=site, env=env, log_path=out / "server-spirit.log")
    server.wait_ready(f"http://127.0.0.1:{SPIRIT_PORT}/")
    server.database = work
    return server


def spirit_target(server: Server, meta: dict) -> Target:
    base = f"http://127.0.0.1:{SPIRIT_PORT}"
    jar = CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/user/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": meta["bench_handle"],
                                   "password": meta["login_password"]}).encode()
    try:
        opener.open(urllib.request.Request(f"{base}/user/login/", data=form,
                                           headers={"Referer": f"{base}/user/login/"}))
    except urllib.error.HTTPError as error:
        if error.code != 302:
            raise
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError("Signing in to Spirit failed: no session cookie came back.")
    cookie_header = {"Cookie": f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"}
    reply_topic = int(meta["reply_thread_id"])

    def count_rows() -> int:
        with sqlite3.connect(server.database) as connection:
            return connection.execute(
                "SELECT COUNT(*) FROM spirit_comment_comment WHERE topic_id = ?", (reply_topic,)
            ).fetchone()[0]

    return Target(
        label="Spirit",
        base_url=base,
        pages=[
            Page("home", meta["home_url"]),
            Page("skill area", meta["category_url"]),
            Page("thread", meta["topic_url"]),
            Page("search", "/search/?" + urllib.parse.urlencode({"q": SEARCH_QUERY}), headers=cookie_header),
            Page("reply", meta["reply_url"], writers=[(cookie_header["Cookie"], {
                "csrfmiddlewaretoken": cookies["csrftoken"], "comment": REPLY_BODY})],
                 count_rows=count_rows),
        ],
    )


# ---------------------------------------------------------------------------- load


def fetch(url: str, headers: dict[str, str]) -> tuple[int, int]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def run_wrk(url: str, page: Page, clients: int, seconds: int, out: Path, tag: str) -> dict:
    script = out / f"wrk-{tag}.lua"
    lua = LUA_REPORT
    if page.writers is not None:
        lua += LUA_POST % {
            "cookies": ", ".join(json.dumps(cookie) for cookie, _ in page.writers),
            "prefixes": ", ".join(json.dumps(urllib.parse.urlencode(form)) for _, form in page.writers),
            "tag": tag, "path": json.dumps(page.path),
        }
    elif page.new_address:
        lua += LUA_NEW_ADDRESS % {"path": json.dumps(page.path), "tag": tag}
    elif page.readers is not None:
        lua += LUA_SIGNED_IN_GET % {
            "cookies": ", ".join(json.dumps(cookie) for cookie in page.readers), "path": json.dumps(page.path),
        }
    script.write_text(lua)
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    if page.writers is None:
        for name, value in page.headers.items():
            command += ["-H", f"{name}: {value}"]
    result = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60)
    (out / f"wrk-{tag}.txt").write_text(result.stdout + result.stderr)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    socket_errors = figures["connect"] + figures["read"] + figures["write"] + figures["timeout"]
    return {
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "requests": figures["requests"],
        "p50_ms": figures["p50_us"] / 1000, "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000, "max_ms": figures["max_us"] / 1000,
        "errors": socket_errors + figures["status"], "status_errors": figures["status"],
        "socket_errors": socket_errors, "bytes": figures["bytes"],
    }


def wait_for_worker(page: Page, seconds: float = 120) -> float | None:
    """Wait until the worker has notified the watchers of every reply; return how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if page.count_pending() == 0:
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    return None


def start_py_spy(server: Server, seconds: int, path: Path) -> subprocess.Popen:
    """Sample the serving process for the length of a run, as collapsed stacks in ``path``.

    Sampling slows the worker a little, so a run profiled this way is still counted but
    reads a few per cent low.
    """
    return subprocess.Popen(
        [str(VENV_BIN / "py-spy"), "record", "--pid", str(server.worker_pid()), "--duration", str(seconds),
         "--rate", "200", "--format", "raw", "--nonblocking", "--output", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def measure_page(target: Target, server: Server, page: Page, args, out: Path, slug: str) -> list[dict]:
    url = target.base_url + page.path
    rows = []
    if page.writers is None:
        headers = {**page.headers, **({"Cookie": page.readers[0]} if page.readers else {})}
        status, size = fetch(url, headers)
        if status == 404 and page.name == "search":
            log(f"{target.label} {page.name}: not built (HTTP 404), not measured.")
            return [{"target": target.label, "page": page.name, "status": "not built"}]
        if status != 200:
            raise RuntimeError(f"{target.label} {page.name}: {url} returned HTTP {status}, expected 200.")
    else:
        size = 0
    server.wait_idle()
    warm = run_wrk(url, page, 16, args.warmup, out, f"{slug}-warmup")
    log(f"{target.label} {page.name}: {size:,} bytes, warm-up {warm['rps']:.0f} requests/s.")
    for clients in args.clients:
        for run in range(1, args.runs + 1):
            server.wait_idle()
            before = page.count_rows() if page.count_rows else None
            load = os.getloadavg()[0]
            spy = start_py_spy(server, args.duration, out / f"py-spy-{slug}-c{clients}.txt") \
                if args.py_spy and run == 1 else None
            figures = run_wrk(url, page, clients, args.duration, out, f"{slug}-c{clients}-r{run}")
            if spy is not None:
                spy.wait(timeout=60)
            rss, peak, private = server.memory_mb()
            row = {"target": target.label, "page": page.name, "clients": clients, "run": run,
                   "bytes_per_page": size, "rss_mb": round(rss, 1), "peak_rss_mb": round(peak, 1),
                   "private_rss_mb": round(private, 1),
                   "load_average_before": round(load, 2),
                   **figures}
            if page.count_rows:
                time.sleep(1)
                added = page.count_rows() - before
                successes = figures["requests"] - figures["errors"]
                row.update(rows_added=added, successes=successes, lost_writes=max(successes - added, 0))
            if page.count_pending:
                row.update(pending_after_run=page.count_pending(), worker_caught_up_s=wait_for_worker(page))
            rows.append(row)
            log(f"  {clients} clients run {run}: {figures['rps']:.1f} requests/s, "
                f"p99 {figures['p99_ms']:.1f} ms, errors {figures['errors']}"
                + (f", rows added {row['rows_added']} for {row['successes']} successes" if page.count_rows else "")
                + (f", {row['pending_after_run']} left to the worker, caught up after {row['worker_caught_up_s']} s"
                   if page.count_pending else ""))
    return rows


def measure_target(target: Target, server: Server, args, out: Path) -> list[dict]:
    rows = []
    for page in target.pages:
        if page.name in args.pages:
            slug = re.sub(r"[^a-z0-9]+", "-", f"{target.label}-{page.name}".lower()).strip("-")
            rows += measure_page(target, server, page, args, out, slug)
    return rows


# -------------------------------------------------------------------------- report


def summarise(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if "clients" in row:
            groups.setdefault((row["target"], row["page"], row["clients"]), []).append(row)
    summary = []
    for (target, page, clients), runs in groups.items():
        median = {key: statistics.median(run[key] for run in runs)
                  for key in ("rps", "p50_ms", "p95_ms", "p99_ms")}
        entry = {"target": target, "page": page, "clients": clients, "runs": len(runs),
                 "rps_runs": [round(run["rps"], 1) for run in runs],
                 **{key: round(value, 2) for key, value in median.items()},
                 "errors": sum(run["errors"] for run in runs),
                 "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
                 "private_rss_mb": max(run["private_rss_mb"] for run in runs),
                 "bytes_per_page": runs[0]["bytes_per_page"]}
        if "lost_writes" in runs[0]:
            entry["lost_writes"] = sum(run["lost_writes"] for run in runs)
            entry["rows_added"] = sum(run["rows_added"] for run in runs)
        if "pending_after_run" in runs[0]:
            entry["pending_after_run"] = max(run["pending_after_run"] for run in runs)
            waits = [run["worker_caught_up_s"] for run in runs]
            entry["worker_caught_up_s"] = None if None in waits else max(waits)
        summary.append(entry)
    return summary


def _figure(entry: dict | None) -> str:
    if entry is None:
        return "–"
    return f"{entry['rps']:.0f} ({entry['p50_ms']:.0f}/{entry['p95_ms']:.0f}/{entry['p99_ms']:.0f} ms)"


def markdown_tables(summary: list[dict], rows: list[dict]) -> str:
    index = {(entry["target"], entry["page"], entry["clients"]): entry for entry in summary}
    forum_labels = [label for label in ("forum (SQLite)", "forum (PostgreSQL)")
                    if any(entry["target"] == label for entry in summary)]
    has_spirit = any(entry["target"] == "Spirit" for entry in summary)
    not_built = {(row["target"], row["page"]) for row in rows if row.get("status") == "not built"}

    lines = ["Requests per second, median of the runs, with p50/p95/p99 latency in brackets.", ""]
    header = ["page", "clients", *forum_labels]
    if has_spirit:
        header += ["Spirit", *[f"ratio {label.split('(')[1][:-1]}/Spirit" for label in forum_labels]]
    header += ["ceiling (static page of that size)"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    clients_seen = sorted({entry["clients"] for entry in summary})
    for page in PAGES:
        for clients in clients_seen:
            ours = [index.get((label, page, clients)) for label in forum_labels]
            if all(entry is None for entry in ours) and not any((label, page) in not_built for label in forum_labels):
                continue
            cells = [page, str(clients)]
            for label, entry in zip(forum_labels, ours, strict=True):
                cells.append("not built yet" if (label, page) in not_built else _figure(entry))
            if has_spirit:
                spirit_page = SPIRIT_EQUIVALENT.get(page, page)
                spirit = index.get(("Spirit", spirit_page, clients))
                note = {"role": " (its category page)", "thread for a member": " (its topic page, visitors)"}
                cells.append(_figure(spirit) + (note.get(page, "") if spirit else ""))
                for entry in ours:
                    ratio = entry["rps"] / spirit["rps"] if entry and spirit and spirit["rps"] else None
                    cells.append(f"{ratio:.1f}×" if ratio else "–")
            ceiling = index.get(("ceiling", f"static {page}", clients)) or index.get(
                ("ceiling", "static home", clients))
            cells.append(_figure(ceiling) if page != "reply" else "–")
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Errors, peak worker memory and writes:", "",
              "| target | page | clients | errors | peak RSS MB | private RSS MB | bytes per page | rows added / lost writes "
              "| watcher notices left / worker caught up |",
              "|---|---|---|---|---|---|---|---|---|"]
    for entry in summary:
        writes = f"{entry['rows_added']} / {entry['lost_writes']}" if "lost_writes" in entry else ""
        backlog = ""
        if "pending_after_run" in entry:
            caught_up = entry["worker_caught_up_s"]
            backlog = f"{entry['pending_after_run']} / " + (f"{caught_up} s" if caught_up is not None else "not in 120 s")
        lines.append(f"| {entry['target']} | {entry['page']} | {entry['clients']} | {entry['errors']} | "
                     f"{entry['peak_rss_mb']:.0f} | {entry['private_rss_mb']:.0f} | {entry['bytes_per_page']:,} | {writes} "
                     f"| {backlog} |")
    if any(entry["target"] == "ceiling" for entry in summary):
        lines += ["", "Ceiling app: " + "; ".join(
            f"{entry['page']} at {entry['clients']} clients {_figure(entry)}"
            for entry in summary if entry["target"] == "ceiling")]
    return "\n".join(lines) + "\n"


def versions() -> dict:
    def command_output(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "unavailable"

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    forum_packages = command_output([str(VENV_BIN / "pip"), "freeze"]).splitlines()
    spirit_freeze = SPIRIT_HOME / "pip-freeze.txt"
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu}",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": command_output(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "missing",
        "postgresql": command_output(["psql", "--version"]),
        "sqlite": sqlite3.sqlite_version,
        "forum packages": [line for line in forum_packages if re.match(
            r"(?i)(quart|hypercorn|tortoise-orm|jinja2|asyncpg|aiosqlite|uvloop)==", line)],
        "spirit packages": [line for line in (spirit_freeze.read_text().splitlines() if spirit_freeze.exists() else [])
                            if re.match(r"(?i)(django|django-spirit|gunicorn|whoosh)==", line)],
    }


# ---------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load-test the forum, the ceiling app and Spirit.")
    parser.add_argument("--targets", default="forum,ceiling,spirit",
                        help="Comma-separated: forum, ceiling, spirit (Spirit only when seeded).")
    parser.add_argument("--databases", default="sqlite,postgres", help="Forum databases: sqlite, postgres.")
    parser.add_argument("--size", default="small", choices=["small", "large"], help="Data set size.")
    parser.add_argument("--pages", default=",".join(PAGES), help="Comma-separated pages to measure.")
    parser.add_argument("--clients", default="16,64", help="Comma-separated concurrent connections.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per page and client count.")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per run.")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per page.")
    parser.add_argument("--py-spy", action="store_true",
                        help="Sample the server with py-spy during each page's first run (bench extra).")
    parser.add_argument("--out", help="Results folder; default bench/results/<UTC time>.")
    args = parser.parse_args()
    args.targets = args.targets.split(",")
    args.databases = args.databases.split(",")
    args.pages = args.pages.split(",")
    args.clients = [int(value) for value in args.clients.split(",")]
    return args


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: install it with 'apt-get install wrk'.")
    out = Path(args.out).resolve() if args.out else RESULTS_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    rows: list[dict] = []
    page_sizes: dict[str, int] = {}

    if "forum" in args.targets:
        for database in args.databases:
            url, meta = ensure_forum_data(args.size, database)
            target = forum_target(url, meta, database)
            server, worker = start_forum(url, out)
            try:
                found = measure_target(target, server, args, out)
            finally:
                server.stop()
                worker.stop()
            rows += found
            for row in found:
                if row.get("bytes_per_page"):
                    page_sizes.setdefault(row["page"], row["bytes_per_page"])

    if "ceiling" in args.targets:
        server = Server("ceiling", [sys.executable, str(ROOT / "bench" / "ceiling" / "app.py"),
                                    "--port", str(CEILING_PORT)], cwd=ROOT, env={},
                        log_path=out / "server-ceiling.log")
        server.wait_ready(f"http://127.0.0.1:{CEILING_PORT}/jinja")
        # Two sizes cover the pages: the lists and search are within a tenth of the home page.
        sizes = {name: size for name, size in page_sizes.items() if name in ("home", "thread")}
        sizes = sizes or {"home": 35_000, "thread": 100_000}
        pages = [Page(f"static {name}", f"/static/{size}") for name, size in sizes.items()]
        pages.append(Page("jinja", "/jinja"))
        try:
            ceiling = Target("ceiling", f"http://127.0.0.1:{CEILING_PORT}", pages)
            ceiling_args = argparse.Namespace(**{**vars(args), "pages": [page.name for page in pages]})
            rows += measure_target(ceiling, server, ceiling_args, out)
        finally:
            server.stop()

    if "spirit" in args.targets:
        meta = spirit_seeded(args.size)
        if meta is None:
            log("Spirit is not seeded, so it is not measured: run 'make bench-peer' once.")
        else:
            server = start_spirit(out)
            try:
                rows += measure_target(spirit_target(server, meta), server, args, out)
            finally:
                server.stop()
                Path(server.database).unlink(missing_ok=True)

    summary = summarise(rows)
    table = markdown_tables(summary, rows)
    report = {"started": datetime.now(UTC).isoformat(), "seconds": round(time.monotonic() - started),
              "arguments": {key: value for key, value in vars(args).items()}, "versions": versions(),
              "summary": summary, "runs": rows}
    (out / "results.json").write_text(json.dumps(report, indent=2))
    (out / "summary.md").write_text(table)
    print(table)
    log(f"Results in {out} ({report['seconds']} s).")


if __name__ == "__main__":
    main()
