"""The notification outbox: every notice a user gets is written here, in the same
transaction as the change that causes it, as a Message (the user's 消息 list) and a
Notification row (the WeChat push to send). Every later change of a row's state
(claimed, sent, deferred, failed, dropped, a dead worker's claim re-taken) is a function
here too; the sender job (jobs/notify.py) only calls them.

    pending --claim--> sending --sent--> sent
       ^                  |----defer---> pending (not_before = now + backoff), failed after MAX_ATTEMPTS
       |                  |--release---> pending, the attempt not spent (quota used up, batch out of time)
       |                  |----fail----> failed (configuration errors: no retry)
       |                  '----drop----> dropped (user gone, unfollowed, task no longer open)
       '-- a claim older than LEASE (its worker died) is claimed again

Store code cannot enqueue RQ jobs (it imports nothing from the project), so `notify` hands
the new row's id over only once the transaction that wrote it commits (peewee's
`after_commit`, run on the outermost commit and dropped on its rollback). The caller (web
request, job) takes the ids with `take_created()` and enqueues the sends. Whatever is missed
(Redis down, crash between commit and enqueue) is found again by `find_due`, which the
sweeper runs every minute.
"""
from contextlib import nullcontext
from contextvars import ContextVar
from datetime import datetime, timedelta

from peewee import JOIN, Case

from store import quiet
from store.db import db, utcnow
from store.models import Company, Message, Notification, Task, User, WeChatBinding

BACKOFF_BASE = 30  # seconds before the first retry
BACKOFF_CAP = 3600
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=120)  # a claim older than this belongs to a dead worker
# RQ's Retry may fire a moment before the row's not_before; don't bounce it to the sweeper.
CLAIM_SLACK = timedelta(seconds=5)
# Fresh pending rows were enqueued by whoever created them; the sweeper waits this long
# before it enqueues them again, so that the normal path is not doubled.
SWEEP_GRACE = timedelta(seconds=60)
# Kinds that only make sense while their task is open (a finished task needs no reminder).
OPEN_TASK_KINDS = frozenset({"due_soon", "overdue", "escalation"})

_created: ContextVar[list[int] | None] = ContextVar("twork_outbox_created", default=None)


def notify(company_id: int, user_id: int, kind: str, *, title: str, body: str = "",
           task_id: int | None = None, data: dict | None = None, dedupe_key: str,
           urgent: bool = False, not_before: datetime | None = None, url: str | None = None,
           keep_message: bool = True, now: datetime | None = None,
           company: Company | None = None) -> Notification | None:
    """Queue one notice for a user; return None when `dedupe_key` was already used.

    Without `not_before`, a notice that is not urgent raised during quiet hours waits for
    their end (store.quiet; `now` is when it was raised, default the clock; `company`, when
    the caller has it loaded, spares looking it up); `urgent` ones, and those given a
    `not_before`, keep it."""
    return notify_many(company_id, [dict(user_id=user_id, kind=kind, title=title, body=body,
                                         task_id=task_id, data=data, dedupe_key=dedupe_key,
                                         urgent=urgent, not_before=not_before, url=url)],
                       keep_message=keep_message, now=now, company=company)[0]


