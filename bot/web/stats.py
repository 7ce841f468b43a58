"""统计: the admins' monthly or weekly statistics per member (store.stats, the same numbers
as GET /api/v1/stats and chat 统计), late work by reason, the 12-month trend charts
(ECharts, drawn by static/stats.js from the JSON in the page) and the CSV of the table.

Company admins see the company or any department; department admins their department
(store.stats.scope decides, for every view here)."""
from datetime import date, timedelta

from flask import Response, g, render_template, request

from bot.web import ADMIN, DEPT_ADMIN, bp, require_role
from handlers import texts
from store import directory, stats as stat_store, trends
from store.db import utcnow

PERIODS = {"month": "月度", "week": "周度"}


def _query() -> tuple[str, date, int | None, str | None]:
    """period, the day the period contains, department id, and what was wrong in the
    query (the defaults are used instead: this month, the actor's whole scope)."""
    args, error = request.args, None
    period = args.get("period", "month")
    if period not in PERIODS:
        period, error = "month", "统计周期只能是月度或周度"
    at = trends.today_in(g.user.company_id)
    raw = args.get("at", "").strip()
    if raw:
        try:
            at = date.fromisoformat(raw[:10])
        except ValueError:
            error = f"日期格式不对：{raw[:20]}（应为 2026-12-01）"
    department = args.get("department_id", "").strip()
    department_id = int(department) if department.isdigit() and len(department) < 10 else None
    if department and department_id is None:
        error = "部门不存在"
    return period, at, department_id, error


def _compute(period: str, at: date, department_id: int | None) -> dict:
    compute = stat_store.month_stats if period == "month" else stat_store.week_stats
    return compute(g.user, at, department_id, now=utcnow())


def _neighbours(period: str, at: date) -> tuple[date, date]:
    if period == "month":
        return stat_store.add_months(at, -1), stat_store.add_months(at, 1)
    return at - timedelta(days=7), at + timedelta(days=7)


@bp.get("/stats")
def stats():
    require_role(ADMIN, DEPT_ADMIN)
    period, at, department_id, error = _query()
    result = _compute(period, at, department_id)
    late_names = {**texts.LATE_REASON_NAME, "unknown": texts.LATE_REASON_UNKNOWN}
    late = [(late_names.get(reason, reason), n) for reason, n in result["late_by_reason"].items()]
    departments = directory.list_departments(g.company.id, limit=1000) if g.user.is_company_admin else []
    previous, following = _neighbours(period, at)
    return render_template("app/stats.html", result=result, period=period, at=at,
                           department_id=result["scope"]["department_id"], periods=PERIODS,
                           departments=departments, late=late, error=error,
                           trend=trends.trend(g.user, at, department_id),
                           previous=previous, following=following), 422 if error else 200


@bp.get("/stats.csv")
def stats_csv():
    require_role(ADMIN, DEPT_ADMIN)
    period, at, department_id, error = _query()
    if error:
        return Response(error, status=422, mimetype="text/plain")
    result = _compute(period, at, department_id)
    filename = f"twork-{period}-{result['start']}.csv"
    return Response(stat_store.stats_csv(result).encode("utf-8-sig"),
                    mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
