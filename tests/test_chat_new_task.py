"""新建: the one-line form and the guided dialog, one test per edge of its diagram."""
from datetime import datetime, timedelta

import pytest

from bot.router import Router
from handlers import texts
from menus.keys import MenuKey
from store import directory, projects, tasks
from tests.chat_fixtures import chat, clock, talk, world  # noqa: F401
from tests.factories import SH, make_user


def created(user):
    return tasks.list_created(user)


def handler_of(task):
    return tasks.task_detail(task.creator, task.id)["nodes"][0]["handler_name"]


# --- one line --------------------------------------------------------------------------------

def test_one_line_creates_for_me_in_my_default_project(chat, world):
    reply = chat(world.alice).say("新建 核对PO123到货 明天18:00")
    [task] = created(world.alice)
    assert reply == texts.CREATED.format(number=task.number, title="核对PO123到货",
                                         assignee="爱丽丝（我）", due="12-02 18:00")
    assert task.project_id == world.project.id and handler_of(task) == "爱丽丝"


def test_one_line_with_mention_and_project(chat, world):
    from store import projects
    other = projects.create_project(world.admin, "采购项目", member_ids=[world.alice.id, world.h2.id])
    reply = chat(world.alice).say("new 催供应商发货 @王二 #采购项目 后天下午3点")
    [task] = created(world.alice)
    assert task.project_id == other.id and handler_of(task) == "王二"
    assert "截止：12-03 15:00" in reply


def test_one_line_assignee_must_be_project_member(chat, world):
    make_user(world.company.id, "outside", name="赵六")
    assert chat(world.alice).say("新建 标题 @赵六 明天") == projects.NOT_MEMBER.format(
        name="赵六", project="运营项目")
    assert created(world.alice) == []


def test_one_line_unknown_project(chat, world):
    assert chat(world.alice).say("新建 标题 #不存在 明天") == texts.PROJECT_UNKNOWN.format(name="不存在")


def test_one_line_without_deadline_asks_for_it(chat, world):
    talk(chat(world.alice), [("新建 盘点仓库", texts.ASK_DEADLINE),
                             ("明天下午", texts.ASK_DEADLINE_AGAIN.format(text="明天下午")),
                             ("明天 18:00", "已创建")])
    assert created(world.alice)[0].title == "盘点仓库"


def test_a_command_typed_while_asked_for_the_deadline_leaves_the_dialog_and_runs(chat, world):
    # a one-liner without a deadline opens the dialog: 待办 typed then is a command, not an
    # unreadable deadline: the dialog is left (and the user told so), then 待办 answers
    alice = chat(world.alice)
    talk(alice, [("新建 盘点仓库", texts.ASK_DEADLINE)])
    assert alice.say("待办") == texts.DIALOG_LEFT + "\n" + texts.TODO_EMPTY
    assert alice.say("明天18:00") == texts.HINT.format(text="明天18:00")  # no dialog any more


def test_one_line_with_past_deadline_asks_again(chat, world):
    reply = chat(world.alice).say("新建 盘点仓库 今天9:00")
    assert reply == texts.DEADLINE_PAST.format(due="12-01 09:00") + "\n" + texts.ASK_DEADLINE


def test_user_without_project_cannot_create(chat, world):
    loner = make_user(world.company.id, "loner", name="独行")
    assert chat(loner).say("新建 标题 明天") == texts.NO_PROJECT


# --- the guided dialog: one test per edge ------------------------------------------------------

def test_guided_dialog_creates_for_someone(chat, world):
    alice = chat(world.alice)
    talk(alice, [("新建", texts.ASK_TITLE), ("核对PO123到货", texts.ASK_ASSIGNEE),
                 ("@王二", texts.ASK_DEADLINE), ("周五", "请确认"), ("确认", "已创建")])
    [task] = created(world.alice)
    assert handler_of(task) == "王二"
    assert task.due_at == datetime(2026, 12, 4, 18, 0, tzinfo=SH)


def test_menu_starts_the_dialog_and_me_means_me(chat, world):
    alice = chat(world.alice)
    assert alice.click(MenuKey.NEW_TASK) == texts.ASK_TITLE
    talk(alice, [("盘点", texts.ASK_ASSIGNEE), ("我", texts.ASK_DEADLINE)])
    assert "处理人：爱丽丝（我）" in alice.say("3天后")
    alice.say("ok")
    assert handler_of(created(world.alice)[0]) == "爱丽丝"


