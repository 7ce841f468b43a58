"""The task queries behind the chat's everyday commands (待办, 详情, 完成), each a fixed
number of statements whatever the size of the list or the company: to-dos driven from the
user's current nodes with a LIMIT and an exact count, a task's brief from the flow the
action already loaded, the current handler's name in one query."""
import functools
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, Case, fn

from store import leaves, workflow
from store.erp_kinds import CLEARED_AT
from store.models import Task, TaskLog, TaskNode, User
from store.prebuilt import Prebuilt
from store.taskstate import Flow


@dataclass
class Todo:
    """The first `limit` of the actor's to-dos by deadline (so the overdue come first), and
    how many there are in all and overdue, counted exactly."""
    tasks: list  # TodoLine
    total: int
    overdue: int
    now: datetime

    @property
    def split(self) -> tuple[list, list]:
        """(overdue, not yet due) among the tasks read."""
        late = [t for t in self.tasks if t.due_at is not None and t.due_at < self.now]
        return late, self.tasks[len(late):]


LINE_FIELDS = (Task.id, Task.company, Task.project, Task.number, Task.title, Task.priority,
               Task.status, Task.due_at, Task.current_seq)


def list_todo(actor: User, now: datetime, limit: int = 100) -> Todo:
    """My to-do (SPEC §4): the open tasks whose current node I handle, by deadline.

    Driven from the actor's current nodes (TaskNode(handler, state)), not from the company's
    tasks: the cost follows the actor's own to-dos and the LIMIT. One statement reads the
    page and counts all the to-dos and the overdue among them exactly (window aggregates
    over the same join, before the LIMIT). A current handler always sees the task (the
    receipt was written when the node became theirs), so no visibility test is needed. The
    tasks are TodoLine tuples, what a to-do line shows (a reply may read ninety rows to
    fill its 2 KB, and a model instance per row would cost more than the query)."""
    if not actor.active:
        return Todo([], 0, 0, now)
    page = [TodoLine(*row) for row in _todo_page(limit).rows(actor=actor.id,
                                                               company=actor.company_id, now=now)]
    if not page:
        return Todo([], 0, 0, now)
    return Todo(page, page[0].todo_total, page[0].todo_overdue, now)


TodoLine = namedtuple("TodoLine", [f.name for f in LINE_FIELDS] + ["todo_total", "todo_overdue"])


@functools.cache
def _todo_page(limit: int) -> Prebuilt:
    def build(actor, company, now):
        late = Case(None, [(Task.due_at < now, 1)], 0)
        return (TaskNode.select(*LINE_FIELDS, fn.COUNT(TaskNode.id).over(), fn.SUM(late).over())
                .join(Task, on=((Task.id == TaskNode.task) & (Task.current_seq == TaskNode.seq)))
                .where(TaskNode.handler == actor, TaskNode.state.in_(("active", "started")),
                       Task.company == company, Task.status == "in_progress",
                       Task.deleted_at.is_null(), Task.archived_at.is_null())
                .order_by(Task.due_at.asc(nulls="LAST"), Task.id).limit(limit).tuples())
    return Prebuilt(build, "actor", "company", "now")


def names_of(user_ids) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(ids))}


def task_brief(actor: User, flow: Flow, now: datetime, log_lines: int = 3) -> dict:
    """What the chat's 详情 shows of a task whose flow (store.workflow.open_flow) the actor
    has loaded: the fields of `task_detail` but the people lists and comments, with the last
    `log_lines` of the log, in two more queries (the names, the log with its actors)."""
    task, nodes = flow.task, flow.nodes
    tz = task.company.zone
    iso = (lambda value: value.astimezone(tz).isoformat() if value else None)
    names = {n.handler_id: n.handler.name for n in nodes}
    names |= names_of({task.creator_id, *(n.original_handler_id for n in nodes),
                     *(n.delegated_from_id for n in nodes)} - set(names))
    log = _last_log(log_lines).rows(task=task.id)[::-1]
    return {
        "id": task.id, "number": task.number, "title": task.title,
        "project": {"id": task.project_id, "name": task.project.name},
        "priority": task.priority, "status": task.status, "due_at": iso(task.due_at),
        "original_due_at": iso(task.original_due_at),
        "creator": ({"id": task.creator_id, "name": names.get(task.creator_id)}
                    if task.creator_id else None),
        "current_seq": task.current_seq,
        "nodes": [{"seq": n.seq, "handler_name": names.get(n.handler_id),
                   "original_handler_name": names.get(n.original_handler_id),
                   "handler_label": leaves.label(names.get(n.handler_id),
                                                 names.get(n.delegated_from_id)),
                   "items": n.items, "state": n.state} for n in nodes],
        "erp_kind": task.erp_kind, "erp_data": task.erp_data, "occurrences": task.occurrences,
        "erp_cleared": bool((task.erp_data or {}).get(CLEARED_AT)),
        "log": [{"at": r.created_at.astimezone(tz).isoformat(), "actor_id": r.actor_id,
                 "actor_name": r.actor.name if r.actor_id else "系统", "action": r.action,
                 "detail": r.detail} for r in log],
        "allowed_actions": workflow.allowed_actions(actor, task, now, flow=flow) + ["comment"],
    }


@functools.cache
def _last_log(lines: int) -> Prebuilt:
    """The last `lines` of a task's log with their actors (详情 reads it every time)."""
    return Prebuilt(lambda task: (TaskLog.select(TaskLog, User.id, User.name)
                                  .join(User, JOIN.LEFT_OUTER, on=TaskLog.actor)
                                  .where(TaskLog.task == task).order_by(TaskLog.id.desc())
                                  .limit(lines)), "task")


def handler_label(task: Task) -> str:
    """"李四" or "李四(代张三)": who handles the task's current node, in one query."""
    if task.current_seq is None:
        return ""
    owner = User.alias()
    node = (TaskNode.select(User.name, owner.name.alias("owner"))
            .join_from(TaskNode, User, on=(TaskNode.handler == User.id))
            .join_from(TaskNode, owner, JOIN.LEFT_OUTER, on=(TaskNode.delegated_from == owner.id))
            .where(TaskNode.task == task.id, TaskNode.seq == task.current_seq).dicts().first())
    return leaves.label(node["name"], node["owner"]) if node else ""
