"""The reminder scans must cost in proportion to the tasks that are due, not to all tasks.

    .venv/bin/python -m bench.bench_scans

Two databases hold the same 50 tasks due within the reminder window; the second also
holds 20x more open tasks due months later. The scans run on both in the same process
and the figure that matters is the ratio of their times (≈1 when the scans read only the
index range of tasks due; ≈20 if they read every task).
"""
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from store.db import db, init_db
from store.models import MODELS, Company, Notification, Project, Task, TaskNode, User

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
DUE = 50


def build(extra: int) -> str:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='twork-bench-')}/scan.db"
    database = init_db(url)
    database.create_tables(MODELS)
    company = Company.create(code="B", name="B", webhook_secret="s")
    user = User.create(company=company, account="u", name="甲", password_hash="x", authorized=True)
    project = Project.create(company=company, name="P")
    rows = [(NOW + timedelta(hours=1, minutes=i)) for i in range(DUE)]
    rows += [(NOW + timedelta(days=60, minutes=i)) for i in range(extra)]
    with database.atomic():
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            first = Task.insert_many([
                {"company": company.id, "project": project.id, "number": start + i + 1,
                 "title": f"任务{start + i}", "creator": user.id, "due_at": due,
                 "current_seq": 1, "created_at": NOW - timedelta(days=1)}
                for i, due in enumerate(chunk)]).execute()
            ids = [t.id for t in Task.select(Task.id).where(Task.number > start,
                                                          Task.number <= start + len(chunk))]
            TaskNode.insert_many([{"company": company.id, "task": t, "seq": 1, "handler": user.id,
                                   "state": "active", "activated_at": NOW - timedelta(days=1)}
                                  for t in ids]).execute()
    return url


def run_scans(url: str, repeat: int = 7) -> float:
    from jobs.scans import scan_all
    init_db(url)
    samples = []
    for _ in range(repeat):
        with db.atomic() as txn:
            started = time.perf_counter()
            scan_all(NOW)
            samples.append(time.perf_counter() - started)
            queued = Notification.select().count()
            txn.rollback()  # every repetition scans the same state
    assert queued >= DUE, queued
    return statistics.median(samples)


def main():
    small, large = build(1_000), build(20_000)
    base = run_scans(small)
    big = run_scans(large)
    print("| database | open tasks | due in window | scan median ms | × baseline |")
    print("|---|---|---|---|---|")
    print(f"| baseline | {DUE + 1_000:,} | {DUE} | {base * 1000:.1f} | 1.0 |")
    print(f"| 20x more tasks | {DUE + 20_000:,} | {DUE} | {big * 1000:.1f} | {big / base:.2f} |")


if __name__ == "__main__":
    main()
