"""One ERP event applied on its own, in a savepoint of the caller's transaction: the path
for a "situation cleared" report, for a task whose first handler is on leave (the stand-in
rules of store.leaves decide), and for the events of a chunk whose bulk write failed.

It writes through store.tasks.create_task and the task primitives, one statement at a
time; store.erp_batch writes the common cases of a whole chunk in a few statements.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError, SqliteDatabase

from store import tasks as task_store
from store.db import db
from store import conditions
from store.erp_kinds import CLEARED, CLEARED_AT, document_rows
from store.errors import DomainError, Invalid
from store.models import ErpEvent, Scenario, Task, TaskNode, User
from store.notices import tell
from store.taskstate import add_log


class _Raced(Exception):
    """Another request stored the same event id while we were working on it."""


@dataclass
class Event:
    """An event that passed validation: its scenarios are matched, its titles rendered."""
    index: int
    event_id: str
    kind: str
    occurred_at: datetime | None
    data: dict
    cleared: bool
    doc_key: str
    scenarios: list  # matched (or, for a cleared report, every enabled one of the kind)
    titles: dict


def apply_one(company_id: int, project_id: int, event: Event, now: datetime) -> dict:
    """Apply one event fully or not at all (a savepoint); its result."""
    try:
        with db.atomic():
            if event.cleared:
                return _apply_cleared(company_id, event.event_id, event.kind, event.occurred_at,
                                      {**event.data, CLEARED: True}, event.data, event.doc_key,
                                      event.scenarios, now)
            return _apply(company_id, project_id, event.event_id, event.kind, event.occurred_at,
                          event.data, event.doc_key, event.scenarios, event.titles, now)
    except _Raced:
        return originals(company_id, [event.event_id]).get(event.event_id) or error(event.event_id, Invalid("事件正在处理，请稍后重试"))
    except DomainError as exc:
        return error(event.event_id, exc)


def error(event_id, exc: DomainError) -> dict:
    result = {"id": event_id, "status": "error", "reason": exc.message}
    if exc.detail is not None:
        result["detail"] = exc.detail
    return result


def originals(company_id: int, event_ids: list[str]) -> dict[str, dict]:
    """The answer to a resend of each of these ids that was ingested before."""
    if not event_ids:
        return {}
    return {row.event_id: as_duplicate({"id": row.event_id, "status": row.outcome,
                                         "task_id": row.task_id})
            for row in ErpEvent.scoped(company_id, ErpEvent.event_id, ErpEvent.outcome,
                                       ErpEvent.task)
            .where(ErpEvent.event_id.in_(set(event_ids)))}


def as_duplicate(first: dict) -> dict:
    """The answer to an id again, given the answer the first time."""
    if first["status"] in ("error", "duplicate"):
        return dict(first)
    result = {"id": first["id"], "status": "duplicate", "original_status": first["status"]}
    if first.get("task_id") is not None:
        result["task_id"] = first["task_id"]
    return result


def _claim(company_id, event_id, kind, occurred_at, data, now) -> ErpEvent:
    try:
        with db.atomic():  # savepoint: the insert claims the event id before any task is made
            return ErpEvent.create(company=company_id, event_id=event_id, kind=kind,
                                   occurred_at=occurred_at, data=data, outcome="no_match",
                                   received_at=now)
    except IntegrityError:
        raise _Raced() from None


def _apply(company_id, project_id, event_id, kind, occurred_at, data, doc_key, matched, titles,
           now) -> dict:
    event = _claim(company_id, event_id, kind, occurred_at, data, now)
    lock(matched)
    outcomes = []
    for scenario in matched:
        try:
            open_task = _open_task(company_id, scenario.id, doc_key)
            if open_task is not None:
                _roll_up(open_task, scenario, kind, event_id, data, now)
                outcomes.append({"scenario_id": scenario.id, "status": "matched_open_task",
                                 "task_id": open_task.id})
            else:
                task = _create(company_id, project_id, scenario, titles[scenario.id], kind,
                               doc_key, data, now)
                outcomes.append({"scenario_id": scenario.id, "status": "created", "task_id": task.id})
        except DomainError as exc:
            raise of_scenario(scenario, exc) from None
    result = result_of(event_id, outcomes)
    (ErpEvent.update(outcome=result["status"], task=result.get("task_id"))
     .where(ErpEvent.id == event.id).execute())
    return result


def of_scenario(scenario: Scenario, exc: DomainError) -> DomainError:
    """The problem a scenario's task ran into, naming the scenario."""
    return type(exc)(f"场景「{scenario.name}」：{exc.message}",
                     detail={"scenario_id": scenario.id, "problem": exc.message})


