"""ERP business scenarios (ERP业务场景, SPEC §5): create, list/search, read, edit, enable and
disable. Company admins only (the API key alone acts as one). pydantic checks the shape;
store.scenarios checks the meaning (kind, fields, operators, value types, title template,
people) and names the problem in its 422."""
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.api.core import (COMPANY, ApiModel, Id, IdList, OutModel, Page, PathId, Resource, Str,
                          access, actor, iso, now, page_of, paginate)
from store import scenarios as scenario_store

bp = Resource("scenarios", __name__)


class ScenarioIdPath(BaseModel):
    scenario_id: PathId

ADMINS = ("company_admin",)
Priority = Literal["low", "normal", "high", "urgent"]


class ConditionIn(ApiModel):
    field: Str(64)
    op: Str(10)
    value: Any = Field(description="number, text, ISO date/time, true/false, or a list for in/not_in")


class ScenarioTaskIn(ApiModel):
    business_type: Str(50, min_length=0) | None = None
    priority: Priority = "normal"
    days: int = Field(ge=1, le=365, description="days from the event until the deadline")
    title: Str(500) = Field(description="title template, e.g. 采购单{po_no}金额{amount}超标")


class ScenarioTaskPatch(ApiModel):
    business_type: Str(50, min_length=0) | None = None
    priority: Priority | None = None
    days: int | None = Field(None, ge=1, le=365)
    title: Str(500) | None = None


class ScenarioNodeIn(ApiModel):
    handler_id: Id
    items: Str(500, min_length=0) = ""
    days: int | None = Field(None, ge=0, le=365)


Conditions = list[ConditionIn]


class ScenarioIn(ApiModel):
    name: Str(100)
    kind: Str(64) = Field(description="one of GET /api/v1/erp/kinds")
    required: Conditions = Field([], max_length=50)
    optional: Conditions = Field([], max_length=50)
    task: ScenarioTaskIn
    nodes: list[ScenarioNodeIn] = Field(min_length=1, max_length=20)
    watcher_ids: IdList = []
    editor_ids: IdList = []
    escalate_to_ids: IdList = Field([], description="told when the task is not finished in time")
    notify_on_finish_ids: IdList = Field([], description="told when the flow ends")
    enabled: bool = True


class ScenarioPatch(ApiModel):
    name: Str(100) | None = None
    kind: Str(64) | None = None
    required: Conditions | None = Field(None, max_length=50)
    optional: Conditions | None = Field(None, max_length=50)
    task: ScenarioTaskPatch | None = None
    nodes: list[ScenarioNodeIn] | None = Field(None, min_length=1, max_length=20)
    watcher_ids: IdList | None = None
    editor_ids: IdList | None = None
    escalate_to_ids: IdList | None = None
    notify_on_finish_ids: IdList | None = None
    enabled: bool | None = None


class ScenarioQuery(Page):
    q: Str(100) | None = Field(None, description="text in the name or the title template")
    kind: Str(64) | None = None
    enabled: bool | None = None


class ScenarioOut(OutModel):
    id: int
    name: str
    kind: str
    kind_label: str
    required: list[dict]
    optional: list[dict]
    task: dict
    nodes: list[dict]
    watcher_ids: list[int]
    editor_ids: list[int]
    escalate_to_ids: list[int]
    notify_on_finish_ids: list[int]
    enabled: bool


class CreatedOut(OutModel):
    id: int


def scenario_out(scenario) -> dict:
    out = scenario_store.scenario_dict(scenario)
    out.update(created_at=iso(scenario.created_at), updated_at=iso(scenario.updated_at))
    return out


def _dump(model: ApiModel) -> dict:
    """The body as plain data, leaving out what the caller did not send (PATCH merges)."""
    return model.model_dump(exclude_unset=True)


@bp.post("/scenarios", responses={201: CreatedOut})
@access(COMPANY, roles=ADMINS)
def create_scenario(body: ScenarioIn):
    """Create an ERP business scenario"""
    data = body.model_dump()
    data["task"] = _dump(body.task)
    scenario = scenario_store.create_scenario(actor(), data, now())
    return {"id": scenario.id, **scenario_out(scenario)}, 201


@bp.get("/scenarios", responses={200: page_of(ScenarioOut)})
@access(COMPANY, roles=ADMINS, erp=True)
def list_scenarios(query: ScenarioQuery):
    """List and search the company's scenarios, newest first"""
    return paginate(lambda limit, offset: scenario_store.list_scenarios(
        actor(), text=query.q, kind=query.kind, enabled=query.enabled, limit=limit,
        offset=offset), query, scenario_out)


@bp.get("/scenarios/<id:scenario_id>", responses={200: ScenarioOut})
@access(COMPANY, roles=ADMINS, erp=True)
def get_scenario(path: ScenarioIdPath):
    """One scenario"""
    return scenario_out(scenario_store.get_scenario(actor(), path.scenario_id))


@bp.patch("/scenarios/<id:scenario_id>", responses={200: ScenarioOut})
@access(COMPANY, roles=ADMINS)
def update_scenario(path: ScenarioIdPath, body: ScenarioPatch):
    """Change a scenario; it is validated again as a whole (its open tasks are not changed)"""
    changes = _dump(body)
    return scenario_out(scenario_store.update_scenario(actor(), path.scenario_id, changes, now()))


@bp.post("/scenarios/<id:scenario_id>/enable", responses={200: ScenarioOut})
@access(COMPANY, roles=ADMINS)
def enable_scenario(path: ScenarioIdPath):
    """Enable a scenario: matching events create tasks again"""
    return scenario_out(scenario_store.enable_scenario(actor(), path.scenario_id, now()))


@bp.post("/scenarios/<id:scenario_id>/disable", responses={200: ScenarioOut})
@access(COMPANY, roles=ADMINS)
def disable_scenario(path: ScenarioIdPath):
    """Disable a scenario: no new tasks; its open tasks go on"""
    return scenario_out(scenario_store.disable_scenario(actor(), path.scenario_id, now()))
