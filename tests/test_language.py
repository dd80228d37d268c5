"""Language as data (issue 14): the phrases (knowledge/phrases.yaml) that the message reader reads with.

Every phrase is read as it says in its own examples. And a new way of saying something is a data
change: a copy of the file with one more entry is all the reader needs to read it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import knowledge.phrases
from bot.nlu.extract import extract
from bot.nlu.understand import understand
from knowledge.phrases import PHRASES_FILE, phrases

ROOT = Path(__file__).resolve().parents[1]


def _entries():
    p = phrases()
    return [(section, i, phrase) for section in ("facts", "programs", "english")
            for i, phrase in enumerate(getattr(p, section))]


def _said(entities: list[dict], phrase, span: tuple[int, int]) -> bool:
    """Whether an entity says what the phrase says, on words that overlap its match."""
    for e in entities:
        same = e["value"] == phrase.value or (phrase.fact == "program" and phrase.value in e["value"].split("+"))
        if e["entity"] == phrase.fact and same and e["start"] < span[1] and span[0] < e["end"]:
            return True
    return False


@pytest.mark.parametrize("section,i,phrase", _entries(),
                         ids=lambda x: x if isinstance(x, (str, int)) else f"{x.fact}={x.value}")
def test_every_phrase_is_read_in_its_examples(section, i, phrase):
    assert 2 <= len(phrase.examples) <= 3
    for example in phrase.examples:
        m = phrase.pattern.search(example)
        assert m, f"{section}[{i}]: the pattern does not match its example {example!r}"
        found = extract(example)
        assert _said(found, phrase, m.span()), (example, found)


def test_the_tables_keep_their_size_and_order():
    p = phrases()
    assert (len(p.facts), len(p.programs), len(p.english)) == (51, 10, 3)
    assert (p.facts[0].fact, p.facts[0].value) == ("has_certificate", "false")  # 没证 before 证…有 (order matters)
    assert p.facts[-1].pattern.pattern == "(?P<t>长照|需长照)"


def _test_set_texts() -> set[str]:
    """Every string of the test sets (only to compare with; nothing of them is printed)."""
    out: set[str] = set()

    def walk(o):
        if isinstance(o, str):
            out.add(o.strip())
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for path in sorted((ROOT / "tests" / "nlu").rglob("*.yml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return out


def test_examples_are_written_for_the_file_not_copied_from_the_test_sets():
    texts = _test_set_texts()
    copied = [e for _, _, p in _entries() for e in p.examples if e.strip() in texts]
    assert copied == []


def test_phrases_name_facts_and_programmes_that_exist():
    from knowledge.facts import FACTS

    programmes = {p.stem for p in (ROOT / "rules" / "programs").glob("*.yaml")}
    for _, _, phrase in _entries():
        assert phrase.fact in FACTS or (phrase.fact == "program" and phrase.value in programmes), phrase


# --- a new way of saying something is a data change -------------------------------------------------

def test_a_new_phrase_is_an_entry_of_the_file(tmp_path, monkeypatch):
    said = "我爸走路得人搀着"
    assert not any(e["entity"] == "needs_long_term_care" for e in extract(said))  # not read today
    raw = yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8"))
    raw["phrases"].append({"pattern": "(?P<t>(?:得|要|需要)(?:有)?人搀着)", "fact": "needs_long_term_care",
                           "value": True, "examples": [said]})
    copy = tmp_path / "phrases.yaml"
    copy.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    added = knowledge.phrases.load(copy)
    monkeypatch.setattr(knowledge.phrases, "phrases", lambda: added)

    assert {"entity": "needs_long_term_care", "start": 4, "end": 8, "value": "true"} in extract(said)
    r = understand(said)
    assert r.facts.get("needs_long_term_care", r.confirm.get("needs_long_term_care")) is True
    assert extract("我爸走路不用人搀着") == [{"entity": "subject", "start": 0, "end": 2, "value": "father"}]


def test_the_file_is_checked_when_read(tmp_path):
    bad = tmp_path / "phrases.yaml"
    bad.write_text("phrases:\n  - {pattern: '没证', fact: has_certificate, value: maybe, examples: [没证]}\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="true or false"):
        knowledge.phrases.load(bad)
