"""Follow / unfollow, scans of parametric QR codes, and other pushes that are not chat text.

A scan of the console's scan-to-bind QR code (scene "bind:CODE", see bot.wechat_api) binds
the scanner exactly as `绑定 CODE` would: by a follower it arrives as SCAN, by someone who
follows through it as subscribe with the same scene."""
from bot.router import Routes
from bot.wechat_api import code_from_scene
from handlers import texts
from store import users
from store.errors import Invalid

routes = Routes()


def _bind_by_scene(ctx, code: str) -> str:
    try:
        user = users.bind_wechat(ctx.openid, code, ctx.now)
    except Invalid:
        return texts.SCAN_BIND_FAILED
    return texts.BOUND.format(name=user.name, company=user.company.name)


@routes.event("subscribe")
@routes.event("subscribe_scan")  # wechatpy's name for a follow through a QR code
def welcome(ctx):
    code = code_from_scene(ctx.scene)
    if code:
        return _bind_by_scene(ctx, code)
    if ctx.user is not None:
        users.set_followed(ctx.openid, True)
        return texts.WELCOME_BACK.format(name=ctx.user.name)
    return texts.WELCOME


@routes.event("scan")
def scanned(ctx):
    code = code_from_scene(ctx.scene)
    return _bind_by_scene(ctx, code) if code else None


@routes.event("unsubscribe")
def farewell(ctx):
    """The binding is kept; pushes pause until the user follows again."""
    users.set_followed(ctx.openid, False)
    return None
