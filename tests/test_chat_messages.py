"""消息 / 标记 / 取消标记 / 待处理."""
from handlers import texts
from menus.keys import MenuKey
from store import messages
from tests.chat_fixtures import chat, clock, world  # noqa: F401
from tests.factories import make_task


def test_messages_unread_first_and_listing_marks_them_read(chat, world):
    task = make_task(world, assignee=world.h1, title="核对到货")
    h1 = chat(world.h1)
    reply = h1.say("消息")
    assert reply.startswith(texts.MESSAGES_HEADER.format(unread=1))
    assert f"1. {texts.UNREAD}新任务：核对到货 · " in reply
    assert messages.count_unread(world.h1) == 0
    assert texts.UNREAD not in h1.click(MenuKey.MESSAGES).split("\n", 1)[1]
    # 详情 N after 消息 opens the task the message is about
    assert h1.say("详情 1").startswith(f"#{task.number} 核对到货")


def test_mark_and_unmark_pending(chat, world):
    make_task(world, assignee=world.h1, title="核对到货")
    h1 = chat(world.h1)
    assert h1.say("待处理") == texts.PENDING_EMPTY
    h1.say("消息")
    assert h1.say("标记 1") == texts.MARKED.format(title="新任务：核对到货")
    reply = h1.click(MenuKey.PENDING)
    assert reply.startswith(texts.PENDING_HEADER.format(total=1)) and "📌新任务：核对到货" in reply
    assert h1.say("pending") == reply  # English: without N it lists
    assert h1.say("取消标记 1") == texts.UNMARKED.format(title="新任务：核对到货")
    assert h1.say("待处理") == texts.PENDING_EMPTY


def test_message_references_must_be_positions_of_my_list(chat, world):
    make_task(world, assignee=world.h1)
    make_task(world, assignee=world.h2)
    h1, h2 = chat(world.h1), chat(world.h2)
    assert h1.say("标记") == texts.PENDING_EMPTY
    assert h1.say("标记 1") == texts.MESSAGE_REF_STALE.format(n=1)  # no list shown yet
    h1.say("消息")
    assert h1.say("标记 5") == texts.MESSAGE_REF_STALE.format(n=5)
    assert h1.say("标记 #1") == texts.MESSAGE_REF_USAGE.format(command="标记")
    assert h2.say("标记 1") == texts.MESSAGE_REF_STALE.format(n=1)
    assert messages.list_pending(world.h1) == messages.list_pending(world.h2) == []


def test_no_messages(chat, world):
    assert chat(world.alice).say("messages") == texts.MESSAGES_EMPTY
