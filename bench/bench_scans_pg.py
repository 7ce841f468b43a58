"""The periodic passes on PostgreSQL cost in proportion to the work due, not to all tasks.

    .venv/bin/python -m bench.bench_scans_pg [--sizes 10000,1000000] [--reps 5]

One PostgreSQL database of its own (dropped at the end) holds the same work due at every
size: DUE open tasks due within the reminder window and DUE overdue ones, with their
handlers (one user gets the digest, one does not). Around them the company grows to each
size with tasks written by `INSERT … SELECT generate_series` (60 % done, the rest open and
due 30 to 90 days ahead, one node and one receipt each) and sent notifications (one per
four tasks). At each size every periodic pass (leave hand-overs, due soon, overdue,
escalations, summaries, digest, expired push claims, then the sweeper's query) runs at an
ordinary minute and at the digest hour (09:00 Shanghai: the daily overdue pass and the
digest run too), each repetition in a transaction rolled back, so that all scan the same
state. The figure that matters is the ratio of the largest size to the smallest (≈1 when
every pass reads only the index range of the work due). PostgreSQL's plan of every distinct
statement (EXPLAIN ANALYZE for the reads) at the largest size follows the table.
"""
import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from bench.pgdb import own_database
from store.db import db, init_db
from store.models import Company, Notification, Project, Task, TaskNode, TaskReceipt, User

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
DIGEST_HOUR = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
DUE = 50  # due soon, and again as many overdue


def seed_due() -> dict:
    """The company, its two handlers and the work due that every size shares."""
    company = Company.create(code="SCAN", name="扫描基准", webhook_secret="s")
    digest = User.create(company=company, account="d", name="甲", password_hash="x",
                         authorized=True, digest_opt_in=True)
    plain = User.create(company=company, account="p", name="乙", password_hash="x",
                        authorized=True, digest_opt_in=False)
    project = Project.create(company=company, name="P")
    dues = [NOW + timedelta(hours=1, minutes=i) for i in range(DUE)]
    dues += [NOW - timedelta(hours=3 + i) for i in range(DUE)]  # overdue 3 h to ~2 days
    created = NOW - timedelta(days=3)
    for number, due in enumerate(dues, 1):
        handler = (digest, plain)[number % 2]
        task = Task.create(company=company, project=project, number=number, title=f"到期{number}",
                           creator=handler, due_at=due, original_due_at=due, current_seq=1,
                           created_at=created)
        node = TaskNode.create(company=company, task=task, seq=1, handler=handler, state="active",
                               activated_at=created)
        TaskReceipt.create(company=company, task=task, node=node, user=handler, received_at=created)
    Company.update(task_seq=len(dues)).where(Company.id == company.id).execute()
    return {"company": company.id, "project": project.id, "users": (digest.id, plain.id)}


GROW = """
INSERT INTO task (company_id, project_id, number, title, description, priority, creator_id,
                  due_at, original_due_at, status, current_seq, version, simple, source,
                  occurrences, created_at, finished_at)
SELECT %(company)s, %(project)s, n, '基准任务' || n, '', 'normal', %(user)s,
       due, due, CASE WHEN n %% 5 < 3 THEN 'done' ELSE 'in_progress' END,
       CASE WHEN n %% 5 < 3 THEN NULL ELSE 1 END, 0, true, 'manual', 1,
       %(created)s, CASE WHEN n %% 5 < 3 THEN %(created)s END
FROM (SELECT n, CASE WHEN n %% 5 < 3 THEN %(now)s - interval '1 day' * (1 + n %% 300)
                     ELSE %(now)s + interval '30 days' + interval '1 minute' * (n %% 86400)
                END AS due
      FROM generate_series(%(first)s, %(last)s) AS n) AS g;
INSERT INTO task_node (company_id, task_id, seq, handler_id, items, state, activated_at,
                      done_at, done_by_id)
SELECT company_id, id, 1, %(user)s, '', CASE WHEN status = 'done' THEN 'done' ELSE 'active' END,
       created_at, finished_at, CASE WHEN status = 'done' THEN %(user)s END
FROM task WHERE company_id = %(company)s AND number BETWEEN %(first)s AND %(last)s;
INSERT INTO task_receipt (company_id, task_id, node_id, user_id, received_at)
SELECT company_id, task_id, id, handler_id, activated_at FROM task_node
WHERE task_id IN (SELECT id FROM task WHERE company_id = %(company)s
                  AND number BETWEEN %(first)s AND %(last)s);
INSERT INTO notification (company_id, user_id, kind, data, dedupe_key, urgent, status,
                          not_before, attempts, created_at, sent_at)
SELECT %(company)s, %(user)s, 'due_soon', '{}', 'bench:' || n, false, 'sent',
       %(created)s, 1, %(created)s, %(created)s
FROM generate_series(%(first)s, %(last)s) AS n WHERE n %% 4 = 0;
"""


