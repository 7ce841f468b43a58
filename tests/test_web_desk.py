"""The console's desk pages through Flask's test client, per route and role: 统计 (and the
same numbers in GET /api/v1/stats and chat 统计), 消息, 公告与资讯, 咨询反馈 and 我的资料."""
import html
import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image

from bot.queues import enqueue_created_notifications
from handlers import texts
from store import announcements, directory, late, messages, stats, trends, users, workflow
from store.db import utcnow
from store.models import Announcement, Feedback, Message, Notification, User
from tests.api_support import Api
from tests.chat_fixtures import jobs_use_mock  # noqa: F401
from tests.conftest import fake_wechat, make_app
from tests.factories import SH, make_outsider, make_task
from tests.page_support import bound
from tests.web_support import admin, as_user, text, world  # noqa: F401

T = datetime(2026, 12, 1, 10, 0, tzinfo=SH)  # the pinned clock stands at 12-02 10:00


@pytest.fixture
def app(any_db, redis_url, redis_conn, wechat_mock, tmp_path):
    """The app with its own storage folder for avatars, on SQLite and on PostgreSQL."""
    return make_app(any_db, redis_url, wechat_mock, MEDIA_DIR=str(tmp_path / "media"))


def bind(user, openid=None) -> str:
    openid = openid or f"o-{user.account}"
    code, _ = users.authorize_user(users.operator(user.company_id), user.id, utcnow())
    users.bind_wechat(openid, code, utcnow())
    return openid


def work(world):
    """December: h1 finishes a simple task on time and the first node of a workflow whose
    second node h2 now holds; h2 sits on an overdue task since November; alice finished a
    task late (supplier) in October."""
    done = make_task(world, assignee=world.h1, now=T, title="按时完成")
    workflow.complete(world.h1, done.id, T + timedelta(hours=1))
    make_task(world, assignee=world.h2, now=T - timedelta(days=3), due=T - timedelta(days=1),
              title="逾期未办")
    chain = make_task(world, nodes=[world.h1, world.h2], now=T, due=T + timedelta(days=5),
                      title="两步")
    workflow.complete(world.h1, chain.id, T + timedelta(hours=2))
    october = T - timedelta(days=40)
    old = make_task(world, assignee=world.alice, now=october, due=october + timedelta(days=1),
                    title="十月逾期")
    workflow.complete(world.alice, old.id, october + timedelta(days=3))
    late.set_late_reason(world.alice, old.id, None, "supplier", october + timedelta(days=3))


def summary(page: str) -> dict:
    return dict(re.findall(r'<b data-stat="(\w+)">([^<]*)</b>', page))


