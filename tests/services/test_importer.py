"""Tests for the Stack Exchange importer, against the real sample dump and small
files written for each case."""

import codecs
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from forum.markdown import RENDERER_VERSION
from forum.services import importer
from forum.services.importer import (
    DEFAULT_TAG_MAP,
    ImportFileError,
    parse_tags,
    run_stackexchange_import,
    site_from_path,
)
from models import Member, Post, Revision, SkillArea, Thread, ThreadState

REPO = Path(__file__).parents[2]
SHARED_DATA = REPO / ".." / "shared" / "data"
REAL_POSTS = SHARED_DATA / "stackexchange" / "datascience-meta-Posts.xml"
REAL_SITE = "datascience.meta.stackexchange.com"
SAMPLE_TAG_MAP = REPO / "docs" / "examples" / "stackexchange-tag-map.json"
SITE = "example.stackexchange.com"
DEFAULT_AREA = "programming-reproducible-analysis"


async def run_import(path, **options):
    settings = {
        "default_skill_area": DEFAULT_AREA,
        "tag_map_path": None,
        "max_length": 20000,
        "site": None,
        "progress": False,
    }
    return await run_stackexchange_import(path, **{**settings, **options})


def question(post_id, **attributes):
    row = {
        "Id": post_id,
        "PostTypeId": 1,
        "CreationDate": "2016-03-01T09:00:00.000",
        "Title": f"How should question {post_id} be answered?",
        "Body": f"<p>Question {post_id} body.</p>",
        "Tags": "<discussion>",
        "OwnerUserId": 10,
    }
    return {**row, **attributes}


def answer(post_id, parent_id, **attributes):
    row = {
        "Id": post_id,
        "PostTypeId": 2,
        "ParentId": parent_id,
        "CreationDate": "2016-03-02T09:00:00.000",
        "Body": f"<p>Answer {post_id} body.</p>",
        "OwnerUserId": 20,
    }
    return {**row, **attributes}


