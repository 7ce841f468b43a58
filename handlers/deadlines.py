"""Read a deadline typed in chat ("明天下午3点", "下周五 9点", "tomorrow 5pm") as a datetime.

This module only turns text into an aware datetime in the company timezone; whether the deadline
is acceptable (for example not in the past) is the caller's decision. Chinese and numeric forms are
read by the rules below; English is read by dateparser behind a strict grammar. Both sit behind
`parse_deadline` and `split_deadline`, so either can be swapped without touching the handlers.

Conventions:
* a date without a time of day means 18:00 that day;
* where a form is ambiguous, the nearest date from today on is meant ("周五" on a Saturday is next
  Friday, "12-05" on 12-10 is next year's, "18:00" after 18:00 is tomorrow); explicit forms such
  as "今天 9点" are returned even when past;
* anything not fully understood gives None. That includes an hour from 1 to 6 with no 上午/下午,
  am/pm or leading zero ("明天3点"): in chat it means 15:00 as often as 03:00, so we ask again.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import dateparser

MAX_LENGTH = 64
MAX_DEADLINE_TOKENS = 5
DEFAULT_TIME = time(18, 0)


def parse_deadline(text: str, now: datetime, tz: str = "Asia/Shanghai") -> datetime | None:
    """Return the deadline that `text` names, in `tz`, or None if `text` is not (only) a deadline."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local_now = now.astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0)
    text = _normalise(text)
    if not text or len(text) > MAX_LENGTH:
        return None
    deadline = _parse_rules(text, local_now)
    if deadline is None and not _HAN.search(text):
        deadline = _parse_english(text, local_now)
    return deadline


def split_deadline(text: str, now: datetime, tz: str = "Asia/Shanghai") -> tuple[str, datetime | None]:
    """Split "核对PO123到货 @李四 明天18:00" into ("核对PO123到货 @李四", deadline).

    The longest run of trailing whitespace-separated tokens that reads as a deadline is taken.
    A title is required, so text that is a deadline as a whole stays a title: (text, None).
    """
    tokens = list(re.finditer(r"\S+", text))
    if len(tokens) <= MAX_DEADLINE_TOKENS and parse_deadline(text, now, tz) is not None:
        return text, None
    # Longest run first; the first token always stays in the title.
    for token in tokens[max(1, len(tokens) - MAX_DEADLINE_TOKENS):]:
        deadline = parse_deadline(text[token.start():], now, tz)
        if deadline is not None:
            return text[:token.start()].strip(), deadline
    return text, None


def _normalise(text: str) -> str:
    """Full-width to ASCII, lower case, single spaces, and no spaces next to Chinese characters."""
    text = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    return _SPACE_NEXT_TO_HAN.sub("", text)


# --- Chinese and numeric forms -------------------------------------------------------------

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SPACE_NEXT_TO_HAN = re.compile(r" (?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff]) ")
_NUM = r"[0-9]{1,3}|[零〇一二两三四五六七八九十]{1,3}"
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKS_AHEAD = {"本": 0, "这": 0, "这个": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3, "今": 0, "明": 1}

_AFTER_HOURS = re.compile(rf"(?P<n>{_NUM})?个?(?P<half>半)?(?P<unit>小时|钟头|分钟)(?:以后|之后|后)")
_AFTER_DAYS = re.compile(rf"(?P<n>{_NUM})个?(?P<unit>天|日|周|星期|礼拜)(?:以后|之后|后)")
_RELATIVE_DAY = re.compile(r"(?P<word>大后天|后天|明天|明日|今天|今日|(?P<short>[今明])(?P<period>早|晚))")
_WEEKDAY = re.compile(r"(?P<which>本|这个|这|下下个|下下|下个|下)?(?:周|星期|礼拜)(?P<day>[一二三四五六日天1-7])")
_YMD = re.compile(rf"(?P<y>\d{{4}})(?:(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"
                  rf"|年(?P<cm>{_NUM})月(?P<cd>{_NUM})[日号])")
_MONTH_DAY = re.compile(rf"(?P<m>\d{{1,2}})[-/](?P<d>\d{{1,2}})|(?P<cm>{_NUM})月(?P<cd>{_NUM})[日号]?")
_MONTH_END = re.compile(r"(?P<which>本|这个|下个|下)?月[底末]")
_DAY_OF_MONTH = re.compile(rf"(?P<which>本月|这个月|下个月|下月)?(?P<d>{_NUM})[日号]")
_TIME = re.compile(
    rf"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|早|晚)?"
    rf"(?:(?P<h>{_NUM})[点时](?:(?P<half>半)|(?P<quarter>一刻|三刻)|整|(?P<min>{_NUM})(?P<fen>分)?)?"
    rf"|(?P<hh>\d{{1,2}}):(?P<mm>\d{{2}}))?"
)


