"""工作流模板: the list, and an editor for a template's nodes (handler, items, days) with
add / remove / reorder. Built-ins are shown read-only. Tasks copy a template's nodes when
they are created, so editing one never changes running tasks (the page says so)."""
from flask import g, render_template, request, url_for

from bot.web import ADMIN, bp, is_htmx, require_role, saved_then
from bot.web.editing import apply_row_action, rows
from bot.web.paging import slice_page
from store import directory, projects as project_store
from store.db import utcnow
from store.errors import DomainError

NODE_FIELDS = ("handler_id", "items", "days")
BLANK = {"nodes": {"handler_id": "", "items": "", "days": ""}}


@bp.get("/settings/workflows")
def workflows():
    require_role(ADMIN)
    page = slice_page(project_store.list_templates(g.user))
    names = {u.id: u.name for u in directory.list_users(g.company.id, limit=5000)}
    return render_template("app/workflows.html", page=page, names=names,
                           done=request.args.get("done"))


def _editor(template, name: str, nodes: list[dict], error: str | None = None, status: int = 200):
    view = "app/_workflow_editor.html" if is_htmx() else "app/workflow_form.html"
    return render_template(view, template=template, name=name, nodes=nodes, error=error,
                           people=directory.list_users(g.company.id, active=True, limit=2000)), status


def _stored_nodes(template) -> list[dict]:
    return [{k: "" if n.get(k) is None else str(n.get(k)) for k in NODE_FIELDS} for n in template.nodes]


@bp.route("/settings/workflows/new", methods=["GET", "POST"])
@bp.route("/settings/workflows/<int:template_id>", methods=["GET", "POST"])
def workflows_edit(template_id: int | None = None):
    require_role(ADMIN)
    template = project_store.get_template(g.user, template_id) if template_id else None
    if request.method == "GET":
        if template is None:
            return _editor(None, "", [dict(BLANK["nodes"])])
        return _editor(template, template.name, _stored_nodes(template))
    if template is not None and template.builtin:
        return _editor(template, template.name, _stored_nodes(template), "内置模板不能修改", 409)
    name, nodes = request.form.get("name", ""), rows("node", NODE_FIELDS)
    action = request.form.get("action", "save")
    if action != "save":
        apply_row_action(action, {"nodes": nodes}, BLANK)
        return _editor(template, name, nodes)
    try:
        if template is None:
            template = project_store.create_template(g.user, name, nodes)
        else:
            project_store.update_template(g.user, template.id, name=name, nodes=nodes, now=utcnow())
    except DomainError as error:
        return _editor(template, name, nodes, error.message, 422)
    return saved_then(url_for("web.workflows", done=f"已保存模板「{name.strip()}」"))
