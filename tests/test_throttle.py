"""The attempt limits (bot.throttle) on real Redis: counted before the check, atomically,
always with an expiry, refusing plainly when Redis is gone; exercised by many concurrent
wrong logins and wrong binding codes against a real threaded server."""
import logging
import threading
from contextlib import contextmanager

import pytest
import redis as redis_lib
import requests
import time_machine
from werkzeug.serving import make_server

from bot import throttle
from bot.fakewechat import FakeWeChat
from handlers import texts
from store import users
from store.db import utcnow
from tests.conftest import make_app
from tests.factories import NOW, make_world
from tests.page_support import csrf, oauth

CONCURRENT = 40


@pytest.fixture
def world(app):
    return make_world()


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def all_at_once(count: int, attempt) -> list:
    """Run `attempt()` in `count` threads released together; their results in any order."""
    gate, results, lock = threading.Barrier(count), [], threading.Lock()

    def run():
        gate.wait()
        outcome = attempt()
        with lock:
            results.append(outcome)
    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == count
    return results


def throttle_keys(redis_conn) -> list[bytes]:
    return list(redis_conn.scan_iter(match=f"{throttle.KEY_PREFIX}:*"))


def assert_every_key_expires(redis_conn, within: int):
    keys = throttle_keys(redis_conn)
    assert keys
    for key in keys:
        assert 0 < redis_conn.ttl(key) <= within, key


# --- the throttle itself -----------------------------------------------------------------

def test_attempts_are_counted_before_the_check_and_the_window_moves(redis_conn):
    with time_machine.travel(NOW, tick=False) as clock:
        verdicts = [throttle.hit(redis_conn, "login", "openid:o1") for _ in range(6)]
        assert [v.allowed for v in verdicts] == [True] * 5 + [False]
        assert [v.remaining for v in verdicts[:5]] == [4, 3, 2, 1, 0]
        assert verdicts[4].retry_after == verdicts[5].retry_after == 15 * 60
        assert_every_key_expires(redis_conn, 15 * 60)
        assert throttle.hit(redis_conn, "login", "openid:o2").allowed  # another key, its own count
        clock.shift(15 * 60 + 1)
        assert throttle.hit(redis_conn, "login", "openid:o1").allowed


def test_a_refusal_by_the_first_bucket_leaves_the_shared_one_alone(redis_conn):
    account = throttle.account_key("acme", "Alice")
    assert account == throttle.account_key(" ACME ", "alice")
    for _ in range(5):
        throttle.hit(redis_conn, "login", "openid:guesser")
    for _ in range(3):
        assert not throttle.hit(redis_conn, "login", "openid:guesser", account).allowed
    owner = throttle.hit(redis_conn, "login", "openid:owner", account)
    assert owner.allowed and owner.remaining == 4


def test_reset_forgets_a_key(redis_conn):
    for _ in range(5):
        throttle.hit(redis_conn, "bind", "o-typo")
    assert not throttle.hit(redis_conn, "bind", "o-typo").allowed
    throttle.reset(redis_conn, "bind", "o-typo")
    assert throttle.hit(redis_conn, "bind", "o-typo").remaining == 4


def test_unreachable_redis_refuses_and_says_so():
    dead = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    verdict = throttle.hit(dead, "login", "openid:o1")
    assert not verdict.allowed and verdict.unavailable and verdict.retry_after > 0
    throttle.reset(dead, "login", "openid:o1")  # best effort: no exception


# --- the login page ----------------------------------------------------------------------

def queries(caplog, *pieces) -> int:
    """How many SQL statements peewee logged that contain all `pieces`."""
    return sum(1 for r in caplog.records
               if r.name == "peewee" and all(p in str(r.msg) for p in pieces))


