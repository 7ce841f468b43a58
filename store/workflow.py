"""The workflow state machine of SPEC §3: start, complete, transfer, rollback, withdraw, urge.

Node states move only as TRANSITIONS (store.taskstate) says, each move an UPDATE guarded by the state it
leaves, inside a transaction that first claims the task by bumping its `version`
(UPDATE … WHERE version = <read>). Two people acting at the same moment therefore
cannot both win: the loser updates 0 rows and gets Conflict, or, having waited for the
winner's lock, reads the new state and is refused by the rules.

```mermaid
stateDiagram-v2
    pending --> active: complete (previous node)
    active --> started: start / open / comment
    active --> done: complete
    started --> done: complete
    active --> active: transfer (new handler)
    started --> active: transfer (new handler)
    active --> pending: rollback / withdraw
    started --> pending: rollback
    done --> active: rollback (from the next node)
    done --> started: withdraw (its handler takes it back)
```
"""
from datetime import datetime, timedelta

from store import leaves  # leave delegation: who handles a node that becomes current
from store.db import atomic_write
from store.errors import Conflict, DomainError, Forbidden, Invalid, Refused
from store.models import Scenario, Task, TaskNode, TaskWatcher, User
from store.notices import person, short_time, tell  # noqa: F401 (short_time: public here too)
from store.taskstate import (CHANGED, TRANSITIONS, Flow, add_log, add_receipt, bump, load_flow,
                             move, start_node)
from store.visibility import get_task

ACTIONS = ("start", "complete", "transfer", "rollback", "withdraw", "urge")
VERBS = {"start": "开始", "complete": "完成", "transfer": "转办", "rollback": "回退",
         "withdraw": "撤回", "urge": "催办"}

URGE_INTERVAL = timedelta(hours=1)


# --- loading and the rules --------------------------------------------------------------

def _load(actor: User, task: int | Task) -> Flow:
    """The flow of a task the actor may see. `task` is its id, or the Task the caller got
    from get_task for this actor (the chat resolved the reference with it): not read
    again, since every action's version claim (`bump`) refuses a task changed since."""
    if isinstance(task, Task) and task.company_id == actor.company_id:
        return load_flow(task)
    return load_flow(get_task(actor, task.id if isinstance(task, Task) else task))


def refusal(action: str, actor: User, flow: Flow,
            now: datetime | None = None) -> DomainError | None:
    """Why `actor` may not do `action` now (SPEC §3), or None when they may."""
    task, cur, prev, verb = flow.task, flow.current, flow.previous, VERBS[action]
    if action in ("rollback", "withdraw", "urge") and len(flow.nodes) == 1:
        return Refused(f"{'简易任务' if task.simple else '该任务'}只有一个节点，不能{verb}")
    if cur is None:
        return Refused("任务已完成，无需再完成" if action == "complete" else f"任务已完成，不能{verb}")
    if action in ("start", "complete", "transfer", "rollback"):
        if cur.handler_id != actor.id:
            return Forbidden(f"只有当前节点的处理人（{person(cur.handler)}）可以{verb}")
        if action == "rollback" and prev is None:
            return Refused("第一个节点不能回退")
        return None
    if prev is None or prev.handler_id != actor.id:
        if cur.handler_id == actor.id:
            return Refused(f"你的节点尚未完成，可以转办或回退，不能{verb}")
        return Forbidden(f"只有刚完成上一节点的处理人可以{verb}")
    if action == "withdraw" and cur.state not in TRANSITIONS["withdraw"]["current"][0]:
        return Refused("下一节点已开始处理，不能撤回")
    if action == "urge" and now is not None and cur.last_urged_at is not None:
        allowed_at = cur.last_urged_at + URGE_INTERVAL
        if now < allowed_at:
            when = allowed_at.astimezone(task.company.zone).strftime("%H:%M")
            return Refused(f"1小时内已催办过，可在 {when} 后再催办", retry_at=allowed_at)
    return None


def _check(action: str, actor: User, flow: Flow, now: datetime) -> None:
    error = refusal(action, actor, flow, now)
    if error is not None:
        raise error


def allowed_actions(actor: User, task: Task, now: datetime | None = None, *,
                    flow: Flow | None = None) -> list[str]:
    """The workflow actions `actor` may take on `task` now (what the task page offers);
    `flow` is the task's when the caller has loaded it already."""
    if actor is None or actor.company_id != task.company_id:
        return []
    flow = flow or load_flow(task)
    allowed = [a for a in ACTIONS if refusal(a, actor, flow, now) is None]
    if "start" in allowed and flow.current.state == "started":
        allowed.remove("start")
    return allowed


