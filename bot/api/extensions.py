"""Deadline extensions and late-reason codes (SPEC §9) on behalf of the acting user.

    POST /tasks/{id}/extensions                    {due_at, reason}  the current handler asks
    GET  /tasks/{id}/extensions                    the task's requests, oldest first
    POST /tasks/{id}/extensions/{eid}/approve      the task's creator approves
    POST /tasks/{id}/extensions/{eid}/refuse       {reason?}  the task's creator refuses
    POST /tasks/{id}/late_reason                   {reason, seq?}  why a node was done late

The rules are store.extensions' and store.late's; refusals come back as 403/409/422.
"""
from typing import Literal

from pydantic import Field

from bot.api.core import USER, ApiModel, OutModel, Page, Str, Time, actor, iso, now, page_of, paginate, route
from bot.api.tasks import TaskOut, detail
from store import extensions as extension_store, late as late_store

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


@route("GET", "/tasks/<id:task_id>/extensions", auth=USER, query=Page,
       response=page_of(ExtensionOut), tag="extensions")
def list_extensions(task_id: int, query: Page):
    """The task's deadline-extension requests, oldest first"""
    rows = extension_store.describe(extension_store.list_extensions(actor(), task_id))
    return paginate(lambda limit, offset: rows[offset:offset + limit], query, render)


@route("POST", "/tasks/<id:task_id>/extensions", auth=USER, body=ExtensionIn,
       response=ExtensionOut, status=201, tag="extensions")
def request_extension(task_id: int, body: ExtensionIn):
    """延期 — the current handler asks for a later deadline (approved at once for the creator)"""
    return one(extension_store.request_extension(actor(), task_id, body.due_at, body.reason, now()))


@route("POST", "/tasks/<id:task_id>/extensions/<id:extension_id>/approve", auth=USER,
       response=ExtensionOut, tag="extensions")
def approve_extension(task_id: int, extension_id: int):
    """同意延期 — the task's creator approves; the task's due_at becomes the new deadline"""
    return one(extension_store.approve_extension(actor(), task_id, now(), extension_id))


@route("POST", "/tasks/<id:task_id>/extensions/<id:extension_id>/refuse", auth=USER,
       body=RefuseIn, response=ExtensionOut, tag="extensions")
def refuse_extension(task_id: int, extension_id: int, body: RefuseIn):
    """拒绝延期 — the task's creator refuses, optionally with a reason"""
    return one(extension_store.refuse_extension(actor(), task_id, now(), body.reason or "",
                                                extension_id))


@route("POST", "/tasks/<id:task_id>/late_reason", auth=USER, body=LateReasonIn,
       response=TaskOut, tag="extensions")
def set_late_reason(task_id: int, body: LateReasonIn):
    """延误原因 — why a node completed after the deadline was late (its completer)"""
    late_store.set_late_reason(actor(), task_id, body.seq, body.reason, now())
    return detail(task_id)
