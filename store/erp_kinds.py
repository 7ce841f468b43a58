"""The ERP event kinds Twork understands: each kind's typed fields, the field(s) naming its ERP
document, and the checking and normalising of an event's `data` before conditions, titles or
tasks look at it.

How event values are coerced (ERPs are often loosely typed; we give way only where the meaning
is unambiguous, and answer 422 naming the field otherwise):

* number / integer: JSON numbers or numeric strings ("6000.00", "-3", "1e3"). Integral values
  become `int` (6000.0 → 6000), others `float`. Booleans, NaN, infinities, "6,000" and
  |x| ≥ 10**15 are refused; an integer field refuses 3.5.
* string: text (trimmed) or a JSON integer (order number 12345 → "12345"); at most 1000 chars.
* date / datetime: ISO 8601 text ("2026-11-30", "2026-11-30T10:00:00+08:00", "...Z"); kept as
  normalised ISO text so that the data stays JSON. Either type accepts either form.
* string_list: a JSON list of texts/integers, at most 200 items.
* bool: JSON true/false only.
* `null` and "" mean "absent". A missing document field or required field is refused.
* Fields the kind does not declare are kept (they are shown in the task's detail) if their
  name is a plain identifier and their value a scalar (text ≤ 1000 chars, number, bool); at most
  30 of them. Nested values are refused rather than silently dropped.
* `cleared` is reserved: JSON true/false, never kept in the data. `"cleared": true` says the
  situation is over for the document (see store.erp); such an event still needs the kind's
  document fields, every other field is optional. `cleared_at` is reserved for Twork's own
  mark in a task's ERP data and is refused in an event.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from store.errors import Invalid

MAX_TEXT = 1000
MAX_LIST_ITEMS = 200
MAX_EXTRA_FIELDS = 30
MAX_ABS_NUMBER = Decimal(10) ** 15

_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
CLEARED = "cleared"  # the event's flag: the ERP reports the situation over (store.erp)
CLEARED_AT = "cleared_at"  # Twork's mark in a task's erp_data: when the ERP reported it over


class FieldType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    STRING = "string"
    DATE = "date"
    DATETIME = "datetime"
    STRING_LIST = "string_list"
    BOOL = "bool"

    @property
    def label_zh(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    FieldType.NUMBER: "数字", FieldType.INTEGER: "整数", FieldType.STRING: "文本",
    FieldType.DATE: "日期", FieldType.DATETIME: "日期时间", FieldType.STRING_LIST: "文本列表",
    FieldType.BOOL: "是/否（true/false）",
}


class ValueProblem(ValueError):
    """A value does not fit a field type; the message is the plain-Chinese problem."""


@dataclass(frozen=True)
class FieldSpec:
    type: FieldType
    label_zh: str
    required_in_event: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    label_zh: str
    fields: dict[str, FieldSpec]
    document_fields: tuple[str, ...]

    def to_dict(self) -> dict:
        """The kind as the API lists it, so that a scenario editor can offer fields and types."""
        return {
            "name": self.name, "label": self.label_zh, "document_fields": list(self.document_fields),
            "fields": [{"name": n, "type": s.type.value, "label": s.label_zh,
                        "required": s.required_in_event} for n, s in self.fields.items()],
        }


_NUM, _INT, _TEXT, _DAY, _TIME, _TEXTS, _BOOL = FieldType


def _kind(name: str, label: str, document_fields: tuple[str, ...], fields: dict) -> Kind:
    specs = {n: FieldSpec(t, lab, req) for n, (t, lab, req) in fields.items()}
    return Kind(name, label, specs, document_fields)


_ORDER_EXTRAS = {
    "shop": (_TEXT, "店铺", False), "customer": (_TEXT, "客户", False), "country": (_TEXT, "国家/地区", False),
    "amount": (_NUM, "订单金额", False), "currency": (_TEXT, "币种", False),
    "paid_at": (_TIME, "付款时间", False), "skus": (_TEXTS, "SKU列表", False), "tags": (_TEXTS, "订单标签", False),
}

KINDS: dict[str, Kind] = {k.name: k for k in (
    _kind("order.out_of_stock", "订单缺货", ("order_no",), {
        "order_no": (_TEXT, "订单号", True), "sku": (_TEXT, "SKU", True), "platform": (_TEXT, "平台", False),
        "warehouse": (_TEXT, "仓库", False), "out_of_stock_days": (_NUM, "缺货天数", True),
        "quantity": (_INT, "缺货数量", False), **_ORDER_EXTRAS,
    }),
    _kind("order.unshipped", "订单未发货", ("order_no",), {
        "order_no": (_TEXT, "订单号", True), "platform": (_TEXT, "平台", False),
        "hours_since_paid": (_NUM, "付款后小时数", True), "warehouse": (_TEXT, "仓库", False),
        "ship_by": (_TIME, "最晚发货时间", False), "is_prime": (_BOOL, "是否Prime订单", False),
        **_ORDER_EXTRAS,
    }),
    _kind("purchase_order.amount", "采购单金额", ("po_no",), {
        "po_no": (_TEXT, "采购单号", True), "supplier": (_TEXT, "供应商", False), "amount": (_NUM, "金额", True),
        "currency": (_TEXT, "币种", False), "buyer": (_TEXT, "采购员", False), "warehouse": (_TEXT, "收货仓库", False),
        "expected_at": (_DAY, "预计到货日期", False), "created_at": (_TIME, "下单时间", False),
        "skus": (_TEXTS, "SKU列表", False),
    }),
    _kind("purchase_order.overdue_arrival", "采购单到货逾期", ("po_no",), {
        "po_no": (_TEXT, "采购单号", True), "supplier": (_TEXT, "供应商", False),
        "days_overdue": (_INT, "逾期天数", True), "expected_at": (_DAY, "预计到货日期", False),
        "buyer": (_TEXT, "采购员", False), "warehouse": (_TEXT, "收货仓库", False), "amount": (_NUM, "金额", False),
        "currency": (_TEXT, "币种", False), "skus": (_TEXTS, "SKU列表", False),
    }),
    _kind("inventory.low", "库存不足", ("sku", "warehouse"), {
        "sku": (_TEXT, "SKU", True), "warehouse": (_TEXT, "仓库", True), "available": (_INT, "可用库存", True),
        "safety_stock": (_INT, "安全库存", True), "sku_name": (_TEXT, "商品名称", False),
        "platform": (_TEXT, "平台", False), "daily_sales": (_NUM, "日均销量", False),
        "in_transit": (_INT, "在途数量", False), "is_fba": (_BOOL, "是否FBA仓", False),
    }),
    _kind("return.requested", "退货申请", ("order_no",), {
        "order_no": (_TEXT, "订单号", True), "reason": (_TEXT, "退货原因", True), "amount": (_NUM, "退款金额", False),
        "currency": (_TEXT, "币种", False), "return_no": (_TEXT, "退货单号", False),
        "platform": (_TEXT, "平台", False),
        "shop": (_TEXT, "店铺", False), "customer": (_TEXT, "客户", False), "sku": (_TEXT, "SKU", False),
        "requested_at": (_TIME, "申请时间", False), "received": (_BOOL, "是否已收到退货", False),
    }),
)}


def get_kind(name: Any) -> Kind:
    """The built-in kind called `name`; an unknown name is refused with the list of valid ones."""
    if isinstance(name, Kind):
        return name
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise Invalid(f"不认识的场景类型 {name!r}，可用的类型：{'、'.join(KINDS)}",
                      detail={"field": "kind", "value": name, "allowed": list(KINDS)})
    return kind


def parse_moment(value: Any) -> date | datetime:
    """ISO 8601 text (or a date/datetime) as a `date` when it is a bare day, else a `datetime`."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= 40:
        text = value.strip()
        try:
            if _DATE_ONLY.fullmatch(text):
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueProblem("应为 ISO 8601 日期或时间，如 2026-11-30 或 2026-11-30T10:00:00+08:00")


