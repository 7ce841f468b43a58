"""The acting user's messages (消息): list, read marks, 待处理 pending marks."""
from pydantic import BaseModel, Field

from bot.api.core import (USER, ApiModel, IdList, OutModel, Page, PathId, Resource, access, iso,
                          now, page_of, paginate, require_user)
from store import messages as message_store

bp = Resource("messages", __name__)


class MessageIdPath(BaseModel):
    message_id: PathId


class MessageQuery(Page):
    pending: bool = Field(False, description="only the messages marked 待处理")


class PendingIn(ApiModel):
    pending: bool = True


class ReadIn(ApiModel):
    ids: IdList = Field([], description="messages to mark read; empty with all=true: every one")
    all: bool = False


class MessageOut(OutModel):
    id: int
    kind: str
    title: str
    body: str
    task_id: int | None
    read: bool
    pending: bool
    created_at: str


class ReadOut(OutModel):
    updated: int
    unread: int


def message_out(message) -> dict:
    return {"id": message.id, "kind": message.kind, "title": message.title, "body": message.body,
            "task_id": message.task_id, "read": message.read_at is not None,
            "read_at": iso(message.read_at), "pending": message.pending,
            "created_at": iso(message.created_at)}


@bp.get("/messages", responses={200: page_of(MessageOut)})
@access(USER)
def list_messages(query: MessageQuery):
    """My messages, unread first (or only the pending ones)"""
    user = require_user()
    if query.pending:
        pending = message_store.list_pending(user, limit=query.offset + query.limit + 1)

        def fetch(limit, offset):
            return pending[offset:offset + limit]
    else:
        def fetch(limit, offset):
            return message_store.list_messages(user, limit=limit, offset=offset)
    result = paginate(fetch, query, message_out)
    result["unread"] = message_store.count_unread(user)
    return result


@bp.get("/messages/<id:message_id>", responses={200: MessageOut})
@access(USER)
def get_message(path: MessageIdPath):
    """One of my messages"""
    return message_out(message_store.get_message(require_user(), path.message_id))


@bp.post("/messages/<id:message_id>/read", responses={200: MessageOut})
@access(USER)
def read_message(path: MessageIdPath):
    """Mark one message read"""
    user = require_user()
    message_store.get_message(user, path.message_id)
    message_store.mark_read(user, [path.message_id], now=now())
    return message_out(message_store.get_message(user, path.message_id))


@bp.post("/messages/read", responses={200: ReadOut})
@access(USER)
def read_messages(body: ReadIn):
    """Mark several (ids) or all (all=true) of my messages read"""
    user = require_user()
    if body.all:
        updated = message_store.mark_all_read(user, now=now())
    else:
        updated = message_store.mark_read(user, body.ids, now=now())
    return {"updated": updated, "unread": message_store.count_unread(user)}


@bp.post("/messages/<id:message_id>/pending", responses={200: MessageOut})
@access(USER)
def mark_pending(path: MessageIdPath, body: PendingIn):
    """Mark a message 待处理 (or unmark with {"pending": false})"""
    return message_out(message_store.set_pending(require_user(), path.message_id, body.pending))


@bp.delete("/messages/<id:message_id>/pending", responses={200: MessageOut})
@access(USER)
def unmark_pending(path: MessageIdPath):
    """Unmark a message 待处理"""
    return message_out(message_store.set_pending(require_user(), path.message_id, False))
