"""ERP business scenarios (SPEC §5): which ERP events become which tasks.

A scenario is saved only when all of it is usable: its kind is built in, every condition names
a field of that kind with an operator and value its type allows (store.conditions), the title
template names only fields of the kind, and every person it names is an active user of the
company. So ingestion never meets a scenario it cannot read; it can only meet data (an event
lacking a title field) or people (a handler who left since) that changed afterwards.

Only company admins create, edit, enable and disable scenarios; they are company-wide.
"""
from datetime import datetime

from peewee import OP, Expression, Value

from store import conditions, projects
from store.db import db, utcnow
from store.erp_kinds import get_kind
from store.errors import Forbidden, Invalid, NotFound
from store.models import PRIORITIES, Scenario, User

FIELDS = ("name", "kind", "required", "optional", "task", "nodes", "watcher_ids", "editor_ids",
          "escalate_to_ids", "notify_on_finish_ids", "enabled")
PEOPLE = ("watcher_ids", "editor_ids", "escalate_to_ids", "notify_on_finish_ids")
TASK_KEYS = ("business_type", "priority", "days", "title")
MAX_DAYS = 365
NOT_ADMIN = "只有公司管理员可以管理ERP业务场景"
NO_SCENARIO = "场景不存在"


def _require_admin(actor: User) -> None:
    if actor is None or not actor.active or not actor.is_company_admin:
        raise Forbidden(NOT_ADMIN)


def _fail(field: str, problem: str, **extra) -> Invalid:
    return Invalid(f"{field}：{problem}", detail={"field": field, "problem": problem, **extra})


# --- validation -------------------------------------------------------------------------

def _name(value) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 100:
        raise _fail("name", "场景名称不能为空，且不超过100字")
    return name


def _task_settings(kind, raw, company_id: int) -> dict:
    if not isinstance(raw, dict):
        raise _fail("task", "应为对象 {business_type, priority, days, title}")
    unknown = sorted(str(k) for k in raw if k not in TASK_KEYS)
    if unknown:
        raise _fail("task", f"不认识的键 {'、'.join(unknown)}", allowed=list(TASK_KEYS))
    business_type = raw.get("business_type")
    if business_type is not None and not isinstance(business_type, str):
        raise _fail("task.business_type", "应为文本")
    business_type = (business_type or "").strip() or None
    if business_type and len(business_type) > 50:
        raise _fail("task.business_type", "不超过50字")
    allowed = projects.business_types(projects.erp_project(company_id).id)
    if business_type and allowed and business_type not in allowed:
        raise _fail("task.business_type", f"ERP通知项目的业务类型只能是：{'、'.join(allowed)}",
                    allowed=allowed)
    priority = raw.get("priority", "normal")
    if priority not in PRIORITIES:
        raise _fail("task.priority", f"优先级必须是 {'/'.join(PRIORITIES)} 之一",
                    allowed=list(PRIORITIES))
    days = raw.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise _fail("task.days", f"截止天数应为 1 到 {MAX_DAYS} 的整数")
    try:
        conditions.validate_title_template(kind, raw.get("title"))
    except Invalid as exc:
        raise Invalid(f"task.title：{exc.message}", detail={**(exc.detail or {}), "field": "task.title"})
    return {"business_type": business_type, "priority": priority, "days": days,
            "title": raw["title"].strip()}


def _nodes(company_id: int, raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise _fail("nodes", "至少需要一个节点 [{handler_id, items}]")
    for index, node in enumerate(raw):
        if not isinstance(node, dict):
            raise _fail("nodes", f"第{index + 1}个节点应为对象 {{handler_id, items}}", index=index)
        unknown = sorted(str(k) for k in node if k not in ("handler_id", "items", "days"))
        if unknown:
            raise _fail("nodes", f"第{index + 1}个节点有不认识的键 {'、'.join(unknown)}", index=index)
        handler = node.get("handler_id")
        if isinstance(handler, bool) or not isinstance(handler, int):
            raise _fail("nodes", f"第{index + 1}个节点的 handler_id 应为用户 id（整数）", index=index)
        if node.get("items") is not None and not isinstance(node["items"], str):
            raise _fail("nodes", f"第{index + 1}个节点的 items 应为文本", index=index)
    try:
        return projects.validate_nodes(company_id, raw)
    except Invalid as exc:
        raise _fail("nodes", exc.message) from None


def _people(company_id: int, field: str, raw) -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list) or any(isinstance(u, bool) or not isinstance(u, int) for u in raw):
        raise _fail(field, "应为用户 id（整数）的列表")
    try:
        return projects.active_user_ids(company_id, raw)
    except Invalid as exc:
        raise _fail(field, exc.message) from None


