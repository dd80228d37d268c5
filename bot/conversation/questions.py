"""The questions the bot asks, and what a reply to one does: one policy for every front end.

The chat's form (actions/form.py) and `zhucan ask` (bot/caseworker/ask.py) both ask one fact at a time and pass each
reply through `reply()`, which reads it with bot.nlu.understand and decides, never trapping anyone:

- an answer (in the options' words, a number of an option, everyday yes/no, a number in any form): the
  fact is set, with anything else the reply said;
- something close to an option but not in its words ("手脚不利索", "奉化市", "好像不是", "拿不准"): asked
  back once as "您说的是…吗？" before it counts;
- 不知道: the fact is skipped, never taken as a no;
- a reply that does not answer (it cannot be read, or it says other things): the question again, with
  numbered options that can be typed; a second one: the fact is skipped as unknown and the next question
  comes. No question is asked more than twice in a row, ever;
- a side question (为什么, 帮助…) is not a reply: the front end answers it and asks again.

The words come from each fact's definition (knowledge/facts.yaml): `question(fact)` is its question and
its typable options, `question(fact, again=True)` the short numbered form.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from knowledge.facts import FACTS

__all__ = ["DONT_KNOW", "question", "confirmation", "reply", "Turn", "who_knows", "unsure_sentence",
           "problem", "shown", "place_problem", "plan_places", "SKIPPED"]

DONT_KNOW = "不知道"  # the last option of every question: never a no
WHO_KNOWS_DEFAULT = "可以问户籍所在地的乡镇人民政府、街道办事处或县级残联。"
SKIPPED = "好的，{label}这一项先跳过，不当作没有。以后知道了，直接告诉我就行。"
NOT_UNDERSTOOD = "没听明白。"
SHOWN_MAX = 20  # characters of a bad value repeated back to the user
_LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９\s\-]{5,}[0-9０-９Xx]")
_AGAIN_HINT = {
    "int": "请说一个数字，比如 {example}。",
    "region": "请说城市或区县的名字，比如 太原、奉化，乡镇也可以。",
}


# --- the questions ---------------------------------------------------------------------------------

def options(fact: str) -> list[str]:
    """The answers offered, in the question's order, then 不知道: each a button and a typable word."""
    return [word for word, _ in FACTS[fact].options()] + [DONT_KNOW]


def numbered(words: list[str]) -> str:
    """"回复数字也可以：1 有，2 没有，3 不知道。"."""
    return "回复数字也可以：" + "，".join(f"{i} {w}" for i, w in enumerate(words, 1)) + "。"


def question(fact: str, again: bool = False) -> tuple[str, list[str]]:
    """(text, options) of the question for a fact. `again`: after a reply that could not be read,
    the short form that says what answers are possible, numbered."""
    spec = FACTS[fact]
    words = options(fact) if spec.kind in ("bool", "enum") or spec.values else []
    if not again:
        return spec.question, words
    if words:
        return f"{spec.question}{numbered(words)}", words
    example = {"age": "5 或 五岁"}.get(fact, "3 或 三个月")
    return (spec.question + _AGAIN_HINT.get(spec.kind, _AGAIN_HINT["int"]).format(example=example)
            + f"不知道可以说 {DONT_KNOW}。"), []


def confirmation(fact: str, value: Any) -> tuple[str, list[str]]:
    """"您说的是肢体残疾吗？" for a value read from words close to an option."""
    spec = FACTS[fact]
    if value == DONT_KNOW:
        return f"您是说不清楚{spec.label}吗？请回答 是 或 不是。", ["是", "不是"]
    if spec.kind == "region":
        from knowledge.gazetteer import place_name

        said = place_name(value)
    elif spec.kind == "bool":
        said = spec.describe(value)
    elif spec.kind == "int" and not spec.values:
        said = f"{value}{spec.unit}"
    else:
        said = spec.value_label(value)
    return f"您说的是{said}吗？请回答 是 或 不是。", ["是", "不是"]


