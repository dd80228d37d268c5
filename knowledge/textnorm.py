"""Text normalisation shared by everything that reads what people type.

`normalise` is applied before any lookup (gazetteer, lexicon, segmentation), so every dictionary in the
project holds normalised forms only:

* Unicode NFKC: full-width digits and letters become ASCII ("４岁" -> "4岁"). Chinese punctuation
  (full-width "，？！：（）" and the ideographic "、。") is kept as it is: NFKC would turn "，" into ",".
* traditional -> simplified with OpenCC's t2s ("崇明區" -> "崇明区").
* whitespace (including the ideographic space U+3000) collapsed to one ASCII space, trimmed.

Numbers: `parse_number` reads a number written in any way people write one ("4", "４", "四", "两",
"十七", "一百二十") with cn2an; `find_numbers` finds them inside a sentence with the unit that follows;
`find_quantities` also reads the approximate forms people use for ages and durations ("七十好几",
"快六十了", "三个来月", "一年多", "两三个月", "大半年") as a range of whole numbers.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise", "to_simplified", "parse_number", "find_numbers", "find_quantities", "Quantity",
           "UNITS"]

# Full-width punctuation that NFKC would turn into ASCII punctuation; kept as typed.
_KEEP = frozenset(chr(c) for c in range(0xFF01, 0xFF5F) if not chr(c).isalnum())
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s); other text unchanged."""
    if not text or text.isascii():
        return text
    return _t2s().convert(text)


def _nfkc(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch if ch in _KEEP else unicodedata.normalize("NFKC", ch) for ch in text)


def normalise(text: str) -> str:
    """NFKC (keeping Chinese punctuation), traditional -> simplified, whitespace collapsed."""
    if not text:
        return ""
    return _SPACE.sub(" ", to_simplified(_nfkc(text))).strip()


# --- numbers ----------------------------------------------------------------------------------

# The characters cn2an reads as numerals (its own tables, not ours): digits, units and 两/廿/〇 etc.
_CN_DIGITS = "零〇一二两俩仨三四五六七八九十百千万亿廿卅壹贰叁肆伍陆柒捌玖拾佰仟"
# The units a Chinese numeral ends in when it is round ("九十", "三百"): what comes after one may be a number
# of its own ("今年九十 二级")
ROUND_UNITS = "十百千"
_SPOKEN = str.maketrans({"俩": "两", "仨": "三"})  # "俩月", "仨月": two, three
UNITS = ("周岁", "岁", "个月", "月", "年", "级")
_NUMBER = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|[" + _CN_DIGITS + r"]+)"
    r"(?:\s*(?P<unit>" + "|".join(UNITS) + r"))?"
)


def parse_number(text: str) -> int | None:
    """A whole number written any way ("4", "４", "四", "两", "十七", "一百二十") -> int, else None."""
    if text is None:
        return None
    s = _SPACE.sub("", unicodedata.normalize("NFKC", str(text))).translate(_SPOKEN)
    if not s:
        return None
    if s.isdigit() and s.isascii():
        return int(s)
    import cn2an

    try:
        # "smart" reads Chinese numerals and mixed forms ("1百"); it never guesses from other words
        value = cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return value if isinstance(value, int) else None


def find_numbers(text: str) -> list[tuple[int, int, int, str | None]]:
    """Numbers inside a sentence: (start, end, value, unit) with positions in `text` as given.

    unit is the unit word right after the number (spaces allowed between), one of UNITS, else None:
    "我孩子四岁半" -> [(3, 5, 4, "岁")]; "两个月" -> [(0, 3, 2, "个月")]; "二级" -> [(0, 2, 2, "级")].
    `end` covers the unit. A number that is not whole ("1.5岁") or that cn2an cannot read as a number
    ("万一") is left out.
    """
    out = []
    for m in _NUMBER.finditer(text or ""):
        if _RUN.search(m.group("num")):
            continue  # "两三", "十七八": a range, never the number cn2an would make of it (23, 178)
        value = parse_number(m.group("num"))
        if value is None:
            continue
        unit = m.group("unit")
        if unit == "月" and m.group("num") in ("俩", "仨", "两"):
            unit = "个月"  # "卧床仨月了", "俩月": a count (no month of the year is called so)
        out.append((m.start(), m.end(), value, unit))
    return out


# --- approximate quantities -------------------------------------------------------------------

