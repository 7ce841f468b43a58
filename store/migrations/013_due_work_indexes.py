"""Peewee migrations -- 013_due_work_indexes.py.

The periodic passes read only the work that is due. The sweeper (store.outbox.find_due) and
the quiet-hours summaries and digest (store.reminders) look for outbox rows by status and
time: notification(status, not_before) makes each an index range over the pending (or
claimed) rows due by then, instead of every pending row or, worse, the whole outbox.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add notification(status, not_before)."""
    migrator.add_index("notification", "status", "not_before")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop notification(status, not_before)."""
    migrator.drop_index("notification", "status", "not_before")
