"""Email delivery and notification choices: the outbox, preferences per kind, watches and
the watcher notices still to send, digests."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Delivery(StrEnum):
    """How a member wants one kind of notification delivered."""

    IN_APP = "in_app"
    EMAIL = "email"
    DIGEST = "digest"
    OFF = "off"


class WatchTarget(StrEnum):
    THREAD = "thread"
    SKILL_AREA = "skill_area"
    ROLE = "role"


class WatchLevel(StrEnum):
    WATCHING = "watching"
    NORMAL = "normal"
    MUTED = "muted"


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class OutboxMessage(Model):
    """One email waiting to be sent, being sent, sent, or given up on.

    The worker claims queued rows whose next_attempt_at has passed, marks them sending
    with a lease that ends at lease_until, and records the result.
    """

    id = fields.IntField(primary_key=True)
    to_address = fields.CharField(max_length=320)
    subject = fields.CharField(max_length=300)
    text = fields.TextField()
    html = fields.TextField()
    headers: dict = fields.JSONField(default=dict)
    kind = fields.CharField(max_length=40)
    member: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="outbox_messages", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(OutboxState, max_length=10, default=OutboxState.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=32, null=True)
    last_error = fields.CharField(max_length=500, default="")
    # The same key twice queues one message, so a retried transaction cannot send twice.
    idempotency_key = fields.CharField(max_length=200, unique=True)
    # The Message-ID header, fixed when the row is queued so every attempt sends the same one.
    message_id = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"),)


class NotificationPreference(Model):
    """A member's chosen delivery for one notification kind. Kinds without a row use the default."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=40)
    delivery = fields.CharEnumField(Delivery, max_length=10)

    class Meta:
        table = "notification_preference"
        unique_together = (("member_id", "kind"),)


class Watch(Model):
    """A member's watch level for one thread, skill area or role."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="watches", on_delete=fields.CASCADE
    )
    target_type = fields.CharEnumField(WatchTarget, max_length=12)
    target_id = fields.IntField()
    level = fields.CharEnumField(WatchLevel, max_length=10)
    # For a thread: the notice of a new reply the member has not read yet. While it is
    # unread, later replies add no other, and the worker skips this watcher without
    # looking at their notifications. Reading it, or its deletion, clears this; the index
    # keeps deleting notifications from scanning the watches.
    unread_notification: fields.ForeignKeyNullableRelation["Notification"] = fields.ForeignKeyField(  # noqa: F821
        "models.Notification", related_name=False, null=True, on_delete=fields.SET_NULL, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "watch"
        unique_together = (("member_id", "target_type", "target_id"),)
        indexes = (("target_type", "target_id", "level", "unread_notification_id"),)


class WatcherNotice(Model):
    """A post whose watchers the worker has still to notify.

    Replies and new threads add one row in the transaction that stores the post, and the
    worker writes the watchers' notifications and emails later (``watches.do_send_watcher_notices``).
    A hot thread can have hundreds of watchers, and writing their notifications used to
    take most of a reply's time.
    """

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation["Post"] = fields.ForeignKeyField(  # noqa: F821
        "models.Post", related_name="watcher_notices", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # A worker leases a notice while it renders the emails outside any transaction. Only the
    # holder of ``lease_token`` may delete it, and another worker may take it once the lease ends.
    lease_until = fields.DatetimeField(null=True)
    lease_token = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "watcher_notice"


class DigestSchedule(Model):
    """How often a member gets a digest email, and when the last one was queued."""

    id = fields.IntField(primary_key=True)
    member: fields.OneToOneRelation["Member"] = fields.OneToOneField(  # noqa: F821
        "models.Member", related_name="digest_schedule", on_delete=fields.CASCADE
    )
    frequency = fields.CharEnumField(DigestFrequency, max_length=10, default=DigestFrequency.DAILY)
    last_sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "digest_schedule"
