"""The company's own profile ("我的ERP"): name, time zone and the reminder etiquette settings
that store.reminders and jobs.scans read from `Company.settings`."""
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from store.errors import Forbidden, Invalid
from store.models import Company, User

_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
DEFAULTS = {"reminder_hours": [24, 2], "quiet_hours": {"start": "22:00", "end": "08:00"},
            "digest_at": "09:00"}


def _fail(field: str, message: str) -> Invalid:
    return Invalid(message, detail={"field": field})


def profile(company: Company) -> dict:
    """The profile as the console shows it, defaults filled in."""
    settings = {**DEFAULTS, **(company.settings or {})}
    quiet = settings["quiet_hours"]
    if isinstance(quiet, (list, tuple)):
        quiet = {"start": quiet[0], "end": quiet[1]}
    return {"name": company.name, "code": company.code, "timezone": company.timezone,
            "reminder_hours": list(settings["reminder_hours"] or []),
            "quiet_on": bool(quiet), "quiet_start": (quiet or {}).get("start", "22:00"),
            "quiet_end": (quiet or {}).get("end", "08:00"), "digest_at": settings["digest_at"]}


def update_profile(actor: User, *, name: str, timezone: str, reminder_hours: str,
                   quiet_on: bool, quiet_start: str, quiet_end: str, digest_at: str) -> Company:
    """Save the profile (company admins). `reminder_hours` is text such as "24, 2"."""
    if not actor.is_company_admin:
        raise Forbidden("只有公司管理员可以修改公司资料")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise _fail("name", "公司名称不能为空，且不超过200字")
    try:
        ZoneInfo((timezone or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("timezone", f"未知时区：{timezone}") from None
    try:
        hours = sorted({int(h) for h in re.split(r"[,，\s]+", reminder_hours or "") if h}, reverse=True)
    except ValueError:
        raise _fail("reminder_hours", "提前提醒应为整数小时，用逗号分隔，如 24, 2") from None
    if not hours or any(not 1 <= h <= 24 * 14 for h in hours) or len(hours) > 5:
        raise _fail("reminder_hours", "提前提醒为1到5个 1–336 之间的小时数")
    for field, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end),
                         ("digest_at", digest_at)):
        if not _CLOCK.fullmatch(value or ""):
            raise _fail(field, "时间格式应为 HH:MM，如 22:00")
    if quiet_on and quiet_start == quiet_end:
        raise _fail("quiet_end", "免打扰的开始和结束不能相同")
    company = Company.get_by_id(actor.company_id)
    company.name = name
    company.timezone = timezone.strip()
    company.settings = {**(company.settings or {}), "reminder_hours": hours,
                        "quiet_hours": {"start": quiet_start, "end": quiet_end} if quiet_on else None,
                        "digest_at": digest_at}
    company.save()
    return company
