"""ERP kinds, event-data validation, scenario conditions and title templates (store.erp_kinds,
store.conditions): pure functions, no database."""
import json
from datetime import timezone

import pytest
from hypothesis import given, settings, strategies as st

from store.conditions import (OPS, Condition, condition_holds, matches, parse_conditions,
                              render_title, validate_title_template)
from store.erp_kinds import KINDS, FieldType, document_key, get_kind, validate_event_data
from store.errors import Invalid

# One realistic payload per built-in kind, as the ERP pushes it (loosely typed on purpose).
PAYLOADS = {
    "order.out_of_stock": {
        "order_no": "112-3456789-0123456", "sku": "TSHIRT-BLK-M", "platform": "Amazon",
        "warehouse": "深圳仓", "out_of_stock_days": 4, "quantity": "2", "shop": "US旗舰店",
        "amount": "39.99", "currency": "USD", "paid_at": "2026-11-26T08:15:00Z", "tags": ["FBM", "加急"],
    },
    "order.unshipped": {
        "order_no": "SO20261130001", "platform": "Shopee", "hours_since_paid": 50.5, "warehouse": "义乌仓",
        "ship_by": "2026-12-01T23:59:59+08:00", "is_prime": False, "paid_at": "2026-11-28 07:30:00",
    },
    "purchase_order.amount": {
        "po_no": "PO123", "supplier": "深圳甲", "amount": 6000, "currency": "CNY", "buyer": "王五",
    },
    "purchase_order.overdue_arrival": {
        "po_no": "PO20261102-07", "supplier": "义乌乙", "days_overdue": "5", "expected_at": "2026-11-25",
        "buyer": "王五", "warehouse": "深圳仓",
    },
    "inventory.low": {
        "sku": "CASE-IP15-CLR", "warehouse": "FBA-US-West", "available": 12, "safety_stock": 50,
        "sku_name": "iPhone 15 透明手机壳", "platform": "Amazon", "daily_sales": 8.5, "is_fba": True,
    },
    "return.requested": {
        "order_no": "SO20261120088", "reason": "尺码不合适", "amount": 25.5, "currency": "USD",
        "return_no": "RMA-0091", "requested_at": "2026-11-29T21:00:00-05:00", "received": False,
    },
}


def event(kind, **changes):
    return validate_event_data(kind, {**PAYLOADS[kind], **changes})


def conds(kind, *triples, section=None):
    return parse_conditions(kind, [{"field": f, "op": o, "value": v} for f, o, v in triples], section=section)


