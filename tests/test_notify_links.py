"""Every template message's link opens a page: walk the notice kinds (workflow, comments,
extensions, leaves, ERP, reminders, the morning digest), deliver them through a real RQ
worker to the WeChat mock, and open each link in the in-app browser as its recipient
(OAuth through the mock): 200, or the login page for someone not signed in."""
from datetime import date, timedelta
from urllib.parse import urlsplit

import time_machine

from jobs import scans
from store import erp, extensions, leaves, scenarios, tasks, workflow
from store.models import User
from tests.erp_samples import event, scenario_body
from tests.factories import make_task
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import deliver, local
from tests.page_support import oauth


def _walk_every_kind(w, redis_conn, worker):
    """Cause one notice of each kind, delivering as the days go by."""
    def at(moment, *actions):
        with time_machine.travel(moment, tick=True):
            for action in actions:
                action(moment)
            deliver(redis_conn, worker)

    start = local(12, 1, 10, 0)
    task = make_task(w, nodes=[w.h1, w.h2], watchers=[w.watcher], now=start,
                     due=start + timedelta(days=2))
    make_task(w, assignee=w.h1, title="请假期间的任务", now=start, due=local(12, 10, 18, 0))
    scenarios.create_scenario(w.admin, scenario_body(w, "purchase_order.amount"), start)
    made = {}
    cleared = event("purchase_order.amount", {"po_no": "PO123", "cleared": True})
    at(start,
       lambda now: workflow.transfer(w.h1, task.id, w.h3.id, now),
       lambda now: workflow.complete(w.h3, task.id, now),
       lambda now: workflow.urge(w.h3, task.id, now),
       lambda now: workflow.withdraw(w.h3, task.id, now),
       lambda now: workflow.complete(w.h3, task.id, now),
       lambda now: workflow.rollback(w.h2, task.id, "资料不全", now),
       lambda now: tasks.add_comment(w.h3, task.id, "已补资料", now),
       lambda now: extensions.request_extension(w.h3, task.id, now + timedelta(days=4), "等货", now),
       lambda now: extensions.refuse_extension(w.alice, task.id, now, "客户等不了"),
       lambda now: workflow.complete(w.h3, task.id, now),
       lambda now: workflow.complete(w.h2, task.id, now),
       lambda now: leaves.create_leave(w.h1, date(2026, 12, 6), date(2026, 12, 7), w.h3.id, now),
       lambda now: made.update(erp.ingest_events(w.company.id, [event("purchase_order.amount")], now)[0]),
       lambda now: erp.ingest_events(w.company.id, [cleared], now))
    erp_task = made["task_id"]
    User.update(digest_opt_in=False).where(User.id != w.h2.id).execute()
    at(local(12, 3, 9, 30), scans.scan_all)  # due soon (the ERP task is due at 10:00)
    at(local(12, 3, 10, 1), scans.scan_all,  # overdue, escalation; then on to h2
       lambda now: workflow.complete(w.h1, erp_task, now))
    at(local(12, 4, 9, 0), scans.scan_all)  # h2's digest
    at(local(12, 6, 10, 0), scans.scan_all)  # the leave starts
    at(local(12, 8, 10, 0), scans.scan_all,  # and ends; the ERP flow ends
       lambda now: workflow.complete(w.h2, erp_task, now))


def test_every_template_link_opens_for_its_recipient(world, app, wechat_mock, redis_conn, worker):
    w = world
    _walk_every_kind(w, redis_conn, worker)
    kinds = {row.kind for row in rows(status="sent")}
    assert kinds >= {"task_received", "task_transferred", "task_urged", "task_withdrawn",
                     "task_rolled_back", "comment", "extension_requested", "extension_refused",
                     "task_completed", "flow_finished", "erp_cleared", "due_soon", "overdue",
                     "escalation", "leave_requested", "leave_started", "leave_returned", "digest"}
    links = {(m["openid"], m["url"]) for m in wechat_mock.sent if m["kind"] == "template"}
    assert [m["data"] for m in wechat_mock.sent if not m["url"]] == []  # every one has a link
    for openid, url in sorted(links):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == "http://twork.test", url
        page = oauth(app.test_client(), wechat_mock, openid, parts.path)
        assert page.status_code == 200, (openid, url, page.status_code)
        anonymous = app.test_client().get(parts.path)
        assert anonymous.status_code == 302  # to WeChat's OAuth, then the login page


def test_the_todo_page_lists_overdue_then_new(world, app, wechat_mock):
    w = world
    now = local(12, 2, 10, 0)
    make_task(w, assignee=w.h1, title="逾期的任务", now=now - timedelta(days=3),
              due=now - timedelta(days=1))
    make_task(w, assignee=w.h1, title="新的任务", now=now, due=now + timedelta(days=1))
    make_task(w, assignee=w.h2, title="别人的任务", now=now, due=now + timedelta(days=1))
    page = oauth(app.test_client(), wechat_mock, openid(w.h1), "/m/todo").get_data(as_text=True)
    assert page.index("已过期（1）") < page.index("逾期的任务") < page.index("新建任务（1）") \
        < page.index("新的任务")
    assert "别人的任务" not in page
    assert "/m/tasks/" in page
    unbound = app.test_client()
    assert oauth(unbound, wechat_mock, "o_nobody", "/m/todo").status_code == 302  # to login
