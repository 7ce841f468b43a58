"""ERP ingestion in batches, on SQLite and PostgreSQL: a fixed number of statements per chunk
whatever the batch's size, ids resent and repeated inside one batch, a "situation cleared"
report between repeats, a first handler on leave, and documents repeated across chunks."""
import sqlite3
import threading
import time
from datetime import date, datetime

import psycopg2

import pytest
from playhouse.test_utils import count_queries

from store import erp, erp_settings, leaves, scenarios
from store.erp_plan import CHUNK
from store.models import (ErpEvent, Message, Notification, Task, TaskEditor, TaskLog, TaskNode,
                          TaskReceipt, TaskWatcher)
from tests.erp_samples import MATCHING, NOT_MATCHING, SCENARIOS, batch, event, scenario_body
from tests.factories import NOW, SH, make_world

KINDS = list(SCENARIOS)


@pytest.fixture
def w(any_db):
    """make_world() with one enabled scenario of every kind, whose tasks have three nodes."""
    world = make_world()
    nodes = [{"handler_id": h.id, "items": f"第{i}步"}
             for i, h in enumerate((world.h1, world.h2, world.h3), 1)]
    world.extra["scenarios"] = {kind: scenarios.create_scenario(
        world.admin, scenario_body(world, kind, nodes=nodes), NOW) for kind in SCENARIOS}
    return world


def statements(world, events, now=NOW):
    with count_queries() as counter:
        results = erp.ingest_events(world.company.id, events, now)
    return counter.count, results


def test_unmatched_events_cost_the_same_statements_in_any_number(w):
    few, results = statements(w, batch(5, matching=False, prefix="a"))
    many, more = statements(w, batch(CHUNK, matching=False, prefix="b"))
    assert {r["status"] for r in results + more} == {"no_match"}
    assert few == many <= 5  # PostgreSQL: 2 (scenarios, INSERT … RETURNING); SQLite: 5
    assert ErpEvent.select().count() == 5 + CHUNK


def test_new_tasks_cost_a_fixed_number_of_statements_per_chunk(w):
    few, results = statements(w, batch(len(KINDS) * 2, doc="x", prefix="a"))
    many, more = statements(w, batch(CHUNK, doc="y", prefix="b"))
    assert {r["status"] for r in results + more} == {"created"}
    assert few == many <= 60  # ~30 once per batch (each scenario's people checked once), ~25 per chunk
    made = len(results) + len(more)
    assert Task.select().count() == made and TaskNode.select().count() == 3 * made
    assert TaskReceipt.select().count() == made and TaskWatcher.select().count() == made
    assert TaskEditor.select().count() == made
    assert TaskLog.select().where(TaskLog.action == "create").count() == made
    notes = list(Notification.select())
    assert len(notes) == made and {n.user_id for n in notes} == {w.h1.id}
    assert all(n.message_id for n in notes) and Message.select().count() == made
    numbers = sorted(t.number for t in Task.select())
    assert numbers == list(range(numbers[0], numbers[0] + made))


def test_repeats_cost_the_same_statements_in_any_number(w):
    erp.ingest_events(w.company.id, batch(CHUNK, doc="r", prefix="a"), NOW)
    few, results = statements(w, batch(len(KINDS), doc="r", prefix="b"))
    many, more = statements(w, batch(CHUNK, doc="r", prefix="c"))
    assert {r["status"] for r in results + more} == {"matched_open_task"}
    assert few == many <= 12
    assert Task.select().count() == CHUNK
    assert sorted(t.occurrences for t in Task.select()) == [2] * (CHUNK - len(KINDS)) + [3] * len(KINDS)
    assert TaskLog.select().where(TaskLog.action == "erp_repeat").count() == CHUNK + len(KINDS)


def test_ids_resent_and_repeated_within_one_batch(w):
    stored = event("inventory.low", NOT_MATCHING["inventory.low"], event_id="old")
    made = event("inventory.low", event_id="new-task")
    erp.ingest_events(w.company.id, [stored, made], NOW)
    fresh = event("inventory.low", NOT_MATCHING["inventory.low"], event_id="fresh")
    results = erp.ingest_events(w.company.id, [stored, fresh, fresh, made], NOW)
    task_id = ErpEvent.get(ErpEvent.event_id == "new-task").task_id
    assert results == [
        {"id": "old", "status": "duplicate", "original_status": "no_match"},
        {"id": "fresh", "status": "no_match"},
        {"id": "fresh", "status": "duplicate", "original_status": "no_match"},
        {"id": "new-task", "status": "duplicate", "original_status": "created", "task_id": task_id}]
    assert ErpEvent.select().count() == 3


def test_a_cleared_report_between_repeats_in_one_batch(w):
    data = MATCHING["inventory.low"]
    cleared = {k: data[k] for k in ("sku", "warehouse")} | {"cleared": True}
    results = erp.ingest_events(w.company.id, [
        event("inventory.low", event_id="a"), event("inventory.low", {**data, "available": 4}, event_id="b"),
        event("inventory.low", cleared, event_id="c"), event("inventory.low", {**data, "available": 2}, event_id="d"),
    ], NOW)
    assert [r["status"] for r in results] == ["created", "matched_open_task", "cleared", "matched_open_task"]
    task = Task.get()
    assert {r["task_id"] for r in results} == {task.id}
    assert task.occurrences == 3 and task.erp_data["available"] == 2 and "cleared_at" not in task.erp_data
    assert task.title.endswith("仅2件") and "可用库存：2" in task.description  # re-rendered
    log = TaskLog.select().where(TaskLog.task == task.id).order_by(TaskLog.id)
    assert [row.action for row in log] == ["create", "erp_repeat", "erp_cleared", "erp_repeat"]
    assert [row.detail.get("occurrences") for row in log if row.action == "erp_repeat"] == [2, 3]


