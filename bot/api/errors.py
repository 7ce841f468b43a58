"""How the API answers what goes wrong: always JSON `{error, message, detail}` (a stable
machine code, a Chinese message for people, details), with the right status code."""
import logging

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from store.errors import DomainError

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
HTTP_MESSAGES = {404: "接口不存在", 405: "此接口不支持该请求方法", 413: "请求体过大",
                 415: "不支持的请求内容类型"}


class ApiError(DomainError):
    """An error the API layer itself raises (authentication, malformed requests)."""

    def __init__(self, status: int, code: str, message: str, detail=None):
        super().__init__(message, detail, code=code)
        self.status = status


def error_body(status: int, code: str, message: str, detail=None):
    return {"error": code, "message": message, "detail": detail}, status


def domain_error(error: DomainError):
    return error_body(error.status, error.code, error.message, error.detail)


def unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return http_error(error)
    if current_app.config.get("TESTING") and not current_app.config.get("API_SWALLOW_ERRORS"):
        raise error
    log.exception("API error on %s %s", request.method, request.path)
    return error_body(500, "internal", "服务器内部错误")


def http_error(error: HTTPException):
    # Unknown /api/v1 paths, wrong methods, oversize bodies: JSON like every API answer.
    # Elsewhere (webhook, pages) Flask's own answer stands.
    if not request.path.startswith(PREFIX + "/") and request.path != PREFIX:
        return error
    code = (error.name or "error").lower().replace(" ", "_")
    message = HTTP_MESSAGES.get(error.code, error.description or error.name)
    response, status = error_body(error.code or 500, code, message)
    if error.code == 405 and error.valid_methods:
        return response, status, {"Allow": ", ".join(error.valid_methods)}
    return response, status


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)
