"""ERP业务场景 in the console: the kind decides fields and operators, the title preview, the
same validation as the API with errors next to the field, the test event through the real
condition engine (nothing created), recent events, search, enable / disable."""
import json

import pytest

from store import erp, scenario_trial, scenarios
from store.models import ErpEvent, Scenario, Task
from tests.factories import NOW
from tests.web_support import admin, as_user, text, world  # noqa: F401


def scenario_form(world, **changes) -> dict:
    form = {"name": "采购单金额超标", "kind": "purchase_order.amount", "previous_kind": "purchase_order.amount",
            "enabled": "1", "req_field": ["amount"], "req_op": [">"], "req_value": ["5000"],
            "opt_field": ["supplier"], "opt_op": ["in"], "opt_value": ["深圳甲, 义乌乙"],
            "business_type": "", "priority": "high", "days": "2", "title": "采购单{po_no}金额{amount}超标",
            "node_handler_id": [str(world.h1.id), str(world.h2.id)], "node_items": ["核实金额", "审批"],
            "watcher_ids": [str(world.watcher.id)], "escalate_to_ids": [str(world.admin.id)],
            "sample": json.dumps(scenario_trial.sample_event("purchase_order.amount"), ensure_ascii=False),
            "action": "save"}
    form.update(changes)
    return form


def test_admin_saves_a_scenario_as_the_api_would(admin, world):
    response = admin.post("/app/settings/scenarios/new", scenario_form(world))
    assert response.status_code == 303
    saved = scenarios.scenario_payload(Scenario.get(Scenario.name == "采购单金额超标"))
    assert saved["required"] == [{"field": "amount", "op": ">", "value": 5000}]
    assert saved["optional"] == [{"field": "supplier", "op": "in", "value": ["深圳甲", "义乌乙"]}]
    assert saved["task"] == {"business_type": None, "priority": "high", "days": 2,
                             "title": "采购单{po_no}金额{amount}超标"}
    assert [n["handler_id"] for n in saved["nodes"]] == [world.h1.id, world.h2.id]
    assert saved["watcher_ids"] == [world.watcher.id] and saved["escalate_to_ids"] == [world.admin.id]


def test_choosing_a_kind_shows_its_fields_and_keeps_what_was_typed(admin, world):
    page = text(admin.post("/app/settings/scenarios/new",
                           scenario_form(world, kind="inventory.low", action="refresh"), htmx=True))
    assert 'value="available"' in page and 'value="safety_stock"' in page
    assert 'value="po_no"' not in page and 'value="采购单金额超标"' in page
    assert "LED-STRIP-5M" in page  # the new kind's sample event


def test_operators_follow_the_fields_type(admin, world):
    page = text(admin.post("/app/settings/scenarios/new", scenario_form(world, action="refresh"), htmx=True))
    required = page[page.index('id="required-conditions"'):page.index('id="optional-conditions"')]
    assert "<option selected>&gt;</option>" in required and "<option>contains</option>" not in required


def test_invalid_condition_is_shown_next_to_its_row_and_nothing_is_saved(admin, world):
    response = admin.post("/app/settings/scenarios/new",
                          scenario_form(world, req_op=["contains"]), htmx=True)
    page = text(response)
    assert response.status_code == 422
    assert 'data-field="required.0"' in page and "不能用运算符 contains" in page
    assert 'value="采购单金额超标"' in page
    assert not Scenario.select().exists()


def test_unknown_title_placeholder_is_refused_next_to_the_title(admin, world):
    response = admin.post("/app/settings/scenarios/new", scenario_form(world, title="订单{order_no}"))
    assert response.status_code == 422 and 'data-field="task.title"' in text(response)
    assert not Scenario.select().exists()


