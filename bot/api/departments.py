"""Departments of the company."""
from flask import g

from pydantic import BaseModel

from bot.api.core import (COMPANY, ApiModel, OutModel, Page, PathId, Resource, Str, access, actor,
                          page_of, paginate)
from store import directory

bp = Resource("departments", __name__)


class DepartmentIdPath(BaseModel):
    department_id: PathId


class DepartmentIn(ApiModel):
    name: Str(100)


class DepartmentOut(OutModel):
    id: int
    name: str
    member_count: int


def department_out(department) -> dict:
    return {"id": department.id, "name": department.name,
            "member_count": directory.member_count(g.company.id, department.id)}


@bp.post("/departments", responses={201: DepartmentOut})
@access(COMPANY)
def create_department(body: DepartmentIn):
    """Create a department"""
    return department_out(directory.create_department(actor(), body.name)), 201


@bp.get("/departments", responses={200: page_of(DepartmentOut)})
@access(COMPANY)
def list_departments(query: Page):
    """The company's departments"""
    return paginate(lambda limit, offset: directory.list_departments(g.company.id, limit, offset),
                    query, department_out, total=directory.count_departments(g.company.id))


@bp.get("/departments/<id:department_id>", responses={200: DepartmentOut})
@access(COMPANY)
def get_department(path: DepartmentIdPath):
    """One department"""
    return department_out(directory.get_department(g.company.id, path.department_id))


@bp.patch("/departments/<id:department_id>", responses={200: DepartmentOut})
@access(COMPANY)
def rename_department(path: DepartmentIdPath, body: DepartmentIn):
    """Rename a department"""
    return department_out(directory.rename_department(actor(), path.department_id, body.name))
