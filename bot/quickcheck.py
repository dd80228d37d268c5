"""The caseworker's one-message check (Telegram /check): a situation in, every programme out.

No dialogue and no model: the rule-based extraction (bot.nlu.extract) reads the facts, the engine
answers every programme, and the answer says what was understood, so a misread fact is seen at once.
"""
from __future__ import annotations

from datetime import date

from bot.render import LIMIT, VERDICT_ORDER, render_result
from bot.text import split_message


def profile_from_text(text: str) -> tuple[dict, list[str]]:
    """(profile, problems): the valid facts in the text, and a sentence for each value refused."""
    from rules.facts import parse_value
    from bot.nlu.extract import extract
    from rules.facts import FACTS, ProfileError

    profile: dict = {}
    problems: list[str] = []
    for ent in extract(text):
        fact, raw = ent["entity"], ent["value"]
        if fact not in FACTS:
            continue
        try:
            profile[fact] = parse_value(fact, raw)  # "true", "4", "140100" -> the profile's value
        except ProfileError as err:
            hint = str(err.__cause__) if fact == "region" and err.__cause__ else FACTS[fact].allowed_zh()
            problems.append(f"{FACTS[fact].label}“{ent.get('text', raw)}”不能用：{hint.rstrip('。')}。")
    return profile, problems


def understood(profile: dict) -> str:
    from rules.explain import describe
    from rules.facts import FACTS

    if not profile:
        return "没有读出任何情况。请写明户籍地、年龄、残疾类别和等级、是否持证、家庭低保情况等。"
    return "读到的情况：" + "，".join(describe(f, profile[f]) for f in FACTS if f in profile) + "。"


async def quick_check(text: str, as_of: date | None = None) -> list[str]:
    """Every programme for one situation, as plain-text messages of at most LIMIT characters."""
    from rules.engine import evaluate

    from bot.nlu.normalise import MAX_CHARS, clip

    profile, problems = profile_from_text(clip(text))
    if len(text) > MAX_CHARS:
        problems.append(f"消息很长，只读了前{MAX_CHARS}个字。")
    report = evaluate(profile, None, as_of or date.today())
    messages = [understood(profile) + "".join(problems)]
    for result in sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict]):
        messages.append(render_result(result.to_json(), with_apply=False))
    return [part for message in messages for part in split_message(message, LIMIT)]
