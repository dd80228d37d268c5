"""Ages by the calendar (knowledge/calendar.py): counted from the day they are said, in whole years.

A 17-year-old read as 18 loses child rehabilitation aid's answer; a 6-year-old read as 7 loses it too.
"""
from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.understand import understand
from knowledge.calendar import ages, span, zodiac_ages

WINTER = date(2026, 12, 7)
SPRING = date(2026, 3, 15)


@pytest.mark.parametrize("text,today,expected", [
    ("明年开春满十八", WINTER, (17, 17)),
    ("再过俩月就七周岁了", WINTER, (6, 6)),
    ("下个月满六岁", WINTER, (5, 5)),
    ("差两个月满六岁", WINTER, (5, 5)),
    ("马上七岁", WINTER, (6, 6)),
    ("明年就十八了", WINTER, (17, 17)),
    ("过了年就七十了", WINTER, (69, 69)),
    ("明年三月份满18周岁", WINTER, (17, 17)),
    ("上个月刚满六十", WINTER, (60, 60)),
    ("今年刚满十八", WINTER, (18, 18)),
    ("今年十月满的六十", WINTER, (60, 60)),
    ("今年十月满的六十", SPRING, (59, 59)),  # said in March: October is still to come
    ("孩子今年满六岁", WINTER, (5, 6)),  # this year, no month: either
    ("年底满六十", WINTER, (59, 60)),
    ("还没满六岁", WINTER, (0, 5)),
    ("虚岁八岁", WINTER, (6, 7)),
    ("1958年生的", WINTER, (67, 68)),
])
def test_an_age_said_by_the_calendar_is_the_age_in_whole_years_on_the_day_it_is_said(text, today, expected):
    found = ages(text, today)
    assert [(a.low, a.high) for a in found] == [expected]


def test_a_zodiac_sign_gives_an_age_only_where_the_person_is_a_child():
    assert zodiac_ages("猴", WINTER, most=17) == [(9, 10)]  # born in the monkey year 2016-02-08 .. 2017-01-27
    assert len(zodiac_ages("猴", WINTER)) > 5  # an adult: an age every twelve years, nothing alone
    assert ages("属猴的", WINTER) == []


def test_time_words_the_parser_does_not_take_are_still_days():
    assert span("下个月", WINTER) == (date(2027, 1, 1), date(2027, 1, 31))
    assert span("上个月", WINTER) == (date(2026, 11, 1), date(2026, 11, 30))
    assert span("三月份", WINTER) == (date(2026, 3, 1), date(2026, 3, 31))
    first, last = span("开春", WINTER)
    assert first > WINTER and first.year == 2027
    assert span("肢体", WINTER) is None


@pytest.mark.parametrize("text,age", [
    ("我儿子明年开春满十八，智力二级", 17),
    ("闺女再过俩月就七周岁了，自闭症", 6),
    ("孩子属猴的，孤独症", 9),  # 9 or 10: the same answers for child rehabilitation, so taken
])
def test_a_childs_age_said_by_the_calendar_is_read_in_a_message(text, age):
    assert understand(text, as_of=WINTER).facts["age"] == age


def test_an_age_that_cannot_be_pinned_down_is_asked_not_guessed():
    reading = understand("孩子虚岁八岁，孤独症", as_of=WINTER)  # 6 or 7: either side of the national 0-6
    assert "age" not in reading.facts and reading.inexact == {"age": (6, 7)}
    from bot.conversation.questions import reply

    turn = reply("虚岁八岁", asking="age", profile={"autism": True}, as_of=WINTER)
    assert "age" not in turn.set and turn.misses == 1  # the question again, exactly
    assert any("6到7岁" in sentence for sentence in turn.say)


def test_an_age_reply_by_the_calendar_answers_the_age_question():
    assert understand("明年开春满十八", asking="age", as_of=WINTER).facts == {"age": 17}
    assert understand("今年刚满十八", asking="age", as_of=WINTER).facts == {"age": 18}


def test_an_approximate_age_is_taken_only_where_no_rule_has_a_boundary_inside_it():
    # 七十好几 (72..79): no programme's rule turns on an age between them, whatever is learnt later
    assert understand("我爸七十好几了，肢体二级").facts["age"] in range(72, 80)
    # 十来岁 (8..15) holds 14, where child rehabilitation ends in some provinces: it is not taken as
    # 8 even while nothing else is known, and a reply gets the question for the exact number
    story = understand("我闺女十来岁，孤独症")
    assert "age" not in story.facts and story.inexact["age"] == (8, 15)
    assert "age" not in understand("十来岁", asking="age").facts


@pytest.mark.parametrize("text", ["我舅舅三十岁那年出的车祸", "孩子三岁时查出来的", "六岁以前能领吗"])
def test_an_age_of_another_time_is_not_the_age_now(text):
    assert "age" not in understand(text).facts


def test_a_birth_said_with_its_month_or_festival_gives_one_age():
    today = date(2026, 12, 7)
    assert [(a.low, a.high) for a in ages("孩子是2020年国庆节那天生的", today)] == [(6, 6)]
    assert [(a.low, a.high) for a in ages("2020年正月里生的", today)] == [(6, 6)]
    assert [(a.low, a.high) for a in ages("2018年3月出生", today)] == [(8, 8)]
    assert [(a.low, a.high) for a in ages("孩子2019年生的", today)] == [(6, 7)]  # the year alone: two ages
    assert [(a.low, a.high) for a in ages("下礼拜过八岁生日", today)] == [(7, 7)]
