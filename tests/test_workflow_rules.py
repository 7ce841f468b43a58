"""SPEC §3 as a table: every action × workflow state × actor, then the effects and the
exact refusal wording of each rule.

The table below is written from the SPEC, not from the code: for each state, who may do
what. Everything not listed is refused (NotFound for people who cannot see the task) and a
refused action must change nothing: version, nodes, log, messages, notifications.
"""
from datetime import timedelta

import pytest

from store import taskstate, tasks, workflow
from store.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Refused
from store.models import Message, Notification, Task, TaskLog, TaskNode, TaskReceipt
from tests.factories import NOW, drive, make_outsider, make_task, make_world, snapshot

# state: (number of nodes, steps to reach it, account of current handler, of previous handler)
STATES = {
    "first_active": (3, [], "h1", None),
    "active": (3, ["complete"], "h2", "h1"),
    "started": (3, ["complete", "start"], "h2", "h1"),
    "done_next_active": (3, ["complete", "complete"], "h3", "h2"),
    "done_next_started": (3, ["complete", "complete", "start"], "h3", "h2"),
    "task_done": (3, ["complete", "complete", "complete"], None, "h3"),
    "simple_active": (1, [], "h1", None),
    "simple_started": (1, ["start"], "h1", None),
    "simple_done": (1, ["complete"], None, "h1"),
}
ACTORS = ("current", "previous", "creator", "watcher", "admin", "dadmin", "stranger", "outsider")
HIDDEN = {"stranger", "outsider"}  # not creator, handler or watcher: the task does not exist for them

# (state, actor) -> actions allowed. "start" on a started node is allowed and changes nothing.
ALLOWED = {
    ("first_active", "current"): {"start", "complete", "transfer"},
    ("active", "current"): {"start", "complete", "transfer", "rollback"},
    ("active", "previous"): {"withdraw", "urge"},
    ("started", "current"): {"start", "complete", "transfer", "rollback"},
    ("started", "previous"): {"urge"},
    ("done_next_active", "current"): {"start", "complete", "transfer", "rollback"},
    ("done_next_active", "previous"): {"withdraw", "urge"},
    ("done_next_started", "current"): {"start", "complete", "transfer", "rollback"},
    ("done_next_started", "previous"): {"urge"},
    ("simple_active", "current"): {"start", "complete", "transfer"},
    ("simple_started", "current"): {"start", "complete", "transfer"},
}
NO_CHANGE = {("started", "start"), ("done_next_started", "start"), ("simple_started", "start")}


def _act(action, actor, task_id, world):
    if action == "transfer":
        return workflow.transfer(actor, task_id, world.stranger.id, NOW)
    if action == "rollback":
        return workflow.rollback(actor, task_id, "数量不对", NOW)
    return getattr(workflow, action)(actor, task_id, NOW)


@pytest.mark.parametrize("action", workflow.ACTIONS)
@pytest.mark.parametrize("state", list(STATES))
def test_rules_table_action_in_state_by_each_actor(any_db, state, action):
    world = make_world()
    outsider = make_outsider()
    size, steps, current, previous = STATES[state]
    handlers = [world.h1, world.h2, world.h3][:size]
    people = {"current": getattr(world, current) if current else None,
              "previous": getattr(world, previous) if previous else None,
              "creator": world.alice, "watcher": world.watcher, "admin": world.admin,
              "dadmin": world.dadmin, "stranger": world.stranger, "outsider": outsider}
    wrong, task = [], None
    for role in ACTORS:
        actor = people[role]
        if actor is None:
            continue
        if task is None:  # a refusal changes nothing (checked below), so the task is reused
            task = make_task(world, nodes=handlers if size > 1 else None,
                             assignee=world.h1 if size == 1 else None, watchers=[world.watcher])
            drive(task, steps)
        before = snapshot(task.id)
        try:
            _act(action, actor, task.id, world)
            outcome = "ok"
        except NotFound:
            outcome = "hidden"
        except (Refused, Forbidden) as error:
            assert error.message, "a refusal must say why"
            outcome = "refused"
        after = snapshot(task.id)
        if role in HIDDEN:
            expected = "hidden"
        else:
            expected = "ok" if action in ALLOWED.get((state, role), ()) else "refused"
        if outcome != expected:
            wrong.append((role, expected, outcome))
        if outcome == "ok" and (state, action) not in NO_CHANGE:
            if after["version"] != before["version"] + 1 or after["log"] != before["log"] + 1:
                wrong.append((role, "version+1 and one log line", before, after))
            task = None
        elif before != after:
            wrong.append((role, f"{outcome}: nothing changed", before, after))
            task = None
    assert not wrong, f"{state} × {action}: {wrong}"


