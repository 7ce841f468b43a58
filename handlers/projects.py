"""项目: my projects, and one project's members and my tasks in it."""
from bot.router import Routes
from handlers import texts
from handlers.refs import PROJECTS, TASKS, project_ref
from handlers.replies import clip, fit_list, task_line
from menus.keys import MenuKey
from store import projects, tasks

routes = Routes()

MEMBERS_SHOWN = 30


@routes.command("项目", "projects", "project")
@routes.click(MenuKey.PROJECTS)
def show_projects(ctx):
    """项目 [N] projects — 我的项目；项目 N 看成员和我的任务"""
    if ctx.args:
        return _show_project(ctx, project_ref(ctx, ctx.args))
    mine = projects.list_projects(ctx.user)
    if not mine:
        return texts.PROJECTS_EMPTY
    default = projects.default_project(ctx.user)
    lines = [texts.PROJECT_LINE.format(
        n=n, name=p.name, default=texts.PROJECT_DEFAULT if default and p.id == default.id else "")
        for n, p in enumerate(mine, 1)]
    reply, shown = fit_list(texts.PROJECTS_HEADER.format(total=len(mine)), lines,
                            texts.PROJECTS_FOOTER)
    ctx.session.remember_list(PROJECTS, [p.id for p in mine[:shown]])
    return reply


def _show_project(ctx, project) -> str:
    members = projects.project_members(ctx.user, project.id)
    names = "、".join(m.name for m in members[:MEMBERS_SHOWN])
    if len(members) > MEMBERS_SHOWN:
        names += texts.ELLIPSIS
    head = texts.PROJECT_HEAD.format(name=project.name, count=len(members), members=names)
    mine = tasks.list_tasks(ctx.user, project_id=project.id, status="in_progress", limit=500)
    if not mine:
        return clip(head + "\n" + texts.PROJECT_NO_TASKS)
    head += "\n" + texts.PROJECT_TASKS.format(total=len(mine))
    reply, shown = fit_list(head, [task_line(n, t, ctx) for n, t in enumerate(mine, 1)],
                            texts.LIST_FOOTER)
    ctx.session.remember_list(TASKS, [t.id for t in mine[:shown]])
    return reply
