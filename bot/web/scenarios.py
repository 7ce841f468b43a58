"""ERP业务场景: list and search; the editor (the kind decides the fields and operators of the
conditions; task settings with a live preview of the title template; workflow nodes;
watchers, editors, escalation and flow-end recipients; enabled), a test event run through
the real condition engine without creating a task, and each scenario's recent events.
Saving goes through store.scenarios.validate, the same check as the API."""
import json

from flask import g, redirect, render_template, request, url_for

from bot.web import ADMIN, bp, is_htmx, require_role, saved_then
from bot.web.editing import apply_row_action, rows
from bot.web.paging import fetch_page
from store import directory, projects as project_store, scenario_trial, scenarios as scenario_store
from store.conditions import MEMBERSHIP, OPS, OPS_BY_TYPE
from store.db import utcnow
from store.erp_kinds import KINDS
from store.errors import DomainError
from store.models import PRIORITIES

COND_FIELDS = ("field", "op", "value")
NODE_FIELDS = ("handler_id", "items")
PEOPLE = scenario_store.PEOPLE
BLANK = {"required": {"field": "", "op": "", "value": ""}, "optional": {"field": "", "op": "", "value": ""},
         "nodes": {"handler_id": "", "items": ""}}
OUTCOMES = {"created": "已创建任务", "matched_open_task": "并入进行中的任务", "cleared": "已恢复",
            "no_match": "未匹配", "duplicate": "重复事件", "error": "出错", "other_scenario": "其他场景处理"}


@bp.get("/settings/scenarios")
def scenarios():
    require_role(ADMIN)
    args = request.args
    kind = args.get("kind") if args.get("kind") in KINDS else None
    enabled = {"yes": True, "no": False}.get(args.get("enabled", ""))
    page = fetch_page(lambda limit, offset: scenario_store.list_scenarios(
        g.user, text=args.get("q", "")[:100], kind=kind, enabled=enabled, limit=limit, offset=offset))
    return render_template("app/scenarios.html", page=page, kinds=KINDS, done=args.get("done"))


@bp.post("/settings/scenarios/<int:scenario_id>/<any(enable, disable):action>")
def scenarios_switch(scenario_id: int, action: str):
    require_role(ADMIN)
    scenario = scenario_store.set_enabled(g.user, scenario_id, action == "enable", utcnow())
    done = f"已{'启用' if scenario.enabled else '停用'}「{scenario.name}」"
    return redirect(url_for("web.scenarios", done=done), code=303)


# --- the form <-> the API's scenario shape ---------------------------------------------------

def _scalar(text: str):
    """A typed value: JSON numbers and true/false as such, anything else as text."""
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


def _condition(row: dict) -> dict:
    value = row["value"]
    if row["op"] in MEMBERSHIP:
        value = [_scalar(v) for v in value.replace("，", ",").split(",") if v.strip()]
    else:
        value = _scalar(value)
    return {"field": row["field"], "op": row["op"], "value": value}


def _as_int(text: str):
    text = (text or "").strip()
    return int(text) if text.lstrip("-").isdigit() else (text or None)


def _payload(form: dict) -> dict:
    return {
        "name": form["name"], "kind": form["kind"],
        "required": [_condition(r) for r in form["required"]],
        "optional": [_condition(r) for r in form["optional"]],
        "task": {"business_type": form["business_type"] or None, "priority": form["priority"],
                 "days": _as_int(form["days"]), "title": form["title"]},
        "nodes": [{"handler_id": _as_int(n["handler_id"]), "items": n["items"]} for n in form["nodes"]],
        **{field: [int(v) for v in form[field] if str(v).isdigit()] for field in PEOPLE},
        "enabled": form["enabled"],
    }


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _form_of(scenario) -> dict:
    p = scenario_store.scenario_payload(scenario)
    cond = lambda c: {"field": c["field"], "op": c["op"], "value": _text(c["value"])}  # noqa: E731
    return {"name": p["name"], "kind": p["kind"], "enabled": p["enabled"],
            "required": [cond(c) for c in p["required"]], "optional": [cond(c) for c in p["optional"]],
            "business_type": p["task"].get("business_type") or "", "priority": p["task"]["priority"],
            "days": _text(p["task"]["days"]), "title": p["task"]["title"],
            "nodes": [{"handler_id": _text(n["handler_id"]), "items": n.get("items", "")} for n in p["nodes"]],
            **{field: [str(v) for v in p[field]] for field in PEOPLE},
            "sample": json.dumps(scenario_trial.sample_event(p["kind"]), ensure_ascii=False, indent=1)}


def _blank_form() -> dict:
    kind = next(iter(KINDS))
    return {"name": "", "kind": kind, "enabled": True, "required": [dict(BLANK["required"])],
            "optional": [], "business_type": "", "priority": "normal", "days": "2", "title": "",
            "nodes": [dict(BLANK["nodes"])], **{field: [] for field in PEOPLE},
            "sample": json.dumps(scenario_trial.sample_event(kind), ensure_ascii=False, indent=1)}


