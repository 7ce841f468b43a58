"""Notices about a task: the template fields every task notice fills in and the outbox row
behind it.

WeChat shows each template field on one line and cuts it at 20 characters without a mark,
so every field goes through `fit` here: one line, cut with an ellipsis where the text is
longer. The fields are `task` (#number title), `due`, `from` (who caused it), `state` (a
short phrase) and `note`, what the person needs to act on: the rollback's reason, how long
an urged node has waited, how to answer an extension request.

Workflow actions, task creation and comments, leave hand-overs, extensions and the ERP all
tell people about tasks through `tell`, so a notice looks the same whoever caused it. A
notice about an urgent-priority task goes at once; any other waits out quiet hours
(store.outbox.notify asks store.quiet).
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from store.models import Task, User
from store.outbox import notify

FIELD_CHARS = 20  # what WeChat shows of a template field
ELLIPSIS = "…"


def fit(text, limit: int = FIELD_CHARS) -> str:
    """`text` as one template field: whitespace and newlines folded to single spaces, at most
    `limit` characters, an ellipsis marking a cut."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def short_time(value: datetime | None, tz: ZoneInfo) -> str:
    """"12-01 18:00" in the company's time zone (fits a 20-character template field)."""
    return value.astimezone(tz).strftime("%m-%d %H:%M") if value else "无"


def person(user: User | None) -> str:
    return user.name if user is not None else "系统"


def task_fields(task: Task, tz: ZoneInfo, *, sender: str, state: str, note: str = "") -> dict:
    """The template fields of a notice about `task`, each fitted."""
    data = {"task": fit(f"#{task.number} {task.title}"), "due": short_time(task.due_at, tz),
            "from": fit(sender), "state": fit(state)}
    if note:
        data["note"] = fit(note)
    return data


def tell(task: Task, user_id: int, kind: str, *, state: str, sender: str, title: str,
         body: str = "", note: str = "", key: str | None = None, urgent: bool = False,
         now: datetime | None = None):
    """Queue a notice about `task` through the outbox, with the template fields filled in.

    The default dedupe key names the task version the event produced, so each event is
    sent once however often a job retries, and two events never share a key."""
    tz = task.company.zone  # joined by get_task; one lookup otherwise
    return notify(task.company_id, user_id, kind, title=title, body=body, task_id=task.id,
                  data=task_fields(task, tz, sender=sender, state=state, note=note),
                  urgent=urgent or task.priority == "urgent", now=now, company=task.company,
                  dedupe_key=key or f"task:{task.id}:v{task.version}:{kind}:{user_id}")
