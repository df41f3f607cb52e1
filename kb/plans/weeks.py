"""Month, phase and week headings (Chinese and English) turned into numbers.

    第1个月：基础知识构建              -> month 1
    第二阶段（第3-5个月）              -> phase 2, months 3-5
    第四阶段：项目实践与研究（第9个月起）  -> phase 4, month 9 onwards
    周1-2：LLM基础 / 第1-2周 / 第一周(5.12~5.18)   -> weeks 1-2 / 1-2 / week 1 (May 12 to May 18)
    Month 2 / Months 3–4 / Phase 1 (Weeks 1-6) / Week 3 / Weeks 5-6 / W7

Week numbers in the store count from the start of the plan. A plan that numbers its weeks
inside each month (周1-2 under 第2个月) gets them shifted by four weeks a month, the plans' own
convention (周1-2, 周3-4 per month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEEKS_PER_MONTH = 4

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}
NUM = r"(?:\d{1,3}|[〇零一二两三四五六七八九十百]{1,4})"
_DASH = r"\s*(?:-|–|—|~|～|〜|至|到|to)\s*"

_ENGLISH_ORDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}


def cn_number(text: str) -> int | None:
    """'12' -> 12, '十二' -> 12, '二十' -> 20, '一百零五' -> 105; None when it is not a number."""
    text = (text or "").strip()
    if not text:
        return None
    # isdecimal, not isdigit: "²" and "①" are digits to isdigit() but int() refuses them. Decimal
    # digits of any script are numbers to int(): "３" (fullwidth, common in Chinese plans) and
    # "٣" read as 3, as the headings' \d (any Unicode decimal digit) already matches them.
    if text.isdecimal():
        return int(text)
    if text.lower() in _ENGLISH_ORDINALS:
        return _ENGLISH_ORDINALS[text.lower()]
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


@dataclass
class TimeMark:
    """What a heading (or an item's prefix) says about time."""

    level: str                       # 'phase', 'month' or 'week'
    label: str                       # the heading as written
    phase: int | None = None
    month_start: int | None = None
    month_end: int | None = None
    week_start: int | None = None
    week_end: int | None = None
    dates: tuple[tuple[int | None, int, int], tuple[int | None, int, int]] | None = None  # ((y, m, d), (y, m, d))
    rest: str = ""                   # what follows the time expression ("LLM基础与参数高效微调")
    open_ended: bool = False         # 第9个月起 / Month 9+

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


_LEAD = r"^\s*(?:\d+[.)、]\s*)?(?:[*_]{1,3})?\s*"

# Chinese
_CN_PHASE = re.compile(_LEAD + r"(?:第\s*(?P<n>" + NUM + r")\s*(?:阶段|期)|阶段\s*(?P<n2>" + NUM + r"))")
_CN_MONTH = re.compile(r"第\s*(?P<a>" + NUM + r")(?:" + _DASH + r"第?\s*(?P<b>" + NUM + r"))?\s*(?:个)?月(?P<open>\s*(?:起|之后|以后|及以后))?")
_CN_WEEK = re.compile(
    r"(?:第\s*(?P<a>" + NUM + r")(?:" + _DASH + r"第?\s*(?P<b>" + NUM + r"))?\s*(?:周|星期|週)"
    r"|(?:周|週)\s*(?P<c>" + NUM + r")(?:" + _DASH + r"(?:周|週)?\s*(?P<d>" + NUM + r"))?)"
)
# English
_EN_PHASE = re.compile(_LEAD + r"(?:phase|stage)\s+(?P<n>\d+|[ivx]+|" + "|".join(_ENGLISH_ORDINALS) + r")\b", re.I)
_EN_MONTH = re.compile(r"\bmonths?\s+(?P<a>\d{1,2})(?:" + _DASH + r"(?:month\s+)?(?P<b>\d{1,2}))?(?P<open>\s*\+|\s+onwards?|\s+and\s+beyond)?", re.I)
_EN_WEEK = re.compile(r"\b(?:weeks?|wk|w)\s*(?P<a>\d{1,2})(?:" + _DASH + r"(?:weeks?\s*|w)?(?P<b>\d{1,2}))?\b", re.I)
# Dates inside a week heading: (5.12~5.18), (2025-05-12 – 2025-05-18), (May 12 - May 18)
_DATE = r"(?:(?P<y{n}>\d{{4}})[-./年])?(?P<m{n}>\d{{1,2}})[-./月](?P<d{n}>\d{{1,2}})日?"
_DATE_RANGE = re.compile(_DATE.format(n=1) + _DASH + r"(?:" + _DATE.format(n=2) + r"|(?P<dd>\d{1,2})日?)")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


def _num(text: str | None) -> int | None:
    if text is None:
        return None
    if text.lower() in _ROMAN:
        return _ROMAN[text.lower()]
    return cn_number(text)


def _rest_after(text: str, end: int) -> str:
    rest = text[end:]
    rest = re.sub(r"^[\s*_]*[（(][^）)]*[）)]", "", rest)  # (5.12~5.18) right after the week
    return rest.strip(" \t*_:：-–—.、)）").strip()


def _without_parens(text: str) -> str:
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    return text.strip(" \t*_:：-–—.、").strip()


def parse(text: str) -> TimeMark | None:
    """The time mark a heading starts with, or None. Only the start counts: a heading that
    merely mentions a month in passing ("在第3个月完成") is not a month heading."""
    raw = (text or "").strip()
    if not raw:
        return None
    plain = re.sub(r"[*_`]", "", raw).strip()
    plain = re.sub(r"^\d+[.)、]\s*(?=\D)", "", plain) if not re.match(r"^\d+[.)、]\s*\d", plain) else plain

    # Phases first: they may carry their months ("第二阶段（第3-5个月）", "Phase 2 (Months 3-5)").
    m = _CN_PHASE.match(plain) or _EN_PHASE.match(plain)
    if m:
        n = _num(m.group("n") or (m.groupdict().get("n2")))
        mark = TimeMark("phase", raw, phase=n, rest=_rest_after(plain, m.end()))
        tail = plain[m.end():]
        mm = _CN_MONTH.search(tail) or _EN_MONTH.search(tail)
        if mm:
            a, b = _num(mm.group("a")), _num(mm.group("b"))
            mark.month_start, mark.month_end = a, b or a
            mark.open_ended = bool(mm.group("open"))
            mark.rest = _without_parens(tail)
        wm = _CN_WEEK.search(tail) or _EN_WEEK.search(tail)
        if wm and not mm:
            a, b = _week_numbers(wm)
            mark.week_start, mark.week_end = a, b
            mark.rest = _without_parens(tail)
        return mark

    m = _CN_MONTH.match(plain) or _EN_MONTH.match(plain)
    if m and m.start() == 0:
        a, b = _num(m.group("a")), _num(m.group("b"))
        if a is None:
            return None
        mark = TimeMark("month", raw, month_start=a, month_end=b or a, open_ended=bool(m.group("open")), rest=_rest_after(plain, m.end()))
        wm = _CN_WEEK.search(plain, m.end()) or _EN_WEEK.search(plain, m.end())
        if wm and wm.start() - m.end() < 6:
            mark.level = "week"
            mark.week_start, mark.week_end = _week_numbers(wm)
            mark.rest = _rest_after(plain, wm.end())
        return mark

    m = _CN_WEEK.match(plain) or _EN_WEEK.match(plain)
    if m and m.start() == 0:
        a, b = _week_numbers(m)
        if a is None:
            return None
        mark = TimeMark("week", raw, week_start=a, week_end=b, rest=_rest_after(plain, m.end()))
        d = _DATE_RANGE.search(plain, m.end())
        if d and d.start() - m.end() < 4:
            mark.dates = _dates(d)
        return mark
    return None


def _week_numbers(m: re.Match) -> tuple[int | None, int | None]:
    g = m.groupdict()
    a = _num(g.get("a") or g.get("c"))
    b = _num(g.get("b") or g.get("d"))
    if a is None:
        return None, None
    if b is None or b < a:
        b = a
    return a, b


def _dates(m: re.Match):
    y1 = int(m.group("y1")) if m.group("y1") else None
    start = (y1, int(m.group("m1")), int(m.group("d1")))
    if m.group("m2"):
        y2 = int(m.group("y2")) if m.group("y2") else y1
        end = (y2, int(m.group("m2")), int(m.group("d2")))
    else:
        end = (y1, start[1], int(m.group("dd")))
    if not (1 <= start[1] <= 12 and 1 <= start[2] <= 31 and 1 <= end[1] <= 12 and 1 <= end[2] <= 31):
        return None
    return start, end


def month_weeks(month_start: int | None, month_end: int | None) -> tuple[int | None, int | None]:
    """The weeks of the plan that months month_start..month_end cover."""
    if month_start is None:
        return None, None
    end = month_end or month_start
    return (month_start - 1) * WEEKS_PER_MONTH + 1, end * WEEKS_PER_MONTH


def absolute_weeks(week_start: int, week_end: int, month_start: int | None) -> tuple[int, int]:
    """Weeks as counted from the plan's start. Small week numbers under a month after the first
    one are read as counted inside that month (周1-2 under 第2个月 = weeks 5-6); numbers past
    four are already absolute (Month 2 / Week 5-6)."""
    if month_start and month_start > 1 and week_end <= WEEKS_PER_MONTH + 1 and week_start <= WEEKS_PER_MONTH:
        shift = (month_start - 1) * WEEKS_PER_MONTH
        return week_start + shift, week_end + shift
    return week_start, week_end


def resolve_date(month: int, day: int, year: int | None, today: date) -> date | None:
    """A month.day with no year: the latest such date not more than ~two months after today."""
    try:
        if year:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        if (candidate - today).days > 62:
            candidate = date(today.year - 1, month, day)
        return candidate
    except ValueError:
        return None
