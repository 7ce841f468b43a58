"""Messages (read / unread / pending), announcements and feedback (store.messages)."""
from datetime import datetime, timedelta, timezone

import pytest

from store import messages
from store.errors import Invalid, NotFound, Refused
from store.models import Company, Message, Notification, User

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def people(any_db):
    c1 = Company.create(code="c1", name="甲", webhook_secret="s")
    c2 = Company.create(code="c2", name="乙", webhook_secret="s")
    make = lambda company, account: User.create(  # noqa: E731
        company=company, account=account, name=account, password_hash="x")
    return {"c1": c1, "c2": c2, "zhang": make(c1, "zhang"), "li": make(c1, "li"),
            "wang": make(c2, "wang")}


def message(user, title, minutes, read=False):
    return Message.create(company=user.company_id, user=user, kind="task_received",
                          title=title, created_at=T0 + timedelta(minutes=minutes),
                          read_at=T0 + timedelta(hours=1) if read else None)


def titles(rows):
    return [m.title for m in rows]


def test_user_sees_unread_first_then_newest(people):
    zhang = people["zhang"]
    message(zhang, "old unread", 1)
    message(zhang, "newest read", 9, read=True)
    message(zhang, "new unread", 5)
    message(zhang, "old read", 2, read=True)
    message(people["li"], "li's", 7)
    assert titles(messages.list_messages(zhang)) == [
        "new unread", "old unread", "newest read", "old read"]
    assert titles(messages.list_messages(zhang, limit=2, offset=1)) == [
        "old unread", "newest read"]
    assert messages.count_unread(zhang) == 2


def test_user_marks_own_messages_read_and_others_stay_unread(people):
    zhang, li = people["zhang"], people["li"]
    a, b = message(zhang, "a", 1), message(zhang, "b", 2)
    theirs = message(li, "li's", 3)
    assert messages.mark_read(zhang, [a.id, theirs.id], now=T0) == 1
    assert messages.get_message(zhang, a.id).read_at == T0
    assert Message.get_by_id(theirs.id).read_at is None
    assert messages.mark_read(zhang, [a.id], now=T0 + timedelta(hours=5)) == 0  # first read kept
    assert messages.get_message(zhang, a.id).read_at == T0
    assert messages.mark_all_read(zhang, now=T0) == 1
    assert messages.count_unread(zhang) == 0 and messages.count_unread(li) == 1
    assert messages.get_message(zhang, b.id).read_at == T0


def test_user_marks_read_and_unread_messages_pending_and_unmarks(people):
    zhang = people["zhang"]
    read = message(zhang, "read", 1, read=True)
    unread = message(zhang, "unread", 2)
    assert messages.set_pending(zhang, read.id, True).pending is True
    assert messages.set_pending(zhang, unread.id, True).pending is True
    assert titles(messages.list_pending(zhang)) == ["unread", "read"]
    assert messages.get_message(zhang, unread.id).read_at is None  # pending does not read it
    messages.set_pending(zhang, read.id, False)
    assert titles(messages.list_pending(zhang)) == ["unread"]
    assert Message.get_by_id(read.id).pending is False


def test_user_cannot_touch_another_users_message(people):
    theirs = message(people["li"], "li's", 1)
    foreign = message(people["wang"], "wang's", 1)
    for other in (theirs, foreign):
        with pytest.raises(NotFound):
            messages.get_message(people["zhang"], other.id)
        with pytest.raises(NotFound):
            messages.set_pending(people["zhang"], other.id, True)
    assert Message.get_by_id(theirs.id).pending is False
    assert messages.list_pending(people["zhang"]) == []


def test_company_sees_its_and_platform_announcements_newest_first(people):
    c1, c2 = people["c1"], people["c2"]
    messages.create_announcement(None, "feature", "新功能", "统计导出", now=T0)
    messages.create_announcement(c1.id, "system", "维护通知", now=T0 + timedelta(days=1))
    messages.create_announcement(c2.id, "industry", "乙的资讯", now=T0 + timedelta(days=2))
    assert titles(messages.list_announcements(c1.id)) == ["维护通知", "新功能"]
    assert titles(messages.list_announcements(c2.id, limit=1)) == ["乙的资讯"]


def test_announcement_with_unknown_kind_or_no_title_is_invalid(people):
    with pytest.raises(Invalid):
        messages.create_announcement(None, "promo", "广告", "")
    with pytest.raises(Invalid):
        messages.create_announcement(None, "system", "  ", "")


def test_feedback_must_have_a_body_of_at_most_2000_chars(people):
    zhang = people["zhang"]
    for body in ("", "   ", "字" * 2001):
        with pytest.raises(Invalid):
            messages.create_feedback(zhang, body)
    assert messages.create_feedback(zhang, "字" * 2000).body == "字" * 2000


def test_admin_reply_reaches_the_author_once(people):
    zhang, c1 = people["zhang"], people["c1"]
    feedback = messages.create_feedback(zhang, " 能否支持导出Excel？ ", now=T0)
    assert feedback.body == "能否支持导出Excel？"
    assert [f.id for f in messages.list_feedback(c1.id, "open")] == [feedback.id]

    replied = messages.reply_feedback(c1.id, feedback.id, "下个版本支持", T0)
    assert (replied.status, replied.reply, replied.replied_at) == ("replied", "下个版本支持", T0)
    note = Notification.get(Notification.dedupe_key == f"feedback:{feedback.id}:reply")
    assert (note.user_id, note.kind, note.message.body) == (zhang.id, "feedback_reply",
                                                            "下个版本支持")
    assert [m.kind for m in messages.list_messages(zhang)] == ["feedback_reply"]

    with pytest.raises(Refused):
        messages.reply_feedback(c1.id, feedback.id, "再说一次", T0)
    assert Message.select().count() == 1
    assert messages.list_feedback(c1.id, "open") == []


def test_feedback_of_another_company_is_not_found(people):
    feedback = messages.create_feedback(people["wang"], "乙的反馈")
    with pytest.raises(NotFound):
        messages.reply_feedback(people["c1"].id, feedback.id, "回复", T0)
    with pytest.raises(NotFound):
        messages.close_feedback(people["c1"].id, feedback.id)
    assert messages.list_feedback(people["c1"].id) == []
    assert messages.close_feedback(people["c2"].id, feedback.id).status == "closed"
    with pytest.raises(Refused):
        messages.reply_feedback(people["c2"].id, feedback.id, "晚了", T0)
    with pytest.raises(Invalid):
        messages.list_feedback(people["c2"].id, "spam")
