"""The caseworker's one-message check (Telegram /check): a situation in, every programme out.

No dialogue and no model: bot.nlu.understand reads the facts (the same reader as the chat), the engine
answers every programme, and the answer says what was understood, so a misread fact is seen at once.
What the words only suggest ("手脚不利索") is named as such and left out of the check.
"""
from __future__ import annotations

from datetime import date

from bot.conversation.render import LIMIT, render_answer
from bot.conversation.text import split_message


def profile_from_text(text: str) -> tuple[dict, list[str]]:
    """(profile, problems): the facts the text states, and a sentence for each value refused, each
    place that names several places or none, and each value the words only suggest."""
    from bot.nlu.understand import understand
    from bot.conversation.questions import place_problem, plan_places, problem
    from rules.facts import FACTS

    reading = understand(text, prefer=plan_places())
    problems = [f"{FACTS[fact].label}“{said}”不能用：{problem(fact, said)}" for fact, said in reading.rejected.items()]
    for words in reading.places:
        problems.append(f"{FACTS['region'].label}“{words}”不能用：{place_problem(words)[0]}")
    for fact, value in reading.confirm.items():
        problems.append(f"可能是{FACTS[fact].describe(value)}，没有算进去，请写明。")
    return dict(reading.facts), problems


def understood(profile: dict) -> str:
    from rules.explain import describe
    from rules.facts import FACTS

    if not profile:
        return "没有读出任何情况。请写明户籍地、年龄、残疾类别和等级、是否持证、家庭低保情况等。"
    return "读到的情况：" + "，".join(describe(f, profile[f]) for f in FACTS if f in profile) + "。"


async def quick_check(text: str, as_of: date | None = None) -> list[str]:
    """Every programme for one situation, as plain-text messages of at most LIMIT characters: what
    was read, then the answer first (bot.conversation.render.render_answer), every programme explained."""
    from rules.engine import evaluate

    from bot.nlu.normalise import MAX_CHARS, clip

    profile, problems = profile_from_text(clip(text))
    if len(text) > MAX_CHARS:
        problems.append(f"消息很长，只读了前{MAX_CHARS}个字。")
    report = evaluate(profile, None, as_of or date.today())
    messages = [understood(profile) + "".join(problems)]
    messages += render_answer([r.to_json() for r in report.results], profile, details_of_all=True)
    return [part for message in messages for part in split_message(message, LIMIT)]