def _number(text: str | None) -> int | None:
    """"12" / "十二" / "二十五" / "两" / "零五" -> int; anything else -> None."""
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if len(text) == 1 and text in _DIGITS:
        return _DIGITS[text]
    if m := re.fullmatch(r"([一二三四五六七八九])?十([一二三四五六七八九])?", text):
        tens = _DIGITS[m[1]] if m[1] else 1
        return tens * 10 + (_DIGITS[m[2]] if m[2] else 0)
    if m := re.fullmatch(r"[零〇]([一二三四五六七八九])", text):
        return _DIGITS[m[1]]
    return None


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    try:
        return date(year, month, day)
    except (TypeError, ValueError):
        return None


def _next_month(today: date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _weekday_date(today: date, weekday: int, weeks_ahead: int | None) -> date:
    """No prefix: the next such day from today on. 本/下/下下: that day in this/next/the week after."""
    if weeks_ahead is None:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=weekday)


def _upcoming_month_day(today: date, month: int | None, day: int | None) -> date | None:
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    return _safe_date(today.year + 1, month, day)


def _after_days(m: re.Match, today: date) -> date | None:
    n = _number(m["n"])
    if n is None:
        return None
    return today + timedelta(days=n if m["unit"] in ("天", "日") else 7 * n)


def _relative_day(m: re.Match, today: date) -> date:
    return today + timedelta(days=_RELATIVE_DAYS[m["short"] or m["word"]])


def _weekday(m: re.Match, today: date) -> date:
    day = m["day"]
    weekday = int(day) - 1 if day.isdigit() else _WEEKDAYS[day]
    return _weekday_date(today, weekday, _WEEKS_AHEAD.get(m["which"]))


def _year_month_day(m: re.Match, today: date) -> date | None:
    if m["sep"]:
        return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    return _safe_date(int(m["y"]), _number(m["cm"]), _number(m["cd"]))


def _month_day(m: re.Match, today: date) -> date | None:
    if m["m"]:
        return _upcoming_month_day(today, int(m["m"]), int(m["d"]))
    return _upcoming_month_day(today, _number(m["cm"]), _number(m["cd"]))


def _month_end(m: re.Match, today: date) -> date:
    year, month = _next_month(today) if m["which"] in ("下", "下个") else (today.year, today.month)
    return date(year, month, calendar.monthrange(year, month)[1])


def _day_of_month(m: re.Match, today: date) -> date | None:
    day = _number(m["d"])
    if m["which"] in ("下月", "下个月"):
        return _safe_date(*_next_month(today), day)
    if m["which"] or (day is not None and day >= today.day):
        return _safe_date(today.year, today.month, day)
    return _safe_date(*_next_month(today), day)


# Tried in order; the first form that matches the start of the text decides its date.
_DATE_FORMS = [
    (_AFTER_DAYS, _after_days),
    (_RELATIVE_DAY, _relative_day),
    (_WEEKDAY, _weekday),
    (_YMD, _year_month_day),
    (_MONTH_DAY, _month_day),
    (_MONTH_END, _month_end),
    (_DAY_OF_MONTH, _day_of_month),
]


def _parse_rules(text: str, now: datetime) -> datetime | None:
    if m := _AFTER_HOURS.fullmatch(text):
        return _after_hours(m, now)
    day, period, rest = None, None, text
    for pattern, resolve in _DATE_FORMS:
        if m := pattern.match(text):
            day = resolve(m, now.date())
            if day is None:
                return None
            period = m.groupdict().get("period")
            rest = text[m.end():].lstrip()
            break
    if not rest and not period:
        return datetime.combine(day, DEFAULT_TIME, tzinfo=now.tzinfo)
    clock = _clock(rest, period)
    if clock is None:
        return None
    extra_days, at = clock
    if day is None:
        deadline = datetime.combine(now.date() + timedelta(days=extra_days), at, tzinfo=now.tzinfo)
        return deadline if deadline >= now else deadline + timedelta(days=1)
    return datetime.combine(day + timedelta(days=extra_days), at, tzinfo=now.tzinfo)


def _after_hours(m: re.Match, now: datetime) -> datetime | None:
    if m["n"] is None and m["half"] is None:
        return None
    n = _number(m["n"]) if m["n"] else 0
    if n is None:
        return None
    amount = n + (0.5 if m["half"] else 0)
    delta = timedelta(hours=amount) if m["unit"] in ("小时", "钟头") else timedelta(minutes=amount)
    # Add elapsed time in UTC: across a DST change, wall-clock arithmetic would be an hour off.
    return (now.astimezone(timezone.utc) + delta).astimezone(now.tzinfo)


