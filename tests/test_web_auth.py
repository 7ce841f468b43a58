"""Console sign-in, sign-out, CSRF, the failed sign-in throttle, changing one's password,
the menu by role, and the ERP single sign-on link (SPEC §10)."""
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
import time_machine

from store import accounts, users
from tests.factories import PASSWORD, make_user
from tests.web_support import Console, as_user, text, world  # noqa: F401

def menu_of(response) -> str:
    page = text(response)
    return page[page.index("<nav"):page.index("</nav>")]


T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def console(app):
    return Console(app.test_client())


def test_admin_signs_in_and_sees_the_frame(console, world):
    response = console.sign_in("admin")
    assert response.status_code == 303 and response.headers["Location"].endswith("/app/")
    page = text(console.get("/app/"))
    assert "acme公司" in page and "管理员" in page and "退出登录" in page
    for label in ("成员与权限", "部门", "项目管理", "工作流模板", "ERP业务场景", "接口密钥", "公司资料"):
        assert label in page
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_menu_shows_each_role_only_what_it_may_use(app, world):
    member = menu_of(as_user(app, world.alice).get("/app/"))
    assert "我的工作台" in member
    assert "成员与权限" not in member and "项目管理" not in member and "统计" not in member
    dadmin = menu_of(as_user(app, world.dadmin).get("/app/"))
    assert "项目管理" in dadmin and "统计" in dadmin and "成员与权限" not in dadmin


@pytest.mark.parametrize("path", ["/app/settings/members", "/app/settings/departments",
                                  "/app/settings/workflows", "/app/settings/scenarios",
                                  "/app/settings/company", "/app/settings/projects"])
def test_member_is_refused_every_settings_page(app, world, path):
    response = as_user(app, world.alice).get(path)
    assert response.status_code == 403 and "没有权限" in text(response)


def test_signed_out_visitor_is_sent_to_sign_in(console, world):
    response = console.get("/app/settings/members")
    assert response.status_code == 302 and "/app/login?next=/app/settings/members" in response.headers["Location"]
    partial = console.client.get("/app/settings/members", headers={"HX-Request": "true"})
    assert partial.status_code == 401 and partial.headers["HX-Redirect"] == "/app/login"


@pytest.mark.parametrize("code, account, password, message", [
    ("nope", "admin", PASSWORD, accounts.UNKNOWN_COMPANY),
    ("acme", "admin", "wrong-password", accounts.BAD_PASSWORD),
    ("acme", "ghost", PASSWORD, accounts.BAD_PASSWORD),
])
def test_wrong_sign_in_gets_its_own_message_and_no_session(console, world, code, account,
                                                           password, message):
    response = console.sign_in(account, code=code, password=password)
    assert response.status_code == 422 and message in text(response)
    assert f'value="{code}"' in text(response)  # what was typed stays
    assert not console.signed_in


def test_unauthorised_and_deactivated_users_are_told_why(console, world):
    stranger = make_user(world.company.id, "newbie")
    users.update_user(world.admin, stranger.id, authorized=False)
    assert accounts.NOT_AUTHORISED in text(console.sign_in("newbie"))
    users.deactivate_user(world.admin, world.h1.id)
    assert accounts.DEACTIVATED in text(console.sign_in("h1"))
    assert not console.signed_in


def test_sign_in_is_throttled_after_five_failures(console, world):
    for left in (4, 3, 2, 1):
        assert f"还可尝试 {left} 次" in text(console.sign_in("admin", password="bad"))
    assert console.sign_in("admin", password="bad").status_code == 429
    blocked = console.sign_in("admin")  # even the right password waits
    assert blocked.status_code == 429 and "登录失败次数过多" in text(blocked)
    assert not console.signed_in


