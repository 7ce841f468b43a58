"""The framework every /api/v1 route module uses: authentication, the acting user, JSON
bodies and query strings validated with pydantic, pagination, times, and the `route`
decorator that registers a view *and* records its OpenAPI operation (bot.api.openapi
builds /api/v1/openapi.json from those records, so the document cannot drift).

How to add a route (a module `bot/api/things.py`, listed in bot/api/__init__.py):

    from bot.api.core import USER, ApiModel, Id, OutModel, Page, Str, actor, now, page_of, paginate, route

    class ThingIn(ApiModel):             # extra="forbid": unknown fields -> 422 naming them
        name: Str(100)
        owner_id: Id | None = None

    class ThingOut(OutModel):            # documents the answer (OutModel allows more fields)
        id: int
        name: str

    @route("POST", "/things", auth=USER, body=ThingIn, response=ThingOut, status=201, tag="things")
    def create_thing(body: ThingIn):     # its docstring's first line = the OpenAPI summary
        thing = things.create_thing(actor(), body.name, now=now())   # store decides the rules
        return {"id": thing.id, "name": thing.name}

    @route("GET", "/things", auth=USER, query=Page, response=page_of(ThingOut), tag="things")
    def list_things(query: Page):        # path params by name: "/things/<id:thing_id>" -> thing_id
        return paginate(lambda limit, offset: things.list_things(actor(), limit, offset),
                        query, lambda t: {"id": t.id, "name": t.name})

Views take the path parameters by name, `body=` and `query=` when declared, and return a
dict (JSON, with `status`), or a ready flask Response (CSV). They never touch the database:
they call `store.*` and let `store.errors.DomainError` propagate; bot.api turns it into
`{"error": code, "message": 中文, "detail": ...}` with the error's HTTP status.

Auth levels (`auth=`):
  PUBLIC   no credentials (the OpenAPI document; signed ERP events check their own HMAC).
  PLATFORM `Authorization: Bearer <TWORK_PLATFORM_KEY>` (creating companies only).
  COMPANY  a company API key; `X-Twork-User` optional. Without it the key itself acts as the
           company's administrator (the PC console); with it, that user's role counts.
  USER     a company API key and `X-Twork-User: <user id or account>` (an active user of the
           key's company), e.g. every task action, taken under the chat user's rules.
`roles=("company_admin",)` additionally requires the acting role (403 otherwise).
"""
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, g, request
from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints,
                      ValidationError, model_validator)

from store import users as user_store
from store.db import utcnow
from store.errors import DomainError, Forbidden
from store.models import User

PREFIX = "/api/v1"

PUBLIC, PLATFORM, COMPANY, USER = "public", "platform", "company", "user"
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns in PostgreSQL
USER_HEADER = "X-Twork-User"


# --- errors ------------------------------------------------------------------------------

class ApiError(DomainError):
    """An error the API layer itself raises (authentication, malformed requests)."""

    def __init__(self, status: int, code: str, message: str, detail=None):
        super().__init__(message, detail, code=code)
        self.status = status


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


# --- models ------------------------------------------------------------------------------

def _has_nul(value):
    # PostgreSQL refuses NUL in text; refuse it here as bad input rather than fail later.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class ApiModel(BaseModel):
    """Base of request models: unknown fields are refused (422 naming them)."""
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data):
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class OutModel(BaseModel):
    """Base of response models (documentation): more fields than listed may appear."""
    model_config = ConfigDict(extra="allow")


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdList = Annotated[list[Id], Field(max_length=200)]


def _plausible(value: datetime) -> datetime:
    # Far-off years overflow when converted between zones; no task lives outside these.
    if not 2000 <= value.year <= 2200:
        raise ValueError("time must be between the years 2000 and 2200")
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
                            "next_offset": int | None}})


def paginate(fetch: Callable[[int, int], list], query: Page, render: Callable[[Any], dict]) -> dict:
    """`fetch(limit, offset)` one more row than asked, to know whether a next page exists."""
    rows = list(fetch(query.limit + 1, query.offset))
    more = len(rows) > query.limit
    return {"items": [render(r) for r in rows[:query.limit]], "limit": query.limit,
            "offset": query.offset, "next_offset": query.offset + query.limit if more else None}


def slice_fetch(rows: list) -> Callable[[int, int], list]:
    """A `fetch` for store functions that return the whole (small) list."""
    return lambda limit, offset: rows[offset:offset + limit]


# --- times -------------------------------------------------------------------------------

def now() -> datetime:
    return utcnow()


def company_zone() -> ZoneInfo:
    return g.company.zone


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the company's offset (None stays None)."""
    return value.astimezone(company_zone()).isoformat() if value else None


# --- authentication ----------------------------------------------------------------------

