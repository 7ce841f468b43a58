"""Admin statistics (统计) of SPEC §4: monthly and weekly completion, on-time work and
each member's load, plus the shared period and overdue queries my page uses too.

Definitions (the same in every number here):

* **received** — distinct (user, task) pairs from TaskReceipt with received_at in the
  period: the tasks a user became handler of (activation, transfer, rollback, withdraw).
* **completed** — distinct (user, task) pairs of nodes that are done now, done_by the
  user, with done_at in the period. Counting pairs rather than raw nodes keeps a user who
  handles two nodes of one task from counting it twice against one receipt. The rate can
  still pass 100% when tasks received earlier are finished in the period.
* **on time** — a completed pair whose node was done at or before the task's due_at
  (a task without a deadline cannot be late).
* **to-do** — a snapshot at `now`: tasks in progress (not deleted or archived) whose
  current node is active/started and handled by the user. A past period shows today's
  to-do, because the past queue is not recorded.
* **late by reason** — nodes (not pairs) completed in the period after the task's due_at,
  counted by TaskNode.late_reason (store.late); "unknown" where no reason was given.
* **overdue (cumulative)** — distinct tasks where the user completed a node after the
  task's due_at, or where the user holds the open current node and due_at < now.

Deleted tasks count nowhere. Periods (month; week Monday–Sunday) are calendar periods in
the company's timezone, turned into UTC bounds [start, end) for the queries. Every number
comes from a GROUP BY over the scope's users, never a loop over tasks.
"""
import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from peewee import JOIN, Case, fn

from store.db import utcnow
from store.errors import Forbidden, NotFound
from store.models import LATE_REASONS, Company, Department, Task, TaskNode, TaskReceipt, User

OPEN_STATES = ("active", "started")
NO_RATE = "—"


# ---- periods -------------------------------------------------------------------------

def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in `zone`."""
    return datetime.combine(day, time(), zone).astimezone(timezone.utc)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_range(at: date) -> tuple[date, date]:
    """First day of `at`'s month and first day of the next month."""
    start = month_start(at)
    return start, add_months(start, 1)


def week_range(at: date) -> tuple[date, date]:
    """The Monday of `at`'s week and the Monday after."""
    start = at - timedelta(days=at.weekday())
    return start, start + timedelta(days=7)


def rate(numerator: int, denominator: int) -> tuple[float | None, str]:
    """A ratio and its display ("75.0%"); a zero denominator gives (None, "—")."""
    if not denominator:
        return None, NO_RATE
    value = numerator / denominator
    return round(value, 4), f"{value * 100:.1f}%"


# ---- shared queries ------------------------------------------------------------------

def in_users(column, users) -> list:
    """The condition restricting `column` to `users` (a subquery of ids); [] for all."""
    return [] if users is None else [column.in_(users)]


def received_by_user(company_id, start, end, users=None) -> dict[int, int]:
    """{user_id: distinct tasks received in [start, end)}."""
    query = (TaskReceipt
             .select(TaskReceipt.user, fn.COUNT(fn.DISTINCT(TaskReceipt.task)))
             .join(Task, on=(TaskReceipt.task == Task.id))
             .where(TaskReceipt.company == company_id,
                    TaskReceipt.received_at >= start, TaskReceipt.received_at < end,
                    Task.deleted_at.is_null(), *in_users(TaskReceipt.user, users))
             .group_by(TaskReceipt.user))
    return dict(query.tuples())


def completed_by_user(company_id, start, end, users=None) -> dict[int, tuple[int, int]]:
    """{user_id: (distinct tasks completed in [start, end), of which on time)}."""
    on_time = Case(None, [(Task.due_at.is_null() | (TaskNode.done_at <= Task.due_at),
                           TaskNode.task)])
    query = (TaskNode
             .select(TaskNode.done_by, fn.COUNT(fn.DISTINCT(TaskNode.task)),
                     fn.COUNT(fn.DISTINCT(on_time)))
             .join(Task, on=(TaskNode.task == Task.id))
             .where(TaskNode.company == company_id, TaskNode.state == "done",
                    TaskNode.done_at >= start, TaskNode.done_at < end,
                    TaskNode.done_by.is_null(False), Task.deleted_at.is_null(),
                    *in_users(TaskNode.done_by, users))
             .group_by(TaskNode.done_by))
    return {uid: (done, punctual) for uid, done, punctual in query.tuples()}