def coerce_value(ftype: FieldType, value: Any) -> Any:
    """`value` normalised for a field of type `ftype` (see the module docstring), or ValueProblem."""
    if ftype in (FieldType.NUMBER, FieldType.INTEGER):
        return _number(value, integer=ftype is FieldType.INTEGER)
    if ftype is FieldType.STRING:
        return _text(value)
    if ftype in (FieldType.DATE, FieldType.DATETIME):
        return parse_moment(value).isoformat()
    if ftype is FieldType.STRING_LIST:
        if not isinstance(value, (list, tuple)):
            raise ValueProblem("应为文本列表，如 [\"A1\", \"B2\"]")
        if len(value) > MAX_LIST_ITEMS:
            raise ValueProblem(f"列表最多 {MAX_LIST_ITEMS} 项")
        return [_text(v) for v in value]
    if ftype is FieldType.BOOL:
        if not isinstance(value, bool):
            raise ValueProblem("应为 true 或 false")
        return value
    raise ValueProblem(f"未知的字段类型 {ftype}")


def _number(value: Any, integer: bool) -> int | float:
    expected = "应为整数" if integer else "应为数字"
    if isinstance(value, bool):
        raise ValueProblem(expected)
    if isinstance(value, int):
        n = Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        n = Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= 40 and _NUMERIC.fullmatch(value.strip()):
        n = Decimal(value.strip())
    else:
        raise ValueProblem(expected)
    if abs(n) >= MAX_ABS_NUMBER:
        raise ValueProblem("数值超出范围")
    if n == n.to_integral_value():
        return int(n)
    if integer:
        raise ValueProblem(expected)
    return float(n)


