"""Workflow templates (工作流模板). Company admins define them; everyone may read them.
Editing a template never changes running tasks (they copied its nodes)."""
from pydantic import BaseModel, Field

from bot.api.core import (COMPANY, ApiModel, Id, OutModel, Page, PathId, Resource, Str, access,
                          actor, iso, now, page_of, paginate_list)
from store import projects as project_store

bp = Resource("templates", __name__)


class TemplateIdPath(BaseModel):
    template_id: PathId


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


class TemplateNodeOut(OutModel):
    handler_id: int
    items: str
    days: int | None


class TemplateOut(OutModel):
    id: int
    name: str
    builtin: str | None
    nodes: list[TemplateNodeOut]


def template_out(template) -> dict:
    return {"id": template.id, "name": template.name, "builtin": template.builtin,
            "nodes": template.nodes, "updated_at": iso(template.updated_at)}


@bp.post("/templates", responses={201: TemplateOut})
@access(COMPANY)
def create_template(body: TemplateIn):
    """Create a workflow template (company admins)"""
    nodes = [n.model_dump() for n in body.nodes]
    return template_out(project_store.create_template(actor(), body.name, nodes)), 201


@bp.get("/templates", responses={200: page_of(TemplateOut)})
@access(COMPANY)
def list_templates(query: Page):
    """The company's templates, the two built-ins first"""
    return paginate_list(project_store.list_templates(actor()), query, template_out)


@bp.get("/templates/<id:template_id>", responses={200: TemplateOut})
@access(COMPANY)
def get_template(path: TemplateIdPath):
    """One template"""
    return template_out(project_store.get_template(actor(), path.template_id))


@bp.patch("/templates/<id:template_id>", responses={200: TemplateOut})
@access(COMPANY)
def update_template(path: TemplateIdPath, body: TemplatePatch):
    """Change a template's name or nodes (built-ins cannot change)"""
    nodes = None if body.nodes is None else [n.model_dump() for n in body.nodes]
    return template_out(project_store.update_template(actor(), path.template_id, name=body.name,
                                                      nodes=nodes, now=now()))
