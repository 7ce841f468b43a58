"""Settings from the environment, named exactly as SPEC §8 names them.

`load_settings` checks everything at once and raises `SettingsError` listing every
missing or malformed value, so that a misconfigured deployment refuses to start with
one clear message instead of failing later on the first WeChat push.
"""
import os
import re
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlparse

DEFAULT_DATABASE_URL = "sqlite:///instance/twork.sqlite3"
REQUIRED = ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET", "WECHAT_TEMPLATE_TASK",
            "PUBLIC_BASE_URL")


class SettingsError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Twork cannot start, fix these settings:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Settings:
    WECHAT_TOKEN: str = ""
    WECHAT_APPID: str = ""
    WECHAT_APPSECRET: str = ""
    WECHAT_AES_KEY: str | None = None
    # With an AES key, plaintext pushes are refused unless compatible mode is on (SPEC §11)
    WECHAT_COMPAT_MODE: bool = False
    WECHAT_API_BASE: str = "https://api.weixin.qq.com"
    # Where the pages send a browser for OAuth snsapi_base; the demo points it at the local
    # mock (bot.mock_browser), so that the console can open the pages as a WeChat user.
    WECHAT_OAUTH_URL: str = "https://open.weixin.qq.com/connect/oauth2/authorize"
    WECHAT_TEMPLATE_TASK: str = ""
    PUBLIC_BASE_URL: str = ""
    DATABASE_URL: str = DEFAULT_DATABASE_URL
    REDIS_URL: str | None = None
    TWORK_PLATFORM_KEY: str | None = None
    TESTING: bool = False
    # (connect, read) seconds for every outbound WeChat call
    WECHAT_TIMEOUT: tuple = field(default=(3.05, 10))
    # WeChat's clock and ours may drift; pushes further off than this are replays
    MAX_CLOCK_SKEW: int = 300
    # Our own storage folder for files users send (avatars)
    MEDIA_DIR: str = "instance/media"

    @property
    def safe_mode(self) -> bool:
        return bool(self.WECHAT_AES_KEY)

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


SETTING_NAMES = frozenset(f.name for f in fields(Settings))


def _problems(s: Settings) -> list[str]:
    problems = [f"{name} is required" for name in REQUIRED if not getattr(s, name)]
    if s.WECHAT_TOKEN and not re.fullmatch(r"[A-Za-z0-9]{3,32}", s.WECHAT_TOKEN):
        problems.append("WECHAT_TOKEN must be 3-32 letters or digits (WeChat's rule)")
    if s.WECHAT_APPID and not re.fullmatch(r"wx[A-Za-z0-9]{4,32}", s.WECHAT_APPID):
        problems.append("WECHAT_APPID must look like wx followed by letters/digits")
    if s.WECHAT_AES_KEY is not None and not re.fullmatch(r"[A-Za-z0-9]{43}", s.WECHAT_AES_KEY):
        problems.append("WECHAT_AES_KEY must be exactly 43 letters or digits "
                        f"(got {len(s.WECHAT_AES_KEY)} characters); leave it unset for plaintext mode")
    if not isinstance(s.WECHAT_COMPAT_MODE, bool):
        problems.append(f"WECHAT_COMPAT_MODE must be 0 or 1, got {s.WECHAT_COMPAT_MODE!r}")
    elif s.WECHAT_COMPAT_MODE and not s.WECHAT_AES_KEY:
        problems.append("WECHAT_COMPAT_MODE=1 needs WECHAT_AES_KEY (compatible mode is a safe-mode variant)")
    for name in ("WECHAT_API_BASE", "PUBLIC_BASE_URL", "WECHAT_OAUTH_URL"):
        value = getattr(s, name)
        if value and (urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc):
            problems.append(f"{name} must be an http(s) URL, got {value!r}")
    if urlparse(s.DATABASE_URL).scheme not in ("sqlite", "postgres", "postgresql"):
        problems.append("DATABASE_URL must be sqlite:///path or postgresql://user@host/db")
    if s.REDIS_URL and urlparse(s.REDIS_URL).scheme not in ("redis", "rediss", "unix"):
        problems.append("REDIS_URL must be redis://host:port/db")
    return problems


def load_settings(environ=None, **overrides) -> Settings:
    """Read the settings from `environ` (default os.environ), apply overrides, validate."""
    environ = os.environ if environ is None else environ
    values = {}
    for f in fields(Settings):
        raw = environ.get(f.name)
        if raw is None or raw == "" or f.name in ("TESTING", "WECHAT_TIMEOUT", "MAX_CLOCK_SKEW"):
            continue
        values[f.name] = raw.strip()
    values.update(overrides)
    flag = values.get("WECHAT_COMPAT_MODE")
    if isinstance(flag, str) and flag in ("0", "1"):
        values["WECHAT_COMPAT_MODE"] = flag == "1"
    settings = Settings(**values)
    if settings.WECHAT_API_BASE:
        settings = settings.with_overrides(WECHAT_API_BASE=settings.WECHAT_API_BASE.rstrip("/"))
    problems = _problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings
