"""Continuing professional development (CPD) records: one member's learning entries."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CpdActivityType(StrEnum):
    COURSE = "course"
    SELF_DIRECTED_STUDY = "self_directed_study"
    MENTORING_RECEIVED = "mentoring_received"
    MENTORING_GIVEN = "mentoring_given"
    PEER_DISCUSSION = "peer_discussion"
    COMMUNITY_CONTRIBUTION = "community_contribution"
    WORK_PROJECT = "work_project"
    EVENT = "event"
    SUPERVISION = "supervision"
    TEACHING = "teaching"
    READING = "reading"
    OTHER = "other"


class CpdProvenance(StrEnum):
    """Whether the member wrote the entry or the forum drafted it from something they did."""

    MANUAL = "manual"
    DRAFTED = "drafted"


class CpdVisibility(StrEnum):
    PRIVATE = "private"
    MENTOR = "mentor"
    PUBLIC_SUMMARY = "public_summary"


class CpdEntry(Model):
    """One piece of professional development in a member's record.

    A drafted entry stays private and ``is_draft`` until the member reviews and saves it.
    ``skills`` is a list of objects with skill_area_id, level_before and level_after.
    """

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="cpd_entries", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    activity_type = fields.CharEnumField(CpdActivityType, max_length=40)
    started_on = fields.DateField()
    ended_on = fields.DateField(null=True)
    hours = fields.DecimalField(max_digits=6, decimal_places=2, null=True)
    description = fields.TextField(default="")
    learning = fields.TextField(default="")
    impact = fields.TextField(default="")
    peer_reflection = fields.TextField(default="")
    next_steps = fields.TextField(default="")
    evidence_links: list = fields.JSONField(default=list)
    skills: list = fields.JSONField(default=list)
    provenance = fields.CharEnumField(CpdProvenance, max_length=20, default=CpdProvenance.MANUAL)
    # For a drafted entry, what it was drafted from, such as "accepted_answer:52".
    # Unique per member, so that one event never drafts two entries.
    source_key = fields.CharField(max_length=100, null=True)
    is_draft = fields.BooleanField(default=False)
    visibility = fields.CharEnumField(CpdVisibility, max_length=20, default=CpdVisibility.PRIVATE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cpd_entry"
        ordering = ["-started_on", "-id"]
        unique_together = (("member_id", "source_key"),)
        indexes = (("member_id", "started_on"),)


class RoleProfile(Model):
    """A technical role, such as BI developer, with the level it expects in each skill area.

    Admins manage role profiles. A migration seeds the defaults. A retired profile is
    kept but no longer offered on members' records or counted in the sector view.
    """

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=160)
    description = fields.CharField(max_length=400, default="")
    position = fields.SmallIntField(default=0)
    retired_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "role_profile"
        ordering = ["position", "name"]


class RoleProfileLevel(Model):
    """The level a role profile expects in one skill area."""

    id = fields.IntField(primary_key=True)
    profile: fields.ForeignKeyRelation[RoleProfile] = fields.ForeignKeyField(
        "models.RoleProfile", related_name="levels", on_delete=fields.CASCADE
    )
    skill_area: fields.ForeignKeyRelation["SkillArea"] = fields.ForeignKeyField(  # noqa: F821
        "models.SkillArea", related_name="role_profile_levels", on_delete=fields.CASCADE
    )
    # A SkillLevel value from 1 to 4.
    expected_level = fields.SmallIntField()

    class Meta:
        table = "role_profile_level"
        unique_together = (("profile_id", "skill_area_id"),)
