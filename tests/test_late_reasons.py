"""Late-reason codes (SPEC §9): the store rule on both databases, the chat question after a
late 完成, the API, and the statistics breakdown on a hand-computed month."""
from datetime import date, timedelta

import pytest
from playhouse.test_utils import count_queries

from handlers import texts
from store import late, stats, tasks, workflow
from store.errors import Forbidden, Invalid, Refused
from store.models import TaskLog, TaskNode
from tests.api_support import Api
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.factories import NOW, make_task, make_world


def node(task_id, seq=1) -> TaskNode:
    return TaskNode.get(TaskNode.task == task_id, TaskNode.seq == seq)


@pytest.fixture
def w(any_db):
    return make_world()


# --- store -----------------------------------------------------------------------------------

def test_completer_records_a_reason_for_a_late_node_only(w):
    task = make_task(w, nodes=[w.h1, w.h2], due=NOW + timedelta(hours=1), watchers=[w.watcher])
    workflow.complete(w.h1, task.id, NOW + timedelta(hours=2))
    assert late.needs_reason(w.h1, task.id) == 1
    assert late.needs_reason(w.h2, task.id) is None

    with pytest.raises(Invalid):
        late.set_late_reason(w.h1, task.id, 1, "weather", NOW)
    with pytest.raises(Forbidden):
        late.set_late_reason(w.watcher, task.id, 1, "supplier", NOW)
    late.set_late_reason(w.h1, task.id, 1, "supplier", NOW)
    assert node(task.id).late_reason == "supplier"
    assert late.needs_reason(w.h1, task.id) is None
    late.set_late_reason(w.h1, task.id, None, "customs", NOW)  # a correction, by default seq
    assert node(task.id).late_reason == "customs"
    entries = [r.detail for r in TaskLog.select().where(TaskLog.task == task.id,
                                                        TaskLog.action == "late_reason")]
    assert entries == [{"seq": 1, "reason": "supplier", "previous": None},
                       {"seq": 1, "reason": "customs", "previous": "supplier"}]


def test_a_node_taken_back_forgets_its_late_reason(w):
    task = make_task(w, nodes=[w.h1, w.h2], due=NOW + timedelta(hours=1))
    workflow.complete(w.h1, task.id, NOW + timedelta(hours=2))
    late.set_late_reason(w.h1, task.id, 1, "stock", NOW + timedelta(hours=2))
    workflow.withdraw(w.h1, task.id, NOW + timedelta(hours=3))
    assert node(task.id).late_reason is None and node(task.id).state == "started"
    workflow.complete(w.h1, task.id, NOW + timedelta(hours=4))
    workflow.rollback(w.h2, task.id, "数量不对", NOW + timedelta(hours=5))
    assert node(task.id).late_reason is None


def test_on_time_or_unfinished_nodes_take_no_reason(w):
    task = make_task(w, nodes=[w.h1, w.h2], due=NOW + timedelta(hours=1))
    workflow.complete(w.h1, task.id, NOW)
    with pytest.raises(Refused, match="截止时间前"):
        late.set_late_reason(w.h1, task.id, 1, "stock", NOW)
    with pytest.raises(Refused, match="没有逾期完成"):
        late.set_late_reason(w.h1, task.id, None, "stock", NOW)
    with pytest.raises(Forbidden):
        late.set_late_reason(w.h2, task.id, 2, "stock", NOW)  # node 2 is not done


def test_stats_break_late_nodes_down_by_reason(w):
    """November 2026, every task due 11-30 11:00 (Shanghai):

        task  node: handler, done at             reason     counts in November
        A     h1 11-30 12:00                     supplier   supplier
        B     h2 11-30 12:00                     supplier   supplier
        C     h2 11-30 12:00                     customs    customs
        D     h1 11-30 12:00                     —          unknown
        E     h1 11-30 10:30 (on time)           —          —
        F     h1 11-30 13:00, h2 11-30 14:00     stock, internal  stock, internal (two nodes)
        G     h1 11-30 12:00, then deleted       internal   —
        H     h3 12-01 09:00                     stock      — (December)
    """
    due = NOW + timedelta(hours=1)

    def finished(handlers, times, reasons, **kw):
        task = make_task(w, nodes=handlers, due=due, **kw)
        for seq, (who, at, reason) in enumerate(zip(handlers, times, reasons), 1):
            workflow.complete(who, task.id, at)
            if reason:
                late.set_late_reason(who, task.id, seq, reason, at)
        return task

    h = lambda hours: NOW + timedelta(hours=hours)  # noqa: E731
    finished([w.h1], [h(2)], ["supplier"])
    finished([w.h2], [h(2)], ["supplier"])
    finished([w.h2], [h(2)], ["customs"])
    finished([w.h1], [h(2)], [None])
    finished([w.h1], [h(0.5)], [None])
    finished([w.h1, w.h2], [h(3), h(4)], ["stock", "internal"])
    deleted = finished([w.h1], [h(2)], ["internal"])
    tasks.delete_task(w.alice, deleted.id, h(5))
    finished([w.h3], [h(23)], ["stock"])

    november = stats.month_stats(w.admin, date(2026, 11, 1), now=h(24))
    assert november["late_by_reason"] == {"supplier": 2, "stock": 1, "customs": 1,
                                          "internal": 1, "unknown": 1}
    december = stats.month_stats(w.admin, date(2026, 12, 1), now=h(24))
    assert december["late_by_reason"] == {"supplier": 0, "stock": 1, "customs": 0,
                                          "internal": 0, "unknown": 0}
    by_dept = stats.month_stats(w.dadmin, date(2026, 11, 1), now=h(24))
    assert by_dept["late_by_reason"] == november["late_by_reason"]
    assert stats.week_stats(w.admin, date(2026, 11, 30), now=h(24))["late_by_reason"]["supplier"] == 2
    with count_queries() as counted:
        stats.late_by_reason(w.company.id, h(-24), h(24))
    assert counted.count == 1  # one GROUP BY, not a loop over tasks


