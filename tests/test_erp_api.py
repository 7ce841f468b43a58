"""The ERP API (SPEC §7): signed event pushes, batch jobs, scenarios, kinds, archiving."""
import json
import time

import pytest
import time_machine
from playhouse.test_utils import count_queries

from bot.api.erp import signature
from bot.queues import get_queue
from store import scenarios
from store.models import ErpEvent, Notification, Scenario, Task
from tests.erp_samples import MATCHING, NOT_MATCHING, SCENARIOS, event, scenario_body
from tests.factories import NOW, drive, make_world


@pytest.fixture
def world(app):
    w = make_world()
    for kind in SCENARIOS:
        scenarios.create_scenario(w.admin, scenario_body(w, kind), NOW)
    return w


@pytest.fixture
def client(app):
    return app.test_client()


def push(client, world, payload, *, stamp=None, secret=None, code=None, body=None, sign=True):
    body = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    headers = {"X-Twork-Company": code or world.company.code, "X-Twork-Timestamp": stamp,
               "Content-Type": "application/json"}
    if sign:
        headers["X-Twork-Signature"] = signature(secret or world.company.webhook_secret, stamp, body)
    return client.post("/api/v1/erp/events", data=body, headers=headers)


def api(client, world, method, path, user=None, **kw):
    """With the company's admin key, on behalf of `user` (default: the company admin)."""
    headers = {"Authorization": f"Bearer {world.api_key}",
               "X-Twork-User": str((user or world.admin).id)}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)


# --- signed pushes -----------------------------------------------------------------------

def test_signed_single_event_creates_the_task(client, world, redis_conn):
    response = push(client, world, event("purchase_order.amount", event_id="evt-0001"))
    assert response.status_code == 200, response.json
    [result] = response.json["results"]
    assert result["status"] == "created" and response.json["counts"]["created"] == 1
    assert Task.get_by_id(result["task_id"]).title == "采购单PO123金额6000超标"
    note = Notification.get(Notification.task == result["task_id"])
    assert note.user_id == world.h1.id and note.kind == "task_received"
    assert get_queue(redis_conn, "notifications").count == 1  # handed to the workers after commit


def test_wrapped_events_get_one_result_each(client, world):
    batch = [event(kind, matching=m) for kind in SCENARIOS for m in (True, False)]
    response = push(client, world, {"events": batch})
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["created", "no_match"] * len(SCENARIOS)


@pytest.mark.parametrize("tamper", ["secret", "body", "code", "missing"])
def test_bad_signature_is_refused_and_changes_nothing(client, world, tamper):
    payload = event("purchase_order.amount")
    if tamper == "secret":
        response = push(client, world, payload, secret="0" * 64)
    elif tamper == "code":
        response = push(client, world, payload, code="nope")
    elif tamper == "missing":
        response = push(client, world, payload, sign=False)
    else:
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()))
        headers = {"X-Twork-Company": world.company.code, "X-Twork-Timestamp": stamp,
                   "X-Twork-Signature": signature(world.company.webhook_secret, stamp, body)}
        response = client.post("/api/v1/erp/events", data=body.replace(b"6000", b"9000"),
                               headers=headers)
    assert response.status_code == 401 and response.json["error"] in ("bad_signature", "unsigned")
    assert ErpEvent.select().count() == 0 and Task.select().count() == 0


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_old_or_future_timestamps_are_refused(client, world, offset):
    response = push(client, world, event("purchase_order.amount"), stamp=int(time.time()) + offset)
    assert response.status_code == 401 and response.json["error"] == "stale_timestamp"
    assert Task.select().count() == 0


def test_replayed_request_inside_the_window_changes_nothing(client, world):
    body = json.dumps(event("inventory.low", event_id="evt-replay")).encode()
    stamp = int(time.time())
    first = push(client, world, None, body=body, stamp=stamp)
    again = push(client, world, None, body=body, stamp=stamp)
    assert first.json["results"][0]["status"] == "created"
    assert again.json["results"][0] == {**again.json["results"][0], "status": "duplicate",
                                        "task_id": first.json["results"][0]["task_id"]}
    assert Task.select().count() == 1


