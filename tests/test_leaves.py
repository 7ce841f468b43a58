"""Leave delegation (SPEC §9) in the store, on SQLite and PostgreSQL: the period and its
checks, the handover when a leave starts, nodes becoming current during it, the return at
its end or on 销假, the scan run twice, one-hop chains, and SPEC §3 still exact."""
from datetime import date, datetime, timedelta

import pytest

from jobs import scans
from store import leaves, tasks, users, workflow
from store.errors import Forbidden, Invalid, NotFound, Refused
from store.models import Leave, Notification, Task, TaskLog, TaskNode, TaskReceipt
from tests.factories import NOW, SH, drive, make_outsider, make_task, make_world


def at(day, hour=0, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=SH)


def node(task, seq=1) -> TaskNode:
    return TaskNode.get(TaskNode.task == task.id, TaskNode.seq == seq)


def notes(kind, user=None):
    query = Notification.select().where(Notification.kind == kind)
    if user is not None:
        query = query.where(Notification.user == user.id)
    return list(query.order_by(Notification.id))


def away(w, user=None, delegate=None, first=date(2026, 12, 1), last=date(2026, 12, 3), now=NOW):
    return leaves.create_leave(user or w.h1, first, last, (delegate or w.h3).id, now)


# --- the period and the checks ---------------------------------------------------------------

def test_leave_covers_whole_days_in_the_company_timezone(any_db):
    w = make_world()
    leave = away(w)
    assert (leave.starts_at, leave.ends_at) == (at(1), at(4))
    assert (leave.status, leave.user_id, leave.delegate_id) == ("scheduled", w.h1.id, w.h3.id)
    assert leaves.span(leave) == (date(2026, 12, 1), date(2026, 12, 3))
    info = leaves.leave_dict(leave)
    assert (info["starts_on"], info["ends_on"]) == ("2026-12-01", "2026-12-03")
    assert info["ends_at"] == "2026-12-04T00:00:00+08:00"
    # The stand-in hears of it in advance, once.
    assert [n.user_id for n in notes("leave_requested")] == [w.h3.id]


@pytest.mark.parametrize("first,last,message", [
    (date(2026, 11, 29), date(2026, 12, 1), "过去"),
    (date(2026, 12, 3), date(2026, 12, 1), "早于"),
    (date(2026, 12, 1), date(2027, 1, 30), "最长60天"),
    (date(2028, 1, 1), date(2028, 1, 2), "提前"),
])
def test_a_period_in_the_past_reversed_or_too_long_is_refused(any_db, first, last, message):
    w = make_world()
    with pytest.raises(Invalid, match=message):
        away(w, first=first, last=last)
    assert Leave.select().count() == 0


def test_sixty_days_from_today_are_allowed(any_db):
    w = make_world()
    leave = away(w, first=date(2026, 11, 30), last=date(2027, 1, 28))
    assert leave.status == "active"  # starts today: at once


def test_the_stand_in_must_be_another_active_user_of_the_company(any_db):
    w = make_world()
    outsider = make_outsider()
    with pytest.raises(Invalid, match="自己"):
        away(w, delegate=w.h1)
    with pytest.raises(Invalid, match="在职"):
        away(w, delegate=outsider)
    users.deactivate_user(w.admin, w.h2.id)
    with pytest.raises(Invalid, match="在职"):
        away(w, delegate=w.h2)
    assert Leave.select().count() == 0


def test_overlapping_leaves_of_one_user_are_refused_adjacent_ones_not(any_db):
    w = make_world()
    away(w)
    with pytest.raises(Refused, match="重叠"):
        away(w, first=date(2026, 12, 3), last=date(2026, 12, 5), delegate=w.h2)
    nxt = away(w, first=date(2026, 12, 4), last=date(2026, 12, 5), delegate=w.h2)
    assert nxt.starts_at == at(4)


