"""部门 (departments) and 公司资料 (the company profile, "我的ERP", with the webhook secret)."""
from flask import g, redirect, render_template, request, url_for

from bot.web import ADMIN, bp, require_role
from bot.web.paging import fetch_page
from store import company_profile, directory, users as user_store
from store.errors import DomainError


def _departments_page(errors=None, form=None, status=200):
    page = fetch_page(lambda limit, offset: directory.list_departments(g.company.id, limit, offset))
    counts = {d.id: directory.member_count(g.company.id, d.id) for d in page.items}
    return render_template("app/departments.html", page=page, counts=counts, errors=errors or {},
                           form=form or {}, done=request.args.get("done")), status


@bp.route("/settings/departments", methods=["GET", "POST"])
def departments():
    require_role(ADMIN)
    if request.method == "GET":
        return _departments_page()
    name = request.form.get("name", "")
    try:
        department = directory.create_department(g.user, name)
    except DomainError as error:
        return _departments_page({"new": error.message}, {"new": name}, 422)
    return redirect(url_for("web.departments", done=f"已创建部门 {department.name}"), code=303)


@bp.post("/settings/departments/<int:department_id>")
def departments_rename(department_id: int):
    require_role(ADMIN)
    name = request.form.get("name", "")
    try:
        department = directory.rename_department(g.user, department_id, name)
    except DomainError as error:
        return _departments_page({department_id: error.message}, {department_id: name}, 422)
    return redirect(url_for("web.departments", done=f"已改名为 {department.name}"), code=303)


FIELDS = ("name", "timezone", "reminder_hours", "quiet_start", "quiet_end", "digest_at")


@bp.route("/settings/company", methods=["GET", "POST"])
def company():
    require_role(ADMIN)
    form, error, done = company_profile.profile(g.company), None, False
    form["reminder_hours"] = ", ".join(map(str, form["reminder_hours"]))
    status = 200
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in FIELDS}
        form["quiet_on"] = request.form.get("quiet_on") == "1"
        try:
            g.company = company_profile.update_profile(g.user, **form)
            done = True
        except DomainError as refused:
            error, status = refused, 422
    return render_template("app/company.html", form=form, error=error, done=done,
                           field=(error.detail or {}).get("field") if error else None), status


@bp.post("/settings/company/secret")
def company_secret():
    """The webhook secret, revealed on demand (an htmx swap, or the page for plain forms)."""
    require_role(ADMIN)
    if request.headers.get("HX-Request"):
        return render_template("app/_secret.html", secret=g.company.webhook_secret)
    form = company_profile.profile(g.company)
    form["reminder_hours"] = ", ".join(map(str, form["reminder_hours"]))
    return render_template("app/company.html", form=form, error=None, done=False, field=None,
                           secret=g.company.webhook_secret)
