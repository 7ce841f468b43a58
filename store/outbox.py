"""The notification outbox: every notice a user gets is written here, in the same
transaction as the change that causes it, as a Message (the user's 消息 list) and a
Notification row (the WeChat push to send).

Store code cannot enqueue RQ jobs (it imports nothing from the project), so `notify`
remembers the ids it created in a context variable; the web request / job that called
the store takes them with `take_created()` after the commit and enqueues the sends.
Whatever is missed (Redis down, crash between commit and enqueue) is picked up by the
sweeper, which re-enqueues every pending notification that is due.
"""
from contextvars import ContextVar
from datetime import datetime

from peewee import IntegrityError

from store.db import db, utcnow
from store.models import Message, Notification

_created: ContextVar[list[int] | None] = ContextVar("twork_outbox_created", default=None)


def notify(company_id: int, user_id: int, kind: str, *, title: str, body: str = "",
           task_id: int | None = None, data: dict | None = None, dedupe_key: str,
           urgent: bool = False, not_before: datetime | None = None, url: str | None = None,
           keep_message: bool = True) -> Notification | None:
    """Queue one notice for a user; return None when `dedupe_key` was already used."""
    with db.atomic():
        try:
            with db.atomic():  # savepoint: a duplicate key must not abort the caller's transaction
                note = Notification.create(
                    company=company_id, user=user_id, kind=kind, task=task_id,
                    data=data or {}, url=url, dedupe_key=dedupe_key[:200], urgent=urgent,
                    not_before=not_before or utcnow())
        except IntegrityError:
            return None
        if keep_message:
            message = Message.create(company=company_id, user=user_id, kind=kind,
                                     title=title[:200], body=body, task=task_id)
            note.message = message
            note.save(only=[Notification.message])
    pending = _created.get()
    if pending is None:
        pending = []
        _created.set(pending)
    pending.append(note.id)
    return note


def take_created() -> list[int]:
    """The ids `notify` created in this context since the last call (then forgets them)."""
    pending = _created.get()
    if not pending:
        return []
    _created.set([])
    return list(pending)