def test_live_title_preview_uses_the_kinds_sample_event(admin, world):
    ok = text(admin.post("/app/settings/scenarios/preview",
                         {"kind": "purchase_order.amount", "title": "采购单{po_no}金额{amount}超标"}, htmx=True))
    assert "采购单PO123金额6000超标" in ok
    bad = text(admin.post("/app/settings/scenarios/preview",
                          {"kind": "purchase_order.amount", "title": "{sku}缺货"}, htmx=True))
    assert "没有字段 sku" in bad


@pytest.mark.parametrize("amount, matched", [(6000, True), (4000, False)])
def test_test_event_runs_the_conditions_and_creates_nothing(admin, world, amount, matched):
    sample = {**scenario_trial.sample_event("purchase_order.amount"), "amount": amount}
    page = text(admin.post("/app/settings/scenarios/new",
                           scenario_form(world, action="trial", sample=json.dumps(sample)), htmx=True))
    assert ("匹配：会创建任务" in page) is matched and ("不匹配：不会创建任务" in page) is not matched
    assert f"采购单PO123金额{amount}超标" in page
    assert Task.select().count() == 0 and ErpEvent.select().count() == 0 and not Scenario.select().exists()


def test_bad_test_event_says_what_is_wrong(admin, world):
    page = text(admin.post("/app/settings/scenarios/new",
                           scenario_form(world, action="trial", sample="{not json"), htmx=True))
    assert "不是有效的 JSON" in page
    page = text(admin.post("/app/settings/scenarios/new",
                           scenario_form(world, action="trial", sample='{"amount": 1}'), htmx=True))
    assert "示例事件无效" in page


def test_edit_page_lists_recent_events_and_what_they_became(admin, world):
    admin.post("/app/settings/scenarios/new", scenario_form(world))
    scenario = Scenario.get()
    data = scenario_trial.sample_event("purchase_order.amount")
    erp.ingest_events(world.company.id, [
        {"id": "evt-1", "kind": "purchase_order.amount", "data": data},
        {"id": "evt-2", "kind": "purchase_order.amount", "data": {**data, "po_no": "PO9", "amount": 10}},
    ], NOW)
    page = text(admin.get(f"/app/settings/scenarios/{scenario.id}"))
    task = Task.get()
    assert "evt-1" in page and f"#{task.number} 采购单PO123金额6000超标" in page
    assert "evt-2" in page and "未匹配" in page


def test_list_search_and_switch(admin, world):
    admin.post("/app/settings/scenarios/new", scenario_form(world))
    admin.post("/app/settings/scenarios/new", scenario_form(world, name="FBA低库存", kind="inventory.low",
                                                            req_field=["available"], req_op=["<"],
                                                            req_value=["10"], opt_field=[], opt_op=[],
                                                            opt_value=[], title="{sku}库存低"))
    assert "FBA低库存" not in text(admin.get("/app/settings/scenarios?q=采购"))
    assert "采购单金额超标" not in text(admin.get("/app/settings/scenarios?kind=inventory.low"))
    low = Scenario.get(Scenario.name == "FBA低库存")
    admin.post(f"/app/settings/scenarios/{low.id}/disable")
    assert not Scenario.get_by_id(low.id).enabled
    assert "FBA低库存" in text(admin.get("/app/settings/scenarios?enabled=no"))
    admin.post(f"/app/settings/scenarios/{low.id}/enable")
    assert Scenario.get_by_id(low.id).enabled


def test_editing_keeps_unchanged_fields(admin, world):
    admin.post("/app/settings/scenarios/new", scenario_form(world))
    scenario = Scenario.get()
    admin.post(f"/app/settings/scenarios/{scenario.id}", scenario_form(world, days="5"))
    assert Scenario.get_by_id(scenario.id).task_settings["days"] == 5
    assert Scenario.get_by_id(scenario.id).optional[0]["value"] == ["深圳甲", "义乌乙"]


def test_dept_admin_cannot_open_scenarios(app, world):
    console = as_user(app, world.dadmin)
    assert console.get("/app/settings/scenarios").status_code == 403
    assert console.post("/app/settings/scenarios/new", scenario_form(world)).status_code == 403
    assert not Scenario.select().exists()
