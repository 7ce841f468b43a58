"""操作日志 (the audit log): every change made through the API, the console or an operator
command, newest first, filtered by who, what and when (company admins)."""
from datetime import date, datetime, time, timedelta

from flask import g, render_template, request

from bot.web import ADMIN, bp, require_role
from bot.web.paging import fetch_page
from store import audit, directory

CHANNELS = {"api": "接口", "console": "控制台", "operator": "运维命令"}


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> dict:
    zone = g.company.zone
    since, until = _day("since"), _day("until")
    actor = request.args.get("actor_id", "")
    return {"actor_id": int(actor) if actor.isdigit() and len(actor) < 10 else None,
            "action": request.args.get("action", "").strip()[:100] or None,
            "since": datetime.combine(since, time(), zone) if since else None,
            "until": datetime.combine(until + timedelta(days=1), time(), zone) if until else None}


@bp.get("/settings/audit")
def audit_log():
    require_role(ADMIN)
    filters = _filters()
    page = fetch_page(lambda limit, offset: audit.list_entries(g.user, limit, offset, **filters))
    return render_template("app/audit_log.html", page=page, channels=CHANNELS,
                           total=audit.count_entries(g.user, **filters),
                           people=directory.list_users(g.company.id, limit=2000))
