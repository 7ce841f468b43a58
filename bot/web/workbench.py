"""我的工作台 (SPEC §4, §10): my to-do split into overdue and new, done, created and watched,
each with its count, and the unread-message badge. The lists are store.board queries over
store.visibility, paged."""
from flask import g, render_template, request

from bot.web.board import row_context
from bot.web.paging import fetch_page
from store import board as board_store, messages
from store.db import utcnow
from store.models import Project


def render_workbench():
    now = utcnow()
    view = request.args.get("view", "overdue")
    counts = board_store.work_counts(g.user, now)
    if view not in board_store.WORK_VIEWS:
        view = "overdue"
    if "view" not in request.args and not counts["overdue"]:
        view = "new"
    page = fetch_page(lambda limit, offset: board_store.work_list(g.user, view, now, limit, offset))
    ids = {t.project_id for t in page.items}
    projects = {p.id: p.name for p in Project.select(Project.id, Project.name)
                .where(Project.id.in_(ids))} if ids else {}
    return render_template("app/workbench.html", view=view, views=board_store.WORK_VIEWS,
                           counts=counts, page=page, projects=projects,
                           unread=messages.count_unread(g.user), **row_context(page.items))
