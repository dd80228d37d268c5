"""Language as data (issue 14): the phrases (knowledge/phrases.yaml) and the words around a term
(knowledge/language.yaml) that the message reader reads with.

Every phrase is read as it says in its own examples; every word is normalised text, once in its list;
every pattern compiles; every entry is used. And a new way of saying something is a data change: a copy
of a file with one more entry is all the reader needs to read it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import knowledge.language
import knowledge.phrases
from bot.nlu import extract as extract_module
from bot.nlu import normalise as normalise_module
from bot.nlu import understand as understand_module
from bot.nlu.extract import extract
from bot.nlu.understand import understand
from knowledge.language import LANGUAGE_FILE, Pattern, language
from knowledge.phrases import PHRASES_FILE, phrases
from knowledge.textnorm import normalise

ROOT = Path(__file__).resolve().parents[1]
READERS = (extract_module, understand_module)
USERS = READERS + (knowledge.language, normalise_module)  # language.asks reads `asking`, normalise `written_as`


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
    assert (len(p.facts), len(p.programs), len(p.english)) == (84, 17, 3)
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


def _raw_language() -> dict:
    return yaml.safe_load(LANGUAGE_FILE.read_text(encoding="utf-8"))


def _raw_lists():
    """(section.name, words) of every list and map of the file, as written."""
    for section, entries in _raw_language().items():
        for name, entry in entries.items():
            if isinstance(entry, list):
                yield f"{section}.{name}", [str(w) for w in entry]
            elif "means" in entry:
                yield f"{section}.{name}", [str(w) for w in entry["means"]]


@pytest.mark.parametrize("name,words", list(_raw_lists()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_word_is_normalised_and_listed_once(name, words):
    assert words, name
    assert [w for w in words if normalise(w) != w or " " in w or not w] == []
    assert len(set(words)) == len(words), [w for w in words if words.count(w) > 1]


def test_lists_read_as_characters_hold_single_characters():
    lang = language()
    for name in ("particles", "filler_particles", "count_fillers", "not_grade_after", "not_grade_before",
                 "owner_marks", "not_self_before", "moved", "age_said_before"):
        assert lang.chars(name)


def test_every_pattern_compiles():
    lang = language()
    for name, pattern in lang.patterns.items():
        re.compile(lang.expand(pattern))
        re.compile(lang.expand("{" + name + "}"))
    for name in (*lang.lists, *lang.maps):
        re.compile(lang.expand("{" + name + "}"))
    for module in READERS:  # the readers' own: how the words combine
        patterns = [v for v in vars(module).values() if isinstance(v, Pattern)]
        assert patterns
        for p in patterns:
            p.compiled()
    for _, _, phrase in _entries():
        assert isinstance(phrase.pattern, re.Pattern)


def test_a_list_is_an_alternation_longest_first():
    lang = language()
    assert lang.expand("{not_said}") == "(?:并不是说|也不能说|不是说|没有说|不能说|不好说|没说)"
    assert lang.expand("{gap}").startswith("(?:申请过|")  # "申请过" before "申请" before "申"…
    assert lang.expand("[{moved:chars}]") == "[搬迁]"
    assert lang.expand(r"[^，。]{0,8}") == r"[^，。]{0,8}"  # the expression's own braces stay


def test_every_entry_is_read_by_a_reader():
    """No dead words: each entry is named by a reader's pattern, a call, or another entry's pattern."""
    sources = "".join(Path(m.__file__).read_text(encoding="utf-8") for m in USERS)
    sources += "".join(language().patterns.values())
    lang = language()
    unused = [n for n in (*lang.lists, *lang.maps, *lang.patterns)
              if not re.search(r"\{" + n + r"(?::chars)?\}|\(\"" + n + r"\"\)", sources)]
    assert unused == []


def test_the_file_is_checked_when_read(tmp_path):
    bad = tmp_path / "language.yaml"
    bad.write_text("negation:\n  negation: [没有, 没, 没有]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="listed twice"):
        knowledge.language.load(bad)
    bad.write_text("negation:\n  after: {pattern: '{nothing}'}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="names no entry"):
        knowledge.language.load(bad)
    bad = tmp_path / "phrases.yaml"
    bad.write_text("phrases:\n  - {pattern: '没证', fact: has_certificate, value: maybe, examples: [没证]}\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="true or false"):
        knowledge.phrases.load(bad)


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


def test_a_new_word_is_a_word_of_the_file(tmp_path, monkeypatch):
    said = "他唔曾办残疾证"  # 唔曾: 没有 in 粤语, not a negation of the file today
    denied = {"entity": "has_certificate", "start": 1, "end": 7, "value": "false"}
    assert denied not in extract(said)  # not a negation of the file today
    raw = _raw_language()
    raw["negation"]["negation"].append("唔曾")
    copy = tmp_path / "language.yaml"
    copy.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    added = knowledge.language.load(copy)
    monkeypatch.setattr(knowledge.language, "language", lambda: added)

    assert denied in extract(said)
    monkeypatch.undo()
    assert denied not in extract(said)  # the readers' patterns follow the file in use


@pytest.mark.parametrize("text,fact,value", [
    ("他木有残疾证", "has_certificate", False),
    ("俺家木有低保", "household", "none"),  # asked back, as 没有低保 is
    ("我妈木有工作", "employed", False),
    ("他冇办残疾证", "has_certificate", False),
    ("他莫有办残疾证", "has_certificate", False),
    ("他冒得残疾证", "has_certificate", False),
    ("他没得残疾证", "has_certificate", False),
    ("我家是低宝户，我爸肢体二级", "household", "dibao"),  # 低保 typed by its sound
])
def test_an_everyday_spelling_is_read_as_the_word(text, fact, value):
    reading = understand(text)
    said = {**reading.confirm, **reading.facts}
    assert said.get(fact) == value, (text, said)


def test_a_phrase_that_suggests_is_confirmed_not_taken():
    suggesting = [p for p in phrases().facts if p.suggests]
    assert suggesting
    for p in suggesting:
        for example in p.examples:
            r = understand(example)
            assert p.fact not in r.facts and r.confirm.get(p.fact) is not None, example