# --- effects ----------------------------------------------------------------------------

def _nodes(task_id):
    return [(n.state, n.handler_id) for n in
            TaskNode.select().where(TaskNode.task == task_id).order_by(TaskNode.seq)]


def _notes(user, kind=None):
    query = Notification.select().where(Notification.user == user.id)
    return list(query.where(Notification.kind == kind) if kind else query)


def test_handler_completes_nodes_then_task_done_and_creator_watchers_told(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2], watchers=[w.watcher])
    assert _notes(w.h1, "task_received")[0].data["state"] == "待处理"
    workflow.complete(w.h1, task.id, NOW)
    assert _nodes(task.id) == [("done", w.h1.id), ("active", w.h2.id)]
    note = _notes(w.h2, "task_received")[0]
    assert note.data == {"task": f"#{task.number} 核对PO123到货", "due": "12-02 10:00",
                         "from": "张一", "state": "待处理", "note": "第2步"}
    assert TaskReceipt.select().where(TaskReceipt.user == w.h2.id).count() == 1
    workflow.complete(w.h2, task.id, NOW + timedelta(hours=1))
    done = Task.get_by_id(task.id)
    assert (done.status, done.current_seq) == ("done", None)
    assert done.finished_at == NOW + timedelta(hours=1)
    assert len(_notes(w.alice, "task_completed")) == len(_notes(w.watcher, "task_completed")) == 1
    assert not _notes(w.h2, "task_completed")
    assert [r.action for r in TaskLog.select().where(TaskLog.task == task.id).order_by(TaskLog.id)] \
        == ["create", "complete", "complete"]


def test_handler_transfers_and_node_remembers_original_handler(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    workflow.open_task(w.h1, task.id, NOW)
    workflow.transfer(w.h1, task.id, w.h3.id, NOW)
    node = TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1)
    assert (node.handler_id, node.original_handler_id, node.state) == (w.h3.id, w.h1.id, "active")
    log = TaskLog.select().where(TaskLog.action == "transfer").get()
    assert (log.actor_id, log.detail["from"], log.detail["to"]) == (w.h1.id, w.h1.id, w.h3.id)
    assert _notes(w.h3, "task_transferred")[0].data["state"] == "已转办给你"
    assert tasks.get_task(w.h3, task.id) and tasks.get_task(w.h1, task.id)  # both still see it
    with pytest.raises(Forbidden):
        workflow.complete(w.h1, task.id, NOW)
    workflow.transfer(w.h3, task.id, w.alice.id, NOW)  # a second hop keeps the first original
    assert TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1).original_handler_id == w.h1.id


def test_transfer_to_self_inactive_or_other_company_is_refused(any_db):
    w = make_world()
    outsider = make_outsider()
    task = make_task(w, nodes=[w.h1, w.h2])
    from store import users
    users.deactivate_user(w.admin, w.h3.id)
    for target, error in ((w.h1, Refused), (w.h3, Invalid), (outsider, Invalid)):
        before = snapshot(task.id)
        with pytest.raises(error):
            workflow.transfer(w.h1, task.id, target.id, NOW)
        assert snapshot(task.id) == before


