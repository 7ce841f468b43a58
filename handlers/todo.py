"""待办 / 已办 / 我创建的: my task lists, numbered so that "完成 2" means the 2nd line shown."""
from bot.router import Routes
from handlers import texts
from handlers.refs import TASKS
from handlers.replies import answers_errors, fit_list, task_line, task_status_line
from menus.keys import MenuKey
from store import tasks

routes = Routes()


def _show(ctx, items: list, head: str, lines: list[str], foot: str) -> str:
    reply, shown = fit_list(head, lines, foot)
    ctx.session.remember_list(TASKS, [t.id for t in items[:shown]])
    return reply


@routes.command("待办", "todo", args=False)
@routes.click(MenuKey.TODO)
@answers_errors
def show_todo(ctx):
    """待办 todo — 我的待办（已过期在前）"""
    overdue, new = tasks.list_todo(ctx.user, ctx.now)
    todo = overdue + new
    if not todo:
        ctx.session.remember_list(TASKS, [])
        return texts.TODO_EMPTY
    head = texts.TODO_HEADER.format(
        total=len(todo), overdue=texts.TODO_OVERDUE.format(n=len(overdue)) if overdue else "")
    return _show(ctx, todo, head, [task_line(n, t, ctx) for n, t in enumerate(todo, 1)],
                 texts.TODO_FOOTER)


@routes.command("已办", "done", args=False)
@answers_errors
def show_done(ctx):
    """已办 done — 我办过的任务"""
    done = tasks.list_done(ctx.user)
    if not done:
        return texts.DONE_EMPTY
    head = texts.DONE_HEADER.format(total=len(done))
    return _show(ctx, done, head, [task_status_line(n, t, ctx) for n, t in enumerate(done, 1)],
                 texts.LIST_FOOTER)


@routes.command("我创建的", "created", args=False)
@answers_errors
def show_created(ctx):
    """我创建的 created — 我创建的任务"""
    created = tasks.list_created(ctx.user)
    if not created:
        return texts.CREATED_EMPTY
    head = texts.CREATED_HEADER.format(total=len(created))
    return _show(ctx, created, head,
                 [task_status_line(n, t, ctx) for n, t in enumerate(created, 1)],
                 texts.LIST_FOOTER)
