"""Who is looking at a page: OAuth snsapi_base → openid → the bound Twork user; the login
page that binds an openid by account + password + customer code (each attempt counted by
bot.throttle before the password is checked, per WeChat user and per account); CSRF tokens.

OAuth (snsapi_base, https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken): a page without an openid in the session sends the browser to
WeChat's authorize URL with a random `state` kept in the session; WeChat sends it back
with `?code=&state=`. A code is accepted only with the state this browser was given: a
link carrying someone else's code (login CSRF: "bind your account to my WeChat") or the
menu's fixed state makes one more silent snsapi_base round trip instead, which yields the
visitor's own openid. After the exchange the page redirects to itself without the code,
so a reload never replays a single-use code.
"""
import hmac
import logging
import secrets
from urllib.parse import quote, urlencode

from flask import abort, current_app, redirect, render_template, request, session, url_for

from bot import throttle, wechat_api
from bot.hardening import local_path
from bot.pages import bp
from store import users as user_store
from store.db import utcnow
from store.errors import Invalid

log = logging.getLogger(__name__)

OAUTH_ARGS = ("code", "state", "_o")

TEXTS = {
    "fields": "请填写账号、密码和客户代码",
    "throttled": "登录失败次数过多，请 {minutes} 分钟后再试",
    "left": "（还可尝试 {left} 次）",
    "last": "（失败次数过多，请 {minutes} 分钟后再试）",
    "unavailable": "登录服务暂时不可用，请稍后再试",
    "csrf": "页面已过期，请刷新后重试",
    "oauth_failed": "微信授权失败，请从公众号菜单重新进入",
    "cookies": "无法完成微信授权：请在微信中打开，并允许保存 Cookie",
    "snapshot": "请在微信中关注公众号后，从公众号菜单打开此页面",
    "bound": "绑定成功，欢迎你，{name}",
}


# --- OAuth and the session ---------------------------------------------------------------

def _settings():
    return current_app.config["TWORK"]


