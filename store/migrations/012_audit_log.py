"""Peewee migrations -- 012_audit_log.py.

audit_entry: one row per change made through the API, the console or an operator command.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add audit_entry."""

    @migrator.create_model
    class AuditEntry(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        at = pw.DateTimeField(index=True)
        actor = pw.ForeignKeyField(column_name='actor_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        actor_name = pw.CharField(default='', max_length=64)
        api_key = pw.ForeignKeyField(column_name='api_key_id', field='id', model=migrator.orm['api_key'], null=True, on_delete='SET NULL')
        channel = pw.CharField(max_length=10)
        action = pw.CharField(index=True, max_length=100)
        target = pw.CharField(default='', max_length=200)
        summary = pw.TextField()
        client = pw.CharField(default='', max_length=64)

        class Meta:
            table_name = "audit_entry"
            indexes = [(('company', 'at'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop audit_entry."""
    migrator.remove_model("audit_entry")