def test_a_stand_in_who_is_away_then_is_refused(any_db):
    w = make_world()
    away(w, user=w.h3, delegate=w.h2, first=date(2026, 12, 2), last=date(2026, 12, 2))
    with pytest.raises(Refused, match="李三在此期间也请假"):
        away(w)  # h1 → h3, who is away on 12-02
    # And no cycle: h3 is away with h2 standing in, so h2 cannot leave to h3.
    with pytest.raises(Refused, match="也请假"):
        away(w, user=w.h2, delegate=w.h3, first=date(2026, 12, 2), last=date(2026, 12, 2))


# --- handover, new activations, return ------------------------------------------------------

def _three_tasks(w):
    mine = make_task(w, creator=w.alice, assignee=w.h1, title="h1的简单任务")
    started = make_task(w, creator=w.alice, nodes=[w.h1, w.h2], title="已开始")
    drive(started, ["start"])
    later = make_task(w, creator=w.alice, nodes=[w.h2, w.h1], title="还没轮到")
    return mine, started, later


def test_the_scan_hands_open_nodes_to_the_stand_in_once_with_one_summary(any_db):
    w = make_world()
    mine, started, later = _three_tasks(w)
    leave = away(w)
    before = Notification.select().count()

    assert leaves.apply_leaves(at(1) - timedelta(minutes=1)) == 0
    assert scans.scan_all(at(1))["leaves"] == 1
    assert Leave.get_by_id(leave.id).status == "active"
    for task in (mine, started):
        n = node(task)
        assert (n.handler_id, n.delegated_from_id, n.state) == (w.h3.id, w.h1.id, "active")
        assert TaskReceipt.select().where(TaskReceipt.task == task.id,
                                          TaskReceipt.user == w.h3.id).exists()
        entry = TaskLog.select().where(TaskLog.task == task.id).order_by(TaskLog.id.desc()).get()
        assert entry.action == "delegate" and entry.actor_id is None
        assert entry.detail["owner_name"] == "张一" and entry.detail["to_name"] == "李三"
    assert node(later, 2).handler_id == w.h1.id  # pending: routed when it becomes current
    # One summary for the stand-in, not one notice per node.
    summary = notes("leave_started", w.h3)
    assert len(summary) == 1 and Notification.select().count() == before + 1
    assert "#1" in summary[0].message.body and "#2" in summary[0].message.body
    assert len(summary[0].data["task"]) <= 20

    state = [(n.id, n.handler_id, n.state) for n in TaskNode.select().order_by(TaskNode.id)]
    logs = TaskLog.select().count()
    assert leaves.apply_leaves(at(1, 0, 1)) == 0  # the second run changes nothing
    assert scans.scan_all(at(1, 0, 1))["leaves"] == 0
    assert [(n.id, n.handler_id, n.state) for n in TaskNode.select().order_by(TaskNode.id)] == state
    assert TaskLog.select().count() == logs and len(notes("leave_started")) == 1
    assert [t.id for t in tasks.list_todo(w.h3, at(1, 9)).split[1]] == [mine.id, started.id]
    assert tasks.list_todo(w.h1, at(1, 9)).split == ([], [])


def test_nodes_becoming_current_during_the_leave_go_to_the_stand_in(any_db):
    w = make_world()
    away(w)
    during = at(2, 10)
    # Not even the scan is needed: the period decides.
    later = make_task(w, creator=w.alice, nodes=[w.h2, w.h1], now=during, title="二步")
    workflow.complete(w.h2, later.id, during)
    n = node(later, 2)
    assert (n.handler_id, n.delegated_from_id) == (w.h3.id, w.h1.id)
    received = notes("task_received", w.h3)
    assert len(received) == 1 and received[0].task_id == later.id
    assert not notes("task_received", w.h1)

    created = make_task(w, creator=w.alice, assignee=w.h1, now=during, title="新建给张一")
    assert (node(created).handler_id, node(created).delegated_from_id) == (w.h3.id, w.h1.id)
    actions = [e.action for e in TaskLog.select().where(TaskLog.task == created.id)
               .order_by(TaskLog.id)]
    assert actions == ["create", "delegate"]

    back = make_task(w, creator=w.alice, nodes=[w.h1, w.h2], now=NOW, title="回退")
    workflow.complete(w.h1, back.id, NOW)
    workflow.rollback(w.h2, back.id, "数量不对", during)
    assert (node(back).handler_id, node(back).delegated_from_id) == (w.h3.id, w.h1.id)

    taken = make_task(w, creator=w.alice, nodes=[w.h1, w.h2], now=NOW, title="撤回")
    workflow.complete(w.h1, taken.id, NOW)
    workflow.withdraw(w.h1, taken.id, during)  # h1 takes it back while away: to the stand-in
    assert (node(taken).handler_id, node(taken).delegated_from_id) == (w.h3.id, w.h1.id)
    assert [n.task_id for n in notes("task_received", w.h3)][-1] == taken.id


