"""Deadline parsing against a fixed clock. Every expected datetime below is computed by hand.

The clock is Monday 2026-11-30 10:00 in Asia/Shanghai; 2026-12-05 is a Saturday.
"""
import time

import pytest
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.deadlines import parse_deadline, split_deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def at(month, day, hour=18, minute=0, year=2026, tz=SHANGHAI):
    return datetime(year, month, day, hour, minute, tzinfo=tz)


READ = [
    # relative days, a date alone means 18:00
    ("今天 18:00", at(11, 30)),
    ("今天18点", at(11, 30)),
    ("今天9点", at(11, 30, 9)),  # explicit, so kept although past
    ("今晚8点", at(11, 30, 20)),
    ("今晚12点", at(12, 1, 0)),
    ("明天", at(12, 1)),
    ("明天18:00", at(12, 1)),
    ("明早9点", at(12, 1, 9)),
    ("明天上午10点", at(12, 1, 10)),
    ("明天中午", at(12, 1, 12)),
    ("明天下午3点", at(12, 1, 15)),
    ("明天下午3点半", at(12, 1, 15, 30)),
    ("明天 下午 3点", at(12, 1, 15)),
    ("明天下午三点十五", at(12, 1, 15, 15)),
    ("明天18点整", at(12, 1)),
    ("明天03:00", at(12, 1, 3)),
    ("后天", at(12, 2)),
    ("后天 18:00", at(12, 2)),
    ("后天下午3点", at(12, 2, 15)),
    ("大后天", at(12, 3)),
    # weekdays: bare = next such day from today on; 本/这 = this week; 下 = next week
    ("周五", at(12, 4)),
    ("星期五", at(12, 4)),
    ("礼拜五", at(12, 4)),
    ("周一", at(11, 30)),
    ("下周一", at(12, 7)),
    ("下周五 9点", at(12, 11, 9)),
    ("本周日", at(12, 6)),
    ("这周一", at(11, 30)),
    ("下下周一", at(12, 14)),
    # durations: days keep the 18:00 rule, hours and minutes count from now
    ("3天后", at(12, 3)),
    ("三天后", at(12, 3)),
    ("两周后", at(12, 14)),
    ("2小时后", at(11, 30, 12)),
    ("两个小时后", at(11, 30, 12)),
    ("半小时后", at(11, 30, 10, 30)),
    ("一个半小时后", at(11, 30, 11, 30)),
    ("30分钟后", at(11, 30, 10, 30)),
    # month and day
    ("12-05", at(12, 5)),
    ("12/05", at(12, 5)),
    ("1/1", at(1, 1, year=2027)),
    ("12月5日", at(12, 5)),
    ("十二月五日", at(12, 5)),
    ("１２月５日", at(12, 5)),  # full-width digits
    ("12月5号 14:00", at(12, 5, 14)),
    ("5号", at(12, 5)),
    ("1号", at(12, 1)),
    ("本月5号", at(11, 5)),
    ("下个月1号", at(12, 1)),
    ("月底", at(11, 30)),  # the clock is on the last day of November
    ("下月底", at(12, 31)),
    ("2026-12-05", at(12, 5)),
    ("2026-12-05 17:30", at(12, 5, 17, 30)),
    ("2026/12/05 17:30", at(12, 5, 17, 30)),
    ("2026年12月5日", at(12, 5)),
    # a time alone: today, or tomorrow once it has passed
    ("18:00", at(11, 30)),
    ("9点", at(12, 1, 9)),
    ("下午3点", at(11, 30, 15)),
    # English
    ("tomorrow", at(12, 1)),
    ("Tomorrow 5pm", at(12, 1, 17)),
    ("tomorrow 17:00", at(12, 1, 17)),
    ("tomorrow noon", at(12, 1, 12)),
    ("at 5pm tomorrow", at(12, 1, 17)),
    ("today 6pm", at(11, 30)),
    ("in 2 days", at(12, 2)),
    ("in 3 hours", at(11, 30, 13)),
    ("fri", at(12, 4)),
    ("friday", at(12, 4)),
    ("on friday 9am", at(12, 4, 9)),
    ("next monday", at(12, 7)),
    ("next friday", at(12, 11)),
    ("dec 5", at(12, 5)),
    ("5 dec 17:00", at(12, 5, 17)),
    ("dec 5, 2027", at(12, 5, year=2027)),
]

NOT_DEADLINES = [
    "",
    "   ",
    "随便",
    "abc",
    "周报",
    "明天吧我也不知道",
    "32号",
    "31号",  # November has 30 days
    "13-45",
    "25:00",
    "2026-02-30",
    "今晚",  # an evening, but no hour
    "明天3点",  # 03:00 or 15:00?
    "3点5",  # 3:05 or 3:50?
    "周末",
    "tomorrow 5",
    "tomorrow 17:60",
    "may",
    "tonight",
    "明天 5pm",
    "x" * 5000,
]


