"""帮助: the command list, generated from the routes' docstrings (never kept by hand)."""
from bot.router import Routes
from handlers import texts
from handlers.replies import fit_list

routes = Routes()


@routes.command("帮助", "help", "?", "菜单", args=False, bound=False)
def show_help(ctx):
    """帮助 help — 查看全部命令"""
    lines = [f"{i}. {line}" for i, line in enumerate(ctx.router.help_lines, 1)]
    reply, _ = fit_list(texts.HELP_HEADER, lines, texts.HELP_FOOTER)
    return reply
