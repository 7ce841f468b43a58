"""What a signed ERP push needs before its events are decided, in one read: the company's
signing secrets and time zone, its ERP通知 project, and the matching rules of its enabled
scenarios (store.erp_plan.Batch completes a scenario's other settings once one matches).

The read is built once (store.prebuilt): every push runs it, and peewee building its SQL
costs more than PostgreSQL takes to answer it.
"""
from peewee import JOIN

from store.models import Company, Project, Scenario
from store.prebuilt import Prebuilt


def _settings(company_column, value):
    """A row per enabled scenario (one row with its fields None when none), each with the
    company's settings and its ERP project (the first by id counts; none: None), as dicts
    (named tuples would cost a new class per run): company_id, timezone, webhook_secret,
    previous_webhook_secret, previous_secret_until, project_id, project_name, archived,
    scenario_id, kind, required, optional."""
    return (Company.select(Company.id.alias("company_id"), Company.timezone,
                           Company.webhook_secret, Company.previous_webhook_secret,
                           Company.previous_secret_until, Project.id.alias("project_id"),
                           Project.name.alias("project_name"), Project.archived,
                           Scenario.id.alias("scenario_id"), Scenario.kind, Scenario.required,
                           Scenario.optional)
            .join(Project, JOIN.LEFT_OUTER,
                  on=((Project.company == Company.id) & (Project.kind == "erp")))
            .switch(Company)
            .join(Scenario, JOIN.LEFT_OUTER,
                  on=((Scenario.company == Company.id) & (Scenario.enabled == True)))  # noqa: E712
            .where(company_column == value).order_by(Project.id, Scenario.id).dicts())


_BY_CODE = Prebuilt(lambda code: _settings(Company.code, code), "code")
_BY_ID = Prebuilt(lambda company: _settings(Company.id, company), "company")


def rows_of(company_id: int) -> list:
    """The company's settings rows (none: no such company)."""
    return _BY_ID.rows(company=company_id)


def signing_company(code: str) -> Company | None:
    """The company of this code with its signing secrets (store.apikeys.signed_by), and in
    `erp_rows` what a Batch of its events needs (`Batch(company.id, now, company.erp_rows)`)."""
    rows = _BY_CODE.rows(code=code)
    if not rows:
        return None
    first = rows[0]
    company = Company(id=first["company_id"], code=code, timezone=first["timezone"],
                      webhook_secret=first["webhook_secret"],
                      previous_webhook_secret=first["previous_webhook_secret"],
                      previous_secret_until=first["previous_secret_until"])
    company.erp_rows = rows
    return company