# --- the actions ------------------------------------------------------------------------

def start(actor: User, task_id: int, now: datetime) -> Task:
    """开始: the current handler marks their node started (again: no change)."""
    with atomic_write():
        flow = _load(actor, task_id)
        _check("start", actor, flow, now)
        if flow.current.state == "active":
            start_node(flow.task, flow.current, actor, now, via="start")
    return flow.task


def open_task(actor: User, task_id: int | Task, now: datetime) -> Task:
    """The actor views the task's details; for its current handler that starts the node."""
    return open_flow(actor, task_id, now).task


def open_flow(actor: User, task_id: int | Task, now: datetime) -> Flow:
    """open_task, returning the task's flow as it stands afterwards."""
    flow = _load(actor, task_id)
    cur = flow.current
    if cur is None or cur.handler_id != actor.id or cur.state != "active":
        return flow
    try:
        # The version claim inside start_node fails if anything changed since the read.
        with atomic_write():
            start_node(flow.task, cur, actor, now, via="open")
    except Conflict:  # someone acted at the same moment; looking must not fail for it
        return _load(actor, flow.task.id)
    return flow


def complete(actor: User, task_id: int | Task, now: datetime) -> Task:
    """完成: the current node is done; the next becomes current, or the task is done."""
    return complete_flow(actor, task_id, now).task


def complete_flow(actor: User, task_id: int | Task, now: datetime) -> Flow:
    """complete, returning the task's flow as it stands afterwards."""
    with atomic_write():
        flow = _load(actor, task_id)
        _check("complete", actor, flow, now)
        task, cur, nxt = flow.task, flow.current, flow.next
        if nxt is None:
            bump(task, status="done", current_seq=None, finished_at=now)
        else:
            bump(task, current_seq=nxt.seq)
        move(cur, "complete", "current", done_at=now, done_by=actor.id,
             started_at=cur.started_at or now)
        add_log(task, actor, "complete", now, seq=cur.seq)
        if nxt is not None:
            move(nxt, "complete", "next", activated_at=now, started_at=None)
            leaves.route_node(task, nxt, now)  # its handler on leave: to the stand-in
            add_receipt(task, nxt, nxt.handler_id, now)
            tell(task, nxt.handler_id, "task_received", state="待处理", sender=actor.name,
                 title=f"新任务：{task.title}", note=nxt.items or "", now=now,
                 body=f"{actor.name}已完成上一步，请处理：{nxt.items or task.title}")
        else:
            _tell_finished(task, actor, now)
    return flow


def _tell_finished(task: Task, actor: User, now: datetime) -> None:
    """The creator and watchers learn the task is done; a scenario's flow-end users learn the
    flow ended. Each person gets one notice: a watcher who is also a flow-end user gets the
    flow-end one."""
    scenario = task.scenario_id and Scenario.get_or_none(Scenario.id == task.scenario_id,
                                                         Scenario.company == task.company_id)
    wanted = list(dict.fromkeys(scenario.notify_on_finish_ids or [])) if scenario else []
    active = {u.id for u in User.scoped(task.company_id, User.id).where(
        User.id.in_(wanted), User.active == True)} if wanted else set()  # noqa: E712
    finish_ids = [user_id for user_id in wanted if user_id in active]
    watchers = [w.user_id for w in TaskWatcher.select().where(TaskWatcher.task == task.id)]
    for user_id in dict.fromkeys([task.creator_id, *watchers]):
        if user_id is not None and user_id != actor.id and user_id not in finish_ids:
            tell(task, user_id, "task_completed", state="已完成", sender=actor.name, now=now,
                 title=f"任务已完成：{task.title}", body=f"{actor.name}完成了最后一步，任务已完成。")
    for user_id in finish_ids:
        tell(task, user_id, "flow_finished", state="流程结束", sender=actor.name, now=now,
             title=f"流程结束：{task.title}", body=f"场景「{scenario.name}」的任务流程已结束。")


