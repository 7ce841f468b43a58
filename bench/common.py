"""Shared set-up for the benchmarks: a throwaway app on SQLite (or DATABASE_URL), a Redis
database of its own, and the local mock of the WeChat API."""
import os
import statistics
import tempfile
import time

import redis as redis_lib

SETTINGS = {
    "WECHAT_TOKEN": "benchtoken", "WECHAT_APPID": "wxbench0000001", "WECHAT_APPSECRET": "s",
    "WECHAT_TEMPLATE_TASK": "tmpl", "PUBLIC_BASE_URL": "http://bench.test",
    "TWORK_PLATFORM_KEY": "bench-platform",
}
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "15"))


def make_app(mock):
    from bot import create_app
    folder = tempfile.mkdtemp(prefix="twork-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis_lib.Redis.from_url(redis_url).flushdb()
    return create_app({**SETTINGS, "DATABASE_URL": url, "REDIS_URL": redis_url,
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
