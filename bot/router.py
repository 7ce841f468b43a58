"""Routing of WeChat messages to handlers, the handler context, and dialog flows.

Precedence (tested in tests/test_router.py):
1. Events go by event name; a menu CLICK goes by its EventKey (unknown key: a polite
   "menu unknown" reply and a logged warning).
2. Voice goes through the voice reader (handlers/voice.py) and then on as text; a voice
   message without recognition text is told that recognition was empty.
3. Text goes first to the user's active dialog, unless it is a known command (or a menu
   label): then the dialog is left, the user is told so, and the command runs. Then the
   command table (the first word, Chinese or English, case- and width-insensitive; "完成2"
   works like "完成 2"; a menu label typed as text works like the click), then the fallback.
4. A route marked bound=True (the fallback too) answers an unbound user with the binding
   instructions.
Exactly one handler answers each message. Registering the same command word, menu key
or event twice raises when the Router is built.

The text reaches handlers as typed (only trimmed): titles, comments and reasons keep
their full-width punctuation. What a parser compares (command words, menu labels,
confirmation words) goes through `fold`; references and deadlines are read width-blind
by their own parsers.

A refused store call (`DomainError`) is answered here, once for every handler, with its
plain-Chinese message; inside a dialog the step is asked again.
"""
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from store import users
from store.errors import DomainError

log = logging.getLogger(__name__)

Handler = Callable[["Ctx"], "str | None"]


def fold(text: str) -> str:
    """The form words are compared in: full-width to half-width, lower case, one space."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


@dataclass
class Ctx:
    openid: str
    kind: str  # text | voice | image | click | event | other
    now: datetime
    session: object
    settings: object
    user: object = None  # store.models.User when bound
    text: str = ""  # as typed (trimmed); for voice the recognition text
    event: str = ""
    event_key: str = ""
    scene: str | None = None
    args: str = ""  # the text after the command word, as typed
    router: object = None  # the Router, for the help list
    raw: dict = field(default_factory=dict)  # the push's fields, for events with extra data
    dialog_data: dict = field(default_factory=dict)
    media_id: str = ""  # of an image message
    redis: object = None  # for handlers that enqueue a job

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
        self.labels: list[tuple[str, str]] = []
        self.fallback: Route | None = None
        self.voice: Callable | None = None

    def command(self, *words: str, args: bool = True, bound: bool = True):
        """Text whose first word is one of `words`; `args=False` wants nothing after it."""
        def register(fn):
            self.commands.append((tuple(fold(w) for w in words), args, Route(fn, bound)))
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

    def label(self, text: str, key: str):
        """A menu button's label typed as text does what clicking it does."""
        self.labels.append((fold(text), str(key)))

    def add_flow(self, flow: "Flow"):
        self.flows.append(flow)
        return flow

    def otherwise(self, fn):
        self.fallback = Route(fn, True)
        return fn

    def voice_reader(self, fn):
        """`fn(ctx, router) -> text`: recognition text rewritten into command text."""
        self.voice = fn
        return fn