def transfer(actor: User, task_id: int, to_user_id: int, now: datetime) -> Task:
    """转办: the current node's handler hands it to another active user of the company."""
    with atomic_write():
        flow = _load(actor, task_id)
        _check("transfer", actor, flow, now)
        task, cur = flow.task, flow.current
        if to_user_id == actor.id:
            raise Refused("不能转办给自己")
        target = (User.scoped(task.company_id)
                  .where(User.id == to_user_id, User.active == True).first())  # noqa: E712
        if target is None:
            raise Invalid("转办对象必须是本公司在职的成员")
        bump(task)
        move(cur, "transfer", "current", handler=target.id, activated_at=now, started_at=None,
             original_handler=cur.original_handler_id or cur.delegated_from_id or actor.id)
        add_log(task, actor, "transfer", now, seq=cur.seq, **{"from": actor.id},
                from_name=actor.name, to=target.id, to_name=target.name)
        add_receipt(task, cur, target.id, now)
        tell(task, target.id, "task_transferred", state="已转办给你", sender=actor.name,
             title=f"{actor.name}转办给你：{task.title}", note=cur.items or "", now=now,
             body=f"{actor.name}把任务转办给你，请处理：{cur.items or task.title}")
    return task


def rollback(actor: User, task_id: int, reason: str, now: datetime) -> Task:
    """回退: back to the previous node (never from the first), with a reason."""
    with atomic_write():
        flow = _load(actor, task_id)
        _check("rollback", actor, flow, now)
        reason = (reason or "").strip()
        if not reason:
            raise Refused("回退必须填写原因")
        task, cur, prev = flow.task, flow.current, flow.previous
        bump(task, current_seq=prev.seq)
        move(cur, "rollback", "current", activated_at=None, started_at=None)
        move(prev, "rollback", "previous", done_at=None, done_by=None, late_reason=None, activated_at=now,
             started_at=None)
        add_log(task, actor, "rollback", now, seq=cur.seq, to_seq=prev.seq, reason=reason[:500],
                **{"from": actor.id}, to=prev.handler_id)
        leaves.route_node(task, prev, now)  # its handler on leave: to the stand-in
        add_receipt(task, prev, prev.handler_id, now)
        tell(task, prev.handler_id, "task_rolled_back", state="被回退", sender=actor.name,
             title=f"任务被回退：{task.title}", body=f"{actor.name}回退了任务，原因：{reason[:500]}",
             note=f"原因：{reason}", now=now)
    return task


def withdraw(actor: User, task_id: int, now: datetime) -> Task:
    """撤回: the handler of the node just completed takes it back while the next is unopened."""
    with atomic_write():
        flow = _load(actor, task_id)
        _check("withdraw", actor, flow, now)
        task, cur, prev = flow.task, flow.current, flow.previous
        bump(task, current_seq=prev.seq)
        move(cur, "withdraw", "current", activated_at=None, started_at=None)
        move(prev, "withdraw", "previous", done_at=None, done_by=None, late_reason=None, activated_at=now,
             started_at=now)
        add_log(task, actor, "withdraw", now, seq=prev.seq, from_seq=cur.seq,
                **{"from": cur.handler_id}, to=actor.id)
        leaves.route_node(task, prev, now, notice=True)  # its owner on leave: to the stand-in
        add_receipt(task, prev, actor.id, now)
        tell(task, cur.handler_id, "task_withdrawn", state="已撤回", sender=actor.name, now=now,
             title=f"任务已撤回：{task.title}", body=f"{actor.name}撤回了上一步，暂时无需处理。",
             note="暂时无需处理")
    return task


def _waited(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{minutes}分钟" if hours else f"{minutes}分钟"


def urge(actor: User, task_id: int, now: datetime) -> Task:
    """催办: remind the next node's handler, at most once per node per hour."""
    with atomic_write():
        flow = _load(actor, task_id)
        _check("urge", actor, flow, now)
        task, cur = flow.task, flow.current
        bump(task)
        # Guarded on the last urge time too: two urges racing must not both notify.
        updated = (TaskNode.update(last_urged_at=now)
                   .where(TaskNode.id == cur.id,
                          TaskNode.last_urged_at.is_null()
                          | (TaskNode.last_urged_at <= now - URGE_INTERVAL)).execute())
        if not updated:
            raise Conflict(CHANGED)
        waited = _waited(now - (cur.activated_at or now))
        add_log(task, actor, "urge", now, seq=cur.seq, to=cur.handler_id, waited=waited)
        tell(task, cur.handler_id, "task_urged", state="已催办", sender=actor.name, now=now,
             title=f"{actor.name}催办：{task.title}", body=f"该步骤已等待{waited}，请尽快处理。",
             note=f"已等待{waited}")
    return task
