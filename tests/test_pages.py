"""The pages for the WeChat in-app browser: OAuth snsapi_base, the login page, the task page
with its actions, my page."""
from urllib.parse import urlencode

import pytest
import time_machine

from store import directory, erp, scenarios, users
from store.models import Task, TaskLog, TaskNode
from tests.conftest import make_app
from tests.erp_samples import event, scenario_body
from tests.factories import NOW, PASSWORD, drive, make_task, make_world
from tests.page_support import bound, csrf, oauth, text


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def client(app):
    return app.test_client()


# --- login -------------------------------------------------------------------------------

def test_user_logs_in_through_oauth_and_binds_wechat(client, wechat_mock, world):
    page = oauth(client, wechat_mock, "o-alice-phone")
    assert page.status_code == 200 and "客户代码" in text(page)
    assert page.headers["X-Frame-Options"] == "DENY" and "script-src" not in page.headers["Content-Security-Policy"]
    done = client.post("/m/login", data={"csrf_token": csrf(page), "company_code": "acme",
                                         "account": "alice", "password": PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/m/me")
    assert users.user_for_openid("o-alice-phone").id == world.alice.id
    me = client.get("/m/me")
    assert me.status_code == 200 and "爱丽丝" in text(me) and "绑定成功" in text(me)


def test_login_needs_the_csrf_token(client, wechat_mock, world):
    oauth(client, wechat_mock, "o-x")
    response = client.post("/m/login", data={"company_code": "acme", "account": "alice",
                                             "password": PASSWORD})
    assert response.status_code == 400 and "页面已过期" in text(response)
    assert users.user_for_openid("o-x") is None


def test_wrong_password_is_told_plainly_and_five_failures_lock_for_15_minutes(client, wechat_mock, world):
    with time_machine.travel(NOW, tick=False) as clock:
        page = oauth(client, wechat_mock, "o-guess")
        form = {"csrf_token": csrf(page), "company_code": "acme", "account": "alice", "password": "nope"}
        first = client.post("/m/login", data=form)
        assert first.status_code == 422 and users.BAD_LOGIN in text(first) and "还可尝试 4 次" in text(first)
        for _ in range(4):
            last = client.post("/m/login", data=form)
        assert last.status_code == 422 and users.BAD_LOGIN in text(last) and "15 分钟后再试" in text(last)
        right = client.post("/m/login", data={**form, "password": PASSWORD})
        assert right.status_code == 429 and "15 分钟后再试" in text(right)
        assert users.user_for_openid("o-guess") is None
        clock.shift(10 * 60)
        assert "5 分钟后再试" in text(client.post("/m/login", data={**form, "password": PASSWORD}))
        clock.shift(5 * 60 + 1)  # the first attempt left the window: one more try
        assert client.post("/m/login", data={**form, "password": PASSWORD}).status_code == 303
    assert users.user_for_openid("o-guess").id == world.alice.id


def test_empty_fields_are_refused(client, wechat_mock, world):
    page = oauth(client, wechat_mock, "o-empty")
    response = client.post("/m/login", data={"csrf_token": csrf(page), "company_code": "acme",
                                             "account": "", "password": ""})
    assert response.status_code == 422 and "请填写账号、密码和客户代码" in text(response)


def test_a_code_without_our_state_is_not_exchanged(client, wechat_mock, world):
    code = wechat_mock.oauth_code("o-attacker")
    response = client.get(f"/m/login?code={code}&state=login")  # the menu's fixed state, or a planted link
    assert response.status_code == 302 and "open.weixin.qq.com" in response.headers["Location"]
    assert "_o%3D1" in response.headers["Location"]
    assert not wechat_mock.calls_to("/sns/oauth2/access_token")
    again = client.get(f"/m/login?code={code}&state=forged&_o=1")
    assert again.status_code == 400 and "Cookie" in text(again)


def test_next_only_goes_to_our_pages(client, wechat_mock, world):
    page = oauth(client, wechat_mock, "o-next", "/m/login?next=https://evil.example/")
    response = client.post("/m/login", data={"csrf_token": csrf(page), "company_code": "acme",
                                             "account": "alice", "password": PASSWORD,
                                             "next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/m/me")


HOSTILE_NEXT = ["/m/me\r\nSet-Cookie: planted=1", "/m/tasks/1\n", "/m/\revil", "//evil.example/",
                "/\\evil.example", "/m/\\evil.example", "javascript:alert(1)", "/m/..//evil.example",
                "/m/../../api/v1/companies", "https://evil.example/m/", "/m/ta sks", "/m/\tx"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_hostile_next_falls_back_to_my_page(client, wechat_mock, world, target):
    page = oauth(client, wechat_mock, "o-next", "/m/login?" + urlencode({"next": target}))
    assert page.status_code == 200 and 'name="next" value="/m/me"' in text(page)
    done = client.post("/m/login", data={"csrf_token": csrf(page), "company_code": "acme",
                                         "account": "alice", "password": PASSWORD, "next": target})
    assert done.status_code == 303 and done.headers["Location"] == "/m/me"
    assert "planted" not in str(done.headers)


def test_a_local_next_is_kept(client, wechat_mock, world):
    page = oauth(client, wechat_mock, "o-next-ok")
    done = client.post("/m/login", data={"csrf_token": csrf(page), "company_code": "acme", "account": "alice",
                                         "password": PASSWORD, "next": "/m/tasks/12?from=menu"})
    assert done.status_code == 303 and done.headers["Location"] == "/m/tasks/12?from=menu"


def _session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_the_session_cookie_is_lax_and_http_only_and_secure_behind_https(client, wechat_mock, world,
                                                                      sqlite_db, redis_url):
    cookie = _session_cookie(client.get("/m/login"))  # the OAuth state is kept in the cookie
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    https_app = make_app(sqlite_db, redis_url, wechat_mock, PUBLIC_BASE_URL="https://twork.example")
    cookie = _session_cookie(https_app.test_client().get("/m/login"))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" in cookie


# --- the task page -----------------------------------------------------------------------

def test_unbound_visitor_is_sent_to_login_and_back(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    response = oauth(client, wechat_mock, "o-new", f"/m/tasks/{task.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/m/login?next=/m/tasks/{task.id}")


def test_handler_opens_the_task_and_completes_their_node(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    page = bound(client, wechat_mock, world.h1, f"/m/tasks/{task.id}")
    assert page.status_code == 200
    body = text(page)
    assert "核对PO123到货" in body and "张一" in body and "王二" in body
    assert TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1).state == "started"  # open_task
    assert f"/m/tasks/{task.id}/complete" in body and f"/m/tasks/{task.id}/transfer" in body
    assert f"/m/tasks/{task.id}/rollback" not in body  # not on the first node
    done = client.post(f"/m/tasks/{task.id}/complete", data={"csrf_token": csrf(page)})
    assert done.status_code == 303
    after = client.get(f"/m/tasks/{task.id}")
    assert "已完成" in text(after)
    assert Task.get_by_id(task.id).current_seq == 2
    assert f"/m/tasks/{task.id}/withdraw" in text(after) or f"/m/tasks/{task.id}/urge" in text(after)


SUBRESOURCE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
FRAME = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}
PREFETCH = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Purpose": "prefetch"}
OPENED = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
          "Sec-Fetch-User": "?1"}


@pytest.mark.parametrize("headers", [SUBRESOURCE, FRAME, PREFETCH], ids=["img", "iframe", "prefetch"])
def test_only_opening_the_task_page_starts_the_node(client, wechat_mock, world, headers):
    task = make_task(world, nodes=[world.h1, world.h2])
    bound(client, wechat_mock, world.h1, "/m/me")
    node = TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1)
    seen = client.get(f"/m/tasks/{task.id}", headers=headers)
    assert seen.status_code == 200 and TaskNode.get_by_id(node.id).state == "active"
    assert client.get(f"/m/tasks/{task.id}", headers=OPENED).status_code == 200
    assert TaskNode.get_by_id(node.id).state == "started"


def test_handler_transfers_by_name_and_rollback_needs_a_reason(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    drive(task, ["complete"])
    page = bound(client, wechat_mock, world.h2, f"/m/tasks/{task.id}")
    token = csrf(page)
    refused = client.post(f"/m/tasks/{task.id}/rollback", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 409 and "回退必须填写原因" in text(refused)
    unknown = client.post(f"/m/tasks/{task.id}/transfer", data={"csrf_token": token, "to": "不存在的人"})
    assert unknown.status_code == 422
    assert directory.NAME_UNKNOWN.format(name="不存在的人") in text(unknown)
    moved = client.post(f"/m/tasks/{task.id}/transfer", data={"csrf_token": token, "to": "h3"})
    assert moved.status_code == 303
    assert TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 2).handler_id == world.h3.id


def test_nul_characters_in_the_forms_are_dropped(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    page = bound(client, wechat_mock, world.h1, f"/m/tasks/{task.id}")
    token = csrf(page)
    commented = client.post(f"/m/tasks/{task.id}/comment", data={"csrf_token": token, "body": "已\x00联系"})
    assert commented.status_code == 303
    assert TaskLog.get(TaskLog.task == task.id, TaskLog.action == "comment").detail["body"] == "已联系"
    moved = client.post(f"/m/tasks/{task.id}/transfer", data={"csrf_token": token, "to": "h3\x00"})
    assert moved.status_code == 303
    assert TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1).handler_id == world.h3.id


def test_watcher_sees_the_page_without_workflow_buttons_and_cannot_act(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2], watchers=[world.watcher])
    page = bound(client, wechat_mock, world.watcher, f"/m/tasks/{task.id}")
    assert page.status_code == 200 and f"/m/tasks/{task.id}/complete" not in text(page)
    assert TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1).state == "active"
    before = TaskLog.select().where(TaskLog.task == task.id).count()
    refused = client.post(f"/m/tasks/{task.id}/complete", data={"csrf_token": csrf(page)})
    assert refused.status_code == 403 and "只有当前节点的处理人" in text(refused)
    assert TaskLog.select().where(TaskLog.task == task.id).count() == before


def test_action_without_csrf_changes_nothing(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    bound(client, wechat_mock, world.h1, f"/m/tasks/{task.id}")
    response = client.post(f"/m/tasks/{task.id}/complete", data={})
    assert response.status_code == 400 and Task.get_by_id(task.id).current_seq == 1


def test_tasks_one_may_not_see_are_404(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1])
    page = bound(client, wechat_mock, world.stranger, f"/m/tasks/{task.id}")
    assert page.status_code == 404 and "任务不存在" in text(page)
    other = make_world(code="other", project_name="别家项目")
    theirs = make_task(other, nodes=[other.h1])
    assert client.get(f"/m/tasks/{theirs.id}").status_code == 404
    assert client.get("/m/tasks/999999").status_code == 404
    own = make_task(world, nodes=[world.stranger])
    token = csrf(client.get(f"/m/tasks/{own.id}"))
    refused = client.post(f"/m/tasks/{theirs.id}/complete", data={"csrf_token": token})
    assert refused.status_code == 404 and TaskNode.get(TaskNode.task == theirs.id).state == "active"


def test_other_company_admin_gets_404_for_the_task(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1])
    other = make_world(code="other", project_name="别家项目")
    users.bind_wechat_by_login("o-other-admin", "other", "admin", PASSWORD, NOW)
    page = oauth(client, wechat_mock, "o-other-admin", f"/m/tasks/{task.id}")
    assert page.status_code == 404
    assert other.admin.company_id != task.company_id


def test_erp_task_page_shows_the_document(client, wechat_mock, world):
    scenarios.create_scenario(world.admin, scenario_body(world, "purchase_order.amount"), NOW)
    [result] = erp.ingest_events(world.company.id, [event("purchase_order.amount")], NOW)
    page = bound(client, wechat_mock, world.h1, f"/m/tasks/{result['task_id']}")
    body = text(page)
    assert page.status_code == 200 and "采购单号" in body and "PO123" in body and "深圳甲" in body
    assert "采购单金额" in body  # the kind's label


# --- my page -----------------------------------------------------------------------------

def test_my_page_shows_counts_and_the_monthly_chart(client, wechat_mock, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    drive(task, ["complete"])
    make_task(world, assignee=world.h1)
    page = bound(client, wechat_mock, world.h1, "/m/me")
    body = text(page)
    assert page.status_code == 200 and "张一" in body and "<svg" in body
    assert body.count("<rect") == 12  # six months × (received, completed)
    assert "11月" in body and "按时率" in body
