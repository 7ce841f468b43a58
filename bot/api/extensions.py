"""Deadline extensions and late-reason codes (SPEC §9) on behalf of the acting user.

    POST /tasks/{id}/extensions                    {due_at, reason}  the current handler asks
    GET  /tasks/{id}/extensions                    the task's requests, oldest first
    POST /tasks/{id}/extensions/{eid}/approve      the task's creator approves
    POST /tasks/{id}/extensions/{eid}/refuse       {reason?}  the task's creator refuses
    POST /tasks/{id}/late_reason                   {reason, seq?}  why a node was done late

The rules are store.extensions' and store.late's; refusals come back as 403/409/422.
"""
from typing import Literal

from pydantic import BaseModel, Field

from bot.api.core import (USER, ApiModel, OutModel, Page, PathId, Resource, Str, Time, access,
                          actor, iso, now, page_of, paginate)
from bot.api.tasks import TaskIdPath, TaskOut, detail
from store import extensions as extension_store, late as late_store

bp = Resource("extensions", __name__)


class TaskIdExtensionIdPath(BaseModel):
    task_id: PathId
    extension_id: PathId

Status = Literal["pending", "approved", "refused"]
LateReason = Literal["supplier", "stock", "customs", "internal"]


class ExtensionIn(ApiModel):
    due_at: Time = Field(description="the new deadline: later than the current one, in the future")
    reason: Str(500)


class RefuseIn(ApiModel):
    reason: Str(500, min_length=0) | None = None


class LateReasonIn(ApiModel):
    reason: LateReason
    seq: int | None = Field(None, ge=1, le=1000,
                            description="the node; default: the one the acting user last completed late")


class ExtensionOut(OutModel):
    id: int
    task_id: int
    status: Status
    requester_id: int
    old_due_at: str | None
    new_due_at: str
    reason: str
    decided_by_id: int | None
    decided_at: str | None
    decision_note: str | None
    created_at: str


def render(row: dict) -> dict:
    return {**row, **{name: iso(row[name]) for name in
                      ("old_due_at", "new_due_at", "decided_at", "created_at")}}


def one(extension) -> dict:
    return render(extension_store.describe([extension])[0])


@bp.get("/tasks/<id:task_id>/extensions", responses={200: page_of(ExtensionOut)})
@access(USER)
def list_extensions(path: TaskIdPath, query: Page):
    """The task's deadline-extension requests, oldest first"""
    rows = extension_store.describe(extension_store.list_extensions(actor(), path.task_id))
    return paginate(lambda limit, offset: rows[offset:offset + limit], query, render)


@bp.post("/tasks/<id:task_id>/extensions", responses={201: ExtensionOut})
@access(USER)
def request_extension(path: TaskIdPath, body: ExtensionIn):
    """延期 — the current handler asks for a later deadline (approved at once for the creator)"""
    return one(extension_store.request_extension(actor(), path.task_id, body.due_at, body.reason, now())), 201


@bp.post("/tasks/<id:task_id>/extensions/<id:extension_id>/approve", responses={200: ExtensionOut})
@access(USER)
def approve_extension(path: TaskIdExtensionIdPath):
    """同意延期 — the task's creator approves; the task's due_at becomes the new deadline"""
    return one(extension_store.approve_extension(actor(), path.task_id, now(), path.extension_id))


@bp.post("/tasks/<id:task_id>/extensions/<id:extension_id>/refuse", responses={200: ExtensionOut})
@access(USER)
def refuse_extension(path: TaskIdExtensionIdPath, body: RefuseIn):
    """拒绝延期 — the task's creator refuses, optionally with a reason"""
    return one(extension_store.refuse_extension(actor(), path.task_id, now(), body.reason or "",
                                                path.extension_id))


@bp.post("/tasks/<id:task_id>/late_reason", responses={200: TaskOut})
@access(USER)
def set_late_reason(path: TaskIdPath, body: LateReasonIn):
    """延误原因 — why a node completed after the deadline was late (its completer)"""
    late_store.set_late_reason(actor(), path.task_id, body.seq, body.reason, now())
    return detail(path.task_id)
