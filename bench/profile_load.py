"""Where a gunicorn worker's time goes while eight clients send one chat command over and
over: py-spy samples one worker (`--idle`, so waiting on PostgreSQL and Redis shows) and
the collapsed stacks are summed into the frames that matter.

    .venv/bin/python -m bench.profile_load [--tasks 10000] [--seconds 20] [--command 帮助]
        [--user 'todo1000_{c}'] [--py-spy PATH] [--save stacks.txt] [--cpu]

Shares are of the request threads' samples (the gunicorn main loop and idle threads
waiting for a request are left out). py-spy is not a dependency of the service: install it
anywhere (`pip install py-spy`) and pass its path.
"""
import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import load
from bench.bench_load import CLIENTS, pushes, served
from bench.procs import children
from bench.common import SETTINGS
from bench.pgdb import own_database
from bench.seed import openid, seed
from bot.mock_wechat import MockWeChat
from tests.redis_claim import claimed_redis

ROOT = Path(__file__).resolve().parent.parent
# (label, substring of a frame): a sample counts for the first label one of its frames has.
BUCKETS = [
    ("push claim / reply kept (bot.retries)", "(bot/retries.py:"),
    ("per-user lock (bot.session.user_lock)", "user_lock (bot/session.py:"),
    ("session read (bot.session.Session)", "Session.__init__ (bot/session.py:"),
    ("user lookup (store.users.user_for_openid)", "user_for_openid (store/users.py:"),
    ("pool checkout (before_request)", "_connect (bot/__init__.py:"),
    ("teardown (enqueue + pool return)", "_close (bot/__init__.py:"),
    ("command handler (router.dispatch)", "dispatch (bot/router.py:"),
    ("verify / decrypt / parse / render (bot.wire)", "(bot/wire.py:"),
]
LEAVES = [("PostgreSQL round trips (psycopg2's execute, under peewee)", "_execute_cursor (peewee"),
          ("PostgreSQL round trips (psycopg2's execute, under peewee)", "psycopg2"),
          ("Redis round trips", "redis/"), ("peewee (SQL building, rows)", "peewee.py"), ("Flask / werkzeug", "werkzeug/"),
          ("Flask / werkzeug", "flask/"), ("wechatpy", "wechatpy/"), ("gunicorn", "gunicorn/")]


def summarize(raw: str) -> list[str]:
    """The collapsed stacks' shares by part of the request and by library at the leaf."""
    parts, libs = collections.Counter(), collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or "handle_request (gunicorn" not in stack:
            continue  # not a request thread at work
        count = int(count)
        total += count
        frames = stack.split(";")
        parts[next((label for label, key in BUCKETS if key in stack), "other")] += count
        leaf = next((label for frame in reversed(frames) for label, key in LEAVES
                     if key in frame), "other (Python of ours)")
        libs[leaf] += count
    out = [f"{total} request-thread samples"]
    for title, counter in (("by part of the request", parts), ("by library at the leaf", libs)):
        out.append(f"\n{title}:")
        out += [f"  {n / total:6.1%}  {label}" for label, n in counter.most_common()]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--command", default="帮助")
    parser.add_argument("--user", default="todo10_{c}", help="account of client c")
    parser.add_argument("--py-spy", default="py-spy")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--cpu", action="store_true",
                        help="sample only threads running Python (no --idle): CPU, not waits")
    args = parser.parse_args(argv)
    from store.db import init_db
    from store.schema import migrate
    with own_database() as pg_url, claimed_redis() as redis_url, MockWeChat() as mock:
        database = init_db(pg_url)
        migrate(database)
        seed(datetime.now(timezone.utc), clients=CLIENTS, total=args.tasks, finish=10)
        database.close_all()
        env = {**os.environ, **SETTINGS, "DATABASE_URL": pg_url, "REDIS_URL": redis_url,
               "WECHAT_API_BASE": mock.base_url, "PYTHONPATH": str(ROOT)}
        with served("bot:create_app()", env) as (base, master):
            texts = [[(openid(args.user.format(c=c)), args.command)] * 200
                     for c in range(CLIENTS)]
            load.run(base, pushes([t[:20] for t in texts], None))  # warm-up
            stop = time.monotonic() + args.seconds + 2
            rates = []

            def drive():
                while time.monotonic() < stop:
                    rates.append(load.run(base, pushes(texts, None))["rps"])
            driver = threading.Thread(target=drive)
            driver.start()
            raw = subprocess.run([args.py_spy, "record", *([] if args.cpu else ["--idle"]),
                                  "--format", "raw",
                                  "--duration", str(args.seconds), "--rate", "200",
                                  "--pid", str(children(master)[0]), "--output", "/dev/stdout"],
                                 capture_output=True, text=True, check=True).stdout
            driver.join()
    if args.save:
        args.save.write_text(raw)
    print(f"{args.command}: {sorted(rates)[len(rates) // 2]:.0f} req/s (median of {len(rates)} runs)")
    print("\n".join(summarize(raw)))


if __name__ == "__main__":
    sys.exit(main())
