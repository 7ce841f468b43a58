"""Peewee migrations -- 013_due_work_and_claims.py.

The periodic passes read only the work that is due. The sweeper (store.outbox.find_due) and
the quiet-hours summaries and digest (store.reminders) look for outbox rows by status and
time: notification(status, not_before) makes each an index range over the pending (or
claimed) rows due by then, instead of every pending row or, worse, the whole outbox.

On PostgreSQL, push_claim becomes UNLOGGED: its rows live five minutes and only say which
WeChat pushes were answered (bot/retries.py), yet every push wrote two or three of them and
waited for each commit's WAL flush, most of a short command's time. An unlogged table is
not written to the WAL, and is emptied after a database crash: the claims of the last few
minutes are then forgotten, as they were when they lived in Redis.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add notification(status, not_before); make push_claim unlogged on PostgreSQL."""
    migrator.add_index("notification", "status", "not_before")
    if isinstance(database, pw.PostgresqlDatabase):
        migrator.sql("ALTER TABLE push_claim SET UNLOGGED")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop notification(status, not_before); log push_claim again."""
    if isinstance(database, pw.PostgresqlDatabase):
        migrator.sql("ALTER TABLE push_claim SET LOGGED")
    migrator.drop_index("notification", "status", "not_before")
