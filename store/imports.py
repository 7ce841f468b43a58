"""Importing users from CSV (the admin's spreadsheet of staff): all rows or none.

Columns (header row required, English or Chinese names): account/账号, name/姓名,
password/密码, role/角色 (company_admin|dept_admin|member or 公司管理员|部门管理员|普通成员,
default member), department/部门 (a department's name or id, optional), gender/性别.
Every row goes through store.users.create_user, so the same rules apply as one by one.
"""
import csv
import io

from store import users as user_store
from store.db import db
from store.errors import DomainError, Invalid
from store.models import Department, User

MAX_ROWS = 500
COLUMNS = {"account": "account", "账号": "account", "name": "name", "姓名": "name",
           "password": "password", "密码": "password", "role": "role", "角色": "role",
           "department": "department", "部门": "department", "gender": "gender", "性别": "gender"}
ROLE_NAMES = {"公司管理员": "company_admin", "部门管理员": "dept_admin", "普通成员": "member",
              "成员": "member"}


class _Rollback(Exception):
    pass


def _rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.reader(io.StringIO((text or "").lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise Invalid("CSV 为空")
    fields = [COLUMNS.get(h.strip().lower()) or COLUMNS.get(h.strip()) for h in header]
    missing = {"account", "name", "password"} - set(fields)
    if missing:
        raise Invalid(f"CSV 缺少列：{', '.join(sorted(missing))}", {"header": header})
    rows = []
    for line, values in enumerate(reader, 2):
        if not any(v.strip() for v in values):
            continue
        rows.append((line, {f: v.strip() for f, v in zip(fields, values) if f}))
    if not rows:
        raise Invalid("CSV 没有数据行")
    if len(rows) > MAX_ROWS:
        raise Invalid(f"一次最多导入{MAX_ROWS}行")
    return rows


def _department_id(company_id: int, value: str) -> int | None:
    if not value:
        return None
    query = Department.scoped(company_id)
    found = query.where(Department.name == value).first()
    if found is None and value.isdigit():
        found = query.where(Department.id == int(value)).first()
    if found is None:
        raise Invalid(f"部门不存在：{value}")
    return found.id


def import_users(actor: User, text: str, *, dry_run: bool = False) -> list[User]:
    """Create every user of the CSV in the actor's company, or none: Invalid lists each bad
    line. Company admins only, as one by one."""
    company_id = user_store.require_admin(actor)
    rows = _rows(text)
    created, errors = [], []
    try:
        with db.atomic():
            for line, row in rows:
                try:
                    role = ROLE_NAMES.get(row.get("role", ""), row.get("role") or "member")
                    created.append(user_store.create_user(
                        actor, row.get("account", ""), row.get("name", ""),
                        row.get("password", ""), role=role,
                        department_id=_department_id(company_id, row.get("department", "")),
                        gender=row.get("gender") or None))
                except DomainError as error:
                    errors.append({"line": line, "account": row.get("account"),
                                   "error": error.message})
            if errors or dry_run:
                raise _Rollback()
    except _Rollback:
        pass
    if errors:
        raise Invalid(f"有{len(errors)}行无法导入，未导入任何用户", errors)
    return created
