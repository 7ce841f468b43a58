"""A task's stored state and the primitives every change to it uses: the task with its
nodes in order (`Flow`), the version claim (`bump`), node moves guarded by the state they
leave (`move`, as TRANSITIONS says), the activity log and the receipts.

Workflow actions (store.workflow), task edits (store.tasks), leave hand-overs
(store.leaves), extensions and the ERP all change tasks through these, so the
concurrency guarantee of SPEC §3 holds for every writer, and none of them needs another.
"""
import functools
from dataclasses import dataclass
from datetime import datetime

from store.errors import Conflict
from store.models import Task, TaskLog, TaskNode, TaskReceipt, User
from store.prebuilt import Prebuilt, columns, stored

CHANGED = "任务已被他人更新，请重新查看"

# action -> {node: (states it may leave, state it enters)}. "current" is the task's current
# node, "next" the one after it, "previous" the one just completed before it.
TRANSITIONS = {
    "start": {"current": (("active",), "started")},
    "complete": {"current": (("active", "started"), "done"), "next": (("pending",), "active")},
    "transfer": {"current": (("active", "started"), "active")},
    "rollback": {"current": (("active", "started"), "pending"), "previous": (("done",), "active")},
    "withdraw": {"current": (("active",), "pending"), "previous": (("done",), "started")},
    "urge": {},
}


@dataclass
class Flow:
    """A task with its nodes in order, and the nodes the rules talk about."""
    task: Task
    nodes: list[TaskNode]

    def node(self, seq: int | None) -> TaskNode | None:
        return self.nodes[seq - 1] if seq and 0 < seq <= len(self.nodes) else None

    @property
    def current(self) -> TaskNode | None:
        return self.node(self.task.current_seq) if self.task.status != "done" else None

    @property
    def next(self) -> TaskNode | None:
        return self.node(self.task.current_seq + 1) if self.current else None

    @property
    def previous(self) -> TaskNode | None:
        """The node just completed: before the current one, or the last one once done."""
        if self.task.status == "done":
            return self.nodes[-1] if self.nodes else None
        return self.node(self.task.current_seq - 1)


def load_flow(task: Task) -> Flow:
    """The task's nodes in order, each with its handler's name (`node.handler.name`: the
    refusals and replies name the handler), in one query."""
    return Flow(task, _FLOW.rows(task=task.id))


# Every command on a task reads its flow: built once.
_FLOW = Prebuilt(lambda task: (TaskNode.select(TaskNode, User.id, User.name)
                               .join(User, on=TaskNode.handler)
                               .where(TaskNode.task == task).order_by(TaskNode.seq)), "task")


# Every change to a task runs these writes; their statements are built once (per set of
# fields for the updates).
_LOG_FIELDS = ("company", "task", "action", "detail", "actor", "created_at")
_ADD_LOG = Prebuilt(lambda **values: TaskLog.insert(columns(TaskLog, _LOG_FIELDS, values))
                    .returning(TaskLog.id), *_LOG_FIELDS)
_RECEIPT_FIELDS = ("company", "task", "node", "user", "received_at")
_ADD_RECEIPT = Prebuilt(lambda **values: TaskReceipt.insert(
    columns(TaskReceipt, _RECEIPT_FIELDS, values)).returning(TaskReceipt.id), *_RECEIPT_FIELDS)


@functools.cache
def _bump(names: tuple[str, ...]) -> Prebuilt:
    return Prebuilt(lambda _task, _version, **values: (
        Task.update({Task.version: Task.version + 1, **columns(Task, names, values)})
        .where(Task.id == _task, Task.version == _version)), "_task", "_version", *names)


@functools.cache
def _move(names: tuple[str, ...]) -> Prebuilt:
    return Prebuilt(lambda _node, _from, _to, **values: (
        TaskNode.update({TaskNode.state: _to, **columns(TaskNode, names, values)})
        .where(TaskNode.id == _node, TaskNode.state == _from)), "_node", "_from", "_to", *names)


def add_log(task: Task, actor: User | None, action: str, now: datetime, **detail) -> None:
    _ADD_LOG.values(**stored(TaskLog, {
        "company": task.company_id, "task": task.id, "action": action, "detail": detail,
        "actor": actor.id if actor is not None else None, "created_at": now}))


def add_receipt(task: Task, node: TaskNode, user_id: int, now: datetime) -> None:
    _ADD_RECEIPT.values(**stored(TaskReceipt, {
        "company": task.company_id, "task": task.id, "node": node.id, "user": user_id,
        "received_at": now}))


def bump(task: Task, **fields) -> None:
    """Claim the task for this change: bump `version` only if nobody changed it since we read it."""
    updated = _bump(tuple(fields)).rowcount(_task=task.id, _version=task.version,
                                            **stored(Task, fields))
    if not updated:
        raise Conflict(CHANGED)
    task.version += 1
    for name, value in fields.items():
        setattr(task, name, value)


def move(node: TaskNode, action: str, role: str, **fields) -> None:
    """Move one node as TRANSITIONS[action][role] says; the WHERE on the state it leaves
    makes a racing second mover update nothing."""
    sources, target = TRANSITIONS[action][role]
    if node.state not in sources:
        raise Conflict(CHANGED)
    updated = _move(tuple(fields)).rowcount(_node=node.id, _from=node.state, _to=target,
                                            **stored(TaskNode, fields))
    if not updated:
        raise Conflict(CHANGED)
    node.state = target
    for name, value in fields.items():
        setattr(node, name, value)


def start_node(task: Task, node: TaskNode, actor: User, now: datetime, via: str) -> None:
    """active → started: the handler has seen the task (withdraw is impossible from now on)."""
    bump(task)
    move(node, "start", "current", started_at=now)
    add_log(task, actor, "start", now, seq=node.seq, via=via)