def test_forty_concurrent_wrong_logins_let_exactly_five_reach_the_password_check(app, wechat_mock, world,
                                                                                 redis_conn, caplog):
    client = app.test_client()
    form = {"csrf_token": csrf(oauth(client, wechat_mock, "o-storm")), "company_code": "acme",
            "account": "alice", "password": "wrong"}
    cookie = client.get_cookie("session").value
    with serving(app) as base:
        def attempt():
            response = requests.post(f"{base}/m/login", data=form, cookies={"session": cookie},
                                     allow_redirects=False, timeout=60)
            return response.status_code, users.BAD_LOGIN in response.text
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            outcomes = all_at_once(CONCURRENT, attempt)
    assert queries(caplog, 'JOIN "company"', '"account" = ?') == throttle.rule("login").amount
    checked = [o for o in outcomes if o[1]]
    assert len(checked) == throttle.rule("login").amount  # told "wrong password": checked
    assert {status for status, _ in checked} == {422}
    assert sorted(o for o in outcomes if not o[1]) == [(429, False)] * (CONCURRENT - len(checked))
    assert_every_key_expires(redis_conn, 15 * 60)


def test_many_wechat_users_share_one_accounts_budget(app, wechat_mock, world, redis_conn):
    statuses = []
    for n in range(3):
        client = app.test_client()
        form = {"csrf_token": csrf(oauth(client, wechat_mock, f"o-ring-{n}")), "company_code": "acme",
                "account": "alice", "password": "wrong"}
        statuses += [client.post("/m/login", data=form).status_code for _ in range(3)]
    assert statuses == [422] * 5 + [429] * 4


def test_login_with_redis_unreachable_is_refused_plainly(sqlite_db, wechat_mock):
    app = make_app(sqlite_db, "redis://127.0.0.1:1/0", wechat_mock)
    make_world()
    client = app.test_client()
    form = {"csrf_token": csrf(oauth(client, wechat_mock, "o-nored")), "company_code": "acme",
            "account": "alice", "password": "wrong"}
    response = client.post("/m/login", data=form)
    assert response.status_code == 503 and "登录服务暂时不可用" in response.get_data(as_text=True)
    assert users.BAD_LOGIN not in response.get_data(as_text=True)  # no password was checked


# --- 绑定 CODE in chat -------------------------------------------------------------------

def test_forty_concurrent_wrong_codes_check_exactly_five(app, world, redis_conn, caplog):
    settings = app.config["TWORK"]
    with serving(app) as base:
        def post(query, body):
            response = requests.post(f"{base}/wechat", params=query, data=body,
                                     headers={"Content-Type": "text/xml"}, timeout=60)
            return response.status_code, response.text

        def attempt():  # one FakeWeChat each: it keeps the last answer on itself
            return FakeWeChat(post, token=settings.WECHAT_TOKEN, appid=settings.WECHAT_APPID,
                              openid="o-bind-storm").say("绑定 WRONG234")
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            replies = all_at_once(CONCURRENT, attempt)
    assert queries(caplog, "SELECT", '"code_hash" = ?') == throttle.rule("bind").amount
    # "N tries left" is read after the count, so under a storm it is approximate; the
    # number of codes actually checked is not
    # approximate too, and on a loaded machine some of one user's 40 messages outwait the
    # per-user lock and are told to resend: nothing done for them either
    refused = {texts.BIND_LOCKED, texts.BUSY}
    told = {texts.BIND_FAILED.format(left=n) for n in (4, 3, 2, 1)} | refused
    assert set(replies) <= told and sum(r not in refused for r in replies) <= 5
    assert_every_key_expires(redis_conn, 3600)


def test_a_right_code_clears_the_count(app, world, redis_conn, wx):
    with time_machine.travel(NOW, tick=True):
        for _ in range(3):
            wx.say("绑定 WRONG234", openid="o-typos")
        assert throttle_keys(redis_conn)
        code, _ = users.authorize_user(world.admin, world.alice.id, utcnow())
        assert wx.say(f"绑定 {code}", openid="o-typos").startswith("绑定成功")
    assert not throttle_keys(redis_conn)
