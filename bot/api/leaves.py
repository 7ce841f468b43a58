"""Leave delegation (SPEC §9, 请假) for the acting user: request a leave with a stand-in,
list one's leaves (and those one stands in for), cancel (销假). The rules are store.leaves'."""
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from bot.api.core import (USER, ApiModel, Id, OutModel, Page, PathId, Resource, access, now,
                          page_of, paginate, require_user)
from store import leaves as leave_store

bp = Resource("leaves", __name__)


class LeaveIdPath(BaseModel):
    leave_id: PathId


class LeaveIn(ApiModel):
    starts_on: date = Field(description="first day away (company timezone), from 00:00")
    ends_on: date = Field(description="last day away (company timezone), until 24:00")
    delegate_id: Id = Field(description="the stand-in: another active user of the company")


class LeaveOut(OutModel):
    id: int
    user_id: int
    user_name: str | None
    delegate_id: int
    delegate_name: str | None
    starts_on: str
    ends_on: str
    starts_at: str
    ends_at: str
    status: Literal["scheduled", "active", "ended", "cancelled"]
    created_at: str
    ended_at: str | None


@bp.post("/leaves", responses={201: LeaveOut})
@access(USER)
def create_leave(body: LeaveIn):
    """Request a leave: my nodes go to the stand-in for the period (at once if it starts today)"""
    leave = leave_store.create_leave(require_user(), body.starts_on, body.ends_on,
                                     body.delegate_id, now())
    return leave_store.leave_dict(leave), 201


@bp.get("/leaves", responses={200: page_of(LeaveOut)})
@access(USER)
def list_leaves(query: Page):
    """My leaves and the ones I stand in for: current and coming first, then past ones"""
    user = require_user()
    return paginate(lambda limit, offset: leave_store.list_leaves(user, limit, offset), query,
                    leave_store.leave_dict)


@bp.get("/leaves/<id:leave_id>", responses={200: LeaveOut})
@access(USER)
def get_leave(path: LeaveIdPath):
    """One leave: mine, one I stand in for, or any of the company for a company admin"""
    return leave_store.leave_dict(leave_store.get_leave(require_user(), path.leave_id))


@bp.post("/leaves/<id:leave_id>/cancel", responses={200: LeaveOut})
@access(USER)
def cancel_leave(path: LeaveIdPath):
    """Cancel a leave (销假): ends it now; the nodes not done go back to their owner"""
    return leave_store.leave_dict(leave_store.cancel_leave(require_user(), path.leave_id, now()))
