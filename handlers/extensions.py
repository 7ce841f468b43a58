"""Deadline extensions in chat (SPEC §9): 延期 N 周五 原因, 同意延期 N, 拒绝延期 N [原因].

The rules (who asks, who decides, what deadline is acceptable, one pending request at a
time) live in store.extensions; these handlers read the words and word the outcome.
"""
from bot.router import Routes
from handlers import texts
from handlers.deadlines import MAX_DEADLINE_TOKENS, parse_deadline
from handlers.refs import task_ref
from handlers.replies import local, short
from store import extensions
from store.errors import Invalid

routes = Routes()


def split_leading_deadline(text: str, now, tz: str):
    """("周五 18:00 等供应商发货") → (the deadline, "等供应商发货"): the longest run of leading
    words that reads as a deadline, and the rest. (None, text) when no leading run does."""
    words = text.split()
    for n in range(min(MAX_DEADLINE_TOKENS, len(words)), 0, -1):
        due = parse_deadline(" ".join(words[:n]), now, tz)
        if due is not None:
            return due, " ".join(words[n:])
    return None, text


@routes.command("延期", "extend")
def extend_task(ctx):
    """延期 N 周五 原因 extend — 申请延后截止"""
    task, rest = task_ref(ctx, "延期")
    if not rest:
        raise Invalid(texts.EXTEND_USAGE)
    due, reason = split_leading_deadline(rest, ctx.now, ctx.tz)
    if due is None:
        raise Invalid(texts.EXTEND_NO_DEADLINE)
    if not reason:
        raise Invalid(texts.EXTEND_NO_REASON)
    ext = extensions.request_extension(ctx.user, task.id, due, reason, ctx.now)
    words = dict(number=task.number, title=short(task.title), old=local(ext.old_due_at, ctx.tz),
                 new=local(ext.new_due_at, ctx.tz))
    if ext.status == "approved":
        return texts.EXTENSION_AUTO.format(**words)
    return texts.EXTENSION_REQUESTED.format(names="、".join(extensions.decider_names(task)),
                                            **words)


@routes.command("同意延期", "approve")
def approve_extension(ctx):
    """同意延期 N approve / 拒绝延期 N [原因] refuse — 审批延期"""
    task, _ = task_ref(ctx, "同意延期")
    ext = extensions.describe([extensions.approve_extension(ctx.user, task.id, ctx.now)])[0]
    return texts.EXTENSION_APPROVED.format(
        number=task.number, title=short(task.title), new=local(ext["new_due_at"], ctx.tz),
        old=local(ext["old_due_at"], ctx.tz), name=ext["requester_name"])


@routes.command("拒绝延期", "refuse", "reject")
def refuse_extension(ctx):
    """同意延期 N approve / 拒绝延期 N [原因] refuse — 审批延期

    (One help line for both: approving and refusing are one decision.)"""
    task, note = task_ref(ctx, "拒绝延期")
    ext = extensions.describe([extensions.refuse_extension(ctx.user, task.id, ctx.now, note)])[0]
    return texts.EXTENSION_REFUSED.format(number=task.number, title=short(task.title),
                                          name=ext["requester_name"], due=local(task.due_at, ctx.tz))
