"""What one message says, read as people write: the facts, the programmes, and, when the bot has just
asked a question, the reply read as an answer to that question first.

    r = understand("俺爹瘫在床上一级肢体在奉化啥补贴能领")
    r.facts     == {"needs_long_term_care": True, "disability_grade": 1, "disability_category": "physical",
                    "region": "330213"}
    understand("自己做小生意", asking="exit_cause").facts == {"exit_cause": "self_employment"}
    understand("手脚不利索", asking="disability_category").confirm == {"disability_category": "physical"}
    understand("2", asking="household").facts == {"household": "low_income"}   # the 2nd option
    understand("拿不准", asking="has_certificate").unsure is True

Every front end reads messages through here: the chat's form (actions/form.py), `zhucan ask`, the
caseworker's quick check and the stress measurement (tests/nlu/stress.py). It never guesses:

- `facts` hold what the words say for certain. A value is never read from part of a longer term or
  from a term whose role in its phrase is another (bot.nlu.extract: "办低保" names the programme,
  "低保边缘户" is not 低保, "一级市场" is no grade); two different values of one fact with nothing
  that says which is meant ("一级还是二级") give neither.
- `confirm` holds what the words suggest but do not say: a description instead of a category's name
  ("手脚不利索", "看东西模糊"), an old place name ("奉化市"), a hedged answer ("好像不是"), "没有低保"
  said unasked (not 低保, but maybe 低保边缘); and what may not be the person's now: what an office told
  the writer ("政府说我收入超标了"), a 低保 the story later says was stopped, a job or age said far from
  its person while others are named, a reply that begins by not knowing ("说不好，…"). The chat asks
  "您说的是…吗？" before it counts.
- an approximate number ("七十好几", "一年多") counts only where every value it could be gives the
  same answers (rules.engine.same_answers); elsewhere it is left for the question to ask exactly.
- a reply is read first as an answer to the question just asked: the question's options and their
  number, every lexicon form of them, everyday yes and no, numbers in any form, 不知道.

Where the words live (language as data, issue 14): a fact's terms, answer forms, close descriptions and
not-known replies in knowledge/facts.yaml; everyday yes, no, don't know, unsure and the hedges (好像, 可能)
in knowledge/lexicon.yaml `replies`; the rest in knowledge/language.yaml: a reply's fillers, particles,
corrections, alternatives, option numbers and what a supposed case sounds like (`replies`), other people
and who a fact is said of (`people`: 嫂子, 孩子他爸, 我家, "我问的是…"), where the 户口 is (`places`). This
module keeps how they combine (knowledge.language.Pattern: {other_people}, {we}…); the grammar of years,
months and ages stays here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from knowledge.language import Pattern, chars, words

from .extract import MONTHS, NUMBER, extract, relatives
from .normalise import clip, normalise_text, normalise_with_repairs

__all__ = ["Reading", "understand", "option_number", "yes_or_no", "after_yes_or_no", "chosen_number", "supposed", "SUPPOSE", "CORRECTS",
           "CHALLENGE", "PRIVACY_WORDS"]

# The words are knowledge/language.yaml's (`replies`, `people`, `places`; {name} is one of its lists or
# patterns); here, where they stand in a reply. The everyday yes, no, don't-know and hedges are
# knowledge/lexicon.yaml's `replies`.
_PUNCT = " \t\r\n,.;:!?，。；：！？、~～…\"'“”‘’()（）"
_FILLERS = Pattern(r"^{fillers}+[，,\s]*(?=\S)")
_CORRECTION = Pattern("{correction}")
_CONTRAST = Pattern("{contrast}")
_ALTERNATIVE = Pattern("{alternative}")
_OPTION = Pattern(r"^{option_before}?(?P<n>\d{1,2}|[一二三四五六七八九十]){option_after}?$")
# A message that says it corrects what was said before ("刚才说错了，证还没办下来", "我记岔了，是三级")
CORRECTS = Pattern("{corrects}")
SAYS_INSTEAD = Pattern("{instead}")  # "不是二级，是三级": a value said instead of another
ASKS_AMOUNT = Pattern("{asking_amount}")  # "一级的给多钱", "到底几钿": how much is paid
ASKS_SUMMARY = Pattern("{asking_summary}")  # "给村书记发个简要": the answer in one message to pass on
CHALLENGE = Pattern("{challenge}")  # "窗口讲三级没的，真的假的": doubting what was said
ASKS_OUTCOME = Pattern("{asks_outcome}")  # "要是评成二级了…是不是就能拿了": what a supposed case would bring
STOPPED_WORDS = Pattern("{stopped_words}")  # "咋就不发了", "给停了": a benefit said to have stopped
PRIVACY_WORDS = Pattern("{privacy_words}")  # "你们会保存我的信息吗": what is kept, named
# Where a place is the answer: the words around a name ("户口在奉化那边的").
_PLACE_WORDS = Pattern(r"^{place_who}?{place_of}?{place_is}?|{place_after}+$")


def _particles() -> str:
    """Trailing particles of a reply (language.yaml particles): "有的呀", "不是啦"."""
    return chars("particles")


@dataclass
class Reading:
    """What a message says (see the module doc). Values are the profile's own (CONTRACT.md section 1)."""
    asking: str | None = None
    facts: dict = field(default_factory=dict)
    confirm: dict = field(default_factory=dict)
    programs: list = field(default_factory=list)
    dont_know: bool = False  # "不知道" to the question asked: skip it, never a no
    unsure: bool = False  # "拿不准": confirm that they do not know
    subject: str | None = None
    places: list = field(default_factory=list)  # place words that name several places, or none
    rejected: dict = field(default_factory=dict)  # fact -> the value as said, when it cannot be ("200岁")
    inexact: dict = field(default_factory=dict)  # fact -> (low, high) of a number that was only approximate
    notes: list = field(default_factory=list)  # what was assumed, to say back ("溪口镇在宁波市奉化区。")
    learned: Any = None  # the learned reader's proposal behind a confirmation (bot.nlu.learned.Proposal)
    spans: dict = field(default_factory=dict)  # fact -> (start, end) of the words a certain value was read from
    candidates: list = field(default_factory=list)  # region codes of several places named, none said to be the 户口

    @property
    def answered(self) -> bool:
        """Whether the message answers the question asked (a value, one to confirm, or 不知道)."""
        a = self.asking
        return bool(a) and (a in self.facts or a in self.confirm or self.dont_know or self.unsure
                            or a in self.rejected or (a == "region" and bool(self.places)))

    def doubt(self, fact: str) -> None:
        """A value read for certain that may not be so: confirmed with the user before it counts."""
        self.confirm[fact] = self.facts.pop(fact)
        self.spans.pop(fact, None)

    @property
    def said_anything(self) -> bool:
        return bool(self.facts or self.confirm or self.programs or self.dont_know or self.unsure
                    or self.places or self.rejected)


def understand(text: str, asking: str | None = None, profile: dict | None = None,
               prefer: tuple[str, ...] = (), as_of: date | None = None) -> Reading:
    """Read one message. `asking`: the profile fact of the question the bot has just asked, if any;
    `profile`: what is known already (to decide whether an approximate number can matter);
    `prefer`: region codes with rules of their own, to offer when a town's name is ambiguous."""
    from knowledge.facts import FACTS

    reading = Reading(asking=asking if asking in FACTS else None)
    if not text or not text.strip():
        return reading
    norm, repaired = normalise_with_repairs(clip(text))
    entities = _in_reply_to(extract(norm, about=reading.asking, today=as_of), reading.asking, norm)
    if reading.asking:  # "他哥是自闭症，他不是": only what is said of them counts
        span = _their_clause(norm)
        if span is not None:
            entities = [e for e in entities if span[0] <= e["start"] and e["end"] <= span[1]]
    _read_entities(reading, norm, entities)
    if reading.asking:
        _read_reply(reading, norm, reading.asking, entities, prefer, as_of)
    _read_descriptions(reading, norm)
    _read_zodiac(reading, norm, as_of)
    _read_places(reading, norm, entities, prefer)
    _doubt_repaired(reading, entities, repaired)
    if reading.facts.get("employed") is False or any(e["entity"] == "employed" and e["value"] == "false"
                                                      for e in entities):
        reading.facts.pop("months_employed", None)  # "干了二十年…在家待着": the months were of a past job
        reading.inexact.pop("months_employed", None)
    _settle_ranges(reading, {**(profile or {}), **reading.facts}, as_of)
    _care_too_short(reading, norm)
    _dibao_stopped_later(reading, norm)
    _claimed_by_others(reading, norm)
    _out_of_place(reading, norm)
    for fact in list(reading.confirm):
        if fact in reading.facts:  # said plainly elsewhere in the message
            del reading.confirm[fact]
    if reading.asking and not reading.answered:
        _read_learned(reading, text)
    elif reading.asking in reading.facts:
        _check_learned(reading, text)
    _check_story(reading, norm)
    if reading.asking in reading.facts and _unsure_start().match(norm.strip()):
        # "说不好，他在外面打工好几年没回来了，现在干啥不知道": what follows the doubt is confirmed
        reading.doubt(reading.asking)
    return reading


