"""消息: my messages (unread first; listing marks them read), one message in full
(消息 N, or 详情 N on a message that is about no task), and 待处理 marks."""
from bot.router import Routes
from handlers import texts
from handlers.refs import MESSAGES, message_at, message_ref
from handlers.replies import MAX_REPLY_BYTES, clip, fit_list, local, short, size
from menus.keys import MenuKey
from store import messages, tasks
from store.errors import NotFound

routes = Routes()

SHOWN = 15


def _line(n: int, message, ctx) -> str:
    words = dict(n=n, unread=texts.UNREAD if message.read_at is None else "",
                 pending=texts.PENDING_MARK if message.pending else "",
                 title=short(message.title, 36), at=local(message.created_at, ctx.tz))
    if message.task_id is None and message.body:  # a feedback reply, an announcement
        return texts.MESSAGE_LINE_BODY.format(body=short(message.body, 30), **words)
    return texts.MESSAGE_LINE.format(**words)


def _show(ctx, items, head, foot, total: int):
    reply, shown = fit_list(head, [_line(n, m, ctx) for n, m in enumerate(items, 1)], foot,
                            total=total)
    ctx.session.remember_list(MESSAGES, [m.id for m in items[:shown]])
    return reply, items[:shown]


def format_message(ctx, message, n: int) -> str:
    """One message in full: title, time, its text and what to do next."""
    lines = [texts.MESSAGE_HEAD.format(title=message.title, at=local(message.created_at, ctx.tz))]
    if message.body:
        lines.append(message.body)
    if message.task_id is not None:
        try:
            task = tasks.get_task(ctx.user, message.task_id)
        except NotFound:  # deleted, or no longer visible to me
            task = None
        if task is not None:
            lines.append(texts.MESSAGE_TASK.format(number=task.number, title=short(task.title)))
            foot = texts.MESSAGE_TASK_FOOTER.format(number=task.number, n=n)
            return clip("\n".join(lines), limit=_room(foot)) + "\n" + foot
    foot = texts.MESSAGE_FOOTER.format(n=n)
    return clip("\n".join(lines), limit=_room(foot)) + "\n" + foot


def _room(foot: str) -> int:
    return MAX_REPLY_BYTES - size(foot) - 1


def open_message(ctx, message, n: int) -> str:
    messages.mark_read(ctx.user, [message.id], now=ctx.now)
    return format_message(ctx, message, n)


@routes.command("消息", "messages", "msg")
@routes.click(MenuKey.MESSAGES)
def show_messages(ctx):
    """消息 [N] messages — 最近消息（未读在前，查看即已读）；消息 N 看全文"""
    if ctx.args:
        return open_message(ctx, *message_at(ctx, "消息"))
    recent = messages.list_messages(ctx.user, limit=SHOWN)
    if not recent:
        return texts.MESSAGES_EMPTY
    unread = sum(1 for m in recent if m.read_at is None)
    reply, shown = _show(ctx, recent, texts.MESSAGES_HEADER.format(unread=unread),
                         texts.MESSAGES_FOOTER, messages.count_messages(ctx.user))
    messages.mark_read(ctx.user, [m.id for m in shown], now=ctx.now)
    return reply


@routes.command("待处理", args=False)
@routes.click(MenuKey.PENDING)
def show_pending(ctx):
    """待处理 — 我标记待处理的消息"""
    pending = messages.list_pending(ctx.user)
    if not pending:
        return texts.PENDING_EMPTY
    total = messages.count_pending(ctx.user)
    reply, _ = _show(ctx, pending, texts.PENDING_HEADER.format(total=total),
                     texts.PENDING_FOOTER, total)
    return reply


@routes.command("标记", "pending", "mark")
def mark_pending(ctx):
    """标记 N pending — 把消息标为待处理（不带 N 列出待处理）"""
    if not ctx.args:
        return show_pending(ctx)
    message = messages.set_pending(ctx.user, message_ref(ctx, "标记").id, True)
    return texts.MARKED.format(title=short(message.title, 40))


@routes.command("取消标记", "unmark", "unpending")
def unmark_pending(ctx):
    """取消标记 N unmark — 取消待处理"""
    message = messages.set_pending(ctx.user, message_ref(ctx, "取消标记").id, False)
    return texts.UNMARKED.format(title=short(message.title, 40))