def test_a_push_that_matches_nothing_reads_once_and_writes_once(client, world):
    # The company's secrets, its ERP project and its scenarios' rules come in one read.
    with count_queries() as counter:
        first = push(client, world, event("inventory.low", event_id="evt-quiet", matching=False))
        again = push(client, world, event("inventory.low", event_id="evt-quiet", matching=False))
    assert counter.count == 5  # read + insert, then read + insert (skipped) + the original
    assert first.json["results"] == [{"id": "evt-quiet", "status": "no_match"}]
    assert again.json["results"][0]["status"] == "duplicate"
    assert ErpEvent.get(ErpEvent.event_id == "evt-quiet").outcome == "no_match"


def test_a_scenario_disabled_since_it_was_enabled_matches_nothing(client, world):
    purchase = Scenario.get(Scenario.kind == "purchase_order.amount")
    purchase.enabled = False
    purchase.save()
    response = push(client, world, event("purchase_order.amount", event_id="evt-off"))
    assert response.json["results"] == [{"id": "evt-off", "status": "no_match"}]
    assert Task.select().count() == 0


def test_non_numeric_timestamp_is_refused(client, world):
    assert push(client, world, event("inventory.low"), stamp="yesterday").status_code == 401


def test_malformed_json_is_a_400(client, world):
    response = push(client, world, None, body=b'{"id": "e1", "kind": ')
    assert response.status_code == 400 and response.json["error"] == "bad_json"


def test_bad_single_event_is_a_422_naming_the_field(client, world):
    data = {**MATCHING["purchase_order.amount"], "amount": "六千"}
    response = push(client, world, event("purchase_order.amount", data))
    assert response.status_code == 422
    assert "amount" in response.json["message"] and response.json["results"][0]["status"] == "error"
    assert ErpEvent.select().count() == 0


def test_missing_title_placeholder_is_a_422_and_no_task(client, world):
    data = {k: v for k, v in MATCHING["order.unshipped"].items() if k != "platform"}
    data["hours_since_paid"] = 60
    scenarios.update_scenario(world.admin, Scenario.get(Scenario.kind == "order.unshipped").id,
                              {"optional": []})
    response = push(client, world, event("order.unshipped", data))
    assert response.status_code == 422 and "platform" in response.json["message"]
    assert Task.select().count() == 0 and Notification.select().count() == 0


@pytest.mark.parametrize("payload,status", [
    ({"events": []}, 422), ({"events": "x"}, 422), ([1, 2], 422),
    ({"events": [event("inventory.low")], "extra": 1}, 422),
])
def test_malformed_envelopes(client, world, payload, status):
    assert push(client, world, payload).status_code == status


def test_501_events_are_refused(client, world):
    response = push(client, world, {"events": [event("inventory.low") for _ in range(501)]})
    assert response.status_code == 413 and response.json["error"] == "too_many_events"
    assert ErpEvent.select().count() == 0


def test_body_over_one_mebibyte_is_refused(client, world):
    big = event("inventory.low", {**MATCHING["inventory.low"], "note": "x" * 1000})
    response = push(client, world, {"events": [big] * 1100})
    assert response.status_code == 413


def _mixed_batch(n):
    kinds = list(SCENARIOS)
    batch = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        data = dict(MATCHING[kind] if i % 4 else NOT_MATCHING[kind])
        doc = "sku" if kind == "inventory.low" else ("po_no" if kind.startswith("purchase") else "order_no")
        data[doc] = f"{data[doc]}-{i % 40}"
        batch.append(event(kind, data, event_id=f"mix-{i}"))
    batch[6] = {**batch[6], "data": {**batch[6]["data"], "out_of_stock_days": "many"}}
    batch[8] = batch[3]  # the same event twice in one batch
    return batch


