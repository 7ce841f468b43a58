"""The official-account menu: WeChat's limits, routes for every key, and publishing."""
from urllib.parse import parse_qs, urlparse

import pytest

from bot import cli
from handlers import texts
from menus.keys import MenuKey
from menus.main import MENU, Sub, click_keys, login_url, to_wechat
from tests.chat_fixtures import chat, clock, world  # noqa: F401
from tests.conftest import TEST_SETTINGS


def test_menu_is_within_wechat_limits(app):
    body = to_wechat(MENU, app.config["TWORK"])
    assert 1 <= len(body["button"]) <= 3
    for top in body["button"]:
        assert len(top["name"].encode()) <= 16
        assert 1 <= len(top["sub_button"]) <= 5
        for sub in top["sub_button"]:
            assert len(sub["name"].encode()) <= 60
            assert sub["type"] in ("click", "view")
            if sub["type"] == "click":
                assert len(sub["key"].encode()) <= 128
            else:
                assert len(sub["url"].encode()) <= 1024


def test_menu_has_the_spec_sections():
    assert [(m.name, [b.name for b in m.buttons]) for m in MENU] == [
        ("任务", ["我的待办", "新建任务", "我的项目"]),
        ("消息", ["消息列表", "待处理"]),
        ("我的", ["个人中心", "统计", "公告", "反馈", "登录页"])]
    assert all(isinstance(m, Sub) for m in MENU)


def test_every_menu_key_has_a_route_and_every_click_route_is_in_the_menu(app):
    routed = set(app.extensions["twork.router"].clicks)
    assert click_keys(MENU) == routed == {str(k) for k in MenuKey}


def test_every_menu_click_answers_a_bound_user(chat, world):
    admin = chat(world.admin)
    for key in click_keys(MENU):
        reply = admin.click(key)
        assert reply and reply != texts.UNKNOWN_MENU and reply != texts.NEED_BIND, key


def test_unknown_click_key_is_answered(chat, world):
    assert chat(world.admin).click("NOPE") == texts.UNKNOWN_MENU


def test_login_button_goes_through_oauth_snsapi_base(app):
    url = urlparse(login_url(app.config["TWORK"]))
    assert (url.scheme, url.netloc, url.path) == ("https", "open.weixin.qq.com",
                                                  "/connect/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["appid"] == [TEST_SETTINGS["WECHAT_APPID"]]
    assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://twork.test/m/login"]
    assert url.fragment == "wechat_redirect"
    body = to_wechat(MENU, app.config["TWORK"])
    assert body["button"][2]["sub_button"][-1] == {"type": "view", "name": "登录页",
                                                   "url": login_url(app.config["TWORK"])}


@pytest.fixture
def env(monkeypatch, wechat_mock, redis_url):
    from bot.wechat_api import clear_clients
    for name, value in TEST_SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WECHAT_API_BASE", wechat_mock.base_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    clear_clients()
    yield
    clear_clients()


def test_cli_publishes_the_menu_through_the_api(env, wechat_mock, redis_conn, capsys):
    from bot.settings import load_settings
    cli.main(["menus", "publish"])
    assert "menu published" in capsys.readouterr().out
    assert wechat_mock.menu == to_wechat(MENU, load_settings())
    assert len(wechat_mock.calls_to("menu/create")) == 1


def test_cli_shows_the_menu_without_calling_the_api(env, wechat_mock, capsys):
    cli.main(["menus", "show"])
    assert "我的待办" in capsys.readouterr().out
    assert wechat_mock.calls_to("menu/create") == []
