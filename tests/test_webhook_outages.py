"""Chat while Redis is down, and two messages of one user at once: every push answered
within WeChat's budget, acted on once, dialogs kept or refused plainly, and everything
back to normal when Redis returns, without a restart."""
import threading
import time

import pytest

from handlers import texts
from store.models import Notification
from tests.chat_fixtures import chat, clock, world  # noqa: F401
from tests.conftest import make_app
from tests.redis_claim import RedisServer
from tests.webhook_support import install

BUDGET = 1.5  # seconds per push; WeChat allows 5


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(sqlite_db, own_redis, wechat_mock):
    return make_app(sqlite_db, own_redis.url, wechat_mock)


def timed(send):
    started = time.monotonic()
    reply = send()
    assert time.monotonic() - started < BUDGET
    return reply


def test_chat_answers_while_redis_is_down_and_recovers(app, own_redis, chat, world):
    calls = install(app)
    alice = chat(world.alice)
    wx = alice.wx
    assert alice.say("收集") == "开始收集" and alice.say("苹果") == "记下了"

    own_redis.stop()
    # A guided dialog cannot be kept: said plainly, and nothing is half-done.
    assert timed(lambda: alice.say("收集")) == texts.DIALOG_UNAVAILABLE
    # Commands work; WeChat's retries of one message are answered alike and acted on once.
    xml = wx.message_xml({"MsgType": "text", "Content": "计数", "MsgId": 880001}, alice.openid)
    assert [timed(lambda: wx.post_xml(xml)) for _ in range(3)] == [f"{alice.openid}第1次"] * 3
    # A change made now notifies through the outbox; the hand-off to RQ fails quietly.
    reply = timed(lambda: alice.say("新建 核对到货 @张一 明天18:00"))
    assert reply.startswith("已创建") and wx.last_status == 200
    assert Notification.select().where(Notification.user == world.h1,
                                       Notification.status == "pending").count() == 1

    own_redis.start()
    assert wx.post_xml(xml) == f"{alice.openid}第1次"  # claimed during the outage: still not acted on again
    assert calls == [alice.openid]
    assert alice.say("计数") == f"{alice.openid}第2次"
    assert alice.say("收集") == "开始收集" and alice.say("梨") == "记下了"
    assert alice.say("完") == "收到：梨"


def test_pushes_across_a_redis_restart_are_each_acted_on_once(app, own_redis, wx):
    calls = install(app)
    sent = []
    for i in range(24):
        if i == 8:
            own_redis.stop()
        if i == 16:
            own_redis.start()
        xml = wx.message_xml({"MsgType": "text", "Content": "计数", "MsgId": 990000 + i},
                             f"o{i}")
        sent.append(xml)
        assert timed(lambda: wx.post_xml(xml)) == f"o{i}第1次"
        if i:  # WeChat resending the previous push, with a new timestamp and nonce
            assert timed(lambda: wx.post_xml(sent[i - 1])) == f"o{i - 1}第1次"
    assert sorted(calls) == sorted(f"o{i}" for i in range(24))


def test_two_messages_of_one_user_arriving_together_both_update_the_dialog(app, chat, world):
    install(app, delay=0.3)
    alice = chat(world.alice)
    assert alice.say("收集") == "开始收集"
    replies = []
    threads = [threading.Thread(target=lambda t=t: replies.append(alice.say(t)))
               for t in ("苹果", "香蕉")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies == ["记下了", "记下了"]
    assert alice.say("完") in ("收到：苹果、香蕉", "收到：香蕉、苹果")
