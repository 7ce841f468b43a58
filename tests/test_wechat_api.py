"""The outbound WeChat client against the local mock and a real Redis: token sharing and locking,
the single retry on a rejected token, error kinds, timeouts, OAuth, menus, and the no-Redis demo mode."""
import json
import threading
import time
import urllib.request
from types import SimpleNamespace

import pytest

from bot.mock_wechat import MockWeChat
from bot.wechat_api import (
    TworkClient,
    WeChatAPIError,
    clear_clients,
    exchange_oauth_code,
    fit_field,
    get_client,
)

TEMPLATE = "TPL_TASK"


@pytest.fixture(autouse=True)
def _fresh_client_cache():
    clear_clients()
    yield
    clear_clients()


def settings_for(mock, redis_url=None, **extra):
    return SimpleNamespace(WECHAT_APPID="wxapp", WECHAT_APPSECRET="s3cret", WECHAT_API_BASE=mock.base_url,
                           REDIS_URL=redis_url, **extra)


@pytest.fixture
def client(wechat_mock, redis_url, redis_conn):
    return get_client(settings_for(wechat_mock, redis_url))


def new_client(mock, redis_conn, timeout=(3.05, 10)):
    """A separate instance, as in another process sharing the Redis."""
    return TworkClient("wxapp", "s3cret", api_base=mock.base_url, redis=redis_conn, timeout=timeout)


def send(client, openid="o_li", msg_id="task:1:received:o_li"):
    return client.send_template(openid, TEMPLATE, {"thing1": "核对PO123到货"}, "https://t.example/t/1", msg_id)


def test_fit_field_cuts_to_20_characters_on_one_line():
    assert fit_field("短") == "短"
    assert fit_field("a\nb\r\n c") == "a b c"
    assert fit_field("x" * 20) == "x" * 20
    cut = fit_field("核对" * 15)
    assert len(cut) == 20 and cut.endswith("…") and cut.startswith("核对核对")
    assert fit_field(None) == ""


def test_template_send_reaches_the_mock_with_client_msg_id_and_fitted_fields(client, wechat_mock):
    long_title = "第一行很长的任务标题\n第二行还有更多的说明文字超过二十个字"
    msgid = client.send_template("o_li", TEMPLATE, {"thing1": long_title, "time2": "12-05 18:00"},
                                 "https://t.example/t/7", "task:7:received:o_li")

    [message] = wechat_mock.sent_to("o_li", template=TEMPLATE)
    assert message["msgid"] == msgid and isinstance(msgid, int)
    assert message["client_msg_id"] == "task:7:received:o_li"
    assert message["url"] == "https://t.example/t/7"
    assert message["data"] == {"thing1": fit_field(long_title), "time2": "12-05 18:00"}
    assert all(len(v) <= 20 and "\n" not in v for v in message["data"].values())


def test_mock_delivers_a_resent_client_msg_id_once(client, wechat_mock):
    first, second = send(client), send(client)
    send(client, msg_id="task:1:urged:o_li")

    assert first == second
    assert len(wechat_mock.calls_to("message/template/send")) == 3
    assert [m["client_msg_id"] for m in wechat_mock.sent_to("o_li")] == ["task:1:received:o_li", "task:1:urged:o_li"]


def test_token_is_fetched_once_and_shared_by_two_clients(wechat_mock, redis_conn):
    one, two = new_client(wechat_mock, redis_conn), new_client(wechat_mock, redis_conn)
    send(one, msg_id="a")
    send(two, msg_id="b")

    assert wechat_mock.token_fetches == 1
    assert len(wechat_mock.sent) == 2
    assert redis_conn.ttl("wx:wxapp_access_token") in range(7200 - 300 - 5, 7200 - 300 + 1)


def test_eight_cold_workers_fetch_the_token_once(wechat_mock, redis_conn):
    wechat_mock.inject("stable_token", delay=0.3)  # widen the race window
    workers = [new_client(wechat_mock, redis_conn) for _ in range(8)]
    errors = []

    def work(i):
        try:
            send(workers[i], msg_id=f"m{i}")
        except Exception as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)

    assert errors == []
    assert wechat_mock.token_fetches == 1
    assert len(wechat_mock.sent) == 8


@pytest.mark.parametrize("how", ["errcode 40001", "errcode 42001", "invalidated token"])
def test_one_rejected_token_is_refreshed_and_retried_once(client, wechat_mock, how):
    send(client, msg_id="warm")
    if how == "invalidated token":
        wechat_mock.invalidate_token()
    else:
        wechat_mock.inject("message/template/send", errcode=int(how.split()[1]))

    assert send(client, msg_id="after") is not None
    assert wechat_mock.token_fetches == 2
    assert len(wechat_mock.calls_to("message/template/send")) == 3
    assert [m["client_msg_id"] for m in wechat_mock.sent] == ["warm", "after"]


def test_a_token_refreshed_by_another_process_is_reused_not_refetched(wechat_mock, redis_conn):
    one, two = new_client(wechat_mock, redis_conn), new_client(wechat_mock, redis_conn)
    send(one, msg_id="warm")
    stale = one.access_token
    wechat_mock.invalidate_token()
    send(two, msg_id="two")  # 40001, refetch, retry
    assert wechat_mock.token_fetches == 2

    assert one.fetch_access_token(stale_token=stale) == two.access_token != stale
    assert wechat_mock.token_fetches == 2