def _here(**extra) -> str:
    """This page's public URL, without OAuth's arguments, plus `extra`."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in OAUTH_ARGS]
    args += list(extra.items())
    query = f"?{urlencode(args)}" if args else ""
    return _settings().PUBLIC_BASE_URL.rstrip("/") + request.path + query


def _to_wechat(retry: bool = False):
    state = secrets.token_hex(16)  # [a-f0-9], as WeChat requires [a-zA-Z0-9] ≤ 128
    session["oauth_state"] = state
    back = _here(_o="1") if retry else _here()
    params = (f"appid={quote(_settings().WECHAT_APPID)}&redirect_uri={quote(back, safe='')}"
              f"&response_type=code&scope=snsapi_base&state={state}")
    return redirect(f"{_settings().WECHAT_OAUTH_URL}?{params}#wechat_redirect", code=302)


def notice(message: str, status: int = 200, link: tuple[str, str] | None = None):
    return render_template("m/notice.html", message=message, link=link), status


def visitor():
    """`(openid, None)` for a known visitor, else `(None, response)` to return: the OAuth
    redirect, the page itself without `?code=`, or a notice when OAuth cannot succeed."""
    code = request.args.get("code")
    if code:
        expected = session.pop("oauth_state", None)
        state = request.args.get("state", "")
        if expected and hmac.compare_digest(state.encode(), expected.encode()):
            try:
                identity = wechat_api.fetch_oauth_identity(_settings(), code)
            except wechat_api.WeChatAPIError as error:
                log.warning("OAuth code exchange failed: %s", error)
                return None, notice(TEXTS["oauth_failed"], 502)
            if identity.is_snapshot_user:
                return None, notice(TEXTS["snapshot"], 403)
            session.clear()  # a new person: nothing of the previous session carries over
            session["openid"] = identity.openid
            session.permanent = True
            return None, redirect(_here(), code=302)
        if session.get("openid"):
            return None, redirect(_here(), code=302)
        if request.args.get("_o"):
            return None, notice(TEXTS["cookies"], 400)
        return None, _to_wechat(retry=True)
    openid = session.get("openid")
    if openid:
        return openid, None
    return None, _to_wechat()


def current_user():
    """`(user, None)` for a visitor bound to an active user, else `(None, response)`:
    OAuth first, then the login page (which brings them back here)."""
    openid, response = visitor()
    if response is not None:
        return None, response
    user = user_store.user_for_openid(openid)
    if user is None:
        return None, redirect(url_for("pages.login", next=request.full_path.rstrip("?")), code=302)
    return user, None


def is_navigation() -> bool:
    """Whether this GET is the person opening the page (a top-level navigation), so that it
    may act for them. Browsers say so in Sec-Fetch-Mode/Dest; an <img>, a script, a frame
    or a prefetch is not. A browser that sends neither header (an older in-app browser)
    counts as navigating: the SameSite=Lax cookie already keeps cross-site subresource and
    frame requests anonymous, so this is the second fence, not the only one."""
    headers = request.headers
    if "prefetch" in headers.get("Sec-Purpose", "") or headers.get("Purpose") == "prefetch":
        return False
    mode, dest = headers.get("Sec-Fetch-Mode"), headers.get("Sec-Fetch-Dest")
    if mode is None and dest is None:
        return True
    return mode == "navigate" and dest in (None, "document")


# --- CSRF --------------------------------------------------------------------------------

def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> bool:
    given, kept = request.form.get("csrf_token", ""), session.get("csrf", "")
    return bool(kept) and hmac.compare_digest(given.encode(), kept.encode())


@bp.app_context_processor
def _csrf_in_templates():
    return {"csrf_token": csrf_token}


# --- the login page ----------------------------------------------------------------------

def _safe_next(value: str | None) -> str:
    """Only our own pages (see bot.hardening.local_path); my page otherwise."""
    return local_path(value, "/m/") or url_for("pages.me")


def _login_page(openid: str, error: str | None = None, status: int = 200, form=None):
    return render_template("m/login.html", error=error, form=form or {},
                           bound=user_store.user_for_openid(openid),
                           next=_safe_next(request.values.get("next"))), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """登录：账号 + 密码 + 客户代码 → 绑定这个微信用户"""
    openid, response = visitor()
    if response is not None:
        return response
    if request.method == "GET":
        return _login_page(openid)
    if not check_csrf():
        return _login_page(openid, TEXTS["csrf"], 400)
    form = {name: request.form.get(name, "").strip() for name in ("account", "company_code")}
    password = request.form.get("password", "")
    if not form["account"] or not form["company_code"] or not password:
        return _login_page(openid, TEXTS["fields"], 422, form)
    redis = current_app.extensions["twork.redis"]
    mine = f"openid:{openid}"
    verdict = throttle.hit(redis, "login", mine, throttle.account_key(form["company_code"], form["account"]))
    if verdict.unavailable:
        return _login_page(openid, TEXTS["unavailable"], 503, form)
    if not verdict.allowed:
        return _login_page(openid, TEXTS["throttled"].format(minutes=-(-verdict.retry_after // 60)),
                           429, form)
    try:
        user = user_store.bind_wechat_by_login(openid, form["company_code"], form["account"],
                                               password, utcnow())
    except Invalid as error:
        left = (TEXTS["left"].format(left=verdict.remaining) if verdict.remaining
                else TEXTS["last"].format(minutes=-(-verdict.retry_after // 60)))
        return _login_page(openid, error.message + left, 422, form)
    throttle.reset(redis, "login", mine)
    session["flash"] = TEXTS["bound"].format(name=user.name)
    return redirect(_safe_next(request.form.get("next")), code=303)


def take_flash() -> str | None:
    return session.pop("flash", None)


def require_post_user():
    """For POST views: the bound user with a valid CSRF token, else abort."""
    user, response = current_user()
    if response is not None:
        abort(401)
    if not check_csrf():
        abort(400)
    return user
