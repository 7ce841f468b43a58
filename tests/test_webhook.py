"""The transport: URL verification, signatures, safe mode, hostile input, retries."""
import threading
import time

import pytest
import xmltodict

from bot.fakewechat import sign
from bot.router import Router, Routes
from bot.settings import SettingsError, load_settings
from handlers import ROUTES, texts
from store.models import PushClaim
from tests.conftest import TEST_AES_KEY, TEST_SETTINGS, fake_wechat


def claims() -> list[str]:
    """The keys of the pushes claimed and signatures seen so far."""
    return [c.key for c in PushClaim.select()]


def test_get_verification_returns_echostr(app, wx):
    query = {**wx.signed_query(), "echostr": "1234567890abc"}
    response = app.test_client().get("/wechat", query_string=query)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1234567890abc"


@pytest.mark.parametrize("tamper", ["signature", "timestamp", "missing"])
def test_get_verification_refuses_bad_signature(app, wx, tamper):
    query = {**wx.signed_query(), "echostr": "x"}
    if tamper == "signature":
        query["signature"] = "0" * 40
    elif tamper == "timestamp":
        query["timestamp"] = str(int(query["timestamp"]) + 1)  # signature no longer matches
    else:
        del query["signature"]
    response = app.test_client().get("/wechat", query_string=query)
    assert response.status_code == 403
    assert response.get_data(as_text=True) != "x"


def test_stale_timestamp_is_refused_even_when_signed(app, wx, redis_conn):
    stale = int(time.time()) - 301
    assert wx.say("帮助", query=wx.signed_query(timestamp=stale)) == ""
    assert wx.last_status == 403
    assert claims() == []


@pytest.mark.parametrize("fixture", ["wx", "safe_wx"])
def test_help_answers_in_both_modes(request, fixture):
    chat = request.getfixturevalue(fixture)
    reply = chat.say("帮助")
    assert chat.last_status == 200
    assert reply.startswith(texts.HELP_HEADER)
    if fixture == "safe_wx":
        assert "<Encrypt>" in chat.last_body and "帮助" not in chat.last_body


def test_safe_mode_refuses_bad_msg_signature(safe_wx, redis_conn):
    query = safe_wx.signed_query()
    xml = safe_wx.message_xml({"MsgType": "text", "Content": "帮助", "MsgId": 77})
    envelope = safe_wx.crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
    encrypted = xmltodict.parse(envelope)["xml"]["Encrypt"]
    query.update(encrypt_type="aes", msg_signature="f" * 40)
    body = xmltodict.unparse({"xml": {"ToUserName": "gh", "Encrypt": encrypted}})
    assert safe_wx.post_xml(body, query=query) == ""
    assert safe_wx.last_status == 403
    assert claims() == []


def test_safe_mode_garbage_ciphertext_is_400(safe_wx):
    query = safe_wx.signed_query()
    garbage = "QUJD"  # valid base64, not a valid block
    query.update(encrypt_type="aes", msg_signature=sign("testtoken", query["timestamp"], query["nonce"], garbage))
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{garbage}</Encrypt></xml>"
    safe_wx.post_xml(body, query=query)
    assert safe_wx.last_status == 400


def test_golden_vector_decrypts(sqlite_db, redis_url, redis_conn, wechat_mock):
    from tests.conftest import make_app
    from tests.golden import ENCRYPT, MSG_SIGNATURE, NONCE, TIMESTAMP
    app = make_app(sqlite_db, redis_url, wechat_mock, WECHAT_AES_KEY=TEST_AES_KEY,
                   MAX_CLOCK_SKEW=10 ** 10)
    chat = fake_wechat(app)
    query = {"signature": sign("testtoken", TIMESTAMP, NONCE), "timestamp": TIMESTAMP,
             "nonce": NONCE, "encrypt_type": "aes", "msg_signature": MSG_SIGNATURE}
    body = f"<xml><ToUserName><![CDATA[gh_twork]]></ToUserName><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
    reply = chat.post_xml(body, query=query)
    assert chat.last_status == 200
    assert reply.startswith(texts.HELP_HEADER)


