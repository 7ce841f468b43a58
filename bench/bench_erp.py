"""ERP ingestion per process (store.erp.ingest_events, what the API and the batch job run) on
a PostgreSQL database this benchmark creates and drops.

    .venv/bin/python -m bench.bench_erp [--batch 500] [--reps 3]

Events of one kind ("order.out_of_stock") against one enabled scenario with a three-node
workflow: events that match no scenario, and events that match and create a task each (a
new document each time), in batches and one at a time. The figures are events per second
in this process; each repetition uses event ids and documents of its own.
"""
import argparse
import itertools
import statistics
import time
from datetime import datetime, timezone

from bench.pgdb import own_database

EVENT = {"sku": "CASE-IP15-BLK", "platform": "Amazon", "warehouse": "深圳仓", "quantity": 2,
         "shop": "US旗舰店", "amount": "39.98", "currency": "USD"}
_ids = itertools.count(1)


def events(n: int, matching: bool) -> list[dict]:
    return [{"id": f"bench-{next(_ids)}", "kind": "order.out_of_stock",
             "occurred_at": "2026-11-30T09:58:00+08:00",
             "data": {**EVENT, "order_no": f"AMZ-{next(_ids)}",
                      "out_of_stock_days": 5 if matching else 2}} for _ in range(n)]


def company():
    from werkzeug.security import generate_password_hash

    from store import scenarios, users
    from store.models import User
    company, _ = users.create_company("ERPB", "ERP基准")
    hashed = generate_password_hash("x", method="pbkdf2:sha256:1")
    User.insert_many([{"company": company.id, "account": f"h{i}", "name": f"处理人{i}",
                       "password_hash": hashed, "authorized": True,
                       "role": "company_admin" if i == 0 else "member"}
                      for i in range(3)]).execute()
    people = list(User.select().where(User.company == company.id).order_by(User.id))
    scenarios.create_scenario(people[0], {
        "name": "订单缺货超3天", "kind": "order.out_of_stock",
        "required": [{"field": "out_of_stock_days", "op": ">", "value": 3}], "optional": [],
        "task": {"business_type": "订单", "priority": "high", "days": 1,
                 "title": "订单{order_no}缺货{out_of_stock_days}天（{sku}）"},
        "nodes": [{"handler_id": p.id, "items": f"第{i}步"} for i, p in enumerate(people, 1)],
        "watcher_ids": [], "editor_ids": [], "escalate_to_ids": [], "notify_on_finish_ids": [],
        "enabled": True})
    return company.id


def rate(company_id: int, batches: list[list[dict]], expect: str) -> float:
    from store import erp
    from store.outbox import take_created
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    for batch in batches:
        results = erp.ingest_events(company_id, batch, now)
        assert {r["status"] for r in results} == {expect}, results[:3]
    elapsed = time.perf_counter() - started
    take_created()
    return sum(map(len, batches)) / elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    from store.db import db, init_db
    from store.schema import migrate
    rows = {}
    with own_database() as url:
        database = init_db(url)
        migrate(database)
        with db.connection_context():
            company_id = company()
            for _ in range(args.reps):
                for matching, expect in ((False, "no_match"), (True, "created")):
                    label = "matching, a 3-node task each" if matching else "matching no scenario"
                    rows.setdefault((label, f"batches of {args.batch}"), []).append(
                        rate(company_id, [events(args.batch, matching)], expect))
                    rows.setdefault((label, "one at a time"), []).append(
                        rate(company_id, [events(1, matching) for _ in range(args.singles)],
                             expect))
        database.close_all()
    print("| events | sent | events/s (median, range) |\n|---|---|---|")
    for (label, how), rates in rows.items():
        print(f"| {label} | {how} | {statistics.median(rates):.0f} "
              f"({min(rates):.0f}–{max(rates):.0f}) |")


if __name__ == "__main__":
    main()
