"""Statements built once (store.prebuilt) answer exactly as the peewee queries they are
written as, on SQLite and on PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest

from store import pushclaims
from store.models import Company, PushClaim, TaskLog, User, WeChatBinding
from store.prebuilt import Prebuilt, columns, stored
from store.taskstate import add_log
from store.users import user_for_openid
from tests.factories import make_task, make_world

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


def _bound_user(company, account, openid, **fields):
    user = User.create(company=company, account=account, name=account, password_hash="x", **fields)
    WeChatBinding.create(company=company, user=user, openid=openid)
    return user


def test_the_sender_comes_with_their_company_and_binding(any_db):
    company = Company.create(code="ACME", name="示例", timezone="Asia/Shanghai", webhook_secret="s1")
    other = Company.create(code="OTHER", name="别家", webhook_secret="s2")
    alice = _bound_user(company, "alice", "o-alice")
    _bound_user(other, "bob", "o-bob", active=False)
    found = user_for_openid("o-alice")
    assert (found.id, found.account, found.company.code, found.company.timezone) == (
        alice.id, "alice", "ACME", "Asia/Shanghai")
    assert found.binding.blocked_at is None and found.binding.id == WeChatBinding.get(WeChatBinding.user == alice.id).id
    WeChatBinding.update(blocked_at=NOW).where(WeChatBinding.user == alice.id).execute()
    assert user_for_openid("o-alice").binding.blocked_at == NOW
    assert user_for_openid("o-bob") is None  # inactive
    assert user_for_openid("o-nobody") is None
    assert user_for_openid("o-alice' OR '1'='1") is None  # a value, never SQL


def test_claims_take_a_key_once_until_it_expires(any_db):
    assert pushclaims.put_each_once([("k", None, 300), ("sig", "digest", 600)], NOW) == {
        "k": None, "sig": None}
    held = pushclaims.put_each_once([("k", None, 300), ("sig", "other", 600)], NOW)
    assert held["k"].value is None and held["sig"].value == "digest"
    assert PushClaim.get(PushClaim.key == "sig").expires_at == NOW + timedelta(seconds=600)
    pushclaims.put("k", "回复", 300, NOW)
    assert pushclaims.get("k", NOW).value == "回复"
    later = NOW + timedelta(seconds=301)
    assert pushclaims.put_once("k", None, 300, later) is None  # expired: taken over
    assert pushclaims.get("k", later).value is None


def test_a_statement_must_use_every_argument_it_names(any_db):
    unused = Prebuilt(lambda openid, other: WeChatBinding.select().where(
        WeChatBinding.openid == openid), "openid", "other")
    with pytest.raises(ValueError):
        unused.first(openid="x", other="y")


def test_writes_keep_booleans_and_json_as_their_fields_store_them(any_db):
    company = Company.create(code="ACME", name="示例", webhook_secret="s1")
    _bound_user(company, "alice", "o-alice")
    follow = Prebuilt(lambda openid, **values: WeChatBinding.update(
        columns(WeChatBinding, ("followed", "blocked_at"), values))
        .where(WeChatBinding.openid == openid), "openid", "followed", "blocked_at")
    for followed in (False, True, False):
        assert follow.rowcount(openid="o-alice", **stored(
            WeChatBinding, {"followed": followed, "blocked_at": NOW})) == 1
        binding = WeChatBinding.get(WeChatBinding.openid == "o-alice")
        assert (binding.followed, binding.blocked_at) == (followed, NOW)
    note = Prebuilt(lambda **values: Company.update(columns(Company, ("name",), values))
                    .where(Company.code == "ACME"), "name")
    note.rowcount(**stored(Company, {"name": "名字'); DROP TABLE company; --"}))
    assert Company.get(Company.code == "ACME").name == "名字'); DROP TABLE company; --"


def test_the_log_keeps_its_details_as_json(any_db):
    w = make_world()
    task = make_task(w, assignee=w.h1)
    add_log(task, None, "erp_repeat", NOW, event_id="evt-2", changes={"金额": [1, 2]}, ok=True)
    row = TaskLog.select().where(TaskLog.action == "erp_repeat").get()
    assert row.detail == {"event_id": "evt-2", "changes": {"金额": [1, 2]}, "ok": True}
    assert row.actor_id is None and row.created_at == NOW and row.company_id == w.company.id
