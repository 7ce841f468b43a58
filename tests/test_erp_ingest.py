"""ERP event ingestion at the store level (SPEC §5, §9 roll-up): each event fully applied or
not at all, idempotent by event id, one open task per scenario and ERP document."""
from datetime import timedelta

import pytest

from store import erp, scenarios, tasks, users
from store.errors import Forbidden, Refused
from store.models import ErpEvent, Notification, Project, Task, TaskLog, TaskNode, TaskWatcher
from tests.erp_samples import (EXPECTED_TITLES, MATCHING, NOT_MATCHING, SCENARIOS, event, ingest, world,  # noqa: F401
                               scenario_body)
from tests.factories import NOW, drive, make_outsider, make_world



@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_matching_event_of_every_kind_creates_the_scenarios_task(world, kind):
    [result] = ingest(world, event(kind, event_id="evt-1"))
    assert result["status"] == "created" and result["id"] == "evt-1"
    task = Task.get_by_id(result["task_id"])
    settings = SCENARIOS[kind]["task"]
    assert task.title == EXPECTED_TITLES[kind]
    assert Project.get_by_id(task.project_id).kind == "erp"
    assert (task.source, task.erp_kind, task.scenario_id) == ("erp", kind, world.extra["scenarios"][kind].id)
    assert task.business_type == settings["business_type"] and task.priority == settings["priority"]
    assert task.due_at == NOW + timedelta(days=settings["days"])
    assert task.creator_id is None and task.occurrences == 1
    nodes = list(TaskNode.select().where(TaskNode.task == task.id).order_by(TaskNode.seq))
    assert [(n.handler_id, n.items, n.state) for n in nodes] == [
        (world.h1.id, "核实情况", "active"), (world.h2.id, "处理并回复", "pending")]
    assert [w.user_id for w in TaskWatcher.select().where(TaskWatcher.task == task.id)] == [world.watcher.id]
    assert Notification.get(Notification.task == task.id).user_id == world.h1.id
    doc_field = {"inventory.low": "sku"}.get(kind, "po_no" if kind.startswith("purchase") else "order_no")
    assert task.erp_data[doc_field] == MATCHING[kind][doc_field]
    detail = tasks.task_detail(world.h1, task.id, NOW)
    assert detail["erp_data"] == task.erp_data and detail["source"] == "erp"


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_non_matching_event_of_every_kind_is_recorded_without_a_task(world, kind):
    [result] = ingest(world, event(kind, matching=False, event_id="evt-n"))
    assert result == {"id": "evt-n", "status": "no_match"}
    assert Task.select().count() == 0
    assert ErpEvent.get(ErpEvent.event_id == "evt-n").outcome == "no_match"


def test_numbers_sent_as_text_are_read_as_numbers(world):
    data = {**MATCHING["purchase_order.amount"], "amount": "6000.00"}
    [result] = ingest(world, event("purchase_order.amount", data))
    assert Task.get_by_id(result["task_id"]).title == "采购单PO123金额6000超标"


def test_same_event_id_twice_makes_one_task(world):
    first, second = ingest(world, event("purchase_order.amount", event_id="evt-dup"),
                           event("purchase_order.amount", event_id="evt-dup"))
    assert first["status"] == "created"
    assert second == {"id": "evt-dup", "status": "duplicate", "original_status": "created",
                      "task_id": first["task_id"]}
    [again] = ingest(world, event("purchase_order.amount", event_id="evt-dup"))
    assert again["status"] == "duplicate" and again["task_id"] == first["task_id"]
    assert Task.select().count() == 1 and Notification.select().count() == 1


def test_repeat_while_open_rolls_up_into_the_open_task(world):
    [first] = ingest(world, event("inventory.low", event_id="evt-a"))
    later = {**MATCHING["inventory.low"], "available": 3}
    [repeat] = ingest(world, event("inventory.low", later, event_id="evt-b"), now=NOW + timedelta(days=1))
    assert repeat["status"] == "matched_open_task" and repeat["task_id"] == first["task_id"]
    task = Task.get_by_id(first["task_id"])
    assert Task.select().count() == 1 and task.occurrences == 2
    assert task.erp_data["available"] == 3 and task.version == 0
    log = TaskLog.get(TaskLog.task == task.id, TaskLog.action == "erp_repeat")
    assert log.detail["event_id"] == "evt-b" and log.detail["changes"]["available"] == [6, 3]
    assert Notification.select().count() == 1  # a repeat is noted, not pushed again


