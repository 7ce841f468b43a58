"""消息: my messages (unread first; listing marks them read) and 待处理 marks."""
from bot.router import Routes
from handlers import texts
from handlers.refs import MESSAGES, message_ref
from handlers.replies import answers_errors, fit_list, local, short
from menus.keys import MenuKey
from store import messages

routes = Routes()

SHOWN = 15


def _line(n: int, message, ctx) -> str:
    return texts.MESSAGE_LINE.format(
        n=n, unread=texts.UNREAD if message.read_at is None else "",
        pending=texts.PENDING_MARK if message.pending else "", title=short(message.title, 36),
        at=local(message.created_at, ctx.tz))


def _show(ctx, items, head, foot) -> str:
    reply, shown = fit_list(head, [_line(n, m, ctx) for n, m in enumerate(items, 1)], foot)
    ctx.session.remember_list(MESSAGES, [m.id for m in items[:shown]])
    return reply, items[:shown]


@routes.command("消息", "messages", "msg", args=False)
@routes.click(MenuKey.MESSAGES)
@answers_errors
def show_messages(ctx):
    """消息 messages — 最近消息（未读在前，查看即已读）"""
    recent = messages.list_messages(ctx.user, limit=SHOWN)
    if not recent:
        return texts.MESSAGES_EMPTY
    unread = sum(1 for m in recent if m.read_at is None)
    reply, shown = _show(ctx, recent, texts.MESSAGES_HEADER.format(unread=unread),
                         texts.MESSAGES_FOOTER)
    messages.mark_read(ctx.user, [m.id for m in shown], now=ctx.now)
    return reply


@routes.command("待处理", args=False)
@routes.click(MenuKey.PENDING)
@answers_errors
def show_pending(ctx):
    """待处理 — 我标记待处理的消息"""
    pending = messages.list_pending(ctx.user)
    if not pending:
        return texts.PENDING_EMPTY
    reply, _ = _show(ctx, pending, texts.PENDING_HEADER.format(total=len(pending)),
                     texts.PENDING_FOOTER)
    return reply


@routes.command("标记", "pending", "mark")
@answers_errors
def mark_pending(ctx):
    """标记 N pending — 把消息标为待处理（不带 N 列出待处理）"""
    if not ctx.args:
        return show_pending(ctx)
    message = messages.set_pending(ctx.user, message_ref(ctx, "标记").id, True)
    return texts.MARKED.format(title=short(message.title, 40))


@routes.command("取消标记", "unmark", "unpending")
@answers_errors
def unmark_pending(ctx):
    """取消标记 N unmark — 取消待处理"""
    message = messages.set_pending(ctx.user, message_ref(ctx, "取消标记").id, False)
    return texts.UNMARKED.format(title=short(message.title, 40))
