"""The acting user's messages (消息): list, read marks, 待处理 pending marks."""
from pydantic import Field

from bot.api.core import (USER, ApiModel, IdList, OutModel, Page, iso, now, page_of, paginate,
                          require_user, route, slice_fetch)
from store import messages as message_store


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


@route("GET", "/messages", auth=USER, query=MessageQuery, response=page_of(MessageOut),
       tag="messages")
def list_messages(query: MessageQuery):
    """My messages, unread first (or only the pending ones)"""
    user = require_user()
    if query.pending:
        fetch = slice_fetch(message_store.list_pending(user, limit=query.offset + query.limit + 1))
    else:
        def fetch(limit, offset):
            return message_store.list_messages(user, limit=limit, offset=offset)
    result = paginate(fetch, query, message_out)
    result["unread"] = message_store.count_unread(user)
    return result


@route("GET", "/messages/<id:message_id>", auth=USER, response=MessageOut, tag="messages")
def get_message(message_id: int):
    """One of my messages"""
    return message_out(message_store.get_message(require_user(), message_id))


@route("POST", "/messages/<id:message_id>/read", auth=USER, response=MessageOut,
       tag="messages")
def read_message(message_id: int):
    """Mark one message read"""
    user = require_user()
    message_store.get_message(user, message_id)
    message_store.mark_read(user, [message_id], now=now())
    return message_out(message_store.get_message(user, message_id))


@route("POST", "/messages/read", auth=USER, body=ReadIn, response=ReadOut, tag="messages")
def read_messages(body: ReadIn):
    """Mark several (ids) or all (all=true) of my messages read"""
    user = require_user()
    if body.all:
        updated = message_store.mark_all_read(user, now=now())
    else:
        updated = message_store.mark_read(user, body.ids, now=now())
    return {"updated": updated, "unread": message_store.count_unread(user)}


@route("POST", "/messages/<id:message_id>/pending", auth=USER, body=PendingIn,
       response=MessageOut, tag="messages")
def mark_pending(message_id: int, body: PendingIn):
    """Mark a message 待处理 (or unmark with {"pending": false})"""
    return message_out(message_store.set_pending(require_user(), message_id, body.pending))


@route("DELETE", "/messages/<id:message_id>/pending", auth=USER, response=MessageOut,
       tag="messages")
def unmark_pending(message_id: int):
    """Unmark a message 待处理"""
    return message_out(message_store.set_pending(require_user(), message_id, False))
