"""Plain Chinese for facts and dates: how a verdict names the conditions that decided it.

How each fact's values are said lives with the fact (knowledge/facts.yaml); this module adds dates.
"""
from __future__ import annotations

from datetime import date

from knowledge.facts import FACTS

_ZH_DIGITS = "零一二三四五六七八九"


def grade_zh(grade: int) -> str:
    return _ZH_DIGITS[grade] + "级" if 0 <= grade <= 9 else f"{grade}级"


def describe(fact: str, value) -> str:
    """One fact as a short clause: describe("disability_grade", 2) == "残疾等级为二级"."""
    spec = FACTS.get(fact)
    return spec.describe(value) if spec else f"{fact}：{value}"


def zh_date(d: date | str) -> str:
    if isinstance(d, str):
        d = date.fromisoformat(d)
    return f"{d.year}年{d.month}月{d.day}日"
