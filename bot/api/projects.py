"""Projects: create, list, rename, members, business types, archive / restore.
Every call is made by the acting user (X-Twork-User) under store.projects' rules."""
from pydantic import BaseModel, Field

from bot.api.core import (USER, ApiModel, Id, IdList, OutModel, Page, PathId, Resource, Str,
                          access, actor, iso, page_of, paginate_list)
from store import projects as project_store

bp = Resource("projects", __name__)


class ProjectIdPath(BaseModel):
    project_id: PathId


class ProjectIdUserIdPath(BaseModel):
    project_id: PathId
    user_id: PathId


class ProjectIdNamePath(BaseModel):
    project_id: PathId
    name: Str(100)


class ProjectIn(ApiModel):
    name: Str(100)
    department_id: Id | None = None
    member_ids: IdList = []
    business_types: list[Str(50)] = Field([], max_length=50)


class ProjectPatch(ApiModel):
    name: Str(100)


class ProjectQuery(Page):
    include_archived: bool = False


class MembersIn(ApiModel):
    user_ids: IdList = Field(min_length=1)


class BusinessTypeIn(ApiModel):
    name: Str(50)


class MemberOut(OutModel):
    id: int
    name: str
    account: str


class ProjectOut(OutModel):
    id: int
    name: str
    department_id: int | None
    kind: str
    archived: bool
    members: list[MemberOut]
    business_types: list[str]
    can_manage: bool


def project_out(project) -> dict:
    me = actor()
    members = project_store.project_members(me, project.id)
    return {"id": project.id, "name": project.name, "department_id": project.department_id,
            "kind": project.kind, "archived": project.archived,
            "created_by": project.created_by_id, "created_at": iso(project.created_at),
            "members": [{"id": u.id, "name": u.name, "account": u.account} for u in members],
            "business_types": project_store.business_types(project.id),
            "can_manage": project_store.can_manage(me, project)}


def _reloaded(project_id: int) -> dict:
    return project_out(project_store.get_project(actor(), project_id))


@bp.post("/projects", responses={201: ProjectOut})
@access(USER)
def create_project(body: ProjectIn):
    """Create a project (company admin; department admin in their department)"""
    project = project_store.create_project(actor(), body.name, body.department_id,
                                           body.member_ids, body.business_types)
    return project_out(project), 201


@bp.get("/projects", responses={200: page_of(ProjectOut)})
@access(USER)
def list_projects(query: ProjectQuery):
    """The projects the acting user sees"""
    rows = project_store.list_projects(actor(), include_archived=query.include_archived)
    return paginate_list(rows, query, project_out)


@bp.get("/projects/<id:project_id>", responses={200: ProjectOut})
@access(USER)
def get_project(path: ProjectIdPath):
    """One project with its members and business types"""
    return _reloaded(path.project_id)


@bp.patch("/projects/<id:project_id>", responses={200: ProjectOut})
@access(USER)
def rename_project(path: ProjectIdPath, body: ProjectPatch):
    """Rename a project"""
    project_store.rename_project(actor(), path.project_id, body.name)
    return _reloaded(path.project_id)


@bp.post("/projects/<id:project_id>/members", responses={200: ProjectOut})
@access(USER)
def add_members(path: ProjectIdPath, body: MembersIn):
    """Add members to a project"""
    project_store.add_members(actor(), path.project_id, body.user_ids)
    return _reloaded(path.project_id)


@bp.delete("/projects/<id:project_id>/members/<id:user_id>", responses={200: ProjectOut})
@access(USER)
def remove_member(path: ProjectIdUserIdPath):
    """Remove a member from a project"""
    project_store.remove_member(actor(), path.project_id, path.user_id)
    return _reloaded(path.project_id)


@bp.post("/projects/<id:project_id>/business-types", responses={200: ProjectOut})
@access(USER)
def add_business_type(path: ProjectIdPath, body: BusinessTypeIn):
    """Add a business type (业务类型) to a project"""
    project_store.add_business_type(actor(), path.project_id, body.name)
    return _reloaded(path.project_id)


@bp.delete("/projects/<id:project_id>/business-types/<name>", responses={200: ProjectOut})
@access(USER)
def remove_business_type(path: ProjectIdNamePath):
    """Remove a business type from a project"""
    project_store.remove_business_type(actor(), path.project_id, path.name)
    return _reloaded(path.project_id)


@bp.post("/projects/<id:project_id>/archive", responses={200: ProjectOut})
@access(USER)
def archive_project(path: ProjectIdPath):
    """Archive (归档) a project"""
    project_store.archive_project(actor(), path.project_id)
    return _reloaded(path.project_id)


@bp.post("/projects/<id:project_id>/restore", responses={200: ProjectOut})
@access(USER)
def restore_project(path: ProjectIdPath):
    """Restore (还原) an archived project"""
    project_store.restore_project(actor(), path.project_id)
    return _reloaded(path.project_id)
