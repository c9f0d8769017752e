"""Version counters for data that workers cache in memory."""

from tortoise import fields
from tortoise.models import Model


class CacheVersion(Model):
    """A counter that database triggers raise whenever the data it names changes.

    A worker keeps a copy of rarely changing data (the taxonomy) with the version it read,
    and reloads when the stored version differs, so every worker picks up a change on its next request.
    """

    name = fields.CharField(primary_key=True, max_length=40)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "cache_version"
