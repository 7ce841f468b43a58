"""The admin JSON API under /api/v1 (SPEC §7): `register(app)` mounts the blueprint of
bot.api.core with every route module, the JSON error handlers and the OpenAPI document.

Route modules register themselves on import through `core.route`; they are imported here,
inside `register`, never as a side effect of importing the package.
"""
import importlib
import logging

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from bot.api.core import MAX_ID, PREFIX, ApiError, make_blueprint
from store.errors import DomainError

log = logging.getLogger(__name__)

ROUTE_MODULES = ("companies", "departments", "users", "projects", "templates", "tasks",
                 "messages", "stats", "announcements", "feedback", "extensions", "leaves",
                 "scenarios", "erp", "openapi")
HTTP_MESSAGES = {404: "接口不存在", 405: "此接口不支持该请求方法", 413: "请求体过大",
                 415: "不支持的请求内容类型"}


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive 32-bit id; anything larger cannot exist, so it is a 404
    instead of an out-of-range error from the database."""

    def to_python(self, value: str) -> int:
        # Out of range is not "no such route" (werkzeug would then answer another method's
        # rule with a 405): it is an id no row can have, which the view answers with a 404.
        number = int(value)
        return number if 1 <= number <= MAX_ID else 0


def _error(status: int, code: str, message: str, detail=None):
    body = {"error": code, "message": message, "detail": detail}
    return body, status


def _load_routes() -> None:
    for name in ROUTE_MODULES:
        importlib.import_module(f"bot.api.{name}")


def domain_error(error: DomainError):
    return _error(error.status, error.code, error.message, error.detail)


def unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return http_error(error)
    if current_app.config.get("TESTING") and not current_app.config.get("API_SWALLOW_ERRORS"):
        raise error
    log.exception("API error on %s %s", request.method, request.path)
    return _error(500, "internal", "服务器内部错误")


def http_error(error: HTTPException):
    # Unknown /api/v1 paths, wrong methods, oversize bodies: JSON like every API answer.
    # Elsewhere (webhook, pages) Flask's own answer stands.
    if not request.path.startswith(PREFIX + "/") and request.path != PREFIX:
        return error
    code = (error.name or "error").lower().replace(" ", "_")
    message = HTTP_MESSAGES.get(error.code, error.description or error.name)
    response, status = _error(error.code or 500, code, message)
    if error.code == 405 and error.valid_methods:
        return response, status, {"Allow": ", ".join(error.valid_methods)}
    return response, status


def register(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    _load_routes()
    bp = make_blueprint()
    bp.register_error_handler(DomainError, domain_error)
    bp.register_error_handler(Exception, unexpected)
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, http_error)


__all__ = ["register", "ApiError"]
