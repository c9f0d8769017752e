"""Questions and answers: helpful votes, reply drafts and duplicate suggestions.

A thread's accepted answer is ``Thread.accepted_post_id`` and a post's helpful-vote count is
``Post.score``, both on the thread models.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Vote(Model):
    """A member found a post helpful. The count is kept in ``Post.score``."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation["Post"] = fields.ForeignKeyField(  # noqa: F821
        "models.Post", related_name="votes", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="votes", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "vote"
        # One vote per member per post: the database rejects a second, even from a race.
        unique_together = (("post_id", "member_id"),)
        indexes = (("member_id", "created_at"),)


class Draft(Model):
    """An unsent reply, saved on the server per member and thread."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="drafts", on_delete=fields.CASCADE
    )
    thread: fields.ForeignKeyRelation["Thread"] = fields.ForeignKeyField(  # noqa: F821
        "models.Thread", related_name="drafts", on_delete=fields.CASCADE
    )
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "draft"
        unique_together = (("member_id", "thread_id"),)


class DuplicateState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class DuplicateSuggestion(Model):
    """A member's suggestion that a thread is answered in another, canonical thread."""

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation["Thread"] = fields.ForeignKeyField(  # noqa: F821
        "models.Thread", related_name="duplicate_suggestions", on_delete=fields.CASCADE
    )
    canonical: fields.ForeignKeyRelation["Thread"] = fields.ForeignKeyField(  # noqa: F821
        "models.Thread", related_name="canonical_suggestions", on_delete=fields.CASCADE
    )
    suggested_by: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="duplicate_suggestions", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(DuplicateState, max_length=20, default=DuplicateState.OPEN)
    decided_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="decided_duplicates", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "duplicate_suggestion"
        # One suggestion per pair, so a second member backing it finds the first.
        unique_together = (("thread_id", "canonical_id"),)
        indexes = (("thread_id", "state"),)