def _doubt_repaired(reading: Reading, entities: list[dict], repaired: list[tuple[int, int]]) -> None:
    """A value read from words the typo repair rewrote ("户口在方台" read as 丰台, "低保边源户") is the
    reader's guess at what was meant: confirmed, never taken."""
    for e in entities:
        fact = e["entity"]
        if fact in reading.facts and any(s < e["end"] and e["start"] < t for s, t in repaired):
            reading.doubt(fact)


# 长期照护 is care "持续6个月以上时间" (国发〔2015〕52号, 补贴对象): a need said to have lasted less is not yet it
_LONG_TERM_MONTHS = 6
_DAYS_OR_WEEKS = re.compile(r"[\d一二两俩仨三四五六七八九十几]+(?:来)?(?:天|周|个星期|个礼拜)")


def _care_too_short(reading: Reading, text: str) -> None:
    """A need for care said with a spell shorter than long-term care's six months ("卧床仨月了", "躺了十来
    天") is confirmed, never taken: whether it will last is for the person to say."""
    from knowledge.textnorm import find_quantities

    if reading.facts.get("needs_long_term_care") is not True or "needs_long_term_care" not in reading.spans:
        return
    start, end = reading.spans["needs_long_term_care"]
    lo = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    hi = next((m.start() for m in _CLAUSE_END.finditer(text, end)), len(text))
    clause = text[lo:hi]
    short = any(q.unit == "个月" and q.high < _LONG_TERM_MONTHS for q in find_quantities(clause))
    if short or _DAYS_OR_WEEKS.search(clause):
        reading.doubt("needs_long_term_care")


# Later in a story, 低保 taken away ("才给我办理了低保补助…今年就被取消了"): whether the family has it now is asked
_STOPPED_LATER = Pattern("{stopped}")


def _dibao_stopped_later(reading: Reading, text: str) -> None:
    """A 低保 household read from a story that later says something was stopped or taken away is
    confirmed, never taken: the 低保 may be what stopped."""
    if reading.asking or reading.facts.get("household") != "dibao" or "household" not in reading.spans:
        return
    if _STOPPED_LATER.search(text, reading.spans["household"][1]):
        reading.doubt("household")


_CLAIMED = Pattern(r"{claimants}[^。！？!?]{0,12}?{claim_verbs}[^。！？!?]*$")


def _out_of_place(reading: Reading, text: str) -> None:
    """Values that do not fit what else the message says: confirmed, not taken; a don't-know beside the
    value asked for is about a detail."""
    if "region" in reading.facts and _REGISTERED_ELSEWHERE.search(text):
        reading.doubt("region")  # "我们是浑源县的…她户口还在娘家没迁": the place named may not be hers
    grown = reading.facts.get("age", (reading.inexact.get("age") or (0, 0))[0])
    for fact in ("orphan", "in_welfare_institution"):  # a child's facts, said of a grown-up ("二十来岁…爹妈都不在了")
        if fact in reading.facts and isinstance(grown, int) and grown >= 18:
            reading.doubt(fact)
    if reading.subject == "self" and not reading.asking and "orphan" in reading.facts:
        reading.doubt("orphan")  # "我…父母双亡": a writer is most often grown up, and 孤儿 is a child's
    if reading.dont_know and reading.asking and (reading.asking in reading.facts or reading.asking in reading.confirm):
        reading.dont_know = False  # "哈尔滨的 呼兰 哪个街道记不清了": what is not known is a detail


def _claimed_by_others(reading: Reading, text: str) -> None:
    """What an office or someone else told the writer ("政府打电话说我收入超标了") is their word, not the
    writer's: confirmed, never taken."""
    if reading.asking:
        return
    for fact, (start, _) in list(reading.spans.items()):
        sentence = text[max((m.end() for m in re.finditer(r"[。！？!?]", text[:start])), default=0):start]
        if fact in reading.facts and _CLAIMED.search(sentence):
            reading.doubt(fact)


def _check_story(reading: Reading, text: str) -> None:
    """A value the rules read from a message (not as the reply asked for) is taken for certain only when
    the learned reader, reading the words it came from, does not disagree; else it is confirmed."""
    from .learned import closed_facts, probability_of

    for fact in [f for f in reading.facts if f != reading.asking and f in closed_facts() and f in reading.spans]:
        value = reading.facts[fact]
        if probability_of(_around(text, reading.spans[fact]), fact, value) < DISAGREE_BELOW:
            reading.doubt(fact)


# Below this probability for the value the rules read, the learned reader disagrees with them.
DISAGREE_BELOW = 0.2


def _check_learned(reading: Reading, text: str) -> None:
    """A reply the rules read as an answer is taken for certain only when the learned reader does not
    disagree; when it does, the value is confirmed before it counts: two readers that disagree are a
    misreading waiting to happen. The learned reader reads the words the value came from (their clause,
    or a few characters around them in a long unpunctuated one), or the whole reply. The value asked
    back is the learned reader's when it is confident, else the rules'."""
    from .learned import closed_facts, probability_of, propose

    fact = reading.asking
    if fact not in closed_facts():
        return
    value = reading.facts[fact]
    words = _around(text, reading.spans.get(fact))
    if probability_of(words, fact, value) >= DISAGREE_BELOW:
        return
    proposal = propose(words, fact)
    del reading.facts[fact]
    reading.learned = proposal
    confident = proposal.confident and proposal.value not in (None, "dont_know")
    reading.confirm[fact] = proposal.value if confident else value


_AROUND = 6  # characters kept on each side of a value's words in a long clause


def _around(text: str, span: tuple[int, int] | None) -> str:
    """The clause of `text` that holds `span`, or at most _AROUND characters on each side of it in a
    long unpunctuated one; the whole text when no span is known."""
    if span is None:
        return text
    start, end = span
    b = max((m.end() for m in re.finditer(r"[，,。.;；!！?？\n]", text[:start])), default=0)
    m = re.search(r"[，,。.;；!！?？\n]", text[end:])
    e = end + m.start() if m else len(text)
    if e - b > 2 * _AROUND + (end - start):
        b, e = max(b, start - _AROUND), min(e, end + _AROUND)
    return text[b:e]


_CHILD = Pattern("{child}")
_CHILDREN = ("child", "son", "daughter", "grandchild")


def _read_zodiac(reading: Reading, text: str, as_of: date | None) -> None:
    """"属猴的" about a child: the two ages a monkey year can give a child today (knowledge.calendar), to
    be taken where they give the same answers and asked otherwise. Said of an adult, a sign fits an age
    every twelve years and says nothing alone."""
    from knowledge.calendar import ZODIAC, zodiac_ages

    if "age" in reading.facts or "age" in reading.inexact or "age" in reading.confirm:
        return
    m = re.search(r"属([" + ZODIAC + r"])", text)
    if m is None or not (reading.subject in _CHILDREN or _CHILD.search(text)):
        return
    found = zodiac_ages(m.group(1), as_of or date.today(), most=17)
    if len(found) == 1:
        reading.inexact["age"] = found[0]


def _read_learned(reading: Reading, text: str) -> None:
    """A reply to a closed question that the rules cannot read: the learned reader's proposal, to be
    confirmed when it is likely enough ("证一直没去弄" -> 您是说没有残疾人证吗？); never a fact."""
    from .learned import DONT_KNOW, closed_facts, propose

    if reading.asking not in closed_facts():
        return
    proposal = propose(text, reading.asking)
    if not proposal.confident or proposal.value is None:
        return
    reading.learned = proposal
    if proposal.value == DONT_KNOW:
        reading.unsure = True  # "这个没印象": confirmed as not known, never a no
    else:
        reading.confirm[reading.asking] = proposal.value


