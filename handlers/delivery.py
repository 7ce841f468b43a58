"""WeChat's delivery reports of template messages (TEMPLATESENDJOBFINISH).

WeChat pushes one per template message we sent, in volume, and raises platform alarms on
slow or invalid answers, so the handler records the status by MsgID
and replies nothing ("success").
Doc: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
"""
from bot.router import Routes
from store import reminders

routes = Routes()


@routes.event("templatesendjobfinish")
def record_template_delivery(ctx):
    reminders.record_delivery(ctx.raw.get("MsgID"), ctx.raw.get("Status"), ctx.now)
    return None
