"""Shared shape of chat replies: times in the company's timezone, task lines, and fitting
a list into the wire's reply limit (bot.wire.MAX_REPLY_BYTES) with "…还有 N 条".

Refused store calls are answered by the router (bot/router.py), not here."""
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.wire import MAX_REPLY_BYTES
from handlers import texts


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def clip(text: str, limit: int = MAX_REPLY_BYTES) -> str:
    """Cut `text` to `limit` UTF-8 bytes, on a character boundary, marking the cut."""
    if size(text) <= limit:
        return text
    room = limit - size(texts.ELLIPSIS)
    return text.encode("utf-8")[:room].decode("utf-8", errors="ignore") + texts.ELLIPSIS


def short(text: str, chars: int = 30) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= chars else text[:chars - 1] + texts.ELLIPSIS


def fit_list(head: str, items: Iterable[str], foot: str = "", limit: int = MAX_REPLY_BYTES,
             *, total: int | None = None) -> tuple[str, int]:
    """`head`, as many `items` as fit, "…还有 N 条" when some were cut, and `foot`.

    `total` is how many there are when `items` is only the first page of them; with it,
    `items` may be a generator, read only as far as the reply has room. Returns the reply
    and how many items it shows, so that a caller remembers only the positions the user
    could see."""
    if not isinstance(items, Iterator):
        items = list(items)
        total = max(total or 0, len(items))
    head, foot = clip(head, limit // 2), clip(foot, limit // 4)
    used = size(head) + (size(foot) + 1 if foot else 0)
    shown = []
    for index, item in enumerate(items):
        rest = total - index - 1
        more = size("\n" + texts.MORE.format(n=rest)) if rest else 0
        line = "\n" + item
        if used + size(line) + more > limit:
            break
        shown.append(item)
        used += size(line)
    lines = [head, *shown]
    if len(shown) < total:
        lines.append(texts.MORE.format(n=total - len(shown)))
    if foot:
        lines.append(foot)
    return clip("\n".join(lines), limit), len(shown)


def local(value: datetime | str | None, tz: str) -> str:
    """"12-01 18:00" in the company's timezone; "无截止" for none."""
    if value is None:
        return texts.NO_DUE
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")


def overdue_mark(due: datetime | str | None, now: datetime, done: bool = False) -> str:
    if due is None or done:
        return ""
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    return " " + texts.OVERDUE if due < now else ""


def task_line(n: int, task, ctx) -> str:
    """A to-do line: "1. #12 核对PO123到货 · 12-01 18:00 ⚠已过期"."""
    return texts.TASK_LINE.format(n=n, number=task.number, title=short(task.title),
                                  due=local(task.due_at, ctx.tz),
                                  overdue=overdue_mark(task.due_at, ctx.now,
                                                       task.status == "done"))


def task_status_line(n: int, task, ctx) -> str:
    return texts.TASK_LINE_STATUS.format(n=n, number=task.number, title=short(task.title),
                                         status=texts.STATUS.get(task.status, task.status),
                                         due=local(task.due_at, ctx.tz))
