"""The sector's taxonomy: skill areas, roles and skill levels."""

from tortoise import fields
from tortoise.models import Model


class SkillLevel(Model):
    """One step of the skill scale, 0 (none) to 4 (expert)."""

    value = fields.SmallIntField(primary_key=True)
    name = fields.CharField(max_length=40)
    description = fields.CharField(max_length=400)

    class Meta:
        table = "skill_level"
        ordering = ["value"]


class SkillArea(Model):
    """A field of knowledge that threads, mentoring and CPD entries are organised by."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=160)
    description = fields.TextField()
    parent: fields.ForeignKeyNullableRelation["SkillArea"] = fields.ForeignKeyField(
        "models.SkillArea", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    # What each level looks like in this area, keyed by the level value as a string.
    level_descriptors: dict = fields.JSONField(default=dict)
    position = fields.SmallIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "skill_area"
        ordering = ["position", "name"]


class Role(Model):
    """A professional role, used both as a member's own role and as a thread's audience."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=160)
    description = fields.CharField(max_length=400, default="")
    position = fields.SmallIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "role"
        ordering = ["position", "name"]
