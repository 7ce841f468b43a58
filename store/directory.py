"""Reading the company directory: departments and users listed, filtered and
paged; departments created and renamed; and the one way a person named in words ("@李四",
an account, a name) becomes a user, for chat, pages and console alike. (User creation
rules stay in store.users.)"""
from peewee import IntegrityError

from store import projects, users as user_store
from store.db import db
from store.errors import Conflict, Invalid, NotFound
from store.models import ROLES, Department, Project, ProjectMember, User, WeChatBinding

NAME_MISSING = "请填写同事的姓名或账号。"
NAME_UNKNOWN = "公司里没有找到「{name}」，请核对姓名或账号。"
NAME_AMBIGUOUS = "「{name}」有多位，请用账号指定："
NAME_CANDIDATE = "@{account} {name}（{department}）"
NAME_MORE = "…还有 {n} 位"
NO_DEPARTMENT = "无部门"
MAX_CANDIDATES = 8


# --- departments -------------------------------------------------------------------------

def list_departments(company_id: int, limit: int = 100, offset: int = 0) -> list[Department]:
    return list(Department.scoped(company_id).order_by(Department.id).limit(limit).offset(offset))


def count_departments(company_id: int) -> int:
    return Department.scoped(company_id).count()


def get_department(company_id: int, department_id: int) -> Department:
    department = Department.scoped(company_id).where(Department.id == department_id).first()
    if department is None:
        raise NotFound("部门不存在")
    return department


def create_department(actor: User, name: str) -> Department:
    """A new department of the actor's company (company admins)."""
    company_id = user_store.require_admin(actor)
    name = _department_name(name)
    try:
        with db.atomic():
            return Department.create(company=company_id, name=name)
    except IntegrityError:
        raise Conflict(f"部门 {name} 已存在")


def rename_department(actor: User, department_id: int, name: str) -> Department:
    """Rename a department of the actor's company (company admins)."""
    department = get_department(user_store.require_admin(actor), department_id)
    name = _department_name(name)
    try:
        with db.atomic():
            department.name = name
            department.save(only=[Department.name])
    except IntegrityError:
        raise Conflict(f"部门 {name} 已存在")
    return department


def _department_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("部门名称不能为空")
    return name


def member_count(company_id: int, department_id: int) -> int:
    return (User.scoped(company_id)
            .where(User.department == department_id, User.active == True).count())  # noqa: E712


# --- users -------------------------------------------------------------------------------

def list_users(company_id: int, *, limit: int = 50, offset: int = 0, **filters) -> list[User]:
    """The company's users, filtered (see `_users`)."""
    return list(_users(company_id, **filters).order_by(User.id).limit(limit).offset(offset))


def count_users(company_id: int, **filters) -> int:
    return _users(company_id, **filters).count()


def _users(company_id: int, *, department_id: int | None = None, role: str | None = None,
           active: bool | None = None, text: str | None = None, bound: bool | None = None):
    """`text` matches account or name; `bound`: with or without a WeChat binding."""
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
    return query


def bound_user_ids(company_id: int) -> set[int]:
    """Users of the company with a WeChat binding (they can receive pushes)."""
    return {b.user_id for b in WeChatBinding.scoped(company_id, WeChatBinding.user)}


# --- naming a person ---------------------------------------------------------------------

def find_users(company_id: int, text: str, project_id: int | None = None) -> list[User]:
    """Active users `text` may mean: exact account, else exact name, else names containing
    the text; with `project_id`, only that project's members."""
    text = (text or "").strip().lstrip("@＠").strip()
    if not text:
        return []
    base = User.scoped(company_id).where(User.active == True)  # noqa: E712
    if project_id is not None:
        base = base.where(User.id.in_(ProjectMember.select(ProjectMember.user)
                                      .where(ProjectMember.project == project_id)))
    for cond in (User.account == text, User.name == text, User.name.contains(text)):
        found = list(base.where(cond).order_by(User.id))
        if found:
            return found
    return []


def resolve_user(actor: User, text: str, project: Project | None = None) -> User:
    """The one active user of the actor's company that "@李四", an account or a name means;
    for an assignment in `project`, one of its members. Invalid otherwise, saying why:
    nobody, not a member, or several (listed with their departments, to pick by account)."""
    name = (text or "").strip().lstrip("@＠").strip()
    if not name:
        raise Invalid(NAME_MISSING)
    company_id = actor.company_id
    found = find_users(company_id, name, project.id if project else None)
    if len(found) == 1:
        return found[0]
    if not found:
        if project is not None and find_users(company_id, name):
            raise projects.not_member(name, project)
        raise Invalid(NAME_UNKNOWN.format(name=name))
    ids = {u.department_id for u in found if u.department_id is not None}
    departments = {d.id: d.name for d in Department.scoped(company_id, Department.id,
                                                           Department.name)
                   .where(Department.id.in_(ids))} if ids else {}
    lines = [NAME_AMBIGUOUS.format(name=name)]
    lines += [NAME_CANDIDATE.format(account=u.account, name=u.name,
                                    department=departments.get(u.department_id, NO_DEPARTMENT))
              for u in found[:MAX_CANDIDATES]]
    if len(found) > MAX_CANDIDATES:
        lines.append(NAME_MORE.format(n=len(found) - MAX_CANDIDATES))
    raise Invalid("\n".join(lines), {"candidates": [u.id for u in found]})