def late_by_reason(company_id, start, end, users=None) -> dict[str, int]:
    """{reason: nodes completed late in [start, end)} for every reason and "unknown"."""
    query = (TaskNode
             .select(TaskNode.late_reason, fn.COUNT(TaskNode.id))
             .join(Task, on=(TaskNode.task == Task.id))
             .where(TaskNode.company == company_id, TaskNode.state == "done",
                    TaskNode.done_at >= start, TaskNode.done_at < end,
                    TaskNode.done_at > Task.due_at, TaskNode.done_by.is_null(False),
                    Task.deleted_at.is_null(), *in_users(TaskNode.done_by, users))
             .group_by(TaskNode.late_reason))
    counts = {reason: 0 for reason in (*LATE_REASONS, "unknown")}
    for reason, n in query.tuples():
        key = reason if reason in LATE_REASONS else "unknown"
        counts[key] += n
    return counts


def current_open_nodes():
    """Nodes that are the current, open node of a live task in progress."""
    return (TaskNode.select()
            .join(Task, on=((TaskNode.task == Task.id) & (TaskNode.seq == Task.current_seq)))
            .where(TaskNode.state.in_(OPEN_STATES), Task.status == "in_progress",
                   Task.deleted_at.is_null(), Task.archived_at.is_null()))


def todo_by_user(company_id, users=None) -> dict[int, int]:
    """{user_id: tasks whose current open node the user handles}."""
    query = (current_open_nodes()
             .select(TaskNode.handler, fn.COUNT(fn.DISTINCT(TaskNode.task)))
             .where(TaskNode.company == company_id, *in_users(TaskNode.handler, users))
             .group_by(TaskNode.handler))
    return dict(query.tuples())


def overdue_pairs(company_id, now, *, users=None, due_from=None, due_to=None):
    """A UNION query of distinct (uid, tid): tasks the user completed a node of late, or
    whose open current node the user holds past due_at (< now). `due_from`/`due_to`
    narrow it to tasks due in [due_from, due_to)."""
    def due_window(query):
        if due_from is not None:
            query = query.where(Task.due_at >= due_from)
        if due_to is not None:
            query = query.where(Task.due_at < due_to)
        return query

    late = due_window(
        TaskNode.select(TaskNode.done_by.alias("uid"), TaskNode.task.alias("tid"))
        .join(Task, on=(TaskNode.task == Task.id))
        .where(TaskNode.company == company_id, TaskNode.state == "done",
               TaskNode.done_at > Task.due_at, Task.deleted_at.is_null(),
               *in_users(TaskNode.done_by, users)))
    still_open = due_window(
        current_open_nodes()
        .select(TaskNode.handler.alias("uid"), TaskNode.task.alias("tid"))
        .where(TaskNode.company == company_id, Task.due_at < now,
               *in_users(TaskNode.handler, users)))
    return late | still_open  # UNION, not UNION ALL: a task counts once per user


def overdue_by_user(company_id, now, users=None) -> dict[int, int]:
    """{user_id: cumulative overdue tasks} (see the module docstring)."""
    pairs = overdue_pairs(company_id, now, users=users).alias("overdue")
    query = (User.select(pairs.c.uid, fn.COUNT(pairs.c.tid))
             .from_(pairs).group_by(pairs.c.uid))
    return dict(query.tuples())


# ---- admin statistics ----------------------------------------------------------------

def scope(actor: User, department_id):
    """The department whose statistics the actor may see (None: the whole company), or
    raise: company admins the company or any department, department admins their own."""
    if actor.is_company_admin:
        if department_id is None:
            return None
        exists = (Department.scoped(actor.company_id)
                  .where(Department.id == department_id).exists())
        if not exists:
            raise NotFound("部门不存在")
        return int(department_id)
    if actor.is_dept_admin:
        if actor.department_id is None:
            raise Forbidden("您还没有所属部门，无法查看统计")
        if department_id is not None and int(department_id) != actor.department_id:
            raise Forbidden("部门管理员只能查看本部门的统计")
        return actor.department_id
    raise Forbidden("只有管理员可以查看统计")


