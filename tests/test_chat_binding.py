"""绑定 / 解绑 / 摘要, and what an unbound WeChat user is told."""
import re

from bot import cli
from handlers import texts
from handlers.binding import MAX_WRONG_CODES
from menus.main import MENU, click_keys
from store import users
from store.db import utcnow
from tests.chat_fixtures import chat, clock, world  # noqa: F401


def _bound_commands(app):
    router = app.extensions["twork.router"]
    return sorted(word for word, (_, route) in router.commands.items() if route.bound)


def test_stranger_gets_binding_instructions_for_every_bound_command(app, chat, world):
    stranger = chat(world.alice, openid="o_new", bound=False)
    for word in _bound_commands(app):
        assert stranger.say(word) == texts.NEED_BIND, word


def test_stranger_gets_binding_instructions_for_every_menu_click(chat, world):
    stranger = chat(world.alice, openid="o_new", bound=False)
    for key in click_keys(MENU):
        assert stranger.click(key) == texts.NEED_BIND, key


def test_stranger_may_ask_for_help(chat, world):
    stranger = chat(world.alice, openid="o_new", bound=False)
    assert stranger.say("帮助").startswith(texts.HELP_HEADER)
    assert stranger.say("?").startswith(texts.HELP_HEADER)


def test_user_binds_with_a_one_time_code(chat, world):
    code, _ = users.authorize_user(world.admin, world.alice.id, utcnow())
    alice = chat(world.alice, openid="o_alice", bound=False)
    assert alice.say(f"绑定 {code.lower()}") == texts.BOUND.format(name="爱丽丝", company="acme公司")
    assert alice.say("待办") == texts.TODO_EMPTY
    # single use: the same code cannot bind a second WeChat user
    thief = chat(world.alice, openid="o_thief", bound=False)
    assert thief.say(f"bind {code}") == texts.BIND_FAILED.format(left=MAX_WRONG_CODES - 1)
    assert thief.say("待办") == texts.NEED_BIND


def test_bind_without_code_shows_usage(chat, world):
    assert chat(world.alice, openid="o_x", bound=False).say("绑定") == texts.BIND_USAGE


def test_five_wrong_codes_lock_binding_for_an_hour(chat, world):
    guesser = chat(world.alice, openid="o_guess", bound=False)
    for tried in range(1, MAX_WRONG_CODES):
        assert guesser.say("绑定 WRONG123") == texts.BIND_FAILED.format(left=MAX_WRONG_CODES - tried)
    assert guesser.say("绑定 WRONG123") == texts.BIND_LOCKED
    code, _ = users.authorize_user(world.admin, world.alice.id, utcnow())
    assert guesser.say(f"绑定 {code}") == texts.BIND_LOCKED  # even the right code waits
    assert users.user_for_openid("o_guess") is None
    # another WeChat user is not affected
    assert chat(world.h1, openid="o_other", bound=False).say(f"绑定 {code}").startswith("绑定成功")


def test_unbind_stops_everything_until_bound_again(chat, world):
    alice = chat(world.alice)
    assert alice.say("解绑") == texts.UNBOUND
    assert alice.say("待办") == texts.NEED_BIND
    assert alice.say("logout") == texts.NOT_BOUND


def test_digest_preference_is_saved(chat, world):
    alice = chat(world.alice)
    assert alice.say("退订摘要") == texts.DIGEST_OFF
    assert users.get_user(world.company.id, world.alice.id).digest_opt_in is False
    assert alice.say("digest") == texts.DIGEST_ON
    assert users.get_user(world.company.id, world.alice.id).digest_opt_in is True


def test_operator_cli_code_binds(chat, world, sqlite_db, capsys):
    cli.main(["authorize", "--company", "acme", "--account", "h1", "--database-url", sqlite_db])
    code = re.search(r"绑定 (\w+)", capsys.readouterr().out)[1]
    h1 = chat(world.h1, openid="o_h1", bound=False)
    assert h1.say(f"绑定 {code}") == texts.BOUND.format(name="张一", company="acme公司")
