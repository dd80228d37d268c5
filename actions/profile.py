"""Slots to profile: every value the engine sees is checked here first.

A slot holds whatever reached it: a canonical entity value from the NLU ("physical", "140100",
"true", "4"), a user's own words for a place the NLU could not pin down ("朝阳"), or anything at all
forced with Rasa's `/inform{"age": 200}` syntax. `canonical` turns a slot value into the profile's own
value (rules.facts.check_value; places through the gazetteer) or raises BadValue with a short plain
Chinese sentence that says what was wrong. `checked_profile` does that for every profile slot, so
that no action ever hands the engine a value that did not pass.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation.questions import place_problem, problem
from rules.facts import FACTS, ProfileError, check_value

PROGRAMS_SLOT = "programs"
LAST_RESULTS_SLOT = "last_results"
UNSURE_SLOT = "unsure"
MISSES_SLOT = "misses"
CONFIRMING_SLOT = "confirming"
CHOICES_SLOT = "choices"
SUBJECT_SLOT = "subject"
PROGRAM_ENTITY = "program"
# The lexicon names both subsidies at once with one value: "living_subsidy+care_subsidy".
PROGRAM_JOIN = "+"


class BadValue(ValueError):
    """A slot value that is not a valid profile value; `message` is what the user is told."""

    def __init__(self, fact: str, value: Any, message: str, choices: Iterable[str] = ()):
        self.fact, self.value, self.message = fact, value, message
        self.choices = list(choices)  # place names the user could mean
        super().__init__(message)


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


def resolve_place(value: Any) -> str:
    """A place name or code -> its 6-digit code; an unknown or ambiguous name -> BadValue with choices."""
    from knowledge.gazetteer import PlaceError, gazetteer

    try:
        if isinstance(value, str) and value.strip():
            return gazetteer().resolve(value).code
    except PlaceError:
        pass
    message, names = place_problem(value)
    raise BadValue("region", value, message, names)


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


def asking_scope(tracker: Tracker, profile: dict) -> list[str]:
    """The programmes whose questions are asked: those named, or else the ones in play for this
    person (rules.engine.in_play: no 渐退期 questions where nobody works, no child rehabilitation
    questions about a parent). Every programme still gets its verdict."""
    from rules.engine import in_play

    named = scope(tracker)
    if named:
        return named
    return in_play(profile, adult=subject_is_adult(tracker))


def asked_programs(tracker: Tracker) -> list[str]:
    """Programmes named in the latest message."""
    return valid_programs([e.get("value") for e in entities(tracker, PROGRAM_ENTITY)])


def entities(tracker: Tracker, kind: str) -> list[dict]:
    message = tracker.latest_message or {}
    return [e for e in message.get("entities") or [] if isinstance(e, dict) and e.get("entity") == kind]


def evaluate(profile: dict, programs: list[str], adult: bool = False):
    """The engine's report for a checked profile, as of today. For a person known to be an adult (a
    parent, a spouse) whose age is not given, a local exception said "in case" that holds for no adult
    ("如果孩子已经享受孤儿基本生活保障…") is not said: it could only be noise to an 82-year-old's son."""
    from rules.engine import evaluate as run

    report = run(profile, programs or None, date.today())
    if adult and "age" not in profile:
        drop = _child_only_notes(profile)
        for result in report.results:
            result.reasons = [r for r in result.reasons if r not in drop]
    return report


def _child_only_notes(profile: dict) -> set[str]:
    from rules.engine import ADULT_AGES, evaluate_condition
    from rules.model import load_programs

    return {case.unknown_note for program in load_programs().values() for layer in program.layers
            for case in layer.unless if case.unknown_note
            and all(evaluate_condition(case.when, {**profile, "age": age})[0] is False for age in ADULT_AGES)}


def subject_is_adult(tracker: Tracker) -> bool:
    """Whether the conversation is about a parent, a spouse or another adult (knowledge/lexicon.yaml)."""
    from knowledge.lexicon import lexicon

    subject = tracker.get_slot(SUBJECT_SLOT)
    return bool(subject) and lexicon().adult(subject)


def misses(tracker: Tracker, fact: str | None) -> int:
    """How many times in a row `fact` has been asked and not answered: the count the form keeps, or, when
    more, the times the conversation has asked it since it last asked something else or answered (a side
    question answered in between does not reset it: nobody is asked one thing three times)."""
    held = tracker.get_slot(MISSES_SLOT) or {}
    kept = int(held.get("count") or 0) if isinstance(held, dict) and held.get("fact") == fact else 0
    return max(kept, asked_in_a_row(tracker, fact) - 1) if fact else kept


def asked_in_a_row(tracker: Tracker, fact: str) -> int:
    """How many of the bot's last questions were about `fact` ({"ask": fact}), back to one about another
    fact, a verdict or a restart."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") in ("restart", "session_started"):
            break
        if event.get("event") != "bot":
            continue
        custom = ((event.get("data") or {}).get("custom") or {})
        if "results" in custom:
            break
        if "ask" in custom:
            if custom["ask"] != fact:
                break
            count += 1
    return count


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


def facts_told(tracker: Tracker) -> list:
    """SlotSet events for the facts a question around the verdict also states, read for certain as the form
    would read them with no question open ("我妈二级视力，低保户，护理补贴要带什么材料" keeps the grade,
    category and household for the check that follows); values to confirm or refuse are left for the form."""
    from bot.conversation.questions import reply

    message = tracker.latest_message or {}
    text = message.get("text") or ""
    if not text or text.startswith("/"):
        return []
    profile, _ = profile_from_slots(tracker.slots)
    events = []
    for fact, value in reply(text, asking=None, profile=profile).set.items():
        try:
            value = canonical(fact, value)
        except BadValue:
            continue
        if value != tracker.get_slot(fact):
            events.append(SlotSet(fact, value))
    return events
