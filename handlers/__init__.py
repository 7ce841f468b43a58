"""Chat handlers: one module per feature, mounted in this order (see bot/router.py).
The order is also the order of the 帮助 list."""
from bot.router import Routes
from handlers import (binding, delivery, events, extensions, fallback, help, late, leaves, me,
                      messages, new_task, news, profile, projects, tasks, todo, voice)
from menus.main import clicks


def _menu_labels() -> Routes:
    """Each menu button's label typed as text ("我的待办") does what the click does."""
    labels = Routes()
    for label, key in clicks().items():
        labels.label(label, key)
    return labels


ROUTES = [events.routes, delivery.routes, binding.routes, todo.routes, tasks.routes, new_task.routes,
          projects.routes, messages.routes, me.routes, profile.routes, news.routes,
          extensions.routes, late.routes, leaves.routes, help.routes, voice.routes,
          _menu_labels(), fallback.routes]