def result_of(event_id: str, outcomes: list[dict]) -> dict:
    """An event's result from its scenarios' outcomes (see store.erp)."""
    result = {"id": event_id, "status": "no_match"}
    if outcomes:
        chosen = next((o for o in outcomes if o["status"] == "created"), outcomes[0])
        result.update(status=chosen["status"], task_id=chosen["task_id"],
                      scenario_id=chosen["scenario_id"])
        if len(outcomes) > 1:
            result["tasks"] = outcomes
    return result


def lock(matched: list[Scenario]) -> None:
    """On PostgreSQL, serialise the events of one scenario so that two events about the same
    document arriving together cannot both see "no open task" and both create one. (SQLite
    needs nothing: atomic_write takes the database's single write lock at BEGIN.)"""
    if matched and not isinstance(db.obj, SqliteDatabase):
        list(Scenario.select(Scenario.id).where(Scenario.id.in_([s.id for s in matched]))
             .order_by(Scenario.id).for_update())


def _open_task(company_id: int, scenario_id: int, doc_key: str) -> Task | None:
    return (Task.scoped(company_id, Task.id, Task.company, Task.erp_data, Task.title,
                        Task.description)
            .where(Task.scenario == scenario_id, Task.erp_doc_key == doc_key,
                   Task.status == "in_progress", Task.deleted_at.is_null())
            .order_by(Task.id).first())


def _roll_up(task: Task, scenario: Scenario, kind: str, event_id: str, data: dict,
             now: datetime) -> None:
    """The same situation again: count it, keep the latest figures (the title and the
    generated description re-rendered from them), note it in the log. The task's version
    is left alone: a repeat must not make a handler's action fail as stale."""
    fields, changes = rolled_up(scenario, kind, task.title, task.description, task.erp_data, data)
    (Task.update(occurrences=Task.occurrences + 1, **fields)
     .where(Task.id == task.id).execute())
    occurrences = Task.select(Task.occurrences).where(Task.id == task.id).scalar()
    add_log(task, None, "erp_repeat", now, event_id=event_id, occurrences=occurrences,
            changes=changes)


def rolled_up(scenario: Scenario, kind: str, title: str, text: str, before: dict | None,
              data: dict) -> tuple[dict, dict]:
    """A task's fields after a repeat ({erp_data, title, description}) and what changed
    ({field: [before, after]}). The description follows the figures unless someone edited it."""
    before = before or {}
    changes = {k: [before.get(k), v] for k, v in data.items() if before.get(k) != v}
    after = {**before, **data}
    if after.pop(CLEARED_AT, None) is not None:  # it is back: no longer "cleared"
        changes[CLEARED_AT] = [before[CLEARED_AT], None]
    fields = {"erp_data": after, "title": title_of(scenario, after)[:200], "description": text}
    if fields["title"] != title:
        changes["title"] = [title, fields["title"]]
    if text == description(kind, before):
        fields["description"] = description(kind, after)
    return fields, changes


