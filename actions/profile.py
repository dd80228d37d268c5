"""Slots to profile: every value the engine sees is checked here first.

A slot holds whatever reached it: a canonical entity value from the NLU ("physical", "140100",
"true", "4"), a user's own words for a place the NLU could not pin down ("朝阳"), or anything at all
forced with Rasa's `/inform{"age": 200}` syntax. `canonical` turns a slot value into the profile's own
value (rules.facts.check_value; places through the gazetteer) or raises BadValue with a short plain
Chinese sentence that says what was wrong. `checked_profile` does that for every profile slot, so
that no action ever hands the engine a value that did not pass.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Iterable

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from rules.facts import FACTS, ProfileError, check_value

PROGRAMS_SLOT = "programs"
LAST_RESULTS_SLOT = "last_results"
UNSURE_SLOT = "unsure"
PROGRAM_ENTITY = "program"
# The lexicon names both subsidies at once with one value: "living_subsidy+care_subsidy".
PROGRAM_JOIN = "+"
SHOWN_MAX = 20  # characters of a bad value repeated back to the user
_LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９\s\-]{5,}[0-9０-９Xx]")

_NUMBER_WORDS = {
    # fact: (what it is called in a sentence, unit)
    "age": ("年龄", "岁"),
    "months_above_line": ("收入超过低保标准的月数", "个月"),
    "months_employed": ("开始工作的月数", "个月"),
}


class BadValue(ValueError):
    """A slot value that is not a valid profile value; `message` is what the user is told."""

    def __init__(self, fact: str, value: Any, message: str, choices: Iterable[str] = ()):
        self.fact, self.value, self.message = fact, value, message
        self.choices = list(choices)  # place names the user could mean
        super().__init__(message)


def shown(value: Any) -> str:
    """A value as it may be repeated to the user: printable, plain, short, and no long digit runs (a
    phone or ID-card number typed where a place or an age was expected is not read back)."""
    from bot.text import plain

    text = "".join(ch for ch in str(value) if unicodedata.category(ch)[0] != "C")
    text = _LONG_NUMBER.sub("这串数字", plain(text).replace("\n", " "))
    return text[:SHOWN_MAX]


# --- one value ------------------------------------------------------------------------------------

def canonical(fact: str, value: Any) -> Any:
    """The profile value of a slot value, or BadValue with a sentence for the user."""
    if fact == "region":
        return resolve_place(value)
    try:
        if isinstance(value, str):
            from rules.facts import parse_value

            return parse_value(fact, value)
        return check_value(fact, value)
    except ProfileError:
        raise BadValue(fact, value, problem(fact, value)) from None


def problem(fact: str, value: Any) -> str:
    """What was wrong with a value, in one or two short sentences."""
    spec = FACTS[fact]
    said = shown(value)
    if fact == "disability_grade":
        number = _number(value)
        if number is not None:
            return f"残疾等级只有一级到四级，一级最重。您说的是{shown(number)}级。"
        return f"残疾等级只有一级到四级，一级最重。“{said}”不是一个等级。"
    if spec.kind == "int":
        name, unit = _NUMBER_WORDS.get(fact, (spec.label, ""))
        number = _number(value)
        if number is not None:
            return f"{name}要在{spec.low}到{spec.high}{unit}之间，您说的是{shown(number)}{unit}。"
        return f"{name}要说一个{spec.low}到{spec.high}之间的整数，“{said}”不是。"
    if spec.kind == "enum":
        return f"{spec.label}没有“{said}”这一种，可以是：{'、'.join(enum_words(fact))}。"
    return f"{spec.label}这一项，“{said}”不是有效的回答。"


def _number(value: Any) -> int | float | None:
    """The number a bad value was meant to be, to repeat it back ("200" → 200), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else value
    if isinstance(value, str):
        from knowledge.textnorm import parse_number

        return parse_number(value.strip().rstrip("岁级个月"))
    return None


def enum_words(fact: str) -> list[str]:
    """The words for each value of a closed-set fact, as a user could type them."""
    from knowledge.lexicon import lexicon

    words = []
    for value in FACTS[fact].values:
        if fact == "household" and value == "none":
            words.append("都不是")
        else:
            label = lexicon().label(fact, value)
            words.append(label.removesuffix("残疾") if fact == "disability_category" else label)
    return words