HOSTILE = {
    "not xml": b"this is not xml",
    "billion laughs": b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>""",
    "xxe": b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>""",
    "missing MsgType": b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
                       b"<CreateTime>1</CreateTime><Content>hi</Content></xml>",
    "missing sender": b"<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime>"
                      b"<MsgType>text</MsgType><Content>hi</Content><MsgId>5</MsgId></xml>",
    "non-numeric MsgId": b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
                         b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content>"
                         b"<MsgId>abc</MsgId></xml>",
    "duplicate MsgType": b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
                         b"<CreateTime>1</CreateTime><MsgType>text</MsgType><MsgType>text</MsgType>"
                         b"<Content>hi</Content><MsgId>6</MsgId></xml>",
    "not utf-8": b"<xml>\xff\xfe</xml>",
    "empty": b"",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_bad_bodies_get_400_fast_and_store_nothing(wx, redis_conn, name):
    started = time.monotonic()
    wx.post_xml(HOSTILE[name])
    elapsed = time.monotonic() - started
    assert wx.last_status == 400, wx.last_body
    assert "error" in wx.last_body
    assert elapsed < 0.1
    assert claims() == [] and redis_conn.keys("twork:session:*") == []


def test_oversize_body_is_refused(wx, redis_conn):
    wx.say("x" * (70 * 1024))
    assert wx.last_status == 413
    assert claims() == []


def test_control_characters_and_cdata_end_are_survived(wx):
    reply = wx.say("帮助 hello\x08\x1d]]>world")
    assert wx.last_status == 200
    assert "「hello]]>world」" in reply  # control characters dropped, "]]>" intact
    assert reply == texts.HELP_UNKNOWN.format(text="hello]]>world")


@pytest.mark.parametrize("fixture,app_fixture", [("wx", "app"), ("safe_wx", "safe_app")])
def test_control_characters_in_a_reply_are_dropped(request, fixture, app_fixture):
    # e.g. a task title with \x01 stored through the API or by the ERP, shown by 详情
    client, app = request.getfixturevalue(fixture), request.getfixturevalue(app_fixture)
    extra = Routes()

    @extra.command("回显", bound=False)
    def echo(ctx):
        """回显 — test only"""
        return "标题\x01\x0b\x1f\ufffe]]>尾"

    app.extensions["twork.router"] = Router(ROUTES[:-1] + [extra, ROUTES[-1]], texts)
    assert client.say("回显") == "标题]]>尾"
    assert client.last_status == 200


def _counting_app(app, delay=0.0):
    calls = []
    extra = Routes()

    @extra.command("计数", "count", bound=False)
    def count(ctx):
        """计数 — test only"""
        calls.append(ctx.text)
        time.sleep(delay)
        return f"第{len(calls)}次"

    app.extensions["twork.router"] = Router(ROUTES[:-1] + [extra, ROUTES[-1]], texts)
    return calls


def test_retries_of_the_same_message_act_once_and_answer_the_same(app, wx):
    calls = _counting_app(app)
    xml = wx.message_xml({"MsgType": "text", "Content": "计数", "MsgId": 900001})
    replies = [wx.post_xml(xml) for _ in range(3)]
    assert calls == ["计数"]
    assert replies == ["第1次"] * 3
    assert wx.say("计数") == "第2次"  # a new MsgId is a new message


def test_retry_arriving_during_the_first_attempt_waits_for_its_reply(app, wx):
    calls = _counting_app(app, delay=0.5)
    xml = wx.message_xml({"MsgType": "text", "Content": "计数", "MsgId": 900002})
    second = fake_wechat(app)
    results = {}
    first = threading.Thread(target=lambda: results.__setitem__("first", wx.post_xml(xml)))
    first.start()
    time.sleep(0.1)
    results["second"] = second.post_xml(xml)
    first.join()
    assert calls == ["计数"]
    assert results == {"first": "第1次", "second": "第1次"}


def test_events_dedupe_on_sender_time_event_and_key(app, wx):
    calls = []
    extra = Routes()

    @extra.click("TEST_KEY", bound=False)
    def clicked(ctx):
        calls.append(ctx.event_key)
        return "ok"

    app.extensions["twork.router"] = Router(ROUTES + [extra], texts)
    stamp = int(time.time())
    assert wx.click("TEST_KEY", create_time=stamp) == "ok"
    assert wx.click("TEST_KEY", create_time=stamp) == "ok"
    assert len(calls) == 1
    wx.push({"MsgType": "event", "Event": "CLICK", "EventKey": "OTHER"}, create_time=stamp)
    assert wx.click("TEST_KEY", create_time=stamp + 1) == "ok"
    assert len(calls) == 2


def test_subscribe_welcomes_and_explains_binding(wx):
    assert wx.subscribe() == texts.WELCOME
    assert wx.subscribe(scene="qr1", create_time=int(time.time()) + 1) == texts.WELCOME


def test_unknown_menu_key_and_unknown_event(wx):
    assert wx.click("NO_SUCH_KEY") == texts.UNKNOWN_MENU
    assert wx.push({"MsgType": "event", "Event": "LOCATION", "Latitude": "1", "Longitude": "2",
                    "Precision": "1"}) == ""
    assert wx.last_status == 200 and wx.last_body == "success"


def test_image_message_from_an_unbound_user_gets_the_binding_instructions(wx):
    reply = wx.push({"MsgType": "image", "PicUrl": "http://x/y.jpg", "MediaId": "m", "MsgId": 4242})
    assert reply == texts.NEED_BIND


def test_voice_recognition_goes_through_the_command_parser(wx):
    assert wx.voice("帮助。").startswith(texts.HELP_HEADER)


def test_handler_failure_gives_sorry_and_logs(app, wx, caplog):
    extra = Routes()

    @extra.command("炸", bound=False)
    def boom(ctx):
        raise RuntimeError("kaboom")

    app.extensions["twork.router"] = Router(ROUTES[:-1] + [extra, ROUTES[-1]], texts)
    app.config["PROPAGATE_HANDLER_ERRORS"] = False
    assert wx.say("炸") == texts.SORRY
    assert "handler failed" in caplog.text and "kaboom" in caplog.text


def test_settings_refuse_to_start_with_clear_messages():
    with pytest.raises(SettingsError) as err:
        load_settings({})
    for name in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET", "WECHAT_TEMPLATE_TASK", "PUBLIC_BASE_URL"):
        assert name in str(err.value)
    with pytest.raises(SettingsError) as err:
        load_settings({**TEST_SETTINGS, "WECHAT_AES_KEY": "tooshort"})
    assert "43" in str(err.value) and "WECHAT_TOKEN" not in str(err.value)
    with pytest.raises(SettingsError) as err:
        load_settings({**TEST_SETTINGS, "DATABASE_URL": "mysql://x", "WECHAT_API_BASE": "ftp://x"})
    assert "DATABASE_URL" in str(err.value) and "WECHAT_API_BASE" in str(err.value)
    ok = load_settings({**TEST_SETTINGS, "WECHAT_AES_KEY": TEST_AES_KEY})
    assert ok.safe_mode and ok.WECHAT_API_BASE == "https://api.weixin.qq.com"