# --- entities ------------------------------------------------------------------------------------

def _value(fact: str, raw: str):
    """An entity's value -> the profile's value; (low, high) for an approximate number; raises
    ProfileError for a value the fact cannot take."""
    from rules.facts import FACTS, check_value

    kind = FACTS[fact].kind
    if kind == "bool":
        return check_value(fact, raw == "true")
    if kind == "int":
        if "~" in raw:
            low, high = (int(x) for x in raw.split("~"))
            spec = FACTS[fact]
            return max(low, spec.low), min(high, spec.high)
        return check_value(fact, int(raw))
    return check_value(fact, raw)


def _hedged(text: str, start: int, end: int | None = None) -> bool:
    """A hedge word just before, in the same clause ("好像是一级", "应该没有"), or closing the clause
    right after ("二级的好像", "一级吧可能")."""
    from knowledge.lexicon import lexicon

    hedges = lexicon().replies("hedge")
    before = re.split(r"[，,。.;；!！?？]", text[:start])[-1]
    if any(h in before[-6:] for h in hedges):
        return True
    if end is None:
        return False
    after = re.split(r"[，,。.;；!！?？\s]", text[end:], maxsplit=1)[0].strip(_particles() + "的是")
    return bool(after) and after in hedges


# Facts of one person: in a story about several people, each is read only where it is said of the
# person the disability facts are about ("我在上海上班，我爸瘫在床上": the work is not his).
_PERSONAL = ("age", "employed", "months_employed", "has_certificate", "orphan", "in_welfare_institution", "autism")
_DISABILITY = ("disability_category", "disability_grade", "needs_long_term_care", "autism")
_OTHER_PEOPLE = Pattern("{other_people}")
_ELDERS = Pattern("{elders}")
# A person named as the object of caring, bearing, raising: not who the facts after it are about.
_AS_OBJECT = Pattern("{as_object}$")
# A person who only reports what another said ("医生说是…") owns nothing of what follows.
_REPORTS = Pattern("^{reports}")
_ROLE = Pattern(r"{role_before}[^，。,.;；!！?？\s]{0,6}$")  # "是村里的赤脚医生": what they are
_PARENTS_GONE_AFTER = Pattern("(?:都|也|早|早就|很早就|前几年|都已经|已经|先后)?(?:{parents_gone_after})")
_PARENTS_GONE_BEFORE = Pattern("(?:{parents_gone_before})$")
TOPIC = "topic"  # 自己 opening a clause: whoever the message is about (see _read_entities)
_SELF_ALONE = Pattern(r"(?:^|(?<=[，。,.;；!！?？\s]))(?:{self_alone})")
# the speaker as the one something is said of: not as an object ("要我帮忙", "跟我过")
_SELF = Pattern("(?<![{not_self_before:chars}]){self_words}(?!{not_self_after})")
# whom 他 and 她 cannot stand for
_MALE = Pattern("{male}")
_FEMALE = Pattern("{female}")
# "邻居家孩子", "他哥家的孩子": someone else's
_SOMEONE_ELSES = Pattern("{someone_elses}(?:家的?|的)$")


def _people(text: str, entities: list[dict]) -> list[tuple[int, int, str]]:
    """(start, end, who) of every person named: the lexicon's subjects (我爸 -> father), other people
    (嫂子, 孩子爸爸 -> other:…), the speaker (我, 俺 -> self), and 他/她 as the last person named
    before them who can be called so (not the speaker; 她 not a man, 他 not a woman)."""
    out = [(e["start"], e["end"], e["value"]) for e in entities if e["entity"] == "subject" and e["value"] != "self"
           and not _REPORTS.match(text[e["end"]:])  # "我姐说…": she reports, the facts are not hers
           and not _AS_OBJECT.search(text[max(0, e["start"] - 3):e["start"]])]  # "生完孩子", "照顾儿子"
    speaker = words("speaker")
    out = [(start - 1, end, who) if start > 0 and text[start - 1] in speaker else (start, end, who)
           for start, end, who in out]  # "额爸", "咱妈": the speaker's father, not the speaker
    for i, (start, end, who) in enumerate(out):  # "邻居家孩子", "他哥家的孩子": someone else's
        if _SOMEONE_ELSES.search(text[max(0, start - 4):start]):
            out[i] = (start, end, "other:" + text[start:end])
        elif start > 0 and text[start - 1] in "他她" and any(e["entity"] in _DISABILITY and e["start"] < start
                                                                 for e in entities):
            # "王家老二，二级精神，跟他爹过，他爹七十五了": the father of the one described, not the speaker's
            # ("帮邻居问的，她儿子十六岁…": with nothing described yet, 她儿子 is who it is about)
            out[i] = (start - 1, end, "other:" + text[start - 1:end])
    for m in _ELDERS.finditer(text):  # "老人八十多，儿子一级视力": the old man's age is not the son's
        if not any(a < m.end() and m.start() < b for a, b, _ in out):
            out.append((m.start(), m.end(), "third"))
    for m in _OTHER_PEOPLE.finditer(text):
        if _REPORTS.match(text[m.end():]):
            continue
        if m.group() in words("parents") and (_PARENTS_GONE_AFTER.match(text, m.end())
                                               or _PARENTS_GONE_BEFORE.search(text[:m.start()])):
            continue  # "从小没了爸妈", "爹妈都不在了": an orphan's words, not a person named
        if m.group() in words("roles") and _ROLE.search(text[max(0, m.start() - 9):m.start()]):
            continue
        if any(a <= m.start() and m.end() <= b and not who.startswith("other:") for a, b, who in out):
            continue  # "我叔叔": the speaker's relative, named whole by the lexicon, not someone else's
        # 孩子爸爸: not 孩子, 爸爸; 我姐夫: not 我姐
        out = [p for p in out if not (p[0] < m.end() and m.start() < p[1])]
        out.append((m.start(), m.end(), "other:" + m.group()))
    places_end = {e["end"] for e in entities if e["entity"] == "region"}
    for m in _SELF.finditer(text):
        if _KNOWS.match(text[m.end():]):
            continue  # "几级额不清楚": what the speaker knows, not who the facts after it are of
        if m.group() == "额" and m.start() in places_end:
            continue  # "崇明额": 的 in 吴语, after a place
        if text[:m.start()].endswith(tuple(words("not_self_after_words"))):
            continue  # "跟着来电人在嘉兴生活": the speaker as an object
        if not any(a <= m.start() < b for a, b, _ in out):
            out.append((m.start(), m.end(), "self"))
    for m in _SELF_ALONE.finditer(text):
        if not any(a <= m.start() < b for a, b, _ in out):
            out.append((m.start(), m.end(), TOPIC))
    out.sort()
    for m in re.finditer(r"[他她](?!们)", text):
        if any(a <= m.start() < b for a, b, _ in out) or _REPORTS.match(text[m.end():]):
            continue  # "他想知道，…": who asks, not whose the facts are
        unlike = _FEMALE if m.group() == "他" else _MALE
        earlier = [p for p in out if p[1] <= m.start() and p[2] != "self" and not unlike.search(text[p[0]:p[1]])
                   and text[p[0]:p[1]] not in words("pairs_with_speaker")]  # "家里就俺俩…他今年七十一"
        # with no one named before, 他/她 is the person the conversation is about
        out.append((m.start(), m.end(), earlier[-1][2] if earlier else "third"))
        out.sort()
    return _one_child(out)


# 孩子 said of a son or a daughter the message names ("我儿子今年十四岁…想问一下孩子这种情况"): one child
_SON_OR_DAUGHTER = ("son", "daughter")


