"""The demo for newcomers: a binding code for every demo person, the banner saying whether
safe mode is on, and `python -m bot authorize` working next to the demo without flags."""
import json
from datetime import datetime

from bot import cli
from bot.demo import ACCOUNTS, CONSOLE_OPENID, banner, binding_codes, demo_openid, seed
from bot.settings import REQUIRED
from store import users
from store.db import utcnow
from store.quiet import quiet_until
from tests.factories import SH


def test_the_demo_gives_every_person_a_code_and_says_whether_safe_mode_is_on(sqlite_db):
    company = seed(utcnow())
    people = binding_codes(company, utcnow())
    assert list(people) == list(ACCOUNTS)
    assert people["zhangsan"] == {**people["zhangsan"], "openid": CONSOLE_OPENID, "bound": True}
    assert people["lisi"]["openid"] == demo_openid("lisi") and people["lisi"]["bound"] is False
    plain = banner("http://127.0.0.1:8000", "http://127.0.0.1:8011",
                   {"DATABASE_URL": sqlite_db}, "key", people)
    for person in people.values():
        assert f"{person['name']}" in plain and f"绑定 {person['code']}" in plain
    assert "safe mode     off" in plain
    safe = banner("http://127.0.0.1:8000", "http://127.0.0.1:8011",
                  {"DATABASE_URL": sqlite_db, "WECHAT_AES_KEY": "k" * 43}, "key", people)
    assert "safe mode     ON" in safe
    # Each printed code binds its person (what a newcomer or the console's /as does).
    assert users.bind_wechat("oNewUser0002", people["lisi"]["code"], utcnow()).account == "lisi"


def test_authorize_works_next_to_the_demo_without_flags(sqlite_db, tmp_path, monkeypatch, capsys):
    seed(utcnow())
    state = tmp_path / "instance" / "demo.json"
    state.parent.mkdir()
    state.write_text(json.dumps({"database_url": sqlite_db, "company": "DEMO"}))
    monkeypatch.chdir(tmp_path)
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)

    cli.main(["authorize"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(ACCOUNTS) and all("「绑定 " in line for line in lines)
    code = lines[2].split("「绑定 ")[1].rstrip("」")
    assert users.bind_wechat("oNew", code, utcnow()).account == "lisi"

    cli.main(["authorize", "--account", "wangwu"])
    [line] = capsys.readouterr().out.splitlines()
    assert "(wangwu)" in line


def test_the_banner_says_when_quiet_hours_hold_the_notices(sqlite_db):
    company = seed(utcnow())
    night = quiet_until(company, datetime(2026, 12, 2, 23, 0, tzinfo=SH))
    text = banner("http://b", "http://m", {"DATABASE_URL": sqlite_db}, "key", {}, night)
    assert "quiet hours   now" in text and "wait until 08:00" in text
    day = quiet_until(company, datetime(2026, 12, 2, 11, 0, tzinfo=SH))
    assert "quiet hours" not in banner("http://b", "http://m", {"DATABASE_URL": sqlite_db}, "key", {}, day)
