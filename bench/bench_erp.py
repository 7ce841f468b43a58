"""ERP ingestion throughput per process on PostgreSQL, against a bare signed POST measured in
the same run.

    .venv/bin/python -m bench.bench_erp [REPEATS] [SINGLES]

The baseline is the thinnest correct receiver of an ERP push: a Flask route that reads the
body, checks the timestamp and the HMAC-SHA256 signature (the same function Twork uses)
and answers JSON. Both it and Twork are driven through Flask's test client in this one
process, so the ratios compare what a process spends per event:

* single events that match no scenario, each pushed to POST /api/v1/erp/events;
* 500-event batches of such events, applied by the batch job (what the worker runs);
* 500-event batches that each create 500 three-node tasks (a document of its own each);
* 500-event batches of repeats that roll up into those open tasks.

The benchmark creates a PostgreSQL database of its own (twork_bench_erp_<pid>, on
TWORK_TEST_PG, default postgresql://postgres@127.0.0.1:5432) and drops it afterwards, and
claims a Redis database the way the tests do.
"""
import contextlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time
import uuid

import psycopg2
import requests
from flask import Flask, abort, request
from playhouse.db_url import connect

from bench.common import SETTINGS
from bot.api.erp import signature
from bot.mock_wechat import MockWeChat
from tests.erp_samples import SCENARIOS, batch
from tests.redis_claim import claimed_redis, free_port

