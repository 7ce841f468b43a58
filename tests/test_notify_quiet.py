"""Quiet hours, the morning summary and the daily digest (SPEC §9 "digest, not spam"), and
the TEMPLATESENDJOBFINISH delivery report."""
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from handlers.delivery import record_template_delivery
from jobs import notify, scans
from store import reminders
from store.models import Company, Notification, User
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import deliver, local, make_due_task, received, rows

SH = ZoneInfo("Asia/Shanghai")


def company(settings=None, tz="Asia/Shanghai"):
    return Company(code="x", name="x", timezone=tz, webhook_secret="s", settings=settings or {})


@pytest.mark.parametrize("at, until", [
    ((12, 2, 21, 59), None),
    ((12, 2, 22, 0), (12, 3, 8, 0)),
    ((12, 3, 3, 0), (12, 3, 8, 0)),
    ((12, 3, 7, 59), (12, 3, 8, 0)),
    ((12, 3, 8, 0), None),
])
def test_default_quiet_hours_are_22_to_8_company_time(at, until):
    expected = local(*until) if until else None
    assert reminders.quiet_until(company(), local(*at)) == expected


def test_quiet_hours_follow_company_settings_and_time_zone():
    custom = company({"quiet_hours": {"start": "23:30", "end": "07:00"}})
    assert reminders.quiet_until(custom, local(12, 2, 23, 0)) is None
    assert reminders.quiet_until(custom, local(12, 2, 23, 45)) == local(12, 3, 7, 0)
    assert reminders.quiet_until(company({"quiet_hours": False}), local(12, 3, 3, 0)) is None
    lunch = company({"quiet_hours": ["12:00", "13:30"]})
    assert reminders.quiet_until(lunch, local(12, 3, 12, 10)) == local(12, 3, 13, 30)
    assert reminders.quiet_until(lunch, local(12, 3, 14, 0)) is None
    berlin = ZoneInfo("Europe/Berlin")
    at = datetime(2026, 12, 2, 23, 0, tzinfo=berlin)  # 06:00 in Shanghai: quiet only in Berlin
    assert reminders.quiet_until(company(tz="Europe/Berlin"), at) == datetime(2026, 12, 3, 8, 0, tzinfo=berlin)
    assert reminders.quiet_until(company(), at) == local(12, 3, 8, 0)  # 06:00 Shanghai is quiet too


def test_non_urgent_reminders_wait_for_the_morning_urgent_ones_do_not(world):
    User.update(digest_opt_in=False).where(User.id == world.h1.id).execute()
    due = local(12, 3, 0, 30)
    make_due_task(world, due, handler=world.h1)
    make_due_task(world, due, handler=world.h2)  # h2 gets the digest: held until it
    make_due_task(world, due, handler=world.h3, priority="urgent")
    night = local(12, 2, 23, 0)

    assert scans.queue_due_soon(night) == 3

    held = {r.user_id: r.not_before for r in rows(kind="due_soon")}
    assert held[world.h1.id] == local(12, 3, 8, 5)
    assert held[world.h2.id] == local(12, 3, 9, 5)
    assert held[world.h3.id] == night


def night_of_reminders(world, user, count):
    """`count` tasks of `user` falling due after midnight: due-soon and overdue at night."""
    for i in range(count):
        make_due_task(world, local(12, 3, 0, 30 + i), handler=user, title=f"夜里到期{i}")
    scans.scan_all(local(12, 2, 23, 0))
    scans.scan_all(local(12, 3, 1, 0))


def forget_task_received():
    """The 'task received' notices of the setup count as sent long ago."""
    Notification.update(status="sent").where(Notification.kind == "task_received").execute()


def test_morning_sends_one_summary_instead_of_the_nights_backlog(world, wechat_mock, redis_conn, worker):
    User.update(digest_opt_in=False).where(User.id == world.h1.id).execute()
    night_of_reminders(world, world.h1, 3)
    held = rows(user=world.h1.id, status="pending", kind="overdue") + rows(user=world.h1.id, kind="due_soon")
    assert len(held) == 6
    forget_task_received()

    with time_machine.travel(local(12, 3, 8, 0), tick=True):
        counts = scans.scan_all(local(12, 3, 8, 0))
        deliver(redis_conn, worker)
    with time_machine.travel(local(12, 3, 8, 30), tick=True):
        notify.sweep_outbox()
        worker()

    assert counts["summaries"] == 1
    [summary] = received(wechat_mock, world.h1)
    assert summary["data"]["thing1"] == "夜间提醒6条"
    assert summary["url"] == "http://twork.test/m/todo"
    assert {r.status for r in held for r in [Notification.get_by_id(r.id)]} == {"dropped"}
    assert {Notification.get_by_id(r.id).last_error for r in held} == {"summarised"}
    assert scans.scan_all(local(12, 3, 8, 1))["summaries"] == 0


