"""Who may push: safe mode cannot be downgraded, a plaintext signature is used once,
retries are recognised per sender, malformed and oversize bodies are 4xx."""
import io
import json
import subprocess
import sys

import pytest

from bot.fakewechat import FakeWeChat
from bot.settings import SettingsError, load_settings
from tests.conftest import TEST_AES_KEY, TEST_SETTINGS, fake_wechat, make_app
from tests.test_webhook import claims
from tests.webhook_support import install as counting


def text_xml(chat, content="计数", msg_id=424242, openid=None):
    return chat.message_xml({"MsgType": "text", "Content": content, "MsgId": msg_id}, openid)


# -- safe mode cannot be downgraded ---------------------------------------------------------

@pytest.mark.parametrize("query_extra", [{}, {"encrypt_type": "raw"}])
def test_safe_mode_refuses_a_plaintext_push(safe_app, safe_wx, redis_conn, query_extra):
    calls = counting(safe_app)
    query = {**safe_wx.signed_query(), **query_extra}
    reply = safe_wx.post_xml(text_xml(safe_wx), query=query, encrypt=False)
    assert safe_wx.last_status == 403
    assert reply == "" and "计数" not in safe_wx.last_body
    assert calls == [] and claims() == []


def test_safe_mode_still_answers_encrypted_pushes(safe_app, safe_wx):
    calls = counting(safe_app)
    assert safe_wx.post_xml(text_xml(safe_wx)) == f"{safe_wx.openid}第1次"
    assert "<Encrypt>" in safe_wx.last_body and calls == [safe_wx.openid]


def test_compatible_mode_accepts_both_when_configured(sqlite_db, redis_url, redis_conn, wechat_mock):
    app = make_app(sqlite_db, redis_url, wechat_mock, WECHAT_AES_KEY=TEST_AES_KEY,
                   WECHAT_COMPAT_MODE=True)
    chat = fake_wechat(app)
    calls = counting(app)
    assert chat.post_xml(text_xml(chat, msg_id=1), encrypt=False) == f"{chat.openid}第1次"
    assert "<Encrypt>" not in chat.last_body  # answered as it was asked: in clear
    assert chat.post_xml(text_xml(chat, msg_id=2)) == f"{chat.openid}第2次"
    assert "<Encrypt>" in chat.last_body
    assert len(calls) == 2


def test_compat_mode_setting_is_validated():
    env = {**TEST_SETTINGS, "WECHAT_AES_KEY": TEST_AES_KEY}
    assert load_settings({**env, "WECHAT_COMPAT_MODE": "1"}).WECHAT_COMPAT_MODE is True
    assert load_settings({**env, "WECHAT_COMPAT_MODE": "0"}).WECHAT_COMPAT_MODE is False
    assert load_settings(env).WECHAT_COMPAT_MODE is False
    with pytest.raises(SettingsError, match="WECHAT_COMPAT_MODE must be 0 or 1"):
        load_settings({**env, "WECHAT_COMPAT_MODE": "yes"})
    with pytest.raises(SettingsError, match="needs WECHAT_AES_KEY"):
        load_settings({**TEST_SETTINGS, "WECHAT_COMPAT_MODE": "1"})


# -- a plaintext signature is used once -----------------------------------------------------

def test_a_signature_cannot_sign_a_second_body(app, wx):
    calls = counting(app)
    query = wx.signed_query()
    assert wx.post_xml(text_xml(wx, msg_id=11), query=query) == f"{wx.openid}第1次"
    # The same logged query string, another message, another user:
    forged = text_xml(wx, msg_id=12, openid="oVictim")
    assert wx.post_xml(forged, query=query) == ""
    assert wx.last_status == 403
    assert calls == [wx.openid]
    # The refused push claimed nothing: the victim's real message with that id is acted on.
    real = FakeWeChat(wx.post, token=wx.token, appid=wx.appid, openid="oVictim")
    assert real.post_xml(text_xml(real, msg_id=12, openid="oVictim")) == "oVictim第1次"


def test_an_identical_resend_is_a_retry_not_a_replay(app, wx):
    calls = counting(app)
    query, xml = wx.signed_query(), text_xml(wx, msg_id=13)
    replies = [wx.post_xml(xml, query=query) for _ in range(3)]
    assert replies == [f"{wx.openid}第1次"] * 3 and all(s == 200 for s in [wx.last_status])
    assert calls == [wx.openid]


