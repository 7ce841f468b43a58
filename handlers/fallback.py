"""Whatever no command matched: a short hint, never silence. (The route is bound: an
unbound user gets the binding instructions instead, see bot/router.py.)"""
from bot.router import Routes
from handlers import texts

routes = Routes()


@routes.otherwise
def hint(ctx):
    if not ctx.text:
        return texts.HINT_EMPTY
    shown = ctx.text if len(ctx.text) <= 20 else ctx.text[:20] + "…"
    return texts.HINT.format(text=shown)
