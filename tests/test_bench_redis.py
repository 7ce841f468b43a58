"""Benchmarks use a Redis database they claimed, never one that belongs to someone else."""
import redis as redis_lib

from bench.common import bench_app
from tests.redis_claim import BASE_URL


def test_bench_app_claims_its_redis_database_and_leaves_others_alone(redis_url, redis_conn, wechat_mock):
    redis_conn.set("twork:test:mine", "keep")  # this run's own database, in use
    admin = redis_lib.Redis.from_url(BASE_URL + "/0")
    with bench_app(wechat_mock) as app:
        bench_url = app.config["TWORK"].REDIS_URL
        number = int(bench_url.rsplit("/", 1)[1])
        assert bench_url != redis_url
        assert admin.get(f"twork:test-db-claim:{number}") is not None  # held while it runs
    assert admin.get(f"twork:test-db-claim:{number}") is None  # released afterwards
    assert redis_conn.get("twork:test:mine") == b"keep"
