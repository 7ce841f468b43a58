"""Reminder etiquette (SPEC §9 "digest, not spam"): the morning summary of what quiet hours
held back, the 09:00 daily digest, and delivery reports of template messages.

Quiet hours themselves are store.quiet (re-exported here): every non-urgent notice raised
during them — reminders, workflow notices, leave hand-overs — is written with not_before =
the end of quiet hours (+ HOLD_MARGIN). For a user who gets the digest, the hold lasts until
the digest, which then lists those tasks anyway and drops the held rows ("summarised").
Everyone else gets one summary when quiet hours end instead of the night's backlog.

Company.settings key read by jobs.scans: "reminder_hours": [24, 2], the due-soon lead times.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from store.db import db
from store.models import Company, Notification, Task, TaskNode, TaskReceipt, User, WeChatBinding
from store.outbox import notify
from store.quiet import (HOLD_MARGIN, at_clock, digest_time, hold_until, quiet_hours,  # noqa: F401
                         quiet_until)

# The morning summary and the digest are attempted on every scan tick in this window after
# their time (a scheduler that was down at 09:00 still sends them); dedupe keys make it once.
MORNING_WINDOW = timedelta(minutes=30)
DIGEST_WINDOW = timedelta(hours=1)
# The notices that stand for others; never held, never summarised.
SUMMARY_KINDS = ("reminder_summary", "digest")
REMINDER_KINDS = ("due_soon", "overdue", "escalation")
SUMMARISED = "summarised"


class _Collision(Exception):
    """Another scan created the same summary/digest first: undo our drops."""


def window_start(company: Company, now: datetime, clock: time, width: timedelta) -> datetime | None:
    """Today's `clock` (company time) if `now` is within `width` after it."""
    tz = company.zone
    start = at_clock(now.astimezone(tz).date(), clock, tz)
    return start if start <= now < start + width else None


def _held(user_ids, released_at: datetime, fresh_since: datetime | None = None):
    """The notices quiet hours held for these users until `released_at` (what hold_until
    gave them as not_before), still waiting and never tried: what a summary stands for.
    With `fresh_since`, also the reminders queued since then and not sent yet (the digest
    lists their tasks anyway; what people did meanwhile still goes on its own)."""
    held = Notification.not_before.between(released_at - timedelta(seconds=1),
                                           released_at + timedelta(seconds=1))
    if fresh_since is not None:
        held |= (Notification.not_before.between(fresh_since, released_at)
                 & Notification.kind.in_(REMINDER_KINDS))
    return (Notification.select()
            .where(Notification.user.in_(list(user_ids)), Notification.status == "pending",
                   Notification.kind.not_in(SUMMARY_KINDS), Notification.urgent == False,  # noqa: E712
                   Notification.attempts == 0, held)
            .order_by(Notification.id))


def _lines(rows: list[Notification]) -> list[str]:
    return [f"{r.data.get('task', '')} {r.data.get('state', '')}".strip() for r in rows]


def _replace_with(rows: list[Notification], make_summary) -> bool:
    """Drop `rows` as summarised and queue the summary, all or nothing. Each drop is
    guarded on status='pending', so a row a worker has just claimed is left to it."""
    try:
        with db.atomic():
            dropped = [r for r in rows if Notification.update(status="dropped", last_error=SUMMARISED)
                       .where(Notification.id == r.id, Notification.status == "pending").execute()]
            if make_summary(dropped) is None:
                raise _Collision
    except _Collision:
        return False
    return True


def summarise_held(now: datetime) -> int:
    """When quiet hours end: one summary per user for whom two or more reminders were held
    (a single held reminder is simply sent). Returns the number of summaries queued."""
    queued = 0
    for company in Company.select():
        window = quiet_hours(company)
        start = window and window_start(company, now, window[1], MORNING_WINDOW)
        if not start:
            continue
        tz = company.zone
        by_user = defaultdict(list)
        users = User.scoped(company.id, User.id).where(User.digest_opt_in == False)  # noqa: E712
        for row in _held(users, start + HOLD_MARGIN).where(Notification.company == company.id):
            by_user[row.user_id].append(row)
        day = now.astimezone(tz).date().isoformat()
        for user_id, rows in by_user.items():
            if len(rows) < 2:
                continue

            def make(dropped, user_id=user_id):
                return notify(company.id, user_id, "reminder_summary",
                              title=f"夜间提醒汇总：{len(dropped)}条", body="\n".join(_lines(dropped)),
                              data={"task": f"夜间提醒{len(dropped)}条", "from": "Twork",
                                    "due": now.astimezone(tz).strftime("%m-%d %H:%M"), "state": "请查看"},
                              url="/m/todo", dedupe_key=f"summary:{user_id}:{day}", not_before=now)
            queued += _replace_with(rows, make)
    return queued


