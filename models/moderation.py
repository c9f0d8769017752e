"""Moderation: flags and their review, the audit log, canned reasons, notes on members and
confirmations given by the personal-data check.

Pages read some moderation state on every view: a thread's lock, pin expiry and slow
mode, a post's redaction tombstone, a member's suspension and silence. That state lives in
columns on ``Thread``, ``Post`` and ``Member``, so showing it needs no extra query.
"""

from enum import IntEnum, StrEnum

from tortoise import fields
from tortoise.exceptions import OperationalError
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet


class FlagReason(StrEnum):
    OFF_TOPIC = "off_topic"
    UNKIND = "unkind"
    SPAM = "spam"
    IDENTIFIES_CHILD = "identifies_child"
    OTHER = "other"


class FlagSeverity(IntEnum):
    """Urgency of a flag. The review queue shows the highest first."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    URGENT = 4


SEVERITY_BY_REASON = {
    FlagReason.IDENTIFIES_CHILD: FlagSeverity.URGENT,
    FlagReason.UNKIND: FlagSeverity.HIGH,
    FlagReason.SPAM: FlagSeverity.MEDIUM,
    FlagReason.OTHER: FlagSeverity.MEDIUM,
    FlagReason.OFF_TOPIC: FlagSeverity.LOW,
}


class FlagTarget(StrEnum):
    POST = "post"
    THREAD = "thread"


class FlagState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class FlagOutcome(StrEnum):
    DISMISSED = "dismissed"
    HIDDEN = "hidden"
    EDITED = "edited"
    REDACTED = "redacted"
    WARNED = "warned"


class Flag(Model):
    """A member's report that a post or thread needs a moderator."""

    id = fields.IntField(primary_key=True)
    reporter: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="flags_made", on_delete=fields.CASCADE
    )
    target_type = fields.CharEnumField(FlagTarget, max_length=10)
    # Exactly one of post and thread is set, matching target_type.
    post: fields.ForeignKeyNullableRelation["Post"] = fields.ForeignKeyField(  # noqa: F821
        "models.Post", related_name="flags", null=True, on_delete=fields.CASCADE
    )
    thread: fields.ForeignKeyNullableRelation["Thread"] = fields.ForeignKeyField(  # noqa: F821
        "models.Thread", related_name="flags", null=True, on_delete=fields.CASCADE
    )
    reason = fields.CharEnumField(FlagReason, max_length=30)
    text = fields.TextField(default="")
    severity = fields.SmallIntField()
    state = fields.CharEnumField(FlagState, max_length=10, default=FlagState.OPEN)
    # "reporter-target_type-target_id" while the flag is open and NULL once resolved. The
    # unique index therefore allows one open flag per member per item, even under a race.
    open_key = fields.CharField(max_length=60, null=True, unique=True)
    outcome = fields.CharEnumField(FlagOutcome, max_length=20, null=True)
    resolution_note = fields.TextField(default="")
    resolved_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="flags_resolved", null=True, on_delete=fields.SET_NULL
    )
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "flag"
        indexes = (("state", "severity", "created_at"), ("reporter_id", "created_at"))


class AuditEntryQuerySet(QuerySet):
    """Reject bulk updates and deletes, so no code path can change the audit log."""

    def update(self, **kwargs):
        raise OperationalError("The audit log is append-only: entries cannot be updated.")

    def bulk_update(self, *args, **kwargs):
        raise OperationalError("The audit log is append-only: entries cannot be updated.")

    def delete(self):
        raise OperationalError("The audit log is append-only: entries cannot be deleted.")


class AuditEntryManager(Manager):
    def get_queryset(self) -> QuerySet:
        return AuditEntryQuerySet(self._model)


class AuditEntry(Model):
    """One moderator or admin action, written once and never changed.

    The model rejects saving an existing entry and deleting one. On PostgreSQL a trigger
    also rejects UPDATE and DELETE on the table.
    """

    id = fields.BigIntField(primary_key=True)
    # NULL for actions run from the command line rather than by a signed-in member.
    actor: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="audit_entries", null=True, on_delete=fields.RESTRICT
    )
    action = fields.CharField(max_length=60)
    target_type = fields.CharField(max_length=30)
    target_id = fields.IntField()
    reason = fields.TextField(default="")
    # Short summaries of the changed fields, never a post body or other personal data.
    before: dict | None = fields.JSONField(null=True)
    after: dict | None = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"
        manager = AuditEntryManager()
        indexes = (
            ("created_at", "id"),
            ("target_type", "target_id"),
            ("actor_id", "created_at"),
            ("action", "created_at"),
        )

    async def save(self, *args, **kwargs) -> None:
        if self._saved_in_db:
            raise OperationalError("The audit log is append-only: entries cannot be updated.")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs) -> None:
        raise OperationalError("The audit log is append-only: entries cannot be deleted.")


class CannedReason(Model):
    """A ready-written reason that moderators can choose instead of typing one."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=80, unique=True)
    text = fields.CharField(max_length=500)
    position = fields.SmallIntField(default=0)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "canned_reason"
        ordering = ["position", "title"]


class ModeratorNote(Model):
    """A note about a member that only moderators and admins can read."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="moderator_notes", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="notes_written", on_delete=fields.RESTRICT
    )
    text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "moderator_note"
        indexes = (("member_id", "created_at"),)


class HoldState(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"


class PersonalDataHold(Model):
    """An author's confirmation that flagged personal data is synthetic or public.

    The post stays held, visible only to its author and moderators, until a moderator
    approves or rejects it. ``kinds`` lists what the check matched (such as "nhs_number"),
    never the matched text.
    """

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation["Post"] = fields.ForeignKeyField(  # noqa: F821
        "models.Post", related_name="personal_data_holds", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="personal_data_holds", on_delete=fields.CASCADE
    )
    kinds: list = fields.JSONField(default=list)
    # Whether the held post opens a new thread, which is then held with it.
    opens_thread = fields.BooleanField(default=False)
    state = fields.CharEnumField(HoldState, max_length=10, default=HoldState.WAITING)
    decided_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="holds_decided", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "personal_data_hold"
        indexes = (("state", "created_at"),)
