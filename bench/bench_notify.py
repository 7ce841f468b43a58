"""Notifications: an RQ worker (`python -m jobs.worker`) draining template messages against
the local mock of the WeChat API, against posting the same requests to the same mock
directly with one `requests.Session`, measured in the same run. The sends are enqueued as
the application hands them over (bot.queues.enqueue_sends: one job per SEND_BATCH rows).

    .venv/bin/python -m bench.bench_notify [--messages 2000] [--reps 3]

The mock runs in a process of its own; the outbox is on a PostgreSQL database this
benchmark creates (and drops), the queue on a Redis database it claims. The worker's rate
is taken from RQ's own start and end times of the jobs (its process start is not counted);
its resident memory is sampled while it drains.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import redis as redis_lib
import requests

from bench.common import SETTINGS
from bench.procs import rss_of
from bench.pgdb import own_database
from tests.redis_claim import claimed_redis, free_port

ROOT = Path(__file__).resolve().parent.parent
USERS = 50
MOCK = ("import sys, time; from bot.mock_wechat import MockWeChat; "
        "MockWeChat(port=int(sys.argv[1])).start(); print('up', flush=True); time.sleep(86400)")


def start_mock(env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", MOCK, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()
    return proc, f"http://127.0.0.1:{port}"


def seed(messages: int, reps: int) -> list[list[int]]:
    """A company of USERS bound users and `messages` pending notices per repetition."""
    from store.db import utcnow
    from store.models import Company, User, WeChatBinding
    from store.outbox import notify_many
    company = Company.create(code="NOTE", name="通知基准", webhook_secret="s")
    User.insert_many([{"company": company.id, "account": f"u{i}", "name": f"用户{i}",
                       "password_hash": "x", "authorized": True} for i in range(USERS)]).execute()
    users = [u.id for u in User.select(User.id)]
    WeChatBinding.insert_many([{"company": company.id, "user": u, "openid": f"oNote{u}"}
                               for u in users]).execute()
    batches, due = [], utcnow() - timedelta(minutes=5)
    for rep in range(reps):
        ids = []
        for start in range(0, messages, 500):
            notes = notify_many(company.id, [dict(
                user_id=users[i % USERS], kind="announcement", title=f"公告{i}",
                data={"task": f"#{i} 核对到货", "due": "12-05 18:00", "from": "基准",
                      "state": "待处理"}, dedupe_key=f"bench:{rep}:{i}", not_before=due)
                for i in range(start, min(start + 500, messages))])
            ids += [n.id for n in notes]
        batches.append(ids)
    return batches


def direct(base_url: str, messages: int) -> float:
    """Messages per second posted by one requests.Session, the worker's request body."""
    session = requests.Session()
    token = session.post(f"{base_url}/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": SETTINGS["WECHAT_APPID"],
        "secret": "s"}).json()["access_token"]
    started = time.perf_counter()
    for i in range(messages):
        session.post(f"{base_url}/cgi-bin/message/template/send", params={"access_token": token},
                     json={"touser": f"oDirect{i % USERS}", "template_id": "tmpl",
                           "url": f"http://bench.test/m/tasks/{i}",
                           "client_msg_id": f"direct:{time.time_ns()}:{i}",
                           "data": {"thing1": {"value": f"#{i} 核对到货"},
                                    "time2": {"value": "12-05 18:00"},
                                    "thing3": {"value": "基准"}, "phrase4": {"value": "待处理"}}
                           }).raise_for_status()
    return messages / (time.perf_counter() - started)


def drain(env: dict, redis_url: str, ids: list[int]) -> dict:
    from rq.job import Job
    from bot.queues import NOTIFICATIONS, enqueue_sends, get_queue
    redis = redis_lib.Redis.from_url(redis_url)
    queue = get_queue(redis, NOTIFICATIONS)
    jobs = [job.id for job in enqueue_sends(queue, ids)]  # as a request or a scan hands them over
    proc = subprocess.Popen([sys.executable, "-m", "jobs.worker", "--burst"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples = []

    def sample():
        while proc.poll() is None:
            try:
                rss = rss_of(proc.pid)
            except OSError:  # ended meanwhile
                break
            if not math.isnan(rss):
                samples.append((queue.count, rss))
            time.sleep(0.1)
    watcher = threading.Thread(target=sample)
    watcher.start()
    _, stderr = proc.communicate(timeout=600)
    watcher.join()
    if proc.returncode:
        raise RuntimeError(stderr.decode()[-2000:])
    done = Job.fetch_many(jobs, connection=redis)
    failed = [j.id for j in done if j is None or j.get_status() != "finished"]
    first = min(j.started_at for j in done if j)
    last = max(j.ended_at for j in done if j)
    early = [mb for left, mb in samples if left <= len(jobs) * 0.9]  # after the first tenth
    return {"rate": len(ids) / (last - first).total_seconds(), "failed": len(failed),
            "rss": (early[0] if early else float("nan"), samples[-1][1] if samples else float("nan")),
            "samples": samples, "jobs": len(jobs)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    from store.db import init_db
    from store.models import Notification
    from store.schema import migrate
    with own_database() as pg_url, claimed_redis() as redis_url:
        env = {**os.environ, **SETTINGS, "DATABASE_URL": pg_url, "REDIS_URL": redis_url,
               "PYTHONPATH": str(ROOT)}
        mock, base_url = start_mock(env)
        try:
            database = init_db(pg_url)
            migrate(database)
            batches = seed(args.messages, args.reps)
            env["WECHAT_API_BASE"] = base_url
            rows = []
            for ids in batches:
                straight = direct(base_url, args.messages)
                worker = drain(env, redis_url, ids)
                rows.append((worker, straight))
            sent = Notification.select().where(Notification.status == "sent").count()
            database.close_all()
        finally:
            mock.terminate()
    ratios = [w["rate"] / d for w, d in rows]
    print("| rep | worker msgs/s | direct msgs/s | ÷ direct | worker RSS MB (after 10 % → end) | failed |")
    print("|---|---|---|---|---|---|")
    for n, (w, d) in enumerate(rows, 1):
        print(f"| {n} | {w['rate']:.0f} | {d:.0f} | {w['rate'] / d:.2f} | "
              f"{w['rss'][0]:.0f} → {w['rss'][1]:.0f} | {w['failed']} |")
    print(f"\nmedian ÷ direct {statistics.median(ratios):.2f} (range {min(ratios):.2f}–"
          f"{max(ratios):.2f}); {sent:,} of {args.messages * args.reps:,} rows sent")


if __name__ == "__main__":
    main()
