"""公告 and 反馈: announcements and industry news, and feedback to the service team."""
from datetime import timedelta

from bot.router import Flow, Routes
from handlers import texts
from handlers.replies import fit_list, local, short
from menus.keys import MenuKey
from store import messages

routes = Routes()


@routes.command("公告", "news", args=False)
@routes.click(MenuKey.NEWS)
def show_news(ctx):
    """公告 news — 系统公告、行业资讯、新功能"""
    items = messages.list_announcements(ctx.user.company_id, limit=10)
    if not items:
        return texts.NEWS_EMPTY
    lines = [texts.NEWS_LINE.format(n=n, kind=texts.ANNOUNCEMENT_KIND.get(a.kind, a.kind),
                                    title=short(a.title, 40), at=local(a.published_at, ctx.tz),
                                    body="\n   " + short(a.body, 60) if a.body else "")
             for n, a in enumerate(items, 1)]
    reply, _ = fit_list(texts.NEWS_HEADER, lines)
    return reply


def got_feedback(ctx):
    """The one step of the feedback dialog: the text is the feedback (kept as typed)."""
    messages.create_feedback(ctx.user, ctx.text, now=ctx.now)
    return texts.FEEDBACK_THANKS, None


FEEDBACK = routes.add_flow(Flow("feedback", {"body": got_feedback}, on_cancel=texts.CANCELLED,
                                timeout=timedelta(minutes=10)))


@routes.command("反馈", "feedback")
@routes.click(MenuKey.FEEDBACK)
def send_feedback(ctx):
    """反馈 内容 feedback — 向服务团队咨询或提需求"""
    if not ctx.args:
        FEEDBACK.begin(ctx, "body")
        return texts.FEEDBACK_ASK
    messages.create_feedback(ctx.user, ctx.args, now=ctx.now)
    return texts.FEEDBACK_THANKS