def invalid(call, *args, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as info:
        call(*args, **kwargs)
    assert info.value.status == 422
    return info.value


# --- kinds ------------------------------------------------------------------------------------

def test_registry_has_the_six_kinds_with_their_documented_fields():
    assert set(KINDS) == set(PAYLOADS)
    assert get_kind("purchase_order.amount").label_zh == "采购单金额"
    assert get_kind("order.out_of_stock").fields["out_of_stock_days"].type is FieldType.NUMBER
    for kind in KINDS.values():
        assert kind.document_fields and all(kind.fields[f].required_in_event for f in kind.document_fields)
        assert kind.label_zh and all(spec.label_zh for spec in kind.fields.values())
        json.dumps(kind.to_dict())


def test_unknown_kind_is_refused_listing_the_valid_ones():
    err = invalid(get_kind, "order.lost")
    assert "order.lost" in err.message
    assert err.detail["field"] == "kind" and err.detail["allowed"] == list(KINDS)
    assert invalid(parse_conditions, "order.lost", []).detail["value"] == "order.lost"
    assert invalid(validate_event_data, None, {}).detail["field"] == "kind"


# --- event data -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", PAYLOADS)
def test_every_kind_accepts_its_realistic_payload(kind):
    data = event(kind)
    assert json.loads(json.dumps(data)) == data


def test_event_values_are_coerced_and_normalised():
    assert event("order.out_of_stock")["amount"] == 39.99
    assert event("order.out_of_stock")["quantity"] == 2
    assert event("order.out_of_stock")["paid_at"] == "2026-11-26T08:15:00+00:00"
    assert event("order.unshipped")["paid_at"] == "2026-11-28T07:30:00"
    assert event("purchase_order.overdue_arrival")["days_overdue"] == 5
    assert event("purchase_order.amount", amount="6000.00")["amount"] == 6000
    assert isinstance(event("purchase_order.amount", amount=6000.0)["amount"], int)
    assert event("purchase_order.amount", po_no=123456)["po_no"] == "123456"
    assert event("purchase_order.amount", supplier="  深圳甲 ")["supplier"] == "深圳甲"


def test_null_and_empty_optional_fields_are_absent():
    data = event("purchase_order.amount", supplier=None, buyer="")
    assert "supplier" not in data and "buyer" not in data


def test_extra_scalar_fields_are_kept_for_the_task_detail():
    data = event("purchase_order.amount", remark="月底前付款", lines=3, urgent=True)
    assert (data["remark"], data["lines"], data["urgent"]) == ("月底前付款", 3, True)
    assert list(data)[-3:] == ["remark", "lines", "urgent"]


@pytest.mark.parametrize("kind, drop, field", [
    ("purchase_order.amount", "po_no", "po_no"),
    ("purchase_order.amount", "amount", "amount"),
    ("inventory.low", "warehouse", "warehouse"),
    ("order.out_of_stock", "out_of_stock_days", "out_of_stock_days"),
    ("return.requested", "reason", "reason"),
])
def test_missing_document_or_required_field_is_named(kind, drop, field):
    data = {k: v for k, v in PAYLOADS[kind].items() if k != drop}
    err = invalid(validate_event_data, kind, data)
    assert err.detail == {"field": field, "problem": "缺少必填字段"}
    assert field in err.message


def test_blank_document_field_counts_as_missing():
    assert invalid(validate_event_data, "purchase_order.amount", {**PAYLOADS["purchase_order.amount"],
                                                                 "po_no": "  "}).detail["field"] == "po_no"


@pytest.mark.parametrize("kind, field, value, expected", [
    ("purchase_order.amount", "amount", "abc", "number"),
    ("purchase_order.amount", "amount", "6,000", "number"),
    ("purchase_order.amount", "amount", True, "number"),
    ("purchase_order.amount", "amount", float("nan"), "number"),
    ("purchase_order.amount", "amount", 10 ** 16, "number"),
    ("purchase_order.amount", "amount", [6000], "number"),
    ("purchase_order.overdue_arrival", "days_overdue", 3.5, "integer"),
    ("purchase_order.amount", "supplier", {"name": "深圳甲"}, "string"),
    ("purchase_order.amount", "supplier", 1.5, "string"),
    ("purchase_order.amount", "expected_at", "下周", "date"),
    ("order.unshipped", "paid_at", "2026-13-40T10:00:00", "datetime"),
    ("order.unshipped", "is_prime", "yes", "bool"),
    ("order.unshipped", "tags", "FBM", "string_list"),
    ("order.unshipped", "tags", ["FBM", {"x": 1}], "string_list"),
    ("return.requested", "reason", "长" * 1001, "string"),
])
def test_wrong_value_type_is_named_with_the_expected_type(kind, field, value, expected):
    err = invalid(validate_event_data, kind, {**PAYLOADS[kind], field: value})
    assert err.detail["field"] == field and err.detail["expected"] == expected
    assert err.detail["problem"] and field in err.message


def test_bad_extra_fields_are_refused():
    base = PAYLOADS["purchase_order.amount"]
    assert invalid(validate_event_data, "purchase_order.amount", {**base, "lines": [{"sku": "A1"}]}).detail[
        "field"] == "lines"
    assert invalid(validate_event_data, "purchase_order.amount", {**base, "备注": "x"}).detail["field"] == "备注"
    too_many = {**base, **{f"x{i}": i for i in range(31)}}
    assert invalid(validate_event_data, "purchase_order.amount", too_many).detail["field"] == "data"
    assert invalid(validate_event_data, "purchase_order.amount", ["po_no"]).detail["field"] == "data"


# --- document keys ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind, key", [
    ("order.out_of_stock", "order_no=112-3456789-0123456"),
    ("order.unshipped", "order_no=SO20261130001"),
    ("purchase_order.amount", "po_no=PO123"),
    ("purchase_order.overdue_arrival", "po_no=PO20261102-07"),
    ("inventory.low", "sku=CASE-IP15-CLR|warehouse=FBA-US-West"),
    ("return.requested", "order_no=SO20261120088"),
])
def test_document_key_names_the_erp_document(kind, key):
    assert document_key(kind, event(kind)) == key


def test_document_key_escapes_separators_so_documents_never_collide():
    a = document_key("inventory.low", {"sku": "A|warehouse=B", "warehouse": "C"})
    b = document_key("inventory.low", {"sku": "A", "warehouse": "B|warehouse=C"})
    assert a == "sku=A%7Cwarehouse%3DB|warehouse=C" and a != b
    assert invalid(document_key, "inventory.low", {"sku": "A"}).detail["field"] == "warehouse"


