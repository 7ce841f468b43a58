"""Peewee migrations -- 006_push_claims.py.

push_claim: WeChat push claims and seen signatures kept in the database while Redis is
unreachable, so that retries are still acted on once and replays still refused.
Applies after 005.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add push_claim."""

    @migrator.create_model
    class PushClaim(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=200, unique=True)
        value = pw.TextField(null=True)
        expires_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "push_claim"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop push_claim."""
    migrator.remove_model("push_claim")