def _one_child(people: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """孩子 and 娃 are the son or the daughter when the message names one of them and not the other."""
    named = {who for _, _, who in people if who in _SON_OR_DAUGHTER}
    if len(named) != 1:
        return people
    (child,) = named
    return [(a, b, child if who == "child" else who) for a, b, who in people]


# "我问的是我女儿", "帮一个阿姨问", "是我妈有残疾": who the message is about, said outright.
_ABOUT = Pattern(r"{asks_for}(?P<who>[^，。,.;；!！?？\s]{1,6}?){ask_verbs}|"
                 r"{asked_is}(?P<who3>[^，。,.;；!！?？\s]{1,6})|"
                 r"{is_words}(?P<who2>[^，。,.;；!！?？\s]{1,4}?){disabled_said}")


_FAMILY = Pattern("(?:{we}|{speaker}){family_of}|{family_alone}|{we}")
_SELF_NAMED = Pattern("(?:{speaker})(?:自己|本人)?|本人|自己")
# The 户口 said to be somewhere no place name says: the place the message names may be someone else's
_REGISTERED_ELSEWHERE = Pattern(r"{registry}(?:还|仍然|一直|都)?在(?:她|他)?{registered_elsewhere}")
_KNOWS = Pattern("^(?:也|都|真|实在|确实)?{knows_after}")
_SELF_IS = Pattern("(?<![不没]){self_is}(?!的)")


def _people_of_families(text: str, people: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The people list for a household fact: 我家, 我们, 家里 name the family of whoever the message is
    about ("family"), not someone else."""
    out = list(people)
    for m in _FAMILY.finditer(text):
        if any(p[1] == m.start() for p in people):
            continue  # "我前夫家里": his family's
        out = [p for p in out if not (m.start() <= p[0] < m.end())]
        out.append((m.start(), m.end(), "family"))
        members = _MEMBERS.match(text, m.end())
        if members:  # "家里有老人孩子，属于低收入家庭": who the family has, not another family
            out = [p for p in out if not (members.start() <= p[0] < members.end())]
    return sorted(out)


_MEMBERS = Pattern(r"(?:还|就|只)?有[^，。,.;；!！?？\s]*")


def _owner_of(text: str, people: list[tuple[int, int, str]], e: dict, within: int | None = None) -> str | None:
    """Whose the entity is: the person named last before it, but a care word is the person cared for
    when one is named right after it ("伺候我那脑瘫儿子": the son needs the care)."""
    if e["entity"] == "needs_long_term_care" and _AS_OBJECT.search(text[e["start"]:e["end"]]):
        after = [who for start, _, who in people if e["end"] <= start <= e["end"] + 4 and who != "self"]
        if after:
            return after[0]
    if e["entity"] == "has_certificate":  # "想着给我妈办个残疾证": the one it is done for, named inside
        inside = [who for start, end, who in people if e["start"] <= start and end <= e["end"] and who != "self"]
        if inside:
            return inside[0]
    return _described(text, people, e) or _owner(people, e["start"], within=within)


def _described(text: str, people: list[tuple[int, int, str]], e: dict) -> str | None:
    """The person an age describes, named right after it: "让80多岁的老头去镇上", "还有个五十多岁的傻儿子"."""
    if e["entity"] != "age" or text[e["end"]:e["end"] + 1] != "的":
        return None
    after = [who for start, _, who in people if e["end"] + 1 <= start <= e["end"] + 3]
    return after[0] if after else None


# A person's own fact said far from where they are named, in a message that names someone else too, may
# be the other's: confirmed, not taken
_FAR_PERSONAL = ("age", "employed", "months_employed")
_FAR_FROM_OWNER = 20  # characters


def _far_from_owner(people: list[tuple[int, int, str]], e: dict, main: str | None) -> bool:
    """Whether the entity is said more than _FAR_FROM_OWNER characters after its person was last named
    (or its person is never named before it), in a message that names someone else too."""
    named = [(start, end) for start, end, who in people if who == (main or "self") and end <= e["start"]]
    others = {who for _, _, who in people if who != (main or "self")}
    return bool(others) and (not named or e["start"] - named[-1][1] > _FAR_FROM_OWNER)


def _owner(people: list[tuple[int, int, str]], position: int, within: int | None = None) -> str | None:
    """The person named last before `position` (within `within` characters of it, if given)."""
    before = [who for start, end, who in people if end <= position and (within is None or position - end <= within)]
    return before[-1] if before else None


# How close before a fact its owner is named for the fact to be theirs rather than the main person's
# ("我自己也有残疾证", "我在上海上班"); further back, the fact is the one the message is about.
_NEAR = 8


def _main_person(text: str, people: list[tuple[int, int, str]], entities: list[dict]) -> str | None:
    """Who the message is about: the person it says it asks about ("我问的是我女儿"), else the person
    named last before its first disability fact that is not someone else's (邻居家孩子是自闭症…)."""
    people = [p for p in people if p[2] != TOPIC]  # 自己: whoever it is about, decided here
    for_someone_else = False
    for m in _ABOUT.finditer(text):
        group = next(g for g in ("who", "who2", "who3") if m.group(g))
        start, end = m.start(group), m.end(group)
        named = [who for a, b, who in people if a >= start and b <= end + 1]
        if named and not named[-1].startswith("other:"):
            return named[-1]
        if _SELF_NAMED.fullmatch(m.group(group)):
            return "self"  # "我哥有证，我没有，我是问我自己"
        # "帮邻居问的，她儿子十六岁…": asked for someone else, about whoever the facts are said of
        for_someone_else = for_someone_else or bool(named)
    if _SELF_IS.search(text):
        return "self"  # "我儿子今年三十…是我自己股骨头坏死"
    owners = [_owner_of(text, people, e) for e in sorted((e for e in entities if e["entity"] in _DISABILITY),
                                                          key=lambda e: e["start"])]
    for owner in owners:
        if owner is not None and (not owner.startswith("other:") or for_someone_else):
            return owner  # "想替邻居家问个事。邻居家的孩子今年十五岁，智力残疾": the neighbour's child
    named = [who for _, _, who in people if who != "self" and not who.startswith("other:") and who != "third"]
    if named:  # "邻居家孩子是自闭症…我家孩子五岁": ours, not the neighbour's
        return named[0]
    if owners:  # every disability fact is of the one person named (娃他爸, 老二): that is who it is about
        return owners[0]
    return "third" if any(who == "third" for _, _, who in people) else None


def _read_entities(reading: Reading, text: str, entities: list[dict]) -> None:
    from rules.facts import FACTS, ProfileError

    people = _people(text, entities)
    main = _main_person(text, people, entities)
    if reading.asking and main is not None and main.startswith("other:"):
        main = None  # a reply is about the person asked about; "他哥是自闭症" is about someone else
    # "现在母亲去世了,自己一个人生活不能自理": 自己 is whoever the message is about, not the mother
    people = [(a, b, (main or "self") if who == TOPIC else who) for a, b, who in people]
    if main and not main.startswith("other:") and main != "third":
        reading.subject = main
    family = _people_of_families(text, people)
    # "我姐夫有精神病，我姐一个人撑着家，在服装厂上班": the disability is someone else's and the one the
    # message may be about owns none of it; who the rest is said of is unclear, so it is confirmed
    owners = {_owner_of(text, people, e) for e in entities if e["entity"] in _DISABILITY}
    unclear = bool(main) and not reading.asking and main not in owners and any(
        o and o.startswith("other:") for o in owners)
    # "我爸肢体三级，我弟弟智力二级…他俩分别能拿啥", "我视力二级他肢体一级": two people of the family
    # disabled; which one the conversation goes on about is not said, so what is read is confirmed
    several = not reading.asking and len({o for o in owners if o and not o.startswith("other:")}) >= 2
    by_fact: dict[str, list[dict]] = {}
    by_age: list[dict] = []
    for e in entities:
        if e["entity"] in _PERSONAL + _DISABILITY and people:
            within = None
            if e["entity"] == "has_certificate":  # the certificate in a story is the disabled person's unless
                # its holder is named right there ("我自己也有残疾证"): "我跑了五趟残联，证还没办下来"
                clause_start = max((m.end() for m in re.finditer(r"[，,。.;；!！?？\s]", text[:e["start"]])),
                                   default=0)
                within = e["start"] - clause_start + _NEAR
            owner = _owner_of(text, people, e, within=within)
            if owner is not None and owner != (main or "self"):
                continue  # said of someone else in the story
            if e["entity"] in _FAR_PERSONAL and not reading.asking and _far_from_owner(people, e, main) \
                    and not _described(text, people, e):
                e = {**e, "unsure": True}  # "…我在外面上班顾不上…": whose job, far from its person, is a guess
        if e["entity"] == "household" and family:
            owner = _owner(family, e["start"])
            if owner is not None and owner != (main or "self") and owner != "family":
                continue  # "我姐家吃低保", "邻居家是低保户": another family's
        kind = e["entity"]
        if kind == "program":
            for pid in str(e["value"]).split("+"):
                if pid not in reading.programs:
                    reading.programs.append(pid)
        elif kind == "subject":
            if not any(a <= e["start"] and e["end"] <= b and who.startswith("other:") for a, b, who in people):
                reading.subject = reading.subject or e["value"]  # not 他爹: someone else's father
        elif kind in (NUMBER, MONTHS):
            if kind == NUMBER and not reading.asking and _AGE_ALONE.fullmatch(text.strip()):
                by_age.append(e)  # "77了", nothing asked: an age, most likely; asked back below
            continue  # a number that says nothing of what it counts: only a reply gives it a meaning
        elif kind == "region":
            continue  # places are read by _read_places
        elif kind in FACTS:
            by_fact.setdefault(kind, []).append(e)
    for fact, found in by_fact.items():
        if reading.asking and re.search(r"[他她]", text) and len({e["value"] for e in found}) > 1:
            # a reply about him or her that also says the speaker's own ("他二十六我都五十多了")
            found = [e for e in found if _owner(people, e["start"]) != "self"] or found
        chosen = _choose(text, found)
        if chosen is None:
            continue
        try:
            value = _value(fact, chosen["value"])
        except (ProfileError, ValueError):
            reading.rejected[fact] = text[chosen["start"]:chosen["end"]]
            continue
        if isinstance(value, tuple):
            if not chosen.get("unsure"):  # a range to be confirmed would be asked as a number anyway
                reading.inexact[fact] = value
        elif chosen.get("negated") or chosen.get("unsure") or _hedged(text, chosen["start"], chosen["end"]) or (
                unclear and fact in _PERSONAL) or (several and fact in _PERSONAL + _DISABILITY):
            reading.confirm[fact] = value
        else:
            reading.facts[fact] = value
            reading.spans[fact] = (chosen["start"], chosen["end"])
    if not people and "dibao_gradual_exit" in reading.programs and "employed" in reading.facts:
        # "家里残疾人找到工作了，低保是不是马上就停": with no one named, work said beside a question about
        # what then becomes of 低保 may be the case asked about: confirmed
        reading.doubt("employed")
    named = {who for _, _, who in people if who not in ("self", "third") and not who.startswith("other:")}
    if reading.asking and len(named) >= 2 and not _ABOUT.search(text):  # unless it says which ("残疾的是外孙女")
        # "我爱人是二级 孩子的我记不清了": a reply about two of the family; which is the one asked about is not
        # said, so what it says is confirmed
        for fact in list(reading.facts):
            reading.doubt(fact)
    if len(by_age) == 1 and "age" not in reading.facts and "age" not in reading.confirm:
        value = by_age[0]["value"]
        if value.isdigit() and 1 <= int(value) <= 120:
            reading.confirm["age"] = int(value)


# a message that is only a number and 了 ("77了", "八十了吧"): what it counts is not said
_AGE_ALONE = re.compile(r"[\d〇零一二两三四五六七八九十百]+\s*了[啊呀吧哦呢]?[。.!！]?")


def _choose(text: str, found: list[dict]) -> dict | None:
    """(see below)"""
    multiple = [e for e in found if e["entity"] == "disability_category" and e["value"] == "multiple"]
    if multiple:  # "智力和肢体都有，评的多重": the categories it combines, then what they make
        return multiple[-1]
    return _choose_one(text, found)


def _within(value: str, span: str) -> bool:
    low, _, high = span.partition("~")
    return value.isdigit() and low.isdigit() and high.isdigit() and int(low) <= int(value) <= int(high)


def _choose_one(text: str, found: list[dict]) -> dict | None:
    """One fact said more than once: the same value, or a correction ("不是低保，是低保边缘"): the last.
    Different values side by side ("一级还是二级"): neither."""
    from .extract import polarity

    found = sorted(found, key=lambda e: e["start"])
    # "不是九岁，是七岁": a number denied is not the value (terms come marked, numbers do not)
    positive = [e for e in found if not e.get("negated")
                and not (len(found) > 1 and polarity(text, e["start"], e["end"]) is False)]
    if positive and len(positive) < len(found):  # "没有低保，是低保边缘户": the value said, not the denial
        found = positive
    values = {e["value"] for e in found}
    if len(values) == 1:  # said plainly once is enough, however often it is only suggested
        return next((e for e in reversed(found) if not e.get("unsure")), found[-1])
    exact = [e for e in found if "~" not in e["value"]]
    if len({e["value"] for e in exact}) == 1 and all(
            _within(exact[0]["value"], e["value"]) for e in found if "~" in e["value"]):
        return exact[-1]  # "实岁十二，虚岁十三": the exact number the other's range holds
    between = text[found[0]["start"]:found[-1]["start"]]
    if _ALTERNATIVE.search(between):
        return None
    if not _CORRECTION.search(between):
        return {**found[-1], "unsure": True} if _CONTRAST.search(between) else None
    return found[-1]


# --- a reply to the question asked ---------------------------------------------------------------

_OWN_BUSINESS = Pattern("{own_business}")


def _in_reply_to(entities: list[dict], asking: str | None, text: str) -> list[dict]:
    """Entities as the question asked makes them: "开了个店" answers why the income rose (exit_cause),
    not whether the person works; "刚上班" answers how long, not whether."""
    if asking == "exit_cause":
        out = []
        for e in entities:
            if e["entity"] == "employed" and e["value"] == "true":
                if not any(o["entity"] == "exit_cause" for o in entities):
                    said = text[e["start"]:e["end"]]
                    out.append({**e, "entity": "exit_cause",
                                "value": "self_employment" if _OWN_BUSINESS.search(said) else "employment"})
                continue
            out.append(e)
        return out
    if asking in ("months_employed", "months_above_line"):
        return [e for e in entities if e["entity"] != "employed"]
    return entities


def _clean(text: str) -> str:
    """A reply without the words around its content: punctuation, fillers, trailing particles."""
    t = text.strip(_PUNCT)
    t = _FILLERS.sub("", t)
    return t.strip(_PUNCT)


def _first_clause(text: str) -> str:
    return re.split(r"[，,。.;；!！?？\s]", text, maxsplit=1)[0].rstrip(_particles())


def _made_of(text: str, words: tuple[str, ...]) -> bool:
    """"对对对", "有的有的", "没有没有": the text is nothing but words of the list."""
    if not text:
        return False
    ordered = sorted(words, key=len, reverse=True)
    i = 0
    while i < len(text):
        for w in ordered:
            if text.startswith(w, i):
                i += len(w)
                break
        else:
            return False
    return True


def option_number(fact: str, text: str) -> Any:
    """The value of the n-th offered option when a reply is just a number ("2", "第二个"); the
    option after the last is 不知道 (returned as the string "dont_know"). None otherwise."""
    from knowledge.facts import FACTS

    spec = FACTS[fact]
    if spec.kind not in ("bool", "enum"):
        return None
    n = chosen_number(text)
    options = spec.options()
    if n is None or not 1 <= n <= len(options) + 1:
        return None
    return options[n - 1][1] if n <= len(options) else "dont_know"


_FARMING = Pattern("{farming}")


def _read_reply(reading: Reading, text: str, fact: str, entities: list[dict], prefer: tuple[str, ...],
                as_of: date | None = None) -> None:
    from knowledge.facts import FACTS
    from knowledge.lexicon import lexicon

    spec = FACTS[fact]
    clean = _ECHO.sub("", _clean(text))  # "残疾证？那个没有": the word asked back is not the answer
    bare = clean.rstrip(_particles())
    lex = lexicon()
    if fact not in reading.facts and fact not in reading.confirm:
        number = option_number(fact, bare)
        if number == "dont_know":
            reading.dont_know = True
            return
        if number is not None:
            reading.facts[fact] = number
            return
    if fact in reading.facts or fact in reading.confirm or fact in reading.inexact or fact in reading.rejected:
        return
    said_first = next((w for w in sorted(lex.replies("dont_know"), key=len, reverse=True) if clean.startswith(w)), None)
    if said_first or any(w in clean for w in spec.not_known):  # "不清楚 没去查过", "还没评级"
        reading.dont_know = True
        return
    clause = _about_them(clean)
    if fact == "employed" and _FARMING.search(clean):
        return  # whether farming counts as work is the local office's to say: not read either way
    if spec.kind in ("bool", "enum"):  # the question's own answer forms first: "没办过也不知道去哪办" is a no
        value, hedged = _answer_word(spec, clause, text)
        if value is not None:
            # "我姐家是低保，我们家不是": a bare no beside someone else's answer denies that answer only
            contrast = (spec.kind == "enum" and clause != clean
                        and _made_of(clause.rstrip(_particles()), lex.replies("deny")))
            (reading.confirm if hedged or contrast else reading.facts)[fact] = value
            return
    # 不知道 before yes/no: "不是很清楚" is not a no
    if any(w in clean for w in lex.replies("dont_know")):
        reading.dont_know = True
        return
    if any(w in clean for w in lex.replies("unsure")):
        reading.unsure = True
        return
    if spec.kind == "int":
        _read_number(reading, text, fact, entities, as_of)
        return
    if spec.kind == "region":
        return  # _read_places reads a reply to 户籍在哪里 as a place, whatever cue words surround it
    if spec.kind != "bool":
        return
    value, hedged = _yes_no(clause, lex)
    if value is False and _CORRECTION.match(clause) and any(f != fact for f in (*reading.facts, *reading.confirm)):
        return  # "不对，刚才说错了，是二级": the no corrects the other fact it names, it does not answer this
    if value is not None:
        (reading.confirm if hedged else reading.facts)[fact] = value


_THEM = Pattern("{them}")


@lru_cache(maxsize=1)
def _unsure_start() -> re.Pattern:
    """A reply's first clause that says the person does not know or is not sure ("说不好，…")."""
    from knowledge.lexicon import lexicon

    said = sorted({*lexicon().replies("dont_know"), *lexicon().replies("unsure")}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, said)) + r")[，,。 ]")