PG_DSN = os.environ.get("TWORK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BATCH = 500
BASELINE = "bare signed POST (baseline)"
HTTP_BASELINE = "HTTP: bare signed POST (baseline)"
SKEW = 300


def bare_app(secrets: dict[str, str]) -> Flask:
    """A signed-POST receiver that does nothing but check the signature."""
    app = Flask("bare_erp")

    @app.post("/erp/events")
    def receive():
        body = request.get_data(cache=True)
        code = request.headers.get("X-Twork-Company", "")
        stamp = request.headers.get("X-Twork-Timestamp", "")
        given = request.headers.get("X-Twork-Signature", "").lower()
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > SKEW:
            abort(401)
        expected = signature(secrets.get(code, "no-such-company"), stamp, body)
        if code not in secrets or not hmac.compare_digest(expected.encode(), given.encode()):
            abort(401)
        return {"ok": True}

    return app


class Pusher:
    """Signs and posts bodies to one app's ERP endpoint: through Flask's test client, or
    over HTTP (`url`) with one keep-alive session."""

    def __init__(self, path, code, secret, *, app=None, url=None):
        self.path, self.code, self.secret = path, code, secret
        self.client = app.test_client() if app is not None else requests.Session()
        self.url = url or ""

    def post(self, payload) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        response = self.client.post(self.url + self.path, data=body, headers={
            "X-Twork-Company": self.code, "X-Twork-Timestamp": stamp,
            "X-Twork-Signature": signature(self.secret, stamp, body),
            "Content-Type": "application/json"})
        assert response.status_code == 200, (response.status_code, response.text
                                             if self.url else response.get_data(as_text=True))
        return response.json() if self.url else response.json


def served_bare():
    """gunicorn's app factory for the bare receiver (the company from the environment)."""
    return bare_app({os.environ["BENCH_ERP_CODE"]: os.environ["BENCH_ERP_SECRET"]})


def served_twork():
    """gunicorn's app factory for Twork, settings from the environment; BENCH_ERP_POOL binds
    it to peewee's pool instead of a connection per request."""
    from bot import create_app
    from store.db import db
    app = create_app()
    if os.environ.get("BENCH_ERP_POOL"):
        db.initialize(connect(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+pool://"),
                              max_connections=4))
    return app


@contextlib.contextmanager
def served(factory: str, env: dict):
    """The app served as the Procfile serves the web (gunicorn, gthread), with one worker
    process; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "--log-level", "warning", f"bench.bench_erp:{factory}"],
        env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "/", timeout=5)
                break
            except requests.RequestException:  # not listening, or still booting
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"{factory} did not start")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def seed(now):
    """A company with three handlers, and one enabled scenario of every kind whose task has
    three nodes."""
    from store import scenarios, users
    company, _ = users.create_company("BENCHERP", "基准公司")
    op = users.operator(company.id)
    admin = users.create_user(op, "admin", "管理员", "benchpass", role="company_admin", authorized=True)
    handlers = [users.create_user(op, f"h{i}", f"处理人{i}", "benchpass", authorized=True)
                for i in range(1, 4)]
    watcher = users.create_user(op, "watcher", "关注者", "benchpass", authorized=True)
    for kind, sample in SCENARIOS.items():
        scenarios.create_scenario(admin, {
            **sample, "enabled": True, "watcher_ids": [watcher.id], "editor_ids": [admin.id],
            "escalate_to_ids": [admin.id], "notify_on_finish_ids": [admin.id],
            "nodes": [{"handler_id": h.id, "items": f"第{i}步"} for i, h in enumerate(handlers, 1)]},
            now)
    return company


def events(prefix: str, count: int, *, matching: bool, doc: str | None = None) -> list[dict]:
    """`count` events of every kind in turn (tests.erp_samples.batch)."""
    return batch(count, matching=matching, doc=doc or prefix, prefix=prefix)


def run(url: str, repeats: int, singles: int) -> dict:
    from bot import create_app
    from jobs import runtime
    from store.db import db
    from store.models import Task, TaskNode

    with MockWeChat() as mock, claimed_redis() as redis_url:
        settings = {**SETTINGS, "REDIS_URL": redis_url, "WECHAT_API_BASE": mock.base_url}
        app = create_app({**settings, "DATABASE_URL": url})
        plain_db = db.obj
        # The same app on peewee's pool (playhouse.pool), bound in place of the plain
        # connection while its requests run.
        pooled_db = connect(url.replace("postgresql://", "postgresql+pool://"), max_connections=4)
        runtime.configure(app.config["TWORK"])
        with db.connection_context():
            company = seed(time_now())
        sign = (company.code, company.webhook_secret)
        bare = Pusher("/erp/events", *sign, app=bare_app({company.code: company.webhook_secret}))
        twork = Pusher("/api/v1/erp/events", *sign, app=app)
        env = {**{k: str(v) for k, v in settings.items()}, "DATABASE_URL": url,
               "BENCH_ERP_CODE": company.code, "BENCH_ERP_SECRET": company.webhook_secret}
        with served("served_bare()", env) as bare_url, \
                served("served_twork()", env) as twork_url, \
                served("served_twork()", {**env, "BENCH_ERP_POOL": "1"}) as pooled_url:
            results = measure_all(app, company, sign, bare, twork, pooled_db, plain_db, repeats,
                                  singles, {"bare": bare_url, "twork": twork_url,
                                            "pooled": pooled_url})
        with db.connection_context():
            made = Task.select().count()
            nodes = TaskNode.select().count()
        assert made == BATCH * repeats and nodes == 3 * made, (made, nodes)
        pooled_db.close_all()
    return results


def measure_all(app, company, sign, bare, twork, pooled_db, plain_db, repeats, singles, urls):
    """Every path once per repetition, in turn; events/s of each repetition."""
    from jobs.erp import ingest_batch
    from store.db import db
    run_id = uuid.uuid4().hex[:6]

    def bare_singles(rep):
        for e in events(f"bare-{run_id}-{rep}", singles, matching=False):
            bare.post(e)

    def twork_singles(pusher, database, name):
        def go(rep):
            db.initialize(database)
            for e in events(f"{name}-{run_id}-{rep}", singles, matching=False):
                [result] = pusher.post(e)["results"]
                assert result["status"] == "no_match", result
            db.initialize(plain_db)
        return go

    def job(prefix, matching, expect, doc=None):
        def go(rep):
            batch = events(f"{prefix}-{run_id}-{rep}", BATCH, matching=matching,
                           doc=doc and f"{doc}-{run_id}-{rep}")
            answer = ingest_batch(company.id, batch, time_now().isoformat())
            assert answer["counts"][expect] == BATCH, answer["counts"]
        return go

    def http_singles(base, name, path="/api/v1/erp/events"):
        pusher = Pusher(path, *sign, url=base)

        def go(rep):
            for e in events(f"{name}-{run_id}-{rep}", singles, matching=False):
                answer = pusher.post(e)
                assert path == "/erp/events" or answer["results"][0]["status"] == "no_match"
        return go

    paths = {  # per repetition, every path in turn: the machine's noise hits them alike
        HTTP_BASELINE: (singles, http_singles(urls["bare"], "hbare", "/erp/events")),
        "HTTP: no match, single POSTs (a new connection per request)":
            (singles, http_singles(urls["twork"], "hplain")),
        "HTTP: no match, single POSTs (peewee's connection pool)":
            (singles, http_singles(urls["pooled"], "hpooled")),
        BASELINE: (singles, bare_singles),
        "no match, single POSTs (a new connection per request, as served today)":
            (singles, twork_singles(twork, plain_db, "single")),
        "no match, single POSTs (peewee's connection pool)":
            (singles, twork_singles(twork, pooled_db, "pooled")),
        "no match, 500-event batches": (BATCH, job("nm", False, "no_match")),
        "match → new 3-node task, 500-event batches": (BATCH, job("new", True, "created", "d")),
        "match → repeat rolled up, 500-event batches":
            (BATCH, job("rep", True, "matched_open_task", "d")),
    }
    for name, (_, fn) in paths.items():  # warm-up (imports, first connections), not counted
        if "single" in name or "POST" in name:
            fn(-1)
    results = {name: [] for name in paths}
    for rep in range(repeats):
        for name, (count, fn) in paths.items():
            started = time.perf_counter()
            fn(rep)
            results[name].append(count / (time.perf_counter() - started))
    return results


def time_now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def report(results: dict, repeats: int, singles: int) -> None:
    """Served paths against the served baseline, in-process ones against the in-process one."""
    print(f"{repeats} repetitions; singles: {singles} POSTs per repetition; batches: {BATCH} events")
    print("| path | events/s median | min – max | × baseline |")
    print("|---|---|---|---|")
    for name, samples in results.items():
        base = statistics.median(results[HTTP_BASELINE if name.startswith("HTTP") else BASELINE])
        median = statistics.median(samples)
        print(f"| {name} | {median:,.0f} | {min(samples):,.0f} – {max(samples):,.0f} "
              f"| {median / base:.2f} |")


def main(repeats: int = 3, singles: int = 300):
    name = f"twork_bench_erp_{os.getpid()}"
    admin = psycopg2.connect(PG_DSN + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        results = run(f"{PG_DSN}/{name}", repeats, singles)
    finally:
        from store.db import db
        if db.obj is not None and not db.is_closed():
            db.close()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    report(results, repeats, singles)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
