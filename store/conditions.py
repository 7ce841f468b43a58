"""Scenario conditions and task-title templates: checked once when a scenario is saved, then
evaluated against an event's validated data. Nothing here evaluates code: conditions are data
compared by a fixed table of operators, and titles are filled by plain-name substitution.

What the operators mean, by field type:

* number / integer: `> >= < <= == != in not_in`, compared numerically (6000 == 6000.0 == "6000.00").
* string: `== != in not_in contains`, case-insensitive ("amazon" matches "Amazon").
* date / datetime: `> >= < <= == != in not_in` on the moments. A naive time is read in the
  company's zone (`tz`, China Standard Time unless given). When either side is a bare date the
  comparison is by calendar day: `paid_at == 2026-11-30` holds all that day, and
  `paid_at < 2026-12-01` means before that day.
* string_list: `contains x` (the list has x; with a list, has all of them), `in [...]` (shares at
  least one item), `not_in [...]` (shares none), `==`/`!=` (the same items, in any order).
* bool: `==`, `!=`.

A condition on a field the event lacks is false, whatever the operator (`!=` and `not_in`
included), and a value of the wrong type in the event is false rather than an error.
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from store.erp_kinds import FieldType, Kind, ValueProblem, coerce_value, get_kind, parse_moment
from store.errors import Invalid

CHINA_TZ = timezone(timedelta(hours=8), "CST")
OPS = (">", ">=", "<", "<=", "==", "!=", "in", "not_in", "contains")
ORDERING = frozenset({">", ">=", "<", "<="})
MEMBERSHIP = frozenset({"in", "not_in"})
_EQUALITY = frozenset({"==", "!="})
OPS_BY_TYPE = {
    FieldType.NUMBER: ORDERING | _EQUALITY | MEMBERSHIP,
    FieldType.INTEGER: ORDERING | _EQUALITY | MEMBERSHIP,
    FieldType.DATE: ORDERING | _EQUALITY | MEMBERSHIP,
    FieldType.DATETIME: ORDERING | _EQUALITY | MEMBERSHIP,
    FieldType.STRING: _EQUALITY | MEMBERSHIP | {"contains"},
    FieldType.STRING_LIST: _EQUALITY | MEMBERSHIP | {"contains"},
    FieldType.BOOL: _EQUALITY,
}
MAX_CONDITIONS = 50
MAX_VALUES = 500
MAX_TEMPLATE = 500
MAX_TITLE = 200

# Plain names only: this refuses {a.b}, {a[0]}, {0} and {} before anything is substituted.
_PLACEHOLDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Condition:
    """One `field op value` test. `type` is the field's type, set by `parse_conditions`; a
    condition built by hand without it is read by the type of the event's value."""
    field: str
    op: str
    value: Any
    type: FieldType | None = None

    def to_dict(self) -> dict:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"field": self.field, "op": self.op, "value": value}


def parse_conditions(kind: Kind | str, raw: Any, *, section: str | None = None) -> list[Condition]:
    """Conditions as stored or posted (`[{"field", "op", "value"}, ...]`) checked against the kind.
    The first problem is raised as Invalid with `detail = {"index", "field", "problem"}` (plus
    `allowed`/`expected` where they help, and `section` when the caller names the list)."""
    kind = get_kind(kind)
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_CONDITIONS:
        problem = f"条件应为列表，最多 {MAX_CONDITIONS} 个"
        raise Invalid(problem, detail=_detail(section, None, None, problem))
    return [_parse_one(kind, index, item, section) for index, item in enumerate(raw)]


def _detail(section, index, field, problem, **extra) -> dict:
    detail = {"index": index, "field": field, "problem": problem, **extra}
    if section:
        detail["section"] = section
    return detail


