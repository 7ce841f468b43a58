"""The bulk writer of ERP ingestion: the rows a chunk of events produces, written in a fixed
number of multi-row statements whatever the chunk's size.

store.erp decides what each event does (in memory, under the scenarios' locks) and hands
the outcome here as a `Chunk`: new ERP tasks (with their nodes, watchers, editors, log,
receipt and the notice to the first handler, as store.tasks.create_task writes them),
repeats rolled up into open tasks, and the ErpEvent row of every event. Nothing here
decides anything; `write` runs inside the caller's transaction.
"""
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from peewee import Case

from store import outbox, quiet
from store.db import db, utcnow
from store.models import (Company, ErpEvent, Message, Notification, Task, TaskEditor, TaskLog,
                          TaskNode, TaskReceipt, TaskWatcher)
from store.notices import task_fields


@dataclass
class Setup:
    """What every task of one scenario gets, checked once per batch."""
    scenario_id: int
    nodes: list[dict]
    watchers: list[int]
    editors: list[int]
    priority: str
    business_type: str | None
    days: int


@dataclass
class OpenTask:
    """An open task of a scenario and document: one already stored (`id`), or one this
    chunk creates (`setup`, its fields; `id` once written)."""
    id: int | None
    erp_data: dict
    occurrences: int
    title: str
    description: str
    setup: Setup | None = None
    fields: dict = field(default_factory=dict)
    repeated: bool = False


@dataclass
class Chunk:
    """The rows one chunk of events writes; `logs` are (task, action, detail) in order."""
    company_id: int
    project_id: int
    project_name: str
    tz: ZoneInfo
    now: datetime
    created: list[OpenTask] = field(default_factory=list)
    logs: list[tuple[OpenTask, str, dict]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # ErpEvent rows; "task": an OpenTask

    def __bool__(self):
        return bool(self.events)


def write(chunk: Chunk) -> None:
    """Write the chunk's rows (in the caller's transaction)."""
    _insert_tasks(chunk)
    _roll_up([t for t in {id(t): t for t, _, _ in chunk.logs}.values()
              if t.repeated and t.setup is None])
    TaskLog.insert_many([{"company": chunk.company_id, "task": task.id, "actor": None,
                          "action": action, "detail": detail, "created_at": chunk.now}
                         for task, action, detail in chunk.logs]).execute()
    ErpEvent.insert_many([{**row, "task": row["task"].id if row["task"] else None}
                          for row in chunk.events]).execute()


def _insert_tasks(chunk: Chunk) -> None:
    new = chunk.created
    if not new:
        return
    company_id, now = chunk.company_id, chunk.now
    # The UPDATE locks the company row, so concurrent creations get consecutive numbers.
    Company.update(task_seq=Company.task_seq + len(new)).where(Company.id == company_id).execute()
    last = Company.select(Company.task_seq).where(Company.id == company_id).scalar()
    for number, task in enumerate(new, last - len(new) + 1):
        task.fields["number"] = number
    Task.insert_many([{**t.fields, "company": company_id, "project": chunk.project_id,
                       "title": t.title, "description": t.description,
                       "erp_data": t.erp_data, "occurrences": t.occurrences, "simple": False,
                       "creator": None, "current_seq": 1, "created_at": now}
                      for t in new]).execute()
    ids = dict(Task.scoped(company_id, Task.number, Task.id)
               .where(Task.number.between(last - len(new) + 1, last)).tuples())
    for task in new:
        task.id = ids[task.fields["number"]]
    TaskNode.insert_many([
        {"company": company_id, "task": t.id, "seq": seq, "handler": node["handler_id"],
         "items": node["items"], "days": node["days"], "state": "active" if seq == 1 else "pending",
         "activated_at": now if seq == 1 else None}
        for t in new for seq, node in enumerate(t.setup.nodes, 1)]).execute()
    firsts = dict(TaskNode.select(TaskNode.task, TaskNode.id)
                  .where(TaskNode.task.in_([t.id for t in new]), TaskNode.seq == 1).tuples())
    for model, attribute in ((TaskWatcher, "watchers"), (TaskEditor, "editors")):
        rows = [{"company": company_id, "task": t.id, "user": u}
                for t in new for u in getattr(t.setup, attribute)]
        if rows:
            model.insert_many(rows).execute()
    TaskReceipt.insert_many([{"company": company_id, "task": t.id, "node": firsts[t.id],
                              "user": t.setup.nodes[0]["handler_id"], "received_at": now}
                             for t in new]).execute()
    _tell_first_handlers(chunk)


def _tell_first_handlers(chunk: Chunk) -> None:
    """The "new task" notice of each created task, as store.tasks words it with the ERP as
    sender (store.notices fills the template fields, store.quiet holds what is not urgent):
    its 消息 row and its outbox row, two inserts for all."""
    new, company_id = chunk.created, chunk.company_id
    sent_at = utcnow()
    held = quiet.holds(company_id, {t.setup.nodes[0]["handler_id"] for t in new
                                    if t.fields["priority"] != "urgent"}, chunk.now)
    notices = []
    for task in new:
        first = task.setup.nodes[0]
        user_id, urgent = first["handler_id"], task.fields["priority"] == "urgent"
        shown = Task(number=task.fields["number"], title=task.title, due_at=task.fields["due_at"])
        notices.append({
            "user": user_id, "task": task.id, "title": f"新任务：{task.title}"[:200],
            "body": f"ERP发给你的任务，请处理：{first['items'] or task.title}",
            "data": task_fields(shown, chunk.tz, sender="ERP", state="待处理",
                                note=first["items"] or ""),
            "urgent": urgent, "not_before": (None if urgent else held.get(user_id)) or sent_at,
            "dedupe_key": f"task:{task.id}:v0:task_received:{user_id}"})
    Message.insert_many([{"company": company_id, "user": n["user"], "kind": "task_received",
                          "title": n["title"], "body": n["body"], "task": n["task"]}
                         for n in notices]).execute()
    messages = dict(Message.select(Message.task, Message.id)
                    .where(Message.task.in_([t.id for t in new]),
                           Message.kind == "task_received").tuples())
    Notification.insert_many([
        {"company": company_id, "user": n["user"], "kind": "task_received", "task": n["task"],
         "message": messages[n["task"]], "data": n["data"], "dedupe_key": n["dedupe_key"],
         "urgent": n["urgent"], "not_before": n["not_before"]} for n in notices]).execute()
    ids = [i for (i,) in Notification.select(Notification.id).where(
        Notification.dedupe_key.in_([n["dedupe_key"] for n in notices])).tuples()]
    # What outbox.notify does for each row it writes: hand the ids over once committed.
    db.after_commit(lambda: outbox._remember(ids))


def _roll_up(tasks: list[OpenTask]) -> None:
    """Stored tasks that repeats rolled up into: their latest figures and count, in one
    UPDATE. The version is left alone (a repeat must not make a handler's action stale)."""
    if not tasks:
        return
    Task.update(
        occurrences=Case(Task.id, [(t.id, t.occurrences) for t in tasks]),
        erp_data=Case(Task.id, [(t.id, Task.erp_data.db_value(t.erp_data)) for t in tasks]),
        title=Case(Task.id, [(t.id, t.title) for t in tasks]),
        description=Case(Task.id, [(t.id, t.description) for t in tasks]),
    ).where(Task.id.in_([t.id for t in tasks])).execute()