def _text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueProblem("应为文本")
    if len(value) > MAX_TEXT:
        raise ValueProblem(f"文本最长 {MAX_TEXT} 个字符")
    if "\x00" in value:  # PostgreSQL cannot store NUL in text
        raise ValueProblem("不能含 NUL 字符")
    return value.strip()


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_event_data(kind: Kind | str, data: Any) -> dict:
    """The event's `data` checked against the kind and normalised: declared fields first, in the
    kind's order, then the kept extra fields. The first problem found is raised as Invalid with
    `detail = {"field", "problem"[, "expected"]}`."""
    kind = get_kind(kind)
    if not isinstance(data, dict):
        raise Invalid("事件的 data 应为对象", detail={"field": "data", "problem": "应为对象"})
    cleared = is_cleared(data)
    if not _absent(data.get(CLEARED_AT)):
        raise Invalid(f"字段 {CLEARED_AT} 是保留字段，事件中不能使用",
                      detail={"field": CLEARED_AT, "problem": "保留字段"})
    clean: dict[str, Any] = {}
    for name, spec in kind.fields.items():
        value = data.get(name)
        if _absent(value):
            if (spec.required_in_event and not cleared) or name in kind.document_fields:
                raise Invalid(f"{kind.label_zh}事件缺少字段 {name}（{spec.label_zh}）",
                              detail={"field": name, "problem": "缺少必填字段"})
            continue
        try:
            clean[name] = coerce_value(spec.type, value)
        except ValueProblem as exc:
            raise Invalid(f"字段 {name}（{spec.label_zh}）{exc}",
                          detail={"field": name, "expected": spec.type.value, "problem": str(exc)}) from None
    extras = [k for k in data if k not in kind.fields and k not in (CLEARED, CLEARED_AT)
              and not _absent(data[k])]
    if len(extras) > MAX_EXTRA_FIELDS:
        raise Invalid(f"事件附加字段太多（最多 {MAX_EXTRA_FIELDS} 个）",
                      detail={"field": "data", "problem": f"附加字段最多 {MAX_EXTRA_FIELDS} 个"})
    for name in extras:
        clean[name] = _extra_value(name, data[name])
    return clean


def is_cleared(data: Any) -> bool:
    """Whether the event's `data` says the situation is over (`"cleared": true`); a `cleared`
    that is not a JSON boolean is refused. Absent (or null) means false."""
    value = data.get(CLEARED) if isinstance(data, dict) else None
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(f"字段 {CLEARED}（情况已解除）应为 true 或 false",
                      detail={"field": CLEARED, "expected": "bool", "problem": "应为 true 或 false"})
    return value


def _extra_value(name: Any, value: Any) -> Any:
    if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
        raise Invalid(f"事件字段名 {name!r} 不合法", detail={"field": name, "problem": "字段名只能用字母、数字和下划线"})
    try:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return _number(value, integer=False)
        if isinstance(value, str):
            return _text(value)
    except ValueProblem as exc:
        raise Invalid(f"字段 {name}{exc}", detail={"field": name, "problem": str(exc)}) from None
    raise Invalid(f"字段 {name} 应为文本、数字或 true/false",
                  detail={"field": name, "problem": "附加字段只能是文本、数字或 true/false"})


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace("|", "%7C").replace("=", "%3D")


def document_key(kind: Kind | str, data: dict) -> str:
    """The ERP document an event is about, e.g. "po_no=PO123" or "sku=A1|warehouse=SZ": with the
    scenario it decides whether an open task already covers the event. `|`, `=` and `%` inside
    values are percent-escaped so that two different documents never share a key."""
    kind = get_kind(kind)
    parts = []
    for name in kind.document_fields:
        value = data.get(name) if isinstance(data, dict) else None
        if _absent(value) or not isinstance(value, (str, int)) or isinstance(value, bool):
            raise Invalid(f"{kind.label_zh}事件缺少单据字段 {name}",
                          detail={"field": name, "problem": "缺少单据字段"})
        parts.append(f"{name}={_escape(str(value).strip())}")
    return "|".join(parts)


def document_rows(kind: Kind | str | None, data: dict | None) -> list[tuple[str, str]]:
    """The document's figures as (中文 label, shown value), in the event's order: what chat's
    详情, the task page and an ERP task's description show. Twork's own cleared mark is not
    a figure and is left out; an unknown kind or field shows its name."""
    spec = KINDS.get(kind.name if isinstance(kind, Kind) else kind or "")
    rows = []
    for name, value in (data or {}).items():
        if name in (CLEARED, CLEARED_AT):
            continue
        label = spec.fields[name].label_zh if spec and name in spec.fields else name
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        rows.append((label, str(value)))
    return rows
