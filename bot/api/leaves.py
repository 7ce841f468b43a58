"""Leave delegation (SPEC §9, 请假) for the acting user: request a leave with a stand-in,
list one's leaves (and those one stands in for), cancel (销假). The rules are store.leaves'."""
from datetime import date
from typing import Literal

from pydantic import Field

from bot.api.core import (USER, ApiModel, Id, OutModel, Page, now, page_of, paginate,
                          require_user, route)
from store import leaves as leave_store


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


@route("POST", "/leaves", auth=USER, body=LeaveIn, response=LeaveOut, status=201, tag="leaves")
def create_leave(body: LeaveIn):
    """Request a leave: my nodes go to the stand-in for the period (at once if it starts today)"""
    leave = leave_store.create_leave(require_user(), body.starts_on, body.ends_on,
                                     body.delegate_id, now())
    return leave_store.leave_dict(leave)


@route("GET", "/leaves", auth=USER, query=Page, response=page_of(LeaveOut), tag="leaves")
def list_leaves(query: Page):
    """My leaves and the ones I stand in for: current and coming first, then past ones"""
    user = require_user()
    return paginate(lambda limit, offset: leave_store.list_leaves(user, limit, offset), query,
                    leave_store.leave_dict)


@route("GET", "/leaves/<id:leave_id>", auth=USER, response=LeaveOut, tag="leaves")
def get_leave(leave_id: int):
    """One leave: mine, one I stand in for, or any of the company for a company admin"""
    return leave_store.leave_dict(leave_store.get_leave(require_user(), leave_id))


@route("POST", "/leaves/<id:leave_id>/cancel", auth=USER, response=LeaveOut, tag="leaves")
def cancel_leave(leave_id: int):
    """Cancel a leave (销假): ends it now; the nodes not done go back to their owner"""
    return leave_store.leave_dict(leave_store.cancel_leave(require_user(), leave_id, now()))
