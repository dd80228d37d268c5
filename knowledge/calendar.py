"""Ages as people say them, counted on the calendar from the day they are said, in whole years (周岁),
the rules' own meaning of an age.

    ages("明年开春满十八", date(2026, 12, 7))      -> [Age(17, 17, …)]   the birthday is still to come
    ages("再过俩月就七周岁了", date(2026, 12, 7))   -> [Age(6, 6, …)]
    ages("上个月刚满六十", date(2026, 12, 7))       -> [Age(60, 60, …)]
    ages("虚岁八岁", date(2026, 12, 7))             -> [Age(6, 7, …)]     虚岁 counts from 1 at birth
    ages("属猴的", date(2026, 12, 7), most=17)      -> [Age(9, 10, …)]    the monkey year 2016, for a child
    ages("1958年生的", date(2026, 12, 7))           -> [Age(67, 68, …)]
    ages("还没满六岁", date(2026, 12, 7))           -> [Age(0, 5, …)]
    ages("下礼拜过八岁生日", date(2026, 12, 7))     -> [Age(7, 7, …)]

An age is a range (low, high) where the words cannot pin it down (a birthday this year with no month, a
zodiac year that straddles two calendar years): the conversation takes it only where every age in it
gives the same answers, and otherwise asks. A zodiac sign alone fits an age every twelve years: it gives
an age only when the person is known to be a child (`most`) or another number narrows it.

Time words are read by JioNLP's time parser (明年, 明年三月, 明年春天, 年底, 两个月后); the few everyday
words it does not take (下个月, 上个月, 开春, 过了年, 月底) are mapped here to the days they mean. The
lunar new year of each zodiac year comes from JioNLP's lunar calendar.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from .textnorm import parse_number

__all__ = ["Age", "ages", "span", "zodiac_ages", "ZODIAC"]

ZODIAC = "鼠牛虎兔龙蛇马羊猴鸡狗猪"  # 鼠 is the sign of 2020, 2008, 1996 …
_NUM = r"[\d〇零一二两俩仨三四五六七八九十百]+"


@dataclass(frozen=True)
class Age:
    low: int
    high: int
    start: int  # the words it was read from, in the text
    end: int


def _months_from(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def _month_span(d: date) -> tuple[date, date]:
    first = d.replace(day=1)
    return first, _months_from(first, 1) - timedelta(days=1)


def _spring_festival(year: int) -> date:
    return _lunar_new_year(year)


def span(words: str, today: date) -> tuple[date, date] | None:
    """The days a time expression can mean, from `today`: (first, last); None when it is not one."""
    words = re.sub(r"(?<=月)份", "", words.strip())
    if not words:
        return None
    n = re.fullmatch(r"(?:再过|还有|还差|差)?(?P<n>" + _NUM + r")个?(?:多)?月(?:以后|之后|后)?", words)
    if n and (words.startswith(("再过", "还有", "还差", "差")) or words.endswith(("以后", "之后", "后"))):
        months = parse_number(n.group("n"))
        if months is not None:
            at = _months_from(today, months)
            return at - timedelta(days=15), at + timedelta(days=15)
    days = re.fullmatch(r"(?:再过|还有|还差|差)(?P<n>" + _NUM + r"|十几|几|二十几)天", words)
    if days:  # "还差十几天满六岁": a few days or weeks from today
        low, high = {"十几": (10, 19), "几": (2, 9), "二十几": (20, 29)}.get(days.group("n"), (None, None))
        if low is None:
            low = high = parse_number(days.group("n"))
        if low is not None:
            return today + timedelta(days=low), today + timedelta(days=high)
    month = re.fullmatch(r"(?P<m>[一二三四五六七八九十\d]{1,2})月", words)
    if month:  # a month alone is this year's ("三月份满的七岁"); JioNLP reads it as three months
        m = parse_number(month.group("m"))
        return _month_span(date(today.year, m, 1)) if m and 1 <= m <= 12 else None
    if words in ("下个月", "下月"):
        return _month_span(_months_from(today.replace(day=1), 1))
    if words in ("上个月", "上月"):
        return _month_span(_months_from(today.replace(day=1), -1))
    if words in ("这个月", "本月"):
        return _month_span(today)
    if words in ("月底", "这个月底"):
        first, last = _month_span(today)
        return last - timedelta(days=10), last
    if words in ("开春", "明年开春", "过了年", "过完年", "年后", "明年年初", "开年"):
        new_year = _spring_festival(today.year + (today >= _spring_festival(today.year)))
        return new_year - timedelta(days=30), new_year + timedelta(days=75)
    if words in ("马上", "快", "快要", "就要", "眼看", "眼看着"):
        return today + timedelta(days=1), today + timedelta(days=90)
    if words in ("刚", "刚刚", "才", "前几天", "前些天"):
        return today - timedelta(days=90), today
    return _jionlp_span(words, today)


def _jionlp_span(words: str, today: date) -> tuple[date, date] | None:
    import jionlp  # noqa: F401  (its tables load once, a second or so)
    from jionlp import parse_time

    try:
        parsed = parse_time(words, time_base={"year": today.year, "month": today.month, "day": today.day})
    except Exception:  # a phrase it does not take raises; it is not a time then
        return None
    if parsed.get("type") not in ("time_point", "time_span"):
        return None
    first, last = parsed["time"]
    start = date.fromisoformat(first[:10])
    end = date.fromisoformat(last[:10]) if last[:1].isdigit() else start + timedelta(days=31)
    return start, end


@lru_cache(maxsize=None)
def _lunar_new_year(year: int) -> date:
    from jionlp import lunar2solar

    return lunar2solar(year, 1, 1).date()


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def zodiac_ages(sign: str, today: date, least: int = 0, most: int = 120) -> list[tuple[int, int]]:
    """The ages someone born in a `sign` year can be today, one range per such year, between least and
    most: a lunar year runs from one new year to the next, so each gives two ages at most."""
    index = ZODIAC.index(sign)
    out = []
    year = today.year - ((today.year - 2020 - index) % 12)
    while today.year - year <= most + 1:
        if year >= 1900:
            first, last = _lunar_new_year(year), _lunar_new_year(year + 1) - timedelta(days=1)
            if first <= today:
                low, high = _age_on(min(last, today), today), _age_on(first, today)
                if high >= least and low <= most:
                    out.append((max(low, least), min(high, most)))
        year -= 12
    return out


# What the words around a number say of it. Each pattern has the group "n" (the number of years said);
# "when" (a time word) where the words say when that age is or was reached.
_WHEN = (r"(?:明年|今年|去年|后年)?(?:[一二三四五六七八九十\d]{1,2}月(?:份|底|初)?|春天|开春|年初|年底|上半年|下半年)|"
         r"明年|今年|去年|后年|年后|过了年|过完年|开春(?:以后)?|下个?月|上个?月|这个月|月底|"
         r"(?:再过|还有|还差|差)" + _NUM + r"个?月|(?:再过|还有|还差|差)(?:" + _NUM + r"|十几|几|二十几)天")
_REACH = re.compile(r"(?P<when>" + _WHEN + r")?(?P<adv>就要|就|才|刚|将|要|会)?满(?:的|了)?(?P<n>" + _NUM
                    + r")(?:周)?岁?")
_WILL_BE = re.compile(r"(?P<when>" + _WHEN + r")(?:就|才|要|就要)(?P<n>" + _NUM + r")(?:周)?(?:岁|了)")
_SOON = re.compile(r"(?P<when>马上|快要|快|就要|眼看着?)(?:就|要)?(?:满)?(?P<n>" + _NUM + r")(?:周)?岁")
_JUST = re.compile(r"(?P<when>刚刚|刚)(?:过|满)?(?P<n>" + _NUM + r")(?:周)?岁")
_NOT_YET = re.compile(r"(?:还没有|还没|没有|没|还不到|不到|不满|未满|还未)满?(?P<n>" + _NUM + r")(?:周)?岁")
# "下礼拜过八岁生日", "上个月刚过了六十岁生日", "要过七岁生日了": the birthday on which that age is reached
_BIRTHDAY = re.compile(r"(?P<when>" + _WHEN + r"|下个?礼拜|下个?星期|下周|明天|后天|前几天|上个?礼拜|上个?星期|上周|昨天)?"
                       r"(?P<adv>就要|就|才|刚刚|刚|将|要|快)?过(?P<done>了|完)?(?P<n>" + _NUM + r")(?:周)?岁(?:的)?生日")
_NOMINAL = re.compile(r"虚岁(?:是|有|才|都)?(?P<n>" + _NUM + r")岁?")
_SIGN = re.compile(r"属(?P<sign>[" + ZODIAC + r"])")
_BORN = re.compile(r"(?P<y>(?:19|20)\d{2}|[一二][九〇零][〇零一二三四五六七八九]{2})年(?:(?P<m>\d{1,2}|十[一二]?|[一二三四五六七八九])月(?:份)?"
                   r"(?:(?P<d>\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])(?:日|号))?|(?P<when>[正腊冬]月|国庆节?|春节|过年|年初|年底|年中))?"
                   r"(?:里|那天|那会儿?|的时候|前后)?(?:出生|生的|生人|生)")


def _born_between(m: re.Match) -> tuple[date, date]:
    """The first and last day a birth "2020年国庆节那天生的", "2019年正月里", "2015年3月" can have been on."""
    year = parse_number(m.group("y"))  # "2020", "二〇二二"
    month = parse_number(m.group("m")) if m.group("m") else None  # "3", "十"
    day = parse_number(m.group("d")) if m.group("d") else None  # "2020年12月20号"
    if month and 1 <= month <= 12 and day:
        try:
            return date(year, month, day), date(year, month, day)
        except ValueError:
            pass  # "2月30号": the month is still said
    if month and 1 <= month <= 12:
        return _month_span(date(year, month, 1))
    when = m.group("when") or ""
    if when.startswith("国庆"):
        return date(year, 10, 1), date(year, 10, 7)
    if when in ("正月", "春节", "过年"):  # the first lunar month
        first = _lunar_new_year(year)
        return first - timedelta(days=7 if when != "正月" else 0), first + timedelta(days=29)
    if when == "腊月":  # the twelfth lunar month: the weeks before the next new year
        nxt = _lunar_new_year(year + 1)
        return nxt - timedelta(days=30), nxt - timedelta(days=1)
    if when == "冬月":
        nxt = _lunar_new_year(year + 1)
        return nxt - timedelta(days=60), nxt - timedelta(days=29)
    if when == "年初":
        return date(year, 1, 1), date(year, 2, 28)
    if when == "年中":
        return date(year, 5, 1), date(year, 8, 31)
    if when == "年底":
        return date(year, 11, 1), date(year, 12, 31)
    return date(year, 1, 1), date(year, 12, 31)


def ages(text: str, today: date | None = None, least: int = 0, most: int = 120) -> list[Age]:
    """Every age the words of `text` say by the calendar (see the module doc), where they say one."""
    today = today or date.today()
    out: list[Age] = []
    taken: list[tuple[int, int]] = []

    def add(low: int, high: int, m: re.Match) -> None:
        if any(a < m.end() and m.start() < b for a, b in taken):
            return
        low, high = max(low, 0), min(high, 120)
        if low <= high:
            out.append(Age(low, high, m.start(), m.end()))
            taken.append(m.span())

    for m in _NOT_YET.finditer(text):  # "还没满六岁": under six, any age below it
        n = parse_number(m.group("n"))
        if n:
            add(0, n - 1, m)
    for pattern in (_WILL_BE, _SOON, _JUST):
        for m in pattern.finditer(text):
            n = parse_number(m.group("n"))
            when = span(m.group("when"), today)
            if n is None or when is None:
                continue
            add(*_reaching(n, when, today), m)
    for m in _BIRTHDAY.finditer(text):
        n = parse_number(m.group("n"))
        if n is None:
            continue
        when = span(m.group("when"), today) if m.group("when") else None
        if when is not None:
            add(*_reaching(n, when, today), m)
        elif m.group("done") or m.group("adv") in ("刚", "刚刚"):
            add(n, n, m)  # "刚过了八岁生日": reached
        elif m.group("adv") in ("就要", "将", "要", "快"):
            add(n - 1, n - 1, m)  # "快过八岁生日了": still to come
    for m in _REACH.finditer(text):
        n = parse_number(m.group("n"))
        if n is None:
            continue
        when = span(m.group("when") or "", today) if m.group("when") else None
        if m.group("when") and when is None:
            continue  # words before 满 that are no time: not ours to read
        if m.group("adv") == "刚" or not when:
            add(n, n, m)  # "刚满十八", "满18周岁了": reached
        else:
            add(*_reaching(n, when, today), m)
    for m in _NOMINAL.finditer(text):
        n = parse_number(m.group("n"))
        if n is not None:
            add(n - 2, n - 1, m)
    for m in _BORN.finditer(text):
        first, last = _born_between(m)
        if first <= today:
            add(_age_on(min(last, today), today), _age_on(first, today), m)
    for m in _SIGN.finditer(text):
        found = zodiac_ages(m.group("sign"), today, least, most)
        if len(found) == 1:
            add(*found[0], m)
    return sorted(out, key=lambda a: a.start)


def _reaching(n: int, when: tuple[date, date], today: date) -> tuple[int, int]:
    """The age now of someone who is, was or will be `n` in the days `when`."""
    first, last = when
    if first > today:
        return n - 1, n - 1  # still to come
    if last <= today:
        return n, n  # already reached
    return n - 1, n
