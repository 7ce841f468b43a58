"""Voice: WeChat's speech recognition text read as the command a user would have typed.

Recognition text has no spaces, ends with a full stop and spells numbers in Chinese:
"完成一。" → "完成 1", "详情第三条" → "详情 3", "转办二给李四" → "转办 2 @李四",
"新建核对发票明天下午五点。" → "新建 核对发票 明天下午五点". Everything else is left as heard,
and then routed like typed text (bot/router.py).
"""
import re

from bot.router import Routes, fold
from handlers.deadlines import parse_deadline

routes = Routes()

_EDGE = "。.！!？?，,、；; "
_DIGITS = {"零": 0, "〇": 0, "幺": 1, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
# "第三条", "三", "十二号", "井号十二" (a task number), "12"
_SPOKEN_REF = re.compile(r"(?P<hash>井号|#|＃)?第?(?P<n>[0-9０-９]+|[零〇幺一二两三四五六七八九十百千]+)"
                         r"(?:条|个|项|号)?")
# Commands whose first argument is a list position or a task number.
REF_WORDS = frozenset({"详情", "查看", "完成", "转办", "回退", "撤回", "催办", "开始", "评论", "延期",
                       "同意延期", "拒绝延期", "延误原因", "标记", "取消标记", "消息", "项目", "销假"})
NEW_WORDS = frozenset({"新建", "新任务"})
_HANDOVER = re.compile(r"^(?:交给|转给|给|转交给|转交)")


def chinese_number(text: str) -> int | None:
    """"三" 3, "十二" 12, "二十五" 25, "一百零五" 105, "一二三" 123, "12" 12; None otherwise."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if not any(ch in _UNITS for ch in text):  # digit by digit: "幺二三"
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


def _command_word(folded: str, router) -> str | None:
    """The longest command word `folded` starts with (an English one as a whole word)."""
    for word in sorted(router.commands, key=len, reverse=True):
        if folded.startswith(word):
            after = folded[len(word):len(word) + 1]
            if word.isascii() and after.isalpha() and after.isascii():
                continue
            return word
    return None


def _reference(rest: str) -> tuple[str, str]:
    """("第三条已联系供应商") → ("3", "已联系供应商"); ("", rest) when no number leads."""
    m = _SPOKEN_REF.match(rest)
    if m is None:
        return "", rest
    n = chinese_number(m["n"]) if not m["n"].isdigit() else int(m["n"])
    if n is None:
        return "", rest
    return ("#" if m["hash"] else "") + str(n), rest[m.end():].lstrip(_EDGE)


def _split_deadline(text: str, ctx) -> str:
    """"核对发票明天下午五点" → "核对发票 明天下午五点": the longest tail read as a deadline."""
    for start in range(1, len(text)):
        if parse_deadline(text[start:], ctx.now, ctx.tz) is not None:
            return f"{text[:start]} {text[start:]}"
    return text


@routes.voice_reader
def read_voice(ctx, router) -> str:
    """The command text a user would have typed for the recognition text `ctx.text`."""
    text = ctx.text.strip(_EDGE)
    folded = fold(text)
    if folded in router.labels or " " in folded:
        return text
    word = _command_word(folded, router)
    if word is None:
        return text
    rest = text[len(word):].lstrip(_EDGE) if text[:len(word)].lower() == word else text
    parts = [word]
    if word in REF_WORDS:
        ref, rest = _reference(rest)
        if ref:
            parts.append(ref)
        if word == "转办" and _HANDOVER.match(rest):
            rest = "@" + _HANDOVER.sub("", rest)
    elif word in NEW_WORDS and rest:
        rest = _split_deadline(rest, ctx)
    if rest:
        parts.append(rest)
    return " ".join(parts)
