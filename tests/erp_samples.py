"""Realistic ERP scenarios and events for every built-in kind, shared by the ERP tests.

`SCENARIOS[kind]` is a scenario body without people (`scenario_body(world, kind)` adds
them); `MATCHING[kind]` / `NOT_MATCHING[kind]` are event `data` that do / do not meet it."""
import itertools

import pytest

SCENARIOS = {
    "order.out_of_stock": {
        "name": "订单缺货超3天", "kind": "order.out_of_stock",
        "required": [{"field": "out_of_stock_days", "op": ">", "value": 3}],
        "optional": [{"field": "warehouse", "op": "in", "value": ["深圳仓", "义乌仓"]}],
        "task": {"business_type": "订单", "priority": "high", "days": 1,
                 "title": "订单{order_no}缺货{out_of_stock_days}天（{sku}）"}},
    "order.unshipped": {
        "name": "亚马逊订单超48小时未发货", "kind": "order.unshipped",
        "required": [{"field": "hours_since_paid", "op": ">=", "value": 48}],
        "optional": [{"field": "platform", "op": "==", "value": "Amazon"}],
        "task": {"business_type": "物流", "priority": "urgent", "days": 1,
                 "title": "{platform}订单{order_no}付款{hours_since_paid}小时未发货"}},
    "purchase_order.amount": {
        "name": "采购单金额超标", "kind": "purchase_order.amount",
        "required": [{"field": "amount", "op": ">", "value": 5000}],
        "optional": [{"field": "supplier", "op": "in", "value": ["深圳甲", "义乌乙"]}],
        "task": {"business_type": "采购", "priority": "high", "days": 2,
                 "title": "采购单{po_no}金额{amount}超标"}},
    "purchase_order.overdue_arrival": {
        "name": "采购到货逾期", "kind": "purchase_order.overdue_arrival",
        "required": [{"field": "days_overdue", "op": ">=", "value": 3}],
        "optional": [],
        "task": {"business_type": "采购", "priority": "normal", "days": 3,
                 "title": "采购单{po_no}（{supplier}）到货逾期{days_overdue}天"}},
    "inventory.low": {
        "name": "FBA库存低于10", "kind": "inventory.low",
        "required": [{"field": "available", "op": "<", "value": 10}],
        "optional": [{"field": "is_fba", "op": "==", "value": True}],
        "task": {"business_type": "仓储", "priority": "high", "days": 2,
                 "title": "{sku}在{warehouse}可用库存仅{available}件"}},
    "return.requested": {
        "name": "破损退货", "kind": "return.requested",
        "required": [{"field": "amount", "op": ">", "value": 100}],
        "optional": [{"field": "reason", "op": "contains", "value": "破损"}],
        "task": {"business_type": "客服", "priority": "normal", "days": 2,
                 "title": "订单{order_no}退货：{reason}"}},
}

MATCHING = {
    "order.out_of_stock": {"order_no": "AMZ-114-7788", "sku": "CASE-IP15-BLK", "platform": "Amazon",
                           "warehouse": "深圳仓", "out_of_stock_days": 5, "quantity": 2,
                           "shop": "US旗舰店", "amount": "39.98", "currency": "USD"},
    "order.unshipped": {"order_no": "SHP-20261128-001", "platform": "Amazon",
                        "hours_since_paid": "52.5", "warehouse": "义乌仓",
                        "paid_at": "2026-11-28T05:30:00Z", "is_prime": True},
    "purchase_order.amount": {"po_no": "PO123", "supplier": "深圳甲", "amount": 6000,
                              "currency": "CNY", "buyer": "王五", "expected_at": "2026-12-08"},
    "purchase_order.overdue_arrival": {"po_no": "PO777", "supplier": "东莞丙", "days_overdue": 4,
                                       "expected_at": "2026-11-26", "buyer": "赵六"},
    "inventory.low": {"sku": "LED-STRIP-5M", "warehouse": "FBA-US-ONT8", "available": 6,
                      "safety_stock": 50, "sku_name": "LED灯带5米", "daily_sales": 12.5,
                      "is_fba": True},
    "return.requested": {"order_no": "EB-5566", "reason": "到货外壳破损", "amount": 129.9,
                         "currency": "USD", "return_no": "RMA-991", "platform": "eBay"},
}

NOT_MATCHING = {
    "order.out_of_stock": {**MATCHING["order.out_of_stock"], "out_of_stock_days": 2},
    "order.unshipped": {**MATCHING["order.unshipped"], "platform": "Walmart"},
    "purchase_order.amount": {**MATCHING["purchase_order.amount"], "amount": 4999.99},
    "purchase_order.overdue_arrival": {**MATCHING["purchase_order.overdue_arrival"], "days_overdue": 1},
    "inventory.low": {**MATCHING["inventory.low"], "available": 10},
    "return.requested": {**MATCHING["return.requested"], "reason": "不想要了"},
}

EXPECTED_TITLES = {
    "order.out_of_stock": "订单AMZ-114-7788缺货5天（CASE-IP15-BLK）",
    "order.unshipped": "Amazon订单SHP-20261128-001付款52.5小时未发货",
    "purchase_order.amount": "采购单PO123金额6000超标",
    "purchase_order.overdue_arrival": "采购单PO777（东莞丙）到货逾期4天",
    "inventory.low": "LED-STRIP-5M在FBA-US-ONT8可用库存仅6件",
    "return.requested": "订单EB-5566退货：到货外壳破损",
}

_ids = itertools.count(1)


def scenario_body(world, sample_kind, **changes) -> dict:
    """The sample scenario of `kind` with world's people: h1 then h2 handle, watcher watches."""
    body = {**SCENARIOS[sample_kind],
            "nodes": [{"handler_id": world.h1.id, "items": "核实情况"},
                      {"handler_id": world.h2.id, "items": "处理并回复"}],
            "watcher_ids": [world.watcher.id], "editor_ids": [world.alice.id],
            "escalate_to_ids": [world.admin.id], "notify_on_finish_ids": [world.admin.id],
            "enabled": True}
    body.update(changes)
    return body


def event(kind, data=None, *, event_id=None, matching=True) -> dict:
    data = data if data is not None else (MATCHING if matching else NOT_MATCHING)[kind]
    return {"id": event_id or f"evt-{next(_ids):05d}", "kind": kind,
            "occurred_at": "2026-11-30T09:58:00+08:00", "data": dict(data)}


DOC_FIELD = {"inventory.low": "sku", "purchase_order.amount": "po_no",
             "purchase_order.overdue_arrival": "po_no"}  # the others name an order_no


def batch(count, *, matching=True, doc="d", prefix="e") -> list[dict]:
    """`count` events of every kind in turn, each about a document of its own (the same
    `doc` again: the same documents, so matching ones repeat)."""
    kinds, made = list(SCENARIOS), []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        data = dict((MATCHING if matching else NOT_MATCHING)[kind])
        field = DOC_FIELD.get(kind, "order_no")
        data[field] = f"{data[field]}-{doc}-{i}"
        made.append(event(kind, data, event_id=f"{prefix}-{i}"))
    return made


@pytest.fixture
def world(sqlite_db):
    """make_world() with one enabled scenario of every kind (w.extra["scenarios"][kind])."""
    from store import scenarios
    from tests.factories import NOW, make_world
    w = make_world()
    w.extra["scenarios"] = {kind: scenarios.create_scenario(w.admin, scenario_body(w, kind), NOW)
                            for kind in SCENARIOS}
    return w


def ingest(world, *events, now=None):
    from store import erp
    from tests.factories import NOW
    return erp.ingest_events(world.company.id, list(events), now or NOW)