# --- scenarios matching events ----------------------------------------------------------------

@pytest.mark.parametrize("kind, required, optional, changes, expected", [
    ("purchase_order.amount", [("amount", ">", 5000)], [("supplier", "in", ["深圳甲", "义乌乙"])], {}, True),
    ("purchase_order.amount", [("amount", ">", 5000)], [("supplier", "in", ["深圳甲", "义乌乙"])],
     {"amount": 4999.99}, False),
    ("purchase_order.amount", [("amount", ">", 5000)], [("supplier", "in", ["深圳甲", "义乌乙"])],
     {"supplier": "东莞丙"}, False),
    ("order.out_of_stock", [("out_of_stock_days", ">", 3)], [("platform", "==", "Amazon")], {}, True),
    ("order.out_of_stock", [("out_of_stock_days", ">", 3)], [("platform", "==", "Amazon")],
     {"out_of_stock_days": 3}, False),
    ("order.unshipped", [("hours_since_paid", ">=", 48)], [("platform", "not_in", ["Amazon"])], {}, True),
    ("order.unshipped", [("hours_since_paid", ">=", 48)], [], {"hours_since_paid": "47.9"}, False),
    ("purchase_order.overdue_arrival", [("days_overdue", ">=", 3)], [("warehouse", "==", "深圳仓")], {}, True),
    ("purchase_order.overdue_arrival", [("days_overdue", ">=", 3)], [], {"days_overdue": 2}, False),
    ("inventory.low", [("available", "<", 20)], [("is_fba", "==", True), ("warehouse", "contains", "US")],
     {}, True),
    ("inventory.low", [("available", "<", 20)], [], {"available": 20}, False),
    ("return.requested", [("amount", ">", 20)], [("reason", "contains", "尺码")], {}, True),
    ("return.requested", [("amount", ">", 20)], [("reason", "contains", "质量")], {}, False),
    ("return.requested", [], [], {}, True),
])
def test_scenario_matches_when_all_required_and_optional_conditions_hold(kind, required, optional, changes,
                                                                        expected):
    assert matches(conds(kind, *required), conds(kind, *optional), event(kind, **changes)) is expected


def test_condition_on_a_field_the_event_lacks_is_false_for_every_operator():
    data = event("return.requested", amount=None, platform=None, requested_at=None, received=None)
    for field, op, value in [("amount", "!=", 1), ("amount", "not_in", [1]), ("platform", "!=", "eBay"),
                             ("platform", "not_in", ["eBay"]), ("requested_at", "<", "2030-01-01"),
                             ("received", "!=", True)]:
        assert condition_holds(conds("return.requested", (field, op, value))[0], data) is False


def test_mistyped_event_data_never_raises_and_never_matches():
    amount_gt = conds("purchase_order.amount", ("amount", ">", 5000))[0]
    for bad in ("lots", [6000], {"v": 6000}, True, "nan"):
        assert condition_holds(amount_gt, {"amount": bad}) is False
    assert condition_holds(conds("order.unshipped", ("tags", "contains", "FBM"))[0], {"tags": "FBM"}) is False
    assert condition_holds(amount_gt, None) is False


# --- every operator on every type that accepts it ---------------------------------------------

def holds(kind, field, op, value, actual, **kw):
    return condition_holds(conds(kind, (field, op, value))[0], {field: actual}, **kw)


@pytest.mark.parametrize("op, value, expected", [
    (">", 5000, True), (">", 6000, False), (">=", 6000, True), (">=", 6000.01, False),
    ("<", 6000, False), ("<", "7000", True), ("<=", 6000, True), ("<=", 5999.99, False),
    ("==", 6000.0, True), ("==", "6000.00", True), ("==", 6001, False), ("!=", 6000, False), ("!=", 1, True),
    ("in", [5000, 6000], True), ("in", [5000], False), ("not_in", [6000], False), ("not_in", [1, 2], True),
])
def test_number_operators(op, value, expected):
    assert holds("purchase_order.amount", "amount", op, value, 6000) is expected


@pytest.mark.parametrize("op, value, expected", [
    (">", 3, True), (">=", 5, True), ("<", 5, False), ("<=", 4, False), ("==", 5, True), ("!=", 5, False),
    ("in", [5, 7], True), ("not_in", [5, 7], False), ("<", 5.5, True),
])
def test_integer_operators(op, value, expected):
    assert holds("purchase_order.overdue_arrival", "days_overdue", op, value, 5) is expected


