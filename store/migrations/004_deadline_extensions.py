"""Peewee migrations -- 004_deadline_extensions.py.

SPEC §9 "Deadline extension" and "Late-reason codes": the extension_request table (a
handler asks the task's creator for a later deadline) and task_node.late_reason (why a
node was completed after the task's deadline: supplier | stock | customs | internal).
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add extension_request and task_node.late_reason."""

    @migrator.create_model
    class ExtensionRequest(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        requester = pw.ForeignKeyField(column_name='requester_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        old_due_at = pw.DateTimeField(null=True)
        new_due_at = pw.DateTimeField()
        reason = pw.TextField()
        status = pw.CharField(default='pending', max_length=10)
        decided_by = pw.ForeignKeyField(column_name='decided_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        decided_at = pw.DateTimeField(null=True)
        decision_note = pw.TextField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "extension_request"
            indexes = [(('task', 'status'), False)]

    migrator.add_fields("task_node", late_reason=pw.CharField(max_length=10, null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop task_node.late_reason and extension_request."""
    migrator.remove_fields("task_node", "late_reason")
    migrator.remove_model("extension_request")
