"""The desk pages in a real browser (Chromium via Playwright): the statistics charts drawn
with the expected numbers, an announcement published with a WeChat push that then shows
in chat, and a feedback answered from the desk whose text reaches the WeChat API."""
import re

import pytest
from playwright.sync_api import expect

from handlers import texts
from store import messages
from store.models import Feedback
from tests.browser_support import browser, follow, live, page, shoot, sign_in  # noqa: F401
from tests.chat_fixtures import jobs_use_mock  # noqa: F401
from tests.conftest import fake_wechat, make_app
from tests.factories import make_task
from tests.test_web_desk import bind, png, work
from tests.web_support import world  # noqa: F401


@pytest.fixture
def app(sqlite_db, redis_url, redis_conn, wechat_mock, tmp_path):
    return make_app(sqlite_db, redis_url, wechat_mock, MEDIA_DIR=str(tmp_path / "media"))


def csp_errors(page) -> list[str]:
    """Console errors of the page (a script or style the CSP blocked shows up here)."""
    errors = []

    def seen(message):
        # Chromium asks for /favicon.ico by itself; the console has none.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} {message.location.get('url')}")
    page.on("console", seen)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_stats_page_draws_the_trend_with_the_numbers(page, live, world):
    work(world)
    errors = csp_errors(page)
    sign_in(page, live, "admin")
    follow(page, page.get_by_role("navigation", name="主菜单").get_by_role("link", name="统计"))
    expect(page.get_by_role("heading", name="统计", exact=True)).to_be_visible()
    summary = page.get_by_test_id("stats-summary")
    expect(summary).to_contain_text("收到 3，")
    expect(summary).to_contain_text("完成率 66.7%")
    counts = page.locator("#trend-counts[data-rendered=true] svg")
    rates = page.locator("#trend-rates[data-rendered=true] svg")
    expect(counts).to_be_visible()
    expect(counts).to_contain_text("2026-12")
    expect(rates).to_contain_text("66.7%")  # December: 2 completed of 3 received
    expect(rates).to_contain_text("100%")  # December on time; October completed 1 of 1
    labels = counts.locator("text").evaluate_all("nodes => nodes.map(n => n.textContent)")
    assert {"3", "2"} <= set(labels)
    shoot(page, "stats-month")
    page.get_by_label("统计周期").select_option("week")
    page.get_by_role("button", name="查看").click()
    expect(summary).to_contain_text("周度统计（2026-11-30~2026-12-06）")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载CSV").click()
    assert download.value.suggested_filename == "twork-week-2026-11-30.csv"
    shoot(page, "stats-week")
    assert errors == []


def test_admin_publishes_an_announcement_with_a_push_seen_in_chat(app, page, live, world, worker,
                                                                  wechat_mock, jobs_use_mock):
    openid = bind(world.alice)
    sign_in(page, live, "admin")
    page.goto(live.url("/app/announcements"))
    follow(page, page.get_by_role("link", name="新建公告"))
    page.get_by_label("类型").select_option("feature")
    page.get_by_label("标题").fill("新功能：网页版统计")
    page.get_by_label("正文").fill("管理员可在「统计」查看近12个月趋势。")
    page.get_by_label("发布时推送到微信").check()
    shoot(page, "announcement-form")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_role("status")).to_have_text("已发布并推送到微信")
    shoot(page, "announcement-published")
    worker()
    [sent] = wechat_mock.sent_to(openid)
    assert sent["data"]["thing1"] == "新功能：网页版统计"
    wx = fake_wechat(app)
    assert "新功能：网页版统计" in wx.say("消息", openid=openid)
    assert "新功能：网页版统计" in wx.say("公告", openid=openid)


def test_desk_answers_a_feedback_and_the_text_reaches_wechat(app, page, live, world, worker,
                                                             wechat_mock, jobs_use_mock):
    openid = bind(world.h1)
    assert fake_wechat(app).say("反馈 统计能按部门导出吗？", openid=openid) == texts.FEEDBACK_THANKS
    sign_in(page, live, "admin")
    follow(page, page.get_by_role("navigation", name="主菜单").get_by_role("link", name="咨询反馈"))
    follow(page, page.get_by_role("link", name="进入服务台（处理所有反馈）"))
    row = page.locator("tr[data-feedback]", has_text="统计能按部门导出吗？")
    expect(row).to_contain_text("待回复")
    answer = "可以：统计页先选部门，再点下载CSV"
    row.get_by_label(re.compile("^回复")).fill(answer)
    shoot(page, "feedback-desk")
    row.get_by_role("button", name="回复").click()
    expect(page.get_by_role("status")).to_contain_text("已回复")
    expect(page.locator("tr[data-feedback]", has_text=answer)).to_contain_text("已回复")
    worker()
    [sent] = wechat_mock.sent_to(openid)
    assert sent["data"]["thing1"] == answer  # 18 characters: WeChat shows all of them
    assert Feedback.get(Feedback.user == world.h1.id).reply == answer
    [message] = messages.list_messages(world.h1)
    assert message.body == answer
    assert answer in fake_wechat(app).say("消息", openid=openid)
    shoot(page, "feedback-replied")


def test_member_marks_a_message_pending_without_a_reload(page, live, world):
    make_task(world, assignee=world.h1, title="核对PO123到货")
    sign_in(page, live, "h1")
    follow(page, page.get_by_role("navigation", name="主菜单").get_by_role("link", name="消息"))
    row = page.locator("tr[data-message]", has_text="核对PO123到货")
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_role("button", name="标记待处理").click()
    expect(row.locator(".tag.pending")).to_have_text("待处理")
    expect(row.get_by_role("button", name="取消待处理")).to_be_visible()
    shoot(page, "messages")
    page.get_by_role("link", name="待处理").click()
    expect(page.locator("tr[data-message]")).to_have_count(1)


def test_member_uploads_an_avatar_and_renames_themself(page, live, world, tmp_path):
    image = tmp_path / "me.png"
    image.write_bytes(png(size=(300, 200)))
    sign_in(page, live, "h1")
    follow(page, page.get_by_role("link", name="我的资料"))
    expect(page.get_by_test_id("avatar-empty")).to_be_visible()
    page.get_by_label(re.compile("^上传新头像")).set_input_files(str(image))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("头像已更新")
    avatar = page.get_by_test_id("avatar")
    expect(avatar).to_be_visible()
    loaded = ("img => img.complete ? img.naturalWidth : new Promise(done => {"
              " img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })")
    assert avatar.evaluate(loaded) == 256  # re-encoded, served by our route
    page.get_by_label("姓名").fill("张一一")
    page.get_by_label("性别").select_option("male")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已保存")
    expect(page.get_by_test_id("user")).to_contain_text("张一一")
    shoot(page, "profile")