def test_only_the_stand_in_acts_while_delegated_and_only_the_owner_after(any_db):
    w = make_world()
    task = make_task(w, creator=w.alice, nodes=[w.h1, w.h2], title="两步")
    away(w)
    leaves.apply_leaves(at(1))
    with pytest.raises(Forbidden, match="李三"):
        workflow.complete(w.h1, task.id, at(1, 9))
    assert "complete" in workflow.allowed_actions(w.h3, Task.get_by_id(task.id), at(1, 9))
    assert workflow.allowed_actions(w.h1, Task.get_by_id(task.id), at(1, 9)) == []
    leaves.apply_leaves(at(4))
    assert node(task).handler_id == w.h1.id and node(task).delegated_from_id is None
    with pytest.raises(Forbidden, match="张一"):
        workflow.complete(w.h3, task.id, at(4, 9))
    workflow.complete(w.h1, task.id, at(4, 9))
    assert node(task).done_by_id == w.h1.id


def test_the_end_returns_the_nodes_not_done_with_one_summary(any_db):
    w = make_world()
    mine, started, later = _three_tasks(w)
    done_by_stand_in = make_task(w, creator=w.alice, nodes=[w.h1, w.h2], title="代办完成")
    leave = away(w)
    leaves.apply_leaves(at(1))
    workflow.complete(w.h3, done_by_stand_in.id, at(2))       # the stand-in did this one
    workflow.complete(w.h2, later.id, at(2))                  # → h3 for h1
    workflow.open_task(w.h3, mine.id, at(2))                  # started by the stand-in

    assert scans.scan_all(at(4))["leaves"] == 1
    leave = Leave.get_by_id(leave.id)
    assert (leave.status, leave.ended_at) == ("ended", at(4))
    for task, seq in ((mine, 1), (started, 1), (later, 2)):
        n = node(task, seq)
        assert (n.handler_id, n.delegated_from_id, n.state) == (w.h1.id, None, "active")
        assert TaskLog.select().where(TaskLog.task == task.id,
                                      TaskLog.action == "undelegate").count() == 1
    done = node(done_by_stand_in)
    assert (done.handler_id, done.delegated_from_id, done.done_by_id) == (w.h3.id, w.h1.id, w.h3.id)
    back = notes("leave_returned", w.h1)
    assert len(back) == 1 and back[0].message.body.count("#") == 3
    assert leaves.apply_leaves(at(4, 0, 1)) == 0
    assert len(notes("leave_returned")) == 1
    detail = tasks.task_detail(w.alice, done_by_stand_in.id, at(4))
    assert detail["nodes"][0]["handler_label"] == "李三(代张一)"
    assert tasks.task_detail(w.alice, mine.id, at(4))["nodes"][0]["handler_label"] == "张一"


def test_a_delegated_pending_node_goes_back_to_its_owner_quietly(any_db):
    w = make_world()
    task = make_task(w, creator=w.alice, nodes=[w.h2, w.h1], title="回退后待处理")
    workflow.complete(w.h2, task.id, NOW)
    away(w)
    leaves.apply_leaves(at(1))
    workflow.rollback(w.h3, task.id, "资料不全", at(2))   # the stand-in rolls h1's node back
    pending = node(task, 2)
    assert (pending.state, pending.handler_id, pending.delegated_from_id) == (
        "pending", w.h3.id, w.h1.id)
    leaves.apply_leaves(at(4))
    pending = node(task, 2)
    assert (pending.handler_id, pending.delegated_from_id) == (w.h1.id, None)
    assert not notes("leave_returned")  # nothing open came back: no notice
    workflow.complete(w.h2, task.id, at(4, 9))
    assert (node(task, 2).handler_id, node(task, 2).state) == (w.h1.id, "active")


