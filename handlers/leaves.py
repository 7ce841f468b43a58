"""请假 / 销假 / 我的请假 (SPEC §9 leave delegation): read the period and the stand-in from
chat and call store.leaves, which decides and moves the nodes.

    请假 12-08 至 12-10 交给 @李四      请假 12-08 12-10 @李四      leave 12-08 to 12-10 @lisi
    请假 明天 @李四  (one day)          销假 / 取消请假 [N]           我的请假

Dates are read by handlers.deadlines (its date forms, in the company's timezone); only the
day counts: a leave runs from 00:00 of the first day to 24:00 of the last.
"""
import re
import unicodedata

from bot.router import Routes
from handlers import texts
from handlers.deadlines import parse_deadline
from handlers.mentions import resolve_user, take_mentions
from handlers.replies import fit_list
from store import leaves
from store.errors import Invalid

routes = Routes()
# The three commands share one 帮助 line (the router lists a docstring line once).

_BETWEEN = re.compile(r"\s*(?:至|到|~|～|—|–|\bto\b|\buntil\b|\btill\b)\s*", re.IGNORECASE)
# "交给 @李四" leaves "交给" behind once the mention is taken out.
_HANDOVER = re.compile(r"\s*(?:交给|交由|委托给|委托|代办人|代办|由|给|hand over to|to|with|by)$",
                       re.IGNORECASE)
PAST_SHOWN = 5
_GLUED_MENTION = re.compile(r"(?<=[\u4e00-\u9fff])@")


def _day(text: str, ctx):
    when = parse_deadline(text, ctx.now, ctx.tz)
    if when is None:
        raise Invalid(texts.LEAVE_BAD_DATE.format(text=text))
    return when.date()


def parse_period(text: str, ctx):
    """"12-08 至 12-10" / "12-08 12-10" / "dec 8 to dec 10" / "明天" → (first day, last day)."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    text = _HANDOVER.sub("", text).strip()
    if not text:
        raise Invalid(texts.LEAVE_USAGE)
    parts = _BETWEEN.split(text, maxsplit=1)
    if len(parts) == 1:
        if parse_deadline(text, ctx.now, ctx.tz) is not None:
            parts = [text, text]
        else:
            parts = text.split()
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise Invalid(texts.LEAVE_USAGE)
    return _day(parts[0].strip(), ctx), _day(parts[1].strip(), ctx)


@routes.command("请假", "leave")
def request_leave(ctx):
    """请假 12-08至12-10 @某人 / 销假 / 我的请假 — 请假时任务由人代办"""
    # "交给@李四": a mention glued to a Chinese word still counts.
    rest, names = take_mentions(_GLUED_MENTION.sub(" @", ctx.args))
    if len(names) != 1:
        raise Invalid(texts.LEAVE_USAGE)
    first, last = parse_period(rest, ctx)
    delegate = resolve_user(ctx, names[0])
    leave = leaves.create_leave(ctx.user, first, last, delegate.id, ctx.now)
    if leave.status == "active":
        note = texts.LEAVE_STARTED_NOTE.format(count=leaves.delegated_count(leave),
                                               delegate=delegate.name)
    else:
        note = texts.LEAVE_SCHEDULED_NOTE.format(delegate=delegate.name)
    return texts.LEAVE_CREATED.format(start=f"{first:%m-%d}", end=f"{last:%m-%d}",
                                      days=(last - first).days + 1, delegate=delegate.name,
                                      note=note)


def _pick(ctx):
    """The leave 销假 means: the N-th of my current and coming leaves, or without N the one
    in progress, else the next one."""
    mine = leaves.list_own_live(ctx.user)
    arg = ctx.args.strip().lstrip("#")
    if arg:
        if not arg.isdigit() or not 1 <= int(arg) <= len(mine):
            raise Invalid(texts.LEAVE_PICK.format(n=arg[:10]))
        return mine[int(arg) - 1]
    if not mine:
        raise Invalid(texts.LEAVE_NONE)
    started = [leave for leave in mine if leave.starts_at <= ctx.now]
    return (started or mine)[0]


@routes.command("销假", "取消请假", "cancelleave")
def cancel_leave(ctx):
    """请假 12-08至12-10 @某人 / 销假 / 我的请假 — 请假时任务由人代办"""
    leave = _pick(ctx)
    had_started = leave.starts_at <= ctx.now
    leave = leaves.cancel_leave(ctx.user, leave.id, ctx.now)
    first, last = leaves.span(leave)
    info = leaves.leave_dict(leave)
    return texts.LEAVE_CANCELLED.format(
        start=f"{first:%m-%d}", end=f"{last:%m-%d}", delegate=info["delegate_name"],
        note=texts.LEAVE_RETURNED_NOTE if had_started else "")


@routes.command("我的请假", "leaves", "myleaves", args=False)
def show_leaves(ctx):
    """请假 12-08至12-10 @某人 / 销假 / 我的请假 — 请假时任务由人代办"""
    rows = leaves.list_leaves(ctx.user, limit=50)
    if not rows:
        return texts.LEAVES_EMPTY
    lines, n, past = [], 0, 0
    for leave in rows:
        info = leaves.leave_dict(leave)
        dates = {"start": info["starts_on"][5:], "end": info["ends_on"][5:],
                 "status": texts.LEAVE_STATUS.get(leave.status, leave.status)}
        if leave.user_id != ctx.user.id:
            if leave.status in leaves.LIVE:
                lines.append(texts.LEAVE_COVER_LINE.format(user=info["user_name"], **dates))
        elif leave.status in leaves.LIVE:
            n += 1
            lines.append(texts.LEAVE_MINE_LINE.format(n=n, delegate=info["delegate_name"],
                                                      **dates))
        elif past < PAST_SHOWN:
            past += 1
            lines.append(texts.LEAVE_PAST_LINE.format(delegate=info["delegate_name"], **dates))
    if not lines:
        return texts.LEAVES_EMPTY
    reply, _ = fit_list(texts.LEAVES_HEADER, lines, texts.LEAVES_FOOTER if n else "")
    return reply
