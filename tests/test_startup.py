"""Production processes never run on stand-ins: without REDIS_URL, or without a database they
can reach, the web app, the worker and the scheduler refuse to start with one clear message;
only the demo runs on the in-process Redis."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import create_app
from bot.redis_conn import is_fake
from bot.settings import SettingsError
from tests.conftest import TEST_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_DB = "postgresql://postgres@127.0.0.1:1/twork_nowhere"


def test_web_refuses_to_start_without_redis(sqlite_db, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(SettingsError) as refused:
        create_app({**TEST_SETTINGS, "DATABASE_URL": sqlite_db})
    assert "REDIS_URL is required" in str(refused.value)


def test_web_refuses_to_start_without_a_reachable_database(redis_url):
    with pytest.raises(SettingsError) as refused:
        create_app({**TEST_SETTINGS, "DATABASE_URL": UNREACHABLE_DB, "REDIS_URL": redis_url})
    assert "DATABASE_URL: cannot reach the database" in str(refused.value)


def test_only_the_demo_runs_on_the_in_process_redis(sqlite_db, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": sqlite_db, "DEMO": True})
    assert is_fake(app.extensions["twork.redis"])
    assert app.test_client().get("/healthz").json == {"ok": True}


def run(module, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", module], cwd=ROOT, env={**base, **TEST_SETTINGS, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("module", ["jobs.worker", "jobs.scheduler"])
def test_background_processes_refuse_to_start_without_redis_or_database(module, sqlite_db, redis_url):
    no_redis = run(module, DATABASE_URL=sqlite_db)
    assert no_redis.returncode != 0
    assert "Twork cannot start" in no_redis.stderr and "REDIS_URL is required" in no_redis.stderr

    no_db = run(module, DATABASE_URL=UNREACHABLE_DB, REDIS_URL=redis_url)
    assert no_db.returncode != 0
    assert "DATABASE_URL: cannot reach the database" in no_db.stderr
    assert "Traceback" not in no_db.stderr
