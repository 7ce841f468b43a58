"""My page (我的) of SPEC §4: who I am, my cumulative counts, my monthly chart and how
this month is going. The definitions of received / completed / on time / to-do /
overdue are those of store.stats, applied to one user."""
from datetime import datetime

from peewee import Case, fn

from store import stats, trends
from store.models import Company, Task, TaskNode, User

CHART_MONTHS = 6


def my_page(user: User, now: datetime) -> dict:
    """Everything my page shows, for `user` at `now`.

    Counts (cumulative, deleted tasks excluded):

    * ``todo`` — tasks in progress (not archived) whose current node is active/started and
      handled by me; ``todo_overdue`` of them are past due_at at `now`, ``todo_new`` not.
    * ``done`` — distinct tasks in which I completed a node (that node is done now).
    * ``created`` — tasks I created.
    * ``overdue`` — distinct tasks where I completed a node after the task's due_at, or
      where I hold the open current node and due_at < `now`. A task I was late on stays
      counted after it is finished: this is my record, not my queue.

    ``monthly`` is the last six calendar months in the company's timezone, oldest first,
    the current one included: ``{"month": "2026-11", "received", "completed"}`` with
    received = distinct tasks I became handler of in the month and completed = distinct
    tasks in which I completed a node in the month.

    ``this_month``: ``overdue_tasks`` — tasks due this month up to `now` that I was late
    on (the overdue definition above), as ``{"task_id", "number", "title", "due_at"}``
    sorted by due_at; ``completed`` and ``on_time`` (done at or before due_at, or no
    deadline) among the tasks I completed this month, and the on-time rate.
    """
    company_id, me = user.company_id, [user.id]
    zone = Company.zone_of(company_id)
    today = now.astimezone(zone).date()
    month_start, next_month = stats.month_range(today)
    start_utc = stats.local_midnight_utc(month_start, zone)
    end_utc = stats.local_midnight_utc(next_month, zone)

    todo_total, todo_overdue = (
        stats.current_open_nodes()
        .select(fn.COUNT(fn.DISTINCT(TaskNode.task)),
                fn.COUNT(fn.DISTINCT(Case(None, [(Task.due_at < now, TaskNode.task)]))))
        .where(TaskNode.company == company_id, TaskNode.handler == user.id)
        .tuples().get())
    done = (TaskNode.select(fn.COUNT(fn.DISTINCT(TaskNode.task)))
            .join(Task, on=(TaskNode.task == Task.id))
            .where(TaskNode.company == company_id, TaskNode.done_by == user.id,
                   TaskNode.state == "done", Task.deleted_at.is_null())
            .scalar())
    created = (Task.scoped(company_id)
               .where(Task.creator == user.id, Task.deleted_at.is_null()).count())
    overdue = stats.overdue_by_user(company_id, now, me).get(user.id, 0)

    overdue_ids = stats.overdue_pairs(company_id, now, users=me, due_from=start_utc,
                                      due_to=min(end_utc, now)).alias("late")
    overdue_tasks = [
        {"task_id": task.id, "number": task.number, "title": task.title,
         "due_at": task.due_at}
        for task in (Task.select(Task.id, Task.number, Task.title, Task.due_at)
                     .where(Task.company == company_id,
                            Task.id.in_(Task.select(overdue_ids.c.tid).from_(overdue_ids)))
                     .order_by(Task.due_at, Task.id))]
    completed, on_time = stats.completed_by_user(company_id, start_utc, end_utc, me).get(
        user.id, (0, 0))
    on_time_rate, on_time_display = stats.rate(on_time, completed)

    return {"user_id": user.id, "name": user.name, "gender": user.gender,
            "avatar": user.avatar,
            "counts": {"todo": todo_total, "todo_overdue": todo_overdue,
                       "todo_new": todo_total - todo_overdue, "done": done or 0,
                       "created": created, "overdue": overdue},
            "monthly": _monthly_chart(user, zone, month_start),
            "this_month": {"month": month_start.strftime("%Y-%m"),
                           "overdue_tasks": overdue_tasks, "completed": completed,
                           "on_time": on_time, "on_time_rate": on_time_rate,
                           "on_time_rate_display": on_time_display}}


def company_profile(user: User) -> dict:
    """My company as 我的ERP shows it: name, customer code, the service team's contact."""
    company = Company.get_by_id(user.company_id)
    return {"name": company.name, "code": company.code,
            "service_contact": company.service_contact or ""}


def _monthly_chart(user: User, zone, current_month) -> list[dict]:
    months = [stats.add_months(current_month, k) for k in range(1 - CHART_MONTHS, 1)]
    return [{"month": row["month"], "received": row["received"], "completed": row["completed"]}
            for row in trends.monthly_counts(user.company_id, zone, months, [user.id])]