def test_cancel_during_the_leave_returns_the_nodes_at_once(any_db):
    w = make_world()
    task = make_task(w, creator=w.alice, assignee=w.h1)
    leave = away(w)
    leaves.apply_leaves(at(1))
    with pytest.raises(NotFound):
        leaves.cancel_leave(w.h2, leave.id, at(2))      # not theirs to see
    with pytest.raises(Forbidden):
        leaves.cancel_leave(w.h3, leave.id, at(2))      # the stand-in sees it, may not cancel
    cancelled = leaves.cancel_leave(w.h1, leave.id, at(2))
    assert (cancelled.status, cancelled.ended_at) == ("cancelled", at(2))
    assert (node(task).handler_id, node(task).delegated_from_id) == (w.h1.id, None)
    assert len(notes("leave_returned", w.h1)) == 1
    with pytest.raises(Refused, match="已取消"):
        leaves.cancel_leave(w.h1, leave.id, at(2))
    assert leaves.apply_leaves(at(4)) == 0
    # After 销假 the period no longer routes anything.
    later = make_task(w, creator=w.alice, assignee=w.h1, now=at(2, 9))
    assert node(later).handler_id == w.h1.id


def test_cancel_before_the_start_moves_nothing_and_admins_may_cancel(any_db):
    w = make_world()
    task = make_task(w, creator=w.alice, assignee=w.h1)
    leave = away(w)
    cancelled = leaves.cancel_leave(w.admin, leave.id, NOW)
    assert cancelled.status == "cancelled" and node(task).handler_id == w.h1.id
    assert leaves.apply_leaves(at(1)) == 0 and node(task).handler_id == w.h1.id


def test_a_leave_starting_today_hands_over_at_once(any_db):
    w = make_world()
    task = make_task(w, creator=w.alice, assignee=w.h1)
    leave = away(w, first=date(2026, 11, 30), last=date(2026, 11, 30))
    assert leave.status == "active" and node(task).handler_id == w.h3.id
    assert leaves.delegated_count(leave) == 1
    assert not notes("leave_requested") and len(notes("leave_started", w.h3)) == 1
    entry = TaskLog.select().where(TaskLog.action == "delegate").get()
    assert entry.actor_id == w.h1.id


def test_a_leave_missed_entirely_by_the_scheduler_just_ends(any_db):
    w = make_world()
    leave = away(w)
    during = make_task(w, creator=w.alice, assignee=w.h1, now=at(2))  # routed by the period
    assert node(during).handler_id == w.h3.id
    assert leaves.apply_leaves(at(5)) == 1
    assert Leave.get_by_id(leave.id).status == "ended"
    assert node(during).handler_id == w.h1.id
    assert not notes("leave_started")


def test_chains_go_one_hop_and_come_back_to_the_first_stand_in(any_db):
    w = make_world()
    task = make_task(w, creator=w.alice, assignee=w.h1)
    away(w, user=w.h1, delegate=w.h2)                                           # 12-01..03
    away(w, user=w.h2, delegate=w.h3, first=date(2026, 12, 2), last=date(2026, 12, 2))
    leaves.apply_leaves(at(1))
    assert node(task).handler_id == w.h2.id
    assert leaves.stand_in_for(w.h1.id, at(2, 9)) == w.h3.id
    leaves.apply_leaves(at(2))
    n = node(task)
    assert (n.handler_id, n.delegated_from_id) == (w.h3.id, w.h1.id)
    assert tasks.task_detail(w.alice, task.id, at(2))["nodes"][0]["handler_label"] == "李三(代张一)"
    # h3 is the end of the chain on 12-02: a leave of theirs then would be a second hop.
    with pytest.raises(Refused, match="经王二代张一"):
        away(w, user=w.h3, delegate=w.watcher, first=date(2026, 12, 2), last=date(2026, 12, 2))
    away(w, user=w.h3, delegate=w.watcher, first=date(2026, 12, 3), last=date(2026, 12, 3))
    leaves.apply_leaves(at(3))  # h2 back (h3 away now, but h1's stand-in is h2 again)
    assert (node(task).handler_id, node(task).delegated_from_id) == (w.h2.id, w.h1.id)
    leaves.apply_leaves(at(4))
    assert (node(task).handler_id, node(task).delegated_from_id) == (w.h1.id, None)


