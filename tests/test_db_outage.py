"""The database going away and coming back (PostgreSQL behind a proxy the test cuts):
a WeChat push still gets a 200 with a plain reply that nothing was done, the admin API
answers 503 with a JSON error, and both work again afterwards without a restart."""
import uuid
from urllib.parse import urlparse

import psycopg2
import pytest

from handlers import texts
from store.db import db as db_proxy
from tests.api_support import Api
from tests.chat_fixtures import chat, clock, world  # noqa: F401
from tests.conftest import PG_DSN, make_app
from tests.outage_support import TcpProxy


@pytest.fixture
def proxy():
    """A database of this test's own, reached only through a proxy."""
    name = f"twork_outage_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_DSN + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    target = urlparse(PG_DSN)
    proxy = TcpProxy(target.port or 5432, target.hostname)
    proxy.url = f"postgresql://{target.username}@127.0.0.1:{proxy.port}/{name}"
    yield proxy
    db_proxy.close()
    proxy.close()
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def app(proxy, redis_url, redis_conn, wechat_mock):
    return make_app(proxy.url, redis_url, wechat_mock)


def todo_titles(api) -> list[str]:
    response = api.get("/tasks?view=todo")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return [t["title"] for t in (body["items"] if isinstance(body, dict) else body)]


def test_a_database_outage_is_answered_and_recovered(app, proxy, chat, world):
    alice = chat(world.alice)
    api = Api(app.test_client(), world.api_key, user=world.alice)
    assert todo_titles(api) == []

    proxy.cut()
    assert alice.say("新建 核对到货 明天18:00") == texts.NOTHING_DONE
    assert alice.wx.last_status == 200
    response = api.get("/tasks?view=todo")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "unavailable" and body["message"] and "detail" in body
    assert app.test_client().get("/healthz").status_code == 200

    proxy.restore()
    assert alice.say("新建 核对到货 明天18:00").startswith("已创建")
    assert todo_titles(api) == ["核对到货"]  # the push during the outage did nothing