def test_empty_title_is_asked_again(chat, world):
    talk(chat(world.alice), [("新建", texts.ASK_TITLE), (" ", texts.TITLE_EMPTY),
                             ("盘点", texts.ASK_ASSIGNEE)])


def test_title_may_carry_everything(chat, world):
    alice = chat(world.alice)
    alice.say("新建")
    assert "请确认" in alice.say("盘点 @王二 明天18:00")


def test_unknown_or_ambiguous_assignee_is_asked_again(chat, world):
    make_user(world.company.id, "outside", name="赵六")
    talk(chat(world.alice), [("新建", texts.ASK_TITLE), ("盘点", texts.ASK_ASSIGNEE),
                             ("@无名氏", directory.NAME_UNKNOWN.format(name="无名氏")),
                             ("赵六", projects.NOT_MEMBER.format(name="赵六", project="运营项目")),
                             ("h2", texts.ASK_DEADLINE)])


def test_unreadable_and_past_deadlines_are_asked_again(chat, world):
    talk(chat(world.alice), [("新建", texts.ASK_TITLE), ("盘点", texts.ASK_ASSIGNEE),
                             ("我", texts.ASK_DEADLINE),
                             ("明天3点", texts.ASK_DEADLINE_AGAIN.format(text="明天3点")),
                             ("今天 08:00", texts.DEADLINE_PAST.format(due="12-01 08:00")),
                             ("tomorrow 5pm", "截止：12-02 17:00")])


def test_confirm_step_understands_only_confirm_edit_cancel(chat, world):
    alice = chat(world.alice)
    talk(alice, [("新建", texts.ASK_TITLE), ("盘点", texts.ASK_ASSIGNEE), ("我", texts.ASK_DEADLINE),
                 ("明天", "请确认"), ("嗯？", texts.CONFIRM_AGAIN), ("修改", texts.ASK_TITLE),
                 ("重新盘点", texts.ASK_ASSIGNEE), ("我", texts.ASK_DEADLINE), ("后天", "请确认"),
                 ("确认", "已创建")])
    assert [t.title for t in created(world.alice)] == ["重新盘点"]


@pytest.mark.parametrize("steps", [[], ["盘点"], ["盘点", "我"], ["盘点", "我", "明天"]])
def test_cancel_at_any_step(chat, world, steps):
    alice = chat(world.alice)
    alice.say("新建")
    for text in steps:
        alice.say(text)
    assert alice.say("取消") == texts.CANCELLED
    assert created(world.alice) == []
    assert alice.say("待办") == texts.TODO_EMPTY  # the dialog is over


def test_dialog_expires_after_ten_minutes_with_a_note(chat, world, clock):
    alice = chat(world.alice)
    talk(alice, [("新建", texts.ASK_TITLE), ("盘点", texts.ASK_ASSIGNEE)])
    clock.shift(timedelta(minutes=9))
    assert alice.say("我") == texts.ASK_DEADLINE  # each answer gives another 10 minutes
    clock.shift(timedelta(minutes=11))
    reply = alice.say("待办")
    assert reply == texts.DIALOG_EXPIRED + "\n\n" + texts.TODO_EMPTY
    assert created(world.alice) == []


def test_deadline_passing_while_confirming_is_asked_again(chat, world, clock):
    clock.move_to(datetime(2026, 12, 1, 17, 55, tzinfo=SH))
    alice = chat(world.alice)
    talk(alice, [("新建", texts.ASK_TITLE), ("盘点", texts.ASK_ASSIGNEE), ("我", texts.ASK_DEADLINE),
                 ("18:00", "请确认")])
    clock.shift(timedelta(minutes=6))
    assert alice.say("确认").startswith(texts.DEADLINE_PAST.format(due="12-01 18:00"))
    talk(alice, [("明天18:00", "请确认"), ("确认", "已创建")])


def test_new_task_flow_is_mounted(app):
    router: Router = app.extensions["twork.router"]
    assert "new_task" in router.flows and "feedback" in router.flows
