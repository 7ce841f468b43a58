"""Memory stays flat: resident memory of a web worker, an RQ worker and the scheduler at the
start, the middle and the end of a long stretch of work.

    .venv/bin/python -m bench.bench_memory [--requests 10000] [--sends 2000] [--ticks 1000]

On a PostgreSQL database of its own (dropped at the end) and a Redis database it claims:
* web: the Procfile's gunicorn (2 workers × 4 threads) serving a company of `--tasks` tasks
  (bench/seed.py); 8 clients send 帮助, 待办 (10, 100 and 1,000 open) and 详情 in turn,
  `--requests` in all after a warm-up of 320; each worker's RSS is read after every tenth.
* RQ worker: `python -m jobs.worker --burst` draining `--sends` template messages against the
  local WeChat mock (bench/bench_notify.py); its RSS sampled every 0.1 s.
* scheduler: the scheduler process with its tick every 0.1 s (bench/scheduler_fast.py); the
  benchmark releases the per-minute tick lock after each tick, so that every tick enqueues
  the minute's scans and sweeper as a new minute would; RSS read every tenth of `--ticks`.
"Start" is read after the first tenth of the work (imports and caches filled), "middle" at
half, "end" at the end; the change is end ÷ start.
"""
import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import redis as redis_lib

from bench import bench_notify, load
from bench.procs import children, rss_of
from bench.bench_load import CLIENTS, pushes, served
from bench.common import SETTINGS
from bench.pgdb import own_database
from bench.seed import openid, seed
from tests.redis_claim import claimed_redis

ROOT = Path(__file__).resolve().parent.parent
TENTHS = 10


def row(name: str, what: str, series: list[float]) -> str:
    start, middle, end = series[0], series[len(series) // 2], series[-1]
    return (f"| {name} | {what} | {start:.1f} | {middle:.1f} | {end:.1f} | "
            f"{(end - start) / start:+.1%} |")


def web(env: dict, data: dict, requests: int) -> list[str]:
    per = requests // TENTHS // CLIENTS  # requests per client per tenth
    kinds = [("todo10", lambda c: "帮助"), ("todo10", lambda c: "待办"),
             ("todo100", lambda c: "待办"), ("todo1000", lambda c: "待办"),
             ("viewer", lambda c: f"详情 #{data['viewer_task'][f'viewer_{c}']}")]

    def batch():
        return pushes([[(openid(f"{kinds[i % len(kinds)][0]}_{c}"),
                         kinds[i % len(kinds)][1](c)) for i in range(per)]
                       for c in range(CLIENTS)], None)
    series, sent, errors = {}, 0, 0
    with served("bot:create_app()", env) as (base, master):
        load.run(base, pushes([[(openid(f"todo10_{c}"), "帮助")] * 40 for c in range(CLIENTS)],
                              None))
        workers = children(master)
        for _ in range(TENTHS):
            got = load.run(base, batch(), max_seconds=600)
            sent, errors = sent + got["n"], errors + got["errors"]
            for pid in workers:
                series.setdefault(pid, []).append(rss_of(pid))
        assert children(master) == workers, "a worker was restarted"
    print(f"web: {sent:,} requests, {errors} errors", flush=True)
    return [row(f"web worker {n}", f"{sent:,} requests", s)
            for n, s in enumerate(series.values(), 1)]


def rq_worker(env: dict, redis_url: str, sends: int) -> list[str]:
    """On a database of its own: bench_notify's company is the only one there."""
    from store.db import init_db
    from store.schema import migrate
    with own_database("twork_bench_memory_rq") as pg_url:
        database = init_db(pg_url)
        migrate(database)
        (ids,) = bench_notify.seed(sends, 1)
        got = bench_notify.drain({**env, "DATABASE_URL": pg_url}, redis_url, ids)
        database.close_all() if hasattr(database, "close_all") else database.close()
    jobs = got["jobs"]
    # after the first tenth of the jobs, then each sample until the queue is empty
    series = [mb for left, mb in got["samples"] if left <= jobs * (TENTHS - 1) / TENTHS]
    print(f"rq worker: {sends:,} sends at {got['rate']:.0f}/s, {got['failed']} failed jobs, "
          f"{len(series)} samples", flush=True)
    return [row("RQ worker", f"{sends:,} sends", series)]


def scheduler(env: dict, redis_url: str, ticks: int) -> list[str]:
    redis = redis_lib.Redis.from_url(redis_url)
    proc = subprocess.Popen([sys.executable, "-m", "bench.scheduler_fast", "0.1"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdout.readline()
        series, done, started = [], 0, time.monotonic()
        while done < ticks:
            locks = redis.keys("twork:scheduler:tick:*")  # set by the tick that just ran
            if locks:
                redis.delete(*locks)
                done += 1
                if done % (ticks // TENTHS) == 0:
                    series.append(rss_of(proc.pid))
                # the queued jobs are not run here; keep the queues from growing
                redis.delete("rq:queue:scans")
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:])
            time.sleep(0.005)
        print(f"scheduler: {done:,} ticks in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return [row("scheduler", f"{ticks:,} ticks", series)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--sends", type=int, default=2_000)
    parser.add_argument("--ticks", type=int, default=1000)
    args = parser.parse_args(argv)
    from store.db import init_db
    from store.schema import migrate
    from bot.mock_wechat import MockWeChat
    with own_database("twork_bench_memory") as pg_url, claimed_redis() as redis_url:
        database = init_db(pg_url)
        migrate(database)
        data = seed(datetime.now(timezone.utc), clients=CLIENTS, total=args.tasks, finish=1)
        env = {**os.environ, **SETTINGS, "DATABASE_URL": pg_url, "REDIS_URL": redis_url,
               "PYTHONPATH": str(ROOT)}
        mock, base_url = bench_notify.start_mock(env)
        try:
            env["WECHAT_API_BASE"] = base_url
            rows = web(env, data, args.requests)
            database.close_all() if hasattr(database, "close_all") else database.close()
            rows += rq_worker(env, redis_url, args.sends)
            rows += scheduler(env, redis_url, args.ticks)
        finally:
            mock.terminate()
            from store.db import db
            db.close_all() if hasattr(db, "close_all") else db.close()
    print("\n| process | across | RSS MB start | middle | end | change |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
