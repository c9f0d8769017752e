"""Seed a Spirit (django-spirit 0.14) project with the forum's benchmark data set.

Run it with the Spirit virtual environment's Python from the project folder:

    cd bench/.spirit/site && ../venv/bin/python ../../spirit/seed.py --size small \\
        --taxonomy ../taxonomy.json

The data set is the forum's own (``forum/services/benchdata.py``, loaded by path because
it needs only the standard library), so both forums hold the same members, threads, posts
and bodies. Skill areas become Spirit categories, threads topics, posts comments. Spirit
renders the pool of bodies with its own Markdown renderer. Spirit has no audience roles,
so those are left out. The search index is built last, which takes most of the time.
"""

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_benchdata():
    spec = importlib.util.spec_from_file_location(
        "benchdata", ROOT / "forum" / "services" / "benchdata.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchdata"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", help="Data set size: small or large.")
    parser.add_argument("--taxonomy", required=True, help="JSON from bench/taxonomy.py.")
    parser.add_argument("--no-index", action="store_true", help="Skip the search index.")
    parser.add_argument("--meta", default="bench_meta.json", help="Where to write URLs and timings.")
    args = parser.parse_args()

    benchdata = load_benchdata()
    taxonomy = json.loads(Path(args.taxonomy).read_text())

    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerforum.settings.bench")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from spirit.category.models import Category
    from spirit.comment.models import Comment
    from spirit.core.utils.markdown import Markdown
    from spirit.topic.models import Topic
    from spirit.user.models import UserProfile

    User = get_user_model()
    if Topic.objects.exists() or User.objects.exists():
        sys.exit("The Spirit database already has users or topics: delete db.sqlite3 and run setup.sh.")

    timings = {}
    started = time.perf_counter()
    dataset = benchdata.Dataset(
        benchdata.SIZES[args.size],
        [area["slug"] for area in taxonomy["skill_areas"]],
        [role["slug"] for role in taxonomy["roles"]],
    )
    names = {area["slug"]: area["name"] for area in taxonomy["skill_areas"]}
    timings["plan_s"] = time.perf_counter() - started

    started = time.perf_counter()
    renderer = Markdown()
    pool_html = [renderer.render(body) for body in dataset.bodies]
    timings["render_s"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        password = make_password(benchdata.BENCH_HANDLE + "-password")
        User.objects.bulk_create(
            [
                User(id=member.id, username=member.handle, password=password, is_active=True,
                     email=f"{member.handle}@council{member.organisation:03d}.bench.example",
                     date_joined=member.created_at)
                for member in dataset.members
            ],
            batch_size=1000,
        )
        topic_counts, comment_counts = {}, {}
        for thread in dataset.threads:
            topic_counts[thread.author_id] = topic_counts.get(thread.author_id, 0) + 1
        for post in dataset.posts():
            comment_counts[post.author_id] = comment_counts.get(post.author_id, 0) + 1
        UserProfile.objects.bulk_create(
            [
                UserProfile(user_id=member.id, slug=member.handle, nickname=member.display_name,
                            is_verified=True, topic_count=topic_counts.get(member.id, 0),
                            comment_count=comment_counts.get(member.id, 0))
                for member in dataset.members
            ],
            batch_size=1000,
        )
        categories = {}
        for position, slug in enumerate(names):
            categories[slug] = Category.objects.create(
                title=names[slug][:75], slug=slug[:50], description=names[slug][:255],
                sort=position + 1, is_global=True,
            )
        Topic.objects.bulk_create(
            [
                Topic(id=thread.id, user_id=thread.author_id,
                      category_id=categories[thread.skill_area].pk, title=thread.title,
                      slug=thread.slug[:50], date=thread.created_at,
                      last_active=thread.last_activity_at, reindex_at=thread.created_at,
                      is_closed=thread.state == "locked", comment_count=thread.post_count,
                      view_count=thread.post_count * 7)
                for thread in dataset.threads
            ],
            batch_size=2000,
        )
        batch = []
        for post in dataset.posts():
            batch.append(
                Comment(id=post.id, user_id=post.author_id, topic_id=post.thread_id,
                        comment=dataset.bodies[post.body], comment_html=pool_html[post.body],
                        date=post.created_at, ip_address="127.0.0.1")
            )
            if len(batch) == 5000:
                Comment.objects.bulk_create(batch)
                batch = []
        Comment.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["rows_s"] = time.perf_counter() - started

    if not args.no_index:
        started = time.perf_counter()
        call_command("rebuild_index", interactive=False, verbosity=0)
        timings["search_index_s"] = time.perf_counter() - started

    described = dataset.describe()
    hot = Topic.objects.get(pk=described["hot_thread_id"])
    category = categories[described["skill_area"]]
    meta = {
        **described,
        "home_url": "/",
        "category_url": f"/category/{category.pk}/{category.slug}/",
        "topic_url": f"/topic/{hot.pk}/{hot.slug}/",
        "reply_url": f"/comment/{described['reply_thread_id']}/publish/",
        "login_password": benchdata.BENCH_HANDLE + "-password",
        "search_index": not args.no_index,
        "timings": {name: round(value, 1) for name, value in timings.items()},
    }
    Path(args.meta).write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
