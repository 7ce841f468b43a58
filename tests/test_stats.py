"""Statistics (store.stats) and my page (store.me) on one hand-computed company.

All times are written in Asia/Shanghai (+08:00), the company's timezone; the boundary
cases are chosen so that counting by UTC dates would give different answers.

The company on 2026-12-08 10:00 (NOW):

    dept 销售 (Sales): D (dept admin), m1, m2, i1 (inactive)     dept 采购 (Purchasing): p1, m3
    A: company admin, no department.      Other company: o1 with a department and activity.

    task  receipts (handler, when)                        node done (by, when)         due
    T1    m1 11-10 10:00, m1 again 11-12 (after rollback) m1 11-30 23:30 (15:30Z)      11-30 23:59
    T2    m1 11-20 10:00                                  m1 12-01 00:10 (11-30 16:10Z) 11-30 18:00
    T3    m1 11-01 00:20 (10-31 16:20Z)                   m1 11-05 10:00               none
    T4    m1 11-02 10:00                                  open, m1 current             11-20 18:00
    T5    m2 11-03 (node 1), p1 11-10 10:00 (node 2)      m2 11-10 10:00; node 2 open  11-08 18:00
    T6    m2 11-30 00:30 (11-29 16:30Z)                   m2 11-30 09:00               12-05 18:00
    T7    m1 12-06 23:00                                  open, m1 current             12-10 18:00
    T8    m1 12-07 00:05 (12-06 16:05Z)                   open, m1 current             12-07 18:00
    T9    deleted: m1 11-15, done 11-16 late              (counts nowhere)             11-15 18:00
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from playhouse.test_utils import count_queries

from store import me, stats, trends
from store.db import db
from store.errors import Forbidden, NotFound
from store.models import Company, Department, Project, Task, TaskNode, TaskReceipt, User

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 8, 10, 0, tzinfo=SH)


def sh(month, day, hour=10, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def user(company, account, role="member", department=None, active=True):
    return User.create(company=company, account=account, name=account, password_hash="x",
                       role=role, department=department, active=active)


def task(company, project, number, *, due, nodes, current=None, status="in_progress",
         creator=None, deleted=False, receipts=()):
    """nodes: [(handler, state, done_at)]; receipts: [(user, node seq, received_at)]."""
    row = Task.create(company=company, project=project, number=number, title=f"T{number}",
                      creator=creator, due_at=due, status=status, current_seq=current,
                      simple=len(nodes) == 1,
                      deleted_at=sh(12, 1) if deleted else None)
    by_seq = {}
    for seq, (handler, state, done_at) in enumerate(nodes, start=1):
        by_seq[seq] = TaskNode.create(company=company, task=row, seq=seq, handler=handler,
                                      state=state, done_at=done_at,
                                      done_by=handler if state == "done" else None)
    for who, seq, at in receipts:
        TaskReceipt.create(company=company, task=row, node=by_seq[seq], user=who,
                           received_at=at)
    return row


@pytest.fixture
def co(any_db):
    """The company of the module docstring; returns a namespace of its rows."""
    class NS:
        pass
    ns = NS()
    c = ns.company = Company.create(code="c1", name="甲公司", webhook_secret="s")
    sales = ns.sales = Department.create(company=c, name="销售")
    buying = ns.buying = Department.create(company=c, name="采购")
    ns.A = user(c, "A", "company_admin")
    ns.D = user(c, "D", "dept_admin", sales)
    ns.m1, ns.m2 = user(c, "m1", department=sales), user(c, "m2", department=sales)
    ns.i1 = user(c, "i1", department=sales, active=False)
    ns.p1, ns.m3 = user(c, "p1", department=buying), user(c, "m3", department=buying)
    project = Project.create(company=c, name="P")
    m1, m2, p1 = ns.m1, ns.m2, ns.p1
    ns.T = {
        1: task(c, project, 1, due=sh(11, 30, 23, 59), creator=m1, status="done",
                nodes=[(m1, "done", sh(11, 30, 23, 30))],
                receipts=[(m1, 1, sh(11, 10)), (m1, 1, sh(11, 12))]),
        2: task(c, project, 2, due=sh(11, 30, 18), creator=m1, status="done",
                nodes=[(m1, "done", sh(12, 1, 0, 10))], receipts=[(m1, 1, sh(11, 20))]),
        3: task(c, project, 3, due=None, status="done",
                nodes=[(m1, "done", sh(11, 5))], receipts=[(m1, 1, sh(11, 1, 0, 20))]),
        4: task(c, project, 4, due=sh(11, 20, 18), current=1,
                nodes=[(m1, "active", None)], receipts=[(m1, 1, sh(11, 2))]),
        5: task(c, project, 5, due=sh(11, 8, 18), current=2,
                nodes=[(m2, "done", sh(11, 10)), (p1, "started", None)],
                receipts=[(m2, 1, sh(11, 3)), (p1, 2, sh(11, 10))]),
        6: task(c, project, 6, due=sh(12, 5, 18), status="done",
                nodes=[(m2, "done", sh(11, 30, 9))], receipts=[(m2, 1, sh(11, 30, 0, 30))]),
        7: task(c, project, 7, due=sh(12, 10, 18), current=1,
                nodes=[(m1, "active", None)], receipts=[(m1, 1, sh(12, 6, 23))]),
        8: task(c, project, 8, due=sh(12, 7, 18), current=1,
                nodes=[(m1, "started", None)], receipts=[(m1, 1, sh(12, 7, 0, 5))]),
        9: task(c, project, 9, due=sh(11, 15, 18), creator=m1, deleted=True, current=1,
                nodes=[(m1, "done", sh(11, 16))], receipts=[(m1, 1, sh(11, 15))]),
    }
    # Another company's activity in the same period must never show up.
    other = Company.create(code="c2", name="乙公司", webhook_secret="s")
    ns.other_dept = Department.create(company=other, name="销售")
    o1 = user(other, "o1", "company_admin", ns.other_dept)
    other_project = Project.create(company=other, name="P")
    task(other, other_project, 1, due=sh(11, 30), nodes=[(o1, "done", sh(11, 29))],
         receipts=[(o1, 1, sh(11, 2))])
    task(other, other_project, 2, due=sh(11, 1), current=1, nodes=[(o1, "active", None)],
         receipts=[(o1, 1, sh(11, 2))])
    return ns


def by_user(result):
    return {m["user_id"]: m for m in result["members"]}


def member_row(result, who):
    row = by_user(result)[who.id]
    return (row["received"], row["done"], row["todo"], row["overdue_total"],
            row["completion_rate_display"])


# ---- periods -------------------------------------------------------------------------

def test_period_bounds_are_local_calendar_periods():
    assert stats.month_range(date(2026, 12, 31)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert stats.week_range(date(2026, 12, 6)) == (date(2026, 11, 30), date(2026, 12, 7))
    assert stats.week_range(date(2026, 11, 30)) == (date(2026, 11, 30), date(2026, 12, 7))
    assert stats.local_midnight_utc(date(2026, 12, 1), SH) == datetime(
        2026, 11, 30, 16, 0, tzinfo=timezone.utc)


def test_rate_with_zero_denominator_is_a_dash_not_an_error():
    assert stats.rate(3, 4) == (0.75, "75.0%")
    assert stats.rate(2, 3) == (0.6667, "66.7%")
    assert stats.rate(0, 0) == (None, "—")
    assert stats.rate(5, 0) == (None, "—")


# ---- monthly -------------------------------------------------------------------------

def test_company_admin_gets_november_for_the_whole_company(co):
    result = stats.month_stats(co.A, date(2026, 11, 15), now=NOW)
    assert (result["period"], result["start"], result["end"]) == ("month", "2026-11-01",
                                                                   "2026-11-30")
    assert result["scope"] == {"company_id": co.company.id, "department_id": None}
    # received m1 4 (T1 twice counts once, T3 at 11-01 00:20 local), m2 2, p1 1;
    # completed m1 T1 (23:30 local on 11-30) + T3, m2 T5 (late) + T6; T2 is December's.
    assert (result["received"], result["completed"], result["on_time"]) == (7, 4, 3)
    assert (result["completion_rate"], result["completion_rate_display"]) == (0.5714, "57.1%")
    assert (result["on_time_rate"], result["on_time_rate_display"]) == (0.75, "75.0%")
    assert member_row(result, co.m1) == (4, 2, 3, 3, "50.0%")
    assert member_row(result, co.m2) == (2, 2, 0, 1, "100.0%")
    assert member_row(result, co.p1) == (1, 0, 1, 1, "0.0%")
    assert by_user(result)[co.m2.id]["on_time"] == 1


def test_members_include_idle_active_users_only(co):
    result = stats.month_stats(co.A, date(2026, 11, 15), now=NOW)
    assert set(by_user(result)) == {u.id for u in (co.A, co.D, co.m1, co.m2, co.p1, co.m3)}
    assert member_row(result, co.m3) == (0, 0, 0, 0, "—")
    assert by_user(result)[co.m1.id]["department"] == "销售"
    assert by_user(result)[co.A.id]["department"] is None


def test_node_done_just_after_local_midnight_counts_in_december(co):
    result = stats.month_stats(co.A, date(2026, 12, 1), now=NOW)
    assert (result["start"], result["end"]) == ("2026-12-01", "2026-12-31")
    # December: m1 received T7 and T8, completed T2 (late).
    assert (result["received"], result["completed"], result["on_time"]) == (2, 1, 0)
    assert result["completion_rate_display"] == "50.0%"
    assert (result["on_time_rate"], result["on_time_rate_display"]) == (0.0, "0.0%")


def test_month_without_activity_shows_dashes(co):
    result = stats.month_stats(co.A, date(2026, 9, 10), now=NOW)
    assert (result["received"], result["completed"], result["on_time"]) == (0, 0, 0)
    assert (result["completion_rate"], result["completion_rate_display"]) == (None, "—")
    assert (result["on_time_rate"], result["on_time_rate_display"]) == (None, "—")
    assert {m["completion_rate_display"] for m in result["members"]} == {"—"}


def test_company_admin_can_narrow_to_one_department(co):
    result = stats.month_stats(co.A, date(2026, 11, 15), co.buying.id, now=NOW)
    assert result["scope"]["department_id"] == co.buying.id
    assert set(by_user(result)) == {co.p1.id, co.m3.id}
    assert (result["received"], result["completed"]) == (1, 0)
    assert result["completion_rate_display"] == "0.0%"
    assert (result["on_time_rate"], result["on_time_rate_display"]) == (None, "—")


def test_dept_admin_sees_only_their_department(co):
    result = stats.month_stats(co.D, date(2026, 11, 15), now=NOW)
    assert result["scope"] == {"company_id": co.company.id, "department_id": co.sales.id}
    assert set(by_user(result)) == {co.D.id, co.m1.id, co.m2.id}
    assert (result["received"], result["completed"], result["on_time"]) == (6, 4, 3)
    assert result["completion_rate_display"] == "66.7%"
    assert stats.month_stats(co.D, date(2026, 11, 15), co.sales.id, now=NOW) == result


def test_dept_admin_asking_for_another_department_is_forbidden(co):
    with pytest.raises(Forbidden):
        stats.month_stats(co.D, date(2026, 11, 15), co.buying.id, now=NOW)
    with pytest.raises(Forbidden):
        stats.week_stats(co.D, date(2026, 11, 15), co.buying.id, now=NOW)


def test_member_is_refused_statistics(co):
    with pytest.raises(Forbidden, match="只有管理员可以查看统计"):
        stats.month_stats(co.m1, date(2026, 11, 15), now=NOW)
    with pytest.raises(Forbidden, match="只有管理员可以查看统计"):
        stats.week_stats(co.m1, date(2026, 11, 15), now=NOW)


def test_company_admin_naming_another_companys_department_gets_not_found(co):
    with pytest.raises(NotFound):
        stats.month_stats(co.A, date(2026, 11, 15), co.other_dept.id, now=NOW)


def test_overdue_and_todo_are_snapshots_at_now(co):
    # On 11-25 T8 (due 12-07) is not yet overdue; T4 (due 11-20) and T5 are.
    early = stats.month_stats(co.A, date(2026, 11, 15), now=sh(11, 25))
    assert by_user(early)[co.m1.id]["overdue_total"] == 2  # T2 (late done) + T4
    assert by_user(early)[co.p1.id]["overdue_total"] == 1


def test_overdue_counts_a_task_once_per_user(co):
    # m2 finished node 1 late and now holds node 3 past the deadline: one overdue task.
    task(co.company, co.T[1].project, 10, due=sh(11, 8, 18), current=3,
         nodes=[(co.m2, "done", sh(11, 9)), (co.p1, "done", sh(11, 12)),
                (co.m2, "active", None)],
         receipts=[(co.m2, 1, sh(11, 4)), (co.p1, 2, sh(11, 9)), (co.m2, 3, sh(11, 12))])
    result = stats.month_stats(co.A, date(2026, 11, 15), now=NOW)
    assert member_row(result, co.m2) == (3, 3, 1, 2, "100.0%")
    assert me.my_page(co.m2, NOW)["counts"]["overdue"] == 2


def test_statistics_take_a_fixed_number_of_queries(co):
    with count_queries() as counter:
        stats.month_stats(co.A, date(2026, 11, 15), now=NOW)
    small = counter.count
    for n in range(20, 40):
        task(co.company, co.T[1].project, n, due=sh(11, 1), current=1,
             nodes=[(co.m3, "active", None)], receipts=[(co.m3, 1, sh(11, 2))])
    with count_queries() as counter:
        result = stats.month_stats(co.A, date(2026, 11, 15), now=NOW)
    assert counter.count == small <= 8
    assert member_row(result, co.m3) == (20, 0, 20, 20, "0.0%")


def test_period_queries_use_the_period_indexes(sqlite_db):
    def plan(query):
        sql, params = query.sql()
        return " ".join(str(row[-1]) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql,
                                                               params))
    start, end = sh(11, 1), sh(12, 1)
    done_plan = plan(TaskNode.select().where(TaskNode.company == 1,
                                             TaskNode.done_at >= start,
                                             TaskNode.done_at < end))
    assert "task_node_company_id_done_at" in done_plan
    receipt_plan = plan(TaskReceipt.select().where(TaskReceipt.company == 1,
                                                   TaskReceipt.received_at >= start,
                                                   TaskReceipt.received_at < end))
    assert "task_receipt_company_id_received_at" in receipt_plan
    mine_plan = plan(TaskNode.select().where(TaskNode.done_by == 1, TaskNode.done_at >= start))
    assert "task_node_done_by_id_done_at" in mine_plan


# ---- weekly --------------------------------------------------------------------------

def test_week_runs_monday_to_sunday_in_local_time(co):
    result = stats.week_stats(co.A, date(2026, 12, 3), now=NOW)
    assert (result["period"], result["start"], result["end"]) == ("week", "2026-11-30",
                                                                  "2026-12-06")
    # received: T6 (Mon 00:30 local) and T7 (Sun 23:00 local); T8 (next Mon 00:05) is not.
    # completed: m1 T1 + T2, m2 T6; on time T1 and T6.
    assert (result["received"], result["completed"], result["on_time"]) == (2, 3, 2)
    assert result["completion_rate_display"] == "150.0%"
    assert result["on_time_rate_display"] == "66.7%"
    assert member_row(result, co.m1) == (1, 2, 3, 3, "200.0%")
    assert member_row(result, co.m2) == (1, 1, 0, 1, "100.0%")
    assert member_row(result, co.p1) == (0, 0, 1, 1, "—")


def test_week_before_excludes_the_monday_morning_receipt(co):
    result = stats.week_stats(co.A, date(2026, 11, 29), now=NOW)
    assert (result["start"], result["end"]) == ("2026-11-23", "2026-11-29")
    assert (result["received"], result["completed"]) == (0, 0)
    assert result["completion_rate_display"] == "—"


# ---- trend ---------------------------------------------------------------------------

@pytest.mark.parametrize("who, department", [("A", None), ("A", "buying"), ("D", None)])
def test_each_month_of_the_trend_equals_that_months_statistics(co, who, department):
    actor = getattr(co, who)
    department_id = getattr(co, department).id if department else None
    trend = trends.trend(actor, date(2026, 12, 8), department_id, months=3)
    assert [row["month"] for row in trend] == ["2026-10", "2026-11", "2026-12"]
    for row in trend:
        month = stats.month_stats(actor, date.fromisoformat(row["month"] + "-01"), department_id,
                                  now=NOW)
        assert (row["received"], row["completed"], row["on_time"],
                row["completion_rate_display"], row["on_time_rate_display"]) == (
            month["received"], month["completed"], month["on_time"],
            month["completion_rate_display"], month["on_time_rate_display"])
    assert trend[1]["completed"] or department == "buying"


def test_trend_follows_the_statistics_scope(co):
    with pytest.raises(Forbidden):
        trends.trend(co.m1, date(2026, 12, 8))
    with pytest.raises(Forbidden):
        trends.trend(co.D, date(2026, 12, 8), co.buying.id)


# ---- CSV -----------------------------------------------------------------------------

def test_stats_csv_has_bilingual_header_members_and_total(co):
    result = stats.month_stats(co.A, date(2026, 11, 15), now=NOW)
    by_user(result)[co.m1.id]["name"] = "=HYPERLINK(1)"  # a name a spreadsheet would run
    lines = stats.stats_csv(result).split("\r\n")
    assert lines[0].startswith("成员ID user_id,姓名 name,部门 department,接收 received")
    assert len(lines) == 1 + len(result["members"]) + 1 + 1  # header, members, total, ""
    assert f"{co.m1.id},'=HYPERLINK(1),销售,4,2,2,3,3,50.0%,100.0%" in lines
    assert lines[-2] == "合计 total,2026-11-01~2026-11-30,,7,4,3,,,57.1%,75.0%"


# ---- my page -------------------------------------------------------------------------

def test_my_page_counts_chart_and_this_month(co):
    page = me.my_page(co.m1, NOW)
    assert (page["name"], page["gender"], page["avatar"]) == ("m1", None, None)
    assert page["counts"] == {"todo": 3, "todo_overdue": 2, "todo_new": 1, "done": 3,
                              "created": 2, "overdue": 3}
    assert page["monthly"] == [
        {"month": "2026-07", "received": 0, "completed": 0},
        {"month": "2026-08", "received": 0, "completed": 0},
        {"month": "2026-09", "received": 0, "completed": 0},
        {"month": "2026-10", "received": 0, "completed": 0},
        {"month": "2026-11", "received": 4, "completed": 2},
        {"month": "2026-12", "received": 2, "completed": 1},
    ]
    this_month = page["this_month"]
    assert this_month["month"] == "2026-12"
    assert [t["number"] for t in this_month["overdue_tasks"]] == [8]
    assert this_month["overdue_tasks"][0]["due_at"] == sh(12, 7, 18)
    assert (this_month["completed"], this_month["on_time"],
            this_month["on_time_rate_display"]) == (1, 0, "0.0%")


def test_my_page_month_follows_local_midnight(co):
    # 2026-12-01 00:30 local is still November in UTC.
    page = me.my_page(co.m1, sh(12, 1, 0, 30))
    assert page["this_month"]["month"] == "2026-12"
    assert page["monthly"][-1]["month"] == "2026-12"
    assert (page["this_month"]["completed"], page["this_month"]["on_time"]) == (1, 0)
    assert page["this_month"]["overdue_tasks"] == []

    november = me.my_page(co.m1, sh(11, 30, 23, 45))
    assert november["this_month"]["month"] == "2026-11"
    # Due in November up to now, and late: T4 (open past 11-20) and T2 (due 18:00; the
    # fixture already holds its completion after the deadline).
    assert [t["number"] for t in november["this_month"]["overdue_tasks"]] == [4, 2]
    assert (november["this_month"]["completed"], november["this_month"]["on_time"]) == (2, 2)


def test_my_page_of_an_idle_user_is_all_zero(co):
    page = me.my_page(co.m3, NOW)
    assert page["counts"] == {"todo": 0, "todo_overdue": 0, "todo_new": 0, "done": 0,
                              "created": 0, "overdue": 0}
    assert all(m["received"] == m["completed"] == 0 for m in page["monthly"])
    assert page["this_month"]["on_time_rate_display"] == "—"
