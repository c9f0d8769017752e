"""Threads, their posts and every stored revision of a post."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ThreadKind(StrEnum):
    QUESTION = "question"
    DISCUSSION = "discussion"
    RESOURCE = "resource"
    ANNOUNCEMENT = "announcement"


class ThreadState(StrEnum):
    OPEN = "open"
    SOLVED = "solved"
    LOCKED = "locked"
    HIDDEN = "hidden"


class Thread(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=120)
    kind = fields.CharEnumField(ThreadKind, max_length=20, default=ThreadKind.QUESTION)
    state = fields.CharEnumField(ThreadState, max_length=20, default=ThreadState.OPEN)
    pinned = fields.BooleanField(default=False)
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="threads", on_delete=fields.RESTRICT
    )
    audience_roles: fields.ManyToManyRelation["Role"] = fields.ManyToManyField(  # noqa: F821
        "models.Role", related_name="threads", through="thread_role"
    )
    author: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="threads", on_delete=fields.RESTRICT
    )
    accepted_post_id = fields.IntField(null=True)
    # Counters change in the same transaction as the post that moves them.
    post_count = fields.IntField(default=0)
    last_activity_at = fields.DatetimeField()
    last_poster: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="last_posted_threads", null=True, on_delete=fields.SET_NULL
    )
    # Provenance of imported threads, shown on the page with the source's licence.
    source_site = fields.CharField(max_length=120, null=True)
    source_id = fields.CharField(max_length=40, null=True)
    source_url = fields.CharField(max_length=400, null=True)
    source_license = fields.CharField(max_length=60, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "thread"
        unique_together = (("source_site", "source_id"),)
        indexes = (
            ("last_activity_at", "id"),
            ("skill_area_id", "last_activity_at", "id"),
            ("state", "last_activity_at", "id"),
            ("kind", "last_activity_at", "id"),
            ("pinned", "last_activity_at"),
            ("author_id", "created_at"),
        )

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)


class Post(Model):
    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "models.Thread", related_name="posts", on_delete=fields.CASCADE
    )
    # Position in the thread, 1 for the opening post; keyset pagination walks it.
    number = fields.IntField()
    author: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="posts", on_delete=fields.RESTRICT
    )
    reply_to: fields.ForeignKeyNullableRelation["Post"] = fields.ForeignKeyField(
        "models.Post", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    source = fields.TextField()
    html = fields.TextField()
    renderer_version = fields.SmallIntField()
    revision_count = fields.IntField(default=1)
    is_hidden = fields.BooleanField(default=False)
    score = fields.IntField(default=0)
    source_site = fields.CharField(max_length=120, null=True)
    source_id = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField()
    edited_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "post"
        unique_together = (("thread_id", "number"), ("source_site", "source_id"))
        indexes = (("author_id", "created_at"),)


class Revision(Model):
    """A stored version of a post's markdown. Number 1 is the original."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="revisions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    source = fields.TextField()
    html = fields.TextField()
    renderer_version = fields.SmallIntField()
    editor: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="revisions", on_delete=fields.RESTRICT
    )
    reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "revision"
        unique_together = (("post_id", "number"),)