# Words asked back at the start of a reply, before what it says: "啥证？残疾证？没有那玩意儿"
_ECHO = re.compile(r"^(?:[^，,。.;；!！?？\s]{1,8}[?？]\s*)+(?=\S)")


# someone other than the person asked about, named in a clause of the reply ("他哥", "我姐家", "邻居")
_ME_INSTEAD = Pattern("{me_instead}")
_SOMEONE_ELSE = Pattern("{other_people}|{speaker}{kin}")


def _their_clause(text: str) -> tuple[int, int] | None:
    """(start, end) of the last clause about the person asked about, in a reply of several clauses
    where an earlier one is about someone else ("他哥是自闭症，他不是"); None otherwise: a story whose
    clauses are all about the one person ("…一直躺着，我们家没低保") is read whole."""
    clauses = [m for m in re.finditer(r"[^，,。.;；!！?？\s]+", text)]
    if len(clauses) < 2:
        return None
    for i in range(len(clauses) - 1, -1, -1):
        if _THEM.match(clauses[i].group()):
            # someone else named before it, or after it ("他没有，有证的是他哥")
            if any(_SOMEONE_ELSE.search(c.group()) or (j > i and _ME_INSTEAD.match(c.group()))
                   for j, c in enumerate(clauses) if j != i):
                return clauses[i].start(), clauses[i].end()
            return None
    return None


