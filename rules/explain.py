"""The text layer of the rules: every sentence a verdict's reasons say that is not a rule's own reason
(those are the rule base's data, beside their quotes). The engine (rules/engine.py) decides and gathers
what decided; the words are made here: the facts that decided, who to ask, what an ended plan said, why
a date before a national rule is refer, what is still unknown.

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


def situation(facts, profile: dict) -> str:
    """"您的情况：残疾等级为一级，因残疾需要长期照护。" for the facts that decided a verdict."""
    return "您的情况：" + "，".join(describe(f, profile[f]) for f in facts) + "。"


def known(facts, profile: dict) -> str:
    """"已知：…。" for the facts known so far that an open answer turns on."""
    return "已知：" + "，".join(describe(f, profile[f]) for f in facts) + "。"


# who to ask about a date before a programme's national rule
NOT_IN_FORCE_ASK = "户籍所在地的县级民政部门、残联或乡镇人民政府（街道办事处）"


def ask_office(office: str) -> str:
    return f"请向{office}询问。"


def undecided(missing) -> str:
    """"还不能确定：答案取决于…。" for the facts an answer is waiting on."""
    return "还不能确定：答案取决于" + "、".join(FACTS[f].label for f in missing) + "。"


def ended_plan(citation: str, ended: date, reason: str) -> str:
    """What a plan whose period has ended said, told beside the answer of the text still in force."""
    return (f"{citation}的适用期到{zh_date(ended)}已经结束，上面按现在仍然有效的规定回答。"
            f"这份规定当时是这样说的：{reason}")


def before_national_rule(title: str, as_of: date, first: date, local: bool) -> str:
    """Why a date before a programme's national rule gets refer, not no."""
    head = "收录的当地规定不适用于您的情况，" if local else ""
    return (f"{head}{title}在{zh_date(as_of)}还没有全国统一的规定，国家规定从{zh_date(first)}起实施。"
            f"那时当地有没有自己的办法，本系统没有收录，所以不能说不符合条件。")
