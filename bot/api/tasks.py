"""Tasks on behalf of the acting user (X-Twork-User): create, list, detail, edit, copy,
move, delete, archive, comments, log, and the workflow actions of SPEC §3.

Every answer about one task is store.tasks.task_detail: nodes, current_seq, status, log,
comments and the actions the acting user may take now."""
from typing import Literal

from pydantic import BaseModel, Field

from bot.api.core import (USER, ApiModel, Id, IdList, OutModel, Page, PathId, Resource, Str, Time,
                          access, actor, iso, now, page_of, paginate, paginate_list)
from bot.api.templates import NodeIn
from store import tasks as task_store, workflow
from store.errors import Refused

bp = Resource("tasks", __name__)


class TaskIdPath(BaseModel):
    task_id: PathId

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


@bp.post("/tasks", responses={201: TaskOut})
@access(USER)
def create_task(body: TaskIn):
    """Create a simple task (assignee) or a workflow task (template or nodes)"""
    nodes = None if body.nodes is None else [n.model_dump() for n in body.nodes]
    task = task_store.create_task(
        actor(), body.project_id, body.title, due_at=body.due_at, now=now(),
        description=body.description, priority=body.priority, template_id=body.template_id,
        nodes=nodes, assignee_id=body.assignee_id, watcher_ids=body.watcher_ids,
        editor_ids=body.editor_ids, business_type=body.business_type)
    return detail(task.id), 201


@bp.get("/tasks", responses={200: page_of(TaskSummary)})
@access(USER)
def list_tasks(query: TaskQuery):
    """The acting user's tasks in one view (todo / done / created / watched / all), filtered"""
    def fetch(limit, offset):
        return task_store.list_tasks(
            actor(), query.view, project_id=query.project_id, business_type=query.business_type,
            priority=query.priority, status=query.status, due_from=query.due_from,
            due_to=query.due_to, text=query.q, include_archived=query.include_archived,
            limit=limit, offset=offset)
    return paginate(fetch, query, summary)


@bp.get("/tasks/<id:task_id>", responses={200: TaskOut})
@access(USER)
def get_task(path: TaskIdPath):
    """One task: nodes, current node, status, log, comments, allowed actions"""
    return detail(path.task_id)


@bp.patch("/tasks/<id:task_id>", responses={200: TaskOut})
@access(USER)
def edit_task(path: TaskIdPath, body: TaskPatch):
    """Edit a task (its creator and editors); every change is logged"""
    changes = body.model_dump(exclude_unset=True)
    for name in ("title", "priority", "due_at", "watcher_ids", "editor_ids"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # null means "no change" where empty is not allowed
    task_store.edit_task(actor(), path.task_id, now=now(), **changes)
    return detail(path.task_id)


@bp.delete("/tasks/<id:task_id>", responses={200: DeletedOut})
@access(USER)
def delete_task(path: TaskIdPath):
    """Delete a task (its creator and admins; soft delete, logged)"""
    task = task_store.delete_task(actor(), path.task_id, now())
    return {"id": task.id, "deleted_at": iso(task.deleted_at)}


@bp.post("/tasks/<id:task_id>/copy", responses={201: TaskOut})
@access(USER)
def copy_task(path: TaskIdPath, body: CopyIn):
    """Copy a task (same workflow, watchers, editors) into this or another project"""
    task = task_store.copy_task(actor(), path.task_id, now=now(), project_id=body.project_id,
                                title=body.title, due_at=body.due_at)
    return detail(task.id), 201


@bp.post("/tasks/<id:task_id>/move", responses={200: TaskOut})
@access(USER)
def move_task(path: TaskIdPath, body: MoveIn):
    """Move a task to another project the acting user belongs to"""
    task_store.move_task(actor(), path.task_id, body.project_id, now())
    return detail(path.task_id)


@bp.post("/tasks/<id:task_id>/archive", responses={200: TaskOut})
@access(USER)
def archive_task(path: TaskIdPath):
    """Archive a finished task (project managers)"""
    task_store.archive_task(actor(), path.task_id, now())
    return detail(path.task_id)


@bp.get("/tasks/<id:task_id>/comments", responses={200: page_of(CommentOut)})
@access(USER)
def list_comments(path: TaskIdPath, query: Page):
    """The task's comments, oldest first"""
    return paginate_list(detail(path.task_id)["comments"], query, dict)


@bp.post("/tasks/<id:task_id>/comments", responses={201: CommentOut})
@access(USER)
def add_comment(path: TaskIdPath, body: CommentIn):
    """Comment on a task (tells its creator and current handler)"""
    comment = task_store.add_comment(actor(), path.task_id, body.body, now())
    return {"id": comment.id, "author_id": comment.author_id, "author_name": actor().name,
            "body": comment.body, "created_at": iso(comment.created_at)}, 201


@bp.get("/tasks/<id:task_id>/log", responses={200: page_of(LogOut)})
@access(USER)
def task_log(path: TaskIdPath, query: Page):
    """The task's activity log, oldest first"""
    return paginate_list(task_store.task_log(actor(), path.task_id), query, dict)


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
    def view(path: TaskIdPath, body: NoBody):
        return _act(action, path.task_id,
                    lambda: getattr(workflow, action)(actor(), path.task_id, now()))
    view.__name__ = view.__qualname__ = action
    view.__doc__ = f"{workflow.VERBS[action]} ({action}) — SPEC §3"
    bp.post(f"/tasks/<id:task_id>/{action}", responses={200: TaskOut})(access(USER)(view))


for _action in ("start", "complete", "withdraw", "urge"):
    _simple_action(_action)


@bp.post("/tasks/<id:task_id>/transfer", responses={200: TaskOut})
@access(USER)
def transfer(path: TaskIdPath, body: TransferIn):
    """转办 (transfer) — the current handler hands the node to another active user"""
    return _act("transfer", path.task_id,
                lambda: workflow.transfer(actor(), path.task_id, body.to_user_id, now()))


@bp.post("/tasks/<id:task_id>/rollback", responses={200: TaskOut})
@access(USER)
def rollback(path: TaskIdPath, body: RollbackIn):
    """回退 (rollback) — back to the previous node; a reason is required"""
    return _act("rollback", path.task_id,
                lambda: workflow.rollback(actor(), path.task_id, body.reason or "", now()))