def test_a_first_handler_on_leave_hands_the_batchs_new_tasks_to_the_stand_in(w):
    leaves.create_leave(w.h1, date(2026, 12, 1), date(2026, 12, 3), w.h3.id, NOW)
    during = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
    results = erp.ingest_events(w.company.id, [
        event("inventory.low", NOT_MATCHING["inventory.low"]), event("inventory.low"),
        event("return.requested")], during)
    assert [r["status"] for r in results] == ["no_match", "created", "created"]
    for result in results[1:]:
        first = TaskNode.get(TaskNode.task == result["task_id"], TaskNode.seq == 1)
        assert (first.handler_id, first.delegated_from_id) == (w.h3.id, w.h1.id)
        assert Notification.get(Notification.task == result["task_id"]).user_id == w.h3.id


def test_documents_repeated_across_chunks_roll_up_into_one_task_each(w):
    events = [event(KINDS[i % len(KINDS)], event_id=f"m-{i}") for i in range(CHUNK * 2 + 7)]
    results = erp.ingest_events(w.company.id, events, NOW)
    assert [r["status"] for r in results] == ["created"] * len(KINDS) + ["matched_open_task"] * (len(events) - len(KINDS))
    assert Task.select().count() == len(KINDS)
    assert sum(t.occurrences for t in Task.select()) == len(events)


def test_a_batch_of_events_without_ids_stores_nothing(w):
    results = erp.ingest_events(w.company.id, [{"kind": "inventory.low"}, "x"], NOW)
    assert [r["status"] for r in results] == ["error", "error"]
    assert ErpEvent.select().count() == 0


def test_an_id_another_request_stores_meanwhile_answers_as_a_duplicate(w, any_db):
    """The other request commits while this batch waits to write: the bulk write fails on
    the id, and each event is applied alone, so only that one is a duplicate."""
    if any_db.startswith("sqlite"):
        other = sqlite3.connect(any_db[len("sqlite:///"):], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        mark = "?"
    else:
        other = psycopg2.connect(any_db)
        mark = "%s"
    other.cursor().execute(
        "INSERT INTO erp_event (company_id, event_id, kind, data, outcome, received_at) "
        f"VALUES ({mark}, 'raced', 'inventory.low', '{{}}', 'no_match', {mark})",
        (w.company.id, datetime(2026, 11, 30, 2, 0)))
    results = []
    batch_of = [event("inventory.low", event_id="raced"), event("return.requested", event_id="fine")]
    worker = threading.Thread(target=lambda: results.extend(
        erp.ingest_events(w.company.id, batch_of, NOW)))
    worker.start()
    try:
        time.sleep(0.5)
        other.commit()
        worker.join(60)
    finally:  # never leave the other writer's lock behind for the next test
        other.close()
    assert not worker.is_alive(), "the batch is still waiting for the database"
    assert [r["status"] for r in results] == ["duplicate", "created"]
    assert results[0]["original_status"] == "no_match"
    assert Task.select().count() == 1 and Notification.select().count() == 1
    assert ErpEvent.select().count() == 2


def test_one_event_read_with_the_signing_secrets_is_recorded_once_on_either_database(w):
    company = erp_settings.signing_company(w.company.code)
    assert company.webhook_secret == w.company.webhook_secret
    quiet = event("inventory.low", matching=False, event_id="quiet")
    for _ in range(2):  # the statements are rendered once, then run again
        first = erp.ingest_events(w.company.id, [quiet], NOW, company.erp_rows)
    assert first == [{"id": "quiet", "status": "duplicate", "original_status": "no_match"}]
    assert erp.ingest_events(w.company.id, [event("inventory.low", event_id="loud")], NOW,
                             company.erp_rows)[0]["status"] == "created"
    assert erp_settings.signing_company("no-such-code") is None


def test_a_document_number_too_long_for_a_task_errors_that_event_alone(w):
    long = {**MATCHING["purchase_order.amount"], "po_no": "P" * 300}
    unmatched = {**NOT_MATCHING["purchase_order.amount"], "po_no": "P" * 300}
    bad, good, noted = erp.ingest_events(w.company.id, [
        event("purchase_order.amount", long, event_id="long"), event("inventory.low", event_id="ok"),
        event("purchase_order.amount", unmatched, event_id="noted")], NOW)
    assert bad["status"] == "error" and "po_no" in bad["reason"] and bad["id"] == "long"
    assert good["status"] == "created" and Task.select().count() == 1
    assert noted["status"] == "no_match"  # recorded: only a task needs the document to fit
    assert not ErpEvent.select().where(ErpEvent.event_id == "long").exists()


def test_new_task_notices_wait_out_quiet_hours_unless_the_task_is_urgent(w):
    night = datetime(2026, 12, 2, 23, 0, tzinfo=SH)
    high, urgent = erp.ingest_events(w.company.id, [event("inventory.low"), event("order.unshipped")], night)
    held = Notification.get(Notification.task == high["task_id"])
    at_once = Notification.get(Notification.task == urgent["task_id"])
    assert not held.urgent and held.not_before.astimezone(SH) >= datetime(2026, 12, 3, 8, 0, tzinfo=SH)
    assert at_once.urgent and at_once.not_before < night
    assert held.data["note"] == "第1步" and held.data["from"] == "ERP"
