"""The reminder scans must cost in proportion to the tasks that are due, not to all tasks.

    .venv/bin/python -m bench.bench_scans

Two databases hold the same 50 tasks due within the reminder window; the second also
holds 20x more open tasks due months later. Every periodic pass (the minute's scans, and at
the digest hour the daily overdue pass and the digest, then the sweeper's query) runs on
both in the same process, and the figure that matters is the ratio of their times (≈1 when
the passes read only the index range of the work due; ≈20 if they read every task). The
SQLite plan of every statement they run is printed after the table.
"""
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from store.db import db, init_db
from store.models import MODELS, Company, Notification, Project, Task, TaskNode, User

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
DIGEST_HOUR = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
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
            Task.insert_many([
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


def passes(now):
    from jobs.scans import scan_all
    from store.outbox import find_due
    scan_all(now)
    find_due(now)


def run_scans(url: str, now: datetime, repeat: int = 7) -> float:
    init_db(url)
    samples = []
    for _ in range(repeat):
        with db.atomic() as txn:
            started = time.perf_counter()
            passes(now)
            samples.append(time.perf_counter() - started)
            queued = Notification.select().count()
            txn.rollback()  # every repetition scans the same state
    assert queued >= DUE, queued
    return statistics.median(samples)


def plans(url: str, now: datetime) -> list[str]:
    """Each distinct statement of the passes with its SQLite plan."""
    from playhouse.test_utils import count_queries
    init_db(url)
    with db.atomic() as txn:
        with count_queries() as counted:
            passes(now)
        lines, seen = [], set()
        for sql, params in (q.msg for q in counted.get_queries()):
            if not sql.startswith("SELECT") or sql in seen:
                continue
            seen.add(sql)
            plan = [str(row[-1]) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
            lines.append(f"{sql[:160]}…\n    " + "\n    ".join(plan))
        txn.rollback()
    return lines


def main():
    small, large = build(1_000), build(20_000)
    print("| database | open tasks | due in window | pass | median ms | × baseline |")
    print("|---|---|---|---|---|---|")
    for label, now in (("minute", NOW), ("digest hour", DIGEST_HOUR)):
        base, big = run_scans(small, now), run_scans(large, now)
        print(f"| baseline | {DUE + 1_000:,} | {DUE} | {label} | {base * 1000:.1f} | 1.0 |")
        print(f"| 20x more tasks | {DUE + 20_000:,} | {DUE} | {label} | {big * 1000:.1f} | "
              f"{big / base:.2f} |")
    print("\nPlans (20x more tasks, digest hour):\n")
    print("\n".join(plans(large, DIGEST_HOUR)))


if __name__ == "__main__":
    main()
