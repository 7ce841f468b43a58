"""Chat handlers: one module per feature, mounted in this order (see bot/router.py)."""
from handlers import events, help, fallback

ROUTES = [events.routes, help.routes, fallback.routes]