class Flow:
    """A guided conversation: named states, each a handler returning (reply, next_state);
    next_state None ends the dialog. Data lives in ctx.dialog_data and is persisted in the
    user's session by the engine, never by the handlers. A refused store call in a step
    answers with its message and stays in that step. `images=True`: the flow also takes
    image messages (ctx.kind == "image")."""

    def __init__(self, name: str, states: dict[str, Handler], *, cancel_words=("取消", "cancel"),
                 on_cancel: str = "已取消。", timeout: timedelta = timedelta(minutes=10),
                 images: bool = False):
        self.name = name
        self.states = states
        self.cancel_words = {fold(w) for w in cancel_words}
        self.on_cancel = on_cancel
        self.timeout = timeout
        self.images = images

    def begin(self, ctx: Ctx, state: str, data: dict | None = None) -> None:
        ctx.dialog_data = dict(data or {})
        ctx.session.begin(self.name, state, ctx.now, self.timeout, ctx.dialog_data)

    def handle(self, ctx: Ctx, state: str) -> str | None:
        if ctx.kind == "text" and fold(ctx.text) in self.cancel_words:
            ctx.session.end()
            return self.on_cancel
        try:
            reply, next_state = self.states[state](ctx)
        except DomainError as error:
            reply, next_state = error.message, state
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
        self.labels: dict[str, str] = {}  # folded menu label -> click key
        self.fallback: Route | None = None
        self.voice: Callable | None = None
        self.help_lines: list[str] = []  # first docstring line of each command handler
        self.help_entries: list[tuple[str, str]] = []  # (handler module, that line)
        for module in modules:
            self._mount(module)
        missing = [key for key in self.labels.values() if key not in self.clicks]
        if missing:
            raise ValueError(f"menu labels for keys without a route: {missing}")

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
        for text, key in module.labels:
            self._add(self.labels, text, key, "menu label")
        if module.fallback:
            if self.fallback:
                raise ValueError("two fallbacks registered")
            self.fallback = module.fallback
        if module.voice:
            if self.voice:
                raise ValueError("two voice readers registered")
            self.voice = module.voice

    # ---------------------------------------------------------------------------------
    def dispatch(self, ctx: Ctx) -> str | None:
        """The one reply to a push. A refused store call is answered with its reason."""
        try:
            return self._dispatch(ctx)
        except DomainError as error:
            return error.message

    def _dispatch(self, ctx: Ctx) -> str | None:
        if ctx.kind != "event" and ctx.user is not None:
            users.resume_pushes(ctx.user)  # writing again lifts a "user block" pause
        if ctx.kind == "click":
            route = self.clicks.get(ctx.event_key)
            if route is None:
                log.warning("unknown menu key %r from %s", ctx.event_key, ctx.openid)
                return self.texts.UNKNOWN_MENU
            return self._run(route, ctx)
        if ctx.kind == "event":
            route = self.events.get(ctx.event.lower())
            return self._run(route, ctx) if route else None
        if ctx.kind == "voice":
            if not ctx.text.strip():
                return self.texts.VOICE_EMPTY
            ctx.kind = "text"
            if self.voice:
                ctx.text = self.voice(ctx, self)
        if ctx.kind not in ("text", "image"):
            return self.texts.ONLY_TEXT
        prefix = ""
        dialog = ctx.session.dialog
        if dialog is not None:
            flow = self.flows.get(dialog.flow)
            if flow is None or dialog.expired(ctx.now):
                ctx.session.end()
                prefix = self.texts.DIALOG_EXPIRED + "\n\n" if flow else ""
            elif ctx.user is not None:
                if ctx.kind == "image" and not flow.images:
                    return self.texts.ONLY_TEXT
                if ctx.kind == "image" or self.match_command(ctx.text) is None:
                    ctx.dialog_data = dict(dialog.data)
                    return flow.handle(ctx, dialog.state)
                # A known command leaves the dialog: say so, then run the command.
                ctx.session.end()
                prefix = self.texts.DIALOG_LEFT + "\n"
        if ctx.kind == "image":
            reply = self.texts.ONLY_TEXT if ctx.user is not None else self.texts.NEED_BIND
        else:
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
        """(route, args as typed) for `text`, or None."""
        text = (text or "").strip()
        folded = fold(text)
        if folded in self.labels:  # "我的待办" typed, not clicked
            return self.clicks[self.labels[folded]], ""
        parts = text.split(None, 1)
        if not parts:
            return None
        entry = self.commands.get(fold(parts[0]))
        if entry is not None:
            takes_args, route = entry
            if takes_args or len(parts) == 1:
                return route, (parts[1].strip() if len(parts) > 1 else "")
            return None
        # "完成2", "详情#12", "转办3@李四": a command glued to its reference.
        for word in sorted(self.commands, key=len, reverse=True):
            if folded.startswith(word) and len(folded) > len(word) \
                    and folded[len(word)] in "#@0123456789":
                takes_args, route = self.commands[word]
                if takes_args:
                    return route, _after(text, word)
        return None

    def _run(self, route: Route, ctx: Ctx) -> str | None:
        if route.bound and ctx.user is None:
            return self.texts.NEED_BIND
        return route.handler(ctx)


def _after(text: str, word: str) -> str:
    """What follows `word` at the start of `text`, where `word` is compared folded."""
    for end in range(1, len(text) + 1):
        if fold(text[:end]) == word:
            return text[end:].strip()
    return ""
