"""The web console for people (SPEC §10) under /app: sign-in, the frame, and the settings
pages (成员与权限, 部门, 项目管理, 工作流模板, ERP业务场景, 公司资料).

Server-rendered Jinja2; htmx (static/vendor, pinned, no CDN) swaps parts of a page. Every
view calls the same `store` functions as chat and the API; a refusal (`DomainError`) is
shown next to the control with what was typed kept. Every POST carries the session's CSRF
token (a form field, or the X-CSRF-Token header that htmx sends for the whole page).
"""
import hmac
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for

from bot import audit
from store import accounts, messages as message_store
from store.errors import DomainError
from store.models import Company

bp = Blueprint("web", __name__, url_prefix="/app", template_folder="templates",
               static_folder="static", static_url_path="/static")
audit.install(bp, "console", audit.console_change)

SESSION_USER, SESSION_STAMP = "console_user", "console_stamp"
PUBLIC_ENDPOINTS = {"web.login", "web.sso", "web.static"}
ADMIN, DEPT_ADMIN = "company_admin", "dept_admin"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str | None  # None: not in this version yet (shown, not a link)
    roles: tuple = ()  # empty: everyone


MENU = (
    ("工作", (MenuItem("我的工作台", "web.home"), MenuItem("项目", None),
             MenuItem("消息", "web.messages"),
             MenuItem("统计", "web.stats", (ADMIN, DEPT_ADMIN)),
             MenuItem("公告与资讯", "web.announcements"),
             MenuItem("咨询反馈", "web.feedback"))),
    ("系统设置", (MenuItem("成员与权限", "web.members", (ADMIN,)),
               MenuItem("部门", "web.departments", (ADMIN,)),
               MenuItem("项目管理", "web.projects", (ADMIN, DEPT_ADMIN)),
               MenuItem("工作流模板", "web.workflows", (ADMIN,)),
               MenuItem("ERP业务场景", "web.scenarios", (ADMIN,)),
               MenuItem("接口密钥", "web.keys", (ADMIN,)),
               MenuItem("操作日志", "web.audit_log", (ADMIN,)),
               MenuItem("公司资料（我的ERP）", "web.company", (ADMIN,)))),
)


def menu_for(user) -> list[tuple[str, list[MenuItem]]]:
    """The menu groups with only the items this user's role may use."""
    groups = []
    for title, items in MENU:
        mine = [i for i in items if not i.roles or user.role in i.roles]
        if mine:
            groups.append((title, mine))
    return groups


def csrf_token() -> str:
    from bot.pages.auth import csrf_token as token  # one token per session for /m and /app
    return token()


def _csrf_ok() -> bool:
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    kept = session.get("csrf", "")
    return bool(kept) and hmac.compare_digest(given.encode(), kept.encode())


@bp.before_request
def _load_user():
    g.user = accounts.signed_in_user(session.get(SESSION_USER), session.get(SESSION_STAMP, ""))
    if request.method == "POST" and request.endpoint != "web.static" and not _csrf_ok():
        return render_template("app/notice.html", title="页面已过期",
                               message="页面已过期或来源不明，请刷新后重试。"), 400
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        session.pop(SESSION_USER, None)
        if request.headers.get("HX-Request"):
            return "", 401, {"HX-Redirect": url_for("web.login")}
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    if g.user is not None:
        g.company = Company.get_by_id(g.user.company_id)


@bp.after_request
def _secure(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "web.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_global()
def app_csrf_token():
    return csrf_token()


@bp.context_processor
def _frame():
    user = getattr(g, "user", None)
    return {"me": user, "company": getattr(g, "company", None),
            "menu": menu_for(user) if user else [], "csrf_token": csrf_token,
            # a callable: only full pages (the frame shows the badge) pay for the count
            "unread_messages": (lambda: message_store.count_unread(user)) if user else (lambda: 0),
            "ROLE_NAMES": ROLE_NAMES, "PRIORITY_NAMES": PRIORITY_NAMES}


ROLE_NAMES = {"company_admin": "公司管理员", "dept_admin": "部门管理员", "member": "普通成员"}
PRIORITY_NAMES = {"low": "低", "normal": "普通", "high": "高", "urgent": "紧急"}


def require_role(*roles):
    """The page is for these roles only (the same roles the API route asks for)."""
    if g.user.role not in roles:
        abort(403)


@bp.errorhandler(403)
def _forbidden(_error):
    return render_template("app/notice.html", title="没有权限",
                           message="你的角色不能使用这个页面。"), 403


@bp.errorhandler(DomainError)
def _refused(error: DomainError):
    """A refusal no view placed next to a control (e.g. another company's id: not found)."""
    return render_template("app/notice.html", title="无法完成", message=error.message,
                           link=(url_for("web.home"), "返回工作台")), error.status


def field_of(error: DomainError, default: str = "form") -> str:
    """The form field a store refusal names in its detail (`{"field": ...}`), if any."""
    detail = error.detail if isinstance(error.detail, dict) else {}
    return detail.get("field") or default


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def saved_then(target: str):
    """After a save: htmx follows HX-Redirect; a plain form follows the 303."""
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


def register(app: Flask) -> None:
    from bot.web import board, task_form, tasks, workbench  # noqa: F401 (task boards)
    if not app.config.get("SECRET_KEY"):
        from bot.pages import session_secret
        app.config["SECRET_KEY"] = session_secret(app.config["TWORK"])
    # Flask's default is None (a key that exists, so setdefault would keep it).
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config["TWORK"].PUBLIC_BASE_URL.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    from bot.web import (auditlog, auth, home, keys, members, org, projects,  # noqa: F401
                         scenarios, workflows)
    from bot.web import announcements, feedback, messages, profile, stats  # noqa: F401
    app.register_blueprint(bp)