def _digest_items(company: Company, user_ids: list[int], now: datetime, day_end: datetime):
    """{user: {"overdue": [...], "today": [...], "new": [...]}} of tasks (current node theirs)."""
    items = defaultdict(lambda: {"overdue": [], "today": [], "new": []})
    current = (Task.select(Task, TaskNode.handler)
               .join(TaskNode, on=((TaskNode.task == Task.id) & (TaskNode.seq == Task.current_seq)))
               .where(Task.company == company.id, Task.status == "in_progress",
                      Task.deleted_at.is_null(), TaskNode.handler.in_(user_ids)))
    listed = set()
    for task in current.where(Task.due_at < day_end):  # (company, status, due_at) index range
        bucket = "overdue" if task.due_at <= now else "today"
        items[task.tasknode.handler_id][bucket].append(task)
        listed.add((task.tasknode.handler_id, task.id))
    received = (TaskReceipt.select(TaskReceipt.user, TaskReceipt.task)
                .where(TaskReceipt.company == company.id, TaskReceipt.user.in_(user_ids),
                       TaskReceipt.received_at > now - timedelta(days=1)))
    recent = {(r.user_id, r.task_id) for r in received} - listed
    if recent:
        for task in current.where(Task.id.in_([t for _, t in recent])):
            if (task.tasknode.handler_id, task.id) in recent:
                items[task.tasknode.handler_id]["new"].append(task)
    return items


def queue_daily_digest(now: datetime) -> int:
    """At the digest time (company time): one message per opted-in user with overdue, due
    today and new tasks; it replaces the reminders quiet hours held for them and those the
    same scan has just queued (run it after the reminder scans). Returns the number of
    digests queued."""
    queued = 0
    for company in Company.select():
        start = window_start(company, now, digest_time(company), DIGEST_WINDOW)
        if not start:
            continue
        tz = company.zone
        local = now.astimezone(tz)
        day = local.date().isoformat()
        users = [u.id for u in User.scoped(company.id, User.id).where(
            User.active == True, User.digest_opt_in == True)]  # noqa: E712
        keys = {f"digest:{u}:{day}": u for u in users}
        done = {n.dedupe_key for n in Notification.select(Notification.dedupe_key)
                .where(Notification.dedupe_key.in_(list(keys)))} if keys else set()
        users = [u for key, u in keys.items() if key not in done]
        if not users:
            continue
        items = _digest_items(company, users, now, at_clock(local.date() + timedelta(days=1), time(0), tz))
        held = defaultdict(list)
        for row in _held(users, start + HOLD_MARGIN, fresh_since=start):
            held[row.user_id].append(row)
        for user_id in users:
            mine = items.get(user_id)
            if not mine and not held.get(user_id):
                continue
            mine = mine or {"overdue": [], "today": [], "new": []}

            def make(dropped, user_id=user_id, mine=mine):
                counts = {k: len(v) for k, v in mine.items()}
                total = sum(counts.values()) or len(dropped)
                return notify(company.id, user_id, "digest", title=f"每日摘要：{total}项待办",
                              body=_digest_body(mine, tz, dropped),
                              data={"task": f"今日待办{total}项", "due": local.strftime("%m-%d %H:%M"),
                                    "from": f"逾期{counts['overdue']} 今日{counts['today']} 新{counts['new']}",
                                    "state": "每日摘要"},
                              url="/m/todo", dedupe_key=f"digest:{user_id}:{day}", not_before=now)
            queued += _replace_with(held.get(user_id, []), make)
    return queued


def _digest_body(mine: dict, tz: ZoneInfo, held: list[Notification]) -> str:
    lines = ["提醒："] + _lines(held) if held else []
    for bucket, label in (("overdue", "已过期"), ("today", "今天到期"), ("new", "新任务")):
        if mine[bucket]:
            lines.append(f"{label}：")
            lines += [f"#{t.number} {t.title}（截止 {t.due_at.astimezone(tz):%m-%d %H:%M}）"
                      for t in mine[bucket]]
    return "\n".join(lines)


USER_BLOCK = "failed:user block"


def record_delivery(msgid, status: str | None, now: datetime) -> bool:
    """TEMPLATESENDJOBFINISH: WeChat's delivery report for a sent template message. A failed
    delivery ("failed:user block", "failed: system failed") is kept in last_error. A user
    block (they turned off the account's messages) also pauses every push to that user
    until they write to the account again (store.users.resume_pushes): sending more would
    only count against the account."""
    if not msgid:
        return False
    status = (status or "").strip()
    fields = {"last_error": None if status == "success" else f"delivery {status}"[:500]}
    sent = (Notification.select(Notification.id, Notification.user)
            .where(Notification.msgid == str(msgid), Notification.status == "sent").first())
    if sent is None:
        return False
    with db.atomic():
        Notification.update(**fields).where(Notification.id == sent.id).execute()
        if status.replace(" ", "") == USER_BLOCK.replace(" ", ""):
            (WeChatBinding.update(blocked_at=now)
             .where(WeChatBinding.user == sent.user_id, WeChatBinding.blocked_at.is_null())
             .execute())
    return True
