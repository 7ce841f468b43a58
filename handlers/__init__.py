"""Chat handlers: one module per feature, mounted in this order (see bot/router.py).
The order is also the order of the 帮助 list."""
from handlers import (binding, delivery, events, extensions, fallback, help, late, leaves, me,
                      messages, new_task, news, projects, tasks, todo)

ROUTES = [events.routes, delivery.routes, binding.routes, todo.routes, tasks.routes, new_task.routes,
          projects.routes, messages.routes, me.routes, news.routes, extensions.routes, late.routes,
          leaves.routes, help.routes, fallback.routes]
