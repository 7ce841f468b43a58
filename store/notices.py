"""Notices about a task: the template fields every task notice fills in (each cut to the
20 characters WeChat shows) and the outbox row behind it.

Workflow actions, task creation and comments, leave hand-overs, extensions and the ERP all
tell people about tasks through `tell`, so a notice looks the same whoever caused it.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from store.models import Task, User
from store.outbox import notify


def short_time(value: datetime | None, tz: ZoneInfo) -> str:
    """"12-01 18:00" in the company's time zone (fits a 20-character template field)."""
    return value.astimezone(tz).strftime("%m-%d %H:%M") if value else "无"


def person(user: User | None) -> str:
    return user.name if user is not None else "系统"


def tell(task: Task, user_id: int, kind: str, *, state: str, sender: str, title: str,
         body: str = "", key: str | None = None, urgent: bool = False):
    """Queue a notice about `task` through the outbox, with the template fields filled in.

    The default dedupe key names the task version the event produced, so each event is
    sent once however often a job retries, and two events never share a key."""
    tz = task.company.zone  # joined by get_task; one lookup otherwise
    data = {"task": f"#{task.number} {task.title}"[:20], "due": short_time(task.due_at, tz),
            "from": sender[:20], "state": state[:20]}
    return notify(task.company_id, user_id, kind, title=title, body=body, task_id=task.id,
                  data=data, urgent=urgent,
                  dedupe_key=key or f"task:{task.id}:v{task.version}:{kind}:{user_id}")
