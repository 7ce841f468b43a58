"""ERP event ingestion (SPEC §5) and the archiving of finished ERP tasks.

Each event is handled on its own, in one transaction: it is either fully applied (its
ErpEvent row, the tasks it created or the repeats it noted) or, when anything about it is
wrong, nothing of it is stored and its result says why. One bad event never spoils the
others of its batch.

Per event the result is `{"id", "status", "task_id"?, "reason"?}` with status
* `created` — a matching scenario made a new task in the company's "ERP通知" project;
* `matched_open_task` — the scenario's task for this ERP document is still open: no second
  task, the repeat is written to that task's log and rolled up into it (SPEC §9: occurrence
  count and the latest figures);
* `no_match` — no enabled scenario of the kind matched (the event is still recorded, so a
  resend stays a duplicate);
* `cleared` — a "situation cleared" event (below) reached open tasks: `task_ids` lists them,
  `task_id` is the first;
* `duplicate` — this event id was ingested before; `task_id` is the original answer's task;
* `error` — the event is malformed, or a task could not be made from it (`reason`, `detail`).
When several scenarios match one event, `tasks` lists each one's outcome and `status`/
`task_id` are those of the first that created a task (else the first match).

Situation cleared (SPEC §9): an event of any kind whose `data` has `"cleared": true` says
the ERP considers the situation over for its document. Its data needs the kind's document
fields (`order_no`, `po_no`, `sku`+`warehouse`); every other field is optional, and those
given are checked and rolled into the task's latest figures like a repeat's. Scenario
conditions are not evaluated: every open task (in progress, not deleted) of an enabled
scenario of that kind with the same document is affected —
* its log gets `erp_cleared` (`event_id`, `changes`, `again`), shown as "ERP报告情况已解除";
* its `erp_data` gets `cleared_at` (the time Twork received the first such report; the task
  detail's `erp_cleared` is true while it is set);
* the current node's handler is told (kind `erp_cleared`) and offered to finish with 完成.
The task is never completed for them (SPEC §3: only the handler completes). A report on a
task already marked cleared is logged with `again` but not pushed again. With no open task
the status is `no_match`. A later matching event without the flag, while the task is still
open, is an ordinary repeat (`matched_open_task`) and removes the `cleared_at` mark.
`"cleared": false` (or no `cleared`) is an ordinary event; `cleared` is never stored in the
task's data, and `cleared_at` is refused in an event.
"""
from datetime import datetime, time, timedelta

from peewee import IntegrityError, SqliteDatabase

from store import conditions, projects
from store import scenarios as scenario_store
from store import tasks as task_store
from store.db import atomic_write, db
from store.erp_kinds import (CLEARED, CLEARED_AT, ValueProblem, document_key, document_rows, get_kind,
                             is_cleared, parse_moment, validate_event_data)
from store.errors import DomainError, Forbidden, Invalid
from store.models import Company, ErpEvent, Scenario, Task, TaskLog, TaskNode, User
from store.notices import tell
from store.taskstate import add_log

MAX_EVENT_ID = 128
STATUSES = ("created", "matched_open_task", "cleared", "no_match", "duplicate", "error")


class _Raced(Exception):
    """Another request stored the same event id while we were working on it."""


def ingest_events(company_id: int, events: list, now: datetime) -> list[dict]:
    """Apply ERP events in order; one result per event (see the module docstring)."""
    project = projects.erp_project(company_id)
    tz = Company.zone_of(company_id)
    rules: dict[str, list] = {}
    return [_ingest_one(company_id, project.id, raw, now, tz, rules) for raw in events]


def count_statuses(results: list[dict]) -> dict:
    """How many events ended in each status (for the API's answer)."""
    return {status: sum(r["status"] == status for r in results) for status in STATUSES}


def _ingest_one(company_id, project_id, raw, now, tz, rules) -> dict:
    shown_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(shown_id, (str, int)) or isinstance(shown_id, bool):
        shown_id = None
    elif isinstance(shown_id, str):
        shown_id = shown_id.strip()[:MAX_EVENT_ID]
    try:
        event_id = _event_id(raw)
        original = _original(company_id, event_id)
        if original is not None:
            return original
        kind = get_kind(raw.get("kind"))
        occurred_at = _occurred_at(raw.get("occurred_at"), tz)
        data = validate_event_data(kind, raw.get("data"))
        cleared = is_cleared(raw.get("data"))
        doc_key = document_key(kind, data)
        if kind.name not in rules:
            rules[kind.name] = [(s, conditions.parse_conditions(kind, s.required),
                                 conditions.parse_conditions(kind, s.optional))
                                for s in scenario_store.enabled_for_kind(company_id, kind.name)]
        if cleared:  # the situation is over: conditions aside, every enabled scenario's task
            enabled = [s for s, _, _ in rules[kind.name]]

            def apply():
                return _apply_cleared(company_id, event_id, kind.name, occurred_at,
                                      {**data, CLEARED: True}, data, doc_key, enabled, now)
        else:
            matched = [s for s, req, opt in rules[kind.name] if conditions.matches(req, opt, data, tz=tz)]
            titles = {s.id: _title(s, data) for s in matched}

            def apply():
                return _apply(company_id, project_id, event_id, kind.name, occurred_at, data,
                              doc_key, matched, titles, now)
        try:
            with atomic_write():
                return apply()
        except _Raced:
            return _original(company_id, event_id) or _error(shown_id, Invalid("事件正在处理，请稍后重试"))
    except DomainError as exc:
        return _error(shown_id, exc)


