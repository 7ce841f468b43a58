"""Chat test helpers: a fixed clock, the factories' company, and people chatting through
the real webhook, each with their own openid.

    def test_x(chat, world):
        alice = chat(world.alice)          # bound to alice's Twork account
        assert alice.say("待办") == texts.TODO_EMPTY
"""
import itertools
from datetime import datetime

import pytest
import time_machine

from store import users
from store.db import utcnow
from tests.factories import SH, make_world

# A Tuesday morning in Shanghai; tests/factories.NOW (the day before) is in its past.
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=SH)

# Events carry no MsgId: WeChat's retries are recognised by sender + CreateTime + key, so
# two clicks of the same button in one second would look like a retry. Give each its own.
_create_times = itertools.count(1_700_000_000)


class Person:
    def __init__(self, wx, user, openid):
        self.wx, self.user, self.openid = wx, user, openid

    def say(self, text: str) -> str:
        return self.wx.say(text, openid=self.openid)

    def click(self, key) -> str:
        return self.wx.click(key, openid=self.openid, create_time=next(_create_times))


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=True) as traveller:
        yield traveller


@pytest.fixture
def world(app, clock):
    return make_world()


@pytest.fixture
def chat(wx):
    def person(user=None, *, openid=None, bound=True) -> Person:
        openid = openid or f"o_{user.company_id}_{user.account}"
        if bound:
            code, _ = users.authorize_user(users.operator(user.company_id), user.id, utcnow())
            users.bind_wechat(openid, code, utcnow())
        return Person(wx, user, openid)
    return person


@pytest.fixture
def jobs_use_mock(app, redis_url, wechat_mock, tmp_path):
    """The RQ jobs of this process talk to the WeChat mock, use the app's database and keep
    files under tmp_path."""
    from bot.wechat_api import clear_clients
    from jobs import runtime
    from tests.notify_support import settings_for
    settings = settings_for(app.config["TWORK"].DATABASE_URL, redis_url, wechat_mock,
                            MEDIA_DIR=str(tmp_path / "media"))
    runtime.configure(settings)
    clear_clients()
    yield settings
    runtime.configure(None)
    clear_clients()


def talk(person: Person, steps) -> list[str]:
    """Say each text and check that each reply contains the expected piece."""
    replies = []
    for text, expected in steps:
        reply = person.say(text)
        assert expected in reply, f"{text!r} → {reply!r}"
        replies.append(reply)
    return replies


def sent_fields(redis_conn, worker, wechat_mock, person: Person) -> list[dict]:
    """Send what is queued (a real RQ worker), then the template fields `person` got through
    the WeChat mock; the mock then forgets every delivery."""
    from bot.queues import enqueue_created_notifications
    enqueue_created_notifications(redis_conn)
    worker()
    got = [m["data"] for m in wechat_mock.sent_to(person.openid)]
    wechat_mock.reset()
    return got
