"""Shared set-up for the benchmarks: a throwaway app on SQLite (or BENCH_DATABASE_URL), a
Redis database claimed the way the tests claim theirs (never one somebody else uses), and the
local mock of the WeChat API."""
import contextlib
import os
import statistics
import tempfile
import time

from tests.redis_claim import claimed_redis

SETTINGS = {
    "WECHAT_TOKEN": "benchtoken", "WECHAT_APPID": "wxbench0000001", "WECHAT_APPSECRET": "s",
    "WECHAT_TEMPLATE_TASK": "tmpl", "PUBLIC_BASE_URL": "http://bench.test",
    "TWORK_PLATFORM_KEY": "bench-platform",
}


@contextlib.contextmanager
def bench_app(mock):
    """The app, for the duration of the block; its Redis database is released afterwards."""
    from bot import create_app
    folder = tempfile.mkdtemp(prefix="twork-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    with claimed_redis() as redis_url:
        yield create_app({**SETTINGS, "DATABASE_URL": url, "REDIS_URL": redis_url,
                          "WECHAT_API_BASE": mock.base_url})


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": statistics.median(ordered) * 1000,
            "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000}