def _about_them(clean: str) -> str:
    """Of a reply in several clauses, the one about the person asked about: "他哥是自闭症，他不是" -> "不是",
    "我姐家是低保，我们家不是" -> "不是"; else the whole reply."""
    span = _their_clause(clean)
    if span is None:
        return clean
    c = clean[span[0]:span[1]]
    return c[_THEM.match(c).end():] or c


_NOT_NOW_BEFORE = Pattern("{not_now_before}$")


def _answer_word(spec, clean: str, text: str = "") -> tuple[Any, bool]:
    """The fact's own answer forms: a whole option word or term ("肢体", "都不是"), or an answer
    phrase at the start of the reply or as a whole clause ("证在家里放着呢", "还没去办")."""
    from knowledge.lexicon import lexicon

    hedged = False
    for h in sorted(lexicon().replies("hedge"), key=len, reverse=True):
        if clean.startswith(h):
            clean, hedged = clean[len(h):].lstrip("是"), True
            break
    bare = clean.rstrip(_particles())
    words: list[tuple[str, Any]] = []
    for v in spec.values.values():
        words += [(w, v.value) for w in (v.option, v.label, *v.terms, *v.answers)]
    from .extract import unstated

    for word, value in sorted(words, key=lambda wv: len(wv[0]), reverse=True):
        if bare == word or _first_clause(clean) == word:
            return value, hedged
    # a longer reply that starts with an answer phrase ("证在家里放着呢"), or holds one of three
    # characters or more ("去年就办下来了") not after a negation; negative phrases first; never one
    # said of something else ("在福利院做过康复": not living there)
    if any(w in clean for v in spec.values.values() for w in v.close):
        return None, False  # "手脚不利索" describes, it does not answer: it is asked back
    answers = sorted(((w, v.value) for v in spec.values.values() for w in v.answers),
                     key=lambda wv: (wv[1] is not False, -len(wv[0])))
    for word, value in sorted(answers, key=lambda wv: -len(wv[0])):
        if len(word) >= 2 and clean.startswith(word) and not unstated(clean, 0, len(word)):
            return value, hedged
    for word, value in answers:
        i = clean.find(word)
        if len(word) >= 3 and i > 0 and not _NOT_NOW_BEFORE.search(clean[:i]):
            if not unstated(clean, i, i + len(word)):  # "在福利院做过康复": not living there
                return value, hedged
    return None, False


def chosen_number(text: str) -> int | None:
    """The number of a reply that is only an option's number ("2", "第二个"), else None."""
    from knowledge.textnorm import parse_number

    m = _OPTION.match(_clean(normalise_text(clip(text or ""))).rstrip(_particles()))
    return parse_number(m.group("n")) if m else None


def yes_or_no(text: str) -> bool | None:
    """The answer to a yes-or-no question such as "您说的是…吗？": the option numbers (1 是, 2 不是) and
    everyday yes and no, hedged ones too ("好像是"); None for anything else."""
    from knowledge.lexicon import lexicon

    number = chosen_number(text)
    if number is not None:
        return {1: True, 2: False}.get(number)
    clean = _clean(normalise_text(clip(text or "")))
    lex = lexicon()
    if any(w in clean for kind in ("dont_know", "unsure") for w in lex.replies(kind)):
        return None  # "不是很清楚" is not a no
    return _yes_no(_about_them(clean), lex)[0]


def after_yes_or_no(text: str) -> str:
    """What a reply to a yes-or-no question says after its yes or no: "不是，本本早就领回来了" ->
    "本本早就领回来了", "对" -> "" (the yes or no is not read again as an answer of its own)."""
    from knowledge.lexicon import lexicon

    clean = _clean(normalise_text(clip(text or "")))
    first = _first_clause(clean)
    lex = lexicon()
    words = sorted(lex.replies("affirm") + lex.replies("deny") + lex.replies("hedge"), key=len, reverse=True)
    if _made_of(first, tuple(words)):
        return clean[len(first):].strip(_PUNCT + _particles())
    return clean


def _yes_no(clean: str, lex) -> tuple[Any, bool]:
    """Everyday yes and no at the start of a reply ("嗯", "对对对", "有的", "用不着", "好像不是")."""
    hedged = False
    first = _first_clause(clean)
    for h in sorted(lex.replies("hedge"), key=len, reverse=True):
        if first.startswith(h):
            first, hedged = first[len(h):], True
            break
    if _made_of(first, lex.replies("deny")):
        return False, hedged
    if _made_of(first, lex.replies("affirm")):
        return True, hedged
    # "可不是嘛早就有了", "没有没有就是智力低": a yes or no of two characters or more, then the rest
    for kind, value in (("deny", False), ("affirm", True)):
        for word in sorted(lex.replies(kind), key=len, reverse=True):
            if len(word) >= 2 and first.startswith(word) and not first.startswith(words("not_yes_no")):
                return value, hedged
    return None, False


_JUST_BEGUN = Pattern("{just_begun}")


def _read_number(reading: Reading, text: str, fact: str, entities: list[dict], as_of: date | None = None) -> None:
    """A reply to 今年多大 or 几个月: the one number it holds, whatever the words around it call it."""
    from rules.facts import ProfileError

    kinds = {"age": ("age", NUMBER), "months_above_line": ("months_above_line", "months_employed", MONTHS, NUMBER),
             "months_employed": ("months_employed", "months_above_line", MONTHS, NUMBER),
             "disability_grade": ("disability_grade", NUMBER)}.get(fact, (fact, NUMBER))
    found = [e for e in entities if e["entity"] in kinds]
    if not found and fact.startswith("months_") and _JUST_BEGUN.match(_clean(text)):
        reading.facts[fact] = 0  # "刚上班", "刚超": this month
        return
    if fact == "age" and (relative := _age_relative(text, found)):
        found = relative
    if not found and fact == "age":
        found = _age_in_reply(text, as_of)
    if not found and fact.startswith("months_"):
        found = _months_since(text, as_of)
    if len({e["value"] for e in found}) != 1:
        return
    raw = found[0]["value"]
    try:
        value = _value(fact, raw)
    except (ProfileError, ValueError):
        reading.rejected[fact] = text[found[0]["start"]:found[0]["end"]]
        return
    if isinstance(value, tuple):
        reading.inexact[fact] = value
    else:
        reading.facts[fact] = value