def test_encrypted_pushes_are_bound_by_msg_signature_not_by_nonce(safe_app, safe_wx):
    # A resend of the same envelope is a retry; the nonce check is for plaintext only.
    calls = counting(safe_app)
    query = safe_wx.signed_query()
    first = safe_wx.post_xml(text_xml(safe_wx, msg_id=14), query=dict(query))
    again = safe_wx.post_xml(text_xml(safe_wx, msg_id=14), query=dict(query))
    assert first == again == f"{safe_wx.openid}第1次" and len(calls) == 1


# -- retries are recognised per sender ------------------------------------------------------

def test_two_users_with_the_same_msg_id_are_two_messages(app, wx):
    calls = counting(app)
    assert wx.post_xml(text_xml(wx, msg_id=777, openid="oAlice")) == "oAlice第1次"
    assert wx.post_xml(text_xml(wx, msg_id=777, openid="oBob")) == "oBob第1次"
    assert calls == ["oAlice", "oBob"]


_CONSOLE = """
import json, sys, time_machine, xmltodict
with time_machine.travel(1_800_000_000, tick=False):
    from bot.fakewechat import FakeWeChat
    ids = []
    def post(query, body):
        ids.append(int(xmltodict.parse(body)["xml"]["MsgId"]))
        return 200, "success"
    chat = FakeWeChat(post, token="t", openid="oConsole")
    for _ in range(50):
        chat.say("待办")
print(json.dumps(ids))
"""


def test_two_consoles_started_at_once_never_reuse_a_msg_id():
    runs = [subprocess.run([sys.executable, "-c", _CONSOLE], capture_output=True, text=True,
                           check=True) for _ in range(2)]
    first, second = (json.loads(run.stdout) for run in runs)
    assert len(set(first)) == 50 and not set(first) & set(second)
    assert all(0 < i < 2 ** 63 for i in first + second)


# -- malformed and oversize bodies ------------------------------------------------------------

_HEAD = ("<xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName>"
         "<CreateTime>1700000000</CreateTime>")
MALFORMED = {
    "duplicated Content": _HEAD + "<MsgType>text</MsgType><Content>待办</Content>"
                                  "<Content>帮助</Content><MsgId>31</MsgId></xml>",
    "nested Content": _HEAD + "<MsgType>text</MsgType><Content><b>待办</b></Content>"
                              "<MsgId>32</MsgId></xml>",
    "duplicated EventKey": _HEAD + "<MsgType>event</MsgType><Event>CLICK</Event>"
                                   "<EventKey>A</EventKey><EventKey>B</EventKey></xml>",
    "nested Recognition": _HEAD + "<MsgType>voice</MsgType><MediaId>m</MediaId>"
                                  "<Recognition><x>待办</x></Recognition><MsgId>33</MsgId></xml>",
}


@pytest.mark.parametrize("fixture", ["wx", "safe_wx"])
@pytest.mark.parametrize("name", list(MALFORMED))
def test_repeated_or_nested_text_fields_are_400(request, redis_conn, fixture, name):
    chat = request.getfixturevalue(fixture)
    chat.post_xml(MALFORMED[name])
    assert chat.last_status == 400, chat.last_body
    assert claims() == []


def _chunked(app, chat, body: bytes):
    return app.test_client().post(
        "/wechat", query_string=chat.signed_query(), input_stream=io.BytesIO(body),
        headers={"Content-Type": "text/xml", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_413(app, wx, redis_conn):
    calls = counting(app)
    body = text_xml(wx, content="计数" + "x" * (70 * 1024)).encode()
    response = _chunked(app, wx, body)
    assert response.status_code == 413
    assert calls == [] and claims() == []


def test_a_chunked_body_within_the_limit_is_read(app, wx):
    calls = counting(app)
    response = _chunked(app, wx, text_xml(wx, msg_id=41).encode())
    assert response.status_code == 200
    assert wx.reply_text(response.get_data(as_text=True)) == f"{wx.openid}第1次"
    assert calls == [wx.openid]