def test_persistently_rejected_token_fails_after_exactly_two_calls(client, wechat_mock):
    wechat_mock.inject("message/template/send", errcode=40001, times=50)

    with pytest.raises(WeChatAPIError) as raised:
        send(client)

    assert raised.value.kind == "token" and raised.value.errcode == 40001
    assert len(wechat_mock.calls_to("message/template/send")) == 2
    assert wechat_mock.token_fetches == 2
    assert wechat_mock.sent == []


@pytest.mark.parametrize("errcode, kind", [
    (45009, "rate_limited"),
    (43004, "unfollowed"),
    (40037, "config"),
    (47003, "config"),
    (40164, "config"),
    (-1, "transient"),
    (99999, "other"),
])
def test_api_errors_map_to_a_kind_without_retry(client, wechat_mock, errcode, kind):
    wechat_mock.inject("message/template/send", errcode=errcode)

    with pytest.raises(WeChatAPIError) as raised:
        send(client)

    assert (raised.value.errcode, raised.value.kind) == (errcode, kind)
    assert len(wechat_mock.calls_to("message/template/send")) == 1
    assert wechat_mock.sent == []


def test_http_500_is_transient_without_retry(client, wechat_mock):
    wechat_mock.inject("message/template/send", http_status=500)

    with pytest.raises(WeChatAPIError) as raised:
        send(client)

    assert raised.value.kind == "transient" and raised.value.http_status == 500
    assert raised.value.retryable
    assert len(wechat_mock.calls_to("message/template/send")) == 1


@pytest.mark.parametrize("path", ["message/template/send", "stable_token"])
def test_slow_response_times_out_quickly_as_transient(wechat_mock, redis_url, redis_conn, path):
    fast = get_client(settings_for(wechat_mock, redis_url, WECHAT_TIMEOUT=(0.5, 0.3)))
    wechat_mock.inject(path, delay=2)

    started = time.monotonic()
    with pytest.raises(WeChatAPIError) as raised:
        send(fast)

    assert raised.value.kind == "transient"
    assert time.monotonic() - started < 1.5
    assert wechat_mock.sent == []


def test_token_fetch_with_bad_credentials_is_a_config_error(redis_conn):
    with MockWeChat(appid="wxapp", secret="right") as mock:
        wrong = TworkClient("wxapp", "wrong", api_base=mock.base_url, redis=redis_conn)
        with pytest.raises(WeChatAPIError) as raised:
            send(wrong)
    assert (raised.value.errcode, raised.value.kind) == (40125, "config")


def test_customer_service_text_and_window_error(client, wechat_mock):
    client.send_text("o_li", "已创建任务 #12")
    wechat_mock.inject("message/custom/send", errcode=45015)

    with pytest.raises(WeChatAPIError) as raised:
        client.send_text("o_li", "第二条")

    assert raised.value.kind == "window"
    assert [(m["kind"], m["text"]) for m in wechat_mock.sent_to("o_li")] == [("text", "已创建任务 #12")]


def test_menu_create_is_recorded_and_read_back(client, wechat_mock):
    assert client.get_menu() == {}
    menu = {"button": [{"type": "click", "name": "我的待办", "key": "TODO"}]}

    client.create_menu(menu)

    assert wechat_mock.menu == menu
    assert wechat_mock.calls_to("menu/create")[0]["body"] == menu
    assert client.get_menu()["menu"] == menu


def test_oauth_code_works_once(wechat_mock):
    settings = settings_for(wechat_mock)
    code = wechat_mock.oauth_code("o_zhang")

    assert exchange_oauth_code(settings, code) == "o_zhang"
    with pytest.raises(WeChatAPIError) as raised:
        exchange_oauth_code(settings, code)
    assert raised.value.errcode == 40163
    with pytest.raises(WeChatAPIError):
        exchange_oauth_code(settings, "never-issued")


def test_no_redis_mode_shares_one_token_in_process(wechat_mock):
    wechat_mock.inject("stable_token", delay=0.3)
    settings = settings_for(wechat_mock, redis_url=None)
    assert get_client(settings) is get_client(settings)

    threads = [threading.Thread(target=send, args=(get_client(settings),), kwargs={"msg_id": f"m{i}"})
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)

    assert len(wechat_mock.sent) == 8
    assert wechat_mock.token_fetches == 1
    wechat_mock.invalidate_token()
    send(get_client(settings), msg_id="after")
    assert wechat_mock.token_fetches == 2


def test_console_reads_deliveries_from_another_process(client, wechat_mock):
    send(client, openid="o_li", msg_id="1")
    send(client, openid="o_wang", msg_id="2")
    send(client, openid="o_li", msg_id="3")

    def fetch(query):
        with urllib.request.urlopen(f"{wechat_mock.base_url}/_mock/sent?{query}", timeout=5) as response:
            return json.loads(response.read())

    assert [m["client_msg_id"] for m in fetch("openid=o_li&after=0")] == ["1", "3"]
    assert [m["client_msg_id"] for m in fetch("openid=o_li&after=1")] == ["3"]
