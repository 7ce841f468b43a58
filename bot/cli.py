"""Command line: `python -m bot <command>`.

  demo              run the service with demo data and a local mock of the WeChat API
  chat              the local WeChat console: chat with a running service as a WeChat user
  migrate           create or upgrade the database schema (the Procfile's release step)
  menus publish     publish the official-account menu through the WeChat API
  authorize         issue a one-time binding code for a user (operators)
  api-key           issue an API key of a scope for a company (operators)
  audit             print a company's audit log, newest first (operators)
"""
import argparse
import json
import os
import sys


def _settings():
    from bot.settings import SettingsError, load_settings
    try:
        return load_settings()
    except SettingsError as error:
        sys.exit(str(error))


def cmd_migrate(args):
    from store.db import init_db
    from store.schema import migrate
    settings = _settings() if not args.database_url else None
    url = args.database_url or settings.DATABASE_URL
    applied = migrate(init_db(url))
    print("applied: " + (", ".join(applied) if applied else "nothing (schema is current)"))


def cmd_demo(args):
    from bot.demo import run_demo
    run_demo(host=args.host, port=args.port, database_url=args.database_url)


def _demo_state() -> dict:
    """What the running demo wrote for the console and the operator commands (or {})."""
    from bot.demo import DEMO_STATE
    return json.loads(DEMO_STATE.read_text()) if DEMO_STATE.exists() else {}


def cmd_chat(args):
    from bot.console import run_console
    state = _demo_state()
    run_console(base_url=state.get("base_url"), people=state.get("people"),
                url=args.url or state.get("webhook_url") or "http://127.0.0.1:8000/wechat",
                token=args.token or os.environ.get("WECHAT_TOKEN") or state.get("token"),
                appid=args.appid or os.environ.get("WECHAT_APPID") or state.get("appid"),
                aes_key=args.aes_key or os.environ.get("WECHAT_AES_KEY") or state.get("aes_key"),
                openid=args.openid or state.get("openid") or "oDemoUser0001",
                mock_url=args.mock_url or state.get("mock_url"))


def cmd_menus(args):
    from bot.wechat_api import get_client
    from menus.main import MENU, to_wechat
    menu = to_wechat(MENU, _settings())
    if args.action == "show":
        print(json.dumps(menu, ensure_ascii=False, indent=2))
        return
    get_client(_settings()).create_menu(menu)
    print("menu published")


def _operator_company(args):
    """The company named by --company, with the database opened (exits when unknown)."""
    from store.db import init_db
    from store.models import Company
    init_db(args.database_url or _settings().DATABASE_URL)
    company = Company.get_or_none(Company.code == args.company)
    if company is None:
        sys.exit(f"no company {args.company!r}")
    return company


def _operator_audit(company_id: int, action: str, target: str, summary: dict) -> None:
    """Operator commands change things too: one audit row each, by the shell's user."""
    import getpass
    import socket
    from store import audit
    from store.users import operator
    audit.record(company_id, channel="operator", action=action, actor=operator(company_id),
                 target=target, summary=summary,
                 client=f"{getpass.getuser()}@{socket.gethostname()}")


def cmd_authorize(args):
    """One user's code; in the demo (instance/demo.json, no settings in the environment)
    the company and the database default to the demo's, and without --account every
    active user of the company gets one."""
    from datetime import datetime, timezone
    from bot.settings import SettingsError, load_settings
    from store.db import db, init_db
    from store.models import Company, User
    from store.users import authorize_user, operator
    demo = {}
    if not args.database_url or not args.company:
        try:
            load_settings()
        except SettingsError:
            demo = _demo_state()  # not configured: the demo's, when one has run here
    company_code = args.company or demo.get("company")
    if not company_code or (not args.account and not demo):
        sys.exit("need --company CODE --account ACC (or run it next to a running demo)")
    init_db(args.database_url or demo.get("database_url") or _settings().DATABASE_URL)
    with db.connection_context():
        company = Company.get_or_none(Company.code == company_code)
        if company is None:
            sys.exit(f"no company {company_code!r}")
        people = User.scoped(company.id).where(User.active == True)  # noqa: E712
        if args.account:
            people = people.where(User.account == args.account)
        people = list(people.order_by(User.id))
        if not people:
            sys.exit(f"no user {args.account!r} in company {company_code!r}")
        now = datetime.now(timezone.utc)
        for user in people:
            with db.atomic():
                code, expires = authorize_user(operator(company.id), user.id, now)
                _operator_audit(company.id, "operator.authorize", f"user_id:{user.id}",
                                {"account": user.account})
            print(f"binding code for {user.name} ({user.account}): {code} "
                  f"(valid until {expires.isoformat()}); the user sends「绑定 {code}」")


def cmd_api_key(args):
    from store import apikeys
    from store.db import db
    company = _operator_company(args)
    with db.connection_context():
        with db.atomic():
            row, plain = apikeys.issue(company.id, args.name, args.scope)
            _operator_audit(company.id, "operator.api_key", f"key_id:{row.id}",
                            {"name": row.name, "scope": row.scope, "prefix": row.prefix})
    print(f"{row.scope} key {row.name!r} for {company.code} (shown once): {plain}")


def cmd_audit(args):
    from store import audit
    from store.db import db
    from store.users import operator
    company = _operator_company(args)
    with db.connection_context():
        reader = operator(company.id)
        rows = audit.list_entries(reader, limit=args.limit, action=args.action)
        zone = company.zone
        for row in rows:
            who = row.actor_name or (f"key {row.api_key_id}" if row.api_key_id else "-")
            print(f"{row.at.astimezone(zone):%Y-%m-%d %H:%M:%S}  {row.channel:8} {who:12} "
                  f"{row.action:32} {row.target:20} "
                  f"{json.dumps(row.summary, ensure_ascii=False)}  {row.client}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the demo service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    p.add_argument("--database-url", default=None)
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("chat", help="the local WeChat console")
    for name in ("url", "token", "appid", "aes-key", "openid", "mock-url"):
        p.add_argument(f"--{name}")
    p.set_defaults(fn=cmd_chat)

    p = sub.add_parser("migrate", help="create or upgrade the schema")
    p.add_argument("--database-url")
    p.set_defaults(fn=cmd_migrate)

    p = sub.add_parser("menus", help="publish or show the menu")
    p.add_argument("action", choices=["publish", "show"])
    p.set_defaults(fn=cmd_menus)

    p = sub.add_parser("authorize", help="issue a binding code")
    p.add_argument("--company", help="customer code (default: the demo's)")
    p.add_argument("--account", help="(default in the demo: every user)")
    p.add_argument("--database-url")
    p.set_defaults(fn=cmd_authorize)

    p = sub.add_parser("api-key", help="issue an API key")
    p.add_argument("--company", required=True, help="customer code")
    p.add_argument("--scope", choices=["admin", "erp", "read"], required=True)
    p.add_argument("--name", default="operator")
    p.add_argument("--database-url")
    p.set_defaults(fn=cmd_api_key)

    p = sub.add_parser("audit", help="print the audit log")
    p.add_argument("--company", required=True, help="customer code")
    p.add_argument("--action", help="only actions starting with this")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--database-url")
    p.set_defaults(fn=cmd_audit)

    args = parser.parse_args(argv)
    args.fn(args)
