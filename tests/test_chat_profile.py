"""我的ERP, 关注, 改名, 性别, 头像 (an image after 头像, fetched by a job from the WeChat
media API) and late work by reason in 统计."""
import io
import itertools
import os
from datetime import timedelta

import pytest
from PIL import Image

from handlers import texts
from store.models import Company, User
from tests.chat_fixtures import T0, chat, clock, jobs_use_mock, world  # noqa: F401
from tests.factories import make_task

_msg_ids = itertools.count(9_100_000_000)


def _image(fmt="PNG", size=(600, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def _send_image(person, media_id) -> str:
    return person.wx.push({"MsgType": "image", "PicUrl": "http://x/y.jpg", "MediaId": media_id,
                           "MsgId": next(_msg_ids)}, openid=person.openid)


def test_my_erp_shows_the_company_profile(chat, world):
    alice = chat(world.alice)
    assert "服务团队：" + texts.COMPANY_NO_CONTACT in alice.say("我的ERP")
    Company.update(service_contact="客服小王 138-0000-0000").where(
        Company.id == world.company.id).execute()
    reply = alice.say("我的erp")
    assert reply.startswith(f"我的ERP\n公司：{world.company.name}\n客户代码：{world.company.code}\n"
                            "服务团队：客服小王 138-0000-0000")


def test_watched_lists_the_tasks_i_watch(chat, world):
    task = make_task(world, assignee=world.h1, title="盯一下这单", watchers=[world.watcher])
    watcher = chat(world.watcher)
    reply = watcher.say("关注")
    assert reply.startswith(texts.WATCHED_HEADER.format(total=1))
    assert f"1. #{task.number} 盯一下这单" in reply
    assert watcher.say("详情 1").startswith(f"#{task.number} 盯一下这单")
    assert chat(world.h2).say("watched") == texts.WATCHED_EMPTY


def test_rename_and_gender(chat, world):
    h1 = chat(world.h1)
    assert h1.say("改名 张小一（采购）") == texts.RENAMED.format(name="张小一（采购）")
    assert h1.say("性别 男") == texts.GENDER_SET.format(gender="男")
    assert h1.say("我的").startswith("张小一（采购）（男）")
    assert h1.say("性别 未知") == texts.GENDER_USAGE
    assert h1.say("改名") == texts.RENAME_USAGE
    assert User.get_by_id(world.h1.id).gender == "male"


def test_an_image_after_avatar_becomes_the_avatar(chat, world, jobs_use_mock, wechat_mock,
                                                  worker):
    h1 = chat(world.h1)
    wechat_mock.media["media-ok"] = (_image(), "image/png")
    assert _send_image(h1, "media-ok") == texts.ONLY_TEXT  # no 头像 asked: just a hint
    assert h1.say("头像") == texts.AVATAR_ASK
    assert h1.say("好的") == texts.AVATAR_AGAIN
    assert _send_image(h1, "media-ok") == texts.AVATAR_RECEIVED
    assert User.get_by_id(world.h1.id).avatar is None  # nothing downloaded in the request
    worker()
    avatar = User.get_by_id(world.h1.id).avatar
    assert avatar.startswith(f"avatars/{world.company.id}/{world.h1.id}-")
    with Image.open(os.path.join(jobs_use_mock.MEDIA_DIR, avatar)) as kept:
        assert (kept.format, kept.size) == ("JPEG", (256, 256))
    assert wechat_mock.calls_to("/cgi-bin/media/get")[0]["query"]["media_id"] == "media-ok"
    assert [m["text"] for m in wechat_mock.sent_to(h1.openid)] == [texts.AVATAR_DONE]
    assert "头像：" + texts.ME_AVATAR_SET in h1.say("我的")


@pytest.mark.parametrize("body, reason", [(b"not an image at all", "not_image"),
                                          (_image("BMP", (10, 10)), "bad_format"),
                                          (None, "download")])
def test_a_bad_image_is_refused_and_changes_nothing(chat, world, jobs_use_mock, wechat_mock,
                                                    worker, body, reason):
    h1 = chat(world.h1)
    if body is not None:
        wechat_mock.media["media-bad"] = (body, "image/jpeg")
    h1.say("头像")
    assert _send_image(h1, "media-bad") == texts.AVATAR_RECEIVED
    worker()
    assert User.get_by_id(world.h1.id).avatar is None
    assert [m["text"] for m in wechat_mock.sent_to(h1.openid)] == [
        texts.AVATAR_BAD.format(reason=texts.AVATAR_REASON[reason])]


def test_statistics_break_late_work_down_by_reason(chat, world):
    late = [make_task(world, assignee=world.h1, now=T0 - timedelta(days=3),
                      due=T0 - timedelta(days=1)) for _ in range(3)]
    h1 = chat(world.h1)
    for task, answer in zip(late, ["1", "供应商", "缺货"]):
        h1.say(f"完成 #{task.number}")
        h1.say(answer)
    admin = chat(world.admin)
    assert "本月逾期完成 3 项，原因：供应商 2、缺货 1" in admin.say("统计")
