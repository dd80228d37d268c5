"""Phrases that say a fact or name a programme in several words (knowledge/phrases.yaml), compiled once.

    phrases().facts      (Phrase(pattern, "has_certificate", "false", examples), …)   in the file's order
    phrases().programs   (Phrase(pattern, "program", "dibao_individual", examples), …)
    phrases().english    programmes named in English, compiled to read any case

A phrase's value is the entity's own string: "true"/"false" for a yes/no fact, a closed set's value
("none"), a programme id. bot/nlu/extract.py reads messages with them (how a phrase beats a term, what
a negation around it does); tests/test_language.py reads every example. Programme ids are checked there
and by the tests, not here: the programmes live in rules/, above this layer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

__all__ = ["PHRASES_FILE", "Phrase", "Phrases", "load", "phrases"]

PHRASES_FILE = Path(__file__).with_name("phrases.yaml")
PROGRAM = "program"
_PART = re.compile(r"\{([a-z][a-z0-9_]*)\}")  # {cert}; a quantifier such as {0,6} is the expression's own
_IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Phrase:
    pattern: re.Pattern
    fact: str  # a fact of knowledge/facts.yaml, or "program"
    value: str  # the entity's value ("true", "none", "dibao_individual")
    examples: tuple[str, ...]
    suggests: bool = False  # a description, not the fact's name: confirmed before it counts ("腿有残疾")
    any_time: bool = False  # evidence when it was so before too ("原来每月都有残疾人生活补贴": a certificate)


@dataclass(frozen=True)
class Phrases:
    facts: tuple[Phrase, ...]
    programs: tuple[Phrase, ...]
    english: tuple[Phrase, ...]
    parts: dict


def _expand(pattern: str, parts: Mapping[str, str], where: str) -> str:
    def part(m: re.Match) -> str:
        if m.group(1) not in parts:
            raise ValueError(f"{where}: {{{m.group(1)}}} is no part (parts: {', '.join(parts)})")
        return parts[m.group(1)]

    return _PART.sub(part, pattern)


def _value(fact: str, raw: Any, where: str) -> str:
    """The entity's string for a fact's value, checked against the fact's definition."""
    from .facts import FACTS

    if fact not in FACTS:
        raise ValueError(f"{where}: {fact!r} is no fact of knowledge/facts.yaml")
    spec = FACTS[fact]
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            raise ValueError(f"{where}: {fact} is a yes/no fact: its value is true or false")
        return "true" if raw else "false"
    if spec.kind != "enum" or raw not in spec.domain():
        raise ValueError(f"{where}: {raw!r} is not a value of {fact} ({', '.join(map(str, spec.domain()))})")
    return str(raw)


def _entry(raw: Any, section: str, i: int, parts: Mapping[str, str], flags: int) -> Phrase:
    where = f"{section}[{i}]"
    key = "fact" if section == "phrases" else PROGRAM
    needed = {"pattern", "examples", key} | ({"value"} if key == "fact" else set())
    optional = {"suggests", "any_time"} if key == "fact" else set()
    if not isinstance(raw, Mapping) or not needed <= set(raw) <= needed | optional:
        raise ValueError(f"{where}: needs exactly {', '.join(sorted(needed))}"
                         + (f" (and may say {', '.join(sorted(optional))})" if optional else ""))
    for flag in ("suggests", "any_time"):
        if not isinstance(raw.get(flag, False), bool):
            raise ValueError(f"{where}: {flag} is true or false")
    examples = raw["examples"]
    if not isinstance(examples, list) or not examples or not all(isinstance(e, str) and e.strip() for e in examples):
        raise ValueError(f"{where}: examples: a list of the messages in which it must be read")
    try:
        pattern = re.compile(_expand(str(raw["pattern"]), parts, where), flags)
    except re.error as err:
        raise ValueError(f"{where}: the pattern does not compile: {err}") from None
    if key == "fact":
        fact, value = str(raw["fact"]), _value(str(raw["fact"]), raw["value"], where)
    else:
        fact, value = PROGRAM, str(raw[PROGRAM])
        if not _IDENT.match(value):
            raise ValueError(f"{where}: a programme id is a lower-case identifier")
    return Phrase(pattern, fact, value, tuple(examples), bool(raw.get("suggests", False)),
                  bool(raw.get("any_time", False)))


def load(path: str | Path = PHRASES_FILE) -> Phrases:
    from .yamlfile import load_file

    raw = load_file(path)
    name = Path(path).name
    if not isinstance(raw, Mapping) or set(raw) - {"parts", "phrases", "programs", "english"}:
        raise ValueError(f"{name}: expected parts, phrases, programs and english")
    parts = {str(k): str(v) for k, v in (raw.get("parts") or {}).items()}
    try:
        sections = {section: tuple(_entry(e, section, i, parts, re.IGNORECASE if section == "english" else 0)
                                   for i, e in enumerate(raw.get(section) or []))
                    for section in ("phrases", "programs", "english")}
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    return Phrases(sections["phrases"], sections["programs"], sections["english"], parts)


@lru_cache(maxsize=1)
def phrases() -> Phrases:
    return load()
