"""The words the message reader reads around a term (knowledge/language.yaml): what denies it, what asks
about it, what says it of another time or another person, what a number counts, where a place is
only where something happens. bot/nlu/extract.py and bot/nlu/understand.py keep how the pieces
combine; the words are here, so that a new way of saying one of these things is a data change.

    words("negation")                    -> ("没有", "没", "不是", …)       a list, in the file's order
    chars("particles")                   -> "了吧啊呀呢…"                   a list of single characters
    means("shorthand")                   -> {"肢": "physical", …}            words with what each means
    language().expand(r"{negation}{gap}?\\s*$")                             a regular expression
    NEG_BEFORE = Pattern(r"{negation}{gap}?\\s*$"); NEG_BEFORE.search(text)  compiled at first use

In a pattern (the file's own `pattern:` entries and the readers' templates), `{name}` stands for the
alternation of the list, map or pattern `name`: `(?:…)`, a list's words escaped and longest first (so
that "没有" is tried before "没"); `{name:chars}` for a list of single characters written for a
character class (`[{particles:chars}]`). Any other brace is the regular expression's own (`{0,8}`).

Nothing is read until a word is asked for, and the file is read once: importing the readers costs
nothing, and `zhucan check` never reads it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

__all__ = ["LANGUAGE_FILE", "Language", "Pattern", "asks", "chars", "language", "load", "means", "words"]

LANGUAGE_FILE = Path(__file__).with_name("language.yaml")
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
# {name} or {name:chars}; a quantifier such as {0,8} or {1,6}? is left alone
_REFERENCE = re.compile(r"\{([a-z][a-z0-9_]*)(:chars)?\}")


@dataclass(frozen=True)
class Language:
    lists: dict = field(default_factory=dict)  # name -> tuple of words, in the file's order
    maps: dict = field(default_factory=dict)  # name -> {word: meaning}
    patterns: dict = field(default_factory=dict)  # name -> pattern as written, with {references}
    source: str = "language.yaml"

    def words(self, name: str) -> tuple[str, ...]:
        """The words of a list (or a map's words), in the order the file gives them."""
        if name in self.lists:
            return self.lists[name]
        if name in self.maps:
            return tuple(self.maps[name])
        raise KeyError(f"{self.source}: no list {name!r}")

    def chars(self, name: str) -> str:
        """A list of single characters, as one string ("了吧啊"): for str.strip and character classes."""
        found = self.words(name)
        if any(len(w) != 1 for w in found):
            raise ValueError(f"{self.source}: {name}: every word must be one character to be read as characters")
        return "".join(found)

    def means(self, name: str) -> dict:
        return self.maps[name]

    def expand(self, template: str) -> str:
        """A regular expression with every {name} replaced by what it stands for (see the module doc)."""
        return _REFERENCE.sub(self._replace, template)

    def _replace(self, m: re.Match) -> str:
        name, as_chars = m.group(1), m.group(2)
        if as_chars:
            return re.escape(self.chars(name))
        if name in self.patterns:
            return "(?:" + self.expand(self.patterns[name]) + ")"
        return "(?:" + "|".join(map(re.escape, longest_first(self.words(name)))) + ")"


def longest_first(found) -> list[str]:
    """Longest first, the file's order among words of one length: in an alternation a word is tried
    before its own beginning ("没有" before "没", "会不会" before "会")."""
    return sorted(found, key=len, reverse=True)


def _check(data: Any, source: str) -> Language:
    """The parsed file -> a Language: sections of named entries, each a list of words, a map of words
    to meanings ({means: {…}}) or a pattern ({pattern: …}). Names are unique across sections; every
    {reference} names an entry; no list holds a word twice."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected sections of named entries")
    lists: dict[str, tuple[str, ...]] = {}
    maps: dict[str, dict] = {}
    patterns: dict[str, str] = {}
    for section, entries in data.items():
        if not isinstance(entries, Mapping):
            raise ValueError(f"{source}: {section}: expected named entries")
        for name, entry in entries.items():
            where = f"{source}: {section}.{name}"
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(f"{where}: a name is a lower-case identifier")
            if name in lists or name in maps or name in patterns:
                raise ValueError(f"{where}: the name is used twice")
            if isinstance(entry, list):
                lists[name] = _words(entry, where)
            elif isinstance(entry, Mapping) and set(entry) == {"pattern"} and isinstance(entry["pattern"], str):
                patterns[name] = entry["pattern"]
            elif isinstance(entry, Mapping) and set(entry) == {"means"} and isinstance(entry["means"], Mapping):
                _words(list(entry["means"]), where)
                maps[name] = {str(k): v for k, v in entry["means"].items()}
            else:
                raise ValueError(f"{where}: expected a list of words, {{pattern: …}} or {{means: {{word: …}}}}")
    lang = Language(lists, maps, patterns, source)
    for name, pattern in patterns.items():
        for ref in _REFERENCE.finditer(pattern):
            if ref.group(1) not in lists and ref.group(1) not in maps and ref.group(1) not in patterns:
                raise ValueError(f"{source}: {name}: {{{ref.group(1)}}} names no entry")
    return lang


def _words(entry: list, where: str) -> tuple[str, ...]:
    seen: set[str] = set()
    for w in entry:
        if not isinstance(w, str) or not w:
            raise ValueError(f"{where}: {w!r} is not a word (quote it if YAML reads it as something else)")
        if w in seen:
            raise ValueError(f"{where}: {w!r} is listed twice")
        seen.add(w)
    return tuple(entry)


def load(path: str | Path = LANGUAGE_FILE) -> Language:
    from .yamlfile import load_file

    return _check(load_file(path), Path(path).name)


@lru_cache(maxsize=1)
def language() -> Language:
    return load()


def words(name: str) -> tuple[str, ...]:
    return language().words(name)


def chars(name: str) -> str:
    return language().chars(name)


def means(name: str) -> dict:
    return language().means(name)


def asks(text: str) -> bool:
    """Whether `text` asks something (a word of `asking`: "吗", "怎么", "？"), rather than only states."""
    from .textnorm import normalise

    clean = normalise(text or "")
    return any(w in clean for w in words("asking"))


class Pattern:
    """A regular expression written with the language file's names, compiled the first time it is used
    (and again if the language in use is another: a test's copy of the file). Has the methods of a
    compiled pattern that the readers use."""

    __slots__ = ("template", "flags", "_compiled", "_of")

    def __init__(self, template: str, flags: int = 0):
        self.template = template
        self.flags = flags
        self._compiled: re.Pattern | None = None
        self._of: Language | None = None

    def compiled(self) -> re.Pattern:
        lang = language()
        if self._of is not lang:
            self._compiled, self._of = re.compile(lang.expand(self.template), self.flags), lang
        return self._compiled

    @property
    def pattern(self) -> str:
        return self.compiled().pattern

    def search(self, string: str, *args) -> re.Match | None:
        return self.compiled().search(string, *args)

    def match(self, string: str, *args) -> re.Match | None:
        return self.compiled().match(string, *args)

    def fullmatch(self, string: str, *args) -> re.Match | None:
        return self.compiled().fullmatch(string, *args)

    def finditer(self, string: str, *args):
        return self.compiled().finditer(string, *args)

    def sub(self, repl, string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)

    def __repr__(self) -> str:
        return f"Pattern({self.template!r})"
