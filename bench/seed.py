"""A company of 100,000 tasks for the benchmarks, written with multi-row inserts.

People and what they hold, `clients` of each kind (account "<kind>_<n>", bound to WeChat
as openid "oBench_<account>"), so that every load client is a user of its own:
    todo10, todo100, todo1000  that many open tasks each, the first tenth overdue
    viewer                     the current handler of a three-node task with a log
    finisher                   `finish` open two-node tasks each, the next node `next`'s
and next, filler0..39: everything else, done and open tasks due ±60 days.
"""
import itertools
from datetime import timedelta

from store.db import db
from store.models import (Company, Project, ProjectMember, Task, TaskLog, TaskNode, TaskReceipt,
                          User, WeChatBinding)

CHUNK = 2000
FILLERS = 40
TODO_USERS = {"todo10": 10, "todo100": 100, "todo1000": 1000}


def openid(account: str) -> str:
    return f"oBench_{account}"


def seed(now, *, clients: int, total: int = 100_000, finish: int = 250) -> dict:
    """Write the company; returns {"viewer_task": {account: number},
    "finisher_tasks": {account: [numbers]}}."""
    kinds = ["viewer", "finisher", *TODO_USERS]
    with db.atomic():
        company = Company.create(code="BENCH", name="基准公司", webhook_secret="bench-secret")
        accounts = [f"{kind}_{c}" for kind in kinds for c in range(clients)]
        accounts += ["next", *(f"filler{i}" for i in range(FILLERS))]
        User.insert_many([{"company": company.id, "account": a, "name": a, "authorized": True,
                           "password_hash": "pbkdf2:sha256:1$x$x"} for a in accounts]).execute()
        ids = {u.account: u.id for u in User.select(User.id, User.account)}
        WeChatBinding.insert_many([{"company": company.id, "user": ids[a], "openid": openid(a)}
                                   for a in accounts]).execute()
        project = Project.create(company=company, name="基准项目")
        ProjectMember.insert_many([{"company": company.id, "project": project.id, "user": u}
                                   for u in ids.values()]).execute()

    plans = []  # (handlers of the nodes, current seq or None when done, due)
    viewer_tasks, finisher_tasks = {}, {}
    for c in range(clients):
        for kind, count in TODO_USERS.items():
            plans += [([ids[f"{kind}_{c}"]], 1, now + timedelta(hours=i - count // 10))
                      for i in range(count)]
        plans.append(([ids[f"viewer_{c}"], ids["next"], ids["filler0"]], 1,
                      now + timedelta(days=2)))
        viewer_tasks[f"viewer_{c}"] = len(plans)
        finisher_tasks[f"finisher_{c}"] = list(range(len(plans) + 1, len(plans) + finish + 1))
        plans += [([ids[f"finisher_{c}"], ids["next"]], 1, now + timedelta(days=3, minutes=i))
                  for i in range(finish)]
    fillers = itertools.cycle(ids[f"filler{i}"] for i in range(FILLERS))
    for i in range(total - len(plans)):
        first, second = next(fillers), next(fillers)
        due = now + timedelta(hours=(i * 37) % 2880 - 1440)
        plans.append(([first, second], None if i % 5 < 3 else 1 + i % 2, due))

    for start in range(0, len(plans), CHUNK):
        with db.atomic():
            _write(company.id, project.id, plans[start:start + CHUNK], start, now)
    Company.update(task_seq=len(plans)).where(Company.id == company.id).execute()
    for account, number in viewer_tasks.items():
        _log_task(company.id, number, ids[account], now)
    db.execute_sql("ANALYZE")
    return {"viewer_task": viewer_tasks, "finisher_tasks": finisher_tasks}


def _write(company_id, project_id, plans, offset, now):
    created = now - timedelta(days=7)
    Task.insert_many([{
        "company": company_id, "project": project_id, "number": offset + i + 1,
        "title": f"基准任务{offset + i + 1} 核对到货与付款", "creator": handlers[0], "due_at": due,
        "original_due_at": due, "status": "in_progress" if current else "done",
        "current_seq": current, "simple": len(handlers) == 1, "created_at": created,
        "finished_at": None if current else now - timedelta(days=1)}
        for i, (handlers, current, due) in enumerate(plans)]).execute()
    numbers = (offset + 1, offset + len(plans))
    task_ids = {t.number: t.id for t in Task.select(Task.id, Task.number).where(
        Task.company == company_id, Task.number.between(*numbers))}
    nodes, receipts = [], []
    for i, (handlers, current, _) in enumerate(plans):
        task_id = task_ids[offset + i + 1]
        for seq, handler in enumerate(handlers, 1):
            done = current is None or seq < current
            state = "done" if done else "active" if seq == current else "pending"
            nodes.append({"company": company_id, "task": task_id, "seq": seq, "handler": handler,
                          "items": f"第{seq}步", "state": state,
                          "activated_at": created if state != "pending" else None,
                          "done_at": now - timedelta(days=1) if done else None,
                          "done_by": handler if done else None})
    TaskNode.insert_many(nodes).execute()
    for node in TaskNode.select(TaskNode.id, TaskNode.task, TaskNode.handler).where(
            TaskNode.task.in_(list(task_ids.values())), TaskNode.state != "pending"):
        receipts.append({"company": company_id, "task": node.task_id, "node": node.id,
                         "user": node.handler_id, "received_at": created})
    TaskReceipt.insert_many(receipts).execute()


def _log_task(company_id, number, actor_id, now):
    task = Task.get(Task.company == company_id, Task.number == number)
    TaskLog.insert_many([{"company": company_id, "task": task.id, "actor": actor_id,
                          "action": "comment", "detail": {"body": f"进度{i}"},
                          "created_at": now - timedelta(hours=i)} for i in range(20)]).execute()
