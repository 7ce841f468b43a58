"""Routing of WeChat messages to handlers, the handler context, and dialog flows.

Precedence (tested in tests/test_router.py):
1. Events go by event name; a menu CLICK goes by its EventKey (unknown key: a polite
   "menu unknown" reply and a logged warning).
2. Text (and the recognised text of a voice message) goes first to the user's active
   dialog, then to the command table (the first word, Chinese or English, case- and
   width-insensitive; "完成2" works like "完成 2"), then to the fallback.
3. A route marked bound=True answers an unbound user with the binding instructions.
Exactly one handler answers each message. Registering the same command word, menu key
or event twice raises when the Router is built.
"""
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

log = logging.getLogger(__name__)

Handler = Callable[["Ctx"], "str | None"]


def normalize(text: str) -> str:
    """Full-width to half-width, all whitespace runs to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass
class Ctx:
    openid: str
    kind: str  # text | click | event | other
    now: datetime
    session: object
    settings: object
    user: object = None  # store.models.User when bound
    text: str = ""
    event: str = ""
    event_key: str = ""
    scene: str | None = None
    args: str = ""  # the text after the command word
    router: object = None  # the Router, for the help list
    raw: dict = field(default_factory=dict)  # the push's fields, for events with extra data
    dialog_data: dict = field(default_factory=dict)

    @property
    def tz(self) -> str:
        return self.user.company.timezone if self.user else "Asia/Shanghai"


@dataclass
class Route:
    handler: Handler
    bound: bool


class Routes:
    """A feature module's collector: decorators that register handlers in one line."""

    def __init__(self):
        self.commands: list[tuple[tuple[str, ...], bool, Route]] = []
        self.clicks: list[tuple[str, Route]] = []
        self.events: list[tuple[str, Route]] = []
        self.flows: list["Flow"] = []
        self.fallback: Route | None = None

    def command(self, *words: str, args: bool = True, bound: bool = True):
        """Text whose first word is one of `words`; `args=False` wants nothing after it."""
        def register(fn):
            self.commands.append((tuple(w.lower() for w in words), args, Route(fn, bound)))
            return fn
        return register

    def click(self, key: str, bound: bool = True):
        def register(fn):
            self.clicks.append((str(key), Route(fn, bound)))
            return fn
        return register

    def event(self, name: str, bound: bool = False):
        def register(fn):
            self.events.append((name.lower(), Route(fn, bound)))
            return fn
        return register

    def add_flow(self, flow: "Flow"):
        self.flows.append(flow)
        return flow

    def otherwise(self, fn):
        self.fallback = Route(fn, False)
        return fn


class Flow:
    """A guided conversation: named states, each a handler returning (reply, next_state);
    next_state None ends the dialog. Data lives in ctx.dialog_data and is persisted in the
    user's session by the engine, never by the handlers."""

    def __init__(self, name: str, states: dict[str, Handler], *, cancel_words=("取消", "cancel"),
                 on_cancel: str = "已取消。", timeout: timedelta = timedelta(minutes=10)):
        self.name = name
        self.states = states
        self.cancel_words = {w.lower() for w in cancel_words}
        self.on_cancel = on_cancel
        self.timeout = timeout

    def begin(self, ctx: Ctx, state: str, data: dict | None = None) -> None:
        ctx.dialog_data = dict(data or {})
        ctx.session.begin(self.name, state, ctx.now, self.timeout, ctx.dialog_data)

    def handle(self, ctx: Ctx, state: str) -> str | None:
        if ctx.text.lower() in self.cancel_words:
            ctx.session.end()
            return self.on_cancel
        reply, next_state = self.states[state](ctx)
        if next_state is None:
            ctx.session.end()
        else:
            ctx.session.advance(next_state, ctx.dialog_data, ctx.now, self.timeout)
        return reply


class Router:
    def __init__(self, modules: list[Routes], texts):
        self.texts = texts
        self.commands: dict[str, tuple[bool, Route]] = {}
        self.clicks: dict[str, Route] = {}
        self.events: dict[str, Route] = {}
        self.flows: dict[str, Flow] = {}
        self.fallback: Route | None = None
        self.help_lines: list[str] = []  # first docstring line of each command handler
        self.help_entries: list[tuple[str, str]] = []  # (handler module, that line)
        for module in modules:
            self._mount(module)

    def _add(self, table: dict, key, value, what: str):
        if key in table:
            raise ValueError(f"{what} {key!r} is registered twice")
        table[key] = value

    def _mount(self, module: Routes):
        for words, args, route in module.commands:
            for word in words:
                self._add(self.commands, word, (args, route), "command")
            doc = (route.handler.__doc__ or "").strip().splitlines()
            if doc and doc[0] not in self.help_lines:
                self.help_lines.append(doc[0])
                self.help_entries.append((route.handler.__module__, doc[0]))
        for key, route in module.clicks:
            self._add(self.clicks, key, route, "menu key")
        for name, route in module.events:
            self._add(self.events, name, route, "event")
        for flow in module.flows:
            self._add(self.flows, flow.name, flow, "flow")
        if module.fallback:
            if self.fallback:
                raise ValueError("two fallbacks registered")
            self.fallback = module.fallback

    # ---------------------------------------------------------------------------------
    def dispatch(self, ctx: Ctx) -> str | None:
        if ctx.kind == "click":
            route = self.clicks.get(ctx.event_key)
            if route is None:
                log.warning("unknown menu key %r from %s", ctx.event_key, ctx.openid)
                return self.texts.UNKNOWN_MENU
            return self._run(route, ctx)
        if ctx.kind == "event":
            route = self.events.get(ctx.event.lower())
            return self._run(route, ctx) if route else None
        if ctx.kind != "text":
            return self.texts.ONLY_TEXT
        prefix = ""
        dialog = ctx.session.dialog
        if dialog is not None:
            flow = self.flows.get(dialog.flow)
            if flow is None or dialog.expired(ctx.now):
                ctx.session.end()
                prefix = self.texts.DIALOG_EXPIRED + "\n\n" if flow else ""
            elif ctx.user is not None:
                ctx.dialog_data = dict(dialog.data)
                return flow.handle(ctx, dialog.state)
        reply = self._run_text(ctx)
        return prefix + reply if prefix and reply else reply

    def _run_text(self, ctx: Ctx) -> str | None:
        found = self.match_command(ctx.text)
        if found:
            route, ctx.args = found
            return self._run(route, ctx)
        if self.fallback:
            return self._run(self.fallback, ctx)
        return None

    def match_command(self, text: str):
        """(route, args) for `text`, or None."""
        first, _, rest = text.partition(" ")
        entry = self.commands.get(first.lower())
        if entry is not None:
            takes_args, route = entry
            if takes_args or not rest:
                return route, rest.strip()
            return None
        # "完成2", "详情#12", "转办3@李四": a command glued to its reference.
        lowered = text.lower()
        for word in sorted(self.commands, key=len, reverse=True):
            if lowered.startswith(word) and len(text) > len(word) and text[len(word)] in "#@0123456789":
                takes_args, route = self.commands[word]
                if takes_args:
                    return route, text[len(word):].strip()
        return None

    def _run(self, route: Route, ctx: Ctx) -> str | None:
        if route.bound and ctx.user is None:
            return self.texts.NEED_BIND
        return route.handler(ctx)
