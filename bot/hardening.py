"""App-wide HTTP hardening, whatever blueprint or framework answers: the session cookie's
flags, security headers on every response (404s and errors included), JSON that is too
deeply nested answered as a 400, a generic 500 that never shows a stack trace, and a check
that keeps `next=` redirects on our own site.

`register(app)` is called once by `create_app`; the pages (/m) and the console (/app) add
their own Content-Security-Policy and reuse `local_path` for their `next=` arguments.
"""
import hashlib
import hmac
import json
import logging
import os
import re

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, InternalServerError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
FRAME_ANCESTORS = "frame-ancestors 'none'"
BAD_JSON = "请求体不是合法的 JSON"
INTERNAL = "服务器内部错误，请稍后再试"
INTERNAL_PAGE = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>出错了</title>"
                 f"<p>{INTERNAL}</p></html>")


class NestedTooDeep(BadRequest):
    description = BAD_JSON


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that nesting deep enough to exhaust the parser's recursion is
    a 400. json.loads raises RecursionError for it, which is not the ValueError Flask's
    `get_json` (silent or not) turns into a 400, so without this it would be a 500."""
    ensure_ascii = False

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise NestedTooDeep()


def session_secret(settings) -> str:
    """SECRET_KEY from the environment, else derived from secrets the deployment already has
    (so that every gunicorn process, on every machine, signs cookies with the same key)."""
    explicit = os.environ.get("SECRET_KEY", "").strip()
    if explicit:
        return explicit
    material = f"{settings.WECHAT_APPSECRET}\0{settings.TWORK_PLATFORM_KEY or ''}".encode()
    return hmac.new(material, b"twork pages session v1", hashlib.sha256).hexdigest()


def configure_session(app: Flask) -> None:
    settings = app.config["TWORK"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = session_secret(settings)
    # Flask's defaults already hold SESSION_COOKIE_SAMESITE (None), so setdefault cannot set it.
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SECURE=settings.PUBLIC_BASE_URL.startswith("https://"))


def secure_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["X-Frame-Options"] = "DENY"
    policy = response.headers.get("Content-Security-Policy")
    if not policy:
        response.headers["Content-Security-Policy"] = FRAME_ANCESTORS
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {FRAME_ANCESTORS}"
    return response


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIX) or request.accept_mimetypes.best == "application/json"


def _error(status: int, code: str, message: str):
    if _wants_json():
        return {"error": code, "message": message, "detail": None}, status
    return INTERNAL_PAGE if status >= 500 else message, status, {"Content-Type": "text/html; charset=utf-8"}


def refuse_deep_json():
    """Parse a JSON body (or any body sent to the API) once before any view runs, with the
    provider above, so that nesting too deep is a 400 whatever the view or its framework
    does with the body next (its own error handlers would otherwise see a RecursionError
    first). A body that is merely malformed is left to the view and its own message."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.content_length == 0:
        return
    if request.is_json:
        request.get_json(silent=True)  # cached: the view's get_json does not parse again
    elif request.path.startswith(API_PREFIX):
        request.get_json(force=True, silent=True, cache=False)


def _body_nests_too_deep() -> bool:
    try:
        json.loads(request.get_data(cache=True) or b"0")
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


def too_deep(error: RecursionError):
    """A view that parsed the body with json.loads itself: still a 400 when the body is
    the cause; any other runaway recursion is a server fault."""
    if _body_nests_too_deep():
        return _error(400, "bad_json", BAD_JSON)
    log.error("recursion on %s %s", request.method, request.path, exc_info=error)
    return _error(500, "internal", INTERNAL)


def internal(error: InternalServerError):
    # Flask has already logged an unhandled exception with its traceback (app.log_exception).
    if error.original_exception is None:
        log.error("500 on %s %s: %s", request.method, request.path, error.description)
    return _error(500, "internal", INTERNAL)


LOCAL_PATH = re.compile(r"/[A-Za-z0-9\-._~/?=&%+]*")


def local_path(value: str | None, prefix: str) -> str | None:
    """`value` when it is a path on this site under `prefix` ("/m/"), else None: nothing
    a browser could read as another host (//host, /\\host, javascript:), no control
    characters (a newline would end the Location header), no dot segments."""
    if not value or len(value) > 2000 or not value.startswith(prefix):
        return None
    if not LOCAL_PATH.fullmatch(value) or "//" in value:
        return None
    if any(part in (".", "..") for part in value.split("?", 1)[0].split("/")):
        return None
    return value


def register(app: Flask) -> None:
    configure_session(app)
    app.json = SafeJSONProvider(app)
    app.before_request(refuse_deep_json)
    app.after_request(secure_headers)
    app.register_error_handler(RecursionError, too_deep)
    app.register_error_handler(InternalServerError, internal)
