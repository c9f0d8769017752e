"""Endorsements: a member's signed statement, backed by evidence, about another member's skill."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EndorsementRelationship(StrEnum):
    """The endorser's relationship to the work they observed."""

    WORKED_TOGETHER = "worked_together"
    MENTORED = "mentored"
    REVIEWED_WORK = "reviewed_work"
    SAW_IN_FORUM = "saw_in_forum"


class EvidenceKind(StrEnum):
    """The kind of object an endorsement cites as its evidence."""

    POST = "post"
    MENTORSHIP = "mentorship"
    RESOURCE = "resource"


class EndorsementState(StrEnum):
    ACTIVE = "active"
    # The endorser took it back.
    WITHDRAWN = "withdrawn"
    # A moderator removed it, with a reason kept in the audit log.
    VOIDED = "voided"


class Endorsement(Model):
    """One endorsement of ``member`` by ``endorser`` in one skill area at one level.

    The member can hide it from their profile but never change it. Only the endorser
    (withdraw) and moderators (void) change its state.
    """

    id = fields.IntField(primary_key=True)
    endorser: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="endorsements_given", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="endorsements_received", on_delete=fields.CASCADE
    )
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="endorsements", on_delete=fields.RESTRICT
    )
    # A SkillLevel value from 1 (awareness) to 4 (expert).
    level = fields.SmallIntField()
    relationship = fields.CharEnumField(EndorsementRelationship, max_length=30)
    observed_from = fields.DateField()
    observed_to = fields.DateField()
    statement = fields.TextField()
    evidence_kind = fields.CharEnumField(EvidenceKind, max_length=20)
    # The id of the post, mentorship or resource named by evidence_kind.
    evidence_id = fields.IntField()
    state = fields.CharEnumField(EndorsementState, max_length=20, default=EndorsementState.ACTIVE)
    hidden_by_member = fields.BooleanField(default=False)
    # Set on both endorsements when two members endorse each other within 60 days.
    is_reciprocal = fields.BooleanField(default=False)
    # Set when both members belonged to the same organisation at the time.
    same_organisation = fields.BooleanField(default=False)
    withdrawn_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)
    voided_by: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="endorsements_voided", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "endorsement"
        ordering = ["-created_at", "-id"]
        indexes = (("member_id", "skill_area_id", "state"), ("endorser_id", "created_at"))


class IssuedCredential(Model):
    """An Open Badges credential the site signed for a member's evidenced level in a skill area.

    The signed token is not stored. The row is what the verification page checks for revocation.
    """

    id = fields.UUIDField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="credentials", on_delete=fields.CASCADE
    )
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="credentials", on_delete=fields.RESTRICT
    )
    level = fields.SmallIntField()
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "issued_credential"
        ordering = ["-issued_at"]
