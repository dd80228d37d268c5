"""The profile: what we know about one person (CONTRACT.md section 1), checked.

Every key is optional and a missing key means "not known yet", never "no" or 0. A value outside its
type or range is an error that names the key, the value and what is allowed: it never reaches the
engine and is never silently dropped.
"""
from __future__ import annotations

from typing import Any, Mapping

from knowledge.facts import FACTS, Fact

# Each fact's definition (type, range, values, words, question) lives in knowledge/facts.yaml; this
# module holds what the rules need of it: checking values, and reading a typed one.
__all__ = ["FACTS", "Fact", "ProfileError", "check_value", "parse_value", "validate_profile", "resolve_region"]

# Typed yes/no words of a command-line option or a CSV cell (besides each fact's own answer words).
YES = {"yes", "y", "true", "1", "是", "有", "对"}
NO = {"no", "n", "false", "0", "否", "没有", "无", "不是"}


class ProfileError(ValueError):
    """A bad profile key or value. `key` and `value` say which; the message says what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}: {value!r} is not allowed; {allowed}")


def check_value(key: str, value: Any) -> Any:
    """Return the value in canonical form, or raise ProfileError."""
    fact = FACTS.get(key)
    if fact is None:
        raise ProfileError(key, value, "unknown key; known keys: " + ", ".join(FACTS))
    if fact.kind == "bool":
        if isinstance(value, bool):
            return value
    elif fact.kind == "int":
        # JSON has no int/float split: 3.0 is 3, but 3.5 and true are errors.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and fact.low <= value <= fact.high:
            return value
    elif fact.kind == "enum":
        if isinstance(value, str) and value in fact.values:
            return value
    elif fact.kind == "region":
        if isinstance(value, str) and value.strip():
            return resolve_region(value)
    raise ProfileError(key, value, fact.allowed())


def parse_value(key: str, text: str) -> Any:
    """A typed value (a command-line option, a CSV cell, a one-word answer) -> the fact's canonical
    value: yes/no words, numbers in any form ("五", "5岁"), the lexicon's words for a closed set
    ("肢体", "低保"), place names. Raises ProfileError saying what is allowed."""
    fact = FACTS.get(key)
    if fact is None:
        return check_value(key, text)  # the error names the known keys
    raw = text.strip()
    value: Any = raw
    if fact.kind == "bool":
        value = True if raw.lower() in YES else False if raw.lower() in NO else _word_value(fact, raw)
        if value is None:
            raise ProfileError(key, text, "allowed: yes or no (是/否)")
    elif fact.kind == "int":
        from knowledge.textnorm import parse_number

        value = parse_number(raw.rstrip("岁级个月"))
        if value is None:
            value = _word_value(fact, raw)
        if value is None:
            raise ProfileError(key, text, fact.allowed())
    elif fact.kind == "enum" and raw not in fact.values:
        found = _word_value(fact, raw)
        value = found if found is not None else raw
    return check_value(key, value)


def _word_value(fact: Fact, text: str) -> Any:
    """The value a whole word names: an option word, a term or an answer form ("肢体", "都不是")."""
    from knowledge.textnorm import normalise

    word = normalise(text).replace(" ", "")
    for spec in fact.values.values():
        if word in (spec.option, spec.label) or word in spec.terms or word in spec.answers:
            return spec.value
    return None


def resolve_region(text: str) -> str:
    """A code or a place name → the 6-digit code, via the gazetteer (errors list the candidates)."""
    from knowledge.gazetteer import PlaceError, gazetteer

    try:
        return gazetteer().resolve(text).code
    except PlaceError as err:
        raise ProfileError("region", text, str(err)) from err


def validate_profile(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check every key and value; a JSON null counts as "not known" and is dropped."""
    if not isinstance(data, Mapping):
        raise ProfileError("profile", data, "a profile is a JSON object of facts")
    return {key: check_value(key, value) for key, value in data.items() if value is not None}
