"""帮助: the command list, generated from the routes' docstrings (never kept by hand)."""
from bot.router import Routes
from handlers import texts

routes = Routes()


@routes.command("帮助", "help", "?", "菜单", args=False, bound=False)
def show_help(ctx):
    """帮助 help — 查看全部命令"""
    lines = [texts.HELP_HEADER]
    lines += [f"{i}. {line}" for i, line in enumerate(ctx.router.help_lines, 1)]
    lines.append(texts.HELP_FOOTER)
    return "\n".join(lines)
