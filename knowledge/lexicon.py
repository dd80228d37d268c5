"""Every domain term, once: the facts' words (knowledge/facts.yaml) and the rest (knowledge/lexicon.yaml).

    lexicon().label("disability_category", "vision")  == "视力残疾"
    lexicon().lookup("household", "吃低保")           == "dibao"
    lexicon().lookup("programs", "两项补贴")          == ("living_subsidy", "care_subsidy")
    lexicon().replies("affirm")                       the everyday words of a yes
    lexicon().adult("father")                         == True (a parent is 18 or older)
    for term, kind, value in lexicon().entries(): ...  # jieba, entity patterns, lookup tables

A kind is a fact of knowledge/facts.py (its values' terms, and the labels of closed sets), `programs`
(programme ids, or ids joined by "+" for several at once) or `subject` (who a message is about).
Programme ids are not checked here: the programmes live in rules/, above this layer, and
`zhucan rules lint` checks that every id names a programme and every programme has words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from .facts import FACTS, Fact
from .language import asks
from .textnorm import normalise

__all__ = ["Term", "Lexicon", "lexicon", "LEXICON_FILE", "PROGRAMS", "SUBJECT", "REPLY_KINDS"]

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")
PROGRAMS = "programs"
SUBJECT = "subject"
REPLY_KINDS = ("affirm", "deny", "dont_know", "unsure", "hedge")
# Commands that change or delete what is stored: acted on only when a short message asks for them
# (one of their words, and no question words: "重新申请要带什么" asks, "从头来吧" commands)
COMMANDS = ("restart", "forget")
COMMAND_LONGEST = 16  # characters: a longer message is a story or a question, not a command
_REQUEST = re.compile(r"^(?:你们|你)?(?:请|麻烦|能不能|可不可以|可以|能|帮我|帮忙)")
_REQUEST_END = re.compile(r"[吗么嘛][?？。！!]*$")
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
    def __init__(self, data: Mapping[str, Any], facts: Mapping[str, Fact] | None = None,
                 source: str = "lexicon"):
        """`data`: the parsed lexicon.yaml; `facts`: the fact definitions (default knowledge.facts)."""
        facts = FACTS if facts is None else facts
        self._source = source
        self._terms: dict[tuple[str, Any], Term] = {}
        self._index: dict[str, dict[str, Any]] = {}
        self._adult: set[str] = set()
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a mapping of kinds")
        unknown = set(data) - {PROGRAMS, SUBJECT, "replies", "commands"}
        if unknown:
            raise self._error(", ".join(sorted(map(str, unknown))),
                              f"unknown kind; known: {PROGRAMS}, {SUBJECT}, replies (each fact's words are "
                              f"in knowledge/facts.yaml)")
        for fact in facts.values():
            self._load_fact(fact)
        for kind in (PROGRAMS, SUBJECT):
            if kind in data:
                self._load_kind(kind, data[kind])
        self._replies = self._load_replies(data.get("replies") or {})
        self._commands = self._load_commands(data.get("commands") or {})
        self.kinds: tuple[str, ...] = tuple(dict.fromkeys(k for k, _ in self._terms))

    # loading and validation

    def _error(self, where: str, what: str) -> ValueError:
        return ValueError(f"{self._source}: {where}: {what}")

    def _load_fact(self, fact: Fact) -> None:
        for spec in fact.values.values():
            words = list(spec.terms)
            # a closed set's label is a term too ("视力残疾", "一级"); a yes/no fact's is a sentence
            if fact.kind != "bool" and _WORD.match(spec.label) and spec.label not in words:
                words.insert(0, spec.label)
            if words:
                self._add(fact.name, spec.value, spec.label, words)

    def _load_kind(self, kind: str, values: Any) -> None:
        if not isinstance(values, Mapping) or not values:
            raise self._error(kind, "expected a mapping of values to {terms: […]}")
        for raw_value, entry in values.items():
            where = f"{kind}.{raw_value}"
            if not isinstance(entry, Mapping):
                raise self._error(where, "expected {terms: […]}")
            allowed = {"label", "terms"} | ({"adult"} if kind == SUBJECT else set())
            unknown = set(entry) - allowed
            if unknown:
                raise self._error(where, f"unknown field(s) {sorted(unknown)}")
            terms = entry.get("terms") or []
            if not isinstance(terms, list):
                raise self._error(where, "terms must be a list")
            ids = tuple(str(raw_value).split(_COMBINE))
            if not all(_IDENT.match(i) for i in ids) or (kind == SUBJECT and len(ids) > 1):
                raise self._error(where, "a value is a lower-case identifier" +
                                  (" (or several joined by '+')" if kind == PROGRAMS else ""))
            value = ids if len(ids) > 1 else ids[0]
            label = entry.get("label")
            if kind == SUBJECT or len(ids) > 1:
                if not isinstance(label, str) or not label.strip():
                    raise self._error(where, "needs a label")
            elif label is not None:
                raise self._error(where, f"the label is the title in rules/programs/{value}.yaml")
            if entry.get("adult") is True:
                self._adult.add(value)
            self._add(kind, value, label or "", terms, where)

    def _load_replies(self, raw: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, Mapping) or set(raw) - set(REPLY_KINDS):
            raise self._error("replies", f"expected lists under {', '.join(REPLY_KINDS)}")
        out: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for kind in REPLY_KINDS:
            words = raw.get(kind) or []
            for w in words:
                self._check_word(w, f"replies.{kind}")
                if seen.setdefault(w, kind) != kind:
                    raise self._error(f"replies.{kind}", f"{w!r} is also under replies.{seen[w]}")
            out[kind] = tuple(words)
        return out

    def _load_commands(self, raw: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, Mapping) or set(raw) - set(COMMANDS):
            raise self._error("commands", f"expected lists under {', '.join(COMMANDS)}")
        for kind, words in raw.items():
            for w in words:
                self._check_word(w, f"commands.{kind}")
        return {kind: tuple(raw.get(kind) or ()) for kind in COMMANDS}

    def command(self, kind: str, text: str) -> bool:
        """Whether `text` asks for the command `kind`: short, with one of its words and no question word
        ("从头来吧", "把我刚才说的都删除掉"; never "从哪个月开始发钱", "重新申请要带什么" or "删了还能恢复吗").
        A request put as a question ("能删掉我的信息吗") is a request."""
        clean = normalise(text or "").replace(" ", "")
        if not clean or len(clean) > COMMAND_LONGEST or not any(w in clean for w in self._commands.get(kind, ())):
            return False
        if _REQUEST.match(clean):  # "能不能删掉我的信息" asks for it
            clean = _REQUEST_END.sub("", _REQUEST.sub("", clean))
        return not asks(clean)

    def _check_word(self, t: Any, where: str) -> None:
        if not isinstance(t, str) or not t.strip():
            raise self._error(where, f"term {t!r} is not text")
        if normalise(t) != t or " " in t:
            raise self._error(where, f"term {t!r} is not normalised: write {normalise(t).replace(' ', '')!r}")

    def _add(self, kind: str, value, label: str, terms: Iterable, where: str = "") -> None:
        where = where or f"{kind}.{value}"
        words: list[str] = []
        for t in terms:
            self._check_word(t, where)
            if t in words:
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
        term = self._terms.get((kind, value))
        if term is None or not term.label:
            raise KeyError(f"{kind}: no label for {value!r}")
        return term.label

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
        """(surface term, kind, value) for every term (closed sets' labels included)."""
        for term in self._terms.values():
            for word in term.terms:
                yield word, term.kind, term.value

    def replies(self, kind: str) -> tuple[str, ...]:
        """The everyday words of a reply: "affirm", "deny", "dont_know", "unsure" or "hedge"."""
        return self._replies[kind]

    def adult(self, subject: str) -> bool:
        """Whether the person a subject names is certainly 18 or older (a parent, a spouse)."""
        return subject in self._adult


def _show(value) -> str:
    return _COMBINE.join(value) if isinstance(value, tuple) else str(value)


def load(path: str | Path = LEXICON_FILE, **kwargs) -> Lexicon:
    from knowledge.yamlfile import load_file

    data = load_file(path)
    return Lexicon(data, source=Path(path).name, **kwargs)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return load()
