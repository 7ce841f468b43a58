"""项目管理: company admins every project, department admins their department's. Create,
rename, members, business types, archive / restore, archive finished tasks — each through
store.projects (and store.erp for the tasks), which decides who may."""
from flask import g, redirect, render_template, request, url_for

from bot.web import ADMIN, DEPT_ADMIN, bp, require_role
from bot.web.paging import slice_page
from store import directory, erp, projects as project_store
from store.db import utcnow
from store.errors import DomainError


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


def _people() -> list:
    return directory.list_users(g.company.id, active=True, limit=2000)


def _list_page(errors=None, form=None, status=200):
    show_archived = request.args.get("archived") == "1"
    rows = project_store.list_projects(g.user, include_archived=show_archived)
    if show_archived:
        rows = [p for p in rows if p.archived]
    page = slice_page(rows)
    departments = directory.list_departments(g.company.id, limit=1000)
    return render_template(
        "app/projects.html", page=page, departments=departments, people=_people(),
        can_manage={p.id: project_store.can_manage(g.user, p) for p in page.items},
        members={p.id: len(project_store.project_members(g.user, p.id)) for p in page.items},
        errors=errors or {}, form=form or {}, done=request.args.get("done"),
        show_archived=show_archived), status


@bp.route("/settings/projects", methods=["GET", "POST"])
def projects():
    require_role(ADMIN, DEPT_ADMIN)
    if request.method == "GET":
        return _list_page()
    form = {"name": request.form.get("name", ""), "department_id": request.form.get("department_id", ""),
            "member_ids": _ids("member_ids"), "business_types": request.form.get("business_types", "")}
    labels = [b.strip() for b in form["business_types"].replace("，", ",").split(",")]
    try:
        project = project_store.create_project(
            g.user, form["name"],
            int(form["department_id"]) if form["department_id"].isdigit() else None,
            form["member_ids"], [b for b in labels if b])
    except DomainError as error:
        return _list_page({"new": error.message}, form, 422)
    return redirect(url_for("web.projects_detail", project_id=project.id, done="项目已创建"), code=303)


def _detail(project_id: int, errors=None, status=200):
    project = project_store.get_project(g.user, project_id)
    return render_template(
        "app/project.html", project=project, manage=project_store.can_manage(g.user, project),
        members=project_store.project_members(g.user, project.id), people=_people(),
        business_types=project_store.business_types(project.id),
        department=(directory.get_department(g.company.id, project.department_id)
                    if project.department_id else None),
        errors=errors or {}, done=request.args.get("done")), status


@bp.get("/settings/projects/<int:project_id>")
def projects_detail(project_id: int):
    require_role(ADMIN, DEPT_ADMIN)
    return _detail(project_id)


ACTIONS = {
    "rename": lambda p: (project_store.rename_project(g.user, p, request.form.get("name", "")), "已改名"),
    "add_members": lambda p: (project_store.add_members(g.user, p, _ids("user_ids")), "已添加成员"),
    "remove_member": lambda p: (project_store.remove_member(g.user, p, int(request.form.get("user_id", 0) or 0)),
                                "已移除成员"),
    "add_type": lambda p: (project_store.add_business_type(g.user, p, request.form.get("business_type", "")),
                           "已添加业务类型"),
    "remove_type": lambda p: (project_store.remove_business_type(g.user, p, request.form.get("business_type", "")),
                              "已删除业务类型"),
    "archive": lambda p: (project_store.archive_project(g.user, p), "项目已归档"),
    "restore": lambda p: (project_store.restore_project(g.user, p), "项目已还原"),
    "archive_finished": lambda p: (erp.archive_finished(g.user, p, utcnow()), None),
}


@bp.post("/settings/projects/<int:project_id>/<action>")
def projects_act(project_id: int, action: str):
    require_role(ADMIN, DEPT_ADMIN)
    if action not in ACTIONS:
        return _detail(project_id, {"form": "未知操作"}, 400)
    try:
        result, done = ACTIONS[action](project_id)
    except DomainError as error:
        return _detail(project_id, {action: error.message}, error.status if error.status < 500 else 422)
    if action == "archive_finished":
        done = f"已归档 {len(result)} 个已完成任务" if result else "没有需要归档的已完成任务"
    return redirect(url_for("web.projects_detail", project_id=project_id, done=done), code=303)
