"""新建任务 on a project's board: a simple task for one assignee, or a workflow task from a
template (its nodes are copied) or with nodes typed in the template editor's node table;
watchers, editors, business type, priority. store.tasks.create_task decides everything."""
from flask import g, render_template, request, url_for

from bot.web import bp, is_htmx, saved_then
from bot.web.board import as_id, form_ids, may_use
from bot.web.editing import apply_row_action, rows
from bot.web.tasks import parse_moment
from bot.web.workflows import BLANK, NODE_FIELDS
from store import board as board_store, directory, projects as project_store, tasks as task_store
from store.db import utcnow
from store.errors import DomainError
from store.models import PRIORITIES

FIELDS = ("title", "description", "due", "priority", "business_type", "template_id", "assignee_id")


def _form(project, form: dict, nodes: list[dict], error: str | None = None, status: int = 200):
    templates = project_store.list_templates(g.user)
    chosen = next((t for t in templates if str(t.id) == form.get("template_id")), None)
    view = "app/_task_form.html" if is_htmx() else "app/task_new.html"
    return render_template(
        view, project=project, form=form, nodes=nodes, error=error, templates=templates,
        chosen=chosen, priorities=PRIORITIES, business_types=project_store.business_types(project.id),
        people=directory.list_users(g.company.id, active=True, limit=2000),
        assignees=_assignees(project)), 200 if is_htmx() else status  # htmx swaps only a 2xx


def _assignees(project) -> list:
    """Who a simple task may go to: the creator, or an active member of the project."""
    if not may_use(project):
        return []
    members = [u for u in project_store.project_members(g.user, project.id)
               if u.active and u.id != g.user.id]
    return [g.user, *members]


@bp.route("/projects/<int:project_id>/tasks/new", methods=["GET", "POST"])
def task_new(project_id: int):
    project = board_store.board_project(g.user, project_id)
    if request.method == "GET":
        simple = next((t for t in project_store.list_templates(g.user) if t.builtin == "simple"), None)
        return _form(project, {"priority": "normal", "template_id": str(simple.id) if simple else "",
                               "assignee_id": str(g.user.id), "watcher_ids": [], "editor_ids": []},
                     [dict(BLANK["nodes"])])
    form = {name: request.form.get(name, "") for name in FIELDS}
    form["watcher_ids"], form["editor_ids"] = form_ids("watcher_ids"), form_ids("editor_ids")
    nodes = rows("node", NODE_FIELDS) or [dict(BLANK["nodes"])]
    action = request.form.get("action", "save")
    if action != "save":  # a template chosen, or a node row added / moved / removed
        apply_row_action(action, {"nodes": nodes}, BLANK)
        return _form(project, form, nodes)
    template = next((t for t in project_store.list_templates(g.user)
                     if str(t.id) == form["template_id"]), None)
    typed = template is not None and template.builtin == "empty"
    simple = template is None or template.builtin == "simple"
    try:
        task = task_store.create_task(
            g.user, project.id, form["title"], due_at=parse_moment(form["due"]), now=utcnow(),
            description=form["description"], priority=form["priority"] or "normal",
            template_id=template.id if template else None,
            nodes=[n for n in nodes if any(n.values())] if typed else None,
            assignee_id=as_id(form["assignee_id"]) if simple else None,
            watcher_ids=form["watcher_ids"], editor_ids=form["editor_ids"],
            business_type=form["business_type"] or None)
    except DomainError as error:
        return _form(project, form, nodes, error.message, 422)
    return saved_then(url_for("web.task_page", task_id=task.id, done=f"已创建任务 #{task.number}"))