def _parse_one(kind: Kind, index: int, item: Any, section: str | None) -> Condition:
    def fail(problem: str, field: Any = None, **extra) -> Invalid:
        return Invalid(f"第{index + 1}个条件：{problem}", detail=_detail(section, index, field, problem, **extra))

    if not isinstance(item, dict):
        raise fail("条件应为对象 {\"field\", \"op\", \"value\"}")
    unknown = sorted(str(k) for k in item if k not in ("field", "op", "value"))
    if unknown:
        raise fail(f"不认识的键 {'、'.join(unknown)}", item.get("field"))
    name = item.get("field")
    spec = kind.fields.get(name) if isinstance(name, str) else None
    if spec is None:
        raise fail(f"{kind.label_zh}没有字段 {name!r}", name, allowed=list(kind.fields))
    op = item.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise fail(f"不支持的运算符 {op!r}", name, allowed=list(OPS))
    if op not in OPS_BY_TYPE[spec.type]:
        allowed = [o for o in OPS if o in OPS_BY_TYPE[spec.type]]
        raise fail(f"{spec.type.label_zh}字段 {name} 不能用运算符 {op}", name, allowed=allowed)
    if "value" not in item:
        raise fail("缺少 value", name)
    try:
        value = _condition_value(spec.type, op, item["value"])
    except ValueProblem as exc:
        raise fail(f"{name} {op} 的值{exc}", name, expected=spec.type.value) from None
    return Condition(name, op, value, spec.type)


# Thresholds on integer fields may be fractional (available < 10.5); list items are texts.
_ITEM_TYPE = {FieldType.INTEGER: FieldType.NUMBER, FieldType.STRING_LIST: FieldType.STRING}


def _condition_value(ftype: FieldType, op: str, value: Any) -> Any:
    item_type = _ITEM_TYPE.get(ftype, ftype)
    many = op in MEMBERSHIP or (ftype is FieldType.STRING_LIST and op in _EQUALITY)
    if ftype is FieldType.STRING_LIST and op == "contains":
        many = isinstance(value, list)
    if not many:
        return coerce_value(item_type, value)
    if not isinstance(value, list) or not value:
        raise ValueProblem(f"应为非空列表，如 [\"A\", \"B\"]（{op} 需要列表）")
    if len(value) > MAX_VALUES:
        raise ValueProblem(f"列表最多 {MAX_VALUES} 项")
    return tuple(coerce_value(item_type, v) for v in value)


def matches(required: list[Condition], optional: list[Condition], data: Mapping, *,
            tz: tzinfo = CHINA_TZ) -> bool:
    """True when every required condition and every configured optional condition holds."""
    return all(condition_holds(c, data, tz=tz) for c in (*(required or ()), *(optional or ())))


def condition_holds(cond: Condition, data: Mapping, *, tz: tzinfo = CHINA_TZ) -> bool:
    """Whether `cond` holds for the event data; never raises for missing or mistyped values."""
    actual = data.get(cond.field) if isinstance(data, Mapping) else None
    if actual is None:
        return False
    ftype = cond.type or _infer_type(actual, cond.op)
    if ftype not in OPS_BY_TYPE or cond.op not in OPS_BY_TYPE[ftype]:
        return False
    try:
        if ftype is FieldType.STRING_LIST:
            return _list_holds(cond.op, actual, cond.value)
        return _scalar_holds(ftype, cond.op, actual, cond.value, tz)
    except (TypeError, ValueError, ArithmeticError):
        # Unvalidated or mistyped event data: the condition simply does not hold.
        return False


def _infer_type(actual: Any, op: str) -> FieldType:
    if isinstance(actual, bool):
        return FieldType.BOOL
    if isinstance(actual, (int, float)):
        return FieldType.NUMBER
    if isinstance(actual, (list, tuple)):
        return FieldType.STRING_LIST
    return FieldType.DATETIME if op in ORDERING else FieldType.STRING


def _scalar_holds(ftype: FieldType, op: str, actual: Any, value: Any, tz: tzinfo) -> bool:
    if op == "contains":
        return _fold(value) in _fold(actual)
    if op in MEMBERSHIP:
        found = any(_compare(ftype, actual, v, tz) == 0 for v in value)
        return found if op == "in" else not found
    order = _compare(ftype, actual, value, tz)
    return {">": order > 0, ">=": order >= 0, "<": order < 0, "<=": order <= 0,
            "==": order == 0, "!=": order != 0}[op]


