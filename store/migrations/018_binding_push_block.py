"""Peewee migrations -- 018_binding_push_block.py.

A delivery report "failed:user block" (the user turned off the account's messages) pauses
template messages to that user until they write to the account again:
we_chat_binding.blocked_at.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add we_chat_binding.blocked_at."""
    migrator.add_fields("we_chat_binding", blocked_at=pw.DateTimeField(null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop we_chat_binding.blocked_at."""
    migrator.remove_fields("we_chat_binding", "blocked_at")
