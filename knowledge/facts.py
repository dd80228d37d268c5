"""Every fact of a person's situation, defined once: knowledge/facts.yaml, read and checked here.

A fact is what the profile of CONTRACT.md section 1 holds under one key. Its definition carries
everything the project knows about it, and every other module derives from this one:

    FACTS["household"].kind                      == "enum"
    FACTS["household"].domain()                  == ("dibao", "low_income", "tekun", "none")
    FACTS["household"].describe("dibao")         == "是低保家庭"          (how a verdict names it)
    FACTS["household"].question                  the chat's question
    FACTS["household"].options()                 [("低保", "dibao"), …, ("都不是", "none")]
    FACTS["has_certificate"].options()           [("有", True), ("没有", False)]
    FACTS["disability_grade"].values[2].label    == "二级"

Values are the profile's own: True/False for yes/no facts, ints for numbers and the grade, strings for
closed sets and the region's 6-digit code. `terms` name a value anywhere in a message (they are the
lexicon's, knowledge/lexicon.py); `answers` count only as a reply to the fact's own question; `close`
descriptions suggest a value that the chat confirms before it counts.

This module is the bottom of the stack: it imports nothing from rules/, bot/ or actions/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .textnorm import normalise

__all__ = ["Fact", "Value", "FACTS", "FACTS_FILE", "KINDS", "load", "FactDefinitionError"]

FACTS_FILE = Path(__file__).with_name("facts.yaml")
KINDS = ("bool", "int", "enum", "region")
_FIELDS = {
    "common": {"kind", "label", "question", "who_knows", "option", "says", "not_known"},
    "bool": {"options", "terms", "answers", "close"},
    "int": {"range", "unit", "named", "values"},
    "enum": {"values"},
    "region": set(),
}
_VALUE_FIELDS = {"label", "option", "says", "terms", "answers", "close"}
_OPTION = re.compile(r"--[a-z][a-z-]*\Z")
_IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")


class FactDefinitionError(ValueError):
    """facts.yaml says something that cannot be: the message names the fact and the field."""


@dataclass(frozen=True)
class Value:
    """One value of a closed-set fact and its words."""
    value: Any
    label: str  # canonical Chinese label ("视力残疾", "一级"; for yes/no facts: how a verdict says it)
    option: str  # the word offered as an answer (a button's title, a numbered option); typable
    says: str  # how a verdict names the person's situation ("是低保家庭")
    terms: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    close: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fact:
    name: str
    kind: str  # bool | int | enum | region
    label: str
    question: str
    who_knows: str | None = None
    option: str | None = None  # the caseworker's short command-line option
    low: int = 0
    high: int = 0
    unit: str = ""
    named: str = ""  # the fact's name in an error sentence ("年龄要在0到120岁之间")
    says: str = ""  # a template for int and region facts: "{value}岁", "户籍在{place}"
    values: Mapping[Any, Value] = field(default_factory=dict)
    not_known: tuple[str, ...] = ()  # replies that say it is not known yet ("还没评级"): like 不知道

    # what a value may be

    def allowed(self) -> str:
        """What is allowed, in English, for a caseworker's error message."""
        if self.kind == "bool":
            return "allowed: true or false"
        if self.kind == "int":
            return f"allowed: a whole number from {self.low} to {self.high}"
        if self.kind == "enum":
            return "allowed: " + ", ".join(self.values)
        return "allowed: a 6-digit administrative division code or a place name"

    def allowed_zh(self) -> str:
        """What a person may answer, in Chinese."""
        if self.kind in ("bool", "enum") or (self.kind == "int" and self.values):
            return "可以说：" + "、".join(word for word, _ in self.options())
        if self.kind == "int":
            return f"请说一个{self.low}到{self.high}之间的整数"
        return "请说省、市或区县的名称"

    def domain(self) -> tuple:
        """Every value a finite fact can take (for working out which questions settle a verdict)."""
        if self.kind == "bool":
            return (True, False)
        if self.kind == "enum":
            return tuple(self.values)
        if self.kind == "int" and self.high - self.low <= 10:
            return tuple(range(self.low, self.high + 1))
        return ()

    # words

    def options(self) -> list[tuple[str, Any]]:
        """(word, value) of each answer offered, in the order the question says them: a button's
        title, a numbered option ("回复 1 有，2 没有"), each a word a person can type."""
        return [(v.option, v.value) for v in self.values.values()]

    def describe(self, value: Any) -> str:
        """The person's situation as a short clause: describe(2) == "残疾等级为二级"."""
        if self.kind == "region":
            from .gazetteer import place_name

            return self.says.format(place=place_name(value))
        spec = self.values.get(value)
        if self.kind == "int":
            return self.says.format(value=value, label=spec.label if spec else f"{value}")
        if spec is None:
            return f"{self.label}：{value}"
        return spec.says or f"{self.label}为{spec.label}"

    def value_label(self, value: Any) -> str:
        return self.values[value].label


# --- loading ----------------------------------------------------------------------------------