def member_rows(page: str) -> dict[int, list[str]]:
    rows = {}
    for uid, body in re.findall(r'<tr data-user="(\d+)">(.*?)</tr>', page, re.S):
        rows[int(uid)] = [html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", body)]
    return rows


# ---- 统计 ----------------------------------------------------------------------------

def test_web_api_and_chat_show_the_same_statistics(app, admin, world):
    work(world)
    api = Api(app.test_client(), world.api_key, user=world.admin)
    month, week = api.get("/stats?period=month").json, api.get("/stats?period=week").json
    assert (month["received"], month["completed"], month["on_time"]) == (3, 2, 2)

    for period, numbers in (("month", month), ("week", week)):
        page = text(admin.get(f"/app/stats?period={period}"))
        assert summary(page) == {
            "received": str(numbers["received"]), "completed": str(numbers["completed"]),
            "completion_rate": numbers["completion_rate_display"],
            "on_time": str(numbers["on_time"]), "on_time_rate": numbers["on_time_rate_display"]}
        rows = member_rows(page)
        assert set(rows) == {m["user_id"] for m in numbers["members"]}
        for m in numbers["members"]:
            name, _dept, received, done, on_time, todo, overdue, rate, punctual = rows[m["user_id"]]
            assert (name, received, done, on_time, todo, overdue, rate, punctual) == (
                m["name"], str(m["received"]), str(m["done"]), str(m["on_time"]), str(m["todo"]),
                str(m["overdue_total"]), m["completion_rate_display"], m["on_time_rate_display"])

    reply = fake_wechat(app).say("统计", openid=bind(world.admin))
    assert texts.STATS_MONTH.format(
        start=month["start"], end=month["end"], received=month["received"],
        completed=month["completed"], completion=month["completion_rate_display"],
        on_time=month["on_time"], on_time_rate=month["on_time_rate_display"]) in reply
    assert texts.STATS_WEEK.format(start=week["start"], end=week["end"], received=week["received"],
                                   completed=week["completed"],
                                   completion=week["completion_rate_display"]) in reply
    weekly = {m["user_id"]: m for m in week["members"]}
    for m in month["members"]:
        w = weekly[m["user_id"]]
        assert texts.STATS_MEMBER.format(
            name=m["name"], m_done=m["done"], m_todo=m["todo"], overdue=m["overdue_total"],
            w_done=w["done"], w_todo=w["todo"], w_rate=w["completion_rate_display"]) in reply


def test_stats_page_shows_late_reasons_and_the_twelve_month_trend(admin, world):
    work(world)
    page = text(admin.get("/app/stats?period=month&at=2026-10-15"))
    assert '<td data-reason="供应商">1</td>' in page and '<td data-reason="缺货">0</td>' in page
    assert summary(page)["completed"] == "1" and summary(page)["on_time_rate"] == "0.0%"
    trend = trends.trend(world.admin, T.date())
    assert [row["month"] for row in trend][::11] == ["2026-01", "2026-12"]
    december = stats.month_stats(world.admin, T.date())
    assert (trend[-1]["received"], trend[-1]["completed"], trend[-1]["on_time"]) == (
        december["received"], december["completed"], december["on_time"])
    assert trend[-3]["completed"] == 1 and trend[-3]["on_time_rate_display"] == "0.0%"
    assert trend[0]["completion_rate_display"] == "—"
    december_page = text(admin.get("/app/stats"))
    assert "data-trend='[{" in december_page and '"month": "2026-12"' in html.unescape(december_page)


def test_stats_csv_is_the_table_shown(admin, world):
    work(world)
    response = admin.get(f"/app/stats.csv?period=week&at=2026-12-02&department_id={world.dept.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    expected = stats.stats_csv(stats.week_stats(world.admin, T.date(), world.dept.id))
    assert response.data.decode("utf-8-sig") == expected
    assert "twork-week-2026-11-30.csv" in response.headers["Content-Disposition"]
    bad = admin.get("/app/stats.csv?at=someday")
    assert bad.status_code == 422 and "日期格式不对" in text(bad)


def test_department_admin_sees_only_their_department_members_are_refused(app, world):
    work(world)
    dadmin = as_user(app, world.dadmin)
    page = text(dadmin.get("/app/stats"))
    assert set(member_rows(page)) == {u.id for u in (world.dadmin, world.alice, world.h1, world.h2,
                                                     world.h3, world.watcher, world.stranger)}
    assert 'name="department_id"' not in page
    second = directory.create_department(world.admin, "采购部")
    assert dadmin.get(f"/app/stats?department_id={second.id}").status_code == 403
    assert as_user(app, world.alice).get("/app/stats").status_code == 403
    assert as_user(app, world.alice).get("/app/stats.csv").status_code == 403
    assert "统计" not in re.findall(r'<nav class="menu".*?</nav>', text(as_user(app, world.h1).get("/app/")), re.S)[0]


def test_company_admin_picks_a_department_and_bad_queries_say_why(admin, world):
    work(world)
    page = text(admin.get(f"/app/stats?department_id={world.dept.id}"))
    assert world.admin.id not in member_rows(page)  # the admin has no department
    assert world.admin.id in member_rows(text(admin.get("/app/stats")))
    bad = admin.get("/app/stats?at=2026-13-40&period=year")
    assert bad.status_code == 422 and "日期格式不对" in text(bad)
    assert admin.get("/app/stats?department_id=99999").status_code == 404


# ---- 消息 ----------------------------------------------------------------------------

def test_messages_list_open_mark_pending_and_unmark(app, world):
    task = make_task(world, assignee=world.h1, title="核对到货")
    h1 = as_user(app, world.h1)
    page = text(h1.get("/app/messages"))
    [mine] = messages.list_messages(world.h1)
    assert f'<tr data-message="{mine.id}" class="unread">' in page and "未读 1 · 待处理 0" in page
    assert 'data-testid="menu-unread" title="未读消息">1</span>' in page  # the menu's badge
    row = h1.post(f"/app/messages/{mine.id}/pending", htmx=True)
    assert row.status_code == 200 and text(row).startswith(f'<tr data-message="{mine.id}"')
    assert "取消待处理" in text(row) and Message.get_by_id(mine.id).pending
    assert f'data-message="{mine.id}"' in text(h1.get("/app/messages?view=pending"))
    opened = h1.get(f"/app/messages/{mine.id}")
    assert opened.status_code == 200 and Message.get_by_id(mine.id).read_at is not None
    assert 'data-testid="menu-unread"' not in text(h1.get("/app/messages"))
    assert h1.post(f"/app/messages/{mine.id}/unpending").status_code == 303
    assert not Message.get_by_id(mine.id).pending
    assert "没有待处理的消息" in text(h1.get("/app/messages?view=pending"))
    # The same marks chat reads: 待处理 lists what the console marked.
    h1.post(f"/app/messages/{mine.id}/pending")
    reply = fake_wechat(app).say("待处理", openid=bind(world.h1))
    assert texts.PENDING_HEADER.format(total=1) in reply and task.title in reply


def test_someone_elses_message_is_not_found_and_read_all_reads_mine(app, world):
    make_task(world, assignee=world.h1)
    make_task(world, assignee=world.h2)
    [theirs] = messages.list_messages(world.h2)
    h1 = as_user(app, world.h1)
    assert h1.get(f"/app/messages/{theirs.id}").status_code == 404
    assert h1.post(f"/app/messages/{theirs.id}/pending").status_code == 404
    assert not Message.get_by_id(theirs.id).pending
    h1.post("/app/messages/read-all")
    assert messages.count_unread(world.h1) == 0 and messages.count_unread(world.h2) == 1
    evil = h1.post(f"/app/messages/{messages.list_messages(world.h1)[0].id}/pending",
                   {"back": "//evil.example/x"})
    assert evil.headers["Location"] == "/app/messages"


def test_messages_are_paged(app, world):
    for n in range(23):
        make_task(world, assignee=world.h1, title=f"任务{n}")
    h1 = as_user(app, world.h1)
    first, second = text(h1.get("/app/messages")), text(h1.get("/app/messages?page=2"))
    assert first.count("<tr data-message=") == 20 and second.count("<tr data-message=") == 3


# ---- 公告与资讯 ----------------------------------------------------------------------

def test_admin_drafts_edits_and_publishes_with_a_push(app, admin, world, worker, wechat_mock,
                                                       jobs_use_mock):
    openid = bind(world.alice)
    draft = admin.post("/app/announcements/new", {"kind": "industry", "title": "跨境周报",
                                                  "body": "本周运费上涨", "action": "save"})
    assert draft.status_code == 303
    item = Announcement.get(Announcement.title == "跨境周报")
    assert item.draft and item.company_id == world.company.id
    alice = as_user(app, world.alice)
    assert "跨境周报" not in text(alice.get("/app/announcements"))
    assert alice.get(f"/app/announcements/{item.id}").status_code == 404
    assert fake_wechat(app).say("公告", openid=openid) == texts.NEWS_EMPTY

    edited = admin.post(f"/app/announcements/{item.id}/edit",
                        {"kind": "industry", "title": "跨境周报（第1期）", "body": "本周运费上涨5%",
                         "action": "publish", "push": "1"})
    assert edited.status_code == 303
    item = Announcement.get_by_id(item.id)
    assert not item.draft and item.pushed_at is not None
    note = Notification.get(Notification.user == world.alice.id, Notification.kind == "announcement")
    assert Message.get_by_id(note.message_id).body == "本周运费上涨5%"
    worker()
    [sent] = wechat_mock.sent_to(openid)
    assert sent["data"]["thing1"] == "跨境周报（第1期）"
    assert "跨境周报（第1期）" in text(alice.get("/app/announcements"))
    assert "跨境周报（第1期）" in fake_wechat(app).say("公告", openid=openid)
    assert "跨境周报（第1期）" in fake_wechat(app).say("消息", openid=openid)

    again = admin.post(f"/app/announcements/{item.id}/push")
    assert "这条公告已经推送过了" in text(admin.get(again.headers["Location"]))
    assert Notification.select().where(Notification.kind == "announcement").count() == 1


def test_members_read_announcements_but_cannot_write_them(app, world):
    announcements.create(world.admin, "system", "系统维护", "周六 22:00", publish=True)
    alice = as_user(app, world.alice)
    page = text(alice.get("/app/announcements"))
    assert "系统维护" in page and "新建公告" not in page
    assert alice.get("/app/announcements/new").status_code == 403
    item = Announcement.get(Announcement.title == "系统维护")
    assert alice.post(f"/app/announcements/{item.id}/edit", {"kind": "system", "title": "x"}).status_code == 403
    assert alice.post(f"/app/announcements/{item.id}/push").status_code == 403
    assert Announcement.get_by_id(item.id).title == "系统维护"
    assert "系统维护" in text(alice.get(f"/app/announcements/{item.id}?kind=system"))


def test_a_bad_announcement_keeps_the_form_and_says_why(admin, world):
    response = admin.post("/app/announcements/new", {"kind": "system", "title": "  ",
                                                     "body": "正文留着", "action": "publish"})
    assert response.status_code == 422
    assert '<div class="field-error" data-field="title">公告标题不能为空</div>' in text(response)
    assert "正文留着" in text(response)
    assert Announcement.select().count() == 0
    outsider = make_outsider()
    theirs = announcements.create(outsider, "system", "别家的公告", publish=True)
    assert admin.get(f"/app/announcements/{theirs.id}").status_code == 404
    assert admin.post(f"/app/announcements/{theirs.id}/edit",
                      {"kind": "system", "title": "改"}).status_code == 404


# ---- 咨询反馈 ------------------------------------------------------------------------

def test_a_member_asks_and_the_desk_answers_in_wechat(app, admin, world, worker, wechat_mock,
                                                      jobs_use_mock):
    openid = bind(world.h1)
    h1 = as_user(app, world.h1)
    empty = h1.post("/app/feedback", {"kind": "consult", "body": "  "})
    assert empty.status_code == 422 and 'data-field="body">反馈内容不能为空' in text(empty)
    assert h1.post("/app/feedback", {"kind": "requirement", "body": "希望能导出统计"}).status_code == 303
    feedback = Feedback.get(Feedback.user == world.h1.id)
    assert feedback.kind == "requirement"
    assert h1.get("/app/feedback/desk").status_code == 403
    assert h1.post(f"/app/feedback/desk/{feedback.id}/reply", {"reply": "x"}).status_code == 403

    desk = text(admin.get("/app/feedback/desk"))
    assert "希望能导出统计" in desk and "待回复 1" in desk
    blank = admin.post(f"/app/feedback/desk/{feedback.id}/reply", {"reply": ""})
    assert blank.status_code == 422 and "回复内容不能为空" in text(blank)
    answer = "已支持：统计页右上角下载CSV"
    assert admin.post(f"/app/feedback/desk/{feedback.id}/reply", {"reply": answer}).status_code == 303
    worker()
    [sent] = wechat_mock.sent_to(openid)
    assert sent["data"]["thing1"] == answer
    assert answer in text(h1.get("/app/feedback"))
    assert answer in fake_wechat(app).say("消息", openid=openid)
    twice = admin.post(f"/app/feedback/desk/{feedback.id}/reply", {"reply": "再答"})
    assert twice.status_code == 409 and "该反馈已回复或已关闭" in text(twice)
    admin.post(f"/app/feedback/desk/{feedback.id}/close")
    assert Feedback.get_by_id(feedback.id).status == "closed"
    assert "已关闭" in text(admin.get("/app/feedback/desk?status=closed"))


def test_the_desk_sees_only_its_company(app, admin, world):
    outsider = make_outsider()
    theirs = messages.create_feedback(outsider, "别家的问题")
    assert "别家的问题" not in text(admin.get("/app/feedback/desk"))
    assert admin.post(f"/app/feedback/desk/{theirs.id}/reply", {"reply": "x"}).status_code == 404
    assert admin.post(f"/app/feedback/desk/{theirs.id}/close").status_code == 404
    assert Feedback.get_by_id(theirs.id).status == "open"


# ---- 我的资料 ------------------------------------------------------------------------

def png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_profile_name_gender_and_the_same_in_chat(app, world):
    h1 = as_user(app, world.h1)
    assert h1.post("/app/profile", {"name": "张一一", "gender": "female"}).status_code == 303
    user = User.get_by_id(world.h1.id)
    assert (user.name, user.gender) == ("张一一", "female")
    assert fake_wechat(app).say("我的", openid=bind(world.h1)).startswith("张一一（女）")
    bad = h1.post("/app/profile", {"name": " ", "gender": "male"})
    assert bad.status_code == 422 and 'data-field="name">姓名不能为空' in text(bad)
    odd = h1.post("/app/profile", {"name": "张", "gender": "robot"})
    assert odd.status_code == 422 and User.get_by_id(world.h1.id).name == "张一一"


def test_avatar_upload_is_checked_reencoded_and_served_to_colleagues(app, world):
    h1 = as_user(app, world.h1)
    response = h1.post("/app/profile/avatar", {"avatar": (io.BytesIO(png()), "me.png")},
                       content_type="multipart/form-data")
    assert response.status_code == 303
    user = User.get_by_id(world.h1.id)
    assert user.avatar.startswith(f"avatars/{world.company.id}/{world.h1.id}-")
    served = as_user(app, world.alice).get(f"/app/avatars/{world.h1.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as image:
        assert (image.format, image.size) == ("JPEG", (256, 256))
    assert f'src="/app/avatars/{world.h1.id}"' in text(h1.get("/app/profile"))
    assert texts.ME_AVATAR_SET in fake_wechat(app).say("我的", openid=bind(world.h1))

    outsider = make_outsider()
    assert h1.get(f"/app/avatars/{outsider.id}").status_code == 404
    assert h1.get(f"/app/avatars/{world.h2.id}").status_code == 404  # none set
    assert app.test_client().get(f"/app/avatars/{world.h1.id}").status_code == 302


def test_a_bad_avatar_is_refused_and_changes_nothing(app, world):
    h1 = as_user(app, world.h1)
    fake = h1.post("/app/profile/avatar", {"avatar": (io.BytesIO(b"<svg onload=x>"), "x.png")},
                   content_type="multipart/form-data")
    assert fake.status_code == 422 and "不是图片" in text(fake)
    huge = h1.post("/app/profile/avatar", {"avatar": (io.BytesIO(b"\0" * (6 * 1024 * 1024)), "x.png")},
                   content_type="multipart/form-data")
    assert huge.status_code == 413 and "超过5MB" in text(huge)
    none = h1.post("/app/profile/avatar", {}, content_type="multipart/form-data")
    assert none.status_code == 422 and "请选择一张图片" in text(none)
    assert User.get_by_id(world.h1.id).avatar is None


def test_password_change_is_linked_from_the_profile(app, world):
    page = text(as_user(app, world.h1).get("/app/profile"))
    assert 'href="/app/password"' in page and "我的资料" in page


def test_the_mobile_my_page_shows_the_avatar_uploaded_in_the_console(app, world, wechat_mock):
    as_user(app, world.h1).post("/app/profile/avatar", {"avatar": (io.BytesIO(png()), "me.png")},
                                content_type="multipart/form-data")
    client = app.test_client()
    as_user(app, world.h1).post("/app/profile", {"name": "张一", "gender": "male"})
    page = text(bound(client, wechat_mock, world.h1, "/m/me"))
    assert f'src="/m/avatars/{world.h1.id}"' in page and "男 · h1" in page
    served = client.get(f"/m/avatars/{world.h1.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert client.get(f"/m/avatars/{make_outsider().id}").status_code == 404
