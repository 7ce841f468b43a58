"""Sign-in (customer code + account + password), sign-out, the ERP's single sign-on link and
changing one's own password."""
import logging

from flask import current_app, g, redirect, render_template, request, session, url_for

from bot import throttle
from bot.web import SESSION_STAMP, SESSION_USER, bp
from store import accounts
from store.db import utcnow
from store.errors import Invalid

log = logging.getLogger(__name__)
SSO_USED_TTL = 2 * accounts.SSO_WINDOW + 60  # a link is refused by its ts after this anyway


def login_attempt(company_code: str, account: str) -> tuple[throttle.Verdict, tuple[str, ...]]:
    """Count one sign-in attempt before the password is checked, in the buckets shared with
    the mobile login page (per account, whatever the path)."""
    keys = (f"ip:{request.remote_addr}", throttle.account_key(company_code, account))
    return throttle.hit(current_app.extensions["twork.redis"], "login", *keys), keys


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/app/") and "//" not in value and "\\" not in value:
        return value
    return url_for("web.home")


def _start_session(user) -> None:
    # A fresh session: nothing an earlier visitor of this browser set carries over.
    session.clear()
    session[SESSION_USER] = user.id
    session[SESSION_STAMP] = accounts.session_stamp(user)
    session.permanent = False  # ends with the browser


def _wait_text(seconds: int) -> str:
    return f"登录失败次数过多，请 {-(-seconds // 60)} 分钟后再试"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.user is not None and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    form = {k: request.form.get(k, "").strip() for k in ("company_code", "account")}
    page = lambda error=None, status=200: (render_template(  # noqa: E731
        "app/login.html", error=error, form=form, next=request.values.get("next", "")), status)
    if request.method == "GET":
        return page()
    verdict, keys = login_attempt(form["company_code"], form["account"])
    if verdict.unavailable:
        return page("登录服务暂时不可用，请稍后再试", 503)
    if not verdict.allowed:
        return page(_wait_text(verdict.retry_after or 60), 429)
    try:
        user = accounts.sign_in(form["company_code"], form["account"], request.form.get("password", ""))
    except Invalid as error:
        if error.code == "fields" or verdict.remaining:
            hint = f"（还可尝试 {verdict.remaining} 次）" if error.code != "fields" else ""
            return page(error.message + hint, 422)
        return page(f"{error.message}；{_wait_text(verdict.retry_after or 60)}", 429)
    throttle.reset(current_app.extensions["twork.redis"], "login", keys[0])
    _start_session(user)
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"), code=303)


@bp.get("/sso")
def sso():
    """ERP single sign-on: /app/sso?company=CODE&account=ACC&ts=UNIX&sig=HEX (SPEC §10)."""
    raw = request.query_string.decode("latin-1")
    try:
        user, sig = accounts.sso_user(raw, utcnow())
    except Invalid as error:
        return _sso_refused(error.message)
    try:
        first = current_app.extensions["twork.redis"].set(f"twork:sso:{sig}", 1, nx=True,
                                                          ex=SSO_USED_TTL)
    except Exception:
        log.exception("cannot record the single sign-on link; refusing it")
        return _sso_refused("暂时无法验证登录链接，请稍后从ERP重新打开", 503)
    if not first:
        return _sso_refused("这个登录链接已经用过，请从ERP重新打开")
    _start_session(user)
    return redirect(url_for("web.home"), code=303)


def _sso_refused(message: str, status: int = 403):
    session.pop(SESSION_USER, None)
    return render_template("app/notice.html", title="无法登录", message=message,
                           link=(url_for("web.login"), "用账号密码登录")), status


@bp.route("/password", methods=["GET", "POST"])
def password():
    error, field, done = None, None, False
    if request.method == "POST":
        try:
            user = accounts.change_password(g.user, request.form.get("current", ""),
                                     request.form.get("new", ""), request.form.get("repeat", ""))
        except Invalid as refused:
            error, field = refused.message, (refused.detail or {}).get("field")
        else:
            session[SESSION_STAMP] = accounts.session_stamp(user)  # this browser stays signed in
            done = True
    return render_template("app/password.html", error=error, field=field, done=done), \
        (422 if error else 200)

