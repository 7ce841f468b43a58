"""待办 / 已办 / 我创建的 / 关注: my task lists, numbered so that "完成 2" means the 2nd line shown."""
from collections.abc import Iterable

from bot.router import Routes
from bot.wire import MAX_REPLY_BYTES
from handlers import texts
from handlers.refs import TASKS
from handlers.replies import fit_list, size, task_line, task_status_line
from menus.keys import MenuKey
from store import tasks

routes = Routes()


# The most lines a reply can show (the shortest line against the wire's limit): 待办 reads
# no more rows than that, and counts the rest.
TODO_ROWS = MAX_REPLY_BYTES // size(texts.TASK_LINE.format(
    n=1, number=1, title="x", due="01-01 00:00", overdue="")) + 1


def _show(ctx, items: list, head: str, lines: Iterable[str], foot: str,
          total: int | None = None) -> str:
    reply, shown = fit_list(head, lines, foot, total=total)
    ctx.session.remember_list(TASKS, [t.id for t in items[:shown]])
    return reply


@routes.command("待办", "todo", args=False)
@routes.click(MenuKey.TODO)
def show_todo(ctx):
    """待办 todo — 我的待办（已过期在前）"""
    todo = tasks.list_todo(ctx.user, ctx.now, limit=TODO_ROWS)
    if not todo.tasks:
        ctx.session.remember_list(TASKS, [])
        return texts.TODO_EMPTY
    head = texts.TODO_HEADER.format(
        total=todo.total,
        overdue=texts.TODO_OVERDUE.format(n=todo.overdue) if todo.overdue else "")
    return _show(ctx, todo.tasks, head,
                 (task_line(n, t, ctx) for n, t in enumerate(todo.tasks, 1)),  # as far as fits
                 texts.TODO_FOOTER, total=todo.total)


def _status_list(ctx, items: list, head: str, empty: str) -> str:
    """A list of tasks with their status; the positions are remembered for 详情 N."""
    if not items:
        return empty
    return _show(ctx, items, head.format(total=len(items)),
                 [task_status_line(n, t, ctx) for n, t in enumerate(items, 1)], texts.LIST_FOOTER)


# Up to 500 each: a longer list ends with "…还有 N 条" rather than being cut silently.
@routes.command("已办", "done", args=False)
def show_done(ctx):
    """已办 done — 我办过的任务"""
    return _status_list(ctx, tasks.list_done(ctx.user, limit=500), texts.DONE_HEADER,
                        texts.DONE_EMPTY)


@routes.command("我创建的", "created", args=False)
def show_created(ctx):
    """我创建的 created — 我创建的任务"""
    return _status_list(ctx, tasks.list_created(ctx.user, limit=500), texts.CREATED_HEADER,
                        texts.CREATED_EMPTY)


@routes.command("关注", "watched", args=False)
def show_watched(ctx):
    """关注 watched — 我关注的任务"""
    return _status_list(ctx, tasks.list_watched(ctx.user, limit=500), texts.WATCHED_HEADER,
                        texts.WATCHED_EMPTY)