def validate(company_id: int, payload) -> dict:
    """A scenario as posted, checked and normalised into the model's columns; the first
    problem is raised as Invalid (422) naming the field."""
    if not isinstance(payload, dict):
        raise _fail("scenario", "应为对象")
    unknown = sorted(str(k) for k in payload if k not in FIELDS)
    if unknown:
        raise _fail("scenario", f"不认识的字段 {'、'.join(unknown)}", allowed=list(FIELDS))
    name = _name(payload.get("name"))
    try:
        kind = get_kind(payload.get("kind"))
    except Invalid as exc:
        raise Invalid(exc.message, detail={**exc.detail, "problem": "不认识的场景类型"}) from None
    parsed = {}
    for section in ("required", "optional"):
        try:
            parsed[section] = conditions.parse_conditions(kind, payload.get(section), section=section)
        except Invalid as exc:
            raise Invalid(f"{section}：{exc.message}", detail=exc.detail) from None
    enabled = payload.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail("enabled", "应为 true 或 false")
    return {
        "name": name, "kind": kind.name,
        "required": [c.to_dict() for c in parsed["required"]],
        "optional": [c.to_dict() for c in parsed["optional"]],
        "task_settings": _task_settings(kind, payload.get("task"), company_id),
        "nodes": _nodes(company_id, payload.get("nodes")),
        **{field: _people(company_id, field, payload.get(field)) for field in PEOPLE},
        "enabled": enabled,
    }


# --- the operations ---------------------------------------------------------------------

def create_scenario(actor: User, payload: dict, now: datetime | None = None) -> Scenario:
    """Save a new scenario (company admins)."""
    _require_admin(actor)
    columns = validate(actor.company_id, payload)
    now = now or utcnow()
    return Scenario.create(company=actor.company_id, created_at=now, updated_at=now, **columns)


def get_scenario(actor: User, scenario_id) -> Scenario:
    _require_admin(actor)
    try:
        scenario_id = int(scenario_id)
    except (TypeError, ValueError):
        raise NotFound(NO_SCENARIO) from None
    scenario = Scenario.scoped(actor.company_id).where(Scenario.id == scenario_id).first()
    if scenario is None:
        raise NotFound(NO_SCENARIO)
    return scenario


def list_scenarios(actor: User, *, text: str | None = None, kind: str | None = None,
                   enabled: bool | None = None, limit: int = 100, offset: int = 0) -> list[Scenario]:
    """The company's scenarios, newest first; `text` searches the name and the title template."""
    _require_admin(actor)
    query = Scenario.scoped(actor.company_id)
    if kind:
        query = query.where(Scenario.kind == get_kind(kind).name)
    if enabled is not None:
        query = query.where(Scenario.enabled == bool(enabled))
    text = (text or "").strip()
    if text:
        # Value(converter=False): the JSON column would otherwise JSON-encode the pattern.
        pattern = Value(f"%{text}%", converter=False)
        query = query.where(Scenario.name.contains(text)
                            | Expression(Scenario.task_settings, OP.ILIKE, pattern))
    return list(query.order_by(Scenario.id.desc()).limit(max(1, min(limit, 500)))
                .offset(max(offset, 0)))


def update_scenario(actor: User, scenario_id, changes: dict, now: datetime | None = None) -> Scenario:
    """Change some fields; the whole scenario is validated again as it will be saved (changing
    the kind makes conditions and title answer to the new kind). `task` may be partial."""
    _require_admin(actor)
    if not isinstance(changes, dict):
        raise _fail("scenario", "应为对象")
    with db.atomic():
        scenario = get_scenario(actor, scenario_id)
        merged = {**scenario_payload(scenario), **changes}
        if isinstance(changes.get("task"), dict):
            merged["task"] = {**scenario.task_settings, **changes["task"]}
        columns = validate(actor.company_id, merged)
        for name, value in columns.items():
            setattr(scenario, name, value)
        scenario.updated_at = now or utcnow()
        scenario.save()
    return scenario


def set_enabled(actor: User, scenario_id, enabled: bool, now: datetime | None = None) -> Scenario:
    """Enable or disable a scenario. A disabled one creates no tasks; its open tasks go on."""
    _require_admin(actor)
    scenario = get_scenario(actor, scenario_id)
    (Scenario.update(enabled=bool(enabled), updated_at=now or utcnow())
     .where(Scenario.id == scenario.id).execute())
    scenario.enabled = bool(enabled)
    return scenario


def enable_scenario(actor: User, scenario_id, now: datetime | None = None) -> Scenario:
    return set_enabled(actor, scenario_id, True, now)


def disable_scenario(actor: User, scenario_id, now: datetime | None = None) -> Scenario:
    return set_enabled(actor, scenario_id, False, now)


# --- reading back -----------------------------------------------------------------------

def scenario_payload(scenario: Scenario) -> dict:
    """The scenario in the shape the API takes (SPEC §5)."""
    return {"name": scenario.name, "kind": scenario.kind, "required": scenario.required,
            "optional": scenario.optional, "task": dict(scenario.task_settings),
            "nodes": [{k: v for k, v in n.items() if not (k == "days" and v is None)}
                      for n in scenario.nodes],
            **{field: list(getattr(scenario, field)) for field in PEOPLE},
            "enabled": scenario.enabled}


def scenario_dict(scenario: Scenario) -> dict:
    """The scenario as the API answers it: the posted shape plus id, kind label and times."""
    return {"id": scenario.id, **scenario_payload(scenario),
            "kind_label": get_kind(scenario.kind).label_zh,
            "created_at": scenario.created_at.isoformat(),
            "updated_at": scenario.updated_at.isoformat()}


def enabled_for_kind(company_id: int, kind: str) -> list[Scenario]:
    """The enabled scenarios of a kind, oldest first (ingestion's order of matching)."""
    return list(Scenario.scoped(company_id)
                .where(Scenario.kind == kind, Scenario.enabled == True)  # noqa: E712
                .order_by(Scenario.id))
