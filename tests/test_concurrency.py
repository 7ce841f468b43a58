"""Two people acting on the same task at the same moment (SPEC §3): exactly one wins, the
other is told the task changed (Conflict) or refused by the rules it now sees; the task is
never corrupted. Real threads, each with its own connection (peewee connections are
thread-local), released together by a Barrier, on a SQLite file and on PostgreSQL."""
import threading

from store import tasks, workflow
from store.db import db
from store.errors import Conflict, DomainError, Forbidden, Refused
from store.models import Notification, Task, TaskLog, TaskNode
from tests.factories import NOW, drive, make_task, make_world

ROUNDS = 4


def race(*calls):
    """Run the calls in parallel threads, started together; return ("ok"|error class, value)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except DomainError as error:
            results[index] = (type(error), error)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[index] = ("crash", error)
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _one_winner(results):
    outcomes = [r[0] for r in results]
    assert outcomes.count("ok") == 1, results
    loser = next(r for r in results if r[0] != "ok")
    assert loser[0] in (Conflict, Refused, Forbidden), results


def _consistent(task_id):
    task = Task.get_by_id(task_id)
    states = [n.state for n in TaskNode.select().where(TaskNode.task == task_id)
              .order_by(TaskNode.seq)]
    if task.status == "done":
        assert set(states) == {"done"}
    else:
        cur = task.current_seq
        assert states[cur - 1] in ("active", "started")
        assert set(states[:cur - 1]) <= {"done"} and set(states[cur:]) <= {"pending"}
    return task


def _log_count(task_id):
    return TaskLog.select().where(TaskLog.task == task_id).count()


def test_two_completes_of_the_same_node_one_wins(any_db):
    world = make_world()
    for _ in range(ROUNDS):
        task = make_task(world, nodes=[world.h1, world.h2, world.h3])
        _one_winner(race(lambda: workflow.complete(world.h1, task.id, NOW),
                         lambda: workflow.complete(world.h1, task.id, NOW)))
        after = _consistent(task.id)
        assert (after.current_seq, after.version, _log_count(task.id)) == (2, 1, 2)
        assert Notification.select().where(Notification.task == task.id,
                                           Notification.kind == "task_received",
                                           Notification.user == world.h2.id).count() == 1


def test_complete_versus_transfer_one_wins(any_db):
    world = make_world()
    for _ in range(ROUNDS):
        task = make_task(world, nodes=[world.h1, world.h2])
        results = race(lambda: workflow.complete(world.h1, task.id, NOW),
                       lambda: workflow.transfer(world.h1, task.id, world.h3.id, NOW))
        _one_winner(results)
        after = _consistent(task.id)
        assert after.version == 1 and _log_count(task.id) == 2
        first = TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1)
        if results[0][0] == "ok":
            assert (first.state, first.handler_id) == ("done", world.h1.id)
        else:
            assert (first.state, first.handler_id) == ("active", world.h3.id)


def test_withdraw_versus_next_handler_opening(any_db):
    world = make_world()
    for _ in range(ROUNDS):
        task = drive(make_task(world, nodes=[world.h1, world.h2]), ["complete"])
        results = race(lambda: workflow.withdraw(world.h1, task.id, NOW),
                       lambda: workflow.open_task(world.h2, task.id, NOW))
        assert all(r[0] in ("ok", Conflict, Refused, Forbidden) for r in results), results
        after = _consistent(task.id)
        nodes = [n.state for n in TaskNode.select().where(TaskNode.task == task.id)
                 .order_by(TaskNode.seq)]
        # either the withdraw won (h1 has the task again) or h2 opened it first (withdraw refused)
        assert nodes in (["started", "pending"], ["done", "started"]), nodes
        assert (results[0][0] == "ok") == (nodes == ["started", "pending"])
        assert after.version == 2 and _log_count(task.id) == 3


def test_two_urges_at_once_send_one_notice(any_db):
    world = make_world()
    task = drive(make_task(world, nodes=[world.h1, world.h2]), ["complete"])
    _one_winner(race(lambda: workflow.urge(world.h1, task.id, NOW),
                     lambda: workflow.urge(world.h1, task.id, NOW)))
    assert Notification.select().where(Notification.kind == "task_urged").count() == 1


def test_concurrent_creations_get_distinct_numbers(any_db):
    world = make_world()
    results = race(*[(lambda: make_task(world, assignee=world.h1)) for _ in range(4)])
    assert all(r[0] == "ok" for r in results), results
    numbers = sorted(r[1].number for r in results)
    assert numbers == [1, 2, 3, 4]
    assert len(tasks.list_todo(world.h1, NOW).split[1]) == 4
