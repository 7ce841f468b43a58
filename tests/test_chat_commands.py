"""Free checks for every chat command (Zulip's DefaultTests): alone it answers a bound user,
and it appears in 帮助; plus unknown text and the help list's own size."""
import pytest

from bot.wire import MAX_REPLY_BYTES
from handlers import ROUTES, texts
from handlers.replies import fit_list, size
from tests.chat_fixtures import chat, clock, world  # noqa: F401

WORDS = sorted({word for module in ROUTES for words, _, _ in module.commands for word in words})


def test_every_command_alone_answers_a_bound_user(chat, world):
    admin = chat(world.admin)
    for word in WORDS:
        if word in ("解绑", "unbind", "logout"):
            continue
        reply = admin.say(word)
        assert reply and reply != texts.SORRY, word
        assert size(reply) <= MAX_REPLY_BYTES
        admin.say("取消")  # 新建 / 反馈 open a dialog


def test_every_command_is_in_help(chat, world):
    admin = chat(world.admin)
    help_text = admin.say("帮助")
    assert size(help_text) <= MAX_REPLY_BYTES and "…还有" not in help_text
    for module in ROUTES:
        for words, _, route in module.commands:
            line = route.handler.__doc__.strip().splitlines()[0]
            assert line.split(" — ")[0] in help_text, route.handler.__name__
            assert admin.say(f"帮助 {words[0]}") == line  # the full help of one command


def test_help_for_an_unknown_command_says_so(chat, world):
    assert chat(world.admin).say("帮助 飞天") == texts.HELP_UNKNOWN.format(text="飞天")


def test_unknown_text_gets_a_hint(chat, world):
    assert chat(world.admin).say("你好呀") == texts.HINT.format(text="你好呀")


@pytest.mark.parametrize("count", [0, 1, 500])
def test_fit_list_cuts_on_lines_and_counts_the_rest(count):
    items = [f"{i}. 一条很长的任务标题，用来把回复撑到两千字节以上" for i in range(1, count + 1)]
    reply, shown = fit_list("头", items, "尾")
    assert size(reply) <= MAX_REPLY_BYTES
    assert reply.startswith("头") and reply.endswith("尾")
    assert (texts.MORE.format(n=count - shown) in reply) == (shown < count)


def test_voice_recognition_goes_through_the_same_commands(chat, wx, world):
    admin = chat(world.admin)
    assert wx.voice("待办", openid=admin.openid) == texts.TODO_EMPTY
