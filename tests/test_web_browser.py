"""The console in a real browser (Chromium via Playwright): sign in, create a member and
bind them through the webhook, build a template by reordering nodes, build a scenario and
send it a test event, see the task a signed ERP event made, and sign in through the ERP."""
import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timezone

import requests
import time_machine
from playwright.sync_api import expect

from bot.api.erp import signature
from store import scenarios
from store.models import Template
from tests.browser_support import WIDE, browser, choose, live, page, shoot, sign_in  # noqa: F401
from tests.conftest import fake_wechat
from tests.web_support import world  # noqa: F401
from tests.factories import PASSWORD

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


def test_admin_signs_in_and_sees_the_frame(page, live, world):
    page.goto(live.url("/app/settings/members"))
    expect(page.get_by_role("heading", name="Twork 协同办公")).to_be_visible()
    shoot(page, "login")
    page.get_by_label("客户代码").fill("acme")
    page.get_by_label("账号").fill("admin")
    page.get_by_label("密码").fill("wrong-one")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("账号或密码错误")
    expect(page.get_by_label("客户代码")).to_have_value("acme")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="成员与权限")).to_be_visible()  # back where it started
    expect(page.get_by_test_id("company")).to_have_text("acme公司（acme）")
    menu = page.get_by_role("navigation", name="主菜单")
    for label in ("我的工作台", "成员与权限", "ERP业务场景", "公司资料（我的ERP）"):
        expect(menu).to_contain_text(label)
    shoot(page, "members-1280")
    page.set_viewport_size(WIDE)
    shoot(page, "members-1920")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_admin_creates_a_member_who_binds_through_the_webhook(app, page, live, world):
    sign_in(page, live, "admin")
    page.goto(live.url("/app/settings/members/new"))
    page.get_by_label("账号").fill("zhou9")
    page.get_by_label("姓名").fill("周九")
    page.get_by_label("初始密码").fill("pass-1234")
    page.locator("select[name=department_id]").select_option(label="运营部")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="授权（发放绑定码）").click()
    code = re.search(r"绑定 ([A-Z0-9]{8})", page.get_by_test_id("binding-code").inner_text()).group(1)
    expect(page.get_by_test_id("bind-qr").locator("svg")).to_be_visible()
    shoot(page, "bind-code")
    wx = fake_wechat(app, openid="o-zhou9")
    assert "绑定成功" in wx.say(f"绑定 {code}")
    page.goto(live.url("/app/settings/members?q=周九"))
    row = page.locator("tr[data-account=zhou9]")
    expect(row).to_contain_text("已绑定")
    expect(row).to_contain_text("已授权")


def test_admin_builds_a_three_node_template_by_reordering(page, live, world):
    sign_in(page, live, "admin")
    page.goto(live.url("/app/settings/workflows/new"))
    page.get_by_label("模板名称").fill("采购付款")
    steps = [("张一", "核对到货"), ("王二", "审批付款"), ("李三", "财务付款")]
    for n, (handler, items) in enumerate(steps, 1):
        if n > 1:
            page.get_by_role("button", name="添加节点").click()
        page.get_by_label(f"第{n}个节点的处理人").select_option(label=handler)
        page.get_by_label(f"第{n}个节点的处理事项").fill(items)
    expect(page.locator("tr[data-node]")).to_have_count(3)
    page.get_by_role("button", name="上移第3个节点").click()  # 财务付款 before 审批付款
    expect(page.get_by_label("第2个节点的处理事项")).to_have_value("财务付款")
    shoot(page, "template-editor")
    page.get_by_role("button", name="保存模板").click()
    expect(page.locator("#templates")).to_contain_text(
        "1. 张一（核对到货） → 2. 李三（财务付款） → 3. 王二（审批付款）")
    template = Template.get(Template.name == "采购付款")
    assert [n["items"] for n in template.nodes] == ["核对到货", "财务付款", "审批付款"]


def test_admin_builds_a_scenario_and_sends_a_test_event(page, live, world):
    sign_in(page, live, "admin")
    page.goto(live.url("/app/settings/scenarios/new"))
    page.get_by_label("场景名称").fill("采购单金额超标")
    choose(page, "场景类型", "purchase_order.amount")
    expect(page.get_by_label("示例事件数据")).to_contain_text("PO123")
    choose(page, "必要条件1的字段", "amount")
    expect(page.get_by_label("必要条件1的运算符")).not_to_contain_text("contains")
    page.get_by_label("必要条件1的运算符").select_option(">")
    page.get_by_label("必要条件1的值").fill("5000")
    page.get_by_label("标题模板").fill("采购单{po_no}金额{amount}超标")
    expect(page.get_by_test_id("title-preview")).to_have_text("采购单PO123金额6000超标")
    page.get_by_label("第1个节点的处理人").select_option(label="张一")
    page.get_by_label("第1个节点的处理事项").fill("核实金额")
    page.get_by_role("button", name="发送测试事件").click()
    expect(page.get_by_test_id("trial-result")).to_have_text("匹配：会创建任务")
    shoot(page, "scenario-editor")
    page.get_by_role("button", name="保存场景").click()
    expect(page.locator("#scenarios")).to_contain_text("采购单金额超标")


def test_signed_erp_event_shows_up_as_a_task(page, live, world):
    scenario = scenarios.create_scenario(world.admin, {
        "name": "采购单金额超标", "kind": "purchase_order.amount",
        "required": [{"field": "amount", "op": ">", "value": 5000}],
        "task": {"priority": "high", "days": 2, "title": "采购单{po_no}金额{amount}超标"},
        "nodes": [{"handler_id": world.h1.id, "items": "核实金额"}]})
    body = json.dumps({"id": "evt-browser-1", "kind": "purchase_order.amount",
                       "occurred_at": "2026-11-30T10:00:00+08:00",
                       "data": {"po_no": "PO555", "amount": 7200, "supplier": "深圳甲"}}).encode()
    with time_machine.travel(T0, tick=True):
        stamp = str(int(time.time()))
        answer = requests.post(live.url("/api/v1/erp/events"), data=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Twork-Company": "acme", "X-Twork-Timestamp": stamp,
            "X-Twork-Signature": signature(world.company.webhook_secret, stamp, body)})
        assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "created"
        sign_in(page, live, "admin")
        page.goto(live.url(f"/app/settings/scenarios/{scenario.id}"))
        events = page.locator("#recent-events")
        expect(events).to_contain_text("evt-browser-1")
        expect(events).to_contain_text("已创建任务")
        expect(events).to_contain_text("采购单PO555金额7200超标")
        shoot(page, "scenario-events")


def test_erp_single_sign_on_lands_signed_in_once(page, live, world):
    with time_machine.travel(T0, tick=True):
        query = f"company=acme&account=alice&ts={int(time.time())}"
        sig = hmac.new(world.company.webhook_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        link = live.url(f"/app/sso?{query}&sig={sig}")
        page.goto(link)
        expect(page.get_by_test_id("user")).to_contain_text("爱丽丝")
        expect(page.get_by_role("navigation", name="主菜单")).not_to_contain_text("成员与权限")
        shoot(page, "sso-member")
        page.context.clear_cookies()
        page.goto(link)
        expect(page.get_by_role("alert")).to_contain_text("已经用过")
        page.goto(live.url("/app/"))
        expect(page.get_by_role("button", name="登录")).to_be_visible()
