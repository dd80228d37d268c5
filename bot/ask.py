"""`zhucan ask`: the engine's own question loop in the terminal.

It asks only what the rules still need for this person (the engine's next_question), one fact at a
time, and answers as soon as every programme is settled. No model is loaded: it is the quick path for
a caseworker and the fallback when the conversational bot is not built.
"""
from __future__ import annotations

import re
import sys
from datetime import date

QUESTIONS = {
    "region": "户籍在哪里？请说城市或区县，比如 太原、崇明、奉化。",
    "age": "今年多大？请说周岁，比如 5 或 五岁。",
    "has_certificate": "有没有残疾人证？请回答 有 或 没有。",
    "disability_category": "残疾类别是什么？比如 肢体、视力、听力、言语、智力、精神、多重。",
    "disability_grade": "残疾等级是几级？一级最重，请回答 一级 到 四级。",
    "autism": "有没有确诊孤独症？请回答 是 或 否。",
    "needs_long_term_care": "是否因为残疾需要长期有人照护，比如卧床、生活不能自理？请回答 是 或 否。",
    "household": "家里是低保家庭、低保边缘或低收入家庭、特困供养，还是都不是？",
    "in_welfare_institution": "孩子是不是由儿童福利机构收留抚养？请回答 是 或 否。",
    "orphan": "孩子是不是孤儿？请回答 是 或 否。",
    "employed": "现在有没有工作或在做生意？请回答 有 或 没有。",
    "exit_cause": "家里收入增加，是因为就业、自主创业，还是其他原因？",
    "income_above_line": "家里每人每月的收入，现在是否已经超过当地的低保标准？请回答 是 或 否。",
    "months_above_line": "收入超过低保标准已经有几个月了？",
    "months_employed": "开始工作已经有几个月了？",
}
# Who can tell a person a fact they do not know: said with the verdicts that still need it.
_CASL = "残疾人证由县级残联发放，证上写着残疾类别和等级，可以问户籍所在地的县级残联。"
_DIBAO = "低保标准和家庭收入怎么算，可以问户籍所在地的乡镇人民政府或街道办事处。"
WHO_KNOWS = {
    "has_certificate": _CASL,
    "disability_category": _CASL,
    "disability_grade": _CASL,
    "autism": "孤独症要由医院诊断，可以问给孩子看病的医院。",
    "needs_long_term_care": "是否需要长期照护，可以问户籍所在地的县级残联。",
    "household": "家里是不是低保、低保边缘或特困，可以问户籍所在地的乡镇人民政府、街道办事处或村居委会。",
    "income_above_line": _DIBAO,
    "months_above_line": _DIBAO,
    "exit_cause": _DIBAO,
    "in_welfare_institution": "孩子的安置情况，可以问当地民政部门。",
    "orphan": "孩子的安置情况，可以问当地民政部门。",
}
WHO_KNOWS_DEFAULT = "可以问户籍所在地的乡镇人民政府、街道办事处或县级残联。"
DONT_KNOW = ("不知道", "不清楚", "不确定", "跳过")


def unsure_sentence(facts: list[str]) -> str:
    """"您说不清楚的：…。" for the facts a person does not know ("" for none)."""
    from rules.facts import FACTS

    return "您说不清楚的：" + "、".join(FACTS[f].label for f in facts) + "。" if facts else ""


def who_knows(facts: list[str]) -> str:
    """The facts a person does not know, and who can tell them (each office named once)."""
    offices = dict.fromkeys(WHO_KNOWS.get(f, WHO_KNOWS_DEFAULT) for f in facts)
    return unsure_sentence(facts) + "".join(offices)
def ask_loop(as_of: date, programs: list[str] | None = None, stdin=sys.stdin, stdout=sys.stdout) -> int:
    from bot.render import render_result
    from rules.engine import evaluate, next_question
    from rules.facts import FACTS, ProfileError, parse_value

    profile: dict = {}
    unsure: list[str] = []  # answered 不知道: not asked again, never taken as a no
    print("我会只问判断需要的问题。不知道的可以说 不知道。随时可以输入 重新开始 或 退出。", file=stdout)
    while True:
        report = evaluate(profile, programs, as_of)
        fact = next_question(report.results, skip=unsure)
        if fact is None:
            for result in report.results:
                print("\n" + render_result(result.to_json()), file=stdout)
            if unsure:
                print("\n" + who_knows(unsure), file=stdout)
            return 0
        print("\n" + QUESTIONS[fact], file=stdout)
        while True:
            stdout.flush()
            line = stdin.readline()
            if not line or line.strip() in ("退出", "quit", "exit"):
                return 0
            if line.strip() == "重新开始":
                profile, unsure = {}, []
                break
            if line.strip() in DONT_KNOW:
                unsure.append(fact)
                break
            try:
                profile[fact] = parse_value(fact, line)
                break
            except ProfileError as err:
                said = re.search(r"请回答 [^。]+", QUESTIONS[fact])  # the words the question offers
                hint = (str(err.__cause__) if fact == "region" and err.__cause__
                        else said.group() if said else FACTS[fact].allowed_zh())
                print(f"没听明白。{hint}。", file=stdout)