@pytest.mark.parametrize("op, value, expected", [
    ("==", "amazon", True), ("==", "Amazon", True), ("==", "eBay", False), ("!=", "eBay", True),
    ("!=", "AMAZON", False), ("in", ["eBay", "Amazon"], True), ("in", ["eBay"], False),
    ("not_in", ["Shopee", "eBay"], True), ("not_in", ["amazon"], False),
    ("contains", "maz", True), ("contains", "AMAZ", True), ("contains", "bay", False),
])
def test_string_operators_ignore_case(op, value, expected):
    assert holds("order.out_of_stock", "platform", op, value, "Amazon") is expected


def test_string_contains_on_chinese_text():
    assert holds("purchase_order.amount", "supplier", "contains", "深圳", "深圳甲") is True


@pytest.mark.parametrize("op, value, expected", [
    ("<", "2026-11-26", True), ("<", "2026-11-25", False), ("<=", "2026-11-25", True),
    (">", "2026-11-24", True), (">=", "2026-11-26", False), ("==", "2026-11-25", True),
    ("!=", "2026-11-24", True), ("in", ["2026-11-24", "2026-11-25"], True), ("not_in", ["2026-11-25"], False),
    # A time against a bare date compares by calendar day.
    ("==", "2026-11-25T18:00:00+08:00", True), (">", "2026-11-24T23:59:59+08:00", True),
])
def test_date_operators(op, value, expected):
    assert holds("purchase_order.overdue_arrival", "expected_at", op, value, "2026-11-25") is expected


PAID_AT = "2026-11-26T08:15:00Z"   # 16:15 in China


@pytest.mark.parametrize("op, value, expected", [
    (">", "2026-11-26T16:00:00+08:00", True), (">", "2026-11-26T16:15:00+08:00", False),
    (">=", "2026-11-26T08:15:00+00:00", True), ("<", "2026-11-26T16:15:01", True),   # naive = China time
    ("<=", "2026-11-26T16:14:59", False), ("==", "2026-11-26T16:15:00+08:00", True),
    ("!=", "2026-11-26T16:15:00+08:00", False), ("==", "2026-11-26", True), ("<", "2026-11-27", True),
    ("in", ["2026-11-25", "2026-11-26"], True), ("not_in", ["2026-11-26T08:15:00Z"], False),
])
def test_datetime_operators_handle_offsets_and_naive_times(op, value, expected):
    assert holds("order.out_of_stock", "paid_at", op, value, PAID_AT) is expected


def test_datetime_day_comparison_uses_the_company_zone():
    late_utc = "2026-11-26T20:00:00Z"   # already the 27th in China
    assert holds("order.out_of_stock", "paid_at", "==", "2026-11-27", late_utc) is True
    assert holds("order.out_of_stock", "paid_at", "==", "2026-11-26", late_utc, tz=timezone.utc) is True


def test_naive_event_time_is_read_in_the_company_zone():
    assert holds("order.unshipped", "ship_by", "==", "2026-12-01T15:59:59Z", "2026-12-01 23:59:59") is True


@pytest.mark.parametrize("op, value, expected", [
    ("contains", "加急", True), ("contains", "vip", False), ("contains", ["fbm", "加急"], True),
    ("contains", ["FBM", "VIP"], False), ("in", ["VIP", "加急"], True), ("in", ["VIP"], False),
    ("not_in", ["VIP", "退款中"], True), ("not_in", ["FBM"], False),
    ("==", ["加急", "FBM"], True), ("==", ["FBM"], False), ("!=", ["FBM"], True),
])
def test_string_list_operators(op, value, expected):
    assert holds("order.out_of_stock", "tags", op, value, ["FBM", "加急"]) is expected


@pytest.mark.parametrize("op, value, actual, expected", [
    ("==", True, True, True), ("==", True, False, False), ("!=", True, False, True), ("!=", False, False, False),
])
def test_bool_operators(op, value, actual, expected):
    assert holds("inventory.low", "is_fba", op, value, actual) is expected


def test_hand_built_condition_infers_the_type_from_the_event():
    assert condition_holds(Condition("amount", ">", 5000), {"amount": 6000}) is True
    assert condition_holds(Condition("paid_at", "<", "2026-12-01"), {"paid_at": PAID_AT}) is True
    assert condition_holds(Condition("platform", "==", "amazon"), {"platform": "Amazon"}) is True


# --- condition validation ---------------------------------------------------------------------

