"""Statements built once (store.prebuilt) answer exactly as the peewee queries they are
written as, on SQLite and on PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest

from store import pushclaims
from store.models import Company, PushClaim, User, WeChatBinding
from store.prebuilt import Prebuilt
from store.users import user_for_openid

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
