"""In-app notifications: messages to a member about activity that concerns them."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class NotificationKind(StrEnum):
    """The kinds of notification the forum sends. Other areas add their own values.

    The column is a plain string, not a database enum, so adding a kind needs no migration.
    """

    REPLY = "reply"
    MENTION = "mention"
    ANSWER_ACCEPTED = "answer_accepted"
    DUPLICATE_SUGGESTED = "duplicate_suggested"
    DUPLICATE_ACCEPTED = "duplicate_accepted"
    WATCHED_REPLY = "watched_reply"
    NEW_THREAD = "new_thread"


class Notification(Model):
    """One message for one member, unread until ``read_at`` is set."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=40)
    actor: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="caused_notifications", null=True, on_delete=fields.SET_NULL
    )
    thread: fields.ForeignKeyNullableRelation["Thread"] = fields.ForeignKeyField(  # noqa: F821
        "models.Thread", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    post: fields.ForeignKeyNullableRelation["Post"] = fields.ForeignKeyField(  # noqa: F821
        "models.Post", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    # Plain text shown on the notifications page, never markdown or HTML.
    text = fields.CharField(max_length=300)
    # Extra values for a kind, such as a link target that is not a thread or a post.
    data: dict = fields.JSONField(default=dict)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"
        ordering = ["-created_at", "-id"]
        # The second finds who has already heard about a post while notifying watchers.
        indexes = (("member_id", "read_at", "created_at"), ("post_id", "member_id"))
