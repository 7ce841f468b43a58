"""Voice: WeChat's recognition text (no spaces, Chinese numerals, a full stop at the end)
goes through the same commands as typed text."""
from datetime import datetime

import pytest

from bot.router import Ctx
from handlers import texts
from handlers.voice import chinese_number, read_voice
from store.models import Task
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.factories import make_task

HEARD = [  # (recognition text, the command it reads as)
    ("待办。", "待办"),
    ("待办", "待办"),
    ("我的待办。", "我的待办"),
    ("消息列表。", "消息列表"),
    ("已办。", "已办"),
    ("我创建的。", "我创建的"),
    ("关注。", "关注"),
    ("帮助。", "帮助"),
    ("完成一。", "完成 1"),
    ("完成1。", "完成 1"),
    ("完成第一条。", "完成 1"),
    ("完成第二个", "完成 2"),
    ("完成十二。", "完成 12"),
    ("完成井号十二。", "完成 #12"),
    ("完成井号一百零五", "完成 #105"),
    ("详情第三条", "详情 3"),
    ("详情三。", "详情 3"),
    ("详情二十五。", "详情 25"),
    ("查看第四条。", "查看 4"),
    ("开始二。", "开始 2"),
    ("撤回一。", "撤回 1"),
    ("催办两。", "催办 2"),
    ("转办二给李四。", "转办 2 @李四"),
    ("转办一交给张一。", "转办 1 @张一"),
    ("回退一资料不全。", "回退 1 资料不全"),
    ("回退第一条，资料不全。", "回退 1 资料不全"),
    ("评论三已联系供应商。", "评论 3 已联系供应商"),
    ("标记二。", "标记 2"),
    ("取消标记一。", "取消标记 1"),
    ("消息三。", "消息 3"),
    ("项目一。", "项目 1"),
    ("新建核对发票明天下午五点。", "新建 核对发票 明天下午五点"),
    ("新建盘点仓库后天上午十点。", "新建 盘点仓库 后天上午十点"),
    ("新建核对发票。", "新建 核对发票"),
    ("新建三份报告周五。", "新建 三份报告 周五"),
    ("你好。", "你好"),
    ("取消。", "取消"),
    ("Todo.", "todo"),
]


@pytest.mark.parametrize("heard, typed", HEARD)
def test_recognition_text_reads_as_the_typed_command(app, heard, typed):
    router = app.extensions["twork.router"]
    ctx = Ctx(openid="o", kind="voice", now=datetime(2026, 12, 1, 10, 0, tzinfo=T0.tzinfo),
              session=None, settings=None, text=heard)
    assert read_voice(ctx, router) == typed


@pytest.mark.parametrize("spoken, number", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20),
                                            ("九十九", 99), ("一百零五", 105), ("幺二三", 123),
                                            ("两", 2), ("12", 12), ("五个", None), ("", None)])
def test_chinese_numbers(spoken, number):
    assert chinese_number(spoken) == number


def test_voice_completes_opens_and_creates(chat, wx, world):
    first = make_task(world, assignee=world.h1, title="第一件")
    make_task(world, assignee=world.h1, title="第二件")
    third = make_task(world, assignee=world.h1, title="第三件")
    h1 = chat(world.h1)
    assert wx.voice("待办。", openid=h1.openid).startswith(texts.TODO_HEADER.format(total=3, overdue=""))
    assert wx.voice("详情第三条", openid=h1.openid).startswith(f"#{third.number} 第三件")
    assert wx.voice("完成一。", openid=h1.openid).startswith(f"已完成 #{first.number} 第一件")
    reply = wx.voice("新建核对发票明天下午五点。", openid=h1.openid)
    task = Task.get(Task.title == "核对发票")
    assert reply == texts.CREATED.format(number=task.number, title="核对发票",
                                         assignee="张一（我）", due="12-02 17:00")


def test_a_voice_message_without_recognition_says_so(chat, wx, world):
    h1 = chat(world.h1)
    assert wx.voice("", openid=h1.openid) == texts.VOICE_EMPTY
    assert wx.voice("", openid="o_unbound") == texts.VOICE_EMPTY
