"""What every part of the web app answers while the database is unreachable.

A peewee OperationalError/InterfaceError from any view (admin API, pages) becomes a 503
with a JSON error instead of a 500; the WeChat webhook answers its own way (a chat reply
saying nothing was done, see bot/webhook.py). Nothing needs a restart afterwards: peewee
opens a new connection on the next request.
"""
import logging

from flask_openapi3 import OpenAPI
from peewee import InterfaceError, OperationalError

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
UNAVAILABLE_MESSAGE = "数据库暂时无法连接，本次请求没有执行，请稍后重试。"


def database_unavailable(error: Exception):
    log.error("database unavailable: %s", error)
    return {"error": "unavailable", "message": UNAVAILABLE_MESSAGE,
            "detail": type(error).__name__}, 503, {"Retry-After": "5"}


class App(OpenAPI):
    """Flask (as flask-openapi3's OpenAPI, which documents the admin API), answering a
    database outage before any blueprint's own catch-all error handler (Flask consults
    blueprint handlers first), so the answer does not depend on how the API or the pages
    handle their errors."""

    def handle_user_exception(self, e):
        if isinstance(e, DATABASE_ERRORS):
            return database_unavailable(e)
        return super().handle_user_exception(e)