def _clock(text: str, period: str | None) -> tuple[int, time] | None:
    """"下午3点半" -> (0, 15:30); "晚上12点" -> (1, 00:00): days to add, and the time of day."""
    m = _TIME.fullmatch(text)
    if m is None or (period and m["period"]):
        return None
    period = period or m["period"]
    if m["h"] is None and m["hh"] is None:
        return (0, time(12, 0)) if period == "中午" else None
    if m["hh"] is not None:
        hour_text, minute = m["hh"], int(m["mm"])
    else:
        hour_text = m["h"]
        if m["half"]:
            minute = 30
        elif m["quarter"]:
            minute = 15 if m["quarter"] == "一刻" else 45
        elif m["min"]:
            # "3点5" could be 3:05 or 3:50; only "3点05", "3点十五" or "3点5分" are read.
            if len(m["min"]) == 1 and not m["fen"]:
                return None
            minute = _number(m["min"])
        else:
            minute = 0
    hour = _number(hour_text)
    if hour is None or minute is None or minute > 59:
        return None
    clock = _to_24h(period, hour, padded=len(hour_text) == 2 and hour_text.startswith("0"))
    if clock is None:
        return None
    extra_days, hour = clock
    return extra_days, time(hour, minute)


def _to_24h(period: str | None, hour: int, padded: bool) -> tuple[int, int] | None:
    if period is None:
        if 1 <= hour <= 6 and not padded:
            return None
        return (0, hour) if hour <= 23 else None
    if period == "凌晨":
        return (0, hour) if hour <= 5 else None
    if period in ("早上", "早晨", "上午", "早"):
        return (0, hour) if hour <= 12 else None
    if period == "中午":
        return (0, hour + 12) if hour in (1, 2) else (0, hour) if 11 <= hour <= 14 else None
    if period in ("下午", "傍晚"):
        return (0, hour + 12) if 1 <= hour <= 11 else (0, hour) if 12 <= hour <= 23 else None
    # 晚上 / 晚 / 夜里: "晚上12点" is the midnight that ends the day.
    if 6 <= hour <= 11:
        return 0, hour + 12
    if hour == 12:
        return 1, 0
    return (0, hour) if 18 <= hour <= 23 else None


# --- English, read by dateparser ---------------------------------------------------------------

_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_EN_TIME = r"(?:at )?(?:(?:1[0-2]|0?[1-9])(?::[0-5]\d)? ?[ap]m|(?:[01]\d|2[0-3]|[0789]):[0-5]\d|noon)"
_EN_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
             r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_EN_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_EN_DATE = (rf"(?:today|tomorrow"
            rf"|(?:on )?(?:(?P<which>this|next) )?(?P<weekday>mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?"
            rf"|thu(?:rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
            rf"|(?:on )?(?P<monthday>{_EN_MONTH} {_EN_DAY}|{_EN_DAY} {_EN_MONTH})(?:,? (?P<year>\d{{4}}))?)")
# The whole input must fit this grammar before dateparser sees it: dateparser quietly drops
# what it does not understand ("tomorrow 17:60" gives tomorrow at the current time).
_EN = re.compile(
    rf"in (?:\d{{1,3}}|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
    rf" (?P<unit>days?|weeks?|hours?|hrs?|minutes?|mins?)"
    rf"|(?:(?P<time_before>{_EN_TIME}) )?{_EN_DATE}(?: (?P<time_after>{_EN_TIME}))?"
    rf"|(?P<time_only>{_EN_TIME})"
)


def _parse_english(text: str, now: datetime) -> datetime | None:
    m = _EN.fullmatch(text)
    if m is None or (m["time_before"] and m["time_after"]):
        return None
    in_hours = m["unit"] is not None and m["unit"][0] in "hm"
    # "in 3 hours" is elapsed time, so it is counted in UTC (see _after_hours).
    base = now.astimezone(timezone.utc) if in_hours else now
    parsed = dateparser.parse(text, languages=["en"], settings={
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    })
    if parsed is None:
        return None
    if in_hours:
        return parsed.replace(tzinfo=timezone.utc).astimezone(now.tzinfo)
    today, day = now.date(), parsed.date()
    if m["weekday"]:
        # dateparser reads "fri" on a Friday as next week and "next fri" on a Monday as this week;
        # use the same rule as 周五 / 下周五 instead.
        weeks_ahead = 1 if m["which"] == "next" else None
        day = _weekday_date(today, _EN_WEEKDAYS[m["weekday"][:3]], weeks_ahead)
    elif m["monthday"] and not m["year"] and (day.month, day.day) == (today.month, today.day):
        # dateparser compares with the clock, so "dec 5" late on Dec 5 became next year's.
        day = today
    has_time = m["time_before"] or m["time_after"] or m["time_only"]
    return datetime.combine(day, parsed.time() if has_time else DEFAULT_TIME, tzinfo=now.tzinfo)
