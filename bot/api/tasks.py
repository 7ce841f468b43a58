"""Tasks on behalf of the acting user (X-Twork-User): create, list, detail, edit, copy,
move, delete, archive, comments, log, and the workflow actions of SPEC §3.

Every answer about one task is store.tasks.task_detail: nodes, current_seq, status, log,
comments and the actions the acting user may take now."""
from typing import Literal

from pydantic import Field

from bot.api.core import (USER, ApiModel, Id, IdList, OutModel, Page, Str, Time, actor, iso, now,
                          page_of, paginate, route, slice_fetch)
from bot.api.templates import NodeIn
from store import tasks as task_store, workflow
from store.errors import Refused

Priority = Literal["low", "normal", "high", "urgent"]


class TaskIn(ApiModel):
    project_id: Id
    title: Str(200)
    description: Str(5000, min_length=0) = ""
    priority: Priority = "normal"
    due_at: Time
    template_id: Id | None = None
    nodes: list[NodeIn] | None = Field(None, min_length=1, max_length=20)
    assignee_id: Id | None = None
    watcher_ids: IdList = []
    editor_ids: IdList = []
    business_type: Str(50) | None = None


class TaskPatch(ApiModel):
    title: Str(200) | None = None
    description: Str(5000, min_length=0) | None = None
    priority: Priority | None = None
    due_at: Time | None = None
    business_type: Str(50, min_length=0) | None = None
    watcher_ids: IdList | None = None
    editor_ids: IdList | None = None


class TaskQuery(Page):
    view: Literal["all", "todo", "done", "created", "watched"] = "all"
    project_id: Id | None = None
    business_type: Str(50) | None = None
    priority: Priority | None = None
    status: Literal["in_progress", "done"] | None = None
    due_from: Time | None = None
    due_to: Time | None = None
    q: Str(100) | None = Field(None, description="text in title/description, or a task number")
    include_archived: bool = False


class CopyIn(ApiModel):
    project_id: Id | None = None
    title: Str(200) | None = None
    due_at: Time | None = None


class MoveIn(ApiModel):
    project_id: Id


class CommentIn(ApiModel):
    body: Str(2000)


class TransferIn(ApiModel):
    to_user_id: Id


class RollbackIn(ApiModel):
    reason: Str(500, min_length=0) | None = Field(None, description="required by the rules")


class NoBody(ApiModel):
    """An action without parameters: an empty body or {} (anything else is refused, not ignored)."""


class NodeOut(OutModel):
    seq: int
    handler_id: int
    handler_name: str | None = None
    handler_label: str | None = None  # "李四(代张三)" while delegated
    original_handler_id: int | None = None
    delegated_from_id: int | None = None
    items: str
    state: Literal["pending", "active", "started", "done"]
    done_at: str | None = None
    late_reason: str | None = None


class LogOut(OutModel):
    at: str
    actor_id: int | None
    action: str


class CommentOut(OutModel):
    id: int
    author_id: int
    body: str
    created_at: str


class TaskOut(OutModel):
    id: int
    number: int
    title: str
    status: Literal["in_progress", "done"]
    current_seq: int | None
    due_at: str | None
    nodes: list[NodeOut]
    log: list[LogOut]
    comments: list[CommentOut]
    allowed_actions: list[str]


class TaskSummary(OutModel):
    id: int
    number: int
    title: str
    project_id: int
    status: str
    priority: str
    due_at: str | None
    current_seq: int | None


class DeletedOut(OutModel):
    id: int
    deleted_at: str


def summary(task) -> dict:
    return {"id": task.id, "number": task.number, "title": task.title,
            "project_id": task.project_id, "status": task.status, "priority": task.priority,
            "business_type": task.business_type, "due_at": iso(task.due_at),
            "current_seq": task.current_seq, "creator_id": task.creator_id, "simple": task.simple,
            "source": task.source, "created_at": iso(task.created_at)}


def detail(task_id: int) -> dict:
    return task_store.task_detail(actor(), task_id, now())


@route("POST", "/tasks", auth=USER, body=TaskIn, response=TaskOut, status=201, tag="tasks")
def create_task(body: TaskIn):
    """Create a simple task (assignee) or a workflow task (template or nodes)"""
    nodes = None if body.nodes is None else [n.model_dump() for n in body.nodes]
    task = task_store.create_task(
        actor(), body.project_id, body.title, due_at=body.due_at, now=now(),
        description=body.description, priority=body.priority, template_id=body.template_id,
        nodes=nodes, assignee_id=body.assignee_id, watcher_ids=body.watcher_ids,
        editor_ids=body.editor_ids, business_type=body.business_type)
    return detail(task.id)


@route("GET", "/tasks", auth=USER, query=TaskQuery, response=page_of(TaskSummary), tag="tasks")
def list_tasks(query: TaskQuery):
    """The acting user's tasks in one view (todo / done / created / watched / all), filtered"""
    def fetch(limit, offset):
        return task_store.list_tasks(
            actor(), query.view, project_id=query.project_id, business_type=query.business_type,
            priority=query.priority, status=query.status, due_from=query.due_from,
            due_to=query.due_to, text=query.q, include_archived=query.include_archived,
            limit=limit, offset=offset)
    return paginate(fetch, query, summary)


