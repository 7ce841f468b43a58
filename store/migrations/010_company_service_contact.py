"""Peewee migrations -- 010_company_service_contact.py.

我的ERP shows the company profile with the service team's contact: company.service_contact.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add company.service_contact."""
    migrator.add_fields("company", service_contact=pw.CharField(max_length=200, null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop company.service_contact."""
    migrator.remove_fields("company", "service_contact")
