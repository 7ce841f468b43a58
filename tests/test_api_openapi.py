"""The OpenAPI document of /api/v1 tells the truth: every route is in it, and a
schemathesis run (generated requests, positive and negative) finds no 5xx and no answer
that breaks the documented statuses, content types and schemas."""
import re

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)
from schemathesis.generation import GenerationMode

from tests.api_support import Api, build_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SKIP = {("POST", "/api/v1/erp/events")}  # signed with the company secret, not the API key
DOCS = ("openapi.", "swagger.", "api_docs")  # the document and its UI, not API operations
EXAMPLES = 3


def _route_key(rule) -> set[tuple[str, str]]:
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
    return {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_documented(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    routes = set().union(*(_route_key(r) for r in app.url_map.iter_rules()
                           if r.rule.startswith("/api/v1") and not r.endpoint.startswith(DOCS)))
    assert routes == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)


def test_docs_page_and_its_assets_are_served_locally(app):
    client = app.test_client()
    docs = client.get("/api/v1/docs", follow_redirects=True)
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    page = docs.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets and not any("//" in a for a in assets)  # nothing from the internet
    for asset in assets:
        assert client.get(f"/api/v1/{asset}").status_code == 200, asset


def test_validation_messages_are_chinese(app):
    with app.app_context():
        world = build_world()
    api = Api(app.test_client(), world.key, world.acme.admin)
    answer = api.post("/tasks", {"project_id": "x", "title": "", "due_at": "tomorrow"})
    assert answer.status_code == 422 and answer.json["error"] == "invalid"
    assert answer.json["message"].startswith("请求参数无效")
    messages = {tuple(p["loc"]): p["msg"] for p in answer.json["detail"]}
    assert messages[("project_id",)] == "应为整数"
    assert messages[("title",)] == "至少 1 个字符"
    assert "ISO 8601" in messages[("due_at",)]
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in messages.values())


def test_time_and_id_formats_are_declared(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    task_in = document["components"]["schemas"]["TaskIn"]
    assert task_in["properties"]["due_at"]["format"] == "date-time"
    assert task_in["additionalProperties"] is False
    param = document["paths"]["/api/v1/tasks/{task_id}"]["get"]["parameters"][0]
    schema = {k: v for k, v in param["schema"].items() if k != "title"}
    assert schema == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def _fuzz(operation, mode, headers, path_parameters, failures):
    strategy = operation.as_strategy(generation_mode=mode, headers=headers,
                                     path_parameters=path_parameters or None)

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        pass  # nothing in this operation can be made invalid (e.g. a free-form path string)
    except Exception as error:  # collect every failing operation, then fail once
        failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: "
                        f"{str(error)[:1500]}")


def _negatable(document, operation) -> bool:
    """Negative cases need something to break besides the fixed headers."""
    spec = document["paths"][operation.path][operation.method.lower()]
    return "requestBody" in spec or any(p["in"] in ("query", "path") for p in spec["parameters"])


def test_schemathesis_finds_no_server_error_or_schema_break(app):
    with app.app_context():
        world = build_world()
    known = {"task_id": world.ids["task"], "project_id": world.ids["project"],
             "user_id": world.ids["h3"], "department_id": world.ids["dept"],
             "template_id": world.ids["template"], "message_id": world.ids["message"],
             "feedback_id": world.ids["feedback_member"], "key_id": world.ids["spare_key"]}
    headers = {"Authorization": f"Bearer {world.key}", "X-Twork-User": str(world.acme.admin.id)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    document = app.test_client().get("/api/v1/openapi.json").json
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1
        names = re.findall(r"{(\w+)}", operation.path)
        fixed = {n: known[n] for n in names if n in known}
        _fuzz(operation, GenerationMode.POSITIVE, headers, fixed, failures)
        if _negatable(document, operation):
            _fuzz(operation, GenerationMode.NEGATIVE, headers, {}, failures)
    assert operations >= 60
    assert not failures, "\n\n".join(failures)


def test_model_names_are_unique_across_resources():
    """The document names components by class name: two models of one name would overwrite
    each other's schema there."""
    import inspect

    from pydantic import BaseModel

    from bot.api import RESOURCE_MODULES
    seen = {}
    for name in RESOURCE_MODULES:
        module = __import__(f"bot.api.{name}", fromlist=["bp"])
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                assert seen.setdefault(cls_name, module.__name__) == module.__name__, cls_name
