"""TEMPLATESENDJOBFINISH pushes record the delivery outcome on the sent notification."""
from store.models import Notification
from store.outbox import notify
from tests.factories import make_world


def _sent_notification(world, msgid):
    note = notify(world.company.id, world.h1.id, "task_received", title="t",
                  dedupe_key=f"delivery-test:{msgid}")
    Notification.update(status="sent", msgid=str(msgid)).where(Notification.id == note.id).execute()
    return note.id


def _report(wx, msgid, status, create_time):
    return wx.push({"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": msgid,
                    "Status": status}, create_time=create_time)


def test_delivery_reports_are_recorded_by_msgid(app, wx):
    world = make_world()
    blocked, fine = _sent_notification(world, 5001), _sent_notification(world, 5002)
    # Two reports in the same second from the same account must both be acted on.
    assert _report(wx, 5001, "failed:user block", 1796000000) == ""
    assert _report(wx, 5002, "success", 1796000000) == ""
    assert wx.last_body == "success"
    assert Notification.get_by_id(blocked).last_error == "delivery failed:user block"
    assert Notification.get_by_id(fine).last_error is None
