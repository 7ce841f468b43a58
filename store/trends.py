"""Month-by-month series of the statistics (store.stats definitions): tasks received,
completed and completed on time per calendar month, for the admins' trend charts and for
my page's chart.

One query per measure: a COUNT(DISTINCT CASE ...) column per month, grouped by user and
summed here, so that a month's figure is exactly the sum of (user, task) pairs that
store.stats counts for that month, on both databases (grouping by a local month is not
portable).
"""
from datetime import date

from peewee import Case, fn

from store import stats
from store.db import utcnow
from store.models import Company, Task, TaskNode, TaskReceipt, User

TREND_MONTHS = 12


def monthly_counts(company_id: int, zone, months: list[date], users=None) -> list[dict]:
    """[{"month": "2026-11", "received", "completed", "on_time"}] for each first-of-month
    in `months` (consecutive, oldest first), for `users` (ids or a subquery; None: all)."""
    bounds = [stats.local_midnight_utc(m, zone) for m in
              months + [stats.add_months(months[-1], 1)]]

    def per_month(column, task_column, extra=None):
        columns = []
        for lo, hi in zip(bounds, bounds[1:]):
            inside = (column >= lo) & (column < hi)
            if extra is not None:
                inside &= extra
            columns.append(fn.COUNT(fn.DISTINCT(Case(None, [(inside, task_column)]))))
        return columns

    def summed(query, width: int) -> list[int]:
        totals = [0] * width
        for row in query.tuples():
            totals = [t + (n or 0) for t, n in zip(totals, row[1:])]
        return totals

    received = summed(
        TaskReceipt.select(TaskReceipt.user, *per_month(TaskReceipt.received_at, TaskReceipt.task))
        .join(Task, on=(TaskReceipt.task == Task.id))
        .where(TaskReceipt.company == company_id, TaskReceipt.received_at >= bounds[0],
               TaskReceipt.received_at < bounds[-1], Task.deleted_at.is_null(),
               *stats.in_users(TaskReceipt.user, users))
        .group_by(TaskReceipt.user), len(months))
    punctual = Task.due_at.is_null() | (TaskNode.done_at <= Task.due_at)
    done_nodes = (TaskNode.select(TaskNode.done_by,
                                  *per_month(TaskNode.done_at, TaskNode.task),
                                  *per_month(TaskNode.done_at, TaskNode.task, punctual))
                  .join(Task, on=(TaskNode.task == Task.id))
                  .where(TaskNode.company == company_id, TaskNode.state == "done",
                         TaskNode.done_by.is_null(False), TaskNode.done_at >= bounds[0],
                         TaskNode.done_at < bounds[-1], Task.deleted_at.is_null(),
                         *stats.in_users(TaskNode.done_by, users))
                  .group_by(TaskNode.done_by))
    both = summed(done_nodes, 2 * len(months))  # the completed columns, then the on-time ones
    completed, on_time = both[:len(months)], both[len(months):]
    return [{"month": m.strftime("%Y-%m"), "received": r, "completed": c, "on_time": t}
            for m, r, c, t in zip(months, received, completed, on_time)]


def trend(actor: User, at: date, department_id: int | None = None, *,
          months: int = TREND_MONTHS) -> list[dict]:
    """The last `months` calendar months up to `at`'s month, in the actor's statistics
    scope (store.stats.scope), with the completion and on-time rates of each month."""
    department = stats.scope(actor, department_id)
    users = None
    if department is not None:
        users = User.select(User.id).where(User.company == actor.company_id,
                                           User.department == department)
    current = stats.month_start(at)
    firsts = [stats.add_months(current, k) for k in range(1 - months, 1)]
    rows = monthly_counts(actor.company_id, Company.zone_of(actor.company_id), firsts, users)
    for row in rows:
        row["completion_rate"], row["completion_rate_display"] = stats.rate(
            row["completed"], row["received"])
        row["on_time_rate"], row["on_time_rate_display"] = stats.rate(
            row["on_time"], row["completed"])
    return rows


def today_in(company_id: int) -> date:
    """Today's date in the company's timezone (the default period of the statistics)."""
    return utcnow().astimezone(Company.zone_of(company_id)).date()