def _compare(ftype: FieldType, a: Any, b: Any, tz: tzinfo) -> int:
    """-1, 0 or 1 as a is below, equal to or above b (for strings and bools: 0 or not 0)."""
    if ftype in (FieldType.NUMBER, FieldType.INTEGER):
        x, y = coerce_value(FieldType.NUMBER, a), coerce_value(FieldType.NUMBER, b)
    elif ftype in (FieldType.DATE, FieldType.DATETIME):
        x, y = _comparable(parse_moment(a), parse_moment(b), tz)
    elif ftype is FieldType.BOOL:
        if not isinstance(a, bool):
            raise TypeError("not a bool")
        return 0 if a == b else 1
    else:
        return 0 if _fold(a) == _fold(b) else 1
    return (x > y) - (x < y)


def _comparable(a: date | datetime, b: date | datetime, tz: tzinfo):
    if not isinstance(a, datetime) or not isinstance(b, datetime):
        return _day(a, tz), _day(b, tz)
    return _aware(a, tz), _aware(b, tz)


def _aware(moment: datetime, tz: tzinfo) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _day(moment: date | datetime, tz: tzinfo) -> date:
    if isinstance(moment, datetime):
        return moment.astimezone(tz).date() if moment.tzinfo else moment.date()
    return moment


def _fold(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError("not a text")
    return text.strip().casefold()


def _list_holds(op: str, actual: Any, value: Any) -> bool:
    if not isinstance(actual, (list, tuple)):
        return False
    have = {_fold(x) for x in actual}
    wanted = {_fold(v) for v in (value if isinstance(value, (list, tuple)) else [value])}
    return {"contains": wanted <= have, "==": have == wanted, "!=": have != wanted,
            "in": bool(have & wanted), "not_in": not have & wanted}[op]


def _template_parts(template: Any) -> list[tuple[str, str | None]]:
    """(literal text, placeholder name or None) pairs; Invalid for anything but plain names."""
    if not isinstance(template, str) or not template.strip():
        raise Invalid("标题模板不能为空", detail={"field": "title", "problem": "标题模板不能为空"})
    if len(template) > MAX_TEMPLATE:
        problem = f"标题模板最长 {MAX_TEMPLATE} 个字符"
        raise Invalid(problem, detail={"field": "title", "problem": problem})
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        problem = "花括号不成对（要写花括号本身，请用 {{ 和 }}）"
        raise Invalid(f"标题模板{problem}", detail={"field": "title", "problem": problem}) from None
    parts = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (not _PLACEHOLDER.fullmatch(name) or spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            problem = "占位符只能写字段名，如 {po_no}"
            raise Invalid(f"标题模板的占位符 {{{shown}}} 不允许：{problem}",
                          detail={"field": "title", "placeholder": shown, "problem": problem})
        parts.append((literal, name))
    return parts


def validate_title_template(kind: Kind | str, template: Any) -> tuple[str, ...]:
    """Check a scenario's title template; returns its placeholders, each a field of the kind."""
    kind = get_kind(kind)
    names = tuple(dict.fromkeys(n for _, n in _template_parts(template) if n is not None))
    for name in names:
        if name not in kind.fields:
            problem = f"{kind.label_zh}没有字段 {name}"
            raise Invalid(f"标题模板的占位符 {{{name}}} 不可用：{problem}",
                          detail={"field": "title", "placeholder": name, "problem": problem,
                                  "allowed": list(kind.fields)})
    return names


def render_title(template: str, data: Mapping) -> str:
    """The task title: the template with each {field} replaced by the event's value, on one line,
    cut to MAX_TITLE characters. A placeholder the event lacks is Invalid naming it."""
    parts = _template_parts(template)
    missing = list(dict.fromkeys(n for _, n in parts if n is not None and data.get(n) in (None, "")))
    if missing:
        raise Invalid(f"事件数据缺少标题需要的字段：{'、'.join(missing)}",
                      detail={"field": "title", "missing": missing, "problem": "事件缺少标题模板中的字段"})
    title = "".join(literal + (_display(data[name]) if name is not None else "") for literal, name in parts)
    title = _CONTROL.sub(" ", title).strip()
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + "…"


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple)):
        return "、".join(_display(v) for v in value)
    return str(value)