def grow(shared: dict, have: int, total: int) -> None:
    """Add filler tasks numbered have+1..total (all in the other user's name, so they reach
    no digest), with their nodes, receipts and a sent notification per four."""
    if total <= have:
        return
    digest, plain = shared["users"]
    with db.atomic():
        db.execute_sql(GROW, {"company": shared["company"], "project": shared["project"],
                              "user": plain, "first": have + 1, "last": total,
                              "now": NOW.replace(tzinfo=None),
                              "created": (NOW - timedelta(days=400)).replace(tzinfo=None)})
        Company.update(task_seq=total).where(Company.id == shared["company"]).execute()
    db.execute_sql("VACUUM ANALYZE")


def passes(now):
    from jobs.scans import scan_all
    from store.outbox import find_due
    counts = scan_all(now)
    counts["sweeper"] = len(find_due(now))
    return counts


def run_passes(now: datetime, reps: int) -> tuple[list[float], dict]:
    samples = []
    for _ in range(reps + 1):  # the first run warms the caches and is not counted
        with db.atomic() as txn:
            started = time.perf_counter()
            counts = passes(now)
            samples.append(time.perf_counter() - started)
            txn.rollback()  # every repetition scans the same state
    return samples[1:], counts


def explain(now: datetime, seen: set) -> list[str]:
    """Each distinct statement of the passes with PostgreSQL's plan (EXPLAIN ANALYZE for
    the reads; the writes are only planned)."""
    from playhouse.test_utils import count_queries
    lines = []
    with db.atomic() as txn:
        with count_queries() as counted:
            passes(now)
        txn.rollback()
    with db.atomic() as txn:
        for sql, params in (q.msg for q in counted.get_queries()):
            key = sql.split(" VALUES ")[0] if sql.startswith("INSERT") else sql
            if key in seen or not sql.split()[0] in ("SELECT", "UPDATE", "DELETE", "INSERT"):
                continue
            seen.add(key)
            how = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if sql.startswith("SELECT") else "EXPLAIN "
            plan = [row[0] if len(row[0]) < 240 else row[0][:240] + "…"
                    for row in db.execute_sql(how + sql, params)]
            lines.append(f"{sql[:200]}{'…' if len(sql) > 200 else ''}\n    " + "\n    ".join(plan))
        txn.rollback()
    return lines


def spread(samples: list[float]) -> str:
    return (f"{statistics.median(samples) * 1000:.1f} "
            f"({min(samples) * 1000:.1f}–{max(samples) * 1000:.1f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    from store.schema import migrate
    with own_database("twork_bench_scans") as url:
        database = init_db(url)
        migrate(database)
        try:
            shared = seed_due()
            have, results = 2 * DUE, {}
            for size in sizes:
                started = time.perf_counter()
                grow(shared, have, size)
                have = max(have, size)
                print(f"grew to {size:,} tasks in {time.perf_counter() - started:.0f} s", flush=True)
                for label, now in (("minute", NOW), ("digest hour", DIGEST_HOUR)):
                    results[size, label] = run_passes(now, args.reps)
                    print(f"  {label}: {spread(results[size, label][0])} ms, queued "
                          f"{results[size, label][1]}", flush=True)
            base = sizes[0]
            print(f"\n| tasks | due soon + overdue | pass | median ms (min–max), {args.reps} reps "
                  f"| ÷ {base:,} tasks (median; worst÷best – best÷worst) |")
            print("|---|---|---|---|---|")
            for label in ("minute", "digest hour"):
                small = results[base, label][0]
                for size in sizes:
                    got = results[size, label][0]
                    ratio = statistics.median(got) / statistics.median(small)
                    print(f"| {size:,} | {DUE} + {DUE} | {label} | {spread(got)} | {ratio:.2f} "
                          f"({min(got) / max(small):.2f}–{max(got) / min(small):.2f}) |")
            print(f"\nPlans at {sizes[-1]:,} tasks, digest hour:\n")
            seen = set()
            print("\n\n".join(explain(DIGEST_HOUR, seen)))
            print(f"\nPlans at {sizes[-1]:,} tasks, an ordinary minute (the statements not "
                  "shown above):\n")
            print("\n\n".join(explain(NOW, seen)) or "(none)")
        finally:
            database.close_all() if hasattr(database, "close_all") else database.close()


if __name__ == "__main__":
    main()
