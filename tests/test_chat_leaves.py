"""请假 / 销假 / 我的请假 by chat transcript (SPEC §9 leave delegation), and 详情 showing
"李三(代张一)". T0 is Tuesday 12-01 10:00 in Shanghai."""
from datetime import datetime, timedelta

from handlers import texts
from store import directory, leaves
from store.models import Leave, Notification, TaskNode
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.factories import SH, make_task


def handler_of(task, seq=1):
    return TaskNode.get(TaskNode.task == task.id, TaskNode.seq == seq).handler_id


def test_member_requests_a_leave_and_sees_it_listed(chat, world):
    h1 = chat(world.h1)
    reply = h1.say("请假 12-08 至 12-10 交给 @李三")
    assert reply.startswith("已登记请假：12-08 至 12-10（3天），期间由李三代办。")
    assert texts.LEAVE_SCHEDULED_NOTE.format(delegate="李三") in reply
    leave = Leave.get()
    assert (leave.user_id, leave.delegate_id, leave.status) == (world.h1.id, world.h3.id,
                                                                "scheduled")
    assert leave.starts_at == datetime(2026, 12, 8, tzinfo=SH)
    assert leave.ends_at == datetime(2026, 12, 11, tzinfo=SH)
    listing = h1.say("我的请假")
    assert "1. 12-08 至 12-10 · 代办人 李三 · 待生效" in listing
    assert texts.LEAVES_FOOTER in listing
    assert "代张一：12-08 至 12-10 · 待生效" in chat(world.h3).say("leaves")


def test_other_spellings_of_the_period(chat, world):
    h1, h2 = chat(world.h1), chat(world.h2)
    assert "12-08 至 12-10（3天）" in h1.say("请假 12-08 12-10 @h3")
    assert "12-14 至 12-15（2天）" in h2.say("leave 12-14 to 12-15 @h3")
    assert "12-02 至 12-02（1天）" in chat(world.alice).say("请假 明天 @李三")
    assert "12-20 至 12-21（2天）" in chat(world.watcher).say("请假12-20到12-21给@李三")


def test_bad_requests_say_why(chat, world):
    h1 = chat(world.h1)
    assert h1.say("请假") == texts.LEAVE_USAGE
    assert h1.say("请假 12-08 至 12-10") == texts.LEAVE_USAGE  # nobody to hand over to
    assert h1.say("请假 某天 至 12-10 @李三") == texts.LEAVE_BAD_DATE.format(text="某天")
    assert h1.say("请假 12-08 至 12-10 @张一") == "代办人不能是你自己"
    assert h1.say("请假 今天 至 明年 @李三") == texts.LEAVE_BAD_DATE.format(text="明年")
    assert "最长60天" in h1.say("请假 12-08 至 02-20 @李三")
    assert h1.say("请假 12-08 至 12-10 @没这人") == directory.NAME_UNKNOWN.format(name="没这人")
    assert Leave.select().count() == 0
    h1.say("请假 12-08 至 12-10 @李三")
    assert "重叠" in h1.say("请假 12-10 至 12-12 @王二")
    assert "已登记请假" in chat(world.h3).say("请假 12-09 @王二")
    assert "李三在此期间也请假" in chat(world.alice).say("请假 12-09 @李三")


def test_a_leave_from_today_hands_over_and_detail_shows_the_stand_in(chat, world):
    task = make_task(world, creator=world.alice, nodes=[world.h1, world.h2], now=T0,
                     title="核对到货")
    h1, h3 = chat(world.h1), chat(world.h3)
    reply = h1.say("请假 今天 至 12-03 交给 @李三")
    assert texts.LEAVE_STARTED_NOTE.format(count=1, delegate="李三") in reply
    assert handler_of(task) == world.h3.id
    detail = h3.say(f"详情 #{task.number}")
    assert "1. 李三(代张一)" in detail
    assert "由李三代张一处理" in detail  # the log line
    assert f"#{task.number}" in h3.say("待办")
    assert h1.say("待办") == texts.TODO_EMPTY
    assert "只有当前节点的处理人（李三）可以完成" in h1.say(f"完成 #{task.number}")
    assert "已转到下一步：王二" in h3.say(f"完成 #{task.number}")
    summary = Notification.get(Notification.kind == "leave_started")
    assert summary.user_id == world.h3.id


def test_cancel_gives_the_nodes_back(chat, world):
    task = make_task(world, creator=world.alice, assignee=world.h1, now=T0)
    h1 = chat(world.h1)
    h1.say("请假 今天 至 12-05 @李三")
    assert handler_of(task) == world.h3.id
    reply = h1.say("销假")
    assert reply == texts.LEAVE_CANCELLED.format(start="12-01", end="12-05", delegate="李三",
                                                 note=texts.LEAVE_RETURNED_NOTE)
    assert handler_of(task) == world.h1.id
    assert Leave.get().status == "cancelled"
    assert h1.say("销假") == texts.LEAVE_NONE
    assert "已取消" in h1.say("我的请假")


def test_cancel_by_number_and_the_english_alias(chat, world):
    h1 = chat(world.h1)
    h1.say("请假 12-08 @李三")
    h1.say("请假 12-15 @王二")
    assert h1.say("销假 3") == texts.LEAVE_PICK.format(n="3")
    assert "12-15 至 12-15（代办人 王二）" in h1.say("取消请假 2")
    assert "12-08 至 12-08（代办人 李三）" in h1.say("cancelleave")
    assert [x.status for x in Leave.select().order_by(Leave.id)] == ["cancelled", "cancelled"]


def test_the_scan_ends_a_leave_and_the_owner_gets_the_nodes_back(chat, world, clock):
    h1 = chat(world.h1)
    h1.say("请假 12-02 @李三")
    task = make_task(world, creator=world.alice, assignee=world.h1, now=T0)
    start = datetime(2026, 12, 2, tzinfo=SH)
    assert leaves.apply_leaves(start) == 1 and handler_of(task) == world.h3.id
    assert leaves.apply_leaves(start + timedelta(days=1)) == 1
    assert handler_of(task) == world.h1.id
    back = Notification.get(Notification.kind == "leave_returned")
    assert back.user_id == world.h1.id and f"#{task.number}" in back.message.body
