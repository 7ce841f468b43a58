"""The webhook under load, against the thinnest correct wechatpy + Flask webhook (bench/anchor.py)
served the same way in the same run.

    .venv/bin/python -m bench.bench_load [--tasks 100000] [--reps 3] [--requests 300]

A third server, the floor (bench/floor.py), answers the echo after making only the round
trips every Twork push must make (claim, lock, session, user, reply kept); each row is also
given as a ratio to it. All three run under gunicorn with the Procfile's settings (2
workers, 4 threads), on a PostgreSQL database this benchmark creates (and drops) holding
`--tasks` tasks, and a Redis database it claims. Eight clients, each a WeChat user of its
own, post signed pushes (in safe mode encrypted) as fast as the answers come. Every figure
is a ratio to the anchor measured in the same repetition; the table gives the median and
the range over the repetitions.
"""
import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from bench import load, procs
from bench.common import SETTINGS
from bench.pgdb import own_database
from bench.seed import TODO_USERS, openid, seed
from bot.fakewechat import FakeWeChat
from bot.mock_wechat import MockWeChat
from tests.redis_claim import claimed_redis, free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# The Procfile's web process, on a port of our own.
# bench/floor.py: the echo plus only the round trips every push must make.
FLOOR = "floor (echo + a push's required round trips)"
GUNICORN = ["-m", "gunicorn", "--workers", "2", "--threads", "4", "--timeout", "30"]


@contextlib.contextmanager
def served(app: str, env: dict, code: Path = ROOT):
    """gunicorn serving `app` (from the source tree `code`) until the block ends; yields
    (base URL, master pid)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, *GUNICORN, "--bind", f"127.0.0.1:{port}", app],
                            cwd=code, env={**env, "PYTHONPATH": str(code)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/wechat", timeout=1)
            except urllib.error.HTTPError:
                break  # answering (405/403): up
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode())
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def rss_mb(master: int) -> float:
    """Resident memory of the master's worker processes, MB."""
    return sum(procs.rss_of(pid) for pid in procs.children(master))


def pushes(texts_by_client: list[list[tuple[str, str]]], aes_key: str | None):
    """Signed (and in safe mode encrypted) pushes: [(openid, text), ...] per client."""
    built = []
    for texts in texts_by_client:
        mine = []
        wx = FakeWeChat(lambda query, body: (mine.append(("/wechat", query, body)), (200, ""))[1],
                        token=SETTINGS["WECHAT_TOKEN"], appid=SETTINGS["WECHAT_APPID"],
                        aes_key=aes_key)
        for who, text in texts:
            wx.say(text, openid=who)
        built.append(mine)
    return built


def scenarios(data: dict, n: int, rep: int, mode_index: int):
    """(name, texts per client) for one repetition; 完成 takes tasks nobody completed yet."""
    def each(kind, text):
        return [[(openid(f"{kind}_{c}"), text(c, i)) for i in range(n)] for c in range(CLIENTS)]
    rows = [("帮助", each("todo10", lambda c, i: "帮助"))]
    rows += [(f"待办 ({count:,} open)", each(kind, lambda c, i: "待办"))
             for kind, count in TODO_USERS.items()]
    rows.append(("详情", each("viewer", lambda c, i: f"详情 #{data['viewer_task'][f'viewer_{c}']}")))
    start = (mode_index * 3 + rep) * n  # each repetition completes tasks of its own
    rows.append(("完成", each("finisher", lambda c, i: (
        f"完成 #{data['finisher_tasks'][f'finisher_{c}'][start + i]}"))))
    return rows


def worker_cpu_seconds(master: int) -> float:
    """User + system CPU time the master's workers have used so far."""
    return sum(procs.cpu_seconds(pid) for pid in procs.children(master))


def timed_run(base: str, master: int, requests) -> dict:
    """load.run, plus the CPU milliseconds the server's workers spent per request."""
    before = worker_cpu_seconds(master)
    got = load.run(base, requests)
    got["cpu_ms"] = (worker_cpu_seconds(master) - before) * 1000 / max(got["n"], 1)
    return got


