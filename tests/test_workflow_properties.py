"""Random action sequences (hypothesis stateful testing) against the workflow invariants:

* until the task is done exactly one node is current (active/started), at `current_seq`;
  the nodes before it are done, the nodes after it pending; once done all nodes are done;
* the log has one line for the creation and one per action that changed something, and
  `version` counts those changes;
* a refused action changes nothing at all.
"""
from datetime import timedelta

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from store import taskstate, tasks, workflow
from store.errors import DomainError
from store.models import Task, TaskLog, TaskNode, User
from tests.factories import NOW, make_task, make_world, snapshot

ACTIONS = ("start", "complete", "complete", "transfer", "rollback", "withdraw", "urge", "open",
           "comment")


def _machine(world):
    people = [world.h1, world.h2, world.h3, world.alice, world.admin, world.watcher]

    class WorkflowMachine(RuleBasedStateMachine):
        @initialize(size=st.integers(1, 4), handlers=st.lists(st.sampled_from(people[:4]),
                                                              min_size=4, max_size=4))
        def create(self, size, handlers):
            self.now = NOW
            self.task = make_task(world, nodes=handlers[:size] if size > 1 else None,
                                  assignee=handlers[0] if size == 1 else None,
                                  watchers=[world.watcher], now=NOW)
            self.changes = 0  # successful actions that changed the task

        @rule(hours=st.integers(0, 3))
        def time_passes(self, hours):
            self.now += timedelta(hours=hours, minutes=7)

        @rule(action=st.sampled_from(ACTIONS),
              who=st.sampled_from(["current", "previous", "current", "previous", *people]),
              to=st.sampled_from(people), reason=st.sampled_from(["  ", "资料不全", "资料不全"]))
        def act(self, action, who, to, reason):
            if isinstance(who, str):  # most often the people the rules are about
                flow = taskstate.load_flow(Task.get_by_id(self.task.id))
                node = flow.current if who == "current" else flow.previous
                if node is None:
                    return
                who = User.get_by_id(node.handler_id)
            before = snapshot(self.task.id)
            try:
                if action == "transfer":
                    workflow.transfer(who, self.task.id, to.id, self.now)
                elif action == "rollback":
                    workflow.rollback(who, self.task.id, reason, self.now)
                elif action == "open":
                    workflow.open_task(who, self.task.id, self.now)
                elif action == "comment":
                    tasks.add_comment(who, self.task.id, "看一下", self.now)
                else:
                    getattr(workflow, action)(who, self.task.id, self.now)
            except DomainError:  # refused, forbidden, or not visible to `who`
                assert snapshot(self.task.id) == before, f"refused {action} changed the task"
                return
            after = snapshot(self.task.id)
            delta = after["version"] - before["version"]
            assert delta in (0, 1)
            self.changes += delta
            log_added = after["log"] - before["log"]
            # a comment is logged without being a workflow change (and may also start the node)
            assert log_added == delta + (1 if action == "comment" else 0)
            if action == "comment":
                self.changes += 1  # count its log line with the changes below

        @invariant()
        def nodes_are_consistent(self):
            task = Task.get_by_id(self.task.id)
            states = [n.state for n in TaskNode.select().where(TaskNode.task == task.id)
                      .order_by(TaskNode.seq)]
            if task.status == "done":
                assert task.current_seq is None and set(states) == {"done"}
                assert task.finished_at is not None
            else:
                cur = task.current_seq
                assert states[cur - 1] in ("active", "started")
                assert all(s == "done" for s in states[:cur - 1])
                assert all(s == "pending" for s in states[cur:])

        @invariant()
        def log_counts_the_changes(self):
            task = Task.get_by_id(self.task.id)
            logged = TaskLog.select().where(TaskLog.task == task.id).count()
            comments = TaskLog.select().where(TaskLog.task == task.id,
                                              TaskLog.action == "comment").count()
            assert logged == 1 + self.changes
            assert task.version == self.changes - comments

    return WorkflowMachine


def test_random_action_sequences_keep_the_invariants(any_db):
    world = make_world()
    run_state_machine_as_test(
        _machine(world),
        settings=settings(max_examples=30, stateful_step_count=40, deadline=None,
                          suppress_health_check=list(HealthCheck)))
