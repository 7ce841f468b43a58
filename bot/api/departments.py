"""Departments of the company."""
from flask import g

from bot.api.core import COMPANY, ApiModel, OutModel, Page, Str, actor, page_of, paginate, route
from store import directory


class DepartmentIn(ApiModel):
    name: Str(100)


class DepartmentOut(OutModel):
    id: int
    name: str
    member_count: int


def department_out(department) -> dict:
    return {"id": department.id, "name": department.name,
            "member_count": directory.member_count(g.company.id, department.id)}


@route("POST", "/departments", auth=COMPANY, body=DepartmentIn,
       response=DepartmentOut, status=201, tag="departments")
def create_department(body: DepartmentIn):
    """Create a department"""
    return department_out(directory.create_department(actor(), body.name))


@route("GET", "/departments", auth=COMPANY, query=Page, response=page_of(DepartmentOut),
       tag="departments")
def list_departments(query: Page):
    """The company's departments"""
    return paginate(lambda limit, offset: directory.list_departments(g.company.id, limit, offset),
                    query, department_out)


@route("GET", "/departments/<id:department_id>", auth=COMPANY, response=DepartmentOut,
       tag="departments")
def get_department(department_id: int):
    """One department"""
    return department_out(directory.get_department(g.company.id, department_id))


@route("PATCH", "/departments/<id:department_id>", auth=COMPANY, body=DepartmentIn,
       response=DepartmentOut, tag="departments")
def rename_department(department_id: int, body: DepartmentIn):
    """Rename a department"""
    return department_out(directory.rename_department(actor(), department_id, body.name))
