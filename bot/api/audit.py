"""The audit log (SPEC §11): every change made through the API, the console or an operator
command, for company admins to read and filter."""
from pydantic import Field

from bot.api.core import (COMPANY, Id, OutModel, Page, Resource, Str, Time, access, actor, iso,
                          page_of, paginate)
from store import audit

bp = Resource("audit", __name__)
ADMIN = ("company_admin",)


class AuditQuery(Page):
    actor_id: Id | None = Field(None, description="the acting user")
    action: Str(100) | None = Field(None, description="an action, or the start of one (users.)")
    target: Str(200) | None = Field(None, description="e.g. user_id:5")
    since: Time | None = None
    until: Time | None = None
    cursor: Id | None = Field(None, description="next_cursor of the previous page (instead of offset)")


class ActorOut(OutModel):
    id: int | None
    name: str


class AuditOut(OutModel):
    id: int
    at: str
    actor: ActorOut | None
    api_key_id: int | None
    channel: str
    action: str
    target: str
    summary: dict
    client: str


class AuditPage(page_of(AuditOut)):
    next_cursor: int | None = Field(None, description="pass as cursor for the next page")


def entry_out(entry) -> dict:
    named = entry.actor_id is not None or entry.actor_name
    return {"id": entry.id, "at": iso(entry.at),
            "actor": {"id": entry.actor_id, "name": entry.actor_name} if named else None,
            "api_key_id": entry.api_key_id, "channel": entry.channel, "action": entry.action,
            "target": entry.target, "summary": entry.summary, "client": entry.client}


@bp.get("/audit", responses={200: AuditPage})
@access(COMPANY, roles=ADMIN, admin_scope_only=True)
def list_audit(query: AuditQuery):
    """The company's audit log, newest first, filtered by acting user, action, target and time"""
    me = actor()
    filters = dict(actor_id=query.actor_id, action=query.action, target=query.target,
                   since=query.since, until=query.until)
    page = paginate(lambda limit, offset: audit.list_entries(me, limit, offset,
                                                             before_id=query.cursor, **filters),
                    query, entry_out, total=audit.count_entries(me, **filters))
    page["next_cursor"] = page["items"][-1]["id"] if page["next_offset"] is not None else None
    return page
