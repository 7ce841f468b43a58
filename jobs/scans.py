"""Periodic scans: which reminders are due.

Every function takes `now` and is a plain query plus `outbox.notify`, testable without a
scheduler. They are safe to run twice, or in two schedulers at once: every reminder has a
unique dedupe key naming its task, node, kind and time slot, so the second insert is
refused by the database (keys already present are filtered out first, to save the work).

Cost: each scan is an index range on Task(company, status, due_at) per company, so it reads
the tasks due in the window, not every task.

    due soon   lead times per company (settings["reminder_hours"], default [24, 2]); the
               smallest lead the task has entered is sent, once per lead and deadline
    overdue    at the deadline (caught up for a day), then daily at the digest time (09:00)
               for users who do not get the digest (the digest lists overdue tasks already)
    escalation a scenario task still open past its deadline: Scenario.escalate_to_ids, once
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.queues import enqueue_created_notifications
from jobs.runtime import job_connection, job_redis
from store import pushclaims, reminders
from store.db import utcnow
from store.leaves import apply_leaves
from store.models import Company, Notification, Scenario, Task, TaskNode, User
from store.outbox import notify
from store.notices import short_time, task_fields

log = logging.getLogger(__name__)

DEFAULT_LEAD_HOURS = (24, 2)
CATCH_UP = timedelta(days=1)  # how far back the at-deadline scans look (scheduler downtime)
DAILY_WINDOW = timedelta(hours=1)


def lead_hours(company: Company) -> list[int]:
    value = (company.settings or {}).get("reminder_hours") or DEFAULT_LEAD_HOURS
    return sorted({int(h) for h in value if int(h) > 0})


def _open_tasks(company: Company, due_from: datetime | None, due_to: datetime,
                *conditions) -> list[Task]:
    """Open tasks with due_at in (due_from, due_to], each with its current node as
    `task.tasknode` (handler, seq).

    Two index reads rather than one join: PostgreSQL estimates "open" and "due before now"
    apart, expects a quarter of all tasks when no lower bound is given (the daily overdue
    pass), and would then hash the whole task_node table."""
    lower = Task.due_at.is_null(False) if due_from is None else Task.due_at > due_from
    tasks = list(Task.select().where(Task.company == company.id, Task.status == "in_progress",
                                     lower, Task.due_at <= due_to, Task.deleted_at.is_null(),
                                     Task.current_seq.is_null(False), *conditions))
    if not tasks:
        return []
    nodes = {(n.task_id, n.seq): n for n in TaskNode.select(TaskNode.task, TaskNode.seq,
                                                            TaskNode.handler)
             .where(TaskNode.task.in_([t.id for t in tasks]))}
    found = []
    for task in tasks:
        task.tasknode = nodes.get((task.id, task.current_seq))
        if task.tasknode is not None:
            found.append(task)
    return found


def _unused(keys) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    used = {n.dedupe_key for n in Notification.select(Notification.dedupe_key)
            .where(Notification.dedupe_key.in_(keys))}
    return set(keys) - used


def _users(company_id: int, ids) -> dict[int, User]:
    ids = list(set(ids))
    if not ids:
        return {}
    active = User.scoped(company_id).where(User.id.in_(ids), User.active == True)  # noqa: E712
    return {u.id: u for u in active}


def _remind(company, user, task, kind, key, now, *, state, title, body):
    """One reminder through the outbox; non-urgent ones wait out quiet hours."""
    urgent = task.priority == "urgent"
    data = task_fields(task, company.zone, sender="Twork提醒", state=state)
    return notify(company.id, user.id, kind, title=title, body=body, task_id=task.id, data=data,
                  dedupe_key=key, urgent=urgent,
                  not_before=(None if urgent else reminders.hold_until(company, user, now)) or now)


def queue_due_soon(now: datetime) -> int:
    """Queue due-soon reminders for tasks whose deadline is within a lead time. A lead whose
    window opened before the task existed is skipped: the task came with its deadline."""
    queued = 0
    for company in Company.select():
        leads = lead_hours(company)
        if not leads:
            continue
        wanted = {}
        for task in _open_tasks(company, now, now + timedelta(hours=max(leads))):
            entered = [h for h in leads if task.due_at - timedelta(hours=h) <= now
                       and task.created_at <= task.due_at - timedelta(hours=h)]
            if entered:
                lead = min(entered)
                key = f"due_soon:{task.id}:{task.tasknode.seq}:{lead}h:{task.due_at.isoformat()}"
                wanted[key] = (task, lead)
        users = _users(company.id, [t.tasknode.handler_id for t, _ in wanted.values()])
        for key in sorted(_unused(wanted)):
            task, lead = wanted[key]
            user = users.get(task.tasknode.handler_id)
            if user and _remind(company, user, task, "due_soon", key, now, state="即将到期",
                                title=f"即将到期：{task.title}",
                                body=f"任务将于{short_time(task.due_at, company.zone)}到期（约{lead}小时后），请及时处理。"):
                queued += 1
    return queued


def queue_overdue(now: datetime) -> int:
    """Queue overdue reminders: at the deadline, then once a day at the digest time."""
    queued = 0
    for company in Company.select():
        tz = company.zone
        today = now.astimezone(tz).date()
        daily = reminders.window_start(company, now, reminders.digest_time(company), DAILY_WINDOW)
        # Outside the daily window only the tasks that just passed their deadline are read.
        wanted = {}
        for task in _open_tasks(company, None if daily else now - CATCH_UP, now):
            due_day = task.due_at.astimezone(tz).date()
            # At the deadline the key names the deadline's day; in the daily window, today.
            day = today if daily else due_day
            wanted[f"overdue:{task.id}:{task.tasknode.seq}:{day.isoformat()}"] = (task, due_day != day)
        users = _users(company.id, [t.tasknode.handler_id for t, _ in wanted.values()])
        for key in sorted(_unused(wanted)):
            task, repeat = wanted[key]
            user = users.get(task.tasknode.handler_id)
            if user is None or (repeat and user.digest_opt_in):
                continue  # the daily repeat for digest users is the digest itself
            late = now - task.due_at
            if _remind(company, user, task, "overdue", key, now, state="已逾期",
                       title=f"已逾期：{task.title}",
                       body=f"任务已于{short_time(task.due_at, tz)}到期，已逾期{_days(late)}，请尽快处理。"):
                queued += 1
    return queued


def _days(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}天{hours % 24}小时" if hours >= 24 else f"{max(hours, 0)}小时"


def queue_escalations(now: datetime) -> int:
    """Tell a scenario's escalation users, once per deadline, that its task is overdue."""
    queued = 0
    for company in Company.select():
        tz = company.zone
        tasks = _open_tasks(company, now - CATCH_UP, now, Task.scenario.is_null(False))
        if not tasks:
            continue
        scenarios = {s.id: s for s in Scenario.scoped(company.id).where(
            Scenario.id.in_({t.scenario_id for t in tasks}))}
        # One key per recipient (a scenario may name several people), per deadline.
        wanted = {f"escalate:{t.id}:{t.due_at.isoformat()}:{uid}": (t, uid) for t in tasks
                  for uid in dict.fromkeys(getattr(scenarios.get(t.scenario_id), "escalate_to_ids", []))}
        fresh = _unused(wanted)
        users = _users(company.id, [uid for _, uid in wanted.values()])
        for key in sorted(fresh):
            task, uid = wanted[key]
            user, scenario = users.get(uid), scenarios[task.scenario_id]
            if user is None:
                continue
            handler = User.get_or_none(User.id == task.tasknode.handler_id)
            if _remind(company, user, task, "escalation", key, now, state="超时未办",
                       title=f"超时升级：{task.title}",
                       body=f"场景「{scenario.name}」的任务已于{short_time(task.due_at, tz)}到期仍未完成，"
                            f"当前处理人：{handler.name if handler else '无'}。"):
                queued += 1
    return queued


def scan_all(now: datetime) -> dict[str, int]:
    """Every periodic query once. The reminder scans go first so that the digest, at its
    hour, can stand for the reminders they have just queued instead of adding to them."""
    counts = {"leaves": apply_leaves(now),  # first: reminders then reach the stand-ins
              "due_soon": queue_due_soon(now), "overdue": queue_overdue(now),
              "escalations": queue_escalations(now)}
    counts["summaries"] = reminders.summarise_held(now)
    counts["digests"] = reminders.queue_daily_digest(now)
    counts["expired_claims"] = pushclaims.purge(now)
    return counts


def run_scans() -> dict[str, int]:
    """The scheduler's RQ job: run the scans, then hand the new rows to the senders."""
    with job_connection():
        counts = scan_all(utcnow())
        enqueue_created_notifications(job_redis())
    log.info("scans queued %s", counts)
    return counts