# --- who can tell ----------------------------------------------------------------------------------

def unsure_sentence(facts: list[str]) -> str:
    """"您说不清楚的：…。" for the facts a person does not know ("" for none)."""
    return "您说不清楚的：" + "、".join(FACTS[f].label for f in facts) + "。" if facts else ""


def who_knows(facts: list[str]) -> str:
    """The facts a person does not know, and who can tell them (each office named once)."""
    offices = dict.fromkeys(FACTS[f].who_knows or WHO_KNOWS_DEFAULT for f in facts)
    return unsure_sentence(facts) + "".join(offices)


# --- values that cannot be used --------------------------------------------------------------------

def shown(value: Any) -> str:
    """A value as it may be repeated to the user: printable, plain, short, and no long digit runs (a
    phone or ID-card number typed where a place or an age was expected is not read back)."""
    from bot.conversation.text import plain

    text = "".join(ch for ch in str(value) if unicodedata.category(ch)[0] != "C")
    text = _LONG_NUMBER.sub("这串数字", plain(text).replace("\n", " "))
    return text[:SHOWN_MAX]


def _number(value: Any) -> int | float | None:
    """The number a bad value was meant to be, to repeat it back ("200" -> 200), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else value
    if isinstance(value, str):
        from knowledge.textnorm import parse_number

        return parse_number(value.strip().rstrip("岁级个月周"))
    return None


def problem(fact: str, value: Any) -> str:
    """What was wrong with a value, in one or two short sentences."""
    spec = FACTS[fact]
    said = shown(value)
    if fact == "region":
        return place_problem(value)[0]
    if spec.kind == "int" and spec.values:  # the grade
        number = _number(value)
        first, last = spec.values[spec.low].label, spec.values[spec.high].label
        if number is not None:
            return f"{spec.label}只有{first}到{last}，{first}最重。您说的是{shown(number)}级。"
        return f"{spec.label}只有{first}到{last}，{first}最重。“{said}”不是一个等级。"
    if spec.kind == "int":
        number = _number(value)
        if number is not None:
            return f"{spec.named}要在{spec.low}到{spec.high}{spec.unit}之间，您说的是{shown(number)}{spec.unit}。"
        return f"{spec.named}要说一个{spec.low}到{spec.high}之间的整数，“{said}”不是。"
    if spec.kind == "enum":
        return f"{spec.label}没有“{said}”这一种，可以是：{'、'.join(w for w, _ in spec.options())}。"
    return f"{spec.label}这一项，“{said}”不是有效的回答。"


def place_problem(value: Any) -> tuple[str, list[str]]:
    """(sentence, candidates) for place words that name several places, or none."""
    from knowledge.gazetteer import AmbiguousPlace, PlaceError, gazetteer

    if not isinstance(value, str) or not value.strip():
        return "请说户籍所在的省、市或区县的名称，比如：山西省太原市。", []
    try:
        gazetteer().resolve(value)
    except AmbiguousPlace as err:
        names = [p.full_name for p in err.candidates]
        if len(names) > 5:
            return f"叫“{shown(value)}”的地方有{len(names)}个。", names[:5]
        return f"“{shown(value)}”可能是{len(names)}个地方：{'、'.join(names)}。", names
    except PlaceError as err:
        names = [p.full_name for p in err.candidates[:4]]
        text = f"没有找到“{shown(value)}”这个地方。"
        if names:
            text += f"您是不是指：{'、'.join(names)}？"
        return text, names
    return "", []


# --- a reply -----------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def plan_places() -> tuple[str, ...]:
    """Places with rules of their own: a town name several counties share is offered there first."""
    from rules.model import load_programs, NATIONAL

    return tuple(sorted({layer.place for p in load_programs().values() for layer in p.layers} - {NATIONAL}))


@dataclass
class Turn:
    """What one message does to the conversation."""
    set: dict = field(default_factory=dict)  # facts to set
    say: list = field(default_factory=list)  # sentences for the user, before the next question
    confirming: dict | None = None  # {fact: value} to ask "您说的是…吗？" about next
    skip: list = field(default_factory=list)  # facts skipped as unknown (never a no)
    misses: int = 0  # replies to the question asked that could not be read, in a row
    programs: list = field(default_factory=list)  # programmes the message names
    subject: str | None = None
    choices: list = field(default_factory=list)  # places the user may mean
    handled: bool = True  # False: not a reply at all (a side question): the front end answers it
    refused: dict = field(default_factory=dict)  # fact -> the value as said, which it cannot take ("200岁")


def corrects(text: str, reading, changed: list[str]) -> bool:
    """Whether a message that gives another value for a known fact says it as a correction: a word that
    corrects ("说错了", "不对", "记岔了"), "不是…是…", or nothing but the new values, asking nothing ("三级的")."""
    from bot.nlu.understand import CORRECTS, SAYS_INSTEAD
    from knowledge.language import asks

    if CORRECTS.search(text) or SAYS_INSTEAD.search(text):
        return True
    return set(reading.facts) == set(changed) and not asks(text) and len(text.strip()) <= 16


def reply(text: str, asking: str | None = None, profile: dict | None = None, misses: int = 0,
          confirming: dict | None = None, side_question: bool = False, as_of: date | None = None,
          choices: list[str] | None = None) -> Turn:
    """What `text` does, said in reply to the question for `asking` (None: no question open).

    `misses`: how many times in a row `asking` has been asked and not answered (a confirmation counts);
    `confirming`: a "您说的是…吗？" waiting for its answer; `side_question`: the message is, by its
    intent, a question of its own (为什么, 帮助): if it answers nothing, the front end answers it and
    asks again, without counting a miss. `choices`: the places just offered, which a typed number
    ("2", "第二个") chooses. The returned `misses` is the count for the fact asked next if it is the
    same fact."""
    from bot.nlu.understand import chosen_number, understand

    number = chosen_number(text) if choices else None
    if number is not None and 1 <= number <= len(choices):
        text = choices[number - 1]

    profile = profile or {}
    turn = Turn(misses=misses)
    if confirming:
        return _confirmed(turn, text, confirming, profile, side_question, as_of)
    reading = understand(text, asking=asking, profile=profile, prefer=plan_places(), as_of=as_of)
    changed = [f for f, v in reading.facts.items() if f in profile and profile[f] != v and f != asking]
    if changed and not corrects(text, reading, changed):
        # another value for a known fact, said in passing in a question or a story ("老人八十多…", "低保
        #是批下来那个月就有钱吗"): confirmed before it replaces what was said, never taken silently
        for f in changed:
            reading.confirm[f] = reading.facts.pop(f)
        changed = []
    turn.set.update(reading.facts)
    turn.programs, turn.subject = reading.programs, reading.subject
    if changed:  # a correction of an earlier answer: said back, so that a misheard one can be caught
        turn.say.append("好的，已改为：" + "，".join(FACTS[f].describe(reading.facts[f]) for f in changed) + "。")
    turn.say += reading.notes
    for fact, said in reading.rejected.items():
        turn.say.append(problem(fact, said))
        turn.refused[fact] = said
    for words in reading.places:  # a place that names several places, or none: said why, asked at once
        sentence, turn.choices = place_problem(words)
        turn.say.append(sentence)
        turn.refused["region"] = words
    if reading.candidates and "region" not in reading.facts and "region" not in profile:
        from knowledge.gazetteer import place_name

        turn.choices = [place_name(code) for code in reading.candidates]
    if asking is None or asking in reading.facts:
        if reading.confirm and asking is None:
            fact, value = next(iter(reading.confirm.items()))
            turn.confirming, turn.misses = {fact: value}, 1
        elif asking in reading.facts:
            turn.misses = 0
        return turn
    if reading.dont_know:
        return _skip(turn, asking)
    to_confirm = ({asking: reading.confirm[asking]} if asking in reading.confirm
                  else {asking: DONT_KNOW} if reading.unsure else None)
    if to_confirm:
        if misses >= 1:  # asked twice already: a third question about it would trap the person
            return _skip(turn, asking)
        turn.confirming, turn.misses = to_confirm, misses + 1
        return turn
    if asking in reading.rejected or asking in reading.inexact or (asking == "region" and reading.places):
        if asking in reading.inexact:
            low, high = reading.inexact[asking]
            turn.say.append(f"您说的是大约{low}到{high}{FACTS[asking].unit}，这一项要准确的数字才能判断。")
        return _missed(turn, asking, misses)
    if reading.said_anything:
        return _missed(turn, asking, misses)  # other facts, kept; this question is still unanswered
    if side_question:  # answered by the dialogue, then the question comes back: not a miss
        turn.handled = False
        return turn
    turn = _missed(turn, asking, misses)
    if asking not in turn.skip:
        turn.say.append(NOT_UNDERSTOOD)
    return turn


def _confirmed(turn: Turn, text: str, confirming: dict, profile: dict, side_question: bool,
               as_of: date | None) -> Turn:
    """The reply to "您说的是…吗？": yes takes the value; another value, said after the no or instead of
    it ("不是，是视力"), is taken as said; a no to a yes-or-no value is its opposite ("您是说没有残疾人
    证吗？" "不是"); anything else leaves the fact unknown (it has been asked about twice: a third time
    would trap the person)."""
    from bot.nlu.understand import Reading, after_yes_or_no, chosen_number, understand, yes_or_no

    fact, value = next(iter(confirming.items()))
    said = yes_or_no(text)
    # a bare number picks 是 or 不是, the options of this question, not the fact's own options; and the
    # yes or no is not read again as an answer to the fact's question ("不是，有证" is not 没有)
    rest = "" if chosen_number(text) is not None else (after_yes_or_no(text) if said is not None else text)
    reading = (understand(rest, asking=fact, profile=profile, prefer=plan_places(), as_of=as_of) if rest
               else Reading(asking=fact))
    turn.programs, turn.subject = reading.programs, reading.subject
    other = reading.facts.get(fact)
    if said is True and other in (None, value):
        turn.set.update({k: v for k, v in reading.facts.items() if k != fact})
        turn.misses = 0
        if value == DONT_KNOW:
            return _skip(turn, fact)
        turn.set[fact] = value
        return turn
    if other is not None and other != value:  # "不是，是视力"
        turn.set.update(reading.facts)
        turn.misses = 0
        return turn
    if said is None and other is None and side_question and not reading.said_anything:
        turn.handled, turn.confirming = False, confirming
        return turn
    turn.set.update({k: v for k, v in reading.facts.items() if k != fact})
    if said is False and value == DONT_KNOW:
        # they do know, but said nothing readable: the confirmation was the second asking, so the fact
        # is left open rather than asked a third time
        return _skip(turn, fact)
    if said is False and isinstance(value, bool):
        turn.set[fact] = not value
        turn.misses = 0
        return turn
    if said is None and other == value:  # "证还没下来呢" to "您是说没有残疾人证吗？"
        turn.set[fact] = value
        turn.misses = 0
        return turn
    return _skip(turn, fact)


def _skip(turn: Turn, fact: str) -> Turn:
    turn.skip.append(fact)
    turn.say.append(SKIPPED.format(label=FACTS[fact].label))
    turn.misses = 0
    return turn


def _missed(turn: Turn, fact: str, misses: int) -> Turn:
    """A reply that does not answer: the question once more (short, numbered), then it is skipped."""
    if misses >= 1:
        return _skip(turn, fact)
    turn.misses = misses + 1
    return turn