# "我今年五十二 他比我小三岁": their age from the speaker's and the difference
_RELATIVE_AGE = Pattern(r"比(?:{speaker})(?P<dir>小|大)(?P<n>[\d一二两三四五六七八九十]{1,3})岁")


def _age_relative(text: str, found: list[dict]) -> list[dict]:
    """The age of the one asked about, said as the speaker's own age and how much younger or older."""
    from knowledge.textnorm import parse_number

    m = _RELATIVE_AGE.search(text)
    own = [e for e in found if e["entity"] == "age" and e["value"].isdigit() and e["end"] <= m.start()] if m else []
    n = parse_number(m.group("n")) if m else None
    if len(own) != 1 or not n:
        return []
    age = int(own[0]["value"]) + (-n if m.group("dir") == "小" else n)
    return [{"entity": "age", "start": m.start(), "end": m.end(), "value": str(age)}] if 0 <= age <= 120 else []


# 虚岁 (the age counted from 1 at birth, one more each new year) is one or two above the age in years
_NOMINAL = re.compile(r"虚岁\s*$")
# the only other words such a reply may hold: when, how the age is counted, the zodiac year, particles
_AGE_WORDS = Pattern("{age_reply_words}|属[鼠牛虎兔龙蛇马羊猴鸡狗猪]的?")
_NOT_AN_AGE_AFTER = Pattern(r"^\s*{not_age_after_reply}")


# a year of birth: "1958年出生", "六零年的", "58年生人"
_BORN = re.compile(r"^(?:是|我是|他是|她是)?(?P<y>(?:19|20)?\d{2}|[一二][九〇零][〇零一二三四五六七八九]{2}|[〇零一二三四五六七八九]{2})"
                   r"年(?:出生|生|生的|生人|的)?(?:的|人)?[。.!！]?$")
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
# the calendar month something began: "从今年三月开始", "去年十月超的"
_SINCE = re.compile(r"(?P<y>今年|去年|前年)(?P<m>\d{1,2}|十[一二]?|[一二三四五六七八九])月")


def _age_from_birth_year(text: str, as_of: date | None) -> list[dict]:
    m = _BORN.match(_clean(text))
    if m is None:
        return []
    raw = m.group("y")
    year = int(raw) if raw.isdigit() else int("".join(str(_CN_DIGIT[c]) for c in raw))
    today = as_of or date.today()
    if year < 100:  # "六零年", "58年": the century that makes it a past year
        year += 1900 if year > today.year % 100 else 2000
    low, high = today.year - year - 1, today.year - year  # the birthday may be still to come
    if not (0 <= high <= 120):
        return []
    return [{"entity": "age", "start": 0, "end": len(text), "value": f"{max(low, 0)}~{high}"}]


def _months_since(text: str, as_of: date | None) -> list[dict]:
    """"从今年三月开始超的", asked how many months: counted from that month to this one."""
    from knowledge.textnorm import parse_number

    found = list(_SINCE.finditer(text))
    if len(found) != 1:
        return []
    m = found[0]
    month = parse_number(m.group("m"))
    today = as_of or date.today()
    if month is None or not 1 <= month <= 12:
        return []
    months = today.month - month + 12 * {"今年": 0, "去年": 1, "前年": 2}[m.group("y")]
    if months < 0:
        return []
    return [{"entity": "months", "start": m.start(), "end": m.end(), "value": str(months)}]


def _age_in_reply(text: str, as_of: date | None = None) -> list[dict]:
    """A reply to 今年多大 that holds one number among other words ("今年虚岁七十", "属马的 六十出头"):
    that number, as an age; 虚岁 N as N-2 to N-1; a year of birth as the two ages it can give."""
    from knowledge.textnorm import find_quantities

    born = _age_from_birth_year(text, as_of)
    if born:
        return born
    found = [q for q in find_quantities(text) if q.unit in (None, "岁") and not _NOT_AN_AGE_AFTER.match(text[q.end:])]
    if len(found) != 1 or not (0 < found[0].low and found[0].high <= 120):
        return []
    q = found[0]
    rest = _AGE_WORDS.sub("", text[:q.start] + " " + text[q.end:])
    if rest.strip(" ，,。.!！"):
        return []  # "过了年就七十", "比他大两岁": words that change the number, or might
    low, high = q.low, q.high
    if _NOMINAL.search(text[:q.start]):
        low, high = max(0, low - 2), high - 1
    value = str(low) if low == high else f"{low}~{high}"
    return [{"entity": "age", "start": q.start, "end": q.end, "value": value}]


# --- descriptions, places, approximate numbers ------------------------------------------------------

@lru_cache(maxsize=1)
def _descriptions() -> list[tuple[str, str, Any]]:
    """(description, fact, value) of every `close` word, longest first."""
    from knowledge.facts import FACTS

    out = [(w, f.name, v.value) for f in FACTS.values() for v in f.values.values() for w in v.close]
    return sorted(out, key=lambda x: -len(x[0]))


def _read_descriptions(reading: Reading, text: str) -> None:
    """"手脚不利索", "看东西模糊": a value to confirm, when nothing in the message says it plainly. A
    category described beside another one said plainly ("重度脑瘫，耳聋") may make the disability 多重:
    the plain one is confirmed too, not taken."""
    from .extract import polarity

    for word, fact, value in _descriptions():
        if fact in reading.confirm:
            continue
        i = text.find(word)
        if i < 0 or polarity(text, i, i + len(word)) is not True:
            continue  # "不是中风", "有没有脑梗"
        if fact in reading.facts:
            if fact == "disability_category" and reading.facts[fact] not in (value, "multiple"):
                reading.doubt(fact)
            continue
        reading.confirm[fact] = value


def _read_places(reading: Reading, text: str, entities: list[dict], prefer: tuple[str, ...]) -> None:
    from knowledge.gazetteer import AmbiguousPlace, PlaceError, gazetteer

    g = gazetteer()
    places = [e for e in entities if e["entity"] == "region"]
    if not places and reading.asking == "region":
        words = _PLACE_WORDS.sub("", _clean(text).rstrip(_particles())) or _clean(text)
        if 2 <= len(words) <= 20 and not any(ch.isdigit() for ch in words):
            places = [{"entity": "region", "value": words, "start": 0, "end": len(text), "reply": True}]
    codes, placed = [], []  # (code, note) of each place read, and the entity it was read from
    for e in places:
        value = e["value"]
        if re.fullmatch(r"\d{6}", value):
            said = text[e["start"]:e["end"]]
            try:
                note = g.resolve(said).note if said else None  # "奉化市": an old name, with a note
            except PlaceError:
                note = None
            codes.append((value, note))
            placed.append((e, value))
            continue
        try:
            place = g.resolve(value)
            codes.append((place.code, place.note))
            placed.append((e, place.code))
            continue
        except AmbiguousPlace:
            pass
        except PlaceError:
            pass
        town = _town(value, prefer, short=bool(e.get("reply")))
        if town is not None:
            code, note, certain = town
            if certain:
                codes.append((code, note))
                placed.append((e, code))
            else:
                reading.confirm["region"] = code
                reading.notes.append(note)
            continue
        if not e.get("reply") or _looks_like_a_place(value):
            reading.places.append(value)
    if len({code for code, _ in codes}) > 1:
        named = list(dict.fromkeys(code for code, _ in codes))
        codes = _where_registered(text, places, codes)
        if not codes:  # "我在宁波，我爸在大同": which is the 户口 is asked, with the places said as choices
            reading.candidates = named
    found = {code for code, _ in codes}
    if len(found) == 1:
        code, note = codes[-1]
        if note and "已于" in note:  # an old name ("奉化市"): the same place, but confirmed
            reading.confirm["region"] = code
        elif _place_in_doubt(text, places, [e for e, c in placed if c == code], reading.asking):
            reading.confirm["region"] = code
        else:
            reading.facts["region"] = code
        if note:
            reading.notes.append(note)