# --- chat ------------------------------------------------------------------------------------

def overdue_task(world, **kw):
    return make_task(world, now=T0 - timedelta(days=3), due=T0 - timedelta(days=1), **kw)


def test_late_complete_asks_and_a_number_answers(chat, world):
    task = overdue_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    reply = h1.say(f"完成 #{task.number}")
    assert reply.startswith(f"已完成 #{task.number}") and reply.endswith(texts.LATE_ASK)
    assert "请选择延误原因：1 供应商 2 缺货 3 清关 4 内部" in reply
    assert h1.say("2") == texts.LATE_RECORDED.format(number=task.number, seq=1, reason="缺货")
    assert node(task.id).late_reason == "stock"
    assert h1.say("2") != texts.LATE_RECORDED.format(number=task.number, seq=1, reason="缺货")


def test_late_step_of_a_workflow_asks_after_naming_the_next_handler(chat, world):
    task = overdue_task(world, nodes=[world.h1, world.h2])
    h1 = chat(world.h1)
    reply = h1.say(f"完成 #{task.number}")
    assert texts.COMPLETED_NEXT.format(name="王二") in reply and texts.LATE_ASK in reply
    assert h1.say("清关") == texts.LATE_RECORDED.format(number=task.number, seq=1, reason="清关")
    assert node(task.id).late_reason == "customs"


def test_unclear_answer_asks_again_and_cancel_skips(chat, world):
    task = overdue_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    h1.say(f"完成 #{task.number}")
    assert h1.say("天气不好") == texts.LATE_ASK_AGAIN
    assert h1.say("取消") == texts.LATE_SKIPPED
    assert node(task.id).late_reason is None
    assert h1.say(f"延误原因 #{task.number} 内部") == texts.LATE_RECORDED.format(
        number=task.number, seq=1, reason="内部")
    assert h1.say(f"late #{task.number} supplier").endswith("供应商。")
    assert node(task.id).late_reason == "supplier"
    assert h1.say(f"延误原因 #{task.number} 天气") == texts.LATE_USAGE


def test_another_command_leaves_the_question(chat, world):
    task = overdue_task(world, assignee=world.h1)
    make_task(world, assignee=world.h1, title="下一件")
    h1 = chat(world.h1)
    h1.say(f"完成 #{task.number}")
    assert "下一件" in h1.say("待办")
    assert h1.say("1") != texts.LATE_RECORDED.format(number=task.number, seq=1, reason="供应商")
    assert node(task.id).late_reason is None
    # a command that opens its own dialog keeps it
    h1.say(f"完成 #{overdue_task(world, assignee=world.h1).number}")
    assert h1.say("新建") == texts.DIALOG_LEFT + "\n" + texts.ASK_TITLE
    assert texts.ASK_ASSIGNEE in h1.say("买胶带")


def test_on_time_complete_asks_nothing(chat, world):
    task = make_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    reply = h1.say(f"完成 #{task.number}")
    assert texts.LATE_ASK not in reply
    assert "没有逾期完成的步骤" in h1.say(f"延误原因 #{task.number} 供应商")


# --- API -------------------------------------------------------------------------------------

@pytest.fixture
def acme(app):
    with app.app_context():
        return make_world()


def test_api_late_reason(app, clock, acme):
    admin = Api(app.test_client(), acme.api_key, acme.admin)
    late_task = overdue_task(acme, nodes=[acme.h1, acme.h2])
    h1 = admin.as_(acme.h1)
    assert h1.post(f"/tasks/{late_task.id}/complete").status_code == 200
    answer = h1.post(f"/tasks/{late_task.id}/late_reason", {"reason": "customs"})
    assert answer.status_code == 200
    assert [n["late_reason"] for n in answer.json["nodes"]] == ["customs", None]
    assert h1.post(f"/tasks/{late_task.id}/late_reason", {"reason": "rain"}).status_code == 422
    assert admin.as_(acme.h2).post(f"/tasks/{late_task.id}/late_reason",
                                   {"reason": "stock", "seq": 1}).status_code == 403
    on_time = admin.post("/tasks", {"project_id": acme.project.id, "title": "按时",
                                    "due_at": (T0 + timedelta(days=30)).isoformat(),
                                    "assignee_id": acme.h1.id}).json
    h1.post(f"/tasks/{on_time['id']}/complete")
    refused = h1.post(f"/tasks/{on_time['id']}/late_reason", {"reason": "stock", "seq": 1})
    assert refused.status_code == 409
    month = admin.get("/stats?period=month").json
    assert month["late_by_reason"]["customs"] == 1
