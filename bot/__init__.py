"""The Flask application factory of Twork (webhook, admin API, pages).

Outside the demo (`DEMO` in the config, set by bot/demo.py) the app refuses to start without
REDIS_URL and a database it can reach (bot/startup.py)."""
import logging
import os

from bot.errors import DATABASE_ERRORS, App


def create_app(test_config: dict | None = None) -> App:
    from bot.settings import SETTING_NAMES as _SETTING_NAMES, load_settings
    from bot.redis_conn import connect_redis, in_process_redis
    from bot.startup import require_services
    from bot.router import Router
    from store.db import db, init_db
    from store.schema import ensure_schema

    test_config = dict(test_config or {})
    settings_overrides = {k: v for k, v in test_config.items() if k.isupper() and k in _SETTING_NAMES}
    settings = load_settings(**settings_overrides)

    from bot.api import OPENAPI_OPTIONS
    app = App(__name__, instance_path=os.path.abspath("instance"), **OPENAPI_OPTIONS)
    app.config.update(TESTING=settings.TESTING, JSON_AS_ASCII=False, TWORK=settings,
                      MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    app.config.update({k: v for k, v in test_config.items() if k not in _SETTING_NAMES})
    app.json.ensure_ascii = False
    from bot import hardening
    hardening.register(app)  # cookie flags, headers on every response, 400/500 without traces
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("peewee_migrate").setLevel(logging.WARNING)

    if settings.DATABASE_URL.startswith("sqlite:///") and ":memory:" not in settings.DATABASE_URL:
        os.makedirs(os.path.dirname(os.path.abspath(settings.DATABASE_URL[len("sqlite:///"):])),
                    exist_ok=True)
    database = init_db(settings.DATABASE_URL)
    demo = bool(test_config.get("DEMO"))
    if not demo:
        require_services(settings, database)
    ensure_schema(database)

    import handlers
    from handlers import texts
    from wechatpy.crypto import WeChatCrypto

    # Short timeouts: a push must be answered within WeChat's 5 s even when Redis is down.
    app.extensions["twork.redis"] = (in_process_redis() if demo
                                     else connect_redis(settings.REDIS_URL, fail_fast=True))
    app.extensions["twork.router"] = Router(handlers.ROUTES, texts)
    app.extensions["twork.crypto"] = (WeChatCrypto(settings.WECHAT_TOKEN, settings.WECHAT_AES_KEY,
                                                   settings.WECHAT_APPID)
                                      if settings.safe_mode else None)

    @app.before_request
    def _connect():
        try:
            db.connect(reuse_if_open=True)
        except DATABASE_ERRORS:
            pass  # the view's first query raises again, where its answer is decided

    @app.teardown_request
    def _close(_exc):
        from bot.queues import enqueue_created_notifications
        enqueue_created_notifications(app.extensions["twork.redis"])
        if not db.is_closed():
            db.close()

    from bot.webhook import bp as webhook_bp
    app.register_blueprint(webhook_bp)
    for extra in ("bot.api", "bot.pages", "bot.web"):
        try:
            module = __import__(extra, fromlist=["register"])
        except ModuleNotFoundError as missing:
            if missing.name != extra:
                raise
            continue
        module.register(app)

    @app.route("/healthz", methods=["GET"])
    def healthz():
        return {"ok": True}

    return app
