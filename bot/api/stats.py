"""Admin statistics of SPEC §4 (month / week; company or department), JSON or CSV."""
from datetime import date
from typing import Literal

from flask import Response

from bot.api.core import COMPANY, ApiModel, Id, OutModel, Resource, access, actor, company_zone, now
from store import stats as stat_store

bp = Resource("stats", __name__)



class StatsQuery(ApiModel):
    period: Literal["month", "week"] = "month"
    at: date | None = None
    department_id: Id | None = None
    format: Literal["json", "csv"] = "json"


class MemberStats(OutModel):
    user_id: int
    name: str
    done: int
    todo: int
    overdue_total: int
    completion_rate: float | None
    completion_rate_display: str


class StatsOut(OutModel):
    model_config = {"openapi_extra": {"content": {"text/csv": {"schema": {"type": "string"}}}}}

    period: str
    start: str
    end: str
    received: int
    completed: int
    on_time: int
    completion_rate: float | None
    completion_rate_display: str
    on_time_rate: float | None
    on_time_rate_display: str
    members: list[MemberStats]


@bp.get("/stats", responses={200: StatsOut})
@access(COMPANY)
def get_stats(query: StatsQuery):
    """Monthly or weekly statistics (company admins: the company or a department; department
    admins: their department); `format=csv` for a spreadsheet"""
    at = query.at or now().astimezone(company_zone()).date()
    compute = stat_store.month_stats if query.period == "month" else stat_store.week_stats
    result = compute(actor(), at, query.department_id, now=now())
    if query.format == "csv":
        filename = f"twork-{query.period}-{result['start']}.csv"
        return Response(stat_store.stats_csv(result).encode("utf-8-sig"),
                        mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return result
