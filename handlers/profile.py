"""My profile in chat: 改名, 性别, 头像 (an image sent next becomes the avatar), and 我的ERP
(the company profile: name, customer code, the service team's contact).

```mermaid
stateDiagram-v2
    [*] --> image: 头像
    image --> image: text that is not a command
    image --> [*]: an image (downloaded and checked by a job) / 取消 / 10 minutes idle
```
"""
from datetime import timedelta

from bot.router import Flow, Routes, fold
from handlers import texts
from bot.queues import FETCH_AVATAR, get_queue
from store import me, users
from store.errors import Invalid

routes = Routes()


@routes.command("改名", "rename")
def rename(ctx):
    """改名 新名字 rename — 修改我的姓名"""
    name = " ".join(ctx.args.split())
    if not name:
        raise Invalid(texts.RENAME_USAGE)
    user = users.update_user(ctx.user, ctx.user.id, name=name)
    return texts.RENAMED.format(name=user.name)


@routes.command("性别", "gender")
def set_gender(ctx):
    """性别 男|女 gender — 设置性别"""
    gender = texts.GENDER_WORDS.get(fold(ctx.args))
    if gender is None:
        raise Invalid(texts.GENDER_USAGE)
    users.update_user(ctx.user, ctx.user.id, gender=gender)
    return texts.GENDER_SET.format(gender=texts.GENDER[gender])


def got_image(ctx):
    """The image message after 头像: a job downloads, checks and keeps it."""
    if ctx.kind != "image" or not ctx.media_id:
        return texts.AVATAR_AGAIN, "image"
    get_queue(ctx.redis).enqueue(
        FETCH_AVATAR, ctx.user.company_id, ctx.user.id, ctx.openid, ctx.media_id,
        texts.AVATAR_DONE, texts.AVATAR_BAD, texts.AVATAR_REASON)
    return texts.AVATAR_RECEIVED, None


AVATAR = routes.add_flow(Flow("avatar", {"image": got_image}, on_cancel=texts.CANCELLED,
                              timeout=timedelta(minutes=10), images=True))


@routes.command("头像", "avatar", args=False)
def ask_avatar(ctx):
    """头像 avatar — 换头像：发「头像」，再发一张图片"""
    AVATAR.begin(ctx, "image")
    return texts.AVATAR_ASK


@routes.command("我的ERP", "erp", "公司资料", args=False)
def show_company(ctx):
    """我的ERP erp — 公司资料：名称、客户代码、服务团队联系方式"""
    profile = me.company_profile(ctx.user)
    return "\n".join([texts.COMPANY_PROFILE.format(
        name=profile["name"], code=profile["code"],
        contact=profile["service_contact"] or texts.COMPANY_NO_CONTACT), texts.COMPANY_FOOTER])
