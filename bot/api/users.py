"""Users: create, import from CSV, list, edit, deactivate, authorise (binding code)."""
from typing import Literal

from flask import g
from pydantic import BaseModel, Field

from bot.api.core import (COMPANY, ApiModel, Id, OutModel, Page, PathId, Resource, Str, access,
                          actor, iso, now, page_of, paginate)
from store import directory, imports, users as user_store

bp = Resource("users", __name__)


class UserIdPath(BaseModel):
    user_id: PathId

Role = Literal["company_admin", "dept_admin", "member"]


class UserIn(ApiModel):
    account: Str(64)
    name: Str(64)
    password: str = Field(min_length=6, max_length=128)
    role: Role = "member"
    department_id: Id | None = None
    gender: Str(10) | None = None


class UserPatch(ApiModel):
    name: Str(64) | None = None
    role: Role | None = None
    department_id: Id | None = None
    gender: Str(10) | None = None
    avatar: Str(500) | None = None
    password: str | None = Field(None, min_length=6, max_length=128)
    default_project_id: Id | None = None
    digest_opt_in: bool | None = None


class UserQuery(Page):
    department_id: Id | None = None
    role: Role | None = None
    active: bool | None = None
    q: Str(64) | None = Field(None, description="part of the account or name")


class ImportIn(ApiModel):
    csv: str = Field(min_length=1, max_length=500_000,
                     description="header row: account,name,password[,role,department,gender]")
    dry_run: bool = False


class UserOut(OutModel):
    id: int
    account: str
    name: str
    role: str
    department_id: int | None
    gender: str | None
    active: bool
    authorized: bool
    wechat_bound: bool
    created_at: str


class ImportOut(OutModel):
    created: int
    dry_run: bool
    users: list[UserOut]


class BindingCodeOut(OutModel):
    binding_code: str
    expires_at: str


def user_out(user, bound: set[int] | None = None) -> dict:
    bound = directory.bound_user_ids(g.company.id) if bound is None else bound
    return {"id": user.id, "account": user.account, "name": user.name, "role": user.role,
            "department_id": user.department_id, "gender": user.gender, "avatar": user.avatar,
            "active": user.active, "authorized": user.authorized,
            "wechat_bound": user.id in bound, "default_project_id": user.default_project_id,
            "created_at": iso(user.created_at)}


@bp.post("/users", responses={201: UserOut})
@access(COMPANY)
def create_user(body: UserIn):
    """Create a user (account unique in the company)"""
    user = user_store.create_user(actor(), body.account, body.name, body.password,
                                  role=body.role, department_id=body.department_id,
                                  gender=body.gender)
    return user_out(user), 201


@bp.post("/users/import", responses={201: ImportOut})
@access(COMPANY)
def import_users(body: ImportIn):
    """Import users from CSV: every row is created, or none (422 lists the bad lines)"""
    created = imports.import_users(actor(), body.csv, dry_run=body.dry_run)
    bound = directory.bound_user_ids(g.company.id)
    return {"created": len(created), "dry_run": body.dry_run,
            "users": [] if body.dry_run else [user_out(u, bound) for u in created]}, 201


@bp.get("/users", responses={200: page_of(UserOut)})
@access(COMPANY)
def list_users(query: UserQuery):
    """The company's users, filtered by department, role, active, text"""
    bound = directory.bound_user_ids(g.company.id)
    filters = dict(department_id=query.department_id, role=query.role, active=query.active,
                   text=query.q)
    return paginate(lambda limit, offset: directory.list_users(
        g.company.id, limit=limit, offset=offset, **filters), query, lambda u: user_out(u, bound),
        total=directory.count_users(g.company.id, **filters))


@bp.get("/users/<id:user_id>", responses={200: UserOut})
@access(COMPANY)
def get_user(path: UserIdPath):
    """One user"""
    return user_out(user_store.get_user(g.company.id, path.user_id))


@bp.patch("/users/<id:user_id>", responses={200: UserOut})
@access(COMPANY)
def update_user(path: UserIdPath, body: UserPatch):
    """Edit a user's profile, role, department or password"""
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "role", "password", "digest_opt_in"):
        if field in changes and changes[field] is None:
            changes.pop(field)  # null means "no change" for fields that cannot be empty
    return user_out(user_store.update_user(actor(), path.user_id, **changes))


@bp.post("/users/<id:user_id>/deactivate", responses={200: UserOut})
@access(COMPANY)
def deactivate_user(path: UserIdPath):
    """Deactivate a user (leaver): no login, no WeChat, not selectable as handler"""
    return user_out(user_store.deactivate_user(actor(), path.user_id))


@bp.post("/users/<id:user_id>/authorize", responses={200: BindingCodeOut})
@access(COMPANY)
def authorize_user(path: UserIdPath):
    """Authorise a user and issue a one-time binding code for 绑定 CODE (valid 24 h)"""
    code, expires_at = user_store.authorize_user(actor(), path.user_id, now())
    return {"binding_code": code, "expires_at": iso(expires_at)}
