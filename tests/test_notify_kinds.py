"""Each notification kind reaches the right people, and only them, through the outbox, a
real RQ worker and the WeChat mock."""
from datetime import timedelta

import time_machine

from jobs import scans
from store import tasks, workflow
from store.db import utcnow
from store.models import Scenario, Task, User
from tests.factories import make_task
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import deliver, local, openid, states


def step(wechat_mock, redis_conn, worker, action):
    """Run `action`, deliver, and return {openid: [state, ...]} of what it sent."""
    wechat_mock.reset()
    action()
    deliver(redis_conn, worker)
    return states(wechat_mock)


def test_workflow_notices_reach_exactly_the_people_they_concern(world, wechat_mock, redis_conn, worker):
    w = world
    now = utcnow()
    sent = lambda action: step(wechat_mock, redis_conn, worker, action)  # noqa: E731
    holder = {}

    def create():
        holder["task"] = make_task(w, nodes=[w.h1, w.h2], watchers=[w.watcher], now=now,
                                   due=now + timedelta(days=3))
    assert sent(create) == {openid(w.h1): ["待处理"]}
    tid = holder["task"].id

    assert sent(lambda: workflow.transfer(w.h1, tid, w.h3.id, now)) == {openid(w.h3): ["已转办给你"]}
    assert sent(lambda: workflow.complete(w.h3, tid, now)) == {openid(w.h2): ["待处理"]}
    assert sent(lambda: workflow.urge(w.h3, tid, now)) == {openid(w.h2): ["已催办"]}
    assert sent(lambda: workflow.withdraw(w.h3, tid, now)) == {openid(w.h2): ["已撤回"]}
    assert sent(lambda: workflow.complete(w.h3, tid, now)) == {openid(w.h2): ["待处理"]}
    assert sent(lambda: workflow.rollback(w.h2, tid, "资料不全", now)) == {openid(w.h3): ["被回退"]}
    # A comment tells the creator and the current handler (here the commenter: not told).
    assert sent(lambda: tasks.add_comment(w.h3, tid, "已补资料", now)) == {openid(w.alice): ["新评论"]}
    assert sent(lambda: (workflow.complete(w.h3, tid, now), workflow.complete(w.h2, tid, now))) == {
        openid(w.h2): ["待处理"], openid(w.alice): ["已完成"], openid(w.watcher): ["已完成"]}


def test_scenario_escalation_and_flow_end_reach_the_scenario_users(world, wechat_mock, redis_conn, worker):
    w = world
    scenario = Scenario.create(company=w.company.id, name="采购单金额超标", kind="purchase_order.amount",
                               escalate_to_ids=[w.dadmin.id], notify_on_finish_ids=[w.admin.id])
    created = local(12, 1, 10, 0)
    due = local(12, 2, 15, 0)
    User.update(digest_opt_in=False).execute()

    def create():
        tasks.create_task(None, w.project.id, "采购单PO123金额6000超标", due_at=due, now=created,
                          company_id=w.company.id, nodes=[{"handler_id": w.h1.id, "items": "核实"}],
                          source="erp", scenario_id=scenario.id)
    assert step(wechat_mock, redis_conn, worker, create) == {openid(w.h1): ["待处理"]}

    with time_machine.travel(due + timedelta(minutes=1), tick=True):
        got = step(wechat_mock, redis_conn, worker, lambda: scans.scan_all(due + timedelta(minutes=1)))
    assert got == {openid(w.h1): ["已逾期"], openid(w.dadmin): ["超时未办"]}

    task_id = Task.get(Task.scenario == scenario.id).id
    got = step(wechat_mock, redis_conn, worker, lambda: workflow.complete(w.h1, task_id, utcnow()))
    assert got == {openid(w.admin): ["流程结束"]}  # ERP tasks have no creator to tell


def test_due_soon_reaches_only_the_current_handler(world, wechat_mock, redis_conn, worker):
    w = world
    due = local(12, 2, 15, 0)
    make_task(w, nodes=[w.h1, w.h2], watchers=[w.watcher], now=due - timedelta(days=3), due=due)
    at = due - timedelta(hours=23)
    with time_machine.travel(at, tick=True):
        got = step(wechat_mock, redis_conn, worker, lambda: scans.scan_all(at))
    # The creation notice to h1 is delivered in the same drain; the reminder is the second.
    assert got == {openid(w.h1): ["待处理", "即将到期"]}