def month_stats(actor: User, at: date, department_id: int | None = None, *,
                now: datetime | None = None) -> dict:
    """This month's statistics (the month containing `at`) for the actor's scope.

    `now` (default: the current time) only fixes the to-do snapshot and what is overdue."""
    start, end = month_range(at)
    return _period_stats(actor, "month", start, end, department_id, now or utcnow())


def week_stats(actor: User, at: date, department_id: int | None = None, *,
               now: datetime | None = None) -> dict:
    """This week's statistics (Monday–Sunday containing `at`) for the actor's scope."""
    start, end = week_range(at)
    return _period_stats(actor, "week", start, end, department_id, now or utcnow())


def _period_stats(actor, period, start_day, end_day, department_id, now) -> dict:
    department = scope(actor, department_id)
    company_id = actor.company_id
    zone = Company.zone_of(company_id)
    start, end = local_midnight_utc(start_day, zone), local_midnight_utc(end_day, zone)

    scope_users = User.select(User.id).where(User.company == company_id)
    if department is not None:
        scope_users = scope_users.where(User.department == department)
    users = None if department is None else scope_users

    received = received_by_user(company_id, start, end, users)
    completed = completed_by_user(company_id, start, end, users)
    todo = todo_by_user(company_id, users)
    overdue = overdue_by_user(company_id, now, users)
    late = late_by_reason(company_id, start, end, users)

    members = []
    roster = (User.select(User.id, User.name, Department.name.alias("department_name"))
              .join(Department, JOIN.LEFT_OUTER, on=(User.department == Department.id))
              .where(User.company == company_id, User.active == True)  # noqa: E712
              .order_by(Department.name, User.name, User.id))
    if department is not None:
        roster = roster.where(User.department == department)
    for uid, name, department_name in roster.tuples():
        done, on_time = completed.get(uid, (0, 0))
        got = received.get(uid, 0)
        value, display = rate(done, got)
        punctual, punctual_display = rate(on_time, done)
        members.append({"user_id": uid, "name": name, "department": department_name,
                        "done": done, "on_time": on_time, "todo": todo.get(uid, 0),
                        "overdue_total": overdue.get(uid, 0), "received": got,
                        "completion_rate": value, "completion_rate_display": display,
                        "on_time_rate": punctual, "on_time_rate_display": punctual_display})

    # Totals cover every user in scope, deactivated ones too: their work happened.
    total_received = sum(received.values())
    total_done = sum(done for done, _ in completed.values())
    total_on_time = sum(punctual for _, punctual in completed.values())
    completion, completion_display = rate(total_done, total_received)
    on_time_rate, on_time_display = rate(total_on_time, total_done)
    return {"period": period, "start": start_day.isoformat(),
            "end": (end_day - timedelta(days=1)).isoformat(),
            "scope": {"company_id": company_id, "department_id": department},
            "received": total_received, "completed": total_done, "on_time": total_on_time,
            "completion_rate": completion, "completion_rate_display": completion_display,
            "on_time_rate": on_time_rate, "on_time_rate_display": on_time_display,
            "late_by_reason": late, "members": members}


CSV_COLUMNS = [("user_id", "成员ID"), ("name", "姓名"), ("department", "部门"),
               ("received", "接收"), ("done", "完成"), ("on_time", "按时完成"),
               ("todo", "待办"), ("overdue_total", "累计逾期"),
               ("completion_rate_display", "完成率"), ("on_time_rate_display", "按时率")]


def _cell(value):
    # A spreadsheet runs a cell starting with = + - @ as a formula; names are user input.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def stats_csv(result: dict) -> str:
    """The members of a month_stats / week_stats result as CSV, with a total row.

    Headers read "姓名 name". Encode as utf-8-sig so that Excel shows the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{zh} {en}" for en, zh in CSV_COLUMNS])
    for member in result["members"]:
        writer.writerow([_cell(member.get(en)) for en, _ in CSV_COLUMNS])
    writer.writerow(["合计 total", f"{result['start']}~{result['end']}", "",
                     result["received"], result["completed"], result["on_time"], "", "",
                     result["completion_rate_display"], result["on_time_rate_display"]])
    return out.getvalue()
