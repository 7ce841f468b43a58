"""The periodic scans with an explicit `now`: due soon, overdue, escalation, their dedupe,
their index-range queries, and two scans running at the same time."""
import threading
from datetime import timedelta

import pytest

from jobs import scans
from store.db import db
from store.models import Company, Notification, Scenario, Task, User
from store import outbox
from store.outbox import take_created
from tests.factories import drive, make_task, make_world
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import local, make_due_task, rows


def kinds(kind):
    return [(r.user_id, r.dedupe_key) for r in rows(kind=kind)]


def no_digest(*users):
    User.update(digest_opt_in=False).where(User.id.in_([u.id for u in users])).execute()


def test_due_soon_sends_each_lead_once_to_the_current_handler(world):
    due = local(12, 2, 15)  # a Wednesday afternoon, far from quiet hours
    task = make_due_task(world, due, watchers=[world.watcher])

    assert scans.queue_due_soon(due - timedelta(hours=25)) == 0
    assert scans.queue_due_soon(due - timedelta(hours=23)) == 1
    assert scans.queue_due_soon(due - timedelta(hours=22)) == 0  # the same lead again
    assert scans.queue_due_soon(due - timedelta(hours=1, minutes=30)) == 1
    assert scans.queue_due_soon(due - timedelta(minutes=5)) == 0

    reminders = rows(kind="due_soon")
    assert {r.user_id for r in reminders} == {world.h1.id}
    assert [r.dedupe_key.split(":")[3] for r in reminders] == ["24h", "2h"]
    stored_due = Task.get_by_id(task.id).due_at  # UTC, as the scan reads it
    assert reminders[0].dedupe_key == f"due_soon:{task.id}:1:24h:{stored_due.isoformat()}"
    assert reminders[0].data["state"] == "即将到期" and reminders[0].not_before == due - timedelta(hours=23)


def test_lead_times_come_from_company_settings(world):
    Company.update(settings={"reminder_hours": [4]}).execute()
    due = local(12, 2, 15)
    make_due_task(world, due)
    assert scans.queue_due_soon(due - timedelta(hours=23)) == 0
    assert scans.queue_due_soon(due - timedelta(hours=3)) == 1
    assert [r.dedupe_key.split(":")[3] for r in rows(kind="due_soon")] == ["4h"]


def test_a_lead_that_opened_before_the_task_existed_is_skipped(world):
    due = local(12, 2, 15)
    make_due_task(world, due, created=due - timedelta(hours=5))  # came with its deadline
    assert scans.queue_due_soon(due - timedelta(hours=4)) == 0
    assert scans.queue_due_soon(due - timedelta(hours=2)) == 1


def test_after_a_scheduler_outage_only_the_nearest_lead_is_sent(world):
    due = local(12, 2, 15)
    make_due_task(world, due)
    assert scans.queue_due_soon(due - timedelta(hours=1)) == 1
    assert [r.dedupe_key.split(":")[3] for r in rows(kind="due_soon")] == ["2h"]


def test_moved_deadline_gets_its_own_reminders(world):
    due = local(12, 2, 15)
    task = make_due_task(world, due)
    assert scans.queue_due_soon(due - timedelta(hours=23)) == 1
    Task.update(due_at=due + timedelta(days=1)).where(Task.id == task.id).execute()
    assert scans.queue_due_soon(due + timedelta(days=1) - timedelta(hours=23)) == 1
    assert scans.queue_due_soon(due + timedelta(days=1) - timedelta(hours=22)) == 0


def test_workflow_reminder_follows_the_current_node(world):
    due = local(12, 2, 15)
    task = make_task(world, nodes=[world.h1, world.h2], now=due - timedelta(days=3), due=due)
    assert scans.queue_due_soon(due - timedelta(hours=23)) == 1
    drive(task, ["complete"], now=due - timedelta(hours=22))
    assert scans.queue_due_soon(due - timedelta(hours=21)) == 1  # node 2's handler
    assert [r.user_id for r in rows(kind="due_soon")] == [world.h1.id, world.h2.id]


def test_finished_and_deleted_tasks_get_no_reminders(world):
    due = local(12, 2, 15)
    done = make_due_task(world, due)
    drive(done, ["complete"], now=due - timedelta(days=2))
    gone = make_due_task(world, due)
    Task.update(deleted_at=due - timedelta(days=2)).where(Task.id == gone.id).execute()
    assert scans.queue_due_soon(due - timedelta(hours=1)) == 0
    assert scans.queue_overdue(due + timedelta(minutes=1)) == 0


def test_overdue_at_the_deadline_then_daily_at_nine(world):
    no_digest(world.h1)
    due = local(12, 2, 15)
    task = make_due_task(world, due)

    assert scans.queue_overdue(due - timedelta(minutes=1)) == 0
    assert scans.queue_overdue(due + timedelta(minutes=1)) == 1
    assert scans.queue_overdue(due + timedelta(hours=3)) == 0
    assert scans.queue_overdue(local(12, 3, 8, 59)) == 0  # the next day, before 09:00
    assert scans.queue_overdue(local(12, 3, 9, 0)) == 1
    assert scans.queue_overdue(local(12, 3, 9, 30)) == 0
    assert scans.queue_overdue(local(12, 4, 9, 1)) == 1

    assert [r.dedupe_key for r in rows(kind="overdue")] == [
        f"overdue:{task.id}:1:2026-12-02", f"overdue:{task.id}:1:2026-12-03", f"overdue:{task.id}:1:2026-12-04"]
    assert {r.user_id for r in rows(kind="overdue")} == {world.h1.id}


def test_digest_users_get_the_deadline_notice_but_no_daily_repeat(world):
    due = local(12, 2, 15)
    make_due_task(world, due)  # h1 gets the digest (the default)
    assert scans.queue_overdue(due + timedelta(minutes=1)) == 1
    assert scans.queue_overdue(local(12, 3, 9, 0)) == 0