def test_other_document_or_finished_task_gets_a_new_task(world):
    [first] = ingest(world, event("inventory.low"))
    other_warehouse = {**MATCHING["inventory.low"], "warehouse": "FBA-US-LGB8"}
    [second] = ingest(world, event("inventory.low", other_warehouse))
    assert second["status"] == "created" and second["task_id"] != first["task_id"]
    drive(Task.get_by_id(first["task_id"]), ["complete", "complete"])
    [third] = ingest(world, event("inventory.low"))
    assert third["status"] == "created" and third["task_id"] not in (first["task_id"], second["task_id"])


def test_missing_title_placeholder_errors_that_event_and_stores_nothing(world):
    data = {k: v for k, v in MATCHING["purchase_order.overdue_arrival"].items() if k != "supplier"}
    bad, good = ingest(world, event("purchase_order.overdue_arrival", data, event_id="evt-x"),
                       event("purchase_order.amount", event_id="evt-y"))
    assert bad["status"] == "error" and "supplier" in bad["reason"] and "采购到货逾期" in bad["reason"]
    assert good["status"] == "created"
    assert Task.select().count() == 1 and Notification.select().count() == 1
    assert not ErpEvent.select().where(ErpEvent.event_id == "evt-x").exists()
    [retried] = ingest(world, event("purchase_order.overdue_arrival", event_id="evt-x"))
    assert retried["status"] == "created"  # the fixed resend is not a "duplicate"


@pytest.mark.parametrize("raw,problem", [
    ({"id": "e1", "kind": "purchase_order.amount", "data": {**MATCHING["purchase_order.amount"], "amount": "abc"}}, "amount"),
    ({"id": "e2", "kind": "purchase_order.amount", "data": {"supplier": "深圳甲", "amount": 9000}}, "po_no"),
    ({"id": "e3", "kind": "order.lost", "data": {}}, "order.lost"),
    ({"id": "e4", "kind": "inventory.low", "data": [1, 2]}, "data"),
    ({"id": "e5", "kind": "inventory.low", "data": {**MATCHING["inventory.low"], "available": 3.5}}, "available"),
    ({"id": "e6", "kind": "inventory.low", "occurred_at": "yesterday", "data": MATCHING["inventory.low"]}, "occurred_at"),
    ({"kind": "inventory.low", "data": MATCHING["inventory.low"]}, "id"),
    ({"id": "x" * 129, "kind": "inventory.low", "data": MATCHING["inventory.low"]}, "id"),
    ({"id": "e7", "kind": "inventory.low", "data": {**MATCHING["inventory.low"], "sku": "A\x001"}}, "sku"),
    ({"id": "e8", "kind": "inventory.low", "data": {**MATCHING["inventory.low"], "note": "a\x00b"}}, "note"),
    ("not an object", "对象"),
])
def test_bad_event_errors_with_the_problem_named_and_changes_nothing(world, raw, problem):
    [result] = ingest(world, raw)
    assert result["status"] == "error" and problem in result["reason"]
    assert Task.select().count() == 0 and ErpEvent.select().count() == 0


def test_disabled_scenario_makes_no_task(world):
    scenarios.disable_scenario(world.admin, world.extra["scenarios"]["return.requested"].id)
    assert ingest(world, event("return.requested"))[0]["status"] == "no_match"


def test_two_matching_scenarios_each_make_their_task(world):
    big = scenarios.create_scenario(world.admin, scenario_body(
        world, "purchase_order.amount", name="任何大额采购", optional=[],
        task={**SCENARIOS["purchase_order.amount"]["task"], "title": "大额采购{po_no}"}), NOW)
    [result] = ingest(world, event("purchase_order.amount"))
    assert result["status"] == "created"
    assert [t["scenario_id"] for t in result["tasks"]] == [world.extra["scenarios"]["purchase_order.amount"].id, big.id]
    assert {Task.get_by_id(t["task_id"]).title for t in result["tasks"]} == {"采购单PO123金额6000超标", "大额采购PO123"}


def test_handler_who_left_fails_the_event_and_a_departed_watcher_is_skipped(world):
    users.deactivate_user(world.admin, world.watcher.id)
    [ok] = ingest(world, event("return.requested"))
    assert ok["status"] == "created"
    assert not TaskWatcher.select().where(TaskWatcher.task == ok["task_id"]).exists()
    users.deactivate_user(world.admin, world.h1.id)
    [bad] = ingest(world, event("inventory.low", event_id="evt-gone"))
    assert bad["status"] == "error" and "FBA库存低于10" in bad["reason"] and str(world.h1.id) in bad["reason"]
    assert not ErpEvent.select().where(ErpEvent.event_id == "evt-gone").exists()


