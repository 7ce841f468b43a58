"""When a notice may go: quiet hours hold every notice that is not urgent (workflow notices
too, not only reminders) and the morning sends one summary; a "failed:user block" delivery
report pauses pushes to that user until they write again. Through the signed webhook, the
outbox, a real RQ worker and the WeChat mock, with the clock moved to the night."""
from datetime import datetime, timedelta

from jobs import scans
from store import tasks
from store.models import Notification, User, WeChatBinding
from tests.chat_fixtures import chat, clock, jobs_use_mock, sent_fields, world  # noqa: F401
from tests.factories import SH, make_task


def test_workflow_notices_at_night_wait_for_one_morning_summary_urgent_ones_go(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker, clock):
    w = world
    alice, h1 = chat(w.alice), chat(w.h1)
    User.update(digest_opt_in=False).where(User.id == w.h1.id).execute()
    night = datetime(2026, 12, 1, 23, 0, tzinfo=SH)
    clock.move_to(night)

    reply = alice.say("新建 核对发票 @张一 后天18:00")
    number = reply.split()[1]
    assert alice.say(f"评论 {number} 发票已放在共享盘")
    assert sent_fields(redis_conn, worker, wechat_mock, h1) == []
    held = list(Notification.select().where(Notification.user == w.h1.id))
    morning = datetime(2026, 12, 2, 8, 5, tzinfo=SH)
    assert [(n.kind, n.not_before) for n in held] == [("task_received", morning), ("comment", morning)]

    urgent = tasks.create_task(w.alice, w.project.id, "客户投诉加急处理", now=night + timedelta(minutes=1),
                               due_at=night + timedelta(days=3), priority="urgent",
                               assignee_id=w.h1.id)
    [sent] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert sent["thing1"] == f"#{urgent.number} 客户投诉加急处理" and sent["phrase4"] == "待处理"

    at_eight = datetime(2026, 12, 2, 8, 1, tzinfo=SH)
    clock.move_to(at_eight)
    scans.scan_all(at_eight)
    [summary] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert summary["thing1"] == "夜间提醒2条"
    statuses = Notification.select(Notification.status).where(Notification.id.in_([n.id for n in held]))
    assert {n.status for n in statuses} == {"dropped"}  # the summary stands for them


def test_a_user_block_report_pauses_pushes_until_the_user_writes(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker, wx):
    w = world
    alice, h1 = chat(w.alice), chat(w.h1)
    task = make_task(w, assignee=w.h1, creator=w.alice)
    sent_fields(redis_conn, worker, wechat_mock, h1)
    sent = Notification.get(Notification.user == w.h1.id, Notification.status == "sent")
    wx.push({"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": sent.msgid,
             "Status": "failed:user block"}, openid=h1.openid)
    assert WeChatBinding.get(WeChatBinding.user == w.h1.id).blocked_at is not None

    alice.say(f"评论 #{task.number} 请今天处理")
    assert sent_fields(redis_conn, worker, wechat_mock, h1) == []
    paused = Notification.get(Notification.user == w.h1.id, Notification.kind == "comment")
    assert (paused.status, paused.last_error) == ("dropped", "user blocked the account's messages")
    assert paused.message_id is not None  # still in the user's 消息 list

    h1.say("待办")  # writing to the account again lifts the pause
    assert WeChatBinding.get(WeChatBinding.user == w.h1.id).blocked_at is None
    alice.say(f"评论 #{task.number} 供应商已回复")
    [comment] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert comment["phrase4"] == "新评论" and comment["thing5"] == "供应商已回复"


def test_other_failed_reports_do_not_pause(chat, world, jobs_use_mock, wechat_mock, redis_conn,
                                          worker, wx):
    w = world
    h1 = chat(w.h1)
    make_task(w, assignee=w.h1, creator=w.alice)
    sent_fields(redis_conn, worker, wechat_mock, h1)
    sent = Notification.get(Notification.user == w.h1.id, Notification.status == "sent")
    wx.push({"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": sent.msgid,
             "Status": "failed: system failed"}, openid=h1.openid)
    assert WeChatBinding.get(WeChatBinding.user == w.h1.id).blocked_at is None


def test_a_digest_reader_finds_the_nights_workflow_notice_in_the_digest(
        chat, world, jobs_use_mock, wechat_mock, redis_conn, worker, clock):
    w = world
    alice, h1 = chat(w.alice), chat(w.h1)
    clock.move_to(datetime(2026, 12, 1, 23, 30, tzinfo=SH))
    alice.say("新建 核对发票 @张一 后天18:00")
    assert sent_fields(redis_conn, worker, wechat_mock, h1) == []
    [held] = Notification.select().where(Notification.user == w.h1.id)
    assert held.not_before == datetime(2026, 12, 2, 9, 5, tzinfo=SH)  # the digest, not 08:00

    nine = datetime(2026, 12, 2, 9, 0, tzinfo=SH)
    clock.move_to(nine)
    scans.scan_all(nine)
    [digest] = sent_fields(redis_conn, worker, wechat_mock, h1)
    assert digest["phrase4"] == "每日摘要"
    assert Notification.get_by_id(held.id).status == "dropped"
    body = Notification.get(Notification.kind == "digest").message.body
    assert "核对发票" in body
