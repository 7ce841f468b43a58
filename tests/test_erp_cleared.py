"""ERP "situation cleared" (SPEC §9 roll-up): an event with `"cleared": true` marks the open
task of its document, logs it and offers the current handler to finish; it never completes
anything, and the situation coming back makes it an ordinary repeat again."""
import json
import time
from datetime import timedelta

import pytest

from bot.api.erp import signature
from store import erp, scenarios, tasks
from store.erp_kinds import KINDS
from store.models import ErpEvent, Message, Notification, Task, TaskLog, TaskNode
from tests.erp_samples import MATCHING, SCENARIOS, event, ingest, scenario_body, world  # noqa: F401
from tests.factories import NOW, drive, make_world

LATER = NOW + timedelta(hours=5)



def cleared(kind, *, event_id=None, **fields):
    """A "situation cleared" event carrying only the document fields (plus `fields`)."""
    doc = {name: MATCHING[kind][name] for name in KINDS[kind].document_fields}
    return event(kind, {**doc, "cleared": True, **fields}, event_id=event_id)


def notices(task_id):
    return list(Notification.select().where(Notification.task == task_id,
                                            Notification.kind == "erp_cleared"))


def node_states(task_id):
    return [n.state for n in TaskNode.select().where(TaskNode.task == task_id).order_by(TaskNode.seq)]


def test_cleared_marks_logs_and_tells_the_current_handler_only(world):
    [made] = ingest(world, event("inventory.low", event_id="evt-low"))
    task = drive(Task.get_by_id(made["task_id"]), ["complete"])  # now at h2's node
    [result] = ingest(world, cleared("inventory.low", event_id="evt-ok"), now=LATER)
    assert result == {"id": "evt-ok", "status": "cleared", "task_id": task.id, "task_ids": [task.id]}

    after = Task.get_by_id(task.id)
    assert after.status == "in_progress" and after.version == task.version  # nothing completed
    assert node_states(task.id) == ["done", "active"] and after.occurrences == 1
    assert after.erp_data["cleared_at"] == LATER.isoformat()
    assert "cleared" not in after.erp_data and after.erp_data["available"] == 6  # figures kept
    log = TaskLog.get(TaskLog.task == task.id, TaskLog.action == "erp_cleared")
    assert log.actor_id is None and log.detail == {"event_id": "evt-ok", "changes": {}, "again": False}

    [note] = notices(task.id)
    assert note.user_id == world.h2.id and note.data["state"] == "情况已解除"
    assert Message.get_by_id(note.message_id).body == (
        f"ERP报告该情况已解除，如无需继续处理，发「完成 #{task.number}」结束。")
    assert ErpEvent.get(ErpEvent.event_id == "evt-ok").outcome == "cleared"
    assert ErpEvent.get(ErpEvent.event_id == "evt-ok").data["cleared"] is True
    detail = tasks.task_detail(world.h2, task.id, LATER)
    assert detail["erp_cleared"] is True and detail["erp_data"]["cleared_at"]


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_every_kind_needs_only_its_document_fields_to_clear(world, kind):
    [made] = ingest(world, event(kind))
    [result] = ingest(world, cleared(kind))
    assert result["status"] == "cleared" and result["task_ids"] == [made["task_id"]]


def test_cleared_figures_are_checked_and_rolled_in_without_counting_an_occurrence(world):
    [made] = ingest(world, event("inventory.low"))
    [result] = ingest(world, cleared("inventory.low", available=80))  # conditions not evaluated
    assert result["status"] == "cleared"
    task = Task.get_by_id(made["task_id"])
    assert task.erp_data["available"] == 80 and task.occurrences == 1
    log = TaskLog.get(TaskLog.task == task.id, TaskLog.action == "erp_cleared")
    assert log.detail["changes"] == {"available": [6, 80]}


@pytest.mark.parametrize("data,field", [
    ({"cleared": True, "warehouse": "FBA-US-ONT8"}, "sku"),  # a document field is still needed
    ({"cleared": "yes", "sku": "LED-STRIP-5M", "warehouse": "FBA-US-ONT8"}, "cleared"),
    ({"cleared": True, "sku": "LED-STRIP-5M", "warehouse": "FBA-US-ONT8", "available": "many"}, "available"),
    ({**MATCHING["inventory.low"], "cleared_at": "2026-11-30"}, "cleared_at"),
])
def test_bad_cleared_event_errors_and_changes_nothing(world, data, field):
    [made] = ingest(world, event("inventory.low"))
    [result] = ingest(world, event("inventory.low", data, event_id="evt-bad"))
    assert result["status"] == "error" and result["detail"]["field"] == field
    assert not ErpEvent.select().where(ErpEvent.event_id == "evt-bad").exists()
    assert "cleared_at" not in Task.get_by_id(made["task_id"]).erp_data