def test_another_companys_scenarios_and_event_ids_are_separate(world):
    outsider = make_outsider()
    assert ingest(world, event("purchase_order.amount", event_id="shared-id"))[0]["status"] == "created"
    [theirs] = erp.ingest_events(outsider.company_id, [event("purchase_order.amount", event_id="shared-id")], NOW)
    assert theirs == {"id": "shared-id", "status": "no_match"}


def test_a_mixed_batch_of_500_events(world):
    kinds = list(SCENARIOS)
    batch = []
    for i in range(500):
        kind = kinds[i % len(kinds)]
        data = dict(MATCHING[kind] if i % 3 else NOT_MATCHING[kind])
        doc = "sku" if kind == "inventory.low" else ("po_no" if kind.startswith("purchase") else "order_no")
        data[doc] = f"{data[doc]}-{i % 60}"
        batch.append(event(kind, data, event_id=f"b-{i}"))
    batch[10] = {"id": "b-10", "kind": "inventory.low", "data": {"sku": "A"}}
    results = ingest(world, *batch)
    assert len(results) == 500 and [r["id"] for r in results] == [e["id"] for e in batch]
    counts = {s: sum(r["status"] == s for r in results) for s in erp.STATUSES}
    assert counts["error"] == 1 and counts["duplicate"] == 0
    assert counts["created"] == Task.select().count() > 0
    assert counts["created"] + counts["matched_open_task"] + counts["no_match"] == 499
    assert sum(t.occurrences for t in Task.select()) == counts["created"] + counts["matched_open_task"]


def test_ingestion_on_both_databases(any_db):
    w = make_world()
    scenarios.create_scenario(w.admin, scenario_body(w, "order.out_of_stock"), NOW)
    results = ingest(w, event("order.out_of_stock", event_id="p1"), event("order.out_of_stock", event_id="p2"),
                     event("order.out_of_stock", event_id="p1"))
    assert [r["status"] for r in results] == ["created", "matched_open_task", "duplicate"]
    assert Task.get_by_id(results[0]["task_id"]).occurrences == 2


# --- archiving --------------------------------------------------------------------------

def test_admin_archives_finished_erp_tasks_and_they_leave_the_lists(world):
    a, b = ingest(world, event("inventory.low"), event("return.requested"))
    done = drive(Task.get_by_id(a["task_id"]), ["complete", "complete"])
    assert done.status == "done"
    with pytest.raises(Forbidden):
        erp.archive_finished(world.alice, None, NOW)
    assert erp.archive_finished(world.admin, None, NOW) == [a["task_id"]]
    assert erp.archive_finished(world.admin, None, NOW) == []
    assert Task.get_by_id(a["task_id"]).archived_at is not None
    assert Task.get_by_id(b["task_id"]).archived_at is None
    assert TaskLog.get(TaskLog.task == a["task_id"], TaskLog.action == "archive").actor_id == world.admin.id
    assert a["task_id"] not in [t.id for t in tasks.list_tasks(world.admin)]


def test_archive_one_task_needs_it_finished_and_an_admin(world):
    [a] = ingest(world, event("inventory.low"))
    with pytest.raises(Refused):
        erp.archive_task(world.admin, a["task_id"], NOW)
    drive(Task.get_by_id(a["task_id"]), ["complete", "complete"])
    with pytest.raises(Forbidden):
        erp.archive_task(world.h1, a["task_id"], NOW)
    assert erp.archive_task(world.admin, a["task_id"], NOW).archived_at == NOW


def test_two_events_about_one_document_at_the_same_moment_make_one_task(any_db):
    import threading
    w = make_world()
    scenarios.create_scenario(w.admin, scenario_body(w, "inventory.low"), NOW)
    barrier, results = threading.Barrier(4), []

    def push(i):
        barrier.wait()
        results.extend(erp.ingest_events(w.company.id, [event("inventory.low", event_id=f"race-{i}")], NOW))

    threads = [threading.Thread(target=push, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["status"] for r in results) == ["created"] + ["matched_open_task"] * 3
    assert Task.select().count() == 1 and Task.get().occurrences == 4
