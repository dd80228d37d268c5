"""Plain Chinese for facts and dates: how a verdict names the conditions that decided it."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

_ZH_DIGITS = "零一二三四五六七八九"


def grade_zh(grade: int) -> str:
    return _ZH_DIGITS[grade] + "级" if 0 <= grade <= 9 else f"{grade}级"


@lru_cache(maxsize=1)
def _lexicon():
    from knowledge.lexicon import lexicon

    return lexicon()


@lru_cache(maxsize=256)
def place_name(code: str) -> str:
    from knowledge.gazetteer import NATIONAL, gazetteer

    if code == NATIONAL:
        return "全国"
    try:
        return gazetteer().get(code).full_name
    except KeyError:
        return code


_BOOL = {
    "has_certificate": ("持有残疾人证", "没有残疾人证"),
    "autism": ("确诊孤独症", "没有确诊孤独症"),
    "needs_long_term_care": ("因残疾需要长期照护", "不需要长期照护"),
    "in_welfare_institution": ("由儿童福利机构收留抚养", "不在儿童福利机构生活"),
    "orphan": ("是孤儿", "不是孤儿"),
    "employed": ("现在有工作或在经营", "现在没有工作"),
    "income_above_line": ("家庭人均收入已超过当地低保标准", "家庭人均收入没有超过当地低保标准"),
}
_HOUSEHOLD = {
    "dibao": "是低保家庭",
    "low_income": "是低保边缘或低收入家庭",
    "tekun": "是特困供养人员",
    "none": "不是低保、低保边缘、低收入或特困家庭",
}
_EXIT = {"employment": "收入增加是因为就业", "self_employment": "收入增加是因为自主创业",
         "other": "收入增加是因为就业、创业以外的原因"}


def describe(fact: str, value) -> str:
    """One fact as a short clause: describe("disability_grade", 2) == "残疾等级为二级"."""
    if fact in _BOOL:
        return _BOOL[fact][0 if value else 1]
    if fact == "region":
        return f"户籍在{place_name(value)}"
    if fact == "age":
        return f"{value}岁"
    if fact == "disability_category":
        return f"残疾类别为{_lexicon().label('disability_category', value)}"
    if fact == "disability_grade":
        return f"残疾等级为{grade_zh(value)}"
    if fact == "household":
        return _HOUSEHOLD[value]
    if fact == "exit_cause":
        return _EXIT[value]
    if fact == "months_above_line":
        return f"收入超过低保标准已有{value}个月"
    if fact == "months_employed":
        return f"开始工作已有{value}个月"
    return f"{fact}：{value}"


def zh_date(d: date | str) -> str:
    if isinstance(d, str):
        d = date.fromisoformat(d)
    return f"{d.year}年{d.month}月{d.day}日"