def resolve_place(value: Any) -> str:
    """A place name or code → its 6-digit code; an unknown or ambiguous name → BadValue with choices."""
    from knowledge.gazetteer import AmbiguousPlace, PlaceError, gazetteer

    if not isinstance(value, str) or not value.strip():
        raise BadValue("region", value, "请说户籍所在的省、市或区县的名称，比如：山西省太原市。")
    try:
        return gazetteer().resolve(value).code
    except AmbiguousPlace as err:
        names = [p.full_name for p in err.candidates]
        raise BadValue("region", value,
                       f"“{shown(value)}”可能是{len(names)}个地方：{'、'.join(names)}。", names) from None
    except PlaceError as err:
        names = [p.full_name for p in err.candidates[:4]]
        text = f"没有找到“{shown(value)}”这个地方。"
        if names:
            text += f"您是不是指：{'、'.join(names)}？"
        raise BadValue("region", value, text, names) from None


def place_choices(value: Any) -> list[str]:
    """The places a user's words could mean when they do not name exactly one place."""
    try:
        resolve_place(value)
    except BadValue as bad:
        return bad.choices
    return []


# --- the whole profile --------------------------------------------------------------------------------

def profile_from_slots(slots: dict) -> tuple[dict, dict[str, BadValue]]:
    """(profile, bad): the valid facts in canonical form, and what was wrong with the others."""
    profile: dict = {}
    bad: dict[str, BadValue] = {}
    for fact in FACTS:
        value = slots.get(fact)
        if value is None:
            continue
        try:
            profile[fact] = canonical(fact, value)
        except BadValue as err:
            bad[fact] = err
    return profile, bad


def checked_profile(tracker: Tracker, dispatcher: CollectingDispatcher) -> tuple[dict, list]:
    """The profile for the engine, re-validating every profile slot however it was set.

    A bad value is cleared (SlotSet None) and the user told why; a value that is valid but not in
    canonical form ("true", "太原") is stored in canonical form."""
    profile, bad = profile_from_slots(tracker.slots)
    events = []
    for fact, err in bad.items():
        dispatcher.utter_message(text=err.message)
        events.append(SlotSet(fact, None))
    for fact, value in profile.items():
        if tracker.get_slot(fact) != value or type(tracker.get_slot(fact)) is not type(value):
            events.append(SlotSet(fact, value))
    return profile, events


# --- which programmes ---------------------------------------------------------------------------------

def programme_ids() -> list[str]:
    from rules.model import load_programs

    return list(load_programs())


def valid_programs(value: Any) -> list[str]:
    """Programme ids from a slot or entity value (a list, one id, or ids joined by "+"), known ones only."""
    known = programme_ids()
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for pid in item.split(PROGRAM_JOIN):
            if pid in known and pid not in out:
                out.append(pid)
    return out


def scope(tracker: Tracker) -> list[str]:
    """The programmes asked about; [] means all of them."""
    return valid_programs(tracker.get_slot(PROGRAMS_SLOT) or [])


def asked_programs(tracker: Tracker) -> list[str]:
    """Programmes named in the latest message."""
    return valid_programs([e.get("value") for e in entities(tracker, PROGRAM_ENTITY)])


def entities(tracker: Tracker, kind: str) -> list[dict]:
    message = tracker.latest_message or {}
    return [e for e in message.get("entities") or [] if isinstance(e, dict) and e.get("entity") == kind]


def evaluate(profile: dict, programs: list[str]):
    """The engine's report for a checked profile, as of today."""
    from rules.engine import evaluate as run

    return run(profile, programs or None, date.today())


def next_fact(profile: dict, programs: list[str], skip: Iterable[str] = ()) -> str | None:
    """The one fact that settles the most of the programmes asked about, leaving out the facts in
    `skip`; None when all are settled or only skipped facts would settle them."""
    from rules.engine import next_question

    return next_question(evaluate(profile, programs).results, skip)


def unsure_facts(tracker: Tracker) -> list[str]:
    """The facts the user said they do not know and has not given since."""
    return [f for f in tracker.get_slot(UNSURE_SLOT) or [] if f in FACTS and tracker.get_slot(f) is None]


def title(program: str) -> str:
    from rules.model import load_programs

    return load_programs()[program].title
