"""One task in the console: its page, and the same panel as a drawer beside a board, with
details, the ERP document's fields, the workflow timeline, comments, the log, and a form
for each action this person may take now. Every action calls the store function chat and
the API call; its refusal is shown next to its form with what was typed kept. Through htmx
the panel is swapped in place and the board's row is refreshed out of band (no reload)."""
from datetime import datetime

from flask import g, redirect, render_template, request, url_for

from bot.taskview import erp_rows, log_text
from bot.web import bp, is_htmx
from bot.web.board import as_id, form_ids, may_use, row_context
from handlers.texts import NODE_STATE, STATUS
from store import directory, erp, extensions, projects as project_store, tasks as task_store, workflow
from store.db import utcnow
from store.errors import DomainError, NotFound
from store.models import PRIORITIES, Project, Task

ACTION_NAMES = {"start": "开始处理", "complete": "完成", "transfer": "转办", "rollback": "回退",
                "withdraw": "撤回", "urge": "催办", "comment": "评论", "extend": "申请延期",
                "approve": "同意延期", "refuse": "拒绝延期", "copy": "复制", "move": "移动",
                "edit": "修改", "delete": "删除", "archive": "归档"}
DONE = {"start": "已开始处理", "complete": "已完成", "transfer": "已转办", "rollback": "已回退",
        "withdraw": "已撤回", "urge": "已催办", "comment": "已评论", "extend": "已申请延期",
        "approve": "已同意延期", "refuse": "已拒绝延期", "copy": "已复制", "move": "已移动",
        "edit": "已保存修改", "delete": "已删除", "archive": "已归档"}


bp.add_app_template_filter(log_text, "log_text")


def parse_moment(raw: str | None) -> datetime | None:
    """A datetime-local value ("2026-12-05T18:00") in the company's zone; None if unreadable."""
    try:
        moment = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=g.company.zone)


def offered(detail: dict, task: Task) -> list[str]:
    """Exactly the actions this person may take on the task now."""
    actions = [a for a in detail["allowed_actions"] if a in ACTION_NAMES]
    project = Project.get_by_id(task.project_id)
    manage = project_store.can_manage(g.user, project)
    pending = extensions.pending_extension(task.id)
    if "complete" in actions and pending is None:
        actions.append("extend")
    if pending is not None and extensions.may_decide(g.user, task):
        actions += ["approve", "refuse"]
    if may_use(project):
        actions.append("copy")
    if "edit" in actions or manage:
        actions.append("move")
    if manage and task.status == "done" and task.archived_at is None:
        actions.append("archive")
    return actions


def _business_types(task: Task) -> list[str]:
    """The project's types, and the task's own (an ERP scenario may set one the project
    lacks): an edit must not drop it unasked."""
    types = project_store.business_types(task.project_id)
    return types + [task.business_type] if task.business_type and task.business_type not in types else types


def panel_context(task_id: int, errors: dict | None = None, typed: dict | None = None) -> dict:
    detail = task_store.task_detail(g.user, task_id, utcnow())
    task = Task.get_by_id(task_id)
    pending = extensions.pending_extension(task.id)
    return {
        "task": detail, "actions": offered(detail, task), "names": ACTION_NAMES,
        "states": NODE_STATE, "statuses": STATUS, "errors": errors or {}, "typed": typed or {},
        "erp_rows": erp_rows(detail), "pending": extensions.describe([pending])[0] if pending else None,
        "people": directory.list_users(g.company.id, active=True, limit=2000),
        "move_targets": [p for p in project_store.list_projects(g.user) if p.id != task.project_id],
        "business_types": _business_types(task), "priorities": PRIORITIES,
        "row_task": task, "erp_board": Project.get_by_id(task.project_id).kind == "erp",
        **row_context([task]),
    }


def _page(task_id: int, errors=None, typed=None, done=None, status=200):
    return render_template("app/task.html", done=done or request.args.get("done"),
                           **panel_context(task_id, errors, typed)), status


@bp.get("/tasks/<int:task_id>")
def task_page(task_id: int):
    workflow.open_task(g.user, task_id, utcnow())  # the current handler has seen it (SPEC §3)
    return _page(task_id)


@bp.get("/tasks/<int:task_id>/panel")
def task_panel(task_id: int):
    workflow.open_task(g.user, task_id, utcnow())
    return render_template("app/_task_panel.html", **panel_context(task_id), oob_row=True)


def _act(action: str, task_id: int, form) -> Task | None:
    """Do `action` through the store; returns the task a copy made, if any."""
    now, user = utcnow(), g.user
    if action in ("start", "complete", "withdraw", "urge"):
        getattr(workflow, action)(user, task_id, now)
    elif action == "transfer":
        workflow.transfer(user, task_id, as_id(form.get("to_id")) or 0, now)
    elif action == "rollback":
        workflow.rollback(user, task_id, form.get("reason", ""), now)
    elif action == "comment":
        task_store.add_comment(user, task_id, form.get("body", ""), now)
    elif action == "extend":
        extensions.request_extension(user, task_id, parse_moment(form.get("new_due")),
                                     form.get("reason", ""), now)
    elif action == "approve":
        extensions.approve_extension(user, task_id, now)
    elif action == "refuse":
        extensions.refuse_extension(user, task_id, now, form.get("note", ""))
    elif action == "copy":
        return task_store.copy_task(user, task_id, now=now)
    elif action == "move":
        task_store.move_task(user, task_id, as_id(form.get("project_id")) or 0, now)
    elif action == "edit":
        task_store.edit_task(user, task_id, now=now, title=form.get("title", ""),
                             description=form.get("description", ""),
                             priority=form.get("priority", ""), due_at=parse_moment(form.get("due")),
                             business_type=form.get("business_type", ""),
                             watcher_ids=form_ids("watcher_ids"), editor_ids=form_ids("editor_ids"))
    elif action == "delete":
        task_store.delete_task(user, task_id, now)
    elif action == "archive":
        erp.archive_task(user, task_id, now)
    return None


@bp.post("/tasks/<int:task_id>/do/<action>")
def task_action(task_id: int, action: str):
    if action not in ACTION_NAMES:
        raise NotFound("没有这个操作")
    task_store.get_task(g.user, task_id)  # a task this person may not see: 404 like a missing one
    form = {k: v.replace("\x00", "") for k, v in request.form.items()}
    try:
        copy = _act(action, task_id, form)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        errors, typed = {action: error.message}, {action: form}
        if is_htmx():  # swapped in place (htmx does not swap an error status)
            # the refusal often means the task changed meanwhile: refresh its row too
            return render_template("app/_task_panel.html", **panel_context(task_id, errors, typed),
                                   oob_row=True)
        return _page(task_id, errors, typed, status=error.status)
    done = DONE[action] + (f"，新任务 #{copy.number}" if copy else "")
    shown_id = copy.id if copy else task_id
    if action == "delete":
        if is_htmx():
            return render_template("app/_task_gone.html", task_id=task_id, done=done)
        project_id = Task.get_by_id(task_id).project_id
        return redirect(url_for("web.board", project_id=project_id, done=done), code=303)
    if is_htmx():
        gone = action in ("move", "archive")  # no longer on this board's default view
        return render_template("app/_task_panel.html", **panel_context(shown_id), done=done,
                               oob_row=not (copy or gone), new_row=bool(copy),
                               row_gone=task_id if gone else None)
    return redirect(url_for("web.task_page", task_id=shown_id, done=done), code=303)