def test_batch_of_500_mixed_events_goes_through_the_queue(client, world, worker):
    batch = _mixed_batch(500)
    response = push(client, world, {"events": batch})
    assert response.status_code == 202, response.json
    job_id = response.json["job_id"]
    assert response.headers["Location"] == f"/api/v1/erp/jobs/{job_id}"
    pending = api(client, world, "GET", f"/erp/jobs/{job_id}")
    assert pending.json["status"] == "queued" and "results" not in pending.json
    worker("default")
    done = api(client, world, "GET", f"/erp/jobs/{job_id}")
    assert done.status_code == 200 and done.json["status"] == "finished"
    results = done.json["results"]
    assert [r["id"] for r in results] == [e["id"] for e in batch]
    assert results[6]["status"] == "error" and "out_of_stock_days" in results[6]["reason"]
    assert results[8]["status"] == "duplicate"
    counts = done.json["counts"]
    assert counts["error"] == 1 and counts["duplicate"] == 1 and counts["created"] == Task.select().count()
    assert counts["matched_open_task"] > 0 and counts["no_match"] > 0
    assert sum(counts.values()) == 500


def test_job_is_scoped_to_its_company_and_can_be_polled_signed(client, world, worker):
    job_id = push(client, world, {"events": _mixed_batch(60)}).json["job_id"]
    worker("default")
    other = make_world(code="other")
    assert api(client, other, "GET", f"/erp/jobs/{job_id}").status_code == 404
    assert api(client, world, "GET", "/erp/jobs/erp-0000").status_code == 404
    stamp = str(int(time.time()))
    signed = client.get(f"/api/v1/erp/jobs/{job_id}", headers={
        "X-Twork-Company": world.company.code, "X-Twork-Timestamp": stamp,
        "X-Twork-Signature": signature(world.company.webhook_secret, stamp, b"")})
    assert signed.status_code == 200 and len(signed.json["results"]) == 60
    assert client.get(f"/api/v1/erp/jobs/{job_id}").status_code == 401


def test_fifty_events_are_answered_at_once(client, world):
    response = push(client, world, {"events": _mixed_batch(50)})
    assert response.status_code == 200 and len(response.json["results"]) == 50


# --- scenarios, kinds, archiving ---------------------------------------------------------

def test_scenario_crud_through_the_api(client, world):
    body = scenario_body(world, "purchase_order.amount", name="采购单金额超标API")
    created = api(client, world, "POST", "/scenarios", json=body)
    assert created.status_code == 201, created.json
    sid = created.json["id"]
    got = api(client, world, "GET", f"/scenarios/{sid}").json
    assert got["kind"] == "purchase_order.amount" and got["task"]["days"] == 2
    listed = api(client, world, "GET", "/scenarios?q=API").json
    assert [s["id"] for s in listed["items"]] == [sid]
    patched = api(client, world, "PATCH", f"/scenarios/{sid}", json={"task": {"days": 5}})
    assert patched.status_code == 200 and patched.json["task"]["days"] == 5
    assert patched.json["task"]["title"] == body["task"]["title"]
    assert api(client, world, "POST", f"/scenarios/{sid}/disable").json["enabled"] is False
    assert api(client, world, "GET", "/scenarios?enabled=false").json["items"][0]["id"] == sid
    assert api(client, world, "POST", f"/scenarios/{sid}/enable").json["enabled"] is True


@pytest.mark.parametrize("changes,needle", [
    ({"kind": "order.lost"}, "order.lost"),
    ({"required": [{"field": "amout", "op": ">", "value": 1}]}, "amout"),
    ({"required": [{"field": "amount", "op": "~", "value": 1}]}, "~"),
    ({"required": [{"field": "amount", "op": ">", "value": "lots"}]}, "amount"),
    ({"task": {**SCENARIOS["purchase_order.amount"]["task"], "title": "{nope}"}}, "nope"),
    ({"nodes": [{"handler_id": 99999, "items": "x"}]}, "99999"),
    ({"colour": "red"}, "colour"),
])
def test_scenario_problems_are_422s_naming_them(client, world, changes, needle):
    response = api(client, world, "POST", "/scenarios",
                   json=scenario_body(world, "purchase_order.amount", **changes))
    assert response.status_code == 422
    assert needle in json.dumps(response.json, ensure_ascii=False)


