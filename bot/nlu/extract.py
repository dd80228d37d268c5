"""Entities from one message, by rule: the facts of a person's situation, the programmes asked about
and who the message is about. Plain Python, no Rasa: the Rasa component (bot.nlu.components) wraps
it, and anything else (the caseworker's one-message /check) can call `extract(text)` directly.

    extract("我爸在太原，肢体一级，瘫在床上要人照顾，能领护理补贴吗")
    -> [{"entity": "subject", "start": 0, "end": 2, "value": "father"},
        {"entity": "region", "start": 3, "end": 5, "value": "140100"},
        {"entity": "disability_category", "start": 6, "end": 8, "value": "physical"},
        {"entity": "disability_grade", "start": 8, "end": 10, "value": "1"},
        {"entity": "needs_long_term_care", "start": 11, "end": 15, "value": "true"},   # 瘫在床上
        {"entity": "needs_long_term_care", "start": 15, "end": 19, "value": "true"},   # 要人照顾
        {"entity": "program", "start": 22, "end": 26, "value": "care_subsidy"}]

Entities are sorted by start, the longer first; a fact may come twice (a non-list slot takes the last,
so "不是低保，是低保边缘" ends on low_income). Some words say two things and give two entities on the
same span: 上班/就业/打工 (employed true and exit_cause employment; exit_cause first when the message
is about a 低保 household's income), 两项补贴 (one program entity "living_subsidy+care_subsidy").

Entity types and values (docs/conversation.md): one type per profile fact, plus `program` and
`subject`; values are canonical strings ("physical", "dibao", "140100", "true"/"false", "4").
Two more types, for answers that only the question makes precise: `months` (a number of months
with nothing around it that says which count it is: "两个月") and `number` (a message that is only a
number: "56", "五"). The dialogue maps them to the slot it asked for.

Where the values come from, in order:
- closed sets (categories, grades, households, programmes, yes/no facts, subjects): the lexicon
  (knowledge/lexicon.yaml), matched on the tokens of the project's jieba, either from the entity
  ruler of the spaCy pipeline (doc.ents) or, without spaCy, by the same phrase match in Python;
- negation in a small window before or right after the term, inside its clause ("没有残疾证",
  "不需要人照顾", "不是低保" -> household none, "残疾证还没办下来"; the entity's span then takes in
  the negation), and questions or intentions ("有没有残疾证", "怎么办残疾证", "能领低保吗") that
  settle nothing; a denied category or grade ("不是一级") gives nothing;
- phrase patterns for what a single term cannot say ("没证", "生活能自理", "瘫在床上",
  "收入超过了低保标准", "单独给她办低保", "care subsidy"): knowledge/phrases.yaml, each with the messages
  it must be read in;
- numbers in any form via knowledge.textnorm.find_numbers: 岁/周岁 -> age, 级 -> disability_grade,
  个月/年 -> months_above_line or months_employed by the words around them (收入/超过/低保标准 vs
  上班/工作/就业), else `months`. Out-of-range values (200岁, 7级) are extracted as they are: the
  action server says what is wrong with them;
- places via knowledge.gazetteer (names in a row, weak county names dropped): the 6-digit code, or
  the words as typed when they name several places; romanised names ("Taiyuan") by pinyin.

Positions are character offsets in the text as given; the text is normalised first
(bot.nlu.normalise: same length, so offsets hold).

Where the words live (language as data, issue 14): the terms in knowledge/facts.yaml and
knowledge/lexicon.yaml; the phrases in knowledge/phrases.yaml; the words around a term that change what
it says in knowledge/language.yaml: negation and what stands between (`negation`), questions and
intentions (`questions`), another time, a case, people in general (`unstated`), a programme's name or the
household's status (`programmes`), other gradings (`grades`), what a number counts (`numbers`), where a
place is only where something happens (`places`). This module keeps how they combine: each pattern below
is written with the file's names ("{negation}{gap}?" right before the term: a negation, words between), compiled
the first time it is used (knowledge.language.Pattern). What stays here is the grammar of numbers, dates
and punctuation, which no list says better. A new word is a data change: add it, add a message that
needs it to tests/ (tests/test_language.py for a phrase's examples), run the stress sets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable, Sequence

from knowledge.language import Pattern, chars, means, words

from .normalise import normalise_text

__all__ = ["extract", "extract_doc", "ENTITY_TYPES", "EXTRA_TYPES", "MONTHS", "NUMBER"]

MONTHS = "months"
NUMBER = "number"
BOOL_FACTS = ("has_certificate", "needs_long_term_care", "autism", "in_welfare_institution", "orphan",
              "employed", "income_above_line")
ENTITY_TYPES = ("region", "age", "has_certificate", "disability_category", "disability_grade", "autism",
                "needs_long_term_care", "household", "in_welfare_institution", "orphan", "employed",
                "exit_cause", "income_above_line", "months_above_line", "months_employed", "program",
                "subject")
EXTRA_TYPES = (MONTHS, NUMBER)

_CLAUSE = "，。,.;；!！?？\n、:："
_TRUE, _FALSE = "true", "false"

# --- negation ----------------------------------------------------------------------------------
# The words are knowledge/language.yaml's ({name} is one of its lists or patterns); here, where they
# stand around a term. A negation right before it, words such as 办/是/在 between: "没有办残疾证", "不在福利院".
_NEG_BEFORE = Pattern(r"{negation}{gap}?\s*$")
_NEG_BEFORE_EN = Pattern(r"{negation_en}$", re.IGNORECASE)
# A question or an intention right before it settles nothing: "有没有残疾证", "怎么办残疾证"
_QUESTION_BEFORE = Pattern(r"{question_before}{gap}?\s*$")
# The rest of its clause denies or asks: "残疾证还没办下来", "残疾证有没有？"
_NEG_AFTER = Pattern(r"^\s*{denied_after}\s*$")
_QUESTION_AFTER = Pattern(r"^\s*{asked_after}\s*[?？]?\s*$")
# "不是没有证": two negations say yes; "我可没说他不要人照顾": what was not said says nothing.
_DOUBLE_NEG = Pattern(r"{double_negation}{gap}?\s*$")
_NOT_SAID = Pattern(r"{not_said}[^，。,.;；\s]{0,8}$")
# A term said of another time, of a case that may not be, or of someone else in general: it states
# nothing about this person now ("以前是低保户", "残疾证丢了的话", "打零工的时候", "怀疑是孤独症",
# "只有低保户才能领", "跟孤儿差不多"). A few words may stand between the word before and the term.
_UNSTATED_BEFORE = Pattern(r"{unstated_before}[^，。,.;；!！?？\s]{0,8}$|{unstated_right_before}$")
_NOW = Pattern("{now}")
_UNSTATED_WORD = Pattern("{unstated_before}")  # matched at a reach's start, or searched for in a clause
_UNSTATED_AFTER = Pattern("^{unstated_after}")
_GROUP_AFTER = Pattern(r"^(?:{group_after})[^，。,.;；!！?？\s]")
_MEMBER_BEFORE = Pattern(r"(?:{speaker}|{we}|他|她|家)[^，。,.;；!！?？\s]{0,4}(?:{member_is})[^，。,.;；!！?？\s]{0,3}$")
_ASKS_HOW_WHERE = Pattern("{asks_how_where}")
_LAPSED = Pattern("{lapsed}")  # later in the clause: "办了又过期了"
_LAPSED_BENEFIT = Pattern("{lapsed_benefit}")  # …of a benefit: "低保七月份就取消了"
_BENEFIT_TERM = Pattern("{benefit_terms}")
_IF_AFTER = Pattern("^{if_after}")
_QUESTION_REST = Pattern("{question_rest}")
_COMPARED = Pattern(r"{compared}[^，。,.;；\s]{0,6}$")
_COMPARED_AFTER = Pattern(r"^[^，。,.;；\s]{0,4}{compared_after}")
_COMPARED_WITH = Pattern(r"^{compared}[^，。,.;；\s]{0,8}?{compared_after}")  # "特困供养跟五保户是一回事不"


@lru_cache(maxsize=1)
def relatives() -> str:
    """Every way the lexicon names a person other than the speaker (我爸, 闺女, 老伴…), longest first, as
    one regular-expression alternation."""
    from knowledge.lexicon import SUBJECT, lexicon

    names = {t for term in lexicon().terms(SUBJECT) if term.value != "self" for t in term.terms}
    return "|".join(map(re.escape, sorted(names, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _named_person() -> re.Pattern:
    """A person of the lexicon named with the speaker's word ("我女儿", "俺娘"): where words said of
    another time stop reaching in a run-on message."""
    speaker = "|".join(map(re.escape, words("speaker")))
    return re.compile(f"(?:{speaker})(?:{relatives()})")


def _person_after(reach: str) -> bool:
    """Whether a person is named after the word of another time and what it said ("以前是低保户我女儿
    听力三级": the daughter's grade is now), not right after it ("以前我女儿是低保户")."""
    word = _UNSTATED_WORD.match(reach)
    person = _named_person().search(reach, word.end() if word else 0)
    return bool(word and person and person.start() - word.end() >= 2)


def unstated(text: str, start: int, end: int) -> bool:
    """Whether the term at [start, end) is said of another time, a case that may not be, or people in
    general, rather than of this person now (see _UNSTATED_BEFORE)."""
    before, after = _clause(text, start, end)
    past = _UNSTATED_BEFORE.search(before)
    if past and not _NOW.search(before[past.start():]) and not _person_after(before[past.start():]):
        return True
    ask = _UNSTATED_AFTER.match(after)
    if ask and not (_ASKS_HOW_WHERE.match(ask.group())
                    and _OTHER_PROGRAMME.search(after[ask.end():])):
        return True  # "残疾证怎么办"; but "低保户咋申请护理补贴" asks about another programme
    if _LAPSED.search(after[:12]):
        return True
    if _LAPSED_BENEFIT.search(after[:10]) and _BENEFIT_TERM.search(text[start:end]):
        return True  # "低保七月份就取消了": a benefit that was stopped
    if _GROUP_AFTER.match(after) and not _MEMBER_BEFORE.search(before):
        return True  # "低保对象能领多少": a group of people, not this person
    if _IF_AFTER.match(after) and _QUESTION_REST.search(text[end:]):
        return True  # "上班以后低保还能保留多久": a case asked about
    if _COMPARED_WITH.match(after):
        return True  # the term compared with another: what it is, not what the person has
    return bool(_COMPARED.search(before) and _COMPARED_AFTER.match(after))


def _asks_either_way(text: str, e: _Ent) -> bool:
    """A no read from a verb asked both ways ("超没超低保标准", "够不够"): a question, not a denial."""
    return (e.value == _FALSE and e.end - e.start >= 2 and text[e.start] in "没不" and e.start > 0
            and text[e.start - 1] == text[e.start + 1] != "在")  # not "现在没在上班"


def _ends_clause(text: str, i: int) -> bool:
    """Whether the character at i ends a clause: punctuation, or a space between Chinese words (the
    spaces left inside words were taken out by _squeeze; "no certificate" keeps its spaces, and so does
    "还没有 disability certificate": a space before an English word is the writer's, not a pause)."""
    ch = text[i]
    if ch in _CLAUSE:
        return True
    return ch.isspace() and 0 < i < len(text) - 1 and not (text[i - 1].isascii() and text[i + 1].isascii()) \
        and not (text[i + 1].isascii() and text[i + 1].isalpha())


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The text before `start` and after `end` inside the same clause."""
    b = start
    while b > 0 and not _ends_clause(text, b - 1):
        b -= 1
    e = end
    while e < len(text) and not _ends_clause(text, e):
        e += 1
    return text[b:start], text[end:e]


# An English word right before an English term, its own ("disability certificate")
_ENGLISH_WORD_BEFORE = re.compile(r"[A-Za-z][A-Za-z'-]*\s+$")


def polarity(text: str, start: int, end: int) -> bool | None:
    """True: the term at [start, end) is asserted; False: denied; None: asked about."""
    return negation(text, start, end)[0]


def negation(text: str, start: int, end: int) -> tuple[bool | None, int, int]:
    """(polarity, start, end): a denied term's span grows to take in its negation, so that the
    entity is the words that say it ("没有残疾证", "残疾证还没办下来")."""
    before, after = _clause(text, start, end)
    if _QUESTION_BEFORE.search(before) or unstated(text, start, end) or _NOT_SAID.search(before):
        return None, start, end
    if text[end:end + 1] in ("?", "？") and not before.strip():
        return None, start, end  # "啥证？残疾证？没有那玩意儿": the word asked back, not said
    if _DOUBLE_NEG.search(before):
        return True, start, end
    m = _NEG_BEFORE.search(before) or _NEG_BEFORE_EN.search(before)
    if not m and text[start:end].isascii():  # "has no disability certificate", "还没有 disability certificate"
        trimmed = before
        for _ in range(2):  # one English word of the term's own taken off, then a second
            trimmed = _ENGLISH_WORD_BEFORE.sub("", trimmed, count=1)
            m = _NEG_BEFORE_EN.search(trimmed) or _NEG_BEFORE.search(trimmed)
            if m:
                break
    if m:
        return False, start - (len(before) - m.start()), end
    m = _NEG_AFTER.match(after)
    if m:
        return False, start, end + len(after.rstrip())
    if _QUESTION_AFTER.match(after) and (text[end:].strip() in words("asked_alone")
                                         or after.strip().rstrip("?？") in words("asked_in_clause")):
        return None, start, end
    return True, start, end


# --- phrase patterns ------------------------------------------------------------------------------
# knowledge/phrases.yaml (knowledge.phrases): what the lexicon's single terms cannot say, each a pattern,
# the fact and value it says, in an order that matters. The entity's span is the group "t" (the words
# after a negation), else the whole match. A phrase beats an overlapping lexicon match of the same
# entity type. Programmes named in people's words (the lexicon's terms are single words; these have
# words between) come from the same file.

# --- a programme, or the household's status ------------------------------------------------------
# Before 低保 in a clause: it names the programme someone applies for, not the household's status
# ("给她办低保", "申请低保", "能吃上低保"). After 了/过/下来 it is done ("办了低保": a 低保 household).
_APPLY_BEFORE = Pattern(r"{apply_before}(?:一?个)?$")
# A question about whether one may have it, a few words before: "能不能单独立户吃低保".
_MAY_BEFORE = Pattern(r"{may_before}[^，。,.;；!！?？\s]{0,8}?{take_verbs}?$")
# 低保 before a question about another programme is the household's ("低保户咋申请护理补贴").
_OTHER_PROGRAMME = Pattern("{other_programme}")
# After 低保: what the programme is like, not whether the household has it ("低保怎么申请").
_PROGRAM_AFTER = Pattern("^{program_after}")
_ASKS_HOW = Pattern("{asks_how}")
_OWNER_MARK = Pattern("[{owner_marks:chars}]")
_IN_GENERAL_AFTER = Pattern("{in_general_after}")
# Before a grade: another grading (血压, 伤残鉴定, 工伤, a hospital's): "高血压三级", "伤残鉴定二级".
# After it (language.yaml not_grade_after, not_grade_before): "一级市场", "二级医院", "高一级".
_OTHER_GRADING = Pattern(r"{other_grading}[^，。,.;；\s]{0,3}$")

# English that no single word of the lexicon holds (language.yaml en_grade, en_age; programmes in phrases.yaml)
_EN_GRADE = Pattern("{en_grade}", re.IGNORECASE)
_EN_AGE = Pattern("{en_age}", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[A-Za-z]{4,}")

# --- numbers ----------------------------------------------------------------------------------------
# What a count of months measures is the words it follows (language.yaml above_words, work_words).
_AGE_CUE = Pattern(r"{age_cue}{age_cue_then}?\s*$")
_PER_MONTH_BEFORE = Pattern(r"{per_month_before}\s*$")
_PER_MONTH_AFTER = Pattern(r"^\s*(?:{per_month_after}|有[\d一二三四五六七八九十两几百千]|[\d一二三四五六七八九十两几]+[百千万块元])")
_AGE_ADVERBS = Pattern(r"{age_person}?{age_adverbs}*$")
_GRADE_CUE = Pattern(r"{grade_cue}{grade_cue_then}?\s*$")
# In a message about a 低保 household's income, 上班/就业/打工 first says why it rose (exit_cause), then
# that the person works (employed); elsewhere the other way round. Both are always given.
# Work is why the income rose only where the message links the two: "开店以后收入超标了".
_EXIT_LINK = Pattern("{exit_link}")
_BECAUSE = Pattern(r"{because}[^，。,.;；\s]{0,6}$")
_PUNCTUATION = " \t\r\n,.;:!?，。；：！？、~～…"


def _filler() -> str:
    """What says nothing around a number: punctuation and particles (language.yaml filler_particles)."""
    return _PUNCTUATION + chars("filler_particles")


@dataclass
class _Ent:
    entity: str
    start: int
    end: int
    value: str
    source: str  # "phrase" | "lexicon" | "number" | "place"
    negated: bool = False  # a household "none" read from a negation ("没有低保")
    unsure: bool = False  # what it is was told by words far from it: to be confirmed, never taken

    def as_dict(self) -> dict:
        out = {"entity": self.entity, "start": self.start, "end": self.end, "value": self.value}
        if self.negated:
            out["negated"] = True
        if self.unsure:
            out["unsure"] = True
        return out


# --- the lexicon as token sequences ------------------------------------------------------------------

class _Terms:
    """Lexicon terms as sequences of the tokenizer's tokens (what the entity ruler matches)."""

    def __init__(self):
        from knowledge.lexicon import lexicon
        from knowledge.segment import tokenizer

        from bot.nlp.build_spacy import LABELS, value_id

        jb = tokenizer()
        self.by_text: dict[str, list[tuple[str, str]]] = {}
        self.by_tokens: dict[tuple[str, ...], str] = {}
        self.kinds: dict[str, str] = {}
        for term, kind, value in lexicon().entries():
            label = LABELS.get(kind, kind)
            pairs = self.by_text.setdefault(term.lower(), [])
            if (label, value_id(value)) not in pairs:
                pairs.append((label, value_id(value)))
            toks = tuple(w.lower() for w in jb.cut(term, HMM=False) if w.strip())
            self.by_tokens[toks] = term.lower()
        self.max_tokens = max(map(len, self.by_tokens))

    def match(self, tokens: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
        """Character spans of terms in a token sequence: longest first, then leftmost, no overlaps
        (spaCy's filter_spans, as the entity ruler does)."""
        found = []
        low = [t[0].lower() for t in tokens]
        for i in range(len(tokens)):
            for n in range(1, min(self.max_tokens, len(tokens) - i) + 1):
                if tuple(low[i:i + n]) in self.by_tokens:
                    found.append((i, i + n))
        found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        taken: set[int] = set()
        out = []
        for i, j in found:
            if taken.isdisjoint(range(i, j)):
                taken.update(range(i, j))
                out.append((tokens[i][1], tokens[j - 1][2]))
        return sorted(out)


@lru_cache(maxsize=1)
def _terms() -> _Terms:
    return _Terms()


def _tokens(text: str) -> list[tuple[str, int, int]]:
    from knowledge.segment import tokenizer

    return [(w, s, e) for w, s, e in tokenizer().tokenize(text, HMM=False) if w.strip()]


# --- the API -------------------------------------------------------------------------------------------

def extract(text: str, nlp=None, about: str | None = None, today: date | None = None) -> list[dict]:
    """Entities of one message (see the module doc). `nlp`: the project's spaCy pipeline
    (bot.nlp.load()) to take the lexicon matches from its entity ruler; without it the same match is
    made in Python (no spaCy, no model: what a quick check needs). `today`: the day it is said on, for
    ages counted from it ("明年开春满十八"; knowledge.calendar)."""
    if not text or not text.strip():
        return []
    norm = normalise_text(text)
    squeezed, where = _squeeze(norm)
    if squeezed != norm:
        # "低保 边缘 户", "崇 明 的 七十 八 岁": read without the spaces that fall inside a word, said back
        # in place; the spaces between words stay, as the ends of clauses they are ("残疾证 孩子自闭症")
        found = _extract(squeezed, _terms().match(_tokens(squeezed)), about, today)
        for e in found:
            e["start"], e["end"] = where[e["start"]], where[e["end"] - 1] + 1
        return sorted(found, key=lambda e: (e["start"], -(e["end"] - e["start"])))
    if nlp is not None:
        return extract_doc(norm, nlp(norm))
    spans = _terms().match(_tokens(norm))
    return _extract(norm, spans, about, today)


# What lasts once it is so: said of a past time, it is still so ("五岁那年查出来的自闭症")
_LASTING = ("autism",)
_EXAMPLE_BEFORE = Pattern("{for_example}")
_SPACE_IN_WORDS = re.compile(r"(?<=[\u4e00-\u9fff])(?<![一二两三四五六七八九])[ \t\u3000]+(?=[\u4e00-\u9fff\d])|"
                             r"(?<=[一二两三四五六七八九])[ \t\u3000]+(?=[^一二两三四五六七八九十\d\s])|"
                             r"(?<=\d)[ \t]+(?=[\u4e00-\u9fff])")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """`text` without the spaces that fall inside a word (voice input and some keyboards put them there:
    "低保 边缘 户", "崇 明", "七十 八 岁"), and for each remaining character its position in `text`.

    A space is taken out only where, without all the spaces between Chinese characters, it falls inside
    a domain term, a place name or a number that is not there with the spaces; the others stay."""
    candidates = [m for m in _SPACE_IN_WORDS.finditer(text)]
    if not candidates:
        return text, []
    from knowledge.gazetteer import gazetteer
    from knowledge.phrases import phrases
    from knowledge.textnorm import ROUND_UNITS, find_quantities

    # not after a place's own ending ("王江泾镇 康复训练" is not 镇康县): a word split by a space does not end there
    candidates = [m for m in candidates if text[m.start() - 1] not in chars("place_ends")]
    if not candidates:
        return text, []
    drop = {i for m in candidates for i in range(m.start(), m.end())}
    where_all = [i for i in range(len(text)) if i not in drop]
    joined = "".join(text[i] for i in where_all)
    spans = [(s, e) for s, e in _terms().match(_tokens(joined))]
    terms = list(spans)
    # a place that would take a term's last or first character ("低保 康复": 保康县) is no reason
    spans += [(m.start, m.end) for m in gazetteer().mentions(joined)
              if not any(s < m.end and m.start < e and not (m.start <= s and e <= m.end) for s, e in terms)]
    # "今年九十 二级肢残", "今年五十 三年前": a round number, then a grade or a count of its own; "七十 八 岁" is one
    spans += [(q.start, q.end) for q in find_quantities(joined)
              if q.unit in (None, "岁") or not any(text[i - 1] in ROUND_UNITS for i in drop
                                                   if where_all[q.start] < i < where_all[q.end - 1])]
    spans += [m.span() for p in phrases().facts for m in p.pattern.finditer(joined)]
    inside: set[int] = set()
    for s, e in spans:
        if e - s < 2:
            continue
        lo, hi = where_all[s], where_all[e - 1]
        inside.update(i for i in drop if lo < i < hi)
    if not inside:
        return text, []
    where = [i for i in range(len(text)) if i not in inside]
    return "".join(text[i] for i in where), where


def extract_doc(text: str, doc) -> list[dict]:
    """Entities of a normalised message whose spaCy doc (the project's pipeline) is `doc`."""
    if doc is None or len(doc.text) != len(text) or _SPACE_IN_WORDS.search(text):
        return extract(text)
    terms = _terms()
    spans = [(e.start_char, e.end_char) for e in doc.ents
             if e.label_ != "region" and text[e.start_char:e.end_char].lower() in terms.by_text]
    return _extract(text, spans)


def _extract(text: str, term_spans: Iterable[tuple[int, int]], about: str | None = None,
             today: date | None = None) -> list[dict]:
    """`about`: the fact of the question this text replies to, if any: "上班" answers the question
    why the household's income rose with exit_cause, the question whether one works with employed."""
    ents: list[_Ent] = []
    ents += _phrases(text)
    ents += _lexicon(text, term_spans, ents, about)
    ents = [e for e in ents if e.source != "beaten"]
    ents += _program_phrases(text, ents)
    ents += _shorthand(text, ents)
    ents += _calendar_ages(text, ents, today)
    ents += _numbers(text, ents)
    ents += _english(text, ents)
    ents += _places(text, ents)
    either = [e for e in ents if _asks_either_way(text, e)]  # "有证没证", "超没超": asked both ways, neither said
    ents = [e for e in ents if e.source != "asked"
            and not any(e.entity == x.entity and x.start - 3 <= e.start <= x.end for x in either)]
    ents = _merge_subjects(ents)
    ents.sort(key=lambda e: (e.start, -(e.end - e.start)))
    seen = set()
    out = []
    for e in ents:
        key = (e.entity, e.start, e.end, e.value)
        if key not in seen:
            seen.add(key)
            out.append(e.as_dict())
    return out


def _merge_subjects(ents: list[_Ent]) -> list[_Ent]:
    """"我" right before another subject is part of it: "我爸爸" is father, not self and father."""
    subjects = {(e.start, e.end): e for e in ents if e.entity == "subject"}
    drop = set()
    for e in ents:
        if e.entity == "subject" and e.value == "self":
            nxt = next((o for (s, _), o in subjects.items() if s == e.end and o is not e), None)
            if nxt is not None:
                nxt.start = e.start
                drop.add(id(e))
            elif e.end - e.start == 1:
                drop.add(id(e))  # a bare 我/俺/咱 is in most sentences; it says nothing new
    return [e for e in ents if id(e) not in drop]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


_QUESTION_WORDS = Pattern("{question_words}")
_NOT_IS = Pattern("{not_is}$")


def _asked(text: str, start: int) -> bool:
    """A question word around `start` ("有没有残疾证": the 没有 of 有没有)."""
    for m in _QUESTION_WORDS.finditer(text, max(0, start - 3), start + 4):
        if m.start() <= start < m.end() or m.end() == start:
            return True
    return False


def _phrases(text: str) -> list[_Ent]:
    from knowledge.phrases import phrases

    out: list[_Ent] = []
    for phrase in phrases().facts:
        pattern, entity, value = phrase.pattern, phrase.fact, phrase.value
        for m in pattern.finditer(text):
            s, e = m.span("t") if "t" in pattern.groupindex else m.span()
            if any(o.entity == entity and _overlaps((s, e), (o.start, o.end)) for o in out):
                continue
            if _asked(text, m.start()):
                out.append(_Ent(entity, s, e, "", "asked"))  # settles nothing, but hides the term
                continue
            if value == _TRUE and polarity(text, s, e) is not True and not (phrase.any_time and _only_past(text, s, e)):
                continue  # a question or a negation around a positive phrase
            if value == _FALSE:
                before = _clause(text, m.start(), m.end())[0]
                if _NOT_SAID.search(before) or unstated(text, m.start(), m.end()):
                    out.append(_Ent(entity, s, e, "", "asked"))  # says nothing, hides the term
                    continue
                if _NOT_IS.search(before):
                    value = _TRUE  # "不是没有证": two negations
            out.append(_Ent(entity, s, e, value, "phrase", unsure=phrase.suggests))
    return out


def _only_past(text: str, start: int, end: int) -> bool:
    """Whether all that keeps the term at [start, end) from being said now is a word of a past time
    ("以前政府每月给100元的贫困残疾补助"): no negation, question, condition or doubt around it."""
    before, after = _clause(text, start, end)
    said = _UNSTATED_BEFORE.search(before)
    return bool(said) and bool(_PAST.match(before[said.start():])) and not (
        _QUESTION_BEFORE.search(before) or _NOT_SAID.search(before) or _NEG_BEFORE.search(before)
        or _UNSTATED_AFTER.match(after) or _UNSTATED_WORD.search(before[said.end():]))


_PAST = Pattern("{past}")


# A term's role in its phrase (language.yaml `terms`): 精神头不好, 福利院的娃, 一只眼看不见
_SPIRITS_AFTER = Pattern("{spirits_after}")
_SPIRITS_BEFORE = Pattern("{spirits_before}$")
_PEOPLE_THERE = Pattern("{people_there}")
_ONE_EYE = Pattern(r"{one_eye}[^，。]{0,3}$")


def _lexicon(text: str, spans: Iterable[tuple[int, int]], phrases: list[_Ent], about: str | None = None
             ) -> list[_Ent]:
    """Lexicon matches with their polarity. A negative phrase beats an overlapping term of its type
    ("没有工作" over "有工作"); a term beats an overlapping positive phrase ("找到工作" over "工作了")."""
    terms = _terms()
    out: list[_Ent] = []
    linked = about == "exit_cause" if about in ("exit_cause", "employed") else None
    for s, e in spans:
        pairs = terms.by_text.get(text[s:e].lower(), [])
        labels = [label for label, _ in pairs]
        exit_context = linked if linked is not None else _exit_linked(text, s, e)
        if "exit_cause" in labels and not exit_context:
            # why a 低保 household's income rose, only where the message talks about that income:
            # elsewhere "开了家店" says the person works, and nothing of the household's income
            pairs = [p for p in pairs if p[0] != "exit_cause"]
            if "employed" not in labels and any(v in ("employment", "self_employment")
                                                for label, v in terms.by_text.get(text[s:e].lower(), [])):
                pairs = pairs + [("employed", _TRUE)]
        elif "employed" in labels and "exit_cause" in labels:
            if about == "exit_cause":  # a reply to why the income rose: whose job it is is not said
                pairs = [p for p in pairs if p[0] != "employed"]
            pairs = sorted(pairs, key=lambda p: (p[0] == "exit_cause") != exit_context)
        for label, value in pairs:
            negated = False
            beaten = False
            for p in phrases:
                if p.entity == label and _overlaps((s, e), (p.start, p.end)):
                    if p.value == _TRUE and p.source == "phrase":
                        p.source = "beaten"
                    else:
                        beaten = True
            if beaten:
                continue
            if label == "household" and programme_named(text, s, e):
                continue  # 给她办低保, 低保怎么申请, 低保标准: the programme, not the household's status
            if label == "disability_grade" and not grade_context(text, s, e):
                continue  # 一级市场, 二级医院, 高一级
            if label == "disability_category" and text[s:e] == "精神" and (
                    _SPIRITS_AFTER.match(text[e:]) or _SPIRITS_BEFORE.search(text[max(0, s - 2):s])):
                continue  # 精神头不好: spirits, not a category
            if label == "in_welfare_institution" and _PEOPLE_THERE.match(text[e:]):
                continue  # "儿童福利院的娃也能办吗": children there in general
            if label == "disability_category" and _ONE_EYE.search(text[max(0, s - 8):s]):
                continue  # one eye that cannot see: not, by itself, a 视力残疾
            es, ee = s, e
            if label in BOOL_FACTS or label in ("household", "disability_category", "disability_grade",
                                                "exit_cause", "autism"):
                pol, ns, ne = negation(text, s, e)
                if pol is None and not (label in _LASTING and value == _TRUE and _only_past(text, s, e)):
                    continue
                pol = True if pol is None else pol  # "五岁那年查出来的自闭症": found then, and it lasts
                if not pol:
                    es, ee = ns, ne
                    if label in BOOL_FACTS:
                        value = _FALSE if value == _TRUE else _TRUE
                    elif label == "household" and value == "dibao":
                        value = "none"  # "没有低保": confirmed before it counts (bot.nlu.understand)
                        negated = True
                    else:
                        continue  # "不是一级", "不是低保边缘": says only what it is not
            out.append(_Ent(label, es, ee, value, "lexicon", negated))
    return out


def _exit_linked(text: str, start: int, end: int) -> bool:
    """Whether the work term at [start, end) is said to be why the income rose: an income word close
    after it with a linking word between ("开店以后收入超标了", "上班挣得多了"), or "因为…" before."""
    after = text[end:end + 16]
    if any(word in after for word in words("exit_said")):
        return True  # "上班挣得多了": says it by itself
    for word in words("exit_context"):
        i = after.find(word)
        if i >= 0 and _EXIT_LINK.search(after[:i + len(word)]):
            return True
    return bool(_BECAUSE.search(text[max(0, start - 10):start]))


def _program_phrases(text: str, taken: list[_Ent]) -> list[_Ent]:
    """Programmes named with words between their parts ("单独给她办低保", "护理的钱")."""
    from knowledge.phrases import phrases

    out: list[_Ent] = []
    spans = [(t.start, t.end) for t in taken if t.entity == "program"]
    for phrase in phrases().programs:
        pattern, program = phrase.pattern, phrase.value
        for m in pattern.finditer(text):
            if any(_overlaps(m.span(), sp) for sp in spans):
                continue
            spans.append(m.span())
            out.append(_Ent("program", m.start(), m.end(), program, "phrase"))
    return out


def programme_named(text: str, start: int, end: int) -> bool:
    """Whether the household word at [start, end) ("低保") names the programme rather than the
    household's status: "单独给她办低保", "申请低保", "低保怎么申请", "低保标准"."""
    before, after = _clause(text, start, end)
    term = text[start:end]
    may = _MAY_BEFORE.search(before)
    if may and (may.group().endswith(words("take_verbs")) or term.startswith(words("taking"))):
        return True
    after_match = _PROGRAM_AFTER.match(after)
    if after_match and _ASKS_HOW.match(after_match.group()) \
            and _OTHER_PROGRAMME.search(after[after_match.end():]):
        return False  # "咱是低保户咋申请护理补贴": 护理补贴 is asked about; the 低保 is theirs
    if _APPLY_BEFORE.search(before) or after_match:
        return True
    if term == "低保户" and not _OWNER_MARK.search(before) and _IN_GENERAL_AFTER.match(after):
        return True  # "低保户办残疾证不要钱", "低保户家里有残疾人的…": 低保 households in general
    from knowledge.phrases import phrases

    return any(m.start() <= start and end <= m.end() for p in phrases().programs
               for m in p.pattern.finditer(text))


def grade_context(text: str, start: int, end: int) -> bool:
    """Whether a grade word at [start, end) can be a disability grade, by the words around it
    (not "一级市场", "高一级", "一级一级往上爬")."""
    word = text[start:end]
    if text[end:end + len(word)] == word or (start >= len(word) and text[start - len(word):start] == word):
        return False
    if _OTHER_GRADING.search(text[max(0, start - 8):start]):
        return False
    return not (text[end:end + 1].startswith(words("not_grade_after"))
                or text[start - 1:start].startswith(words("not_grade_before")) and start > 0)


_DENIED_RIGHT_BEFORE = Pattern("{denied_right_before}$")
_PERIOD_AFTER = Pattern("{period_after}")
_COUNT_FILLERS = Pattern(r"[{count_fillers:chars}，,。.\s]")


def _context_months(text: str, start: int, end: int) -> tuple[str, bool]:
    """months_above_line, months_employed or months: by the telling word that the count follows (a
    duration is said after what it measures: "上班三个月了", "收入超过低保标准两个月"), else the nearest
    one after it, in the clause first. Counted from a work word that is denied ("没活干快两年了"), it
    measures no work: months (said of nothing the rules count). With it, whether that word is far from
    the count (more than `_FAR` characters): then what the count measures is a guess ("查出病到今年快十年
    了…我在太原上班")."""
    if _PERIOD_AFTER.match(text, end):
        return MONTHS, False  # "半年的渐退期": how long the period lasts
    before, after = _clause(text, start, end)
    lo, hi = start - len(before), end + len(after)

    def nearest(lo: int, hi: int):
        best = None
        for telling, entity in ((words("above_words"), "months_above_line"), (words("work_words"), "months_employed")):
            for w in telling:
                for m in re.finditer(re.escape(w), text[lo:hi]):
                    ws, we = lo + m.start(), lo + m.end()
                    if we <= start:
                        rank = (0, start - we)  # before the count, within reach: what it measures
                        if start - we > 15:
                            rank = (1, start - we)
                    else:
                        rank = (1, ws - end if ws >= end else 0)
                    denied = entity == "months_employed" and _DENIED_RIGHT_BEFORE.search(text[max(0, ws - 2):ws])
                    if best is None or rank < best[0]:
                        best = (rank, MONTHS if denied else entity, ws)
        return best

    best = nearest(lo, hi)
    if best is None:
        said = _COUNT_FILLERS.sub("", before + after)
        if said:  # "我爸瘫了十来年了": the clause says what it measures, and it is none of these
            return MONTHS, False
        best = nearest(0, len(text))  # the count alone in its clause: "…收入超了，两个月了"
    if best is None:
        return MONTHS, False
    (rank, measures, at) = best
    past = _UNSTATED_WORD.search(before)
    if measures == "months_employed" and past and not _NOW.search(before[past.start():]):
        return MONTHS, False  # "以前在深圳电子厂干了十年": how long a job of another time lasted
    # after the count, with someone named in between, the work may be theirs ("快五年了，我在杭州上班")
    someone_between = rank[0] == 1 and at > end and _SOMEONE.search(text[end:at]) is not None
    return measures, measures != MONTHS and (rank[1] > _FAR or someone_between)


_FAR = 10
_SOMEONE = Pattern("{age_person}")


_CALENDAR_MONTH_BEFORE = Pattern(r"{calendar_month_before}\s*$")
_CALENDAR_MONTH_AFTER = Pattern("{calendar_month_after}")
_RELATIVE_AGE = Pattern(r"(?:比[^，。,.;；!！?？\s]{0,8}{older_younger}了?|{age_difference})$")


def _calendar_ages(text: str, taken: list[_Ent], today: date | None) -> list[_Ent]:
    """Ages said by the calendar ("明年开春满十八" is 17, "虚岁八岁" 6 or 7, "1958年生的" 67 or 68: knowledge.
    calendar), unless said of another time or of a case ("要是明年满十八")."""
    from knowledge.calendar import ages

    out = []
    for a in ages(text, today):
        if any(_overlaps((a.start, a.end), (t.start, t.end)) for t in taken) or unstated(text, a.start, a.end):
            continue
        if _RELATIVE_AGE.search(text[:a.start]):
            continue  # "比他大两岁"
        out.append(_Ent("age", a.start, a.end, str(a.low) if a.low == a.high else f"{a.low}~{a.high}", "calendar"))
    return out


def _numbers(text: str, taken: list[_Ent]) -> list[_Ent]:
    """Numbers with what they count, exact ("4") or approximate ("72~79": 七十好几)."""
    from knowledge.textnorm import find_quantities

    out: list[_Ent] = []
    grade_spans = [(t.start, t.end) for t in taken if t.entity == "disability_grade"]
    calendar = [(t.start, t.end) for t in taken if t.source == "calendar"]
    filler = _filler()
    stripped = text.strip(filler)
    for q in find_quantities(text):
        s, e = q.start, q.end
        if any(_overlaps((s, e), c) for c in calendar):
            continue  # read with the words around it, by the calendar
        value = str(q.low) if q.low == q.high else f"{q.low}~{q.high}"
        rest = text[e:]
        if q.unit == "岁":
            if _RELATIVE_AGE.search(text[:s]):
                continue  # "比他大两岁", "我俩差三岁": a difference of ages, not one
            if re.sub(r"^(?:半|左右|上下|多)+", "", rest).startswith(words("age_then_after")):
                continue  # "四十岁那年查出来", "六岁以前", "两岁半的时候": an age of another time, or a limit
            if _EXAMPLE_BEFORE.search(_clause(text, s, e)[0]):
                continue  # "比方说一个七十岁的老人能领吗": an example, nobody's age
            if _AGE_LIMIT_BEFORE.search(text[:s]) and _AGE_LIMIT_AFTER.match(rest):
                continue  # "过了六岁就不给康复补了": a rule's limit
            out.append(_Ent("age", s, e, value, "number"))
        elif q.unit == "级":
            if q.approximate or any(_overlaps((s, e), g) for g in grade_spans):
                continue  # "一二级": one of two grades, said as such
            if rest.startswith(words("grade_range_after")) or not grade_context(text, s, e):
                continue
            if polarity(text, s, e) is not True:
                continue  # "不是一级", "以前是三级", "要是评上一级的话"
            out.append(_Ent("disability_grade", s, e, value, "number"))
        elif q.unit == "个月":
            if q.high == 1 and (_PER_MONTH_BEFORE.search(text[:s]) or _PER_MONTH_AFTER.match(rest)):
                continue  # "多少钱一个月", "一个月不到八百": a rate per month, not a count of months
            if text[e:].startswith("大"):  # 十个月大: a baby
                out.append(_Ent("age", s, e + 1, "0", "number"))
                continue
            if rest.startswith(words("not_a_count_after")):
                continue  # 一年级, 90年代, 三年前
            measures, far = _context_months(text, s, e)
            out.append(_Ent(measures, s, e, value, "number", unsure=far))
        elif q.unit is None:
            month = text[s:e].endswith("月") and "个" not in text[s:e]
            if month and (_CALENDAR_MONTH_BEFORE.search(text[:s]) or _CALENDAR_MONTH_AFTER.match(text[e:])) \
                    or text[e:e + 1] in ("号", "日"):
                continue  # "今年三月", "3月份开始": a day or month of the calendar, never an age or a count
            before, after = _clause(text, s, e)
            for t in taken:  # "俺娘七十好几了": the person, then their age
                if t.entity == "subject" and t.end <= s and text[t.start:t.end] == before.strip()[-(t.end - t.start):]:
                    before = before.strip()[:-(t.end - t.start)]
            before = _AGE_ADVERBS.sub("", before.strip())
            if text[s:e].strip() == stripped and q.high < 1000:
                out.append(_Ent(NUMBER, s, e, value, "number"))
            elif _AGE_CUE.search(text[:s]) or (
                    not before.strip(filler + chars("age_said_before")) and not after.strip(filler)
                    and (after.strip().startswith("了") or any(w in text for w in words("age_words")))):
                # "俺娘耳背，七十三了", "年龄说错了，是四十", "七十好几了"
                out.append(_Ent("age", s, e, value, "number"))
            elif not before.strip(filler) and not after.strip(filler) and 1 <= q.low == q.high <= 120 \
                    and text[s - 1:s].isspace() and (any(t.entity == "subject" for t in taken)
                                                     or any(w in text for w in words("speaker"))):
                # "俺媳妇…啥也不想干 三十一 俺们是睢县的": a number said alone between pauses, in a story
                # about someone: most likely their age, to confirm
                out.append(_Ent("age", s, e, value, "number", unsure=True))
            elif 1 <= q.low and q.high <= 120 and _age_by_person(text, s, e, taken):
                # "我奶奶八十六了眼睛…", "俺老头子七十三了…", "我儿子三十出头去年…", "男 45"
                out.append(_Ent("age", s, e, value, "number"))
            elif _GRADE_CUE.search(text[:s]) and q.high < 10 and not q.approximate:
                out.append(_Ent("disability_grade", s, e, value, "number"))
    return out


_PERSON_BEFORE = Pattern(r"{person_before}\s*{person_then}*\s*$")
_PRONOUN_BEFORE = Pattern(r"[他她]{pronoun_then}*\s*$")
_AGE_LIMIT_BEFORE = Pattern(r"(?:{age_limit_before})$")
_AGE_LIMIT_AFTER = Pattern(r"(?:了|以上|以下|之后|以后)?(?:{age_limit_after})")
_NOT_AGE_AFTER = Pattern(r"^\s*{not_age_after}")
_NOT_AGE_BEFORE = Pattern(r"{not_age_before}\s*$")


def _age_by_person(text: str, start: int, end: int, taken: list[_Ent]) -> bool:
    """A bare number said of a person, as ages are: right after them ("我奶奶八十六了", "老人家90多了",
    "男 45"), or right before 了 ("…，九十了")."""
    if _NOT_AGE_AFTER.match(text[end:]) or _NOT_AGE_BEFORE.search(text[:start]):
        return False
    if unstated(text, start, end):
        return False  # "那年他才二十三"
    lead = _AGE_ADVERBS.sub("", text[:start].rstrip())
    if _PRONOUN_BEFORE.search(text[:start]) and (end - start >= 2 or text[end:end + 1] == "岁"):
        return True  # "他二十六我都五十多了": his age, said right after him (not "跟她一样")
    exact = re.fullmatch(r"[\d〇零一二两俩仨三四五六七八九十百]+", text[start:end]) is not None
    if exact and not re.match(r"(?:了|岁|周岁|$|[\s，。,.;；!！?？])", text[end:end + 2]):
        return False  # "一记肢体": a number that runs into other words is no age
    if any(t.entity == "subject" and t.end == len(lead) for t in taken) or _PERSON_BEFORE.search(text[:start]):
        return True
    return text[end:end + 1] == "了"


# A caseworker's shorthand of category and grade: 肢一, 视二, 精三, 智1, 听残二, "本人肢二持证"; 多重一级 is
# the lexicon's.
_SHORTHAND = Pattern(r"(?:(?<![\u4e00-\u9fff])|(?<=[人主是的]))(?P<c>{shorthand})残?(?P<g>[一二三四1234])"
                     r"(?=[持有证低]|[^\u4e00-\u9fff\d]|$)")


def _shorthand(text: str, taken: list[_Ent]) -> list[_Ent]:
    from knowledge.textnorm import parse_number

    out = []
    for m in _SHORTHAND.finditer(text):
        category = means("shorthand")[m.group("c")]
        over = [t for t in taken if _overlaps(m.span(), (t.start, t.end))]
        if any(t.entity != "disability_category" or t.value != category for t in over):
            continue
        if not over:  # "听残二": 听残 is the lexicon's already
            out.append(_Ent("disability_category", m.start(), m.end(), category, "phrase"))
        out.append(_Ent("disability_grade", m.start(), m.end(), str(parse_number(m.group("g"))), "phrase"))
    return out


def _english(text: str, taken: list[_Ent]) -> list[_Ent]:
    if not re.search(r"[A-Za-z]", text):
        return []
    out: list[_Ent] = []
    for m in _EN_GRADE.finditer(text):
        n = m.group("n").lower()
        value = means("en_numbers").get(n) if not n.isdigit() else int(n)
        if value is not None and not any(_overlaps(m.span(), (t.start, t.end)) for t in taken):
            out.append(_Ent("disability_grade", m.start(), m.end(), str(value), "number"))
    from knowledge.phrases import phrases

    for phrase in phrases().english:
        for m in phrase.pattern.finditer(text):
            out.append(_Ent("program", m.start(), m.end(), phrase.value, "lexicon"))
    for m in _EN_AGE.finditer(text):
        n = m.group("n") or m.group("m") or m.group("k")
        out.append(_Ent("age", m.start(), m.end(), str(int(n)), "number"))
    return out


@lru_cache(maxsize=1)
def _pinyin_places() -> dict[str, list[str]]:
    """Romanised place name ("taiyuan") -> the Chinese names that sound so."""
    from pypinyin import lazy_pinyin

    from knowledge.gazetteer import gazetteer

    out: dict[str, list[str]] = {}
    for surface in sorted({s for s, _ in gazetteer().surface_forms()}):
        if len(surface) < 2:
            continue
        key = "".join(lazy_pinyin(surface)).lower()
        if key.isascii() and key.isalpha():
            out.setdefault(key, []).append(surface)
    return out


# After a place in its clause: something done there (work, treatment, a trip), not where one's 户籍 is
# (language.yaml `places`); unless nothing is done there or home is said in between.
_DONE_THERE = Pattern(r"^[^，。,.;；!！?？\s]{0,10}?(?P<what>{done_there})")
_NOT_DONE = Pattern("{not_done}$")
_AT_HOME = Pattern("{at_home}")
_TO_PLACE = Pattern(r"(?<![{moved:chars}]){to_place}{to_place_then}?$")
_REGISTERED_BEFORE = Pattern(r"{registered_before}[^，。,.;；\s]{0,4}$")
_PAST_PLACE = Pattern(r"{past}{past_place_is}?[^，。,.;；\s]{0,3}$")
_NOT_THERE = Pattern("{not_there}$")
_LATIN_SUFFIX = Pattern("{latin_place_suffix}$")


def elsewhere(text: str, start: int, end: int) -> bool:
    """Whether the place at [start, end) is where something is done or gone to rather than where the
    person's 户籍 is: "在上海打工", "去上海看病", "嫁到宁波" (unless the words say 户口在 it)."""
    before = text[max(0, start - 8):start]
    if _PAST_PLACE.search(before):
        return True  # "以前住在道里区", "本来是奉化的": where they were
    if _REGISTERED_BEFORE.search(before) and not _TO_PLACE.search(before):
        return False
    if _TO_PLACE.search(before):
        return True
    done = _DONE_THERE.match(text[end:])
    if done is None:
        return False
    between = done.group()[:done.start("what")]
    # "在呼兰区现在在家呆着没有工作": nothing is done there, and home is somewhere said in between
    return not (_NOT_DONE.search(between) or _AT_HOME.search(between))


def _places(text: str, taken: list[_Ent]) -> list[_Ent]:
    from knowledge.gazetteer import PlaceError, gazetteer

    g = gazetteer()
    spans = [(t.start, t.end) for t in taken]
    out: list[_Ent] = []
    for m in g.mentions(text):
        if m.weak or any(_overlaps((m.start, m.end), sp) for sp in spans):
            continue
        if _NOT_THERE.search(text[:m.start]):
            continue  # "在大同不是太原"
        if elsewhere(text, m.start, m.end):
            continue  # "在上海打工", "去上海瑞金医院看过": where something happens, not the 户籍
        value = m.places[0].code if len(m.places) == 1 else m.text
        out.append(_Ent("region", m.start, m.end, value, "place"))
    for m in _LATIN_WORD.finditer(text):
        word = m.group().lower()
        word = _LATIN_SUFFIX.sub("", word) or word
        names = _pinyin_places().get(word)
        if not names or any(_overlaps(m.span(), sp) for sp in spans):
            continue
        codes = set()
        for name in names:
            try:
                codes.add(g.resolve(name).code)
            except PlaceError:
                codes.add(None)
        value = codes.pop() if len(codes) == 1 and None not in codes else m.group()
        out.append(_Ent("region", m.start(), m.end(), value, "place"))
    return out