def measure(mode: str, mode_index: int, data: dict, env: dict, reps: int, n: int, check,
            code: Path = ROOT) -> dict:
    aes = AES_KEY if mode == "safe" else None
    env = {**env, **({"WECHAT_AES_KEY": AES_KEY} if aes else {})}
    results = {}
    with served("bench.anchor:create_app()", env) as (anchor, anchor_pid), \
            served("bench.floor:create_app()", env) as (floor, floor_pid), \
            served("bot:create_app()", env, code) as (twork, master):
        check(twork, aes)
        warm = [[(openid(f"todo10_{c}"), "帮助")] * 20 for c in range(CLIENTS)]
        for server in (anchor, floor, twork):
            load.run(server, pushes(warm, aes))
        rss_before = rss_mb(master)
        requests = 0
        for rep in range(reps):
            echo = [[(openid(f"todo10_{c}"), "帮助")] * n for c in range(CLIENTS)]
            base = timed_run(anchor, anchor_pid, pushes(echo, aes))
            least = timed_run(floor, floor_pid, pushes(echo, aes))
            results.setdefault("anchor (echo)", []).append((base, base, least))
            results.setdefault(FLOOR, []).append((least, base, least))
            for name, texts in scenarios(data, n, rep, mode_index):
                got = timed_run(twork, master, pushes(texts, aes))
                requests += got["n"]
                results.setdefault(name, []).append((got, base, least))
        rss_after = rss_mb(master)
    return {"rows": results, "rss": (rss_before, rss_after, requests)}


def check_replies(data, strict: bool = True):
    """Before timing: the replies are the real ones (an exact count, a detail). Not strict:
    only print the 待办 header (an earlier tree may count otherwise)."""
    def check(base, aes):
        from handlers import texts

        def post(query, body):
            request = urllib.request.Request(f"{base}/wechat?{urllib.parse.urlencode(query)}",
                                             data=body, method="POST")
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        wx = FakeWeChat(post, token=SETTINGS["WECHAT_TOKEN"], appid=SETTINGS["WECHAT_APPID"],
                        aes_key=aes)
        reply = wx.say("待办", openid=openid("todo1000_0"))
        if not strict:
            print("待办 of 1,000 open says:", reply.splitlines()[0])
            return
        assert reply.startswith(texts.TODO_HEADER.split("{overdue}")[0].format(total=1000)), reply
        assert wx.say(f"详情 #{data['viewer_task']['viewer_0']}",
                      openid=openid("viewer_0")).startswith("#"), "详情"
    return check


def table(mode: str, rows: dict) -> list[str]:
    out = [f"| {mode} | throughput ÷ anchor (median, range) | ÷ floor (median) | p99 ms (median) "
           "| p99 ÷ anchor p99 | workers' CPU ms per request | errors |",
           "|---|---|---|---|---|---|---|"]
    for name, samples in rows.items():
        ratios = [got["rps"] / base["rps"] for got, base, _ in samples]
        floor = [got["rps"] / least["rps"] for got, _, least in samples]
        p99 = [got["p99_ms"] for got, _, _ in samples]
        p99_ratio = [got["p99_ms"] / base["p99_ms"] for got, base, _ in samples]
        rps = statistics.median(got["rps"] for got, _, _ in samples)
        cpu = statistics.median(got["cpu_ms"] for got, _, _ in samples)
        out.append(f"| {name} ({rps:.0f}/s) | {statistics.median(ratios):.2f} "
                   f"({min(ratios):.2f}–{max(ratios):.2f}) | {statistics.median(floor):.2f} | "
                   f"{statistics.median(p99):.0f} | {statistics.median(p99_ratio):.2f} | "
                   f"{cpu:.2f} | {sum(g['errors'] for g, _, _ in samples)} |")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="per client and measurement")
    parser.add_argument("--modes", default="plain,safe")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="serve (and migrate) Twork from this source tree, e.g. an export "
                             "of an earlier commit, to compare it in the same harness")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    modes = args.modes.split(",")
    from store.db import init_db
    from store.schema import migrate
    with own_database() as pg_url, claimed_redis() as redis_url, MockWeChat() as mock:
        if code == ROOT:
            database = init_db(pg_url)
            migrate(database)
        else:  # that tree's own schema (the `release` step)
            subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=code, check=True,
                           env={**os.environ, **SETTINGS, "DATABASE_URL": pg_url,
                                "REDIS_URL": redis_url, "PYTHONPATH": str(code)})
            database = init_db(pg_url)
        started = time.perf_counter()
        data = seed(datetime.now(timezone.utc), clients=CLIENTS, total=args.tasks,
                    finish=args.requests * args.reps * len(modes))
        print(f"seeded {args.tasks:,} tasks in {time.perf_counter() - started:.0f} s", flush=True)
        database.close_all()
        env = {**os.environ, **SETTINGS, "DATABASE_URL": pg_url, "REDIS_URL": redis_url,
               "WECHAT_API_BASE": mock.base_url, "PYTHONPATH": str(ROOT)}
        for index, mode in enumerate(modes):
            result = measure(mode, index, data, env, args.reps, args.requests,
                             check_replies(data, strict=code == ROOT), code)
            print("\n".join(table(mode, result["rows"])))
            before, after, requests = result["rss"]
            print(f"\nweb workers' RSS: {before:.0f} MB after warm-up, {after:.0f} MB after "
                  f"{requests:,} more requests ({(after - before) / before:+.1%})\n", flush=True)


if __name__ == "__main__":
    main()
