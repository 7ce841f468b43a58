"""Workflow templates (工作流模板). Company admins define them; everyone may read them.
Editing a template never changes running tasks (they copied its nodes)."""
from pydantic import Field

from bot.api.core import (COMPANY, ApiModel, Id, OutModel, Page, Str, actor, iso, now, page_of,
                          paginate, route, slice_fetch)
from store import projects as project_store


class NodeIn(ApiModel):
    handler_id: Id
    items: Str(500, min_length=0) = ""
    days: int | None = Field(None, ge=0, le=365)


class TemplateIn(ApiModel):
    name: Str(100)
    nodes: list[NodeIn] = Field(min_length=1, max_length=20)


class TemplatePatch(ApiModel):
    name: Str(100) | None = None
    nodes: list[NodeIn] | None = Field(None, min_length=1, max_length=20)


class NodeOut(OutModel):
    handler_id: int
    items: str
    days: int | None


class TemplateOut(OutModel):
    id: int
    name: str
    builtin: str | None
    nodes: list[NodeOut]


def template_out(template) -> dict:
    return {"id": template.id, "name": template.name, "builtin": template.builtin,
            "nodes": template.nodes, "updated_at": iso(template.updated_at)}


@route("POST", "/templates", auth=COMPANY, body=TemplateIn, response=TemplateOut, status=201,
       tag="templates")
def create_template(body: TemplateIn):
    """Create a workflow template (company admins)"""
    nodes = [n.model_dump() for n in body.nodes]
    return template_out(project_store.create_template(actor(), body.name, nodes))


@route("GET", "/templates", auth=COMPANY, query=Page, response=page_of(TemplateOut),
       tag="templates")
def list_templates(query: Page):
    """The company's templates, the two built-ins first"""
    return paginate(slice_fetch(project_store.list_templates(actor())), query, template_out)


@route("GET", "/templates/<id:template_id>", auth=COMPANY, response=TemplateOut,
       tag="templates")
def get_template(template_id: int):
    """One template"""
    return template_out(project_store.get_template(actor(), template_id))


@route("PATCH", "/templates/<id:template_id>", auth=COMPANY, body=TemplatePatch,
       response=TemplateOut, tag="templates")
def update_template(template_id: int, body: TemplatePatch):
    """Change a template's name or nodes (built-ins cannot change)"""
    nodes = None if body.nodes is None else [n.model_dump() for n in body.nodes]
    return template_out(project_store.update_template(actor(), template_id, name=body.name,
                                                      nodes=nodes, now=now()))
