"""Test data built with the real service functions: a company with its admins, members and a
project, and tasks driven into a given workflow state.

    world = make_world()          # company "acme": admin, dadmin, alice, h1..h3, watcher, stranger
    task = make_task(world, nodes=[world.h1, world.h2, world.h3])
    drive(task, ["complete", "start"])   # node 1 done by h1, node 2 started by h2
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import time_machine
from werkzeug.security import generate_password_hash

from store import directory, projects, taskstate, tasks, users, workflow
from store.models import Message, Notification, Task, TaskLog, TaskNode, User

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SH)
PASSWORD = "secret-123"


@contextmanager
def cheap_passwords():
    """Hash with one pbkdf2 round while building fixtures: scrypt takes ~0.2 s per user and
    the rule tables build hundreds of users. Tests of hashing itself do not use this."""
    with mock.patch.object(users, "generate_password_hash",
                           lambda password, method=None: generate_password_hash(
                               password, method="pbkdf2:sha256:1")):
        yield


@dataclass
class World:
    company: object
    api_key: str
    dept: object
    admin: User
    dadmin: User
    alice: User
    h1: User
    h2: User
    h3: User
    watcher: User
    stranger: User
    project: object
    extra: dict = field(default_factory=dict)

    def reload(self, user: User) -> User:
        return User.get_by_id(user.id)


def make_user(company_id, account, role="member", department_id=None, name=None) -> User:
    with cheap_passwords():
        return users.create_user(users.operator(company_id), account, name or account, PASSWORD, role=role,
                                 department_id=department_id, authorized=True)


def make_world(code="acme", project_name="运营项目") -> World:
    """A company with one department, its admins, members and a project they all belong to."""
    company, key = users.create_company(code, f"{code}公司")
    dept = directory.create_department(users.operator(company.id), "运营部")
    people = {}
    people["admin"] = make_user(company.id, "admin", "company_admin", name="管理员")
    people["dadmin"] = make_user(company.id, "dadmin", "dept_admin", dept.id, name="部门管理员")
    for account, name in (("alice", "爱丽丝"), ("h1", "张一"), ("h2", "王二"), ("h3", "李三"),
                          ("watcher", "关注者"), ("stranger", "路人")):
        people[account] = make_user(company.id, account, department_id=dept.id, name=name)
    project = projects.create_project(
        people["admin"], project_name, department_id=dept.id,
        member_ids=[people[a].id for a in ("alice", "h1", "h2", "h3", "watcher", "stranger")])
    return World(company=company, api_key=key, dept=dept, project=project, **people)


def make_outsider(code="other") -> User:
    """An admin of another company (must see nothing of acme)."""
    company, _ = users.create_company(code, f"{code}公司")
    return make_user(company.id, "outsider", "company_admin")


def make_task(world: World, *, creator=None, nodes=None, assignee=None, watchers=(),
              editors=(), now=NOW, due=None, title="核对PO123到货", **kwargs) -> Task:
    """A task by `creator` (default alice): a workflow through the users `nodes`, or a simple
    task for `assignee` (default: the creator)."""
    creator = creator or world.alice
    node_defs = None
    if nodes:
        node_defs = [{"handler_id": u.id, "items": f"第{i}步"} for i, u in enumerate(nodes, 1)]
    # The clock stands at `now` too, so that the notices the creation queues are due from then.
    with time_machine.travel(now, tick=False):
        return tasks.create_task(creator, world.project.id, title,
                                 due_at=due or now + timedelta(days=2), now=now, nodes=node_defs,
                                 assignee_id=assignee.id if assignee else None,
                                 watcher_ids=[w.id for w in watchers],
                                 editor_ids=[e.id for e in editors], **kwargs)


def current_handler(task_id) -> User | None:
    task = Task.get_by_id(task_id)
    if task.current_seq is None:
        return None
    node = TaskNode.get(TaskNode.task == task_id, TaskNode.seq == task.current_seq)
    return User.get_by_id(node.handler_id)


def drive(task: Task, steps, now=NOW) -> Task:
    """Apply workflow steps, each by whoever the step needs: "complete"/"start"/"open" by the
    current handler, "withdraw" by the previous handler."""
    for step in steps:
        if step == "withdraw":
            flow = taskstate.load_flow(Task.get_by_id(task.id))
            workflow.withdraw(User.get_by_id(flow.previous.handler_id), task.id, now)
        elif step == "open":
            workflow.open_task(current_handler(task.id), task.id, now)
        else:
            getattr(workflow, step)(current_handler(task.id), task.id, now)
    return Task.get_by_id(task.id)


def snapshot(task_id) -> dict:
    """Everything a refused action must leave unchanged."""
    task = Task.get_by_id(task_id)
    return {
        "version": task.version, "status": task.status, "current_seq": task.current_seq,
        "nodes": [(n.seq, n.state, n.handler_id, n.last_urged_at) for n in
                  TaskNode.select().where(TaskNode.task == task_id).order_by(TaskNode.seq)],
        "log": TaskLog.select().where(TaskLog.task == task_id).count(),
        "messages": Message.select().count(),
        "notifications": Notification.select().count(),
    }