# Two neighbouring digit words in a row: "两三", "七八" (a range, not 23 or 78).
_DIGIT_WORD = {"一": 1, "二": 2, "两": 2, "俩": 2, "仨": 3, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_RUN = re.compile("[一二两三四五六七八九]{2}")
_CN = "[" + _CN_DIGITS + "]+"
_NUM = r"(?:\d+|" + _CN + ")"
_UNIT = r"(?P<unit>周岁|岁|个月|月|年)"
_QUANTITY = re.compile(
    # 十七八岁, 两三个月, 三四十岁, 七八十
    r"(?<![〇零一二两三四五六七八九十百千\d])(?P<range>(?P<tens>[一二三四五六七八九]?十)?(?P<a>[一二两三四五六七八九])(?P<b>[一二三四五六七八九])(?P<ten>十)?)"
    r"(?:个)?" + _UNIT + "?"
    # 快六十了, 奔七十了, 将近七十, 差不多五十岁, 不到一年, 大概三个月
    r"|(?P<pre>快到|快|奔着|奔|马上就|马上|眼看就|将近|接近|眼看|不到|还不到|没满|还没满|不满|未满|还不满|大概|大约|约|差不多)(?P<pnum>" + _NUM + r")(?:个)?" + _UNIT.replace("unit", "punit") + "?"
    # 差两个月满六岁, 还差半年七十: just under, said by what is missing
    r"|(?:还差|差)(?:一点|[^，,。.;；\s]{1,5}?)(?:就|才)?(?:满|到)?(?P<snum>" + _NUM + r")(?P<sunit>周岁|岁)"
    # 七十多, 七十好几, 二十来岁, 十几岁, 二十出头, 五十左右; 一年多, 三个多月, 三个来月
    r"|(?P<num>" + _NUM + r")(?P<more>多|来|大几|好几|几|出头|左右|上下)(?:个)?" + _UNIT.replace("unit", "munit") + "?"
    r"|(?P<num2>" + _NUM + r")(?P<unit2>个|年)(?P<more2>多|来)(?P<tail>月)?"
    # 半年, 大半年, 小半年, 半年多, 快半年, 不到半年; 一年半
    r"|(?P<half>大半年|小半年|半年多|快半年|不到半年|还不到半年|半年)"
    r"|(?P<yhalf>" + _NUM + r")年半"
    # 六十有二: tens, 有, units (a written way of saying 62)
    r"|(?P<ytens>[二三四五六七八九]?十)有(?P<yunits>[一二三四五六七八九])(?![十百千])"
    # 年过七旬, 刚过花甲, 年近古稀, 七旬老人: an age said by its decade's name
    r"|(?P<epre>年过|年逾|已过|早过|刚过|年近|将近|快到|年届)?(?P<era>[四五六七八九]旬|花甲|古稀|耄耋|半百)"
)
# What the names of a decade of life stand for: 七旬 70, 花甲 60, 古稀 70, 耄耋 80, 半百 50
_ERA = {"花甲": 60, "古稀": 70, "耄耋": 80, "半百": 50}


class Quantity(tuple):
    """(start, end, low, high, unit, approximate): "七十好几" -> (0, 4, 72, 79, None, True).

    `unit` is 岁, 个月, 级 or None; a count of years is given in months ("一年多" -> 13..23 个月), and
    a calendar year ("2016年") is not a quantity."""

    start = property(lambda self: self[0])
    end = property(lambda self: self[1])
    low = property(lambda self: self[2])
    high = property(lambda self: self[3])
    unit = property(lambda self: self[4])
    approximate = property(lambda self: self[5])


def _unit(word: str | None) -> str | None:
    if word in ("岁", "周岁"):
        return "岁"
    if word == "个月":
        return "个月"  # a count; "3月" alone is a month of the year
    return word if word in ("年", "级") else None


def find_quantities(text: str) -> list[Quantity]:
    """Every number in a sentence, exact or approximate, as a range of whole numbers (see Quantity).

    Exact numbers come from find_numbers (low == high, approximate False); the approximate forms are
    read by rule, never guessed: "快六十了" is 58..59, "七十好几" 72..79, "三个来月" 3..4, "一年多"
    13..23 months, "两三个月" 2..3, "大半年" 7..11 months, "半年" exactly 6 months."""
    text = text or ""
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        q = _approximate(m)
        if q is not None:
            found.append(q)
    taken = [(q.start, q.end) for q in found]
    for start, end, value, unit in find_numbers(text):
        if any(a < end and start < b for a, b in taken):
            continue
        if unit == "年":
            if value <= 100:  # 2016年 is a date, not a duration
                found.append(Quantity((start, end, value * 12, value * 12, "个月", False)))
        else:
            found.append(Quantity((start, end, value, value, _unit(unit), False)))
    return sorted(found)


def _approximate(m: re.Match) -> Quantity | None:
    start, end = m.span()
    if m.group("range"):
        a, b = _DIGIT_WORD[m.group("a")], _DIGIT_WORD[m.group("b")]
        if b != a + 1:
            return None
        base = 0
        if m.group("tens"):
            base = 10 * (_DIGIT_WORD.get(m.group("tens")[0], 1) if len(m.group("tens")) == 2 else 1)
        if m.group("ten"):  # 三四十: 30..49
            low, high = base + a * 10, base + b * 10 + 9
        else:
            low, high = base + a, base + b
        unit = _unit(m.group("unit"))
        if unit == "年":
            return Quantity((start, end, low * 12, high * 12 + 11, "个月", True))
        return Quantity((start, end, low, high, unit, True))
    if m.group("snum"):
        n = parse_number(m.group("snum"))
        return Quantity((start, end, n - 1, n - 1, "岁", True)) if n else None
    if m.group("pre"):
        n = parse_number(m.group("pnum"))
        if n is None:
            return None
        unit, pre = _unit(m.group("punit")), m.group("pre")
        if pre in ("不到", "还不到", "没满", "还没满", "不满", "未满", "还不满"):
            low, high = 0, n - 1
        elif pre in ("大概", "大约", "约", "差不多"):
            low, high = max(0, n - 2), n + 2
        else:  # 快, 将近, 马上: just under
            low, high = max(0, n - 2), n - 1
        if unit == "年":
            if pre in ("快", "快到", "奔", "奔着", "马上", "马上就", "眼看就", "将近", "接近", "眼看"):  # 快一年: 10 or 11 months
                return Quantity((start, end, n * 12 - 2, n * 12 - 1, "个月", True))
            if high < low or pre in ("大概", "大约", "约", "差不多"):
                return Quantity((start, end, max(0, n * 12 - 2), n * 12 + 2, "个月", True))
            return Quantity((start, end, 0, n * 12 - 1, "个月", True))
        return Quantity((start, end, low, high, unit, True)) if high >= low else None
    if m.group("num"):
        n = parse_number(m.group("num"))
        if n is None:
            return None
        more, unit = m.group("more"), _unit(m.group("munit"))
        round_ = n % 10 == 0 and n >= 10
        if more in ("多", "几", "好几"):
            if unit == "年" and not round_:  # 一年多: more than a year, under two
                return Quantity((start, end, n * 12 + 1, n * 12 + 11, "个月", True))
            if not round_:
                return None  # 五多: not a form people use
            low = n + (2 if more == "好几" else 1)
            return Quantity((start, end, low, n + 9, unit, True))
        if more == "大几":  # 六十大几: the upper half of the decade
            return Quantity((start, end, n + 5, n + 9, unit, True)) if round_ else None
        if more == "来":
            low, high = (max(0, n - 2), n + 5) if round_ else (n, n + 1)
        elif more == "出头":
            low, high = n + 1, n + 4
        else:  # 左右, 上下
            low, high = max(0, n - 2), n + 2
        if unit == "年":
            return Quantity((start, end, low * 12, high * 12 + 11, "个月", True))
        return Quantity((start, end, low, high, unit, True))
    if m.group("num2"):
        n = parse_number(m.group("num2"))
        if n is None:
            return None
        if m.group("unit2") == "年":  # 一年多, 两年来?
            if m.group("more2") != "多":
                return None
            return Quantity((start, end, n * 12 + 1, n * 12 + 11, "个月", True))
        if not m.group("tail"):
            return None
        if m.group("more2") == "多":  # 三个多月: three whole months and some days
            return Quantity((start, end, n, n, "个月", True))
        return Quantity((start, end, n, n + 1, "个月", True))  # 三个来月
    if m.group("half"):
        half = m.group("half")
        low, high = {"半年": (6, 6), "大半年": (7, 11), "小半年": (4, 5), "半年多": (7, 8), "快半年": (4, 5),
                     "不到半年": (0, 5), "还不到半年": (0, 5)}[half]
        return Quantity((start, end, low, high, "个月", half != "半年"))
    if m.group("ytens"):
        n = parse_number(m.group("ytens")) + _DIGIT_WORD[m.group("yunits")]
        return Quantity((start, end, n, n, None, False))
    if m.group("era"):
        era = m.group("era")
        n = _ERA.get(era) or _DIGIT_WORD[era[0]] * 10
        low, high = {"刚过": (n, n + 2), "年近": (n - 3, n - 1), "将近": (n - 3, n - 1), "快到": (n - 3, n - 1)}.get(
            m.group("epre"), (n + 1, n + 9) if m.group("epre") in ("年过", "年逾", "已过", "早过") else (n, n + 9))
        return Quantity((start, end, low, high, "岁", True))
    if m.group("yhalf"):
        n = parse_number(m.group("yhalf"))
        return None if n is None else Quantity((start, end, n * 12 + 6, n * 12 + 6, "个月", False))
    return None