def test_a_single_held_reminder_is_just_sent_in_the_morning(world, wechat_mock, redis_conn, worker):
    User.update(digest_opt_in=False).where(User.id == world.h1.id).execute()
    make_due_task(world, local(12, 3, 12, 0), handler=world.h1)
    scans.scan_all(local(12, 3, 7, 0))  # the 24h lead, held until 08:05
    [row] = rows(kind="due_soon")
    assert row.not_before == local(12, 3, 8, 5)
    forget_task_received()
    with time_machine.travel(local(12, 3, 8, 0), tick=True):
        assert scans.scan_all(local(12, 3, 8, 0))["summaries"] == 0
    with time_machine.travel(local(12, 3, 8, 7), tick=True):
        notify.sweep_outbox()
        worker()
    assert [m["data"]["phrase4"] for m in received(wechat_mock, world.h1)] == ["即将到期"]


def test_daily_digest_for_opted_in_users_absorbs_the_held_reminders(world, wechat_mock, redis_conn, worker):
    User.update(digest_opt_in=False).where(User.id == world.h1.id).execute()
    night_of_reminders(world, world.h2, 2)  # h2 gets the digest (the default)
    make_due_task(world, local(12, 3, 18, 0), handler=world.h2, title="今天到期")
    make_due_task(world, local(12, 1, 18, 0), handler=world.h1, title="h1逾期")  # h1 opted out
    held = rows(user=world.h2.id, status="pending", kind="due_soon") + \
        rows(user=world.h2.id, status="pending", kind="overdue")
    assert len(held) == 4 and all(r.not_before == local(12, 3, 9, 5) for r in held)
    forget_task_received()

    with time_machine.travel(local(12, 3, 9, 0), tick=True):
        counts = scans.scan_all(local(12, 3, 9, 0))
        deliver(redis_conn, worker)
        assert scans.scan_all(local(12, 3, 9, 1))["digests"] == 0
    with time_machine.travel(local(12, 3, 9, 30), tick=True):
        notify.sweep_outbox()
        worker()

    [digest] = received(wechat_mock, world.h2)
    assert digest["data"]["phrase4"] == "每日摘要"
    assert digest["data"]["thing3"] == "逾期2 今日1 新0"
    assert {Notification.get_by_id(r.id).last_error for r in held} == {"summarised"}
    [row] = rows(kind="digest", user=world.h2.id)
    assert "今天到期" in row.message.body and "夜里到期0" in row.message.body
    # Opted out: no digest; the daily overdue reminder comes on its own instead.
    assert rows(kind="digest", user=world.h1.id) == []
    assert [m["data"]["phrase4"] for m in received(wechat_mock, world.h1)] == ["已逾期"]
    assert counts["digests"] >= 1


def test_digest_opt_out_is_respected_and_nothing_to_say_sends_nothing(world):
    User.update(digest_opt_in=False).where(User.id == world.h1.id).execute()
    make_due_task(world, local(12, 3, 18, 0), handler=world.h1)
    assert reminders.queue_daily_digest(local(12, 3, 9, 0)) == 0
    User.update(digest_opt_in=True).where(User.id == world.h1.id).execute()
    assert reminders.queue_daily_digest(local(12, 3, 8, 59)) == 0  # not yet
    assert reminders.queue_daily_digest(local(12, 3, 9, 0)) == 1
    assert reminders.queue_daily_digest(local(12, 3, 9, 10)) == 0
    assert [r.user_id for r in rows(kind="digest")] == [world.h1.id]  # others have no to-dos


def test_new_tasks_are_listed_in_the_digest(world):
    make_due_task(world, local(12, 9, 18, 0), created=local(12, 2, 15, 0), handler=world.h2)
    assert reminders.queue_daily_digest(local(12, 3, 9, 0)) == 1
    [row] = rows(kind="digest")
    assert row.data["from"] == "逾期0 今日0 新1" and row.data["task"] == "今日待办1项"


def test_delivery_report_is_recorded_by_msgid(world, wechat_mock, redis_conn, worker):
    make_due_task(world, local(12, 9, 18, 0), created=local(11, 30, 9, 0), handler=world.h1)
    deliver(redis_conn, worker)
    [row] = rows(status="sent")
    now = local(12, 2, 10, 0)
    ctx = SimpleNamespace(raw={"MsgID": row.msgid, "Status": "failed: system failed"}, now=now)
    assert record_template_delivery(ctx) is None
    assert Notification.get_by_id(row.id).last_error == "delivery failed: system failed"
    record_template_delivery(SimpleNamespace(raw={"MsgID": row.msgid, "Status": "success"}, now=now))
    assert Notification.get_by_id(row.id).last_error is None
    assert record_template_delivery(SimpleNamespace(raw={}, now=now)) is None
    assert reminders.record_delivery("999", "success", now) is False
