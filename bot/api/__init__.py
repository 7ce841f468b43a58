"""The admin JSON API under /api/v1 (SPEC §7), declared with flask-openapi3: one Resource
(APIBlueprint) per module, pydantic models for paths, queries, bodies and answers.
`register(app)` mounts them on the app (a flask_openapi3.OpenAPI, see bot.errors.App),
which serves the generated document at /api/v1/openapi.json and Swagger UI (assets from the
flask-openapi3-swagger package, nothing from the internet) at /api/v1/docs.
"""
import importlib

from flask import Flask, redirect
from flask_openapi3 import Info
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from bot.api.core import MAX_ID, PREFIX, ApiError, ErrorOut, http_error
from bot.api.validation import validation_response

RESOURCE_MODULES = ("companies", "departments", "users", "projects", "templates", "tasks",
                    "messages", "stats", "announcements", "feedback", "extensions", "leaves",
                    "scenarios", "erp", "audit")

# The keyword arguments of flask_openapi3.OpenAPI for the app (bot.errors.App).
OPENAPI_OPTIONS = dict(
    info=Info(title="Twork admin API", version="2.0.0",
              description="SPEC §7: the PC side of Twork. Errors are {error, message, detail} "
                          "(error: a stable code; message: Chinese for people). Times are "
                          "ISO 8601 with offset. Keys carry a scope (admin, erp, read); an admin "
                          "key acts for the user named by X-Twork-User."),
    security_schemes={"companyKey": {"type": "http", "scheme": "bearer",
                                     "description": "a company API key"},
                      "platformKey": {"type": "http", "scheme": "bearer",
                                      "description": "TWORK_PLATFORM_KEY"}},
    doc_prefix=PREFIX, doc_url="/openapi.json",
    validation_error_status=422, validation_error_model=ErrorOut,
    validation_error_callback=validation_response,
)


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive 32-bit id; anything larger cannot exist, so it is a 404
    instead of an out-of-range error from the database."""

    def to_python(self, value: str) -> int:
        # Out of range is not "no such route" (werkzeug would then answer another method's
        # rule with a 405): it is an id no row can have, which the view answers with a 404.
        number = int(value)
        return number if 1 <= number <= MAX_ID else 0


def resources() -> list:
    return [importlib.import_module(f"bot.api.{name}").bp for name in RESOURCE_MODULES]


def register(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter  # before any rule using it is added
    for resource in resources():
        app.register_api(resource)
    app.add_url_rule(f"{PREFIX}/docs", "api_docs", lambda: redirect(f"{PREFIX}/swagger"))
    app.register_error_handler(HTTPException, http_error)


__all__ = ["register", "ApiError", "OPENAPI_OPTIONS"]
