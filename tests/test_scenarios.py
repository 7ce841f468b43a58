"""Scenarios (SPEC §5): saved only when usable, each problem a 422 naming it; company admins only."""
import pytest

from store import scenarios, users
from store.errors import Forbidden, Invalid, NotFound
from store.models import Scenario
from tests.erp_samples import SCENARIOS, scenario_body
from tests.factories import NOW, make_outsider, make_world


@pytest.fixture
def world(sqlite_db):
    return make_world()


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_admin_creates_a_scenario_of_every_kind(world, kind):
    scenario = scenarios.create_scenario(world.admin, scenario_body(world, kind), NOW)
    stored = scenarios.scenario_dict(Scenario.get_by_id(scenario.id))
    assert stored["kind"] == kind and stored["enabled"] is True
    assert stored["required"] == SCENARIOS[kind]["required"]
    assert stored["task"]["title"] == SCENARIOS[kind]["task"]["title"]
    assert [n["handler_id"] for n in stored["nodes"]] == [world.h1.id, world.h2.id]
    assert stored["watcher_ids"] == [world.watcher.id]
    assert stored["escalate_to_ids"] == [world.admin.id]


def test_condition_values_are_normalised_when_saved(world):
    body = scenario_body(world, "purchase_order.amount",
                         required=[{"field": "amount", "op": ">", "value": "5000.00"}])
    scenario = scenarios.create_scenario(world.admin, body, NOW)
    assert scenario.required == [{"field": "amount", "op": ">", "value": 5000}]


def _problem(world, **changes):
    with pytest.raises(Invalid) as caught:
        scenarios.create_scenario(world.admin, scenario_body(world, "purchase_order.amount", **changes), NOW)
    assert caught.value.status == 422
    assert Scenario.select().count() == 0
    return caught.value


def test_unknown_kind_is_refused_with_the_valid_kinds(world):
    error = _problem(world, kind="order.lost")
    assert "order.lost" in error.message and "purchase_order.amount" in error.detail["allowed"]


def test_unknown_condition_field_is_named(world):
    error = _problem(world, required=[{"field": "amout", "op": ">", "value": 1}])
    assert "amout" in error.message and error.detail["section"] == "required"


def test_unknown_operator_is_named(world):
    error = _problem(world, optional=[{"field": "supplier", "op": "like", "value": "深圳"}])
    assert "like" in error.message and error.detail["section"] == "optional"


def test_operator_not_for_the_field_type_is_refused(world):
    error = _problem(world, optional=[{"field": "supplier", "op": ">", "value": "A"}])
    assert "supplier" in error.message and "contains" in error.detail["allowed"]


def test_wrong_value_type_is_refused(world):
    error = _problem(world, required=[{"field": "amount", "op": ">", "value": "五千"}])
    assert "amount" in error.message and error.detail["expected"] == "number"


def test_in_needs_a_list(world):
    error = _problem(world, optional=[{"field": "supplier", "op": "in", "value": "深圳甲"}])
    assert "列表" in error.message


def test_title_placeholder_not_of_the_kind_is_refused(world):
    task = {**SCENARIOS["purchase_order.amount"]["task"], "title": "采购单{po_no}的{sku}"}
    error = _problem(world, task=task)
    assert "{sku}" in error.message and error.detail["field"] == "task.title"


def test_title_with_attribute_access_is_refused(world):
    task = {**SCENARIOS["purchase_order.amount"]["task"], "title": "{po_no.__class__}"}
    assert "占位符" in _problem(world, task=task).message


@pytest.mark.parametrize("field,value", [("days", 0), ("days", "2"), ("days", True),
                                         ("priority", "asap"), ("title", "")])
def test_bad_task_settings_are_named(world, field, value):
    task = {**SCENARIOS["purchase_order.amount"]["task"], field: value}
    assert field in _problem(world, task=task).message


def test_handler_of_another_company_is_refused(world):
    outsider = make_outsider()
    error = _problem(world, nodes=[{"handler_id": outsider.id, "items": "审批"}])
    assert error.detail["field"] == "nodes" and str(outsider.id) in error.message


def test_inactive_watcher_is_refused(world):
    users.deactivate_user(world.admin, world.stranger.id)
    error = _problem(world, watcher_ids=[world.stranger.id])
    assert error.detail["field"] == "watcher_ids"


@pytest.mark.parametrize("changes,field", [
    ({"nodes": []}, "nodes"), ({"nodes": [{"handler_id": "12"}]}, "nodes"),
    ({"editor_ids": "3"}, "editor_ids"), ({"enabled": "yes"}, "enabled"),
    ({"name": " "}, "name"), ({"colour": "red"}, "scenario"),
])
def test_malformed_parts_are_named(world, changes, field):
    assert _problem(world, **changes).detail["field"] == field


def test_member_may_not_manage_scenarios(world):
    with pytest.raises(Forbidden):
        scenarios.create_scenario(world.alice, scenario_body(world, "inventory.low"), NOW)
    with pytest.raises(Forbidden):
        scenarios.list_scenarios(world.dadmin)


def test_list_search_and_filter(world):
    a = scenarios.create_scenario(world.admin, scenario_body(world, "purchase_order.amount"), NOW)
    b = scenarios.create_scenario(world.admin, scenario_body(world, "inventory.low"), NOW)
    scenarios.disable_scenario(world.admin, b.id, NOW)
    assert [s.id for s in scenarios.list_scenarios(world.admin)] == [b.id, a.id]
    assert [s.id for s in scenarios.list_scenarios(world.admin, text="超标")] == [a.id]
    assert [s.id for s in scenarios.list_scenarios(world.admin, text="可用库存")] == [b.id]
    assert [s.id for s in scenarios.list_scenarios(world.admin, kind="inventory.low")] == [b.id]
    assert [s.id for s in scenarios.list_scenarios(world.admin, enabled=True)] == [a.id]


def test_update_merges_partial_task_settings(world):
    s = scenarios.create_scenario(world.admin, scenario_body(world, "purchase_order.amount"), NOW)
    scenarios.update_scenario(world.admin, s.id, {"task": {"priority": "urgent"}, "name": "大额采购"})
    stored = Scenario.get_by_id(s.id)
    assert stored.name == "大额采购" and stored.task_settings["priority"] == "urgent"
    assert stored.task_settings["title"] == SCENARIOS["purchase_order.amount"]["task"]["title"]


def test_changing_the_kind_revalidates_conditions_and_changes_nothing_when_bad(world):
    s = scenarios.create_scenario(world.admin, scenario_body(world, "purchase_order.amount"), NOW)
    with pytest.raises(Invalid) as caught:
        scenarios.update_scenario(world.admin, s.id, {"kind": "inventory.low"})
    assert "amount" in caught.value.message or "supplier" in caught.value.message
    assert Scenario.get_by_id(s.id).kind == "purchase_order.amount"


def test_enable_disable_and_another_companys_scenario_is_not_found(world):
    s = scenarios.create_scenario(world.admin, scenario_body(world, "return.requested"), NOW)
    assert scenarios.disable_scenario(world.admin, s.id).enabled is False
    assert Scenario.get_by_id(s.id).enabled is False
    assert scenarios.enable_scenario(world.admin, s.id).enabled is True
    outsider = make_outsider()
    with pytest.raises(NotFound):
        scenarios.get_scenario(outsider, s.id)
    with pytest.raises(NotFound):
        scenarios.update_scenario(outsider, s.id, {"name": "x"})
