"""What a signed ERP push needs before its events are decided, in one read: the company's
signing secrets and time zone, its ERP通知 project, and the matching rules of its enabled
scenarios (store.erp_plan.Batch completes a scenario's other settings once one matches)."""
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

from store.compiled import Compiled
from store.models import Company, Project, Scenario


@dataclass
class Row:
    """The company's settings with one enabled scenario's rules (all None: no scenario;
    project_id None: no ERP project; the first project by id counts)."""
    company_id: int
    timezone: str
    webhook_secret: str
    previous_webhook_secret: str | None
    previous_secret_until: datetime | None
    project_id: int | None
    project_name: str | None
    archived: bool | None
    scenario_id: int | None
    kind: str | None
    required: list | None
    optional: list | None


def _select(company_column):
    def build(param):
        return (Company.select(Company.id, Company.timezone, Company.webhook_secret,
                               Company.previous_webhook_secret, Company.previous_secret_until,
                               Project.id, Project.name, Project.archived,
                               Scenario.id, Scenario.kind, Scenario.required, Scenario.optional)
                .join(Project, JOIN.LEFT_OUTER,
                      on=((Project.company == Company.id) & (Project.kind == "erp")))
                .switch(Company)
                .join(Scenario, JOIN.LEFT_OUTER,
                      on=((Scenario.company == Company.id) & (Scenario.enabled == True)))  # noqa: E712
                .where(company_column == param).order_by(Project.id, Scenario.id))
    return Compiled(build, company_column)


_BY_CODE, _BY_ID = _select(Company.code), _select(Company.id)


def rows_of(company_id: int) -> list[Row]:
    """The company's settings (no rows: no such company)."""
    return [Row(*row) for row in _BY_ID.rows(company_id)]


def signing_company(code: str) -> Company | None:
    """The company of this code with its signing secrets (store.apikeys.signed_by), and in
    `erp_rows` what a Batch of its events needs (`Batch(company.id, now, company.erp_rows)`)."""
    rows = [Row(*row) for row in _BY_CODE.rows(code)]
    if not rows:
        return None
    first = rows[0]
    company = Company(id=first.company_id, code=code, timezone=first.timezone,
                      webhook_secret=first.webhook_secret,
                      previous_webhook_secret=first.previous_webhook_secret,
                      previous_secret_until=first.previous_secret_until)
    company.erp_rows = rows
    return company
