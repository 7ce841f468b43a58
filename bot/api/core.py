"""What every /api/v1 resource module shares on top of flask-openapi3: the models' base
classes and types, who may call a route (`access`), the acting user, pagination and times.

A resource module declares one `Resource` (an APIBlueprint) and its routes:

    from bot.api.core import USER, ApiModel, Id, OutModel, Page, PathId, Resource, Str, access, actor

    bp = Resource("things", __name__)

    class ThingIn(ApiModel):              # extra="forbid": unknown fields -> 422 naming them
        name: Str(100)

    class ThingPath(BaseModel):
        thing_id: PathId

    @bp.post("/things", responses={201: ThingOut})
    @access(USER)                          # the first docstring line is the OpenAPI summary
    def create_thing(body: ThingIn):
        thing = things.create_thing(actor(), body.name)   # store decides the rules
        return {"id": thing.id}, 201

flask-openapi3 validates `path`, `query` and `body` from the annotations and builds the
OpenAPI document; `access` says who may call (checked before anything is validated) and is
written into the document as `x-twork-access`, which the permission matrix test reads.

Who may call (keys, scopes, the acting user) is bot.api.access; the error answers are
bot.api.errors. This module re-exports what route modules use of them.
"""
from datetime import datetime
from typing import Annotated, Any, Callable
from zoneinfo import ZoneInfo

from flask import g
from flask_openapi3 import APIBlueprint, Tag
from flask_openapi3.models import Parameter, Schema
from flask_openapi3.utils import parse_rule
from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints,
                      WithJsonSchema, model_validator)

from bot.api.access import (COMPANY, MAX_ID, PLATFORM, PUBLIC, USER, USER_HEADER, Access, access,
                            actor, company_key, guard, has_nul, require_user)
from bot.api.errors import PREFIX, ApiError, domain_error, http_error, unexpected
from bot.audit import install as audit_changes
from store.db import utcnow
from store.errors import DomainError

__all__ = ["COMPANY", "PLATFORM", "PUBLIC", "USER", "PREFIX", "MAX_ID", "ApiError", "access",
           "actor", "company_key", "require_user", "http_error"]


# --- models ------------------------------------------------------------------------------

class ApiModel(BaseModel):
    """Base of request models: unknown fields are refused (422 naming them); an empty
    body is an empty object."""
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data):
        if data is None:
            return {}
        if has_nul(data):
            raise ValueError("文本中不能含 NUL 字符")
        return data


class OutModel(BaseModel):
    """Base of response models (documentation): more fields than listed may appear."""
    model_config = ConfigDict(extra="allow")


class ErrorOut(OutModel):
    error: str = Field(description="stable machine code")
    message: str = Field(description="for people, in Chinese")
    detail: Any = None


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdList = Annotated[list[Id], Field(max_length=200)]
# A path id: documented as 1..2**31-1, but any integer reaches the view, which answers an
# id no row can have with a 404 (bot.api.IdConverter maps out-of-range ones to 0).
PathId = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID})]


def _plausible(value: datetime) -> datetime:
    # Far-off years overflow when converted between zones; no task lives outside these.
    if not 2000 <= value.year <= 2200:
        raise ValueError("时间应在 2000 年到 2200 年之间")
    return value


Time = Annotated[AwareDatetime, AfterValidator(_plausible)]  # ISO 8601 with offset


def Str(max_length: int, min_length: int = 1):  # noqa: N802 (a type factory)
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length,
                                            max_length=max_length)]


class Page(ApiModel):
    limit: int = Field(20, ge=1, le=100, description="page size, at most 100")
    offset: int = Field(0, ge=0, le=1_000_000)


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """The response model of a paginated list of `item`."""
    name = f"{item.__name__}Page"
    return type(name, (OutModel,), {
        "__annotations__": {"items": list[item], "limit": int, "offset": int,
                            "next_offset": int | None, "total": int | None},
        "total": None})


def paginate(fetch: Callable[[int, int], list], query: Page, render: Callable[[Any], dict],
             total: int | None = None) -> dict:
    """`fetch(limit, offset)` one more row than asked, to know whether a next page exists."""
    rows = list(fetch(query.limit + 1, query.offset))
    more = len(rows) > query.limit
    page = {"items": [render(r) for r in rows[:query.limit]], "limit": query.limit,
            "offset": query.offset, "next_offset": query.offset + query.limit if more else None}
    if total is not None:
        page["total"] = total
    return page


def paginate_list(rows: list, query: Page, render: Callable[[Any], dict]) -> dict:
    """Paginate a list a store function returned whole (small ones): its total is free."""
    return paginate(lambda limit, offset: rows[offset:offset + limit], query, render,
                    total=len(rows))


# --- times -------------------------------------------------------------------------------

def now() -> datetime:
    return utcnow()


def company_zone() -> ZoneInfo:
    return g.company.zone


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the company's offset (None stays None)."""
    return value.astimezone(company_zone()).isoformat() if value else None


# --- resources ---------------------------------------------------------------------------

ERROR_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                   422: ErrorOut}


class Resource(APIBlueprint):
    """One resource module's routes under /api/v1: every route must declare `access`;
    its rule goes into the document (security, the acting-user header, x-twork-access)."""

    def __init__(self, name: str, import_name: str):
        super().__init__(name, import_name, url_prefix=PREFIX, abp_tags=[Tag(name=name)],
                         abp_responses=ERROR_RESPONSES,
                         operation_id_callback=lambda name, path, method, bp_name="":
                             f"{bp_name}_{name}")
        self.before_request(guard)
        self.register_error_handler(DomainError, domain_error)
        self.register_error_handler(Exception, unexpected)
        audit_changes(self, "api")

    def _collect_openapi_info(self, rule, func, **kwargs):
        rule_access: Access = func.twork_access  # AttributeError: the route forgot `access`
        method = kwargs.get("method", "GET")
        if rule_access.auth == PUBLIC:
            kwargs["security"] = [{}]
        elif rule_access.auth == PLATFORM:
            kwargs["security"] = [{"platformKey": []}]
        else:
            kwargs["security"] = [{"companyKey": []}]
        kwargs["openapi_extensions"] = {"x-twork-access": rule_access.document(method)}
        parsed = super()._collect_openapi_info(rule, func, **kwargs)
        if rule_access.auth in (COMPANY, USER):
            operation = getattr(self.paths[parse_rule(rule, url_prefix=self.url_prefix)],
                                str(method).lower())
            operation.parameters = (operation.parameters or []) + [Parameter(
                name=USER_HEADER, **{"in": "header"}, required=False,
                description="acting user (id or account): required with an admin key and on "
                            "the routes that act as a person",
                schema=Schema(type="string", minLength=1, maxLength=64))]
        return parsed