def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate(auth: str) -> None:
    g.company, g.user = None, None
    if auth == PUBLIC:
        return
    token = _bearer()
    if token is None:
        raise unauthorized("unauthorized", "缺少 API 密钥（Authorization: Bearer KEY）")
    if auth == PLATFORM:
        platform_key = current_app.config["TWORK"].TWORK_PLATFORM_KEY
        if not platform_key or not hmac.compare_digest(token.encode(), platform_key.encode()):
            raise unauthorized("unauthorized", "平台密钥无效")
        return
    g.company = user_store.company_for_api_key(token)
    if g.company is None:
        raise unauthorized("unauthorized", "API 密钥无效或已吊销")
    g.user = _acting_user(required=auth == USER)


def _acting_user(required: bool) -> User | None:
    named = request.headers.get(USER_HEADER, "").strip()
    if not named:
        if required:
            raise unauthorized("user_required", f"请用 {USER_HEADER} 头指定操作用户")
        return None
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


def actor() -> User:
    """Who acts: the X-Twork-User, or for a key alone a stand-in company administrator
    (never saved; it has no id, so it can never be a handler or a creator)."""
    if g.user is not None:
        return g.user
    return User(company=g.company.id, role="company_admin", active=True, authorized=True,
                name="API", account="api")


def require_user() -> User:
    if g.user is None:
        raise unauthorized("user_required", f"请用 {USER_HEADER} 头指定操作用户")
    return g.user


def _check_roles(roles: tuple[str, ...] | None) -> None:
    if roles and actor().role not in roles:
        raise Forbidden("你的角色不能执行此操作", {"allowed_roles": list(roles)}, code="forbidden")


# --- bodies and query strings ------------------------------------------------------------

def _json_body() -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_json", "请求体不是合法的 JSON", str(error)[:200])


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error(error)


def validation_error(error: ValidationError) -> ApiError:
    problems = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in error.errors(include_url=False, include_context=False, include_input=False)]
    unknown = [".".join(map(str, p["loc"])) for p in problems if p["type"] == "extra_forbidden"]
    message = f"不允许的字段：{', '.join(unknown)}" if unknown else "请求参数无效"
    return ApiError(422, "invalid", message, problems)


def _query_args() -> dict:
    args = {}
    for key in request.args:
        values = request.args.getlist(key)
        args[key] = values if len(values) > 1 else values[0]
    return args


# --- registration ------------------------------------------------------------------------

@dataclass
class Operation:
    """What the OpenAPI document says about one route (see bot.api.openapi)."""
    method: str
    rule: str
    endpoint: str
    auth: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    roles: tuple[str, ...] | None = None
    view_func: Callable | None = field(default=None, repr=False)


OPERATIONS: list[Operation] = []


def make_blueprint() -> Blueprint:
    """A fresh blueprint holding every recorded route (one per app: a module imported
    after an app was built still reaches the next app)."""
    bp = Blueprint("api", __name__, url_prefix=PREFIX)
    for op in OPERATIONS:
        bp.add_url_rule(op.rule, endpoint=op.endpoint, view_func=op.view_func, methods=[op.method])
    return bp


def route(method: str, rule: str, *, auth: str = USER, roles: tuple[str, ...] | None = None,
          body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
          response: type[BaseModel] | None = None, status: int = 200, tag: str = "misc",
          summary: str | None = None, content_type: str = "application/json",
          raw_body: bool = False):
    """Register `view` under /api/v1 and record its OpenAPI operation (see the module doc).
    A route without `body=` refuses a non-empty body (it would be silently ignored),
    unless it reads the raw body itself (`raw_body=True`, the signed ERP events)."""
    def decorate(view):
        endpoint = f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}"

        def handle(**path):
            _authenticate(auth)
            _check_roles(roles)
            kwargs = dict(path)
            if _has_nul(kwargs):  # e.g. /business-types/%00: PostgreSQL refuses NUL in text
                raise ApiError(422, "invalid", "路径中不能含 NUL 字符")
            if body is not None:
                kwargs["body"] = _validate(body, _json_body())
            elif not raw_body and request.get_data(cache=True).strip() not in (b"", b"{}"):
                raise ApiError(422, "unexpected_body", "此接口不接受请求体")
            if query is not None:
                kwargs["query"] = _validate(query, _query_args())
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            return current_app.json.response(result), status

        handle.__name__ = handle.__qualname__ = endpoint
        handle.__doc__ = view.__doc__
        doc = (summary or (view.__doc__ or view.__name__).strip().splitlines()[0]).strip()
        # Re-importing a module (after a failed import) replaces its routes, never doubles them.
        OPERATIONS[:] = [op for op in OPERATIONS
                         if (op.method, op.rule) != (method.upper(), rule)]
        OPERATIONS.append(Operation(method.upper(), rule, endpoint, auth, doc, tag, body, query,
                                    response, status, content_type, roles, handle))
        return view
    return decorate
