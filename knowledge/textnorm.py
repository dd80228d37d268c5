"""Text normalisation shared by everything that reads what people type.

`normalise` is applied before any lookup (gazetteer, lexicon, segmentation), so every dictionary in the
project holds normalised forms only:

* Unicode NFKC: full-width digits and letters become ASCII ("４岁" -> "4岁"). Chinese punctuation
  (full-width "，？！：（）" and the ideographic "、。") is kept as it is: NFKC would turn "，" into ",".
* traditional -> simplified with OpenCC's t2s ("崇明區" -> "崇明区").
* whitespace (including the ideographic space U+3000) collapsed to one ASCII space, trimmed.

Numbers: `parse_number` reads a number written in any way people write one ("4", "４", "四", "两",
"十七", "一百二十") with cn2an; `find_numbers` finds them inside a sentence with the unit that follows.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise", "to_simplified", "parse_number", "find_numbers", "UNITS"]

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
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿廿卅壹贰叁肆伍陆柒捌玖拾佰仟"
UNITS = ("周岁", "岁", "个月", "月", "年", "级")
_NUMBER = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|[" + _CN_DIGITS + r"]+)"
    r"(?:\s*(?P<unit>" + "|".join(UNITS) + r"))?"
)


def parse_number(text: str) -> int | None:
    """A whole number written any way ("4", "４", "四", "两", "十七", "一百二十") -> int, else None."""
    if text is None:
        return None
    s = _SPACE.sub("", unicodedata.normalize("NFKC", str(text)))
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
        value = parse_number(m.group("num"))
        if value is None:
            continue
        out.append((m.start(), m.end(), value, m.group("unit")))
    return out