def test_unknown_field_is_named():
    err = invalid(conds, "purchase_order.amount", ("amount", ">", 1), ("amout", ">", 5000))
    assert err.detail["index"] == 1 and err.detail["field"] == "amout"
    assert "amout" in err.detail["problem"] and err.detail["allowed"] == list(KINDS["purchase_order.amount"].fields)
    assert err.message.startswith("第2个条件")


@pytest.mark.parametrize("op", ["=~", "between", "", None, "eval", ["=="]])
def test_unknown_operator_is_refused(op):
    err = invalid(parse_conditions, "purchase_order.amount", [{"field": "amount", "op": op, "value": 1}])
    assert err.detail["index"] == 0 and err.detail["field"] == "amount"
    assert "运算符" in err.detail["problem"] and err.detail["allowed"] == list(OPS)


@pytest.mark.parametrize("kind, field, op, allowed", [
    ("order.out_of_stock", "platform", ">", ["==", "!=", "in", "not_in", "contains"]),
    ("order.out_of_stock", "tags", "<=", ["==", "!=", "in", "not_in", "contains"]),
    ("purchase_order.amount", "amount", "contains", [">", ">=", "<", "<=", "==", "!=", "in", "not_in"]),
    ("order.unshipped", "is_prime", "in", ["==", "!="]),
])
def test_operator_that_does_not_fit_the_field_type_is_refused(kind, field, op, allowed):
    err = invalid(conds, kind, (field, op, "A"))
    assert err.detail == {"index": 0, "field": field, "problem": err.detail["problem"], "allowed": allowed}
    assert op in err.detail["problem"]


def test_ordering_operator_on_a_string_says_so():
    err = invalid(conds, "inventory.low", ("warehouse", ">", "SZ"))
    assert err.detail["problem"] == "文本字段 warehouse 不能用运算符 >"


@pytest.mark.parametrize("kind, field, op, value, expected", [
    ("purchase_order.amount", "amount", ">", "五千", "number"),
    ("purchase_order.amount", "amount", ">", None, "number"),
    ("purchase_order.amount", "amount", "in", [5000, "很多"], "number"),
    ("purchase_order.amount", "supplier", "==", 3.5, "string"),
    ("purchase_order.amount", "expected_at", "<", "下周一", "date"),
    ("order.unshipped", "is_prime", "==", "yes", "bool"),
    ("order.unshipped", "tags", "contains", {"tag": "FBM"}, "string_list"),
    ("order.unshipped", "tags", "==", "FBM", "string_list"),
])
def test_wrong_value_type_is_named(kind, field, op, value, expected):
    err = invalid(conds, kind, (field, op, value))
    assert err.detail["index"] == 0 and err.detail["field"] == field and err.detail["expected"] == expected


@pytest.mark.parametrize("value", ["深圳甲", [], {"a": 1}])
def test_in_and_not_in_need_a_non_empty_list(value):
    for op in ("in", "not_in"):
        err = invalid(conds, "purchase_order.amount", ("supplier", op, value))
        assert "列表" in err.detail["problem"] and err.detail["expected"] == "string"


def test_malformed_condition_lists_are_refused():
    kind = "purchase_order.amount"
    assert invalid(parse_conditions, kind, {"field": "amount"}).detail["index"] is None
    assert invalid(parse_conditions, kind, ["amount > 5000"]).detail["index"] == 0
    err = invalid(parse_conditions, kind, [{"field": "amount", "op": ">", "value": 1, "code": "x"}])
    assert "code" in err.detail["problem"]
    assert "value" in invalid(parse_conditions, kind, [{"field": "amount", "op": ">"}]).detail["problem"]
    assert invalid(parse_conditions, kind, [{"field": "amount", "op": ">", "value": 1}] * 51).detail["index"] is None


def test_error_detail_names_the_section_when_asked():
    err = invalid(conds, "purchase_order.amount", ("amout", ">", 1), section="optional")
    assert err.detail["section"] == "optional"


def test_conditions_round_trip_through_json():
    raw = [{"field": "amount", "op": ">", "value": 5000},
           {"field": "supplier", "op": "in", "value": ["深圳甲", "义乌乙"]},
           {"field": "expected_at", "op": "<", "value": "2026-12-01"}]
    parsed = parse_conditions("purchase_order.amount", raw)
    stored = json.loads(json.dumps([c.to_dict() for c in parsed]))
    assert stored == raw and parse_conditions("purchase_order.amount", stored) == parsed
    assert parse_conditions("purchase_order.amount", None) == []


