"""我的 / 统计 / 项目 / 公告 / 反馈."""
from datetime import timedelta

from handlers import texts
from menus.keys import MenuKey
from store import messages, projects
from store.models import Feedback
from tests.chat_fixtures import T0, chat, clock, talk, world  # noqa: F401
from tests.factories import make_task


def test_my_page_counts(chat, world):
    make_task(world, assignee=world.h1, now=T0 - timedelta(days=3), due=T0 - timedelta(days=1),
              title="逾期的")
    done = make_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    h1.say(f"完成 #{done.number}")
    reply = h1.say("我的")
    assert reply.startswith("张一\n待办 1（已过期 1）　已办 1　我创建的 0　累计逾期 1")
    assert "本月（2026-12）：完成 1，按时 1，按时率 100.0%" in reply
    assert "12月 0/1" in reply and "11月 2/0" in reply
    assert h1.click(MenuKey.ME) == reply


def test_company_admin_sees_statistics(chat, world):
    done = make_task(world, assignee=world.h1)
    chat(world.h1).say(f"完成 #{done.number}")
    reply = chat(world.admin).say("统计")
    assert reply.startswith("本月统计（2026-12-01~2026-12-31）")
    assert "本周（2026-11-30~2026-12-06）" in reply
    assert "张一：1/0/0 | 1/0/100.0%" in reply


def test_department_admin_sees_statistics_member_is_refused(chat, world):
    assert chat(world.dadmin).click(MenuKey.STATS).startswith("本月统计")
    assert chat(world.alice).say("stats") == "只有管理员可以查看统计"


def test_projects_list_and_one_project(chat, world):
    projects.create_project(world.admin, "采购项目", member_ids=[world.h1.id])
    task = make_task(world, assignee=world.h1, title="运营的活")
    h1 = chat(world.h1)
    reply = h1.click(MenuKey.PROJECTS)
    assert reply.startswith(texts.PROJECTS_HEADER.format(total=2))
    assert "1. 运营项目（默认）" in reply and "2. 采购项目" in reply
    reply = h1.say("项目 1")
    assert reply.startswith("项目：运营项目\n成员（7）：管理员、爱丽丝、张一")
    assert f"1. #{task.number} 运营的活" in reply
    assert h1.say("详情 1").startswith(f"#{task.number}")  # the project's tasks are the list now
    assert h1.say("项目 采购").endswith(texts.PROJECT_NO_TASKS)
    assert h1.say("项目 9") == texts.PROJECT_REF_STALE.format(n=9)
    assert chat(world.alice).say("项目 采购") == texts.PROJECT_UNKNOWN.format(name="采购")


def test_news_lists_announcements(chat, world):
    assert chat(world.alice).say("公告") == texts.NEWS_EMPTY
    messages.create_announcement(None, "feature", "新功能：每日摘要", "每天9点一条")
    messages.create_announcement(world.company.id, "system", "系统维护通知")
    reply = chat(world.alice).click(MenuKey.NEWS)
    assert "【新功能】新功能：每日摘要" in reply and "【系统公告】系统维护通知" in reply
    assert "每天9点一条" in reply


def test_feedback_one_line_and_by_dialog(chat, world):
    alice = chat(world.alice)
    assert alice.say("反馈 希望支持语音建任务") == texts.FEEDBACK_THANKS
    assert alice.click(MenuKey.FEEDBACK) == texts.FEEDBACK_ASK
    assert alice.say("导出Excel") == texts.FEEDBACK_THANKS
    talk(alice, [("feedback", texts.FEEDBACK_ASK), ("取消", texts.CANCELLED)])
    assert [f.body for f in Feedback.select().order_by(Feedback.id)] == ["希望支持语音建任务", "导出Excel"]