def test_members_may_not_manage_scenarios_and_other_companies_see_none(client, world):
    body = scenario_body(world, "inventory.low")
    assert api(client, world, "POST", "/scenarios", user=world.alice, json=body).status_code == 403
    sid = Scenario.select().first().id
    other = make_world(code="other")
    assert api(client, other, "GET", f"/scenarios/{sid}").status_code == 404
    assert api(client, other, "PATCH", f"/scenarios/{sid}", json={"name": "x"}).status_code == 404


def test_kinds_are_listed_with_fields_and_operators(client, world):
    answer = api(client, world, "GET", "/erp/kinds").json
    kinds = {k["name"]: k for k in answer["kinds"]}
    assert set(SCENARIOS) <= set(kinds)
    assert kinds["inventory.low"]["document_fields"] == ["sku", "warehouse"]
    assert "contains" in answer["operators"]["string"] and ">" not in answer["operators"]["bool"]


def test_admin_archives_finished_erp_tasks(client, world):
    results = push(client, world, {"events": [event("inventory.low"), event("return.requested")]}).json["results"]
    drive(Task.get_by_id(results[0]["task_id"]), ["complete", "complete"])
    assert api(client, world, "POST", "/erp/archive_finished", user=world.alice, json={}).status_code == 403
    answer = api(client, world, "POST", "/erp/archive_finished", json={}).json
    assert answer == {"archived": [results[0]["task_id"]], "count": 1}


def test_openapi_lists_the_erp_and_scenario_routes(client, world):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/scenarios", "/api/v1/scenarios/{scenario_id}", "/api/v1/erp/events",
                 "/api/v1/erp/jobs/{job_id}", "/api/v1/erp/kinds"):
        assert path in paths, path


# --- webhook secret rotation ---------------------------------------------------------------

def test_rotated_secret_overlaps_then_only_the_new_one_signs(client, world):
    old = world.company.webhook_secret
    rotated = api(client, world, "POST", "/company/webhook-secret/rotate",
                  json={"overlap_hours": 2})
    assert rotated.status_code == 200, rotated.json
    new = rotated.json["webhook_secret"]
    assert new != old and rotated.json["previous_secret_valid_until"]
    by_old = push(client, world, event("inventory.low", event_id="by-old"), secret=old)
    by_new = push(client, world, event("inventory.low", event_id="by-new"), secret=new)
    assert (by_old.status_code, by_new.status_code) == (200, 200)
    assert by_old.json["results"][0]["status"] == "created"
    with time_machine.travel(time.time() + 2 * 3600 + 60, tick=False):
        late_old = push(client, world, event("inventory.low", event_id="late-old"), secret=old)
        late_new = push(client, world, event("inventory.low", event_id="late-new"), secret=new)
        assert late_old.status_code == 401 and late_old.json["error"] == "bad_signature"
        assert late_new.status_code == 200
        profile = api(client, world, "GET", "/company").json
        assert profile["previous_secret_valid_until"] is None


def test_rotation_without_overlap_and_its_limits(client, world):
    old = world.company.webhook_secret
    assert api(client, world, "POST", "/company/webhook-secret/rotate",
               json={"overlap_hours": 721}).status_code == 422
    assert api(client, world, "POST", "/company/webhook-secret/rotate",
               user=world.alice, json={}).status_code == 403
    assert api(client, world, "POST", "/company/webhook-secret/rotate",
               json={"overlap_hours": 0}).status_code == 200
    assert push(client, world, event("inventory.low"), secret=old).status_code == 401


def test_console_sign_on_links_signed_by_the_previous_secret_work_during_the_overlap(client, world):
    import hashlib
    import hmac as hmac_lib
    from datetime import timedelta

    from store import accounts, apikeys
    from store.errors import Invalid
    old = world.company.webhook_secret
    apikeys.rotate_webhook_secret(world.admin, NOW, timedelta(hours=1))

    def link(at):
        query = f"company=acme&account=alice&ts={int(at.timestamp())}"
        return f"{query}&sig=" + hmac_lib.new(old.encode(), query.encode(),
                                               hashlib.sha256).hexdigest()
    assert accounts.sso_user(link(NOW), NOW)[0].id == world.alice.id
    later = NOW + timedelta(hours=2)
    with pytest.raises(Invalid) as refused:
        accounts.sso_user(link(later), later)
    assert refused.value.code == "sso_bad_signature"