def test_no_open_task_is_no_match(world):
    assert ingest(world, cleared("purchase_order.amount", event_id="c-1"))[0] == {
        "id": "c-1", "status": "no_match"}
    [made] = ingest(world, event("purchase_order.amount"))
    other = cleared("purchase_order.amount", event_id="c-2")
    other["data"]["po_no"] = "PO999"  # another document
    assert ingest(world, other)[0]["status"] == "no_match"
    drive(Task.get_by_id(made["task_id"]), ["complete", "complete"])
    assert ingest(world, cleared("purchase_order.amount", event_id="c-3"))[0]["status"] == "no_match"
    assert not TaskLog.select().where(TaskLog.action == "erp_cleared").exists()
    assert ErpEvent.get(ErpEvent.event_id == "c-3").outcome == "no_match"


def test_disabled_scenarios_task_is_not_cleared(world):
    [made] = ingest(world, event("return.requested"))
    scenarios.disable_scenario(world.admin, world.extra["scenarios"]["return.requested"].id)
    assert ingest(world, cleared("return.requested"))[0]["status"] == "no_match"
    assert "cleared_at" not in Task.get_by_id(made["task_id"]).erp_data


def test_same_cleared_event_twice_is_a_duplicate(world):
    [made] = ingest(world, event("order.out_of_stock"))
    first, second = ingest(world, cleared("order.out_of_stock", event_id="c-dup"),
                           cleared("order.out_of_stock", event_id="c-dup"))
    assert first["status"] == "cleared"
    assert second == {"id": "c-dup", "status": "duplicate", "original_status": "cleared",
                      "task_id": made["task_id"]}
    assert TaskLog.select().where(TaskLog.action == "erp_cleared").count() == 1
    assert len(notices(made["task_id"])) == 1


def test_second_report_is_logged_but_not_pushed_again(world):
    [made] = ingest(world, event("order.unshipped"))
    ingest(world, cleared("order.unshipped", event_id="c-1"), now=NOW)
    [again] = ingest(world, cleared("order.unshipped", event_id="c-2"), now=LATER)
    assert again["status"] == "cleared"
    task = Task.get_by_id(made["task_id"])
    assert task.erp_data["cleared_at"] == NOW.isoformat()  # when it was first reported
    logs = [entry.detail["again"] for entry in TaskLog.select().where(
        TaskLog.task == task.id, TaskLog.action == "erp_cleared").order_by(TaskLog.id)]
    assert logs == [False, True] and len(notices(task.id)) == 1


def test_situation_back_after_cleared_is_a_repeat_and_removes_the_mark(world):
    [made] = ingest(world, event("inventory.low", event_id="e-1"))
    ingest(world, cleared("inventory.low", event_id="e-2"))
    [repeat] = ingest(world, event("inventory.low", {**MATCHING["inventory.low"], "available": 2},
                                   event_id="e-3"), now=LATER)
    assert repeat["status"] == "matched_open_task" and repeat["task_id"] == made["task_id"]
    task = Task.get_by_id(made["task_id"])
    assert "cleared_at" not in task.erp_data and task.occurrences == 2
    assert tasks.task_detail(world.h1, task.id, LATER)["erp_cleared"] is False
    log = TaskLog.get(TaskLog.task == task.id, TaskLog.action == "erp_repeat")
    assert log.detail["changes"]["cleared_at"] == [NOW.isoformat(), None]
    # Cleared again later: marked and pushed again (a new report, a new notice).
    assert ingest(world, cleared("inventory.low", event_id="e-4"))[0]["status"] == "cleared"
    assert len(notices(task.id)) == 2


def test_cleared_false_is_an_ordinary_event(world):
    [made] = ingest(world, event("purchase_order.amount", {**MATCHING["purchase_order.amount"],
                                                           "cleared": False}))
    assert made["status"] == "created"
    assert "cleared" not in Task.get_by_id(made["task_id"]).erp_data


# --- through the signed endpoint --------------------------------------------------------

@pytest.fixture
def http_world(app):
    w = make_world()
    scenarios.create_scenario(w.admin, scenario_body(w, "inventory.low"), NOW)
    return w


def push(client, world, payload):
    body = json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    return client.post("/api/v1/erp/events", data=body, headers={
        "X-Twork-Company": world.company.code, "X-Twork-Timestamp": stamp,
        "X-Twork-Signature": signature(world.company.webhook_secret, stamp, body),
        "Content-Type": "application/json"})


def test_cleared_through_the_signed_endpoint(app, http_world):
    client, w = app.test_client(), http_world
    made = push(client, w, event("inventory.low", event_id="h-1")).json["results"][0]
    response = push(client, w, {"events": [cleared("inventory.low", event_id="h-2")]})
    assert response.status_code == 200, response.json
    assert response.json["results"] == [{"id": "h-2", "status": "cleared", "task_id": made["task_id"],
                                         "task_ids": [made["task_id"]]}]
    assert response.json["counts"]["cleared"] == 1
    detail = client.get(f"/api/v1/tasks/{made['task_id']}", headers={
        "Authorization": f"Bearer {w.api_key}", "X-Twork-User": str(w.h1.id)})
    assert detail.status_code == 200, detail.json
    assert detail.json["erp_cleared"] is True and "cleared_at" in detail.json["erp_data"]
    assert detail.json["log"][-1]["action"] == "erp_cleared"
    again = push(client, w, cleared("inventory.low", event_id="h-2"))
    assert again.json["results"][0]["status"] == "duplicate"