def _words(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FactDefinitionError(f"{where}: expected a list of words")
    out: list[str] = []
    for word in raw:
        if not isinstance(word, str) or not word.strip():
            raise FactDefinitionError(f"{where}: {word!r} is not a word")
        if normalise(word) != word or " " in word:
            raise FactDefinitionError(f"{where}: {word!r} is not normalised: write "
                                      f"{normalise(word).replace(' ', '')!r}")
        if word in out:
            raise FactDefinitionError(f"{where}: {word!r} is listed twice")
        out.append(word)
    return tuple(out)


def _text(raw: Any, where: str, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or not raw.strip():
        raise FactDefinitionError(f"{where}: needs a text")
    return raw.strip()


def _keys(raw: Any, allowed: set[str], where: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise FactDefinitionError(f"{where}: expected a mapping")
    unknown = set(map(str, raw)) - allowed
    if unknown:
        raise FactDefinitionError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return raw


def _fact(name: str, raw: Any) -> Fact:
    where = f"{FACTS_FILE.name}: {name}"
    kind = raw.get("kind") if isinstance(raw, Mapping) else None
    if kind not in KINDS:
        raise FactDefinitionError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    _keys(raw, _FIELDS["common"] | _FIELDS[kind], where)
    option = raw.get("option")
    if option is not None and (not isinstance(option, str) or not _OPTION.match(option)):
        raise FactDefinitionError(f"{where}: option must look like --word, got {option!r}")
    common = dict(name=name, kind=kind, label=_text(raw.get("label"), f"{where}.label"),
                  question=_text(raw.get("question"), f"{where}.question"),
                  who_knows=raw.get("who_knows"), option=option,
                  not_known=_words(raw.get("not_known"), f"{where}.not_known"))
    if kind == "region":
        return Fact(**common, says=_text(raw.get("says"), f"{where}.says"))
    if kind == "bool":
        return Fact(**common, low=0, high=1, values=_bool_values(raw, where))
    if kind == "enum":
        values = _enum_values(raw.get("values"), where, lambda v: isinstance(v, str) and bool(_IDENT.match(v)))
        return Fact(**common, values=values)
    lo_hi = raw.get("range")
    if (not isinstance(lo_hi, list) or len(lo_hi) != 2 or not all(isinstance(x, int) for x in lo_hi)
            or lo_hi[0] > lo_hi[1]):
        raise FactDefinitionError(f"{where}.range: expected [low, high], got {lo_hi!r}")
    low, high = lo_hi
    values = {}
    if raw.get("values") is not None:
        values = _enum_values(raw["values"], where,
                              lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high)
    return Fact(**common, low=low, high=high, unit=str(raw.get("unit") or ""),
                named=str(raw.get("named") or raw["label"]),
                says=_text(raw.get("says"), f"{where}.says"), values=values)


def _enum_values(raw: Any, where: str, valid) -> dict:
    if not isinstance(raw, Mapping) or not raw:
        raise FactDefinitionError(f"{where}.values: expected a mapping of values")
    out = {}
    for value, entry in raw.items():
        here = f"{where}.values.{value}"
        if not valid(value):
            raise FactDefinitionError(f"{here}: not a value this fact can take")
        _keys(entry, _VALUE_FIELDS, here)
        label = _text(entry.get("label"), f"{here}.label")
        out[value] = Value(value, label, str(entry.get("option") or label),
                           str(entry.get("says") or ""),
                           _words(entry.get("terms"), f"{here}.terms"),
                           _words(entry.get("answers"), f"{here}.answers"),
                           _words(entry.get("close"), f"{here}.close"))
    return out


def _bool_values(raw: Mapping, where: str) -> dict:
    def by_side(field_name: str, required: bool) -> dict:
        block = raw.get(field_name)
        if block is None and not required:
            return {}
        if not isinstance(block, Mapping) or not set(block) <= {True, False} or (required and len(block) != 2):
            raise FactDefinitionError(f"{where}.{field_name}: expected {{true: …, false: …}}")
        return block

    says, options = by_side("says", True), by_side("options", True)
    answers, close = by_side("answers", False), by_side("close", False)
    return {side: Value(side, _text(says[side], f"{where}.says"), _text(options[side], f"{where}.options"),
                        says[side],
                        _words(raw.get("terms"), f"{where}.terms") if side else (),
                        _words(answers.get(side), f"{where}.answers"),
                        _words(close.get(side), f"{where}.close"))
            for side in (True, False)}


def _check_words(facts: Mapping[str, Fact]) -> None:
    """A word stands under one value of a fact only, whichever list it is in."""
    for fact in facts.values():
        seen: dict[str, Any] = {}
        for spec in fact.values.values():
            for word in (*spec.terms, *spec.answers, *spec.close):
                if seen.setdefault(word, spec.value) != spec.value:
                    raise FactDefinitionError(f"{FACTS_FILE.name}: {fact.name}: {word!r} is listed under both "
                                              f"{seen[word]!r} and {spec.value!r}")


def load(data: Mapping | None = None) -> dict[str, Fact]:
    """The facts of `data` (the parsed YAML; default: knowledge/facts.yaml), in file order."""
    if data is None:
        from knowledge.yamlfile import load_file

        data = load_file(FACTS_FILE)
    if not isinstance(data, Mapping) or not data:
        raise FactDefinitionError(f"{FACTS_FILE.name}: expected a mapping of facts")
    facts = {}
    for name, raw in data.items():
        if not isinstance(name, str) or not _IDENT.match(name):
            raise FactDefinitionError(f"{FACTS_FILE.name}: {name!r} is not a fact name (lower_case)")
        facts[name] = _fact(name, raw)
    _check_words(facts)
    return facts


# Read once, at import: a few milliseconds, and every part of the project needs it.
FACTS: dict[str, Fact] = load()
