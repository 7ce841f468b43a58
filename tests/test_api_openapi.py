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

from tests.api_support import build_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SKIP = {("POST", "/api/v1/erp/events")}  # signed with the company secret, not the API key
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
                           if r.rule.startswith("/api/v1")))
    assert routes == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)


def test_time_and_id_formats_are_declared(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    task_in = document["components"]["schemas"]["TaskIn"]
    assert task_in["properties"]["due_at"]["format"] == "date-time"
    assert task_in["additionalProperties"] is False
    param = document["paths"]["/api/v1/tasks/{task_id}"]["get"]["parameters"][0]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


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
