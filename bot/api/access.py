"""Who may call a route (SPEC §11), checked before flask-openapi3 validates anything.

`Authorization: Bearer <key>`, a key of one scope:
  admin  everything a company admin may do, always on behalf of `X-Twork-User` (400 without
         it) and under that user's role.
  read   GET only; with `X-Twork-User` as that user, else company-wide reads.
  erp    only the routes marked `erp=True` (scenario reads, event kinds, batch results).
Auth levels: PUBLIC (no key: the ERP signs its events), PLATFORM (TWORK_PLATFORM_KEY),
COMPANY (company-level: any key of the company), USER (needs an acting user).
A route declares its level with `@access(...)` (see bot.api.core); `guard` runs before it.
"""
import hmac
from dataclasses import dataclass
from typing import get_type_hints

from flask import current_app, g, request

from bot.api.errors import ApiError, unauthorized
from store import apikeys
from store.errors import Forbidden
from store.models import User

PUBLIC, PLATFORM, COMPANY, USER = "public", "platform", "company", "user"
ADMIN_SCOPE, ERP_SCOPE, READ_SCOPE = apikeys.SCOPES
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns in PostgreSQL
USER_HEADER = "X-Twork-User"
READ_METHODS = ("GET", "HEAD")


def has_nul(value) -> bool:
    # PostgreSQL refuses NUL in text; refuse it here as bad input rather than fail later.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def user_required() -> ApiError:
    return ApiError(400, "user_required", f"请用 {USER_HEADER} 头指定操作用户（用户 id 或账号）",
                    {"header": USER_HEADER})


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
    if rule is None or request.method == "OPTIONS":  # Flask answers OPTIONS itself
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
