"""Transcripts of the chat as a new user meets it: words kept as typed, replies that fit,
feedback replies that can be read, commands that leave dialogs, menu labels as text."""
from datetime import timedelta

import pytest

from bot.wire import MAX_REPLY_BYTES
from handlers import texts
from store import directory
from handlers.replies import size
from bot.queues import enqueue_created_notifications
from menus.keys import MenuKey
from store import messages, projects
from store.models import Comment, Feedback, Task
from tests.chat_fixtures import T0, chat, clock, jobs_use_mock, talk, world  # noqa: F401
from tests.factories import make_task


# --- 1. the user's words are kept ----------------------------------------------------------

def test_titles_comments_and_reasons_keep_full_width_punctuation(chat, world):
    alice = chat(world.alice)
    reply = alice.say("新建 核对发票（紧急）：先查，再付！ 明天18:00")
    task = Task.get(Task.creator == world.alice.id)
    assert task.title == "核对发票（紧急）：先查，再付！"
    assert "核对发票（紧急）：先查，再付！" in reply
    # full-width command words, references and mentions are still understood
    assert alice.say(f"评论　＃{task.number}　已联系，明天到（预计）") == texts.COMMENTED.format(
        number=task.number, title="核对发票（紧急）：先查，再付！")
    assert Comment.get(Comment.task == task.id).body == "已联系，明天到（预计）"
    chat(world.alice).say("反馈 希望支持导出（Excel）！")
    assert Feedback.get(Feedback.user == world.alice.id).body == "希望支持导出（Excel）！"


# --- 2. replies fit and end cleanly --------------------------------------------------------

def test_a_long_todo_ends_with_how_many_more_and_its_footer(chat, world):
    for i in range(60):
        make_task(world, assignee=world.h1, title=f"核对第{i}批货物的到货数量与采购单是否一致")
    reply = chat(world.h1).say("待办")
    assert size(reply) <= MAX_REPLY_BYTES
    assert reply.endswith(texts.TODO_FOOTER)
    shown = sum(1 for line in reply.splitlines() if line.split(".")[0].isdigit())
    assert 0 < shown < 60 and texts.MORE.format(n=60 - shown) in reply


def test_messages_beyond_the_first_page_are_counted(chat, world):
    for i in range(20):
        make_task(world, assignee=world.h1, title=f"任务{i}")
    reply = chat(world.h1).say("消息")
    shown = sum(1 for line in reply.splitlines() if line.split(".")[0].isdigit())
    assert shown == 15 and texts.MORE.format(n=5) in reply
    assert reply.endswith(texts.MESSAGES_FOOTER)


def test_one_project_keeps_its_header_lines(chat, world):
    projects.create_project(world.admin, "采购项目", member_ids=[world.h1.id])
    reply = chat(world.h1).say("项目 采购")
    assert reply.startswith("项目：采购项目\n成员（2）：")
    assert reply.endswith("\n" + texts.PROJECT_NO_TASKS)


# --- 3. feedback replies are readable ----------------------------------------------------------

def test_a_feedback_reply_is_in_the_template_the_list_and_opens(chat, world, jobs_use_mock,
                                                                 wechat_mock, worker, redis_conn):
    alice = chat(world.alice)
    assert alice.say("反馈 能导出Excel吗？") == texts.FEEDBACK_THANKS
    feedback = Feedback.get(Feedback.user == world.alice.id)
    messages.reply_feedback(world.company.id, feedback.id, "可以：在「统计」页点下载CSV。", T0)
    enqueue_created_notifications(redis_conn)
    worker()
    [sent] = wechat_mock.sent_to(alice.openid)
    assert sent["data"]["thing1"] == "可以：在「统计」页点下载CSV。"
    assert sent["data"]["thing3"] == "服务团队"
    listing = alice.say("消息")
    assert "1. ●您的反馈已回复：可以：在「统计」页点下载CSV。" in listing
    opened = alice.say("消息 1")
    assert opened.startswith("您的反馈已回复\n12-01 10:00\n可以：在「统计」页点下载CSV。")
    assert opened.endswith(texts.MESSAGE_FOOTER.format(n=1))
    alice.say("消息")
    assert alice.say("详情 1") == opened  # a message about no task opens itself


def test_a_message_about_a_task_still_opens_the_task(chat, world):
    task = make_task(world, assignee=world.h1, title="核对到货")
    h1 = chat(world.h1)
    h1.say("消息")
    assert h1.say("详情 1").startswith(f"#{task.number} 核对到货")
    assert texts.MESSAGE_TASK.format(number=task.number, title="核对到货") in h1.say("消息 1")


# --- 4. commands escape dialogs ----------------------------------------------------------------

def test_a_command_leaves_the_feedback_dialog_and_runs(chat, world):
    alice = chat(world.alice)
    assert alice.click(MenuKey.FEEDBACK) == texts.FEEDBACK_ASK
    assert alice.say("待办") == texts.DIALOG_LEFT + "\n" + texts.TODO_EMPTY
    assert Feedback.select().count() == 0


def test_a_dialog_started_from_the_late_reason_question_gets_its_own_expiry(chat, world, clock):
    task = make_task(world, assignee=world.h1, now=T0 - timedelta(days=3),
                     due=T0 - timedelta(days=1))
    h1 = chat(world.h1)
    assert h1.say(f"完成 #{task.number}").endswith(texts.LATE_ASK)
    assert h1.say("新建") == texts.DIALOG_LEFT + "\n" + texts.ASK_TITLE
    clock.shift(timedelta(minutes=15))  # past 新建's 10 minutes, within the question's 30
    assert h1.say("买胶带").startswith(texts.DIALOG_EXPIRED)


def test_a_refused_step_in_a_dialog_is_asked_again(chat, world):
    alice = chat(world.alice)
    talk(alice, [("新建", texts.ASK_TITLE), ("盘点", texts.ASK_ASSIGNEE),
                 ("@没有这个人", directory.NAME_UNKNOWN.format(name="没有这个人")),
                 ("我", texts.ASK_DEADLINE)])


# --- 5. menu labels typed as text; unbound users ---------------------------------------------

@pytest.mark.parametrize("label, key", [("我的待办", MenuKey.TODO), ("新建任务", MenuKey.NEW_TASK),
                                        ("我的项目", MenuKey.PROJECTS), ("消息列表", MenuKey.MESSAGES),
                                        ("个人中心", MenuKey.ME), ("公告", MenuKey.NEWS)])
def test_a_menu_label_typed_does_what_the_click_does(chat, world, label, key):
    alice = chat(world.alice)
    clicked = alice.click(key)
    alice.say("取消")  # 新建任务 opens a dialog
    assert alice.say(label) == clicked


def test_an_unbound_user_gets_the_binding_instructions_for_any_text(chat, world):
    stranger = chat(openid="o_nobody", bound=False)
    for text in ("你好", "待办", "我的待办", "完成 1"):
        assert stranger.say(text) == texts.NEED_BIND
    assert stranger.say("帮助").startswith(texts.HELP_HEADER)
