"""Companies, users, passwords and WeChat bindings (SPEC §1).

Administering users (create, edit, deactivate, authorise) is for company admins: each
function takes the acting user and refuses anyone else (Forbidden), whichever way it is
called. Everyone may edit their own profile (name, gender, avatar, password, preferences).
Setting up a company before it has users, and operator tools, act as `operator(company)`.

Secrets are never stored in the clear: passwords as werkzeug scrypt hashes, binding codes
as SHA-256 digests (short-lived and single use, so a fast digest is enough and lets us look
them up by hash). API keys live in store.apikeys.
"""
import hashlib
import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from store import apikeys
from store.db import db, utcnow  # noqa: F401 (callers use users.utcnow)
from store.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from store.models import (ROLES, BindingCode, Company, Department, Project,
                          Template, User, WeChatBinding)
from store.prebuilt import Prebuilt

BINDING_CODE_TTL = timedelta(hours=24)
# No 0/O, 1/I/L: the code is read off a screen and typed into a phone.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 8
BAD_CODE = "绑定码无效或已过期"
BAD_LOGIN = "账号、密码或客户代码错误"
ADMINS_ONLY = "只有公司管理员可以管理成员和部门"
SELF_EDITABLE = {"name", "gender", "avatar", "password", "default_project_id", "digest_opt_in"}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _hash_password(password: str) -> str:
    if not password or len(password) < 6:
        raise Invalid("密码至少6位")
    return generate_password_hash(password, method="scrypt")


# --- companies and API keys -------------------------------------------------------------

def create_company(code: str, name: str, timezone: str = "Asia/Shanghai",
                   admin: dict | None = None) -> tuple[Company, str]:
    """Create a tenant with its built-in templates and its "ERP通知" project, and with
    `admin` ({account, name, password}) its first company admin.

    Returns the company and its first `admin` API key in plain text (shown once, stored
    hashed)."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("客户代码和公司名称不能为空")
    if not re.fullmatch(r"[A-Za-z0-9_-]{2,32}", code):
        raise Invalid("客户代码只能由2-32位字母、数字、下划线或连字符组成")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"未知时区：{timezone}")
    with db.atomic():
        if Company.select().where(Company.code == code).exists():
            raise Conflict(f"客户代码 {code} 已存在")
        company = Company.create(code=code, name=name, timezone=timezone,
                                 webhook_secret=secrets.token_hex(32))
        Template.create(company=company, name="简易任务", builtin="simple", nodes=[])
        Template.create(company=company, name="工作流空模板", builtin="empty", nodes=[])
        Project.create(company=company, name="ERP通知", kind="erp")
        if admin is not None:
            create_user(operator(company.id), admin["account"], admin["name"], admin["password"],
                        role="company_admin", authorized=True)
        _row, key = apikeys.issue(company.id, "default", "admin")
    return company, key


# --- who administers --------------------------------------------------------------------

def operator(company_id: int) -> User:
    """The company's administrator acting without a user account (setup, operator tools, an
    API key alone). Never saved: it has no id, so it never becomes a handler or a creator."""
    return User(company=company_id, role="company_admin", active=True, authorized=True,
                name="系统", account="system")


def require_admin(actor: User) -> int:
    """The actor's company, if the actor may administer its users and departments."""
    if actor is None or not actor.active or not actor.is_company_admin:
        raise Forbidden(ADMINS_ONLY)
    return actor.company_id


# --- users ------------------------------------------------------------------------------

def _check_department(company_id, department_id):
    if department_id is not None and not Department.scoped(company_id).where(
            Department.id == department_id).exists():
        raise Invalid("部门不存在")


def create_user(actor: User, account: str, name: str, password: str, role: str = "member",
                department_id: int | None = None, gender: str | None = None,
                authorized: bool = False) -> User:
    """Create a user in the actor's company; the account is unique within the company."""
    company_id = require_admin(actor)
    account, name = (account or "").strip(), (name or "").strip()
    if not account or not name:
        raise Invalid("账号和姓名不能为空")
    if role not in ROLES:
        raise Invalid(f"角色必须是 {'/'.join(ROLES)} 之一")
    _check_department(company_id, department_id)
    password_hash = _hash_password(password)
    try:
        with db.atomic():
            return User.create(company=company_id, account=account, name=name,
                               password_hash=password_hash, role=role,
                               department=department_id, gender=gender, authorized=authorized)
    except IntegrityError:
        raise Conflict(f"账号 {account} 已存在")


def get_user(company_id: int, user_id: int) -> User:
    user = User.scoped(company_id).where(User.id == user_id).first()
    if user is None:
        raise NotFound("用户不存在")
    return user


def get_user_by_account(company_id: int, account: str) -> User:
    user = User.scoped(company_id).where(User.account == account).first()
    if user is None:
        raise NotFound("用户不存在")
    return user


_EDITABLE = {"name", "role", "department_id", "gender", "avatar", "password", "authorized",
             "default_project_id", "digest_opt_in"}


