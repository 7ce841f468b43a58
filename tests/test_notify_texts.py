"""Notices say what the person needs to act: each transcript goes through the signed webhook,
the outbox, a real RQ worker and the WeChat mock, and reads the template fields delivered
(thing1 task, time2 deadline, thing3 from, phrase4 state, thing5 note)."""
from datetime import timedelta

from handlers import texts
from store import erp, leaves, scenarios, tasks, workflow
from store.models import Task, TaskNode
from store.notices import fit
from tests.chat_fixtures import T0, chat, clock, jobs_use_mock, sent_fields, world  # noqa: F401
from tests.erp_samples import MATCHING, event, scenario_body
from tests.factories import make_task


def test_rollback_urge_and_extension_notices_carry_what_matters(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker, clock):
    w = world
    h1, h2, alice = chat(w.h1), chat(w.h2), chat(w.alice)
    task = make_task(w, nodes=[w.h1, w.h2], now=T0, due=T0 + timedelta(days=2))
    ref = f"#{task.number}"
    sent_fields(redis_conn, worker, wechat_mock, h1)

    h1.say(f"完成 {ref}")
    [received] = sent_fields(redis_conn, worker, wechat_mock, h2)
    assert received["phrase4"] == "待处理" and received["thing5"] == "第2步"  # the node's items
    clock.shift(timedelta(hours=2, minutes=5))
    assert "催办" in h1.say(f"催办 {ref}")
    [urged] = sent_fields(redis_conn, worker, wechat_mock, h2)
    assert urged["phrase4"] == "已催办" and urged["thing5"] == "已等待2小时5分钟"

    h2.say(f"回退 {ref} 发票抬头不对，请重开")
    [rolled] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert rolled["phrase4"] == "被回退" and rolled["thing5"] == "原因：发票抬头不对，请重开"

    h1.say(f"延期 {ref} 周五 等供应商补发")
    [asked] = sent_fields(redis_conn, worker, wechat_mock, alice)
    assert asked["phrase4"] == "申请延期"
    assert asked["thing5"] == f"同意延期#{task.number}/拒绝延期#{task.number} 原因"
    # What the notice says to send works as it reads.
    assert "已同意" in alice.say(f"同意延期#{task.number}")
    [approved] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert approved["phrase4"] == "延期已同意" and approved["thing5"].startswith("新截止：")


def test_every_field_is_cut_with_an_ellipsis_in_one_place(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker):
    w = world
    h1 = chat(w.h1)
    long_title = "核对十二月第一批次从深圳仓发往美国西部FBA仓的全部到货数量与发票"
    make_task(w, assignee=w.h1, now=T0, title=long_title, creator=w.alice)
    [fields] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert len(fields["thing1"]) == 20 and fields["thing1"].endswith("…")
    assert fields["thing1"] == fit(f"#1 {long_title}")
    assert fit("一行\n两行") == "一行 两行" and fit("短") == "短"
    assert fit("x" * 21) == "x" * 19 + "…" and fit("x" * 20) == "x" * 20


def test_a_watcher_who_is_a_flow_end_user_gets_one_notice(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker):
    w = world
    h1, watcher = chat(w.h1), chat(w.watcher)
    body = scenario_body(w, "purchase_order.amount", nodes=[{"handler_id": w.h1.id, "items": "核实"}],
                         watcher_ids=[w.watcher.id], notify_on_finish_ids=[w.watcher.id])
    scenarios.create_scenario(w.admin, body, T0)
    [result] = erp.ingest_events(w.company.id, [event("purchase_order.amount")], T0)
    sent_fields(redis_conn, worker, wechat_mock, h1)
    h1.say(f"完成 #{Task.get_by_id(result['task_id']).number}")
    got = sent_fields(redis_conn, worker, wechat_mock, watcher)
    assert [f["phrase4"] for f in got] == ["流程结束"]


def test_a_roll_up_retitles_the_task_and_detail_shows_the_document(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker):
    w = world
    h1 = chat(w.h1)
    scenarios.create_scenario(w.admin, scenario_body(w, "purchase_order.amount"), T0)
    first = erp.ingest_events(w.company.id, [event("purchase_order.amount")], T0)[0]
    task = Task.get_by_id(first["task_id"])
    assert task.title == "采购单PO123金额6000超标"
    again = {**MATCHING["purchase_order.amount"], "amount": 7200}
    [repeat] = erp.ingest_events(w.company.id, [event("purchase_order.amount", again)],
                                 T0 + timedelta(hours=1))
    assert repeat["status"] == "matched_open_task"
    task = Task.get_by_id(task.id)
    assert task.title == "采购单PO123金额7200超标" and "金额：7200" in task.description

    detail = h1.say(f"详情 #{task.number}")
    assert "采购单PO123金额7200超标" in detail
    assert texts.DETAIL_ERP.format(times=texts.DETAIL_ERP_TIMES.format(n=2)) in detail
    for line in ("采购单号：PO123", "供应商：深圳甲", "金额：7200", "采购员：王五"):
        assert line in detail, detail


def test_the_creator_is_told_who_stands_in_for_an_assignee_on_leave(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker):
    w = world
    alice, h2 = chat(w.alice), chat(w.h2)
    today = T0.date()
    leaves.create_leave(w.h1, today, today + timedelta(days=2), w.h2.id, T0)
    sent_fields(redis_conn, worker, wechat_mock, h2)
    reply = alice.say("新建 核对发票 @张一 明天18:00")
    assert "王二(代张一)" in reply
    assert texts.CREATED_STAND_IN.format(owner="张一", handler="王二") in reply
    [received] = sent_fields(redis_conn, worker, wechat_mock, h2)
    assert received["phrase4"] == "待处理"


def test_copying_a_delegated_task_plans_the_owner_not_the_stand_in(world, clock):
    w = world
    today = T0.date()
    task = make_task(w, nodes=[w.h1, w.h3], now=T0, due=T0 + timedelta(days=3))
    leaves.create_leave(w.h1, today, today + timedelta(days=1), w.h2.id, T0)
    # The stand-in hands it on: the node still belongs to h1.
    workflow.transfer(w.h2, task.id, w.stranger.id, T0)
    copy = tasks.copy_task(w.alice, task.id, now=T0)
    first = TaskNode.get(TaskNode.task == copy.id, TaskNode.seq == 1)
    # Planned for h1, and as h1 is still away, routed to the stand-in again.
    assert (first.handler_id, first.delegated_from_id) == (w.h2.id, w.h1.id)
    # After the leave the copy would have been h1's: a copy made then goes straight to h1.
    later = T0 + timedelta(days=3)
    leaves.apply_leaves(later)
    second = tasks.copy_task(w.alice, task.id, now=later, due_at=later + timedelta(days=2))
    node = TaskNode.get(TaskNode.task == second.id, TaskNode.seq == 1)
    assert (node.handler_id, node.delegated_from_id) == (w.h1.id, None)
