"""Follow / unfollow and other pushes that are not chat text."""
from bot.router import Routes
from handlers import texts
from store import users

routes = Routes()


@routes.event("subscribe")
@routes.event("subscribe_scan")  # wechatpy's name for a follow through a QR code
def welcome(ctx):
    if ctx.user is not None:
        users.set_followed(ctx.openid, True)
        return texts.WELCOME_BACK.format(name=ctx.user.name)
    return texts.WELCOME


@routes.event("unsubscribe")
def farewell(ctx):
    """The binding is kept; pushes pause until the user follows again."""
    users.set_followed(ctx.openid, False)
    return None
