"""Scratch Redis for test runs and benchmarks on a shared machine: claim a database number
of the machine's Redis that nobody else holds, or start a redis-server of one's own.

A claim is a key `twork:test-db-claim:N` in db 0, set only if absent and expiring after an
hour, so that a crashed run frees its number by itself. Only a claimed database is ever
flushed."""
import contextlib
import os
import shutil
import socket
import subprocess
import time

import redis as redis_lib

from tests.unfaked import unfaked_environment

BASE_URL = os.environ.get("TWORK_TEST_REDIS", "redis://127.0.0.1:6379")
CLAIM_TTL = 3600


def claim_db(base_url: str = BASE_URL) -> int:
    admin = redis_lib.Redis.from_url(base_url + "/0")
    for number in range(1, 16):
        if admin.set(f"twork:test-db-claim:{number}", os.getpid(), nx=True, ex=CLAIM_TTL):
            return number
    raise RuntimeError("no free Redis database number (1-15) for this run")


def release_db(number: int, base_url: str = BASE_URL) -> None:
    redis_lib.Redis.from_url(f"{base_url}/{number}").flushdb()
    redis_lib.Redis.from_url(base_url + "/0").delete(f"twork:test-db-claim:{number}")


@contextlib.contextmanager
def claimed_redis(base_url: str = BASE_URL):
    """Yield the URL of an empty database of its own; flushed and released afterwards."""
    number = claim_db(base_url)
    url = f"{base_url}/{number}"
    try:
        redis_lib.Redis.from_url(url).flushdb()
        yield url
    finally:
        release_db(number, base_url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, without persistence: `stop()` loses its
    data, as an outage of a cache-configured Redis does; `start()` again on the same port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=unfaked_environment())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis_lib.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return self
            except redis_lib.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