def test_post_without_the_csrf_token_changes_nothing(app, world):
    console = as_user(app, world.admin)
    response = console.client.post("/app/settings/departments", data={"name": "财务部"})
    assert response.status_code == 400 and "页面已过期" in text(response)
    assert "财务部" not in text(console.get("/app/settings/departments"))
    forged = console.client.post("/app/settings/departments", data={"name": "财务部"},
                                 headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 400
    sent = console.client.post("/app/settings/departments", data={"name": "财务部"},
                               headers={"X-CSRF-Token": console.token()})
    assert sent.status_code == 303


def test_sign_out_ends_the_session(app, world):
    console = as_user(app, world.admin)
    assert console.post("/app/logout").status_code == 303
    assert not console.signed_in


def test_changing_the_password_signs_other_browsers_out(app, world):
    here, there = as_user(app, world.alice), as_user(app, world.alice)
    wrong = here.post("/app/password", {"current": "nope", "new": "new-pass-1", "repeat": "new-pass-1"})
    assert wrong.status_code == 422 and "当前密码不正确" in text(wrong)
    short = here.post("/app/password", {"current": PASSWORD, "new": "123", "repeat": "123"})
    assert "密码至少6位" in text(short)
    done = here.post("/app/password", {"current": PASSWORD, "new": "new-pass-1", "repeat": "new-pass-1"})
    assert done.status_code == 200 and "密码已修改" in text(done)
    assert here.signed_in and not there.signed_in
    assert Console(app.test_client()).sign_in("alice", password="new-pass-1").status_code == 303


def test_deactivating_a_user_ends_their_session(app, world):
    console = as_user(app, world.alice)
    users.deactivate_user(world.admin, world.alice.id)
    assert not console.signed_in


# --- ERP single sign-on ------------------------------------------------------------------

def sso_link(company, account, ts, secret=None) -> str:
    query = f"company={quote(company.code)}&account={quote(account)}&ts={int(ts)}"
    sig = hmac.new((secret or company.webhook_secret).encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"/app/sso?{query}&sig={sig}"


def test_sso_link_signs_in_once(app, world):
    link = sso_link(world.company, "alice", T0.timestamp())
    with time_machine.travel(T0 + timedelta(minutes=4), tick=False):
        first = Console(app.test_client())
        landed = first.get(link)
        assert landed.status_code == 303 and first.signed_in
        again = Console(app.test_client())
        replay = again.get(link)
        assert replay.status_code == 403 and "已经用过" in text(replay)
        assert not again.signed_in


@pytest.mark.parametrize("shift, ok", [(timedelta(minutes=-5), True), (timedelta(minutes=5), True),
                                       (timedelta(minutes=5, seconds=1), False),
                                       (timedelta(minutes=-6), False)])
def test_sso_link_lives_five_minutes(app, world, shift, ok):
    link = sso_link(world.company, "alice", T0.timestamp())
    with time_machine.travel(T0 + shift, tick=False):
        console = Console(app.test_client())
        response = console.get(link)
    assert (response.status_code == 303) is ok
    if not ok:
        assert accounts.SSO_EXPIRED in text(response)


@pytest.mark.parametrize("mangle", [
    lambda link: link.replace("account=alice", "account=admin"),  # signature over other values
    lambda link: link[:-4] + "0000",
    lambda link: link.split("&sig=")[0],
    lambda link: link.replace("&sig=", "&x=1&sig="),
])
def test_tampered_sso_link_gets_a_clear_page_and_no_session(app, world, mangle):
    link = mangle(sso_link(world.company, "alice", T0.timestamp()))
    with time_machine.travel(T0, tick=False):
        console = Console(app.test_client())
        response = console.get(link)
        assert response.status_code == 403 and "无法登录" in text(response)
        assert not console.signed_in


def test_sso_with_another_companys_secret_is_refused(app, world):
    other, _ = users.create_company("other", "别的公司")
    link = sso_link(world.company, "alice", T0.timestamp(), secret=other.webhook_secret)
    with time_machine.travel(T0, tick=False):
        response = Console(app.test_client()).get(link)
    assert response.status_code == 403 and accounts.SSO_BAD in text(response)


def test_sso_for_an_unauthorised_user_is_refused(app, world):
    users.update_user(world.admin, world.alice.id, authorized=False)
    with time_machine.travel(T0, tick=False):
        console = Console(app.test_client())
        response = console.get(sso_link(world.company, "alice", T0.timestamp()))
        assert response.status_code == 403 and accounts.NOT_AUTHORISED in text(response)
        assert not console.signed_in
