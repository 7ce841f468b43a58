"""Statements per chat command, through the real webhook: each command costs a fixed number
of SQL statements whatever the length of the list or the size of the company.

A push also costs the retry bookkeeping of bot/retries.py (the claim, the signature in
plaintext mode, the reply kept for WeChat's resends): counted on its own, so that the
command's budget says what the command itself costs."""
from datetime import timedelta

import pytest
from playhouse.test_utils import count_queries

from handlers import texts
from handlers.todo import TODO_ROWS
from store import outbox
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.conftest import fake_wechat
from tests.factories import make_task

# SPEC budgets: 帮助 ≤ 2, 待办 ≤ 4, 详情 ≤ 8, 完成 ≤ 12. 待办 is held to what it does: the
# user, then one statement for the page and both exact counts.
LIMITS = {"帮助": 2, "待办": 2, "详情": 8, "完成": 12}
CLAIMS = {"plain": 2, "safe": 2}  # the claim (with the signature in plaintext), the reply kept


def statements(person, text) -> tuple[str, list[str], list[str]]:
    """The reply, the command's statements and the retry bookkeeping's."""
    outbox.take_created()  # notices of the set-up are not this command's to hand over
    with count_queries() as counted:
        reply = person.say(text)
    sql = [q.msg[0] for q in counted.get_queries()]
    return (reply, [s for s in sql if '"push_claim"' not in s],
            [s for s in sql if '"push_claim"' in s])


def within(person, text: str, mode: str = "plain") -> str:
    reply, sql, claims = statements(person, text)
    limit = LIMITS[text.split()[0]]
    assert len(sql) <= limit, f"{text}: {len(sql)} statements\n" + "\n".join(sql)
    assert len(claims) <= CLAIMS[mode], "\n".join(claims)
    return reply


def test_help_costs_at_most_two_statements(chat, world):
    assert texts.HELP_HEADER in within(chat(world.alice), "帮助")


def test_help_costs_the_same_in_safe_mode(safe_app, clock):
    from tests.chat_fixtures import Person
    from store import users
    from store.db import utcnow
    from tests.factories import make_world
    w = make_world()
    code, _ = users.authorize_user(users.operator(w.company.id), w.alice.id, utcnow())
    users.bind_wechat("o_safe_alice", code, utcnow())
    alice = Person(fake_wechat(safe_app), w.alice, "o_safe_alice")
    assert texts.HELP_HEADER in within(alice, "帮助", mode="safe")


@pytest.mark.parametrize("open_tasks", [1, 12, TODO_ROWS + 15])
def test_todo_costs_the_same_whatever_the_list_length(chat, world, open_tasks):
    overdue = 3 if open_tasks > 3 else 0
    for i in range(open_tasks):
        # The first few are due before T0 (overdue by the time the user asks).
        due = T0 + timedelta(hours=i + 1 - overdue)
        make_task(world, creator=world.alice, title=f"任务{i}", due=due,
                  now=min(due, T0) - timedelta(days=1))
    theirs = make_task(world, assignee=world.h1, title="别人的任务")
    reply = within(chat(world.alice), "待办")
    # The count is exact, however many rows the reply could show.
    assert reply.startswith(texts.TODO_HEADER.format(
        total=open_tasks, overdue=texts.TODO_OVERDUE.format(n=overdue) if overdue else ""))
    assert theirs.title not in reply
    if open_tasks > TODO_ROWS:
        assert texts.MORE.split("{")[0] in reply


def test_details_as_the_handler_who_starts_the_node(chat, world):
    make_task(world, nodes=[world.h1, world.h2, world.h3], watchers=[world.watcher])
    h1 = chat(world.h1)
    within(h1, "待办")
    reply = within(h1, "详情 1")
    assert "▶1. 张一 · 处理中" in reply and "张一开始处理" in reply


def test_details_as_a_watcher(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2], watchers=[world.watcher])
    reply = within(chat(world.watcher), f"详情 #{task.number}")
    assert "▶1. 张一 · 待处理" in reply


def test_completing_a_middle_node_and_the_last(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2], watchers=[world.watcher],
                     due=T0 + timedelta(days=2))
    h1, h2 = chat(world.h1), chat(world.h2)
    assert "王二" in within(h1, f"完成 #{task.number}")
    assert texts.COMPLETED_ALL in within(h2, f"完成 #{task.number}")