def test_visibility_of_leaves(any_db):
    w = make_world()
    outsider = make_outsider()
    leave = away(w)
    assert [x.id for x in leaves.list_leaves(w.h1)] == [leave.id]
    assert [x.id for x in leaves.list_leaves(w.h3)] == [leave.id]
    assert leaves.list_leaves(w.h2) == []
    assert leaves.get_leave(w.admin, leave.id).id == leave.id
    for who in (w.h2, w.dadmin, outsider):
        with pytest.raises(NotFound):
            leaves.get_leave(who, leave.id)


# --- the API ---------------------------------------------------------------------------------

def test_api_requests_lists_and_cancels_a_leave(app):
    from store.db import utcnow
    from tests.api_support import Api
    w = make_world()
    api = Api(app.test_client(), w.api_key, w.h1)
    today = utcnow().astimezone(SH).date()
    task = make_task(w, creator=w.alice, nodes=[w.h1, w.h2], now=utcnow(),
                     due=utcnow() + timedelta(days=3))
    made = api.post("/leaves", {"starts_on": today.isoformat(),
                                "ends_on": (today + timedelta(days=2)).isoformat(),
                                "delegate_id": w.h3.id})
    assert made.status_code == 201, made.json
    assert made.json["status"] == "active" and made.json["delegate_name"] == "李三"
    detail = api.as_(w.h3).get(f"/tasks/{task.id}").json
    assert detail["nodes"][0]["handler_id"] == w.h3.id
    assert detail["nodes"][0]["delegated_from_id"] == w.h1.id
    assert detail["nodes"][0]["handler_label"] == "李三(代张一)"
    again = api.post("/leaves", {"starts_on": today.isoformat(), "ends_on": today.isoformat(),
                                 "delegate_id": w.h2.id})
    assert again.status_code == 409 and again.json["error"] == "refused"
    bad = api.post("/leaves", {"starts_on": today.isoformat(), "ends_on": today.isoformat(),
                               "delegate_id": w.h1.id})
    assert bad.status_code == 422
    listed = api.as_(w.h3).get("/leaves").json
    assert [x["id"] for x in listed["items"]] == [made.json["id"]]
    assert api.as_(w.h3).post(f"/leaves/{made.json['id']}/cancel").status_code == 403
    cancelled = api.post(f"/leaves/{made.json['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert api.get(f"/tasks/{task.id}").json["nodes"][0]["handler_id"] == w.h1.id


@pytest.mark.parametrize("moment", [1, 4])
def test_two_scans_at_the_same_time_move_each_node_once(any_db, moment):
    import threading

    from store.db import db
    w = make_world()
    made = [make_task(w, creator=w.alice, assignee=w.h1, title=f"任务{i}") for i in range(4)]
    leave = away(w)
    if moment == 4:
        leaves.apply_leaves(at(1))
    errors, counts = [], []
    barrier = threading.Barrier(2)

    def scan():
        try:
            barrier.wait()
            counts.append(leaves.apply_leaves(at(moment)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(counts) == [0, 1]
    expected = w.h3.id if moment == 1 else w.h1.id
    assert {node(t).handler_id for t in made} == {expected}
    action = "delegate" if moment == 1 else "undelegate"
    assert TaskLog.select().where(TaskLog.action == action).count() == 4
    kind = "leave_started" if moment == 1 else "leave_returned"
    assert len(notes(kind)) == 1
    assert Leave.get_by_id(leave.id).status == ("active" if moment == 1 else "ended")
