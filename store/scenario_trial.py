"""Trying a scenario without creating anything: a sample event per ERP kind, the title it
would get, which conditions hold for an event (the real condition engine), and what the
recent events of a scenario's kind became."""
from store import conditions
from store.erp_kinds import KINDS, get_kind, validate_event_data
from store.errors import DomainError, Invalid
from store.models import ErpEvent, Task, User
from store.scenarios import get_scenario

SAMPLES = {
    "order.out_of_stock": {"order_no": "AMZ-114-7788", "sku": "CASE-IP15-BLK", "platform": "Amazon",
                           "warehouse": "深圳仓", "out_of_stock_days": 5, "quantity": 2,
                           "shop": "US旗舰店", "amount": 39.98, "currency": "USD"},
    "order.unshipped": {"order_no": "SHP-20261128-001", "platform": "Amazon", "hours_since_paid": 52.5,
                        "warehouse": "义乌仓", "is_prime": True},
    "purchase_order.amount": {"po_no": "PO123", "supplier": "深圳甲", "amount": 6000,
                              "currency": "CNY", "buyer": "王五", "expected_at": "2026-12-08"},
    "purchase_order.overdue_arrival": {"po_no": "PO777", "supplier": "东莞丙", "days_overdue": 4,
                                       "expected_at": "2026-11-26", "buyer": "赵六"},
    "inventory.low": {"sku": "LED-STRIP-5M", "warehouse": "FBA-US-ONT8", "available": 6,
                      "safety_stock": 50, "sku_name": "LED灯带5米", "is_fba": True},
    "return.requested": {"order_no": "EB-2026-5566", "reason": "外包装破损", "amount": 159,
                         "currency": "USD", "platform": "eBay"},
}
assert set(SAMPLES) == set(KINDS), "every ERP kind needs a sample event"


def sample_event(kind: str) -> dict:
    return dict(SAMPLES[get_kind(kind).name])


def preview_title(kind: str, template: str, data: dict | None = None) -> str:
    """The title a task would get from the sample event (or `data`); Invalid names the problem."""
    kind = get_kind(kind)
    conditions.validate_title_template(kind, template)
    return conditions.render_title(template, data if data is not None else SAMPLES[kind.name])


def try_event(kind: str, required, optional, data) -> dict:
    """Run event data through the conditions as ingestion would, creating nothing:
    {"data", "rows": [{"section", "field", "op", "value", "actual", "holds"}], "matched"}."""
    kind = get_kind(kind)
    try:
        data = validate_event_data(kind, data)
    except DomainError as error:
        raise Invalid(f"示例事件无效：{error.message}", detail=error.detail) from None
    rows = []
    for section, raw in (("required", required), ("optional", optional)):
        for cond in conditions.parse_conditions(kind, raw, section=section):
            rows.append({"section": section, "field": cond.field, "op": cond.op,
                         "value": cond.to_dict()["value"], "actual": data.get(cond.field),
                         "holds": conditions.condition_holds(cond, data)})
    return {"data": data, "rows": rows, "matched": all(r["holds"] for r in rows)}


def recent_events(actor: User, scenario_id: int, limit: int = 20, offset: int = 0) -> list[dict]:
    """The latest events of the scenario's kind and what each became (the task, if one was
    made by this scenario, or the outcome)."""
    scenario = get_scenario(actor, scenario_id)
    rows = (ErpEvent.scoped(actor.company_id).where(ErpEvent.kind == scenario.kind)
            .order_by(ErpEvent.received_at.desc(), ErpEvent.id.desc()).limit(limit).offset(offset))
    tasks = {t.id: t for t in Task.select(Task.id, Task.number, Task.title, Task.scenario)
             .where(Task.id.in_([r.task_id for r in rows if r.task_id]))}
    result = []
    for row in rows:
        task = tasks.get(row.task_id)
        mine = task is not None and task.scenario_id == scenario.id
        result.append({"event_id": row.event_id, "received_at": row.received_at,
                       "outcome": row.outcome if (mine or task is None) else "other_scenario",
                       "task": task if mine else None, "reason": row.reason})
    return result
