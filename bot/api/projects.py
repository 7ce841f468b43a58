"""Projects: create, list, rename, members, business types, archive / restore.
Every call is made by the acting user (X-Twork-User) under store.projects' rules."""
from pydantic import Field

from bot.api.core import (USER, ApiModel, Id, IdList, OutModel, Page, Str, actor, iso, page_of,
                          paginate, route, slice_fetch)
from store import projects as project_store


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


@route("POST", "/projects", auth=USER, body=ProjectIn, response=ProjectOut, status=201,
       tag="projects")
def create_project(body: ProjectIn):
    """Create a project (company admin; department admin in their department)"""
    project = project_store.create_project(actor(), body.name, body.department_id,
                                           body.member_ids, body.business_types)
    return project_out(project)


@route("GET", "/projects", auth=USER, query=ProjectQuery, response=page_of(ProjectOut),
       tag="projects")
def list_projects(query: ProjectQuery):
    """The projects the acting user sees"""
    rows = project_store.list_projects(actor(), include_archived=query.include_archived)
    return paginate(slice_fetch(rows), query, project_out)


@route("GET", "/projects/<id:project_id>", auth=USER, response=ProjectOut, tag="projects")
def get_project(project_id: int):
    """One project with its members and business types"""
    return _reloaded(project_id)


@route("PATCH", "/projects/<id:project_id>", auth=USER, body=ProjectPatch, response=ProjectOut,
       tag="projects")
def rename_project(project_id: int, body: ProjectPatch):
    """Rename a project"""
    project_store.rename_project(actor(), project_id, body.name)
    return _reloaded(project_id)


@route("POST", "/projects/<id:project_id>/members", auth=USER, body=MembersIn,
       response=ProjectOut, tag="projects")
def add_members(project_id: int, body: MembersIn):
    """Add members to a project"""
    project_store.add_members(actor(), project_id, body.user_ids)
    return _reloaded(project_id)


@route("DELETE", "/projects/<id:project_id>/members/<id:user_id>", auth=USER,
       response=ProjectOut, tag="projects")
def remove_member(project_id: int, user_id: int):
    """Remove a member from a project"""
    project_store.remove_member(actor(), project_id, user_id)
    return _reloaded(project_id)


@route("POST", "/projects/<id:project_id>/business-types", auth=USER, body=BusinessTypeIn,
       response=ProjectOut, tag="projects")
def add_business_type(project_id: int, body: BusinessTypeIn):
    """Add a business type (业务类型) to a project"""
    project_store.add_business_type(actor(), project_id, body.name)
    return _reloaded(project_id)


@route("DELETE", "/projects/<id:project_id>/business-types/<name>", auth=USER,
       response=ProjectOut, tag="projects")
def remove_business_type(project_id: int, name: str):
    """Remove a business type from a project"""
    project_store.remove_business_type(actor(), project_id, name)
    return _reloaded(project_id)


@route("POST", "/projects/<id:project_id>/archive", auth=USER, response=ProjectOut,
       tag="projects")
def archive_project(project_id: int):
    """Archive (归档) a project"""
    project_store.archive_project(actor(), project_id)
    return _reloaded(project_id)


@route("POST", "/projects/<id:project_id>/restore", auth=USER, response=ProjectOut,
       tag="projects")
def restore_project(project_id: int):
    """Restore (还原) an archived project"""
    project_store.restore_project(actor(), project_id)
    return _reloaded(project_id)