def _posted() -> dict:
    f = request.form
    kind = f.get("kind", "")
    form = {"name": f.get("name", ""), "kind": kind, "enabled": f.get("enabled") == "1",
            "required": rows("req", COND_FIELDS), "optional": rows("opt", COND_FIELDS),
            "business_type": f.get("business_type", "").strip(), "priority": f.get("priority", "normal"),
            "days": f.get("days", ""), "title": f.get("title", ""), "nodes": rows("node", NODE_FIELDS),
            **{field: f.getlist(field) for field in PEOPLE}, "sample": f.get("sample", "")}
    if f.get("previous_kind") != kind and kind in KINDS:  # a new kind brings its own sample event
        form["sample"] = json.dumps(scenario_trial.sample_event(kind), ensure_ascii=False, indent=1)
    return form


def _error_key(error: DomainError) -> str:
    detail = error.detail if isinstance(error.detail, dict) else {}
    if detail.get("section") and detail.get("index") is not None:
        return f"{detail['section']}.{detail['index']}"
    return detail.get("field") or "form"


# --- the editor -------------------------------------------------------------------------------

def _preview(kind: str, title: str) -> tuple[str | None, str | None]:
    if not title.strip():
        return None, None
    try:
        return scenario_trial.preview_title(kind, title), None
    except DomainError as error:
        return None, error.message


def _editor(scenario, form: dict, errors=None, trial=None, status=200):
    kind = KINDS.get(form["kind"]) or next(iter(KINDS.values()))
    preview, preview_error = _preview(kind.name, form["title"])
    context = dict(
        scenario=scenario, form=form, errors=errors or {}, trial=trial, kinds=KINDS, kind=kind,
        ops_for={name: [o for o in OPS if o in OPS_BY_TYPE[spec.type]] for name, spec in kind.fields.items()},
        all_ops=OPS, priorities=PRIORITIES, preview=preview, preview_error=preview_error,
        people=directory.list_users(g.company.id, active=True, limit=2000),
        business_types=project_store.business_types(project_store.erp_project(g.company.id).id),
        people_fields=(("watcher_ids", "关注人"), ("editor_ids", "可修改者"),
                       ("escalate_to_ids", "超时未完成通知"), ("notify_on_finish_ids", "流程结束通知")))
    if scenario is not None and not is_htmx():
        page = fetch_page(lambda limit, offset: scenario_trial.recent_events(g.user, scenario.id, limit, offset))
        context.update(events=page, outcomes=OUTCOMES)
    view = "app/_scenario_editor.html" if is_htmx() else "app/scenario_form.html"
    return render_template(view, **context), status


def _trial(form: dict) -> dict:
    try:
        data = json.loads(form["sample"] or "{}")
    except ValueError:
        return {"error": "示例事件不是有效的 JSON"}
    payload = _payload(form)
    try:
        result = scenario_trial.try_event(form["kind"], payload["required"], payload["optional"], data)
    except DomainError as error:
        return {"error": error.message}
    result["title"] = result["title_error"] = None
    if form["title"].strip():
        try:
            result["title"] = scenario_trial.preview_title(form["kind"], form["title"], result["data"])
        except DomainError as error:
            result["title_error"] = error.message
    return result


@bp.route("/settings/scenarios/new", methods=["GET", "POST"])
@bp.route("/settings/scenarios/<int:scenario_id>", methods=["GET", "POST"])
def scenarios_edit(scenario_id: int | None = None):
    require_role(ADMIN)
    scenario = scenario_store.get_scenario(g.user, scenario_id) if scenario_id else None
    if request.method == "GET":
        return _editor(scenario, _form_of(scenario) if scenario else _blank_form())
    form = _posted()
    action = request.form.get("action", "save")
    if action == "trial":
        return _editor(scenario, form, trial=_trial(form))
    if action != "save":
        apply_row_action(action, {"required": form["required"], "optional": form["optional"],
                                  "nodes": form["nodes"]}, BLANK)
        return _editor(scenario, form)
    try:
        if scenario is None:
            scenario = scenario_store.create_scenario(g.user, _payload(form), utcnow())
        else:
            scenario_store.update_scenario(g.user, scenario.id, _payload(form), utcnow())
    except DomainError as error:
        return _editor(scenario, form, {_error_key(error): error.message}, status=422)
    return saved_then(url_for("web.scenarios", done=f"已保存场景「{form['name'].strip()}」"))


@bp.post("/settings/scenarios/preview")
def scenarios_preview():
    """The live preview of the title template (htmx, as the admin types)."""
    require_role(ADMIN)
    preview, error = _preview(request.form.get("kind", ""), request.form.get("title", ""))
    return render_template("app/_title_preview.html", preview=preview, preview_error=error)