def notify_many(company_id: int, notices: list[dict], *, keep_message: bool = True,
                now: datetime | None = None,
                company: Company | None = None) -> list[Notification | None]:
    """Queue several notices (each with the keyword arguments of `notify` but the company)
    in two multi-row inserts: the Message rows, then the Notification rows pointing at
    them. A notice whose dedupe key was already used comes back as None.

    ON CONFLICT DO NOTHING instead of a savepoint per row: a duplicate key neither aborts
    the caller's transaction nor costs a statement of its own."""
    if not notices:
        return []
    raised, now = now, utcnow()
    waiting = {n["user_id"] for n in notices if n.get("not_before") is None and not n.get("urgent")}
    held = quiet.holds(company or company_id, waiting, raised or now) if waiting else {}
    rows = [{"company": company_id, "user": n["user_id"], "kind": n["kind"],
             "task": n.get("task_id"), "data": n.get("data") or {}, "url": n.get("url"),
             "dedupe_key": n["dedupe_key"][:200], "urgent": bool(n.get("urgent")),
             "not_before": n.get("not_before") or held.get(n["user_id"]) if not n.get("urgent")
             else n.get("not_before"), "created_at": now} for n in notices]
    for row in rows:
        row["not_before"] = row["not_before"] or now
    with nullcontext() if db.in_transaction() else db.atomic():
        messages = ([None] * len(rows) if not keep_message else
                    [Message.insert(company=company_id, user=n["user_id"], kind=n["kind"],
                                    title=n["title"][:200], body=n.get("body") or "",
                                    task=n.get("task_id"), created_at=now).execute()
                     for n in notices])
        for row, message_id in zip(rows, messages):
            row["message"] = message_id
        written = {n.dedupe_key: n for n in Notification.insert_many(rows).on_conflict_ignore()
                   .returning(Notification.id, Notification.dedupe_key).execute()}
        lost = [r["message"] for r in rows if r["message"] and r["dedupe_key"] not in written]
        if lost:  # the message of a notice already queued under its key
            Message.delete().where(Message.id.in_(lost)).execute()
        ids = [n.id for n in written.values()]
        db.after_commit(lambda: _remember(ids))
    return [_filled(written.get(r["dedupe_key"]), r) for r in rows]


def _filled(note: Notification | None, row: dict) -> Notification | None:
    if note is None:
        return None
    for name, value in row.items():
        setattr(note, name, value)
    return note


def _remember(note_ids: list[int]) -> None:
    pending = _created.get()
    if pending is None:
        pending = []
        _created.set(pending)
    pending.extend(note_ids)


def take_created() -> list[int]:
    """The committed, still pending notifications `notify` created in this context since
    the last call (then forgets them). peewee runs commit callbacks on the outermost commit
    only, so the ids of a savepoint rolled back inside a committed transaction come along:
    the check against the table drops them."""
    pending = _created.get()
    if not pending:
        return []
    _created.set([])
    ids = list(dict.fromkeys(pending))
    found = {n.id for n in Notification.select(Notification.id)
             .where(Notification.id.in_(ids), Notification.status == "pending")}
    return [i for i in ids if i in found]


