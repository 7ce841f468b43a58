"""Peewee migrations -- 003_notification_msgid_index.py.

WeChat's delivery report (TEMPLATESENDJOBFINISH) finds the sent notification by the
msgid WeChat returned; without an index every report scanned the outbox.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index("notification", "msgid")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("notification", "msgid")