def update_user(actor: User, user_id: int, **changes) -> User:
    """Change a user's profile, role, department, password or authorisation (company
    admins); anyone their own profile."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise Invalid(f"不能修改的字段：{', '.join(sorted(unknown))}")
    if user_id != actor.id or not set(changes) <= SELF_EDITABLE:
        require_admin(actor)
    user = get_user(actor.company_id, user_id)
    if "role" in changes and changes["role"] not in ROLES:
        raise Invalid(f"角色必须是 {'/'.join(ROLES)} 之一")
    if "department_id" in changes:
        _check_department(actor.company_id, changes["department_id"])
    if "name" in changes and not (changes["name"] or "").strip():
        raise Invalid("姓名不能为空")
    for field, value in changes.items():
        if field == "password":
            user.password_hash = _hash_password(value)
        else:
            setattr(user, field, value.strip() if field == "name" else value)
    user.save()
    return user


def deactivate_user(actor: User, user_id: int) -> User:
    """Stop a user (leavers): no login, no WeChat, not selectable as handler."""
    user = get_user(require_admin(actor), user_id)
    with db.atomic():
        user.active = False
        user.save(only=[User.active])
        WeChatBinding.delete().where(WeChatBinding.user == user.id).execute()
    return user


def login(company_code: str, account: str, password: str) -> User | None:
    """The active, authorised user with these credentials, or None."""
    if "\x00" in (company_code or "") + (account or ""):  # PostgreSQL refuses NUL in text
        return None
    user = (User.select().join(Company, on=(User.company == Company.id))
            .where(Company.code == (company_code or "").strip(),
                   User.account == (account or "").strip())
            .first())
    if user is None or not check_password_hash(user.password_hash, password or ""):
        return None
    return user if user.active and user.authorized else None


# --- authorisation and WeChat binding ---------------------------------------------------

def authorize_user(actor: User, user_id: int, now: datetime) -> tuple[str, datetime]:
    """Grant access and issue a one-time binding code (valid 24 h); older unused codes die."""
    company_id = require_admin(actor)
    user = get_user(company_id, user_id)
    if not user.active:
        raise Refused("该用户已停用，不能授权")
    expires_at = now + BINDING_CODE_TTL
    with db.atomic():
        User.update(authorized=True).where(User.id == user.id).execute()
        (BindingCode.update(expires_at=now)
         .where(BindingCode.user == user.id, BindingCode.used_at.is_null(),
                BindingCode.expires_at > now).execute())
        while True:
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
            try:
                with db.atomic():
                    BindingCode.create(company=company_id, user=user.id, code_hash=_digest(code),
                                       expires_at=expires_at, created_at=now)
                break
            except IntegrityError:  # an old code with the same digest: draw again
                continue
    return code, expires_at


def _bind(openid: str, user: User, now: datetime) -> User:
    # One openid ↔ one user: a new binding replaces whatever either side had before.
    WeChatBinding.delete().where((WeChatBinding.openid == openid) |
                                 (WeChatBinding.user == user.id)).execute()
    WeChatBinding.create(company=user.company_id, openid=openid, user=user.id, bound_at=now)
    return user


def bind_wechat(openid: str, code: str, now: datetime) -> User:
    """Bind a WeChat openid to the user a binding code was issued for (single use)."""
    code = (code or "").strip().upper()
    if not openid or not code:
        raise Invalid(BAD_CODE)
    with db.atomic():
        row = (BindingCode.select().where(BindingCode.code_hash == _digest(code),
                                          BindingCode.used_at.is_null(),
                                          BindingCode.expires_at > now).first())
        if row is None:
            raise Invalid(BAD_CODE)
        user = User.get_by_id(row.user_id)
        if not (user.active and user.authorized):
            raise Invalid(BAD_CODE)
        # Guarded so that two binds racing with the same code cannot both use it.
        used = (BindingCode.update(used_at=now)
                .where(BindingCode.id == row.id, BindingCode.used_at.is_null()).execute())
        if not used:
            raise Invalid(BAD_CODE)
        return _bind(openid, user, now)


def bind_wechat_by_login(openid: str, company_code: str, account: str, password: str,
                         now: datetime) -> User:
    """Bind by the same account + password + customer code as the ERP (the login page)."""
    user = login(company_code, account, password)
    if user is None or not openid:
        raise Invalid(BAD_LOGIN)
    with db.atomic():
        return _bind(openid, user, now)


def unbind_wechat(openid: str) -> bool:
    return WeChatBinding.delete().where(WeChatBinding.openid == openid).execute() > 0


def user_for_openid(openid: str) -> User | None:
    """The active user bound to this openid, or None."""
    if not openid:
        return None
    return _USER_FOR_OPENID.first(openid=openid)


# With its company (every reply needs the company's time zone) and whether pushes to it are
# paused (`user.binding.blocked_at`, for resume_pushes). Every push runs it: built once.
_USER_FOR_OPENID = Prebuilt(
    lambda openid: (User.select(User, Company, WeChatBinding.id, WeChatBinding.blocked_at)
                    .join(WeChatBinding, on=(WeChatBinding.user == User.id), attr="binding")
                    .join_from(User, Company)
                    .where(WeChatBinding.openid == openid, User.active == True)  # noqa: E712
                    .limit(1)),
    "openid")


def resume_pushes(user: User) -> bool:
    """The user wrote to the account: pushes paused by a "user block" delivery report resume.
    (`user_for_openid` read whether they are paused: nearly every message need not write.)"""
    binding = getattr(user, "binding", None)
    if binding is not None and binding.blocked_at is None:
        return False
    paused = WeChatBinding.blocked_at.is_null(False)
    return bool(WeChatBinding.update(blocked_at=None)
                .where(WeChatBinding.user == user.id, paused).execute())


def set_followed(openid: str, followed: bool) -> bool:
    """Record (un)follow of the official account; pushes pause while unfollowed."""
    return (WeChatBinding.update(followed=followed)
            .where(WeChatBinding.openid == openid).execute()) > 0