def test_escalation_reaches_the_scenario_users_once(world):
    scenario = Scenario.create(company=world.company.id, name="缺货", kind="order.out_of_stock",
                               escalate_to_ids=[world.admin.id, world.dadmin.id])
    due = local(12, 2, 15)
    make_due_task(world, due, scenario_id=scenario.id)
    make_due_task(world, due)  # no scenario: no escalation

    assert scans.queue_escalations(due - timedelta(minutes=1)) == 0
    assert scans.queue_escalations(due + timedelta(minutes=1)) == 2
    assert scans.queue_escalations(due + timedelta(minutes=2)) == 0
    assert scans.queue_escalations(local(12, 3, 9, 0)) == 0
    assert sorted(u for u, _ in kinds("escalation")) == sorted([world.admin.id, world.dadmin.id])


@pytest.mark.parametrize("due_from", [local(12, 2, 0), None])  # the minute's pass; the daily one
def test_scans_read_an_index_range_not_every_task(world, due_from):
    from playhouse.test_utils import count_queries
    make_due_task(world, local(12, 2, 15))
    company = Company.get()
    with count_queries() as counted:
        assert scans._open_tasks(company, due_from, local(12, 3, 0))
    statements = [q.msg for q in counted.get_queries()]
    (tasks_sql, tasks_params), (nodes_sql, nodes_params) = statements
    plan = lambda sql, params: " ".join(  # noqa: E731
        str(row) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    tasks_plan = plan(tasks_sql, tasks_params)
    assert "USING INDEX task_company_id_status_due_at" in tasks_plan, tasks_plan
    assert ("due_at>? AND due_at<?" if due_from else "due_at<?") in tasks_plan, tasks_plan
    nodes_plan = plan(nodes_sql, nodes_params)  # the current nodes of those tasks only
    assert "USING INDEX" in nodes_plan and "task_id=?" in nodes_plan, nodes_plan


def test_sweeper_query_finds_due_rows_only(world):
    now = local(12, 2, 15)
    make_due_task(world, local(12, 5, 15))
    Notification.update(not_before=now).execute()
    assert outbox.find_due(now) == []
    assert len(outbox.find_due(now + timedelta(minutes=2))) == 1
    Notification.update(status="sent").execute()
    assert outbox.find_due(now + timedelta(minutes=2)) == []


@pytest.fixture
def shared_world(any_db):
    take_created()
    w = make_world()
    no_digest(w.h1, w.h2)
    scenario = Scenario.create(company=w.company.id, name="缺货", kind="order.out_of_stock",
                               escalate_to_ids=[w.admin.id])
    due = local(12, 2, 15)
    for i in range(6):
        make_due_task(w, due + timedelta(minutes=i), handler=w.h1 if i % 2 else w.h2,
                      scenario_id=scenario.id if i < 3 else None, title=f"任务{i}")
    return w


@pytest.mark.parametrize("when", [(12, 2, 13, 30), (12, 2, 15, 10), (12, 3, 9, 0)])
def test_two_scans_at_the_same_time_queue_nothing_twice(shared_world, when):
    now = local(*when)
    errors = []
    barrier = threading.Barrier(2)

    def scan():
        try:
            barrier.wait()
            scans.scan_all(now)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reminders = [r for r in rows() if r.kind != "task_received"]
    assert reminders, "the scan found something to remind"
    keys = [r.dedupe_key for r in reminders]
    assert len(keys) == len(set(keys))
    before = len(rows())
    scans.scan_all(now)
    assert len(rows()) == before


WHOLE_TABLE_OK = {"company"}  # one row per customer: every pass walks the companies


def _plans(statements) -> list[tuple[str, str]]:
    """(table, plan line) for every full-table read in these statements' SQLite plans."""
    import re
    scans_found = []
    for sql, params in statements:
        if not sql.startswith("SELECT"):
            continue
        aliases = dict(re.findall(r'(?:FROM|JOIN) "(\w+)" AS "(\w+)"', sql))
        aliases = {alias: table for table, alias in aliases.items()}
        for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall():
            line = str(row[-1])
            match = re.match(r"SCAN (\w+)", line)
            if match and "USING" not in line:
                scans_found.append((aliases.get(match[1], match[1]), sql))
    return scans_found


@pytest.mark.parametrize("hour", [9, 15])  # the digest's hour (daily passes) and any other
def test_no_periodic_pass_reads_every_task_or_notification(world, hour):
    """Every scan, the daily overdue pass, the digest, the summaries and the sweeper are
    index ranges over the work due: SQLite's plan of each statement names an index for
    every table but the companies."""
    from playhouse.test_utils import count_queries
    now = local(12, 2, hour, 0)
    for i, hours in enumerate((-30, -2, 1, 3, 30)):
        make_due_task(world, now + timedelta(hours=hours), title=f"任务{i}")
    with count_queries() as counted:
        scans.scan_all(now)
        outbox.find_due(now)
    statements = [q.msg for q in counted.get_queries()]
    assert any('"task"' in sql for sql, _ in statements)
    full = [(table, sql) for table, sql in _plans(statements) if table not in WHOLE_TABLE_OK]
    assert not full, "\n".join(f"{table}: {sql}" for table, sql in full)


def test_sweeper_reads_an_index_range_of_due_rows(world):
    from playhouse.test_utils import count_queries
    with count_queries() as counted:
        outbox.find_due(local(12, 2, 15))
    [(sql, params)] = [q.msg for q in counted.get_queries()]
    plan = " ".join(str(r[-1]) for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert plan.count("USING COVERING INDEX notification_status_not_before") == 2, plan