@route("GET", "/tasks/<id:task_id>", auth=USER, response=TaskOut, tag="tasks")
def get_task(task_id: int):
    """One task: nodes, current node, status, log, comments, allowed actions"""
    return detail(task_id)


@route("PATCH", "/tasks/<id:task_id>", auth=USER, body=TaskPatch, response=TaskOut, tag="tasks")
def edit_task(task_id: int, body: TaskPatch):
    """Edit a task (its creator and editors); every change is logged"""
    changes = body.model_dump(exclude_unset=True)
    for name in ("title", "priority", "due_at", "watcher_ids", "editor_ids"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # null means "no change" where empty is not allowed
    task_store.edit_task(actor(), task_id, now=now(), **changes)
    return detail(task_id)


@route("DELETE", "/tasks/<id:task_id>", auth=USER, response=DeletedOut, tag="tasks")
def delete_task(task_id: int):
    """Delete a task (its creator and admins; soft delete, logged)"""
    task = task_store.delete_task(actor(), task_id, now())
    return {"id": task.id, "deleted_at": iso(task.deleted_at)}


@route("POST", "/tasks/<id:task_id>/copy", auth=USER, body=CopyIn, response=TaskOut,
       status=201, tag="tasks")
def copy_task(task_id: int, body: CopyIn):
    """Copy a task (same workflow, watchers, editors) into this or another project"""
    task = task_store.copy_task(actor(), task_id, now=now(), project_id=body.project_id,
                                title=body.title, due_at=body.due_at)
    return detail(task.id)


@route("POST", "/tasks/<id:task_id>/move", auth=USER, body=MoveIn, response=TaskOut, tag="tasks")
def move_task(task_id: int, body: MoveIn):
    """Move a task to another project the acting user belongs to"""
    task_store.move_task(actor(), task_id, body.project_id, now())
    return detail(task_id)


@route("POST", "/tasks/<id:task_id>/archive", auth=USER, response=TaskOut, tag="tasks")
def archive_task(task_id: int):
    """Archive a finished task (project managers)"""
    task_store.archive_task(actor(), task_id, now())
    return detail(task_id)


@route("GET", "/tasks/<id:task_id>/comments", auth=USER, query=Page,
       response=page_of(CommentOut), tag="tasks")
def list_comments(task_id: int, query: Page):
    """The task's comments, oldest first"""
    return paginate(slice_fetch(detail(task_id)["comments"]), query, dict)


@route("POST", "/tasks/<id:task_id>/comments", auth=USER, body=CommentIn, response=CommentOut,
       status=201, tag="tasks")
def add_comment(task_id: int, body: CommentIn):
    """Comment on a task (tells its creator and current handler)"""
    comment = task_store.add_comment(actor(), task_id, body.body, now())
    return {"id": comment.id, "author_id": comment.author_id, "author_name": actor().name,
            "body": comment.body, "created_at": iso(comment.created_at)}


@route("GET", "/tasks/<id:task_id>/log", auth=USER, query=Page, response=page_of(LogOut),
       tag="tasks")
def task_log(task_id: int, query: Page):
    """The task's activity log, oldest first"""
    return paginate(slice_fetch(task_store.task_log(actor(), task_id)), query, dict)


# --- workflow actions (SPEC §3): 200 the task, or 403/409 naming the rule -----------------

def _act(action: str, task_id: int, call):
    try:
        call()
    except Refused as error:
        if error.retry_at is not None and error.detail is None:
            error.detail = {"next_allowed_at": iso(error.retry_at)}
        raise
    return detail(task_id)


def _simple_action(action: str):
    def view(task_id: int, body: NoBody):
        return _act(action, task_id, lambda: getattr(workflow, action)(actor(), task_id, now()))
    view.__name__ = action
    view.__doc__ = f"{workflow.VERBS[action]} ({action}) — SPEC §3"
    route("POST", f"/tasks/<id:task_id>/{action}", auth=USER, body=NoBody, response=TaskOut,
          tag="workflow")(view)


for _action in ("start", "complete", "withdraw", "urge"):
    _simple_action(_action)


@route("POST", "/tasks/<id:task_id>/transfer", auth=USER, body=TransferIn, response=TaskOut,
       tag="workflow")
def transfer(task_id: int, body: TransferIn):
    """转办 (transfer) — the current handler hands the node to another active user"""
    return _act("transfer", task_id,
                lambda: workflow.transfer(actor(), task_id, body.to_user_id, now()))


@route("POST", "/tasks/<id:task_id>/rollback", auth=USER, body=RollbackIn, response=TaskOut,
       tag="workflow")
def rollback(task_id: int, body: RollbackIn):
    """回退 (rollback) — back to the previous node; a reason is required"""
    return _act("rollback", task_id,
                lambda: workflow.rollback(actor(), task_id, body.reason or "", now()))
