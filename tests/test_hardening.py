"""App-wide HTTP hardening: malformed JSON is a 4xx on every JSON route, a fault is a
generic 500 without details, and every response (errors included) carries the
anti-framing, nosniff and referrer headers."""
import json
import logging
import re
import time

import pytest
import time_machine
from flask import request
from werkzeug.exceptions import BadRequest

from bot.api.erp import signature
from tests.conftest import make_app
from tests.factories import NOW, make_world

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


@pytest.fixture
def world(app):
    return make_world()


def _path(rule) -> str:
    """A concrete URL for a rule: 1 for ids, "x" for any other path argument."""
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>",
                  lambda m: "1" if m.group(1) in ("id", "int") else "x", rule.rule)


def _json_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
                yield method, _path(rule)


def _send(client, world, method, path, body, key, content_type):
    stamp = str(int(time.time()))
    headers = {"Authorization": f"Bearer {key}", "X-Twork-User": str(world.admin.id),
               "Content-Type": content_type, "X-Twork-Company": world.company.code,
               "X-Twork-Timestamp": stamp,
               "X-Twork-Signature": signature(world.company.webhook_secret, stamp, body)}
    return client.open(path, method=method, data=body, headers=headers)


@pytest.mark.parametrize("body, content_type", [(DEEP, "application/json"), (DEEP_OBJECT, "application/json"),
                                                (DEEP, "text/plain")], ids=["array", "object", "untyped"])
def test_deeply_nested_json_is_a_400_on_every_json_route(app, world, body, content_type):
    client, routes = app.test_client(), list(_json_routes(app))
    assert len(routes) > 20  # the whole API, not a sample
    with time_machine.travel(NOW, tick=True):
        for method, path in routes:
            response = _send(client, world, method, path, body, world.api_key, content_type)
            if response.status_code == 401:  # a route for the platform key
                response = _send(client, world, method, path, body, "platform-key-for-tests", content_type)
            assert response.status_code == 400, (method, path, response.get_data(as_text=True)[:300])
            assert response.is_json and response.json["error"], (method, path)
            assert "Traceback" not in response.get_data(as_text=True)


def test_flask_json_parsing_turns_deep_nesting_into_a_400_even_when_silent(app):
    with app.test_request_context("/api/v1/anything", method="POST", data=DEEP,
                                  content_type="application/json"):
        with pytest.raises(BadRequest):
            request.get_json(silent=True)
    with app.test_request_context("/api/v1/anything", method="POST", data=b'{"a": [1, 2]}',
                                  content_type="application/json"):
        assert request.get_json() == {"a": [1, 2]}


@pytest.fixture
def faulty_app(sqlite_db, redis_url, redis_conn, wechat_mock):
    """The app as production runs it (exceptions not propagated), with views that break."""
    app = make_app(sqlite_db, redis_url, wechat_mock, PROPAGATE_EXCEPTIONS=False)

    def breaks():
        raise RuntimeError("db password is hunter2")

    def recurses():
        return recurses()

    app.add_url_rule("/api/v1/_breaks", "api_breaks", breaks)
    app.add_url_rule("/m/_breaks", "page_breaks", breaks)
    app.add_url_rule("/m/_recurses", "page_recurses", recurses, methods=["POST"])
    return app


def test_a_fault_is_a_generic_500_logged_server_side(faulty_app, caplog):
    client = faulty_app.test_client()
    with caplog.at_level(logging.ERROR):
        api = client.get("/api/v1/_breaks")
        page = client.get("/m/_breaks")
        loop = client.post("/m/_recurses", data=b"[1]", content_type="application/json")
    assert api.status_code == 500 and api.json == {"error": "internal", "message": "服务器内部错误，请稍后再试",
                                                   "detail": None}
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "服务器内部错误" in page.get_data(as_text=True)
    assert loop.status_code == 500  # recursion that is not the body's fault is not a 400
    for response in (api, page, loop):
        body = response.get_data(as_text=True)
        assert "hunter2" not in body and "Traceback" not in body and "File " not in body
        assert response.headers["X-Frame-Options"] == "DENY"
    assert "hunter2" in caplog.text and "RecursionError" in caplog.text


def test_a_view_parsing_json_itself_still_answers_deep_nesting_with_400(faulty_app):
    def parses():
        json.loads(request.get_data())
        return {"ok": True}
    faulty_app.add_url_rule("/hooks/_parses", "parses", parses, methods=["POST"])
    client = faulty_app.test_client()
    html = client.post("/hooks/_parses", data=DEEP)
    as_json = client.post("/hooks/_parses", data=DEEP, headers={"Accept": "application/json"})
    assert html.status_code == 400 and "合法的 JSON" in html.get_data(as_text=True)
    assert as_json.status_code == 400 and as_json.json["error"] == "bad_json"


def _paths_answered(app, world):
    client = app.test_client()
    yield client.get("/healthz")
    yield client.get("/nowhere")
    yield client.get("/m/nowhere")
    yield client.get("/m/login")  # to WeChat's OAuth
    yield client.get("/api/v1/nowhere")
    yield client.get("/api/v1/tasks")  # 401
    yield client.get("/api/v1/openapi.json")
    yield client.delete("/healthz")  # 405
    yield client.get("/wechat", query_string={"signature": "x", "timestamp": "1", "nonce": "n",
                                              "echostr": "e"})  # bad signature
    yield client.post("/api/v1/departments", data=b"{", content_type="application/json",
                      headers={"Authorization": f"Bearer {world.api_key}"})


def test_every_answer_carries_the_security_headers(app, world):
    answers = list(_paths_answered(app, world))
    assert {r.status_code for r in answers} >= {200, 302, 400, 401, 403, 404, 405}
    for response in answers:
        where = (response.request.path, response.status_code)
        assert response.headers["X-Frame-Options"] == "DENY", where
        assert response.headers["X-Content-Type-Options"] == "nosniff", where
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], where
        assert response.headers["Referrer-Policy"] == "same-origin", where
