"""Every domain term, once: knowledge/lexicon.yaml, checked against the facts and programmes it names.

The values a fact can take live in rules/facts.py and the programmes in rules/programs/; the lexicon
holds the Chinese words for them. A programme's label is its file's `title`.

    lexicon().label("disability_category", "vision")  == "视力残疾"
    lexicon().lookup("household", "吃低保")           == "dibao"
    lexicon().lookup("programs", "两项补贴")          == ("living_subsidy", "care_subsidy")
    for term, kind, value in lexicon().entries(): ...  # jieba, entity patterns, lookup tables
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from .textnorm import normalise

__all__ = ["Term", "Lexicon", "lexicon", "LEXICON_FILE", "PROGRAMS", "SUBJECT"]

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")
PROGRAMS = "programs"
SUBJECT = "subject"
_COMBINE = "+"  # "living_subsidy+care_subsidy": both programmes
_IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
_WORD = re.compile(r"[\w·]+\Z")  # a term jieba can keep as one token: no spaces or punctuation


@dataclass(frozen=True)
class Term:
    kind: str
    value: str | int | bool | tuple
    label: str
    terms: tuple[str, ...]


class Lexicon:
    def __init__(self, data: Mapping[str, Any], facts: Mapping[str, Any] | None = None,
                 programs: Mapping[str, str] | None = None, source: str = "lexicon"):
        """`data`: the parsed YAML. `facts`: rules.facts.FACTS; `programs`: programme id -> title."""
        if facts is None:
            from rules.facts import FACTS as facts
        if programs is None:
            programs = _programme_titles()
        self._source = source
        self._terms: dict[tuple[str, Any], Term] = {}
        self._index: dict[str, dict[str, Any]] = {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a mapping of kinds")
        for kind, values in data.items():
            self._load_kind(str(kind), values, facts, programs)
        # every programme has a term, even one the YAML does not list yet: its title
        for pid, title in programs.items():
            if (PROGRAMS, pid) not in self._terms:
                self._add(PROGRAMS, pid, title, [])
        self.kinds: tuple[str, ...] = tuple(dict.fromkeys(k for k, _ in self._terms))

    # loading and validation

    def _error(self, where: str, what: str) -> ValueError:
        return ValueError(f"{self._source}: {where}: {what}")

    def _load_kind(self, kind, values, facts, programs) -> None:
        if kind in facts:
            fact = facts[kind]
            closed = fact.kind in ("enum", "bool") or (fact.kind == "int" and fact.high - fact.low <= 10)
            if not closed:  # age, months, region: numbers and places are read elsewhere
                raise self._error(kind, f"{kind} has no closed set of values to name")
        elif kind not in (PROGRAMS, SUBJECT):
            raise self._error(kind, f"unknown kind; known: the facts of rules/facts.py, {PROGRAMS}, {SUBJECT}")
        if not isinstance(values, Mapping) or not values:
            raise self._error(kind, "expected a mapping of values to {label, terms}")
        for raw_value, entry in values.items():
            value = self._check_value(kind, raw_value, facts, programs)
            where = f"{kind}.{raw_value}"
            if not isinstance(entry, Mapping):
                raise self._error(where, "expected {label: …, terms: […]}")
            unknown = set(entry) - {"label", "terms"}
            if unknown:
                raise self._error(where, f"unknown field(s) {sorted(unknown)}")
            terms = entry.get("terms") or []
            if not isinstance(terms, list):
                raise self._error(where, "terms must be a list")
            if kind == PROGRAMS and not isinstance(value, tuple):
                if "label" in entry:
                    raise self._error(where, f"the label is the title in rules/programs/{value}.yaml")
                label = programs[value]
            else:
                label = entry.get("label")
                if not isinstance(label, str) or not label.strip():
                    raise self._error(where, "needs a label")
            self._add(kind, value, label, terms, where)

    def _check_value(self, kind, raw, facts, programs):
        where = f"{kind}.{raw}"
        if kind == PROGRAMS:
            ids = tuple(str(raw).split(_COMBINE))
            for pid in ids:
                if pid not in programs:
                    raise self._error(where, f"no programme {pid!r} in rules/programs/ (known: {', '.join(programs)})")
            return ids if len(ids) > 1 else ids[0]
        if kind == SUBJECT:
            if not isinstance(raw, str) or not _IDENT.match(raw):
                raise self._error(where, "a subject value is a lower-case identifier")
            return raw
        fact = facts[kind]
        if fact.kind == "bool":
            if not isinstance(raw, bool):
                raise self._error(where, "a yes/no fact's value is true or false")
            return raw
        if fact.kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, int) or not fact.low <= raw <= fact.high:
                raise self._error(where, f"not a value of {kind}: allowed {fact.low}…{fact.high}")
            return raw
        if raw not in fact.values:
            raise self._error(where, f"not a value of {kind}: allowed {', '.join(fact.values)}")
        return raw

    def _add(self, kind: str, value, label: str, terms: Iterable, where: str = "") -> None:
        where = where or f"{kind}.{value}"
        words: list[str] = []
        for t in ([label] if _WORD.match(label) else []) + list(terms):
            if not isinstance(t, str) or not t.strip():
                raise self._error(where, f"term {t!r} is not text")
            if normalise(t) != t or " " in t:
                raise self._error(where, f"term {t!r} is not normalised: write {normalise(t).replace(' ', '')!r}")
            if t in words:
                if t == label:
                    continue
                raise self._error(where, f"term {t!r} is listed twice")
            index = self._index.setdefault(kind, {})
            if t in index and index[t] != value:
                raise self._error(where, f"term {t!r} is already listed under {kind}.{_show(index[t])}")
            index[t] = value
            words.append(t)
        self._terms[(kind, value)] = Term(kind, value, label, tuple(words))

    # the API

    def label(self, kind: str, value) -> str:
        """The canonical Chinese label: ("disability_category", "vision") -> "视力残疾"."""
        if kind == PROGRAMS and isinstance(value, list):
            value = tuple(value)
        try:
            return self._terms[(kind, value)].label
        except KeyError:
            raise KeyError(f"{kind}: no label for {value!r}") from None

    def lookup(self, kind: str, text: str):
        """The value a whole text names ("吃低保" -> "dibao"), after normalisation; else None."""
        if not isinstance(text, str):
            return None
        return self._index.get(kind, {}).get(normalise(text).replace(" ", ""))

    def term(self, kind: str, value) -> Term:
        return self._terms[(kind, value)]

    def terms(self, kind: str | None = None) -> list[Term]:
        return [t for (k, _), t in self._terms.items() if kind is None or k == kind]

    def entries(self) -> Iterable[tuple[str, str, object]]:
        """(surface term, kind, value) for every term (labels included when they are one word)."""
        for term in self._terms.values():
            for word in term.terms:
                yield word, term.kind, term.value


def _show(value) -> str:
    return _COMBINE.join(value) if isinstance(value, tuple) else str(value)


def _programme_titles() -> dict[str, str]:
    """Programme id -> title, from the programme files (the one place both live)."""
    import yaml

    from rules.model import PROGRAMS_DIR

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = {}
    for path in sorted(Path(PROGRAMS_DIR).glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            raw = yaml.load(f, Loader=loader) or {}
        if isinstance(raw, dict) and raw.get("program"):
            out[str(raw["program"])] = str(raw.get("title") or raw["program"])
    return out


def load(path: str | Path = LEXICON_FILE, **kwargs) -> Lexicon:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as f:
        data = yaml.load(f, Loader=loader)
    return Lexicon(data, source=Path(path).name, **kwargs)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return load()
