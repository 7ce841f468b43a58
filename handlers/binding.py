"""绑定 / 解绑: tie this WeChat user to an authorised Twork user by a one-time code, and
the daily-digest preference (订阅摘要 / 退订摘要)."""
from bot import throttle
from bot.router import Routes, fold
from handlers import texts
from store import users
from store.errors import Invalid

routes = Routes()

# A binding code is 8 characters from 31 symbols; 5 tries an hour per WeChat user keeps
# guessing hopeless while leaving room for typos (bot.throttle's "bind" rule).
MAX_WRONG_CODES = throttle.rule("bind").amount


@routes.command("绑定", "bind", bound=False)
def bind(ctx):
    """绑定 CODE bind — 用管理员给的绑定码绑定账号"""
    code = fold(ctx.args).replace(" ", "")
    if not code:
        return texts.BIND_USAGE
    redis = ctx.session.redis
    verdict = throttle.hit(redis, "bind", ctx.openid)  # counted before the code is checked
    if verdict.unavailable:
        return texts.SORRY
    if not verdict.allowed:
        return texts.BIND_LOCKED
    try:
        user = users.bind_wechat(ctx.openid, code, ctx.now)
    except Invalid:
        return texts.BIND_FAILED.format(left=verdict.remaining) if verdict.remaining else texts.BIND_LOCKED
    throttle.reset(redis, "bind", ctx.openid)
    return texts.BOUND.format(name=user.name, company=user.company.name)


@routes.command("解绑", "unbind", "logout", args=False, bound=False)
def unbind(ctx):
    """解绑 logout — 解除微信绑定"""
    if ctx.user is None or not users.unbind_wechat(ctx.openid):
        return texts.NOT_BOUND
    ctx.session.end()
    return texts.UNBOUND


@routes.command("订阅摘要", "digest", args=False)
def digest_on(ctx):
    """订阅摘要 digest — 每天一条摘要代替逐条提醒（退订摘要 nodigest 取消）"""
    users.update_user(ctx.user, ctx.user.id, digest_opt_in=True)
    return texts.DIGEST_ON


@routes.command("退订摘要", "nodigest", args=False)
def digest_off(ctx):
    """退订摘要 nodigest — 提醒逐条发送"""
    users.update_user(ctx.user, ctx.user.id, digest_opt_in=False)
    return texts.DIGEST_OFF