def write_posts(directory: Path, rows, *, name="example-Posts.xml", bom=False, doctype=""):
    """Write a Posts.xml with one <row> per dict; None values leave the attribute out."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>']
    if doctype:
        lines.append(doctype)
    lines.append("<posts>")
    for row in rows:
        attributes = " ".join(
            f"{key}={quoteattr(str(value))}" for key, value in row.items() if value is not None
        )
        lines.append(f"  <row {attributes} />")
    lines.append("</posts>")
    data = "\n".join(lines).encode("utf-8")
    path = directory / name
    path.write_bytes(codecs.BOM_UTF8 + data if bom else data)
    return path


async def table_counts() -> dict[str, int]:
    return {
        "threads": await Thread.all().count(),
        "posts": await Post.all().count(),
        "revisions": await Revision.all().count(),
        "members": await Member.all().count(),
    }


# The real Data Science Meta dump -----------------------------------------------


def test_shared_data_present():
    assert REAL_POSTS.is_file(), f"sample dump missing at {REAL_POSTS.resolve()}"


async def test_real_file_summary():
    summary = await run_import(REAL_POSTS)

    assert summary.threads_added == 95
    assert summary.posts_added == 152
    assert summary.accepted_answers == 39
    assert summary.skipped_existing == 0
    assert summary.skipped_other_types == {}
    assert summary.failed_rows == []
    assert summary.orphan_answers == 0
    assert summary.seconds > 0


async def test_real_file_table_counts():
    await run_import(REAL_POSTS)

    assert await Thread.filter(source_site=REAL_SITE).count() == 95
    assert await Post.filter(source_site=REAL_SITE).count() == 247
    assert await Post.filter(number=1).count() == 95
    assert await Post.filter(number__gt=1).count() == 152
    assert await Revision.filter(number=1).count() == 247
    assert await Revision.all().count() == 247


async def test_real_file_accepted_answers():
    await run_import(REAL_POSTS)

    solved = await Thread.filter(state=ThreadState.SOLVED)
    assert len(solved) == 39
    for thread in solved:
        accepted = await Post.get(id=thread.accepted_post_id)
        assert accepted.thread_id == thread.id
        assert accepted.number > 1
    assert await Thread.filter(state=ThreadState.OPEN, accepted_post_id__isnull=True).count() == 56


async def test_real_file_posts_rendered():
    await run_import(REAL_POSTS)

    for post in await Post.all():
        assert post.source.strip(), post.source_id
        assert post.html.strip(), post.source_id
        assert post.renderer_version == RENDERER_VERSION
        revisions = await Revision.filter(post_id=post.id)
        assert [revision.number for revision in revisions] == [1]
        assert revisions[0].source == post.source
        assert revisions[0].html == post.html
        assert revisions[0].editor_id == post.author_id
        assert revisions[0].created_at == post.created_at


async def test_real_file_attribution():
    await run_import(REAL_POSTS)

    for thread in await Thread.all().prefetch_related("audience_roles"):
        assert thread.source_site == REAL_SITE
        assert thread.source_url == f"https://{REAL_SITE}/questions/{thread.source_id}"
        # The dump has no ContentLicense and was written between 2014 and 2017.
        assert thread.source_license == "CC BY-SA 3.0"
        assert {role.slug for role in thread.audience_roles} == {"la-data", "cg-data"}

    members = await Member.all()
    assert members
    for member in members:
        assert member.is_imported
        assert member.email is None
        assert member.source_site == REAL_SITE
        if member.source_id == "-1":
            # Stack Exchange's Community bot owns a few posts in this dump.
            assert member.handle == "se-datascience-meta-community"
            continue
        assert member.handle == f"se-datascience-meta-{member.source_id}"
        assert member.display_name == f"Stack Exchange user {member.source_id}"

    first = await Thread.get(source_id="1").prefetch_related("author")
    assert first.author.source_id == "9"
    assert first.created_at == datetime(2014, 5, 14, 0, 15, 22, 253000, tzinfo=UTC)


async def test_real_file_thread_counters():
    await run_import(REAL_POSTS)

    for thread in await Thread.all():
        posts = await Post.filter(thread_id=thread.id).order_by("number")
        assert thread.post_count == len(posts)
        assert [post.number for post in posts] == list(range(1, len(posts) + 1))
        answer_dates = [post.created_at for post in posts[1:]]
        assert answer_dates == sorted(answer_dates)
        latest = max(posts, key=lambda post: post.created_at)
        assert thread.last_activity_at == latest.created_at
        assert thread.last_poster_id == latest.author_id


async def test_real_file_second_run_adds_nothing():
    await run_import(REAL_POSTS)
    before = await table_counts()

    summary = await run_import(REAL_POSTS)

    assert summary.threads_added == 0
    assert summary.posts_added == 0
    assert summary.accepted_answers == 0
    assert summary.failed_rows == []
    assert summary.skipped_existing == 247
    assert await table_counts() == before


async def test_real_file_queries_per_thread(count_queries):
    await run_import(REAL_POSTS)

    # Each new thread costs about eight statements (measured on SQLite). The bound
    # leaves room for start-up queries.
    assert count_queries.count <= 95 * 10 + 20, count_queries.count


# Synthetic files ----------------------------------------------------------------


async def test_pipe_tags_bom_and_licence(tmp_path):
    rows = [question(1, Tags="|sql|python|", ContentLicense="CC BY-SA 4.0")]
    path = write_posts(tmp_path, rows, bom=True)
    assert path.read_bytes().startswith(codecs.BOM_UTF8)

    summary = await run_import(path)

    assert summary.threads_added == 1
    thread = await Thread.get(source_id="1").prefetch_related("skill_area")
    assert thread.source_site == SITE
    assert thread.source_license == "CC BY-SA 4.0"
    # "sql" is the first tag and the built-in map sends it to SQL.
    assert thread.skill_area.slug == "sql-data-engineering"


def test_parse_tags_both_notations():
    assert parse_tags("<sql><python-3.x>") == ["sql", "python-3.x"]
    assert parse_tags("|sql|python-3.x|") == ["sql", "python-3.x"]
    assert parse_tags("|R|r|") == ["r"]
    assert parse_tags("") == []
    assert parse_tags(None) == []


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"CreationDate": "2010-06-01T00:00:00"}, "CC BY-SA 2.5"),
        ({"CreationDate": "2018-05-01T23:59:59"}, "CC BY-SA 3.0"),
        ({"CreationDate": "2018-05-02T00:00:00"}, "CC BY-SA 4.0"),
        ({"CreationDate": "2016-01-01T00:00:00", "LastEditDate": "2019-01-01T00:00:00"},
         "CC BY-SA 4.0"),
    ],
)  # fmt: skip
async def test_licence_from_dates(tmp_path, dates, expected):
    path = write_posts(tmp_path, [question(1, **dates)])

    await run_import(path)

    thread = await Thread.get(source_id="1")
    assert thread.source_license == expected


async def test_other_post_types_counted(tmp_path):
    rows = [
        question(1),
        {"Id": 2, "PostTypeId": 4, "CreationDate": "2016-01-01T00:00:00", "Body": "<p>x</p>"},
        {"Id": 3, "PostTypeId": 5, "CreationDate": "2016-01-01T00:00:00", "Body": "<p>y</p>"},
        {"Id": 4, "PostTypeId": 4, "CreationDate": "2016-01-01T00:00:00", "Body": "<p>z</p>"},
        answer(5, 1),
    ]
    path = write_posts(tmp_path, rows)

    summary = await run_import(path)

    assert summary.skipped_other_types == {4: 2, 5: 1}
    assert summary.threads_added == 1
    assert summary.posts_added == 1
    assert await Post.all().count() == 2
    assert "2 of type 4 (tag wiki excerpt)" in summary.describe()


async def test_malformed_rows_reported(tmp_path):
    rows = [
        question(None),
        question(2, CreationDate="yesterday"),
        question(3),
        answer(4, 3, Body="<p>" + "x" * 500 + "</p>"),
        answer(5, None),
        answer(6, 3),
        question(7, PostTypeId="question"),
    ]
    path = write_posts(tmp_path, rows)

    summary = await run_import(path, max_length=300)

    reasons = dict(summary.failed_rows)
    assert set(reasons) == {"#1", "2", "4", "5", "7"}
    assert "Id is missing" in reasons["#1"]
    assert "not a valid date" in reasons["2"]
    assert "over the limit of 300 characters" in reasons["4"]
    assert "ParentId is missing" in reasons["5"]
    assert "PostTypeId" in reasons["7"]
    assert summary.threads_added == 1
    assert summary.posts_added == 1
    thread = await Thread.get(source_id="3")
    assert thread.post_count == 2
    assert await Post.filter(source_id="6", thread_id=thread.id).exists()
    assert not await Post.filter(source_id="4").exists()


async def test_failed_rows_logged_without_bodies(tmp_path, caplog):
    secret = "body-text-that-must-not-be-logged"
    rows = [question(1, Body=f"<p>{secret}</p>"), answer(2, 1, Body=f"<p>{secret} {'x' * 400}</p>")]
    path = write_posts(tmp_path, rows)
    caplog.set_level(logging.INFO, logger="forum.services.importer")

    await run_import(path, max_length=300)

    importer_records = [r for r in caplog.records if r.name == "forum.services.importer"]
    warnings = [r for r in importer_records if r.levelno == logging.WARNING]
    assert any(getattr(r, "row_id", None) == "2" for r in warnings)
    assert any(r.getMessage() == "Stack Exchange import finished" for r in importer_records)
    assert all(secret not in r.getMessage() for r in importer_records)


async def test_orphan_answer_counted(tmp_path):
    rows = [question(1), answer(2, 1), answer(3, 99)]
    path = write_posts(tmp_path, rows)

    summary = await run_import(path)

    assert summary.orphan_answers == 1
    assert summary.posts_added == 1
    assert summary.failed_rows == []
    assert not await Post.filter(source_id="3").exists()


async def test_failed_question_answers_are_orphans(tmp_path):
    rows = [question(1, Title=None), answer(2, 1), answer(3, 1), question(4)]
    path = write_posts(tmp_path, rows)

    summary = await run_import(path)

    assert summary.failed_rows == [("1", "Title is missing")]
    assert summary.orphan_answers == 2
    assert summary.threads_added == 1
    assert not await Thread.filter(source_id="1").exists()


async def test_entity_bomb_rejected(tmp_path):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    ]
    doctype = "<!DOCTYPE posts [\n" + "\n".join(entities) + "\n]>"
    path = write_posts(tmp_path, [question(1)], doctype=doctype)
    text = path.read_text().replace("Question 1 body.", "&lol9;")
    path.write_text(text)

    with pytest.raises(ImportFileError, match="entity 'lol0'"):
        await run_import(path)

    assert await table_counts() == {"threads": 0, "posts": 0, "revisions": 0, "members": 0}


async def test_broken_xml_rejected_before_writing(tmp_path):
    path = write_posts(tmp_path, [question(1), answer(2, 1)])
    path.write_text(path.read_text().replace("</posts>", "<row Id='3'"))

    with pytest.raises(ImportFileError, match="not well-formed XML"):
        await run_import(path)

    assert await Thread.all().count() == 0


async def test_wrong_root_element_rejected(tmp_path):
    path = tmp_path / "example-Posts.xml"
    path.write_text('<?xml version="1.0"?><users><row Id="1" /></users>')

    with pytest.raises(ImportFileError, match="<users>"):
        await run_import(path)


async def test_tag_map_routes_tags(tmp_path):
    tag_map = tmp_path / "tags.json"
    tag_map.write_text(json.dumps({"etl": "data-quality", "Power-BI": "power-bi"}))
    rows = [
        question(1, Tags="<discussion><etl><power-bi>"),
        question(2, Tags="<power-bi>"),
        question(3, Tags="<sql>"),
    ]
    path = write_posts(tmp_path, rows)

    await run_import(path, tag_map_path=str(tag_map))

    areas = {
        thread.source_id: thread.skill_area.slug
        for thread in await Thread.all().prefetch_related("skill_area")
    }
    assert areas["1"] == "data-quality"
    assert areas["2"] == "power-bi"
    # A tag map file replaces the built-in map, so "sql" falls back to the default.
    assert areas["3"] == DEFAULT_AREA


async def test_unknown_slug_in_tag_map_rejected(tmp_path):
    tag_map = tmp_path / "tags.json"
    tag_map.write_text(json.dumps({"sql": "sql-data-engineering", "etl": "no-such-area"}))
    path = write_posts(tmp_path, [question(1), answer(2, 1)])

    with pytest.raises(ValueError, match="'no-such-area'"):
        await run_import(path, tag_map_path=str(tag_map))

    assert await table_counts() == {"threads": 0, "posts": 0, "revisions": 0, "members": 0}


async def test_unknown_default_skill_area_rejected(tmp_path):
    path = write_posts(tmp_path, [question(1)])

    with pytest.raises(ValueError, match="'no-such-area'"):
        await run_import(path, default_skill_area="no-such-area")

    assert await Thread.all().count() == 0


async def test_invalid_tag_map_file_rejected(tmp_path):
    tag_map = tmp_path / "tags.json"
    tag_map.write_text('["sql"]')
    path = write_posts(tmp_path, [question(1)])

    with pytest.raises(ValueError, match="must be a JSON object"):
        await run_import(path, tag_map_path=str(tag_map))


async def test_sample_tag_map_matches_builtin():
    sample = json.loads(SAMPLE_TAG_MAP.read_text())
    slugs = set(await SkillArea.all().values_list("slug", flat=True))

    assert sample == DEFAULT_TAG_MAP
    assert set(DEFAULT_TAG_MAP.values()) <= slugs


async def test_code_blocks_fenced_and_highlighted(tmp_path):
    rows = [
        question(
            1,
            Tags="<sql>",
            Body=(
                "<p>Run this:</p>\n"
                '<pre class="lang-py prettyprint-override"><code>def total(rows):\n'
                "    return sum(rows)\n</code></pre>"
            ),
        ),
        answer(2, 1, Body="<pre><code>SELECT 1 FROM dual;\n</code></pre>"),
        answer(3, 1, Body="<pre><code>print('```')\n</code></pre><p>Inline <code>a_b</code></p>"),
    ]
    path = write_posts(tmp_path, rows)

    await run_import(path)

    opening = await Post.get(source_id="1")
    assert "```py\ndef total(rows):\n    return sum(rows)\n```" in opening.source
    assert '<code class="language-python">' in opening.html
    assert '<span class="hl-k">def</span>' in opening.html

    # Code without a language takes it from the question's tags.
    unlabelled = await Post.get(source_id="2")
    assert "```sql\nSELECT 1 FROM dual;\n```" in unlabelled.source
    assert '<code class="language-sql">' in unlabelled.html
    assert 'class="hl-k"' in unlabelled.html

    backticks = await Post.get(source_id="3")
    assert "````sql\nprint('```')\n````" in backticks.source
    assert "`a_b`" in backticks.source
    assert "<code>a_b</code>" in backticks.html


async def test_links_kept_and_made_absolute(tmp_path):
    body = (
        '<h2>Links</h2><p>See <a href="/questions/5">this</a>, '
        '<a href="https://example.org/a_b?x=1">that</a> and '
        '<img src="//i.stack.imgur.com/abc.png" alt="chart"></p>'
    )
    path = write_posts(tmp_path, [question(1, Body=body)])

    await run_import(path)

    post = await Post.get(source_id="1")
    assert post.source.startswith("## Links")
    assert f"[this](https://{SITE}/questions/5)" in post.source
    assert "[that](https://example.org/a_b?x=1)" in post.source
    assert "![chart](https://i.stack.imgur.com/abc.png)" in post.source
    assert f'href="https://{SITE}/questions/5"' in post.html
    assert 'src="https://i.stack.imgur.com/abc.png"' in post.html


async def test_answers_before_question_numbered_by_date(tmp_path):
    rows = [
        answer(3, 1, CreationDate="2016-03-01T11:00:00", OwnerUserId=30),
        answer(2, 1, CreationDate="2016-03-01T12:00:00", OwnerUserId=31),
        answer(4, 1, CreationDate="2016-03-01T11:00:00", OwnerUserId=32),
        question(1, CreationDate="2016-03-01T10:00:00", AcceptedAnswerId=2),
    ]
    path = write_posts(tmp_path, rows)

    summary = await run_import(path)

    assert summary.posts_added == 3
    assert summary.orphan_answers == 0
    thread = await Thread.get(source_id="1").prefetch_related("last_poster")
    numbers = dict(await Post.filter(thread_id=thread.id).values_list("source_id", "number"))
    # Same time for answers 3 and 4, so Id breaks the tie.
    assert numbers == {"1": 1, "3": 2, "4": 3, "2": 4}
    assert thread.post_count == 4
    assert thread.last_activity_at == datetime(2016, 3, 1, 12, tzinfo=UTC)
    assert thread.last_poster.source_id == "31"
    assert thread.state == ThreadState.SOLVED
    accepted = await Post.get(id=thread.accepted_post_id)
    assert accepted.source_id == "2"


async def test_accepted_answer_missing_leaves_thread_open(tmp_path):
    path = write_posts(tmp_path, [question(1, AcceptedAnswerId=2), answer(3, 1)])

    summary = await run_import(path)

    assert summary.accepted_answers == 0
    thread = await Thread.get(source_id="1")
    assert thread.state == ThreadState.OPEN
    assert thread.accepted_post_id is None


async def test_newer_dump_appends_answers(tmp_path):
    first = write_posts(tmp_path, [question(1), answer(2, 1)], name="first-Posts.xml")
    await run_import(first, site=SITE)
    newer_rows = [
        question(1, AcceptedAnswerId=3),
        answer(2, 1),
        answer(3, 1, CreationDate="2017-01-01T08:00:00", OwnerUserId=40),
    ]
    newer = write_posts(tmp_path, newer_rows, name="newer-Posts.xml")

    summary = await run_import(newer, site=SITE)

    assert summary.threads_added == 0
    assert summary.posts_added == 1
    assert summary.skipped_existing == 2
    assert summary.accepted_answers == 1
    thread = await Thread.get(source_id="1")
    added = await Post.get(source_id="3")
    assert added.thread_id == thread.id
    assert added.number == 3
    assert thread.post_count == 3
    assert thread.last_activity_at == datetime(2017, 1, 1, 8, tzinfo=UTC)
    assert thread.last_poster_id == added.author_id
    assert thread.accepted_post_id == added.id
    assert thread.state == ThreadState.SOLVED
    assert await Revision.filter(post_id=added.id, number=1).exists()


async def test_resume_after_crash(tmp_path, monkeypatch):
    rows = [question(1), answer(2, 1), question(3), answer(4, 3), question(5)]
    path = write_posts(tmp_path, rows)
    real_create_thread = importer._create_thread
    calls = 0

    async def crash_on_second_thread(context, question_row, answers):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("simulated crash")
        await real_create_thread(context, question_row, answers)

    monkeypatch.setattr(importer, "_create_thread", crash_on_second_thread)
    with pytest.raises(RuntimeError, match="simulated crash"):
        await run_import(path)
    assert await Thread.all().count() == 1
    monkeypatch.setattr(importer, "_create_thread", real_create_thread)

    summary = await run_import(path)

    assert summary.threads_added == 2
    assert summary.posts_added == 1
    assert summary.skipped_existing == 2
    assert sorted(await Thread.all().values_list("source_id", flat=True)) == ["1", "3", "5"]
    assert await Post.all().count() == 5


async def test_placeholder_authors(tmp_path):
    rows = [
        question(1, OwnerUserId=7, OwnerDisplayName="Shown only without a user id"),
        answer(2, 1, OwnerUserId=None, OwnerDisplayName="Former Member"),
        answer(3, 1, OwnerUserId=None),
        question(4, OwnerUserId=None),
        answer(5, 4, OwnerUserId=-1),
    ]
    path = write_posts(tmp_path, rows)

    await run_import(path)

    members = {member.source_id: member for member in await Member.all()}
    assert len(members) == 4
    assert members["7"].display_name == "Stack Exchange user 7"
    assert members["7"].handle == "se-example-7"
    named = next(m for key, m in members.items() if key.startswith("name:"))
    assert named.display_name == "Former Member"
    assert named.handle == "se-example-former-member"
    assert members["unknown"].display_name == "Unknown author"
    assert members["-1"].handle == "se-example-community"
    for member in members.values():
        assert member.is_imported
        assert member.email is None
        assert member.state == "active"
        assert member.source_site == SITE
    unknown_posts = await Post.filter(author_id=members["unknown"].id).count()
    assert unknown_posts == 2


async def test_handle_clash_numbered(tmp_path):
    await Member.create(handle="se-example-7", display_name="A real member", email="a@example.org")
    path = write_posts(tmp_path, [question(1, OwnerUserId=7)])

    await run_import(path)

    imported = await Member.get(source_site=SITE, source_id="7")
    assert imported.handle == "se-example-7-2"


async def test_long_site_handles_fit(tmp_path):
    site = "a-very-long-community-name-for-testing.meta.stackexchange.com"
    path = write_posts(tmp_path, [question(1, OwnerUserId=123456789)])

    await run_import(path, site=site)

    member = await Member.get(source_site=site)
    assert len(member.handle) <= 40
    assert member.handle.endswith("-123456789")
    assert member.handle.startswith("se-a-very-long")


async def test_progress_bar_only_when_asked(tmp_path, capsys):
    path = write_posts(tmp_path, [question(1)])

    await run_import(path, progress=False)
    quiet = capsys.readouterr()
    await run_import(path, progress=True)
    with_progress = capsys.readouterr()

    assert "Importing" not in quiet.err + quiet.out
    assert "Importing example-Posts.xml" in with_progress.err
    assert "Importing" not in with_progress.out


async def test_describe_lists_counts_and_failures(tmp_path):
    rows = [question(1), answer(2, 1), question(3, Title=None), answer(4, 99)]
    path = write_posts(tmp_path, rows)

    text = (await run_import(path)).describe()

    assert "Threads added: 1" in text
    assert "Answers added: 1" in text
    assert "Answers skipped because their question was not imported: 1" in text
    assert "Rows that failed: 1" in text
    assert "  Id 3: Title is missing" in text


@pytest.mark.parametrize(
    ("relative_path", "expected"),
    [
        ("datascience-meta-Posts.xml", "datascience.meta.stackexchange.com"),
        ("stats-Posts.xml", "stats.stackexchange.com"),
        ("stackoverflow.com-Posts.xml", "stackoverflow.com"),
        ("stats.stackexchange.com/Posts.xml", "stats.stackexchange.com"),
    ],
)
async def test_site_from_file_name(tmp_path, relative_path, expected):
    assert site_from_path(tmp_path / relative_path) == expected


@pytest.mark.parametrize("relative_path", ["dump/Posts.xml", "answers.xml", "myposts.xml"])
async def test_site_from_file_name_rejected(tmp_path, relative_path):
    with pytest.raises(ValueError, match="--site"):
        site_from_path(tmp_path / relative_path)


async def test_invalid_site_argument_rejected(tmp_path):
    path = write_posts(tmp_path, [question(1)])

    with pytest.raises(ValueError, match="Invalid source site"):
        await run_import(path, site="not a host")


async def test_missing_file_rejected(tmp_path):
    with pytest.raises(ImportFileError, match="not found"):
        await run_import(tmp_path / "absent-Posts.xml")


async def test_shared_ids_rejected(tmp_path):
    rows = [
        question(1),
        answer(2, 1),
        answer(1, 1),
        question(2),
        answer(3, 99, Id=2**64),
    ]
    path = write_posts(tmp_path, rows)

    summary = await run_import(path)

    reasons = dict(summary.failed_rows)
    assert reasons["1"] == "Id is already used by a question"
    assert reasons["2"] == "Id is already used by an answer"
    assert "out of range" in reasons[str(2**64)]
    assert summary.threads_added == 1
    assert summary.posts_added == 1
    assert await Post.all().count() == 2