def backoff(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed send: 30 s, 60 s, 120 s … capped at 1 h."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))


def find_due(now: datetime, limit: int = 500, grace: timedelta = SWEEP_GRACE) -> list[int]:
    """Rows a sender should take now: pending and due (for `grace` already), or claimed by
    a worker whose lease ran out (it died between claim and outcome)."""
    due = (((Notification.status == "pending") & (Notification.not_before <= now - grace))
           | ((Notification.status == "sending") & (Notification.not_before <= now)))
    return [n.id for n in Notification.select(Notification.id).where(due)
            .order_by(Notification.not_before).limit(limit)]


def claim_many(note_ids: list[int], now: datetime) -> list[Notification]:
    """pending (and due) -> sending, or re-take a claim whose lease ran out; the rows claimed.
    The WHERE makes a second worker (or the sweeper's duplicate job) update nothing.
    One statement for the whole batch: the UPDATE returns the rows it claimed."""
    due = (((Notification.status == "pending") & (Notification.not_before <= now + CLAIM_SLACK))
           | ((Notification.status == "sending") & (Notification.not_before <= now)))
    return list(Notification.update(status="sending", attempts=Notification.attempts + 1,
                                    not_before=now + LEASE)
                .where(Notification.id.in_(note_ids) & due).returning(Notification).execute())


def _finish(note_ids, **fields) -> int:
    """Record an outcome, only where the claim is still ours; how many rows took it."""
    return Notification.update(**fields).where(Notification.id.in_(list(note_ids)),
                                               Notification.status == "sending").execute()


def _per_row(values: dict[int, str | None]) -> Case:
    return Case(Notification.id, [(note_id, value) for note_id, value in values.items()])


def mark_sent(msgids: dict[int, object], now: datetime) -> int:
    """Rows sent (id -> WeChat's msgid), in one statement."""
    if not msgids:
        return 0
    return _finish(msgids, status="sent", sent_at=now, last_error=None,
                   msgid=_per_row({i: None if m is None else str(m) for i, m in msgids.items()}))


def mark_failed(note_id: int, error: str) -> bool:
    """A failure retrying cannot fix (configuration): no further attempt."""
    return bool(_finish([note_id], status="failed", last_error=error[:500]))


def mark_dropped(reasons: dict[int, str]) -> int:
    """Rows not to be sent (id -> why), in one statement; the Message rows stay, so the
    users still find them in 消息."""
    if not reasons:
        return 0
    return _finish(reasons, status="dropped", last_error=_per_row({i: r[:500] for i, r in reasons.items()}))


def mark_unfollowed(note: Notification, error: str) -> bool:
    """43004: the user unfollowed the account. Pause every notice to them and drop this one."""
    with db.atomic():
        WeChatBinding.update(followed=False).where(WeChatBinding.user == note.user_id).execute()
        return bool(mark_dropped({note.id: error}))


def defer(note: Notification, now: datetime, error: str, delay_seconds: float) -> bool:
    """Back to pending for a later attempt, or failed once MAX_ATTEMPTS were made.
    True if deferred."""
    if note.attempts >= MAX_ATTEMPTS:
        mark_failed(note.id, f"gave up after {note.attempts} attempts: {error}")
        return False
    return bool(_finish([note.id], status="pending", last_error=error[:500],
                        not_before=now + timedelta(seconds=delay_seconds)))


def release(note_ids: list[int], until: datetime) -> int:
    """Give claimed rows back unsent, their attempt not spent, to be taken from `until` on
    (WeChat's daily quota ran out, or the batch used up its time)."""
    if not note_ids:
        return 0
    return _finish(note_ids, status="pending", attempts=Notification.attempts - 1, not_before=until)


def hold_until(note_ids: list[int], until: datetime) -> list[int]:
    """Postpone pending rows without spending an attempt (WeChat's daily quota is used up);
    the ids postponed. Never brings a row's time forward."""
    return [n.id for n in Notification.update(not_before=until)
            .where(Notification.id.in_(note_ids), Notification.status == "pending",
                   Notification.not_before < until).returning(Notification.id).execute()]


def destinations(notes: list[Notification]) -> dict[int, tuple[str | None, str | None]]:
    """id -> (openid, None) when the notice may be sent now, else (None, why not): checked
    after the claim, since the users or the tasks may have changed since they were written.
    One query for the whole batch (two when it holds reminders, whose tasks must still be open)."""
    users = {u["id"]: u for u in
             User.select(User.id, User.active, WeChatBinding.openid, WeChatBinding.followed,
                         WeChatBinding.blocked_at)
             .join(WeChatBinding, JOIN.LEFT_OUTER, on=(WeChatBinding.user == User.id))
             .where(User.id.in_({n.user_id for n in notes})).dicts()} if notes else {}
    reminded = {n.task_id for n in notes if n.task_id and n.kind in OPEN_TASK_KINDS}
    open_tasks = {t.id for t in Task.select(Task.id).where(
        Task.id.in_(reminded), Task.deleted_at.is_null(), Task.status == "in_progress")} if reminded else set()
    return {n.id: _destination(n, users.get(n.user_id), open_tasks) for n in notes}


def _destination(note: Notification, user: dict | None, open_tasks: set[int]) -> tuple[str | None, str | None]:
    if user is None or not user["active"]:
        return None, "user inactive"
    if note.task_id and note.kind in OPEN_TASK_KINDS and note.task_id not in open_tasks:
        return None, "task no longer open"
    if user["openid"] is None:
        return None, "no WeChat binding"
    if not user["followed"]:
        return None, "user does not follow the account"
    if user["blocked_at"] is not None:
        return None, "user blocked the account's messages"
    return user["openid"], None