def test_rollback_needs_a_reason_and_never_from_first_node(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    with pytest.raises(Refused, match="第一个节点不能回退"):
        workflow.rollback(w.h1, task.id, "原因", NOW)
    drive(task, ["complete"])
    before = snapshot(task.id)
    with pytest.raises(Refused, match="回退必须填写原因"):
        workflow.rollback(w.h2, task.id, "   ", NOW)
    assert snapshot(task.id) == before
    workflow.rollback(w.h2, task.id, " 数量不对 ", NOW)
    assert _nodes(task.id) == [("active", w.h1.id), ("pending", w.h2.id)]
    note = _notes(w.h1, "task_rolled_back")[0]
    assert note.data["state"] == "被回退" and "数量不对" in note.message.body
    assert TaskLog.get(TaskLog.action == "rollback").detail["reason"] == "数量不对"


def test_withdraw_until_next_handler_opens_the_task(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    drive(task, ["complete"])
    workflow.withdraw(w.h1, task.id, NOW)
    assert _nodes(task.id) == [("started", w.h1.id), ("pending", w.h2.id)]
    assert _notes(w.h2, "task_withdrawn")[0].data["state"] == "已撤回"
    drive(task, ["complete"])
    workflow.open_task(w.alice, task.id, NOW)  # someone else looking changes nothing
    workflow.withdraw(w.h1, task.id, NOW)
    drive(task, ["complete", "open"])  # h2 views the details: node started
    with pytest.raises(Refused, match="下一节点已开始处理，不能撤回"):
        workflow.withdraw(w.h1, task.id, NOW)


def test_comment_by_current_handler_counts_as_start(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    drive(task, ["complete"])
    tasks.add_comment(w.h2, task.id, "在看了", NOW)
    assert _nodes(task.id)[1][0] == "started"
    with pytest.raises(Refused, match="下一节点已开始处理"):
        workflow.withdraw(w.h1, task.id, NOW)


def test_urge_once_per_hour_and_says_when(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2, w.h3])
    drive(task, ["complete"])
    later = NOW + timedelta(hours=2, minutes=35)
    workflow.urge(w.h1, task.id, later)
    note = _notes(w.h2, "task_urged")[0]
    assert note.data["state"] == "已催办" and "2小时35分钟" in note.message.body
    # The waiting time is in the template too; an urge of a normal task respects quiet hours.
    assert note.data["note"] == "已等待2小时35分钟" and not note.urgent
    before = snapshot(task.id)
    with pytest.raises(Refused, match="1小时内已催办过，可在 13:35 后再催办"):
        workflow.urge(w.h1, task.id, later + timedelta(minutes=59))
    assert snapshot(task.id) == before
    workflow.urge(w.h1, task.id, later + timedelta(hours=1))
    assert len(_notes(w.h2, "task_urged")) == 2


def test_simple_task_refuses_rollback_withdraw_urge_with_the_rule(any_db):
    w = make_world()
    task = make_task(w, assignee=w.h1)
    for action in ("rollback", "withdraw", "urge"):
        with pytest.raises(Refused, match="简易任务只有一个节点"):
            _act(action, w.h1, task.id, w)
    workflow.complete(w.h1, task.id, NOW)
    assert Task.get_by_id(task.id).status == "done"


def test_admin_is_refused_workflow_actions_with_reason(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    with pytest.raises(Forbidden, match="只有当前节点的处理人（张一）可以完成"):
        workflow.complete(w.admin, task.id, NOW)
    with pytest.raises(Refused, match="你的节点尚未完成"):
        workflow.urge(w.h1, task.id, NOW)


def test_allowed_actions_match_the_rules(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    assert workflow.allowed_actions(w.h1, task) == ["start", "complete", "transfer"]
    task = drive(task, ["complete"])
    assert workflow.allowed_actions(w.h2, task) == ["start", "complete", "transfer", "rollback"]
    assert workflow.allowed_actions(w.h1, task) == ["withdraw", "urge"]
    assert workflow.allowed_actions(w.admin, task) == []
    assert tasks.task_detail(w.h1, task.id)["allowed_actions"][:2] == ["withdraw", "urge"]


def test_stale_version_is_a_conflict(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    stale = Task.get_by_id(task.id)
    workflow.complete(w.h1, task.id, NOW)
    with pytest.raises(Conflict, match="任务已被他人更新"):
        taskstate.bump(stale)
    assert isinstance(Conflict("x"), DomainError)
    assert Message.select().where(Message.user == w.h2.id).count() == 1
