"""A term inside a longer term or phrase never gives the shorter term's value (issue 8, item 2).

Generated: every pair of lexicon terms where one contains the other ("低保" in "低保边缘户", "孤儿" in
"孤儿院", "低保" in "单独申请低保"), said plainly, negated and asked about, in several sentence frames.
The message is read with bot.nlu.understand, as the chat reads it. Then the roles a short term takes in
a phrase: the programme's name ("给她办低保"), a rule ("只有低保户才能领"), another grading ("一级市场").
"""
from __future__ import annotations

import pytest

from bot.nlu.understand import understand
from knowledge.facts import FACTS
from knowledge.lexicon import PROGRAMS, lexicon

FRAMES = ["{}", "我们家是{}", "我爸{}，在太原", "俺娘是{}的，七十了", "{}能领啥补贴", "就是那个{}嘛"]
NEGATED = ["不是{}", "我家没有{}", "他也不是{}的"]
ASKED = ["{}怎么申请", "有没有{}啊", "{}是什么意思"]


def _read(text: str) -> set[tuple[str, object]]:
    """(fact, value) read for certain, and (programs, id) for each programme named."""
    r = understand(text)
    return set(r.facts.items()) | {(PROGRAMS, p) for p in r.programs}


def _value(kind, value):
    return (PROGRAMS, value) if kind == PROGRAMS else (kind, value)


def _pairs():
    entries = [(t, k, v) for t, k, v in lexicon().entries() if k in FACTS or k == PROGRAMS]
    out = []
    for short, k1, v1 in entries:
        for long, k2, v2 in entries:
            if short != long and short in long and (k1, v1) != (k2, v2):
                out.append((short, k1, v1, long, k2, v2))
    return out


PAIRS = _pairs()


def test_there_are_pairs_to_check():
    assert len(PAIRS) >= 30
    assert ("低保", "household", "dibao", "低保边缘户", "household", "low_income") in PAIRS


def _shorter_values(short, k1, v1, long, k2, v2) -> set:
    """What the shorter term says that the longer one does not."""
    shorter = {_value(k1, v1)}
    if k1 == PROGRAMS and isinstance(v1, tuple):
        shorter = {(PROGRAMS, p) for p in v1}
    longer = {_value(k2, v2)} | ({(PROGRAMS, p) for p in v2} if k2 == PROGRAMS and isinstance(v2, tuple) else set())
    return shorter - longer


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-in-{p[3]}")
def test_the_longer_term_never_gives_the_shorter_ones_value(pair):
    short, k1, v1, long, k2, v2 = pair
    # what the longer term says by itself may include the shorter one's value ("出去打工" is work too)
    forbidden = _shorter_values(*pair) - _read(long)
    for frame in FRAMES + NEGATED + ASKED:
        text = frame.format(long)
        assert not (_read(text) & forbidden), (text, _read(text) & forbidden)


@pytest.mark.parametrize("text,forbidden", [
    # 低保 naming the programme, a rule, another family or another time: not this household's status
    ("我们家是低保边缘户，我女儿一级智力残疾，能不能单独给她办低保", ("household", "dibao")),
    ("想给我妈申请低保", ("household", "dibao")),
    ("低保怎么申请", ("household", "dibao")),
    ("低保标准是多少", ("household", "dibao")),
    ("只有低保户才能领吗", ("household", "dibao")),
    ("听说低保户能领生活补贴", ("household", "dibao")),
    ("以前吃过低保，现在停了", ("household", "dibao")),
    ("我姐家吃低保，我自己肢体四级", ("household", "dibao")),
    ("邻居家是低保户", ("household", "dibao")),
    ("低保金一个月发多少", ("household", "dibao")),
    ("差一点就够低保了", ("household", "dibao")),
    ("不是低保", ("household", "dibao")),
    ("家里没吃低保", ("household", "dibao")),
    ("不是低保边缘户", ("household", "low_income")),
    ("不是低保边缘户", ("household", "dibao")),
    ("我女儿有个特困证明", ("household", "tekun")),
    # grades of other things
    ("一级市场", ("disability_grade", 1)),
    ("他在二级医院住过", ("disability_grade", 2)),
    ("三级甲等医院诊断的", ("disability_grade", 3)),
    ("我妈高血压三级", ("disability_grade", 3)),
    ("工伤鉴定七级", ("disability_grade", 7)),
    ("伤残鉴定二级", ("disability_grade", 2)),
    ("我爸是一级退休工人", ("disability_grade", 1)),
    ("楼梯一级一级往上爬", ("disability_grade", 1)),
    # other words that hold a term
    ("孩子在孤儿院", ("orphan", True)),
    ("我爸精神头不好", ("disability_category", "mental")),
    ("邻居家孩子是自闭症，我家孩子五岁", ("autism", True)),
    ("孤独症康复中心的老师", ("autism", True)),
    ("准备下个礼拜去办残疾证", ("has_certificate", True)),
    ("残疾证丢了的话还能领吗", ("has_certificate", True)),
    ("两三个月", ("months_above_line", 23)),
])
def test_a_term_in_another_role_gives_no_value(text, forbidden):
    assert forbidden not in _read(text), text


@pytest.mark.parametrize("text,expected", [
    ("我们家是低保边缘户", ("household", "low_income")),
    ("家里吃低保", ("household", "dibao")),
    ("去年才评上低保", ("household", "dibao")),
    ("咱是低保户咋申请护理补贴", ("household", "dibao")),
    ("孩子在孤儿院", ("in_welfare_institution", True)),
    ("肢体一级", ("disability_grade", 1)),
    ("不是没有证，证放在老家了", ("has_certificate", True)),
    ("能不能单独给她办低保", (PROGRAMS, "dibao_individual")),
    ("低保会不会停", (PROGRAMS, "dibao_gradual_exit")),
])
def test_the_whole_phrase_gives_its_own_value(text, expected):
    # read for certain, or put to the person to confirm ("不是没有证" is a double negation: the learned
    # reader doubts it, so it is asked back); never the shorter phrase's value
    said = _read(text) | set(understand(text).confirm.items())
    assert expected in said, (text, said)


@pytest.mark.parametrize("text,supposes", [
    ("要是评上二级呢", {"disability_grade": 2}),
    ("如果我找到工作，低保会怎样", {"employed": True}),
    ("我现在三级，要是评上二级呢", {"disability_grade": 2}),  # what comes before is not supposed
    ("如果等级从三级降到四级 护理补贴还有吗", {"disability_grade": 4}),
    ("如果像俺这种六十多的独居老头 一级视力 能拿啥", {}),  # the person as they are
    ("俺是四级听力城里户口 也不知道如果去问能领哪几样", {}),  # nothing supposed after 如果
    ("要是不给批怎么办", {}),  # a refusal, not a changed fact
    ("需要是低保户吗", {}),  # 需要是 supposes nothing
    ("厂里有个岗位想招我 我要是去了 低保是不是立马就没了", {"employed": True}),  # the job offered, taken
    ("我要是去了 会怎么样", {}),  # going somewhere, no job named
])
def test_a_supposed_case_is_read_from_its_own_clause(text, supposes):
    from bot.nlu.understand import supposed

    assert supposed(text) == supposes
