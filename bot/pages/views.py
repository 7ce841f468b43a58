"""The task page (the link in every template message) and my page.

The task page shows what store.tasks.task_detail returns and offers, as POST buttons, the
actions store.workflow.allowed_actions lists for this viewer; each button calls the same
store function as chat and the API, so a refusal is the same plain sentence everywhere.
Opening the page as the current handler starts the node (workflow.open_task), as the
chat's 详情 does; only a top-level navigation does that (auth.is_navigation), never an
<img> or a frame pointing at the page.
"""
from datetime import datetime

from flask import redirect, render_template, request, session, url_for

from bot.media import avatar_response
from bot.pages import auth, bp
from bot.taskview import erp_rows, log_text
from store import directory, workflow
from store import me as me_store
from store import tasks as task_store
from store.db import utcnow
from store.erp_kinds import KINDS
from store.errors import DomainError, NotFound

STATES = {"pending": "未开始", "active": "待处理", "started": "处理中", "done": "已完成"}
PRIORITIES = {"low": "低", "normal": "普通", "high": "高", "urgent": "紧急"}
STATUSES = {"in_progress": "进行中", "done": "已完成"}
ACTIONS = {"start": "开始处理", "complete": "完成", "transfer": "转办", "rollback": "回退",
           "withdraw": "撤回", "urge": "催办", "comment": "评论"}
DONE_TEXT = {"start": "已开始处理", "complete": "已完成", "transfer": "已转办", "rollback": "已回退",
             "withdraw": "已撤回", "urge": "已催办", "comment": "已评论"}
NO_SUCH_TASK = "任务不存在，或你无权查看"


@bp.app_template_filter("m_time")
def short_time(value) -> str:
    """ISO text or a datetime as "11-30 18:00" (the times are already in the company's zone)."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%m-%d %H:%M")


# --- the task page -----------------------------------------------------------------------

def _render_task(user, task_id: int, *, error: str | None = None, status: int = 200):
    now = utcnow()
    try:
        detail = task_store.task_detail(user, task_id, now)
    except NotFound:
        return auth.notice(NO_SUCH_TASK, 404)
    offered = [a for a in detail["allowed_actions"] if a in ACTIONS]
    return render_template(
        "m/task.html", task=detail, user=user, actions=offered, error=error,
        flash=auth.take_flash(), erp_rows=erp_rows(detail), states=STATES,
        priorities=PRIORITIES, statuses=STATUSES, labels=ACTIONS, log_text=log_text,
        kind_label=KINDS[detail["erp_kind"]].label_zh if detail.get("erp_kind") in KINDS else None,
        overdue=detail["status"] != "done" and detail["due_at"] is not None
        and datetime.fromisoformat(detail["due_at"]) < now), status


@bp.get("/tasks/<int:task_id>")
def task_page(task_id: int):
    """任务详情：流程时间线与我能做的操作"""
    user, response = auth.current_user()
    if response is not None:
        return response
    if auth.is_navigation():
        try:
            workflow.open_task(user, task_id, utcnow())
        except NotFound:
            return auth.notice(NO_SUCH_TASK, 404)
    return _render_task(user, task_id)


def _act(user, task_id: int, action: str, form) -> None:
    now = utcnow()
    if action == "transfer":
        target = directory.resolve_user(user, form.get("to", ""))
        workflow.transfer(user, task_id, target.id, now)
    elif action == "rollback":
        workflow.rollback(user, task_id, form.get("reason", ""), now)
    elif action == "comment":
        task_store.add_comment(user, task_id, form.get("body", ""), now)
    else:  # start, complete, withdraw, urge
        getattr(workflow, action)(user, task_id, now)


@bp.post("/tasks/<int:task_id>/<action>")
def task_action(task_id: int, action: str):
    user, response = auth.current_user()
    if response is not None:
        return response
    if action not in ACTIONS:
        return auth.notice("没有这个操作", 404)
    if not auth.check_csrf():
        return _render_task(user, task_id, error=auth.TEXTS["csrf"], status=400)
    try:
        # NUL cannot be stored (PostgreSQL) and is never meant: drop it like the chat does
        form = {k: v.replace("\x00", "") for k, v in request.form.items()}
        _act(user, task_id, action, form)
    except NotFound:
        return auth.notice(NO_SUCH_TASK, 404)
    except DomainError as error:
        return _render_task(user, task_id, error=error.message, status=error.status)
    session["flash"] = DONE_TEXT[action]
    return redirect(url_for("pages.task_page", task_id=task_id), code=303)


# --- my page -----------------------------------------------------------------------------

CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM = 320, 170, 16, 28


def chart(monthly: list[dict]) -> dict:
    """Bar geometry for the monthly chart: received and completed side by side per month."""
    peak = max([1] + [m["received"] for m in monthly] + [m["completed"] for m in monthly])
    inner = CHART_H - CHART_TOP - CHART_BOTTOM
    slot = CHART_W / max(len(monthly), 1)
    bar = min(slot / 3, 18)
    months = []
    for i, m in enumerate(monthly):
        left = i * slot + (slot - 2 * bar - 2) / 2
        bars = []
        for j, key in enumerate(("received", "completed")):
            height = round(inner * m[key] / peak, 1)
            bars.append({"x": round(left + j * (bar + 2), 1), "y": round(CHART_TOP + inner - height, 1),
                         "w": round(bar, 1), "h": height, "value": m[key], "kind": key})
        months.append({"label": m["month"][5:].lstrip("0") + "月", "x": round(i * slot + slot / 2, 1),
                       "bars": bars})
    return {"width": CHART_W, "height": CHART_H, "base": CHART_H - CHART_BOTTOM, "months": months}


@bp.get("/me")
def me():
    """我的：累计数据、每月收到与完成的任务、本月情况"""
    user, response = auth.current_user()
    if response is not None:
        return response
    page = me_store.my_page(user, utcnow())
    tz = user.company.zone
    overdue = [{**t, "due": t["due_at"].astimezone(tz) if t["due_at"] else None}
               for t in page["this_month"]["overdue_tasks"]]
    return render_template("m/me.html", page=page, chart=chart(page["monthly"]), overdue=overdue,
                           flash=auth.take_flash(), user=user)


@bp.get("/avatars/<int:user_id>")
def avatar(user_id: int):
    """A colleague's (or my) avatar, from our own storage folder."""
    user, response = auth.current_user()
    if response is not None:
        return response
    return avatar_response(user, user_id)
