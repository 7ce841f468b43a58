"""Peewee migrations -- 016_desk.py.

The console's announcements and feedback desk: an announcement can be saved as a draft,
edited and published later, and remembers when it was pushed to WeChat; a feedback says
whether it is a consultation or a requirement.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add announcement.draft / updated_at / pushed_at and feedback.kind."""
    migrator.add_fields("announcement", draft=pw.BooleanField(default=False),
                        updated_at=pw.DateTimeField(null=True),
                        pushed_at=pw.DateTimeField(null=True))
    migrator.add_fields("feedback", kind=pw.CharField(max_length=12, default="consult"))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the fields added above."""
    migrator.remove_fields("feedback", "kind")
    migrator.remove_fields("announcement", "draft", "updated_at", "pushed_at")
