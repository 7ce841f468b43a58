"""The OpenAPI 3.1 document of /api/v1, built with apispec from the operations that
`core.route` recorded and the pydantic models' JSON schemas (`model_json_schema`)."""
import re

from apispec import APISpec
from flask import current_app
from pydantic import BaseModel

from bot.api.core import (MAX_ID, OPERATIONS, PLATFORM, PREFIX, PUBLIC, USER, USER_HEADER,
                          OutModel, route)

ERROR_STATUSES = {400: "Malformed request (bad JSON)",
                  401: "Missing, invalid or revoked key, or unknown acting user",
                  403: "The acting user may not do this",
                  404: "No such resource in this company",
                  409: "Refused by a business rule, or changed by someone else",
                  422: "Validation failed (the detail names the fields)"}
_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"


class ErrorOut(OutModel):
    error: str
    message: str
    detail: object = None


def _schema(spec: APISpec, model: type[BaseModel]) -> dict:
    """Register `model` (and the models it nests) as components; return a $ref to it."""
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        if name not in spec.components.schemas:
            spec.components.schema(name, sub)
    name = model.__name__
    if name not in spec.components.schemas:
        spec.components.schema(name, schema)
    return {"$ref": REF.format(model=name)}


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _operation(spec: APISpec, op) -> tuple[str, dict]:
    path = _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", op.rule)
    params = [{"name": name, "in": "path", "required": True,
               "schema": ({"type": "integer", "minimum": 1, "maximum": MAX_ID}
                          if kind in ("id", "int") else {"type": "string"})}
              for kind, name in _PATH_PARAM.findall(op.rule)]
    if op.query is not None:
        params += _query_parameters(op.query)
    if op.auth == USER:
        params.append({"name": USER_HEADER, "in": "header", "required": True,
                       "description": "acting user: id or account",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 64}})
    ok = {"description": "OK"}
    if op.content_type != "application/json":
        ok["content"] = {op.content_type: {"schema": {"type": "string"}},
                         "application/json": {"schema": _schema(spec, op.response)
                                              if op.response else {}}}
    elif op.response is not None:
        ok["content"] = {"application/json": {"schema": _schema(spec, op.response)}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    error = {"content": {"application/json": {"schema": _schema(spec, ErrorOut)}}}
    responses = {str(op.status): ok}
    for status, text in ERROR_STATUSES.items():
        if op.auth == PUBLIC and status in (401, 403):
            continue
        responses[str(status)] = {"description": text, **error}
    operation = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                 "parameters": params, "responses": responses}
    if op.body is not None:
        operation["requestBody"] = {"required": bool(op.body.model_fields), "content": {
            "application/json": {"schema": _schema(spec, op.body)}}}
    if op.auth == PUBLIC:
        operation["security"] = []
    elif op.auth == PLATFORM:
        operation["security"] = [{"platformKey": []}]
    if op.roles:
        operation["description"] = "Roles: " + ", ".join(op.roles)
    return PREFIX + path, {op.method.lower(): operation}


def build_spec() -> dict:
    spec = APISpec(title="Twork admin API", version="1.0.0", openapi_version="3.1.0",
                   info={"description": "SPEC §7: the PC side of Twork. Errors are "
                                        "{error, message, detail}; times ISO 8601 with offset."})
    spec.components.security_scheme("companyKey", {"type": "http", "scheme": "bearer",
                                                   "description": "a company API key"})
    spec.components.security_scheme("platformKey", {"type": "http", "scheme": "bearer",
                                                    "description": "TWORK_PLATFORM_KEY"})
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path, operation = _operation(spec, op)
        paths.setdefault(path, {}).update(operation)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"companyKey": []}]
    return document


@route("GET", "/openapi.json", auth=PUBLIC, tag="meta", summary="This OpenAPI document")
def openapi_document():
    cache = current_app.extensions.setdefault("twork.api", {})
    if "openapi" not in cache:
        cache["openapi"] = build_spec()
    return cache["openapi"]
