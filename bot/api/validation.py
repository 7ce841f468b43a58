"""pydantic's validation errors as the API answers them: 422 `{error: "invalid", message,
detail}`, with a Chinese message for each problem (the English one is for developers only
and is not shown), and the machine-readable `loc` and `type` kept."""
from flask import current_app
from pydantic import ValidationError

MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数字过大",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "list_type": "应为列表",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "datetime_type": "应为带时区的 ISO 8601 时间，如 2026-12-05T18:00:00+08:00",
    "datetime_parsing": "应为带时区的 ISO 8601 时间，如 2026-12-05T18:00:00+08:00",
    "datetime_from_date_parsing": "应为带时区的 ISO 8601 时间，如 2026-12-05T18:00:00+08:00",
    "timezone_aware": "时间须带时区偏移，如 +08:00",
    "date_type": "应为日期，如 2026-12-05",
    "date_parsing": "应为日期，如 2026-12-05",
    "date_from_datetime_parsing": "应为日期，如 2026-12-05",
    "date_from_datetime_inexact": "应为日期，如 2026-12-05",
    "json_invalid": "不是合法的 JSON",
    "json_type": "不是合法的 JSON",
    "union_tag_invalid": "类型不对",
    "none_required": "应为空",
}
UNKNOWN = "取值无效"


def _message(problem: dict) -> str:
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", UNKNOWN))  # our own validators speak Chinese
    template = MESSAGES.get(kind, UNKNOWN)
    try:
        return template.format(**{k: str(v).replace("'", "") for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template


def _field(loc) -> str:
    return ".".join(str(part) for part in loc) or "请求体"


def problems(error: ValidationError) -> list[dict]:
    return [{"loc": list(p["loc"]), "msg": _message(p), "type": p["type"]}
            for p in error.errors(include_url=False, include_input=False)]


def validation_response(error: ValidationError):
    """flask-openapi3's validation_error_callback: the 422 every invalid request gets."""
    found = problems(error)
    unknown = [_field(p["loc"]) for p in found if p["type"] == "extra_forbidden"]
    if unknown:
        message = f"不允许的字段：{', '.join(unknown)}"
    else:
        first = found[0] if found else {"loc": [], "msg": UNKNOWN}
        message = f"请求参数无效：{_field(first['loc'])} {first['msg']}"
    response = current_app.json.response({"error": "invalid", "message": message, "detail": found})
    response.status_code = 422
    return response
