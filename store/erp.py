"""ERP event ingestion (SPEC §5) and the archiving of finished ERP tasks.

Each event is either fully applied (its ErpEvent row, the tasks it created or the repeats
it noted) or, when anything about it is wrong, nothing of it is stored and its result says
why. One bad event never spoils the others of its batch.

A batch costs a fixed number of statements per chunk of events, not per event: the
company's enabled scenarios and their conditions are read once, the event ids already seen
in one query, and each chunk is one transaction that locks the scenarios it touches, reads
their open tasks, decides every event in memory and writes the rows in bulk
(store.erp_batch). Events that need the one-at-a-time path (store.erp_apply) — a
"situation cleared" report, a first handler on leave, or every event of a chunk whose bulk
write failed — are applied there, each in a savepoint of the chunk's transaction.

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
from datetime import datetime

from store import projects
from store import tasks as task_store
from store.db import atomic_write
from store.erp_apply import as_duplicate, error, originals
from store.erp_plan import CHUNK, Batch
from store.errors import DomainError, Forbidden, Invalid
from store.models import Task, TaskLog, User

MAX_EVENT_ID = 128
STATUSES = ("created", "matched_open_task", "cleared", "no_match", "duplicate", "error")


def ingest_events(company_id: int, events: list, now: datetime,
                  settings: list | None = None) -> list[dict]:
    """Apply ERP events in order; one result per event (see the module docstring).
    `settings`: the company's, as store.erp_settings read them with its signing secrets."""
    batch = Batch(company_id, now, settings)
    results: list = [None] * len(events)
    items = []  # (index, the id shown in an error, event id, Event or its problem)
    for index, raw in enumerate(events):
        try:
            event_id = _event_id(raw)
        except DomainError as exc:
            results[index] = error(_shown_id(raw), exc)
            continue
        try:
            parsed = batch.parse(index, event_id, raw)
        except DomainError as exc:
            parsed = exc
        items.append((index, _shown_id(raw), event_id, parsed))
    stored: dict[str, int] = {}  # event id -> index of the event of this batch that stored it
    if batch.unmatched_only(items):
        batch.record_unmatched(items, stored, results)
    else:
        seen = originals(company_id, [item[2] for item in items])
        for start in range(0, len(items), CHUNK):
            batch.ingest(items[start:start + CHUNK], seen, stored, results)
    for index, result in enumerate(results):
        if isinstance(result, int):  # a repeat of an id stored earlier in this batch
            results[index] = as_duplicate(results[result])
    return results


def count_statuses(results: list[dict]) -> dict:
    """How many events ended in each status (for the API's answer)."""
    return {status: sum(r["status"] == status for r in results) for status in STATUSES}


def _shown_id(raw):
    """The event's id as it is echoed in an error result (cut, never a non-id value)."""
    shown = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(shown, (str, int)) or isinstance(shown, bool):
        return None
    return shown.strip()[:MAX_EVENT_ID] if isinstance(shown, str) else shown


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