def title_of(scenario: Scenario, data: dict) -> str:
    """The task title the scenario makes of these figures."""
    try:
        return conditions.render_title(scenario.task_settings["title"], data)
    except Invalid as exc:
        raise Invalid(f"场景「{scenario.name}」：{exc.message}",
                      detail={**(exc.detail or {}), "scenario_id": scenario.id}) from None


def _apply_cleared(company_id, event_id, kind, occurred_at, stored, data, doc_key, enabled,
                   now) -> dict:
    """A "situation cleared" event: mark, log and tell each open task of the document (see the
    module docstring); `stored` is the event's data as recorded (with the flag)."""
    event = _claim(company_id, event_id, kind, occurred_at, stored, now)
    lock(enabled)
    open_tasks = list(Task.scoped(company_id)
                      .where(Task.scenario.in_([s.id for s in enabled]), Task.erp_doc_key == doc_key,
                             Task.status == "in_progress", Task.deleted_at.is_null())
                      .order_by(Task.id)) if enabled else []
    for task in open_tasks:
        _clear(task, event_id, data, now)
    result = {"id": event_id, "status": "no_match"}
    if open_tasks:
        result.update(status="cleared", task_id=open_tasks[0].id,
                      task_ids=[t.id for t in open_tasks])
    (ErpEvent.update(outcome=result["status"], task=result.get("task_id"))
     .where(ErpEvent.id == event.id).execute())
    return result


def _clear(task: Task, event_id: str, data: dict, now: datetime) -> None:
    """Mark the task's ERP data cleared, log it, and offer its current handler to finish. Like
    a repeat it leaves the version alone, and it never completes anything itself."""
    before = task.erp_data or {}
    changes = {k: [before.get(k), v] for k, v in data.items() if before.get(k) != v}
    again = before.get(CLEARED_AT) is not None
    after = {**before, **data, CLEARED_AT: before.get(CLEARED_AT) or now.isoformat()}
    Task.update(erp_data=after).where(Task.id == task.id).execute()
    task.erp_data = after
    add_log(task, None, "erp_cleared", now, event_id=event_id, changes=changes, again=again)
    if again:
        return  # told once already; a second report adds nothing to act on
    node = TaskNode.get_or_none(TaskNode.task == task.id, TaskNode.seq == task.current_seq)
    if node is None or node.handler_id is None:
        return
    tell(task, node.handler_id, "erp_cleared", state="情况已解除", sender="ERP",
         title=f"ERP情况已解除：{task.title}",
         body=f"ERP报告该情况已解除，如无需继续处理，发「完成 #{task.number}」结束。",
         note=f"无需处理可发 完成#{task.number}", now=now,
         key=f"task:{task.id}:erp_cleared:{node.handler_id}:{event_id}")


def active(company_id: int, user_ids) -> list[int]:
    """People who left since the scenario was saved are skipped as watchers/editors (a task
    must still be made); a handler who left makes the event fail, naming them."""
    ids = [int(u) for u in user_ids or ()]
    if not ids:
        return []
    found = {u.id for u in User.scoped(company_id, User.id)
             .where(User.id.in_(ids), User.active == True)}  # noqa: E712
    return [u for u in ids if u in found]


def _create(company_id, project_id, scenario, title, kind, doc_key, data, now) -> Task:
    settings = scenario.task_settings
    task = task_store.create_task(
        None, project_id, title, company_id=company_id, now=now,
        due_at=now + timedelta(days=settings["days"]), priority=settings["priority"],
        business_type=settings.get("business_type"), nodes=scenario.nodes,
        watcher_ids=active(company_id, scenario.watcher_ids),
        editor_ids=active(company_id, scenario.editor_ids),
        description=description(kind, data), source="erp", scenario_id=scenario.id,
        erp_kind=kind, erp_doc_key=doc_key, erp_data=data)
    return task


def description(kind: str, data: dict) -> str:
    """The document's fields as lines "采购单号：PO123", for chat and the task page."""
    return "\n".join(f"{label}：{shown}" for label, shown in document_rows(kind, data))
