"""My to-do page (/m/todo): what chat's 待办 lists — overdue first, then new, each by
deadline — with a link to each task's page. The morning summary and the daily digest open
it; a to-do that no longer fits one template message is read here."""
from flask import render_template

from bot.pages import auth, bp
from store import tasks as task_store
from store.db import utcnow


@bp.get("/todo")
def todo():
    """我的待办"""
    user, response = auth.current_user()
    if response is not None:
        return response
    todo = task_store.list_todo(user, utcnow())
    overdue, fresh = todo.split
    tz = user.company.zone
    return render_template("m/todo.html", overdue=_rows(overdue, tz), fresh=_rows(fresh, tz),
                           todo=todo, user=user, flash=auth.take_flash())


def _rows(found, tz) -> list[dict]:
    return [{"id": t.id, "number": t.number, "title": t.title,
             "due": t.due_at.astimezone(tz) if t.due_at else None} for t in found]
