"""Peewee migrations -- 005_leave_delegation.py.

SPEC §9 "Leave delegation": the leave table (a user's period away and their stand-in) and
task_node.delegated_from (whose node a stand-in is handling). Applies after 004.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add leave and task_node.delegated_from."""

    @migrator.create_model
    class Leave(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        delegate = pw.ForeignKeyField(column_name='delegate_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        starts_at = pw.DateTimeField()
        ends_at = pw.DateTimeField()
        status = pw.CharField(default='scheduled', max_length=10)
        created_at = pw.DateTimeField()
        ended_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "leave"
            indexes = [(('user', 'status'), False), (('delegate', 'status'), False),
                       (('status', 'starts_at'), False), (('status', 'ends_at'), False)]

    migrator.add_fields("task_node", delegated_from=pw.ForeignKeyField(
        column_name='delegated_from_id', field='id', model=migrator.orm['user'], null=True,
        on_delete='SET NULL'))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop task_node.delegated_from and leave."""
    migrator.drop_index("task_node", "delegated_from")  # SQLite cannot drop an indexed column
    migrator.remove_fields("task_node", "delegated_from")
    migrator.remove_model("leave")
