"""Peewee migrations -- 002_stats_indexes.py.

Indexes for the statistics and my-page queries, which select by period: the nodes a
user completed (done_by, done_at), the nodes completed in a company in a period
(company, done_at), and the receipts in a company in a period (company, received_at).
`add_index` names them `<table>_<columns>`, the names `create_tables` gives the same
`Meta.indexes` in store/models.py.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the period indexes."""
    migrator.add_index("task_node", "done_by", "done_at")
    migrator.add_index("task_node", "company", "done_at")
    migrator.add_index("task_receipt", "company", "received_at")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the period indexes."""
    migrator.drop_index("task_receipt", "company", "received_at")
    migrator.drop_index("task_node", "company", "done_at")
    migrator.drop_index("task_node", "done_by", "done_at")
