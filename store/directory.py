"""Reading and small edits of the company directory for the admin API: API keys,
departments and users listed, filtered and paged. (Creation rules stay in store.users.)"""
from peewee import IntegrityError

from store import users as user_store
from store.db import db
from store.errors import Invalid, NotFound
from store.models import ROLES, ApiKey, Department, User


# --- API keys ----------------------------------------------------------------------------

def issue_api_key(company_id: int, name: str = "default") -> tuple[ApiKey, str]:
    """A new key for the company: its row (no secret in it) and the plain key, shown once."""
    name = (name or "").strip() or "default"
    plain = user_store.create_api_key(company_id, name)
    row = (ApiKey.scoped(company_id).where(ApiKey.prefix == plain[:10])
           .order_by(ApiKey.id.desc()).first())
    return row, plain


def list_api_keys(company_id: int) -> list[ApiKey]:
    return list(ApiKey.scoped(company_id).order_by(ApiKey.id))


def get_api_key(company_id: int, key_id: int) -> ApiKey:
    key = ApiKey.scoped(company_id).where(ApiKey.id == key_id).first()
    if key is None:
        raise NotFound("API key 不存在")
    return key


# --- departments -------------------------------------------------------------------------

def list_departments(company_id: int, limit: int = 100, offset: int = 0) -> list[Department]:
    return list(Department.scoped(company_id).order_by(Department.id).limit(limit).offset(offset))


def get_department(company_id: int, department_id: int) -> Department:
    department = Department.scoped(company_id).where(Department.id == department_id).first()
    if department is None:
        raise NotFound("部门不存在")
    return department


def rename_department(company_id: int, department_id: int, name: str) -> Department:
    department = get_department(company_id, department_id)
    name = (name or "").strip()
    if not name:
        raise Invalid("部门名称不能为空")
    try:
        with db.atomic():
            department.name = name
            department.save(only=[Department.name])
    except IntegrityError:
        raise Invalid(f"部门 {name} 已存在")
    return department


def member_count(company_id: int, department_id: int) -> int:
    return (User.scoped(company_id)
            .where(User.department == department_id, User.active == True).count())  # noqa: E712


# --- users -------------------------------------------------------------------------------

def list_users(company_id: int, *, department_id: int | None = None, role: str | None = None,
               active: bool | None = None, text: str | None = None, limit: int = 50,
               offset: int = 0, bound: bool | None = None) -> list[User]:
    """The company's users, filtered; `text` matches account or name; `bound`: with or
    without a WeChat binding."""
    from store.models import WeChatBinding
    query = User.scoped(company_id)
    if bound is not None:
        with_binding = User.id.in_(WeChatBinding.select(WeChatBinding.user)
                                   .where(WeChatBinding.company == company_id))
        query = query.where(with_binding if bound else ~with_binding)
    if department_id is not None:
        query = query.where(User.department == department_id)
    if role is not None:
        if role not in ROLES:
            raise Invalid(f"角色必须是 {'/'.join(ROLES)} 之一")
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    text = (text or "").strip()
    if text:
        query = query.where(User.account.contains(text) | User.name.contains(text))
    return list(query.order_by(User.id).limit(limit).offset(offset))


def bound_user_ids(company_id: int) -> set[int]:
    """Users of the company with a WeChat binding (they can receive pushes)."""
    from store.models import WeChatBinding
    return {b.user_id for b in WeChatBinding.scoped(company_id, WeChatBinding.user)}
