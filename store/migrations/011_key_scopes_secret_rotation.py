"""Peewee migrations -- 011_key_scopes_secret_rotation.py.

API keys carry a scope (admin | erp | read; existing keys stay admin keys), and a rotated
webhook secret keeps signing until company.previous_secret_until.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add api_key.scope, company.previous_webhook_secret and previous_secret_until."""
    migrator.add_fields("api_key", scope=pw.CharField(max_length=10, default="admin"))
    migrator.add_fields("company",
                        previous_webhook_secret=pw.CharField(max_length=128, null=True),
                        previous_secret_until=pw.DateTimeField(null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop them again."""
    migrator.remove_fields("company", "previous_webhook_secret", "previous_secret_until")
    migrator.remove_fields("api_key", "scope")