def _place_in_doubt(text: str, places: list[dict], naming: list[dict], asking: str | None) -> bool:
    """Whether the one place read (named by the entities `naming`) is confirmed rather than taken: the 户口
    is named but not tied to any of `places`, or a long story names it without words that say it is the
    户籍 or home (see _anchored)."""
    if _registry_untied(text, places):
        return True
    return len(text) > LONG_STORY and asking != "region" and not any(_anchored(text, e) for e in naming)


# A message longer than this is a story: people, places and times come and go in it
LONG_STORY = 80
_ANCHOR_BEFORE = Pattern(r"(?:{registered_before})[^，。,.;；\s]{0,4}$")
_RESIDENT_AFTER = Pattern(r"^(?:的)?(?:{resident_after})|^[^，。,.;；\s]{0,6}?(?:村民|居民)")
_ORG_AFTER = Pattern(r"^(?:的)?(?:{org_after})")
# "…，在太原，…": a clause that is the place alone, with 在 or 是 before it, 的 or 这边 after it
_CLAUSE_OF_ITS_OWN = Pattern(r"(?:^|[，。,.;；!！?？：:\s])(?:{place_is})?$")
_CLAUSE_ENDS = Pattern(r"(?:{place_after})?(?:$|[，。,.;；!！?？\s])")
_OPENS_CLAUSE = Pattern(r"(?:^|[，。,.;；!！?？：:\s])\s*$")


@lru_cache(maxsize=1)
def _other_family() -> re.Pattern:
    """A relative's household right before a place: "女儿一家在", "儿子他们一家住在"."""
    return re.compile(f"(?:{relatives()})(?:他们|她们)?(?:一家|一家人|全家)(?:都)?(?:在|住在|住)$")


def _anchored(text: str, e: dict) -> bool:
    """Whether the words around a place say it is where the person's 户籍 or home is (see language.yaml
    resident_after, org_after): "我是崇明区竖新镇居民", "家住周至县", "奉化的，…"; not "女儿一家在滨江"
    nor "在安庆市残联康复中心"."""
    before, after = text[max(0, e["start"] - 10):e["start"]], text[e["end"]:e["end"] + 12]
    if _ANCHOR_BEFORE.search(before):
        return not _other_family().search(before)  # "女儿一家在滨江": a relative's home, not theirs
    if _ORG_AFTER.match(after):
        return False
    return bool(_RESIDENT_AFTER.match(after) or (_OPENS_CLAUSE.search(before) and after[:1] == "的")
                or not text[:e["start"]].strip()
                or (_CLAUSE_OF_ITS_OWN.search(before) and _CLAUSE_ENDS.match(after)))


_REGISTRY_NAMED = Pattern(r"(?:{registry_word})(?!{registry_not})")
_REGISTRY_KIND = Pattern(r"(?:{registry_kind})$")
_REGISTRY_HERE = Pattern(r"^(?:{registry_then})?(?:{registered_in})?(?:{registry_here})")


def _registry_untied(text: str, places: list[dict]) -> bool:
    """The message names the 户口 but ties no place it names to it ("不晓得户口落在哪里 反正一直跟我在嘉兴
    住", "户口在澉浦 现在住在海宁市区"): the 户口 decides, so the place read is confirmed, not taken."""
    if any(_REGISTERED.search(text[:e["start"]]) for e in places):
        return False
    for m in _REGISTRY_NAMED.finditer(text):
        if not _REGISTRY_KIND.search(text[:m.start()]) and not _REGISTRY_HERE.search(text[m.end():m.end() + 8]):
            return True
    return False


_REGISTERED = Pattern(r"(?:{registry}{registry_then}?{registered_in}?|{moved_to})\s*$")


def _where_registered(text: str, places: list[dict], codes: list[tuple[str, str | None]]) -> list:
    """Of several places named: the one the 户口 is in ("在上海打工，户口在灵石"); else, when they lie
    one inside another ("上海…崇明"), the innermost; else a correction keeps the last ("不是太原，是大
    同"); else none (the question comes)."""
    from knowledge.gazetteer import gazetteer

    g = gazetteer()
    registered = [c for e, c in zip(places, codes) if _REGISTERED.search(text[:e["start"]])]
    if registered:
        return registered[-1:]
    distinct = list(dict.fromkeys(c for c, _ in codes))
    inner = [c for c in distinct if all(g.contains(o, c) for o in distinct)]
    if inner:
        return [next(x for x in codes if x[0] == inner[0])]
    if _CORRECTION.search(text):
        return codes[-1:]
    return []


_PLACE_KIND = Pattern("{place_kinds}$")


def _looks_like_a_place(words: str) -> bool:
    return bool(_PLACE_KIND.search(words))


def _town(words: str, prefer: tuple[str, ...], short: bool = False):
    """(county code, note, certain) for a town or street name ("溪口镇", "奉化溪口镇"), or None."""
    from knowledge.gazetteer import gazetteer

    found = gazetteer().towns(words, short=short)
    if not found:
        return None
    counties = {t.county for t in found}
    if len(counties) == 1:
        town = found[0]
        return town.county, f"{town.name}属于{town.county_name}，我按{town.county_name}来判断。", True
    preferred = [t for t in found if any(gazetteer().contains(p, t.county) for p in prefer)]
    if len({t.county for t in preferred}) == 1:
        town = preferred[0]
        return town.county, f"叫{town.name}的地方不止一个。", False
    return None


def _settle_ranges(reading: Reading, profile: dict, as_of: date | None) -> None:
    """An approximate number is taken only where any value it could be gives the same answers, now and
    once more is known: no rule for the place has a boundary inside it."""
    from rules.engine import same_answers, turns_within

    for fact, (low, high) in list(reading.inexact.items()):
        if fact in reading.facts or high < low or high - low > 40:
            continue
        if low <= profile.get(fact, -1) <= high:
            reading.facts[fact] = profile[fact]  # "三十好几" of someone known to be 34: still 34
            del reading.inexact[fact]
            continue
        if turns_within(fact, low, high, profile.get("region"), as_of):
            continue
        if same_answers({k: v for k, v in profile.items() if k != fact}, fact, range(low, high + 1), as_of):
            reading.facts[fact] = (low + high) // 2  # any value gives the same answers; say back the middle
            del reading.inexact[fact]


# "要是评上二级呢", "如果我找到工作，低保会怎样": a case supposed, not a fact of now
SUPPOSE = Pattern("(?<!{not_suppose_before}){suppose}")  # not 需要是
_LIKE_THIS = Pattern(r"\s*{suppose_self}")  # 如果像我这样的: the person as they are
_CLAUSE_END = re.compile(r"[，,。；;？?！!]")
_SUPPOSE_TAIL = Pattern(r"(?:的话)?{suppose_tail}[?？。.!！]*$")


def supposed(text: str, profile: dict | None = None, as_of: date | None = None) -> dict:
    """The facts a "what if" question supposes ("要是评上二级呢" -> {"disability_grade": 2}): those said in
    the clause after 要是/如果… (not before it, not in the next clause), read as if said plainly, that
    differ from what is known. "如果像俺这种…" describes the person, it supposes nothing. Nothing is
    stored: the caller compares."""
    found = SUPPOSE.search(text or "")
    if not found or _LIKE_THIS.match(text[found.end():]):
        return {}
    plain = _CLAUSE_END.split(text[found.end():])[0]
    plain = _SUPPOSE_TAIL.sub("", plain.strip())
    if not plain.strip():
        return {}
    reading = understand(plain, profile=profile, as_of=as_of)
    said = {**reading.confirm, **reading.facts}
    if "employed" not in said and _JOB_OFFERED.search(text[:found.start()]) \
            and _TAKES_IT.match(plain.strip().split()[0]):
        said = {**said, "employed": True}  # "厂里有个岗位想招我 我要是去了": the job offered, taken
    return {f: v for f, v in said.items() if (profile or {}).get(f) != v}


# A job named before a supposed case that only says it is taken ("厂里有个岗位想招我 我要是去了")
_JOB_OFFERED = Pattern("{job_offered}")
_TAKES_IT = Pattern(r"^(?:{speaker}|他|她)?(?:真的?)?{takes_it}了?(?:的话)?$")
