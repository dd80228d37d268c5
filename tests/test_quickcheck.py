"""The caseworker's one-message check (Telegram /check): what it reads, what it refuses, what it says."""
import asyncio
from datetime import date

from bot.caseworker.quickcheck import profile_from_text, quick_check
from bot.conversation.render import LIMIT
from rules.model import load_programs

AS_OF = date(2024, 6, 1)


def check(text):
    return asyncio.run(quick_check(text, AS_OF))


def test_every_programme_is_answered_and_what_was_read_comes_first():
    messages = check("我爸在太原，肢体一级，60岁，有残疾证，家里吃低保，瘫在床上要人照顾")
    assert messages[0].startswith("读到的情况：户籍在山西省太原市")
    assert "肢体残疾" in messages[0] and "一级" in messages[0] and "低保家庭" in messages[0]
    body = "\n".join(messages[1:])
    for program in load_programs().values():
        assert program.title in body
    # what the person can get is said before what they cannot
    heads = [m.split("：")[0] for m in messages[1:] if "：按规定" in m]
    assert heads.index("重度残疾人护理补贴") < heads.index("残疾儿童康复救助")
    assert all(len(m) <= LIMIT for m in messages)


def test_a_refused_value_is_named_and_the_rest_still_counts():
    profile, problems = profile_from_text("崇明，孩子5岁，视力7级")
    assert profile == {"region": "310151", "age": 5, "disability_category": "vision"}
    assert problems == ["残疾等级“7级”不能用：残疾等级只有一级到四级，一级最重。您说的是7级。"]
    first = check("崇明，孩子5岁，视力7级")[0]
    assert "上海市崇明区" in first and "残疾等级“7级”不能用" in first


def test_a_place_that_names_several_lists_them_in_one_sentence():
    _, problems = profile_from_text("在朝阳，肢体一级")
    assert problems[0].startswith("户籍所在地“朝阳”不能用：“朝阳”可能是") and "北京市朝阳区" in problems[0]
    assert "。。" not in problems[0]


def test_nothing_understood_says_what_to_write_and_still_answers_need_info():
    messages = check("你好")
    assert messages[0].startswith("没有读出任何情况。请写明户籍地")
    assert "还要知道" in messages[1]  # the answer first: what is still needed
    assert all("还需要知道" in m for m in messages[2:] if "：按规定" not in m)


def test_a_huge_message_is_read_up_to_the_cap_and_says_so():
    messages = check("我在太原，肢体一级。" * 1000)
    assert "太原" in messages[0] and "只读了前1000个字" in messages[0]
    assert all(len(m) <= LIMIT for m in messages)
    assert "崇明" not in check("啊" * 1000 + "我在崇明")[0]
