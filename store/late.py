"""Late-reason codes (SPEC §9): a node completed after its task's deadline gets one reason
from its completer — supplier (供应商), stock (缺货), customs (清关) or internal (内部) — and
the statistics break late work down by it (store.stats.late_by_reason).

"Late" is the on-time rule of store.stats turned around: done_at > Task.due_at, the deadline
in force (an approved extension moves it). The reason lives on the node (TaskNode.late_reason);
only the user who completed the node sets it, and may correct it later; every change is logged.
"""
from datetime import datetime

from store.db import atomic_write, utcnow
from store.errors import Forbidden, Invalid, NotFound, Refused
from store.models import LATE_REASONS, Task, TaskNode, User
from store.taskstate import add_log
from store.visibility import get_task


def is_late(node: TaskNode, task: Task) -> bool:
    return (node.state == "done" and node.done_at is not None and task.due_at is not None
            and node.done_at > task.due_at)


def last_late_node(actor: User, task_id: int) -> TaskNode | None:
    """The node of the task that `actor` most recently completed late, or None."""
    return (TaskNode.select().join(Task, on=(TaskNode.task == Task.id))
            .where(TaskNode.task == task_id, TaskNode.done_by == actor.id,
                   TaskNode.state == "done", TaskNode.done_at > Task.due_at)
            .order_by(TaskNode.done_at.desc(), TaskNode.seq.desc()).first())


def needs_reason(actor: User, task_id: int) -> int | None:
    """The seq of the node `actor` just completed if it was late and has no reason yet (what
    the 完成 reply asks about), else None."""
    node = last_late_node(actor, task_id)
    return node.seq if node is not None and node.late_reason is None else None


def set_late_reason(actor: User, task_id: int, seq: int | None, reason: str,
                    now: datetime | None = None) -> TaskNode:
    """Record why node `seq` (None: the node the actor last completed late) was late."""
    if reason not in LATE_REASONS:
        raise Invalid(f"延误原因必须是 {'/'.join(LATE_REASONS)} 之一",
                      {"allowed": list(LATE_REASONS)})
    now = now or utcnow()
    with atomic_write():
        task = get_task(actor, task_id)
        if seq is None:
            node = last_late_node(actor, task.id)
            if node is None:
                raise Refused("你在这个任务中没有逾期完成的步骤，无需填写延误原因")
        else:
            node = TaskNode.get_or_none(TaskNode.task == task.id, TaskNode.seq == seq)
            if node is None:
                raise NotFound("该任务没有这一步")
        if node.state != "done" or node.done_by_id != actor.id:
            raise Forbidden("只有完成这一步的人可以填写延误原因")
        if not is_late(node, task):
            raise Refused("这一步在截止时间前完成，无需填写延误原因")
        if node.late_reason == reason:
            return node
        # Guarded on who completed it: a withdraw or rollback racing this reopens the node.
        updated = (TaskNode.update(late_reason=reason)
                   .where(TaskNode.id == node.id, TaskNode.state == "done",
                          TaskNode.done_by == actor.id).execute())
        if not updated:
            raise Refused("这一步已被撤回或回退，无需填写延误原因")
        add_log(task, actor, "late_reason", now, seq=node.seq, reason=reason,
                previous=node.late_reason)
        node.late_reason = reason
    return node