# --- title templates --------------------------------------------------------------------------

def test_title_is_rendered_from_the_event():
    template = "采购单{po_no}金额{amount}超标"
    assert validate_title_template("purchase_order.amount", template) == ("po_no", "amount")
    assert render_title(template, event("purchase_order.amount")) == "采购单PO123金额6000超标"


@pytest.mark.parametrize("kind, template, title", [
    ("order.out_of_stock", "{platform}订单{order_no}缺货{out_of_stock_days}天（{tags}）",
     "Amazon订单112-3456789-0123456缺货4天（FBM、加急）"),
    ("order.unshipped", "{order_no}付款{hours_since_paid}小时未发货，Prime：{is_prime}",
     "SO20261130001付款50.5小时未发货，Prime：否"),
    ("inventory.low", "{warehouse} {sku} 可用{available}/安全{safety_stock}",
     "FBA-US-West CASE-IP15-CLR 可用12/安全50"),
    ("return.requested", "退货{{{return_no}}} {reason} {amount}{currency}",
     "退货{RMA-0091} 尺码不合适 25.5USD"),
    ("purchase_order.overdue_arrival", "{po_no}逾期{days_overdue}天", "PO20261102-07逾期5天"),
])
def test_titles_render_numbers_lists_and_bools_naturally(kind, template, title):
    validate_title_template(kind, template)
    assert render_title(template, event(kind)) == title


def test_title_with_a_placeholder_the_event_lacks_is_refused_naming_it():
    err = invalid(render_title, "{po_no} {supplier} {buyer}", event("purchase_order.amount", supplier=None, buyer=""))
    assert err.detail["missing"] == ["supplier", "buyer"] and "supplier" in err.message


@pytest.mark.parametrize("template, placeholder", [
    ("{amount.__class__}", "amount.__class__"),
    ("{po_no.__class__.__mro__}", "po_no.__class__.__mro__"),
    ("{skus[0]}", "skus[0]"),
    ("{amount:>99999}", "amount:>99999"),
    ("{amount:{po_no}}", "amount:{po_no}"),
    ("{po_no!r}", "po_no!r"),
    ("{0}", "0"),
    ("采购单{}", ""),
])
def test_title_placeholders_other_than_plain_names_are_refused(template, placeholder):
    err = invalid(validate_title_template, "purchase_order.amount", template)
    assert err.detail["field"] == "title" and err.detail["placeholder"] == placeholder
    assert invalid(render_title, template, event("purchase_order.amount")).detail["placeholder"] == placeholder


def test_title_template_checks_fields_syntax_and_size():
    err = invalid(validate_title_template, "purchase_order.amount", "{order_no}超标")
    assert err.detail["placeholder"] == "order_no" and "order_no" in err.detail["problem"]
    assert invalid(validate_title_template, "purchase_order.amount", "采购单{po_no").detail["field"] == "title"
    assert invalid(validate_title_template, "purchase_order.amount", "}").detail["field"] == "title"
    assert invalid(validate_title_template, "purchase_order.amount", "  ").detail["field"] == "title"
    assert invalid(validate_title_template, "purchase_order.amount", "x" * 501).detail["field"] == "title"
    assert validate_title_template("purchase_order.amount", "固定标题") == ()


def test_title_is_one_line_and_cut_to_200_characters():
    data = event("return.requested", reason="第一行\n第二行\t" + "很" * 300)
    title = render_title("退货：{reason}", data)
    assert len(title) == 200 and title.endswith("…") and title.startswith("退货：第一行 第二行 很")


# --- robustness -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data(), actual=json_values)
def test_valid_conditions_on_arbitrary_event_values_return_a_bool(kind, data, actual):
    field = data.draw(st.sampled_from(sorted(KINDS[kind].fields)))
    samples = {FieldType.NUMBER: 5, FieldType.INTEGER: 5, FieldType.STRING: "A",
               FieldType.DATE: "2026-11-30", FieldType.DATETIME: "2026-11-30T10:00:00+08:00",
               FieldType.STRING_LIST: "A", FieldType.BOOL: True}
    sample = samples[KINDS[kind].fields[field].type]
    for op in OPS:
        many = op in ("in", "not_in") or (sample == "A" and op in ("==", "!="))
        value = [sample] if many else sample
        try:
            cond = parse_conditions(kind, [{"field": field, "op": op, "value": value}])[0]
        except Invalid:
            continue
        assert condition_holds(cond, {field: actual}) in (True, False)