def _error(event_id, exc: DomainError) -> dict:
    result = {"id": event_id, "status": "error", "reason": exc.message}
    if exc.detail is not None:
        result["detail"] = exc.detail
    return result


def _event_id(raw) -> str:
    if not isinstance(raw, dict):
        raise Invalid("事件应为对象 {id, kind, occurred_at, data}", detail={"field": "event", "problem": "应为对象"})
    value = raw.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise Invalid("事件缺少 id", detail={"field": "id", "problem": "缺少事件 id"})
    value = value.strip()
    if len(value) > MAX_EVENT_ID or not value.isprintable():
        raise Invalid(f"事件 id 不能超过 {MAX_EVENT_ID} 个字符，且不能含控制字符",
                      detail={"field": "id", "problem": "事件 id 不合法"})
    return value


def _occurred_at(value, tz) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = parse_moment(value)
    except ValueProblem as exc:
        raise Invalid(f"occurred_at {exc}", detail={"field": "occurred_at", "problem": str(exc)}) from None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _original(company_id: int, event_id: str) -> dict | None:
    row = (ErpEvent.scoped(company_id, ErpEvent.outcome, ErpEvent.task)
           .where(ErpEvent.event_id == event_id).first())
    if row is None:
        return None
    result = {"id": event_id, "status": "duplicate", "original_status": row.outcome}
    if row.task_id is not None:
        result["task_id"] = row.task_id
    return result


def _title(scenario: Scenario, data: dict) -> str:
    try:
        return conditions.render_title(scenario.task_settings["title"], data)
    except Invalid as exc:
        raise Invalid(f"场景「{scenario.name}」：{exc.message}",
                      detail={**(exc.detail or {}), "scenario_id": scenario.id}) from None


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
    _lock(matched)
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
            raise type(exc)(f"场景「{scenario.name}」：{exc.message}",
                            detail={"scenario_id": scenario.id, "problem": exc.message}) from None
    result = {"id": event_id, "status": "no_match"}
    if outcomes:
        chosen = next((o for o in outcomes if o["status"] == "created"), outcomes[0])
        result.update(status=chosen["status"], task_id=chosen["task_id"],
                      scenario_id=chosen["scenario_id"])
        if len(outcomes) > 1:
            result["tasks"] = outcomes
    (ErpEvent.update(outcome=result["status"], task=result.get("task_id"))
     .where(ErpEvent.id == event.id).execute())
    return result


def _lock(matched: list[Scenario]) -> None:
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
    before = task.erp_data or {}
    changes = {k: [before.get(k), v] for k, v in data.items() if before.get(k) != v}
    after = {**before, **data}
    if after.pop(CLEARED_AT, None) is not None:  # it is back: no longer "cleared"
        changes[CLEARED_AT] = [before[CLEARED_AT], None]
    fields = {"erp_data": after}
    title = _title(scenario, after)[:200]
    if title != task.title:
        fields["title"] = title
        changes["title"] = [task.title, title]
    if task.description == _description(kind, before):
        fields["description"] = _description(kind, after)  # unless someone edited it
    (Task.update(occurrences=Task.occurrences + 1, **fields)
     .where(Task.id == task.id).execute())
    occurrences = Task.select(Task.occurrences).where(Task.id == task.id).scalar()
    add_log(task, None, "erp_repeat", now, event_id=event_id, occurrences=occurrences,
            changes=changes)


def _apply_cleared(company_id, event_id, kind, occurred_at, stored, data, doc_key, enabled,
                   now) -> dict:
    """A "situation cleared" event: mark, log and tell each open task of the document (see the
    module docstring); `stored` is the event's data as recorded (with the flag)."""
    event = _claim(company_id, event_id, kind, occurred_at, stored, now)
    _lock(enabled)
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


def _active(company_id: int, user_ids) -> list[int]:
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
        watcher_ids=_active(company_id, scenario.watcher_ids),
        editor_ids=_active(company_id, scenario.editor_ids),
        description=_description(kind, data), source="erp", scenario_id=scenario.id,
        erp_kind=kind, erp_doc_key=doc_key, erp_data=data)
    return task


def _description(kind: str, data: dict) -> str:
    """The document's fields as lines "采购单号：PO123", for chat and the task page."""
    return "\n".join(f"{label}：{shown}" for label, shown in document_rows(kind, data))


# --- archiving --------------------------------------------------------------------------

def archive_task(actor: User, task_id: int, now: datetime) -> Task:
    """Archive one finished task (the project's managers); it leaves the default lists."""
    return task_store.archive_task(actor, task_id, now)


def archive_finished(actor: User, project_id: int | None, now: datetime) -> list[int]:
    """Archive every finished task of a project (default: the company's "ERP通知"); returns
    the ids archived now. Company admins, and department admins for their projects."""
    if project_id is None:
        project = projects.erp_project(actor.company_id)
    else:
        project = projects.get_project(actor, project_id)
    if not projects.can_manage(actor, project):
        raise Forbidden("只有管理员可以归档任务")
    with atomic_write():
        ids = [t.id for t in Task.scoped(actor.company_id, Task.id)
               .where(Task.project == project.id, Task.status == "done",
                      Task.archived_at.is_null(), Task.deleted_at.is_null())]
        if ids:
            (Task.update(archived_at=now, version=Task.version + 1)
             .where(Task.id.in_(ids), Task.archived_at.is_null()).execute())
            TaskLog.insert_many([{"company": actor.company_id, "task": task_id, "actor": actor.id,
                                  "action": "archive", "detail": {"all_finished": True},
                                  "created_at": now} for task_id in ids]).execute()
    return ids