@pytest.mark.parametrize("text, expected", READ)
def test_parser_reads_deadline(text, expected):
    deadline = parse_deadline(text, NOW)
    assert deadline == expected
    assert deadline.tzinfo == SHANGHAI


@pytest.mark.parametrize("text", NOT_DEADLINES, ids=lambda text: text[:20])
def test_parser_refuses_what_is_not_a_deadline(text):
    assert parse_deadline(text, NOW) is None


def test_parser_refuses_hostile_input_fast():
    started = time.perf_counter()
    assert parse_deadline("明天" * 2500, NOW) is None
    assert split_deadline("核对" * 2500 + " 明天", NOW) == ("核对" * 2500, at(12, 1))
    assert time.perf_counter() - started < 0.1


def test_parser_refuses_naive_clock():
    with pytest.raises(ValueError):
        parse_deadline("明天", NOW.replace(tzinfo=None))


@pytest.mark.parametrize("text, expected", [
    ("周五", at(12, 11)),
    ("fri", at(12, 11)),
    ("周六", at(12, 5)),
    ("本周五", at(12, 4)),  # explicit this-week Friday, in the past
    ("下周五", at(12, 11)),
    ("12-05", at(12, 5)),
])
def test_parser_on_saturday_picks_future_weekday(text, expected):
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
    assert parse_deadline(text, saturday) == expected


@pytest.mark.parametrize("text, expected", [
    ("12-05", at(12, 5, year=2027)),
    ("12月5日", at(12, 5, year=2027)),
    ("dec 5", at(12, 5, year=2027)),
    ("5号", at(1, 5, year=2027)),
])
def test_parser_moves_past_month_day_to_next_year(text, expected):
    december_10 = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
    assert parse_deadline(text, december_10) == expected


@pytest.mark.parametrize("text, expected", [
    ("dec 5", at(12, 5)),
    ("12-05", at(12, 5)),
    ("5 dec 17:00", at(12, 5, 17)),
    ("18:00", at(12, 6)),
    ("5pm", at(12, 6, 17)),
])
def test_parser_late_on_the_day_keeps_dates_but_moves_times(text, expected):
    evening = datetime(2026, 12, 5, 19, 0, tzinfo=SHANGHAI)
    assert parse_deadline(text, evening) == expected


@pytest.mark.parametrize("text, expected", [
    # NOW is Sunday 2026-11-29 18:00 in Los Angeles (UTC-8)
    ("明天", at(11, 30, tz=LOS_ANGELES)),
    ("今天 18:00", at(11, 29, tz=LOS_ANGELES)),
    ("2小时后", at(11, 29, 20, tz=LOS_ANGELES)),
    ("周一", at(11, 30, tz=LOS_ANGELES)),
    ("tomorrow 5pm", at(11, 30, 17, tz=LOS_ANGELES)),
    ("in 3 hours", at(11, 29, 21, tz=LOS_ANGELES)),
])
def test_parser_reads_in_company_timezone(text, expected):
    deadline = parse_deadline(text, NOW, tz="America/Los_Angeles")
    assert deadline == expected
    assert deadline.tzinfo == LOS_ANGELES


@pytest.mark.parametrize("text", ["2小时后", "in 2 hours"])
def test_parser_counts_hours_as_elapsed_time_across_dst(text):
    before_spring_forward = datetime(2026, 3, 8, 1, 30, tzinfo=LOS_ANGELES)  # PST; 02:00 becomes 03:00
    assert parse_deadline(text, before_spring_forward, tz="America/Los_Angeles") == at(
        3, 8, 4, 30, tz=LOS_ANGELES)


@pytest.mark.parametrize("text, expected", [
    ("核对PO123到货 @李四 明天18:00", ("核对PO123到货 @李四", at(12, 1))),
    ("核对PO123到货 @李四 后天 下午3点", ("核对PO123到货 @李四", at(12, 2, 15))),
    ("核对PO123到货 @李四 下周五 9点", ("核对PO123到货 @李四", at(12, 11, 9))),
    ("周报 2026-12-05 17:30", ("周报", at(12, 5, 17, 30))),
    ("周报 明天 18:00  ", ("周报", at(12, 1))),
    ("report to boss tomorrow 5pm", ("report to boss", at(12, 1, 17))),
    ("明天 核对到货 明天", ("明天 核对到货", at(12, 1))),
])
def test_splitter_takes_trailing_deadline(text, expected):
    assert split_deadline(text, NOW) == expected


@pytest.mark.parametrize("text", [
    "周报",
    "核对PO123到货",
    "核对PO123到货 @李四",
    "检查 PO 123",
    "核对到货明天",  # glued to the title: not split
    "明天",  # a title is required
    "明天 18:00",
    "后天 下午3点",
])
def test_splitter_keeps_text_without_trailing_deadline(text):
    assert split_deadline(text, NOW) == (text, None)
