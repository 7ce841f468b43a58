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

Callers (SPEC §11). `Authorization: Bearer <key>` with a key of one scope:
  admin  everything a company admin may do, always on behalf of `X-Twork-User` (400 without
         it) and under that user's role.
  read   GET only; with `X-Twork-User` as that user, else company-wide reads.
  erp    only the routes marked `erp=True` (scenario reads, event kinds, batch results).
Auth levels: PUBLIC (no key: the ERP signs its events), PLATFORM (TWORK_PLATFORM_KEY),
COMPANY (company-level: any key of the company), USER (needs an acting user).
"""
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Callable, get_type_hints
from zoneinfo import ZoneInfo

from flask import current_app, g, request
from flask_openapi3 import APIBlueprint, Tag
from flask_openapi3.utils import parse_rule
from werkzeug.exceptions import HTTPException
from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints,
                      WithJsonSchema, model_validator)

from bot.audit import install as audit_changes
from store import apikeys
from store.db import utcnow
from store.errors import DomainError, Forbidden
from store.models import User

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
PUBLIC, PLATFORM, COMPANY, USER = "public", "platform", "company", "user"
ADMIN_SCOPE, ERP_SCOPE, READ_SCOPE = apikeys.SCOPES
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns in PostgreSQL
USER_HEADER = "X-Twork-User"
READ_METHODS = ("GET", "HEAD")
HTTP_MESSAGES = {404: "接口不存在", 405: "此接口不支持该请求方法", 413: "请求体过大",
                 415: "不支持的请求内容类型"}


# --- errors ------------------------------------------------------------------------------

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


def user_required() -> ApiError:
    return ApiError(400, "user_required", f"请用 {USER_HEADER} 头指定操作用户（用户 id 或账号）",
                    {"header": USER_HEADER})


# --- models ------------------------------------------------------------------------------

def has_nul(value) -> bool:
    # PostgreSQL refuses NUL in text; refuse it here as bad input rather than fail later.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


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


# --- who may call ------------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    auth: str
    roles: tuple[str, ...] | None = None
    erp: bool = False             # an erp key may call it too
    admin_scope_only: bool = False  # a read key may not, even a GET (secrets in the answer)
    takes_body: bool = False
    raw_body: bool = False

    def scopes(self, method: str) -> list[str]:
        if self.auth in (PUBLIC, PLATFORM):
            return []
        allowed = [ADMIN_SCOPE]
        if method.upper() in READ_METHODS and not self.admin_scope_only:
            allowed.append(READ_SCOPE)
        if self.erp:
            allowed.append(ERP_SCOPE)
        return allowed

    def document(self, method: str) -> dict:
        return {"auth": self.auth, "scopes": self.scopes(method), "roles": list(self.roles or ())}


def access(auth: str, *, roles: tuple[str, ...] | None = None, erp: bool = False,
           admin_scope_only: bool = False, raw_body: bool = False):
    """Declare who may call the view under it (see the module doc). Put it below the
    Resource's method decorator. `raw_body=True`: the view reads the body itself."""
    def decorate(view):
        takes_body = "body" in get_type_hints(view)
        view.twork_access = Access(auth, roles, erp, admin_scope_only, takes_body, raw_body)
        return view
    return decorate


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def company_key():
    """The key of the Bearer header (401 when missing, unknown or revoked)."""
    token = _bearer()
    if token is None:
        raise unauthorized("unauthorized", "缺少 API 密钥（Authorization: Bearer KEY）")
    key = apikeys.find_key(token)
    if key is None:
        raise unauthorized("unauthorized", "API 密钥无效或已吊销")
    return key


def _authenticate(rule: Access) -> None:
    g.company, g.user, g.api_key = None, None, None
    if rule.auth == PUBLIC:
        return
    if rule.auth == PLATFORM:
        token = _bearer()
        platform_key = current_app.config["TWORK"].TWORK_PLATFORM_KEY
        if token is None or not platform_key or not hmac.compare_digest(token.encode(),
                                                                        platform_key.encode()):
            raise unauthorized("unauthorized", "平台密钥无效")
        return
    key = company_key()
    g.api_key, g.company = key, key.company
    allowed = rule.scopes(request.method)
    if key.scope not in allowed:
        names = "、".join(allowed)
        raise Forbidden(f"此接口需要 {names} 权限的密钥，当前密钥为 {key.scope}",
                        {"required_scopes": allowed, "key_scope": key.scope}, code="scope")
    if key.scope == ERP_SCOPE:
        return  # the integration acts as the company, never as a person
    named = request.headers.get(USER_HEADER, "").strip()
    if named:
        g.user = _acting_user(named)
    elif key.scope == ADMIN_SCOPE or rule.auth == USER:
        raise user_required()
    if rule.roles and actor().role not in rule.roles:
        raise Forbidden("你的角色不能执行此操作", {"allowed_roles": list(rule.roles)}, code="forbidden")


def _acting_user(named: str) -> User:
    query = User.scoped(g.company.id)
    if named.isdigit() and int(named) <= MAX_ID:
        user = query.where(User.id == int(named)).first() or query.where(User.account == named).first()
    else:
        user = query.where(User.account == named).first()
    if user is None:
        raise unauthorized("unknown_user", f"操作用户不存在：{named[:64]}")
    if not user.active:
        raise Forbidden("操作用户已停用", code="user_inactive")
    return user


def _check_body(rule: Access) -> None:
    if rule.raw_body:
        return
    raw = request.get_data(cache=True)
    if not rule.takes_body:
        # A body on a route that reads none would be silently ignored: refuse it.
        if raw.strip() not in (b"", b"{}"):
            raise ApiError(422, "unexpected_body", "此接口不接受请求体")
        return
    if raw.strip():
        try:
            request.get_json(force=True)  # cached: flask-openapi3 validates what this parsed
        except Exception as error:
            raise ApiError(400, "bad_json", "请求体不是合法的 JSON", str(error)[:200]) from None


def guard() -> None:
    """Before every API view: who calls, with which scope and role, and a readable body,
    all before flask-openapi3 validates the request."""
    view = current_app.view_functions.get(request.endpoint)
    rule = getattr(view, "twork_access", None)
    if rule is None:
        return
    _authenticate(rule)
    if has_nul(request.view_args or {}):  # e.g. /business-types/%00
        raise ApiError(422, "invalid", "路径中不能含 NUL 字符")
    _check_body(rule)


def actor() -> User:
    """Who acts: the X-Twork-User, or for a read or erp key without one a stand-in company
    administrator (never saved; it has no id, so it is never a handler or a creator)."""
    if g.user is not None:
        return g.user
    return User(company=g.company.id, role="company_admin", active=True, authorized=True,
                name="API", account="api")


def require_user() -> User:
    if g.user is None:
        raise user_required()
    return g.user


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
            from flask_openapi3.models import Parameter, Schema
            operation = getattr(self.paths[parse_rule(rule, url_prefix=self.url_prefix)],
                                str(method).lower())
            operation.parameters = (operation.parameters or []) + [Parameter(
                name=USER_HEADER, **{"in": "header"}, required=False,
                description="acting user (id or account): required with an admin key and on "
                            "the routes that act as a person",
                schema=Schema(type="string", minLength=1, maxLength=64))]
        return parsed
