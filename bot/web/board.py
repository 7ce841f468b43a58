"""项目 task boards: the list of boards a person has, and one project's tasks as that person may
see them (store.board over store.visibility), filtered, sorted and paged. The same board
serves the company's "ERP通知" project, with its scenario, occurrence and "cleared" columns
and archiving of finished tasks (store.erp)."""
from datetime import datetime, time

from flask import g, redirect, render_template, request, url_for

from bot.web import bp, is_htmx
from bot.web.paging import fetch_page
from store import board as board_store, directory, erp, projects as project_store
from store.db import utcnow
from store.errors import DomainError
from store.models import PRIORITIES


@bp.app_template_filter("wtime")
def local_time(value) -> str:
    """A stored (UTC) datetime or ISO text in the company's zone, "12-05 18:00"."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(g.company.zone).strftime("%m-%d %H:%M")


@bp.context_processor
def _board_nav():
    """The boards under 项目 in the left menu."""
    user = getattr(g, "user", None)
    # a callable: only full pages (the frame lists the boards) pay for the query, not the
    # htmx fragments that refresh a row or the drawer
    return {"board_nav": (lambda: board_store.board_projects(user)) if user is not None
            else (lambda: [])}


def parse_day(raw: str, end: bool = False) -> datetime | None:
    """A yyyy-mm-dd day from a filter, as the start (or end) of that day in the company's zone."""
    try:
        day = datetime.strptime((raw or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, g.company.zone)


def as_id(raw: str | None) -> int | None:
    """An id typed in a form or a query string; None when it is not one."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def form_ids(name: str) -> list[int]:
    """The ids of a multiple select."""
    return [int(v) for v in request.form.getlist(name) if as_id(v) is not None]


def read_filter() -> tuple[board_store.BoardFilter, dict]:
    """The board's filter from the query string, and the values to show back in the form."""
    args = request.args
    shown = {k: args.get(k, "").strip() for k in ("status", "business_type", "priority", "handler",
                                                    "creator", "scenario", "due_from", "due_to", "q", "sort",
                                                    "archived")}
    f = board_store.BoardFilter(
        status=shown["status"] if shown["status"] in ("in_progress", "done") else None,
        business_type=shown["business_type"] or None,
        priority=shown["priority"] if shown["priority"] in PRIORITIES else None,
        handler_id=as_id(shown["handler"]), creator_id=as_id(shown["creator"]),
        scenario_id=as_id(shown["scenario"]),
        due_from=parse_day(shown["due_from"]), due_to=parse_day(shown["due_to"], end=True),
        text=shown["q"] or None, archived=shown["archived"] == "1")
    if shown["sort"] not in board_store.SORTS:
        shown["sort"] = "-created"
    return f, shown


def may_use(project) -> bool:
    """Whether the signed-in person may create tasks in the project (store.tasks' rule)."""
    return project_store.can_manage(g.user, project) or project_store.is_member(g.user.id, project.id)


def row_context(tasks) -> dict:
    return {"facts": board_store.row_facts(tasks), "now": utcnow()}


@bp.get("/projects")
def boards():
    return render_template("app/boards.html", projects=board_store.board_projects(g.user))


@bp.get("/erp")
def erp_board():
    return redirect(url_for("web.board", project_id=project_store.erp_project(g.company.id).id))


def render_board(project, *, error: str | None = None, done: str | None = None, status: int = 200):
    f, shown = read_filter()
    page = fetch_page(lambda limit, offset: board_store.board_tasks(
        g.user, project.id, f, shown["sort"], limit, offset))
    view = "app/_board_table.html" if is_htmx() and request.method == "GET" else "app/board.html"
    return render_template(
        view, project=project, page=page, shown=shown, sorts=board_store.SORTS,
        erp_board=project.kind == "erp", can_manage=project_store.can_manage(g.user, project),
        can_create=project.kind != "erp" and may_use(project),
        business_types=board_store.business_types(g.user, project.id),
        people=directory.list_users(g.company.id, limit=2000), error=error,
        scenarios=board_store.scenarios(g.user, project.id) if project.kind == "erp" else [],
        done=done or request.args.get("done"), **row_context(page.items)), status


@bp.get("/projects/<int:project_id>/board")
def board(project_id: int):
    return render_board(board_store.board_project(g.user, project_id))


@bp.post("/projects/<int:project_id>/archive_finished")
def board_archive_finished(project_id: int):
    """归档已完成 (all): every finished task of the board (the project's managers)."""
    project = board_store.board_project(g.user, project_id)
    try:
        # The ERP project is the store's default: its managers need not be its members.
        ids = erp.archive_finished(g.user, None if project.kind == "erp" else project.id, utcnow())
    except DomainError as error:
        return render_board(project, error=error.message, status=error.status)
    return redirect(url_for("web.board", project_id=project.id, done=f"已归档 {len(ids)} 个已完成的任务"),
                    code=303)
