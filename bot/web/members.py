"""成员与权限: users listed, searched and filtered; created, edited, deactivated and
reactivated; passwords reset; 授权 (a one-time binding code and a scan-to-bind QR code);
unbinding; and the CSV import with a result per row. Company admins only, as in the API."""
import logging

import segno
from flask import current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup

from bot import wechat_api
from bot.web import ADMIN, bp, require_role
from bot.web.paging import fetch_page
from store import accounts, directory, imports, users as user_store
from store.db import utcnow
from store.errors import DomainError
from store.models import ROLES

log = logging.getLogger(__name__)
GENDERS = ("男", "女")
YES_NO = {"yes": True, "no": False}


def _departments() -> list:
    return directory.list_departments(g.company.id, limit=1000)


def _field(error: DomainError) -> str:
    """Which control a store refusal belongs next to."""
    message = error.message
    for field, words in (("account", "账号"), ("name", "姓名"), ("password", "密码"),
                         ("department_id", "部门"), ("role", "角色")):
        if words in message:
            return field
    return "form"


@bp.get("/settings/members")
def members():
    require_role(ADMIN)
    args = request.args
    department = args.get("department_id", "")
    role = args.get("role") if args.get("role") in ROLES else None
    page = fetch_page(lambda limit, offset: directory.list_users(
        g.company.id, department_id=int(department) if department.isdigit() else None, role=role,
        active=YES_NO.get(args.get("active", "")), bound=YES_NO.get(args.get("bound", "")),
        text=args.get("q", "")[:64], limit=limit, offset=offset))
    return render_template("app/members.html", page=page, departments=_departments(),
                           bound=directory.bound_user_ids(g.company.id), roles=ROLES,
                           flash=request.args.get("done"))


def _member_form(user=None, form=None, errors=None, status=200):
    return render_template("app/member_form.html", user=user, form=form or {}, errors=errors or {},
                           departments=_departments(), roles=ROLES, genders=GENDERS), status


def _form_values() -> dict:
    form = {k: request.form.get(k, "").strip() for k in ("account", "name", "role", "department_id",
                                                         "gender")}
    form["department_id"] = int(form["department_id"]) if form["department_id"].isdigit() else None
    form["gender"] = form["gender"] or None
    return form


@bp.route("/settings/members/new", methods=["GET", "POST"])
def members_new():
    require_role(ADMIN)
    if request.method == "GET":
        return _member_form(form={"role": "member"})
    form = _form_values()
    try:
        user = user_store.create_user(g.user, form["account"], form["name"],
                                      request.form.get("password", ""), role=form["role"],
                                      department_id=form["department_id"], gender=form["gender"])
    except DomainError as error:
        return _member_form(form=form, errors={_field(error): error.message}, status=422)
    return redirect(url_for("web.members_edit", user_id=user.id, done="已创建成员，可以点「授权」发放绑定码"),
                    code=303)


@bp.route("/settings/members/<int:user_id>", methods=["GET", "POST"])
def members_edit(user_id: int):
    require_role(ADMIN)
    user = user_store.get_user(g.company.id, user_id)
    if request.method == "GET":
        form = {"account": user.account, "name": user.name, "role": user.role,
                "department_id": user.department_id, "gender": user.gender}
        return _member_form(user, form)
    form = _form_values()
    try:
        user = user_store.update_user(g.user, user.id, name=form["name"], role=form["role"],
                                      department_id=form["department_id"], gender=form["gender"])
    except DomainError as error:
        return _member_form(user, {**form, "account": user.account},
                            errors={_field(error): error.message}, status=422)
    return redirect(url_for("web.members", done=f"已保存 {user.name}"), code=303)


def _act(user_id: int, action, done: str):
    """Run an admin action on a user; the list shows the store's answer either way."""
    require_role(ADMIN)
    try:
        user = action()
    except DomainError as error:
        return redirect(url_for("web.members", error=error.message, focus=user_id), code=303)
    return redirect(url_for("web.members", done=done.format(name=user.name)), code=303)


@bp.post("/settings/members/<int:user_id>/deactivate")
def members_deactivate(user_id: int):
    return _act(user_id, lambda: user_store.deactivate_user(g.user, user_id), "已停用 {name}")


@bp.post("/settings/members/<int:user_id>/reactivate")
def members_reactivate(user_id: int):
    return _act(user_id, lambda: accounts.reactivate_user(g.company.id, user_id), "已恢复 {name}")


@bp.post("/settings/members/<int:user_id>/unbind")
def members_unbind(user_id: int):
    def unbind():
        accounts.unbind_user(g.company.id, user_id)
        return user_store.get_user(g.company.id, user_id)
    return _act(user_id, unbind, "已解除 {name} 的微信绑定")


@bp.post("/settings/members/<int:user_id>/password")
def members_password(user_id: int):
    require_role(ADMIN)
    user = user_store.get_user(g.company.id, user_id)
    try:
        user_store.update_user(g.user, user.id, password=request.form.get("password", ""))
    except DomainError as error:
        form = {"account": user.account, "name": user.name, "role": user.role,
                "department_id": user.department_id, "gender": user.gender}
        return _member_form(user, form, errors={"reset_password": error.message}, status=422)
    return redirect(url_for("web.members", done=f"已重置 {user.name} 的密码"), code=303)


@bp.post("/settings/members/<int:user_id>/authorize")
def members_authorize(user_id: int):
    """授权: a one-time binding code, and a QR code that binds whoever scans it."""
    require_role(ADMIN)
    user = user_store.get_user(g.company.id, user_id)
    try:
        code, expires_at = user_store.authorize_user(g.user, user.id, utcnow())
    except DomainError as error:
        return redirect(url_for("web.members", error=error.message), code=303)
    qr, qr_error = _bind_qr(code, expires_at)
    return render_template("app/member_bind.html", user=user, code=code, expires_at=expires_at,
                           qr=qr, qr_error=qr_error)


def _bind_qr(code: str, expires_at) -> tuple[Markup | None, str | None]:
    """An inline SVG of WeChat's QR code for scene bind:CODE, or why there is none."""
    settings = current_app.config["TWORK"]
    if not (settings.WECHAT_APPID and settings.WECHAT_APPSECRET):
        return None, "未配置微信公众号接口，只能用绑定码绑定"
    seconds = max(60, int((expires_at - utcnow()).total_seconds()))
    try:
        client = wechat_api.get_client(settings, redis=current_app.extensions["twork.redis"])
        ticket = client.create_qrcode(wechat_api.bind_scene(code), seconds)
    except wechat_api.WeChatAPIError as error:
        log.warning("bind QR code not created: %s", error)
        return None, "微信二维码暂时无法生成，请使用绑定码"
    svg = segno.make(ticket["url"], error="m").svg_inline(scale=4, title="扫码绑定")
    return Markup(svg), None


@bp.route("/settings/members/import", methods=["GET", "POST"])
def members_import():
    require_role(ADMIN)
    if request.method == "GET":
        return render_template("app/member_import.html", text="", rows=None, error=None)
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", "replace") if upload and upload.filename else \
        request.form.get("text", "")
    dry_run = request.form.get("action") == "check"
    try:
        created = imports.import_users(g.user, text, dry_run=dry_run)
    except DomainError as error:
        rows = error.detail if isinstance(error.detail, list) else None
        return render_template("app/member_import.html", text=text, rows=rows, error=error.message,
                               created=None), 422
    return render_template("app/member_import.html", text="" if not dry_run else text, rows=None,
                           error=None, created=created, dry_run=dry_run)
