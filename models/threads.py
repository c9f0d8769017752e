"""Threads, their posts and every stored revision of a post."""

from datetime import UTC, datetime
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
    # Waiting for a moderator after the author confirmed that flagged personal data is safe.
    HELD = "held"


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
    # Moderation. A locked thread's state is LOCKED unless it is also hidden or held, and
    # locked_at stays set so that unhiding it restores the lock.
    locked_at = fields.DatetimeField(null=True)
    lock_reason = fields.CharField(max_length=500, default="")
    # A pinned thread with pinned_until in the past counts as unpinned.
    pinned_until = fields.DatetimeField(null=True)
    # Slow mode: the minimum gap, in seconds, between one member's posts (0 means off).
    slow_mode_seconds = fields.IntField(default=0)
    slow_mode_until = fields.DatetimeField(null=True)
    slow_mode_reason = fields.CharField(max_length=500, default="")
    slow_mode_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="slow_mode_threads", null=True, on_delete=fields.SET_NULL
    )
    # Set on a thread whose posts were merged into another, whose id it holds.
    merged_into_id = fields.IntField(null=True)
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
        """Replies readers can see: lists set ``unseen_posts`` to the hidden and held ones."""
        return max(self.post_count - 1 - getattr(self, "unseen_posts", 0), 0)

    @property
    def is_pinned_now(self) -> bool:
        """Whether the thread is pinned and its pin, if it has an expiry, has not expired."""
        if not self.pinned:
            return False
        return self.pinned_until is None or self.pinned_until > datetime.now(UTC)

    @property
    def slow_mode_active(self) -> bool:
        if self.slow_mode_seconds <= 0:
            return False
        return self.slow_mode_until is None or self.slow_mode_until > datetime.now(UTC)


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
    # Visible only to its author and moderators until a moderator approves it, because the
    # author confirmed that personal data the check found is synthetic or public.
    held_for_review = fields.BooleanField(default=False)
    # A redaction tombstone. The content of the post and of every revision was replaced.
    redacted_at = fields.DatetimeField(null=True)
    redacted_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="redacted_posts", null=True, on_delete=fields.SET_NULL
    )
    redaction_reason = fields.CharField(max_length=500, default="")
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
