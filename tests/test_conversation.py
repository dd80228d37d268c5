"""Whole conversations through the trained model and a running action server.

Once per test session: bot.plumbing.build.ensure_model() (trains only when its inputs changed), the real action
server as a child process on a free port of 127.0.0.1, and the model loaded with Rasa's Agent on the
project's tracker store (bot.plumbing.tracker_store, SQLite in a temporary directory). Each test talks as its own
sender. Every bot message is checked on the way: plain text a screen reader reads well, at most 500
characters.
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.plumbing.serve import HOST, free_port, start_actions, stop, wait_until_up
from local_server import sqlite_endpoints
from talk import FIGURES, LIMIT, Bot, Replies, load_agent, readable  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def teardown_module(module):
    if len(FIGURES) > 1:
        print("\nconversation figures:", json.dumps(FIGURES, ensure_ascii=False), file=sys.stderr)


# --- the contract's example, corrections, 为什么 -------------------------------------------------------

def test_the_contract_example_asks_only_what_is_missing(bot):
    replies = bot.say("我爸肢体一级，在太原，能领护理补贴吗", "example")
    assert replies.asks == ["needs_long_term_care"]
    assert replies.results is None
    replies = bot.say("是", "example")
    assert replies.results is not None
    assert [(r["program"], r["verdict"]) for r in replies.results] == [("care_subsidy", "eligible")]
    # what it rests on, said back; then the answer first, in one short message
    assert replies.texts[0] == "我记下的：山西省太原市，肢体残疾一级，持有残疾人证，因残疾需要长期照护。说错了直接告诉我，比如：不对，是三级。"
    assert replies.said_back == {"region": "140100", "disability_category": "physical", "disability_grade": 1,
                                 "has_certificate": True, "needs_long_term_care": True}
    assert replies.texts[1].startswith("按规定能领：护理补贴")
    assert replies.texts[2].startswith("重度残疾人护理补贴：按规定符合条件")
    result = replies.results[0]
    assert set(result) == {"program", "verdict", "missing", "reasons", "sources", "source_status", "details"}
    assert result["sources"][0]["doc"] == "national-2015-52"
    assert "怎么申请" in replies.text


def test_a_correction_changes_the_verdict_and_why_quotes_the_source(bot):
    bot.answer("correct", "我爸肢体一级，在太原，能领护理补贴吗", {"needs_long_term_care": "是"})
    replies = bot.say("不对，是三级", "correct")
    # grade 3 of any category: 52号 leaves the extension to the place (refer), as for 智力、精神
    assert replies.verdict("care_subsidy") == "refer"
    assert replies.texts[0] == "好的，已改为：残疾等级为三级。"  # said back, so a misheard one can be caught
    assert replies.texts[1].startswith("我记下的：山西省太原市，肢体残疾三级，持有残疾人证。")  # what the new answer rests on
    assert replies.texts[2].startswith("要问当地：护理补贴")
    assert replies.texts[3].startswith("重度残疾人护理补贴：要由当地决定")
    why = bot.say("为什么", "correct")
    quote = replies.results[0]["sources"][0]["quote"]
    assert f"“{quote}”" in why.text
    assert all(reason in why.text for reason in replies.results[0]["reasons"])
    review = bot.say("我说了什么", "correct")
    assert "残疾等级为三级" in review.text and "山西省太原市" in review.text
    assert "不对，是三级" in review.text


def test_the_verdict_says_back_what_it_rests_on_and_a_correction_after_it_decides_again(bot):
    replies = bot.answer("said-back", "俺爹瘫在床上，一级肢体，在奉化，啥补贴能领？", {"household": "家里吃低保的"})
    assert replies.said_back == {"region": "330213", "has_certificate": True, "disability_category": "physical",
                                 "disability_grade": 1, "needs_long_term_care": True, "household": "dibao"}
    assert replies.texts[0] == ("我记下的：浙江省宁波市奉化区，肢体残疾一级，持有残疾人证，因残疾需要长期照护，"
                                "是低保家庭。说错了直接告诉我，比如：不对，是三级。")
    assert replies.verdict("care_subsidy") == "eligible" and replies.verdict("living_subsidy") == "eligible"
    # a grade misheard, corrected after the verdict in the person's own words: said back, decided again
    replies = bot.say("我记岔了，是三级的", "said-back")
    assert replies.texts[0] == "好的，已改为：残疾等级为三级。"
    while replies.results is None:  # what grade 3 makes worth asking
        assert replies.asks, replies.texts
        replies = bot.say("不知道", "said-back")
    assert replies.said_back["disability_grade"] == 3 and "肢体残疾三级" in replies.text
    assert replies.verdict("care_subsidy") != "eligible"
    # a yes/no fact corrected after the verdict
    replies = bot.say("刚才说错了，证还没办下来", "said-back")
    assert replies.texts[0] == "好的，已改为：没有残疾人证。"
    assert replies.said_back["has_certificate"] is False
    assert replies.verdict("living_subsidy") == "ineligible"


def test_a_reply_the_rules_cannot_read_is_confirmed_from_the_learned_reader(bot):
    replies = bot.say("我在太原，能领生活补贴吗", "learned")
    assert replies.asks == ["has_certificate"]
    replies = bot.say("本本早就领回来了", "learned")
    assert replies.asks == ["has_certificate"] and replies.confirming is True
    assert replies.texts == ["您说的是持有残疾人证吗？请回答 是 或 不是。"]
    replies = bot.say("对的", "learned")
    assert replies.asks == ["household"]  # taken, and the next question comes
    replies = bot.say("家里吃低保的", "learned")
    assert replies.verdict("living_subsidy") == "eligible"
    assert replies.said_back == {"region": "140100", "has_certificate": True, "household": "dibao"}


@pytest.mark.parametrize("text", ["阳曲 女52 精二 有证 需人照护 护理补贴？", "我记岔了，是三级的",
                                  "谢谢啊，我爸今年八十了"])
def test_a_message_that_states_a_fact_is_never_out_of_scope(bot, text):
    replies = bot.say(text, f"in-scope-{text}")
    assert "这个问题我回答不了" not in replies.text and "没听明白" not in replies.text, replies.texts
    assert replies.asks or replies.results is not None, replies.texts


def test_two_places_and_no_word_of_which_is_the_huji_the_question_offers_both(bot):
    replies = bot.say("我在宁波，我爸智力三级在呼兰，离不开人，有证，护理补贴能领吗", "two-places")
    assert replies.asks == ["region"]
    assert replies.texts[-1] == "户口现在在哪里？是浙江省宁波市，还是黑龙江省哈尔滨市呼兰区？"
    assert [b["title"] for b in replies[-2]["buttons"]] == ["浙江省宁波市", "黑龙江省哈尔滨市呼兰区"]
    replies = bot.say("户口在呼兰", "two-places")
    assert replies.said_back["region"] == "230111"


def test_a_caseworkers_shorthand_line_is_answered_at_once(bot):
    replies = bot.say("阳曲 女52 精二 有证 需人照护 护理补贴？", "shorthand")
    assert [(r["program"], r["verdict"]) for r in replies.results] == [("care_subsidy", "eligible")]
    assert replies.said_back == {"region": "140122", "has_certificate": True, "disability_category": "mental",
                                 "disability_grade": 2, "needs_long_term_care": True}


# --- after the verdict (issue 17) ---------------------------------------------------------------------------

CARE_TAIYUAN = "我爸肢体一级，在太原，有证，瘫在床上，家里吃低保，能领护理补贴吗"


def _cited(text: str) -> bool:
    """A line that says where it comes from: a document, its section and its own words."""
    return "依据：" in text and "原文：“" in text or "记录的内容是" in text


def test_after_the_verdict_a_question_about_payment_is_answered_and_nothing_is_cleared(bot):
    bot.answer("after-pay", CARE_TAIYUAN, {})
    replies = bot.say("从哪个月开始发钱", "after-pay")  # its 开始 is no 重新开始
    assert "按月发" in replies.text and "没有写" in replies.text and _cited(replies.text)
    review = bot.say("我说了什么", "after-pay")
    assert "残疾等级为一级" in review.text  # the facts are still there


def test_how_to_apply_says_where_and_what_to_bring_each_with_its_source(bot):
    bot.answer("after-apply", CARE_TAIYUAN, {})
    replies = bot.say("怎么申请，要带什么", "after-apply")
    assert "街道办事处或乡镇政府" in replies.text and "第二代残疾人证" in replies.text
    assert replies.text.count("依据：") >= 2
    lines = bot.say("多久能批下来", "after-apply").text
    assert "没有写" in lines and "12345" in lines  # no time limit in reach: said so, and who can tell


def test_how_long_for_dibao_typed_by_its_sound_gets_the_dibao_time_limit(bot):
    replies = bot.say("低宝交上去二十多天了，多久能批下来", "dibao-how-long")
    assert "30个工作日" in replies.text and "第二十二条" in replies.text
    assert "两项补贴" not in replies.text


def test_if_refused_the_rights_the_law_gives_for_dibao_are_quoted(bot):
    bot.answer("refused", "我儿子肢体二级，有证，家里是低保边缘，在太原，能单独吃低保吗", {"age": "三十"})
    replies = bot.say("要是不给批怎么办", "refused")
    assert "书面" in replies.text and "行政复议" in replies.text
    assert "第四十五条" in replies.text and "第七十六条" in replies.text


def test_how_to_get_a_certificate_is_not_answered_with_how_to_apply_for_a_subsidy(bot):
    replies = bot.say("残疾证怎么办理？要带什么", "certificate")
    assert "县级残联" in replies.text and "评定" in replies.text and _cited(replies.text)
    assert "两项补贴" not in replies.text


def test_a_question_no_clause_answers_gets_an_honest_i_dont_know_and_who_can_tell(bot):
    replies = bot.say("你们残联的电话是多少", "unknown-q")
    assert "没有找到答案" in replies.text and "12345" in replies.text
    assert not any(ch.isdigit() for ch in replies.text.replace("12345", ""))  # no invented number


def test_what_if_says_the_difference_in_one_short_message_and_keeps_the_facts(bot):
    bot.answer("what-if", "我爸肢体三级，在太原，有证，瘫在床上，能领护理补贴吗", {})
    replies = bot.say("要是评上二级呢", "what-if")
    assert len(replies.texts) == 1 and len(replies.texts[0]) <= 150
    assert replies.texts[0].startswith("如果残疾等级为二级：护理补贴从") and "按规定能领" in replies.texts[0]
    assert "您说过的情况没有改" in replies.texts[0]
    assert "残疾等级为三级" in bot.say("我说了什么", "what-if").text


def test_a_what_if_that_decides_nothing_yet_says_what_it_still_needs(bot):
    bot.answer("what-if-open", CARE_TAIYUAN, {})
    replies = bot.say("要是他去福利厂上班了，低保会不会马上就没了", "what-if-open")
    assert "结论都不变" not in replies.text and "家庭人均收入是否已超过当地低保标准" in replies.text


def test_a_what_if_after_words_the_knowledge_base_answers_is_still_a_what_if(bot):
    """"下个月去重新评 要是评成二级了 护理那个钱是不是就能拿了": 重新评 names a topic of the knowledge base, but
    what is asked is what the supposed grade would bring."""
    bot.answer("regrade", "我爸肢体三级，在太原，有证，瘫在床上，能领护理补贴吗", {})
    replies = bot.say("下个月去重新评 要是评成二级了 护理那个钱是不是就能拿了", "regrade")
    assert replies.texts[0].startswith("如果残疾等级为二级"), replies.text


def test_a_what_if_the_facts_cannot_hold_is_answered_honestly_not_asked_back(bot):
    """"要是俺娘哪天没了": no fact of the profile changes; the texts' answer or an honest "not found", then
    how a case the rules can decide again is asked, and nothing stored changes."""
    bot.answer("what-if-none", CARE_TAIYUAN, {})
    replies = bot.say("要是俺娘哪天没了，俺兄弟的低保会咋样", "what-if-none")
    assert "您想假设哪一项变了" not in replies.text
    assert "没有找到答案" in replies.text or "依据：" in replies.text
    assert replies.texts[-1].startswith("我能按改变后的情况重新判断的")


def test_a_question_about_payment_is_no_complaint_about_a_stop(bot):
    """"铜钿是直接打到卡里伐 几号到账" names no stopping: the 办事清单's payment line, not the stopped answer."""
    bot.answer("paid-when", CARE_TAIYUAN, {})
    replies = bot.say("批下来了 两样补贴 钱是直接打到卡里吗 每个月几号到账", "paid-when")
    assert "按月发现金" in replies.text and "国发〔2015〕52号" in replies.text


def test_a_lost_certificate_is_answered_honestly_with_who_can_tell(bot):
    replies = bot.say("残疾证寻勿着了 搬家不晓得塞哪里去了 补一本要多久 要钞票伐", "lost-cert")
    assert "没有写残疾人证丢了怎么补办" in replies.text and "县级残联" in replies.text
    assert "依据：" in replies.text


def test_a_note_asked_for_in_other_words_is_the_note(bot):
    bot.answer("note-words", CARE_TAIYUAN, {})
    replies = bot.say("你把我这情况写成一段话 我发给村支书", "note-words")
    assert "下面这一条可以直接转发" in replies.text and replies.texts[-1].startswith("残疾人福利查询结果")


def test_a_story_that_asks_for_a_note_to_pass_on_gets_the_verdict_then_the_note(bot):
    replies = bot.say("帮我给村干部写几句：我哥四十岁，一级肢体，有证，瘫在床上，低保户，在太原", "note")
    assert replies.results is not None
    assert "下面这一条可以直接转发" in replies.text and replies.texts[-1].startswith("残疾人福利查询结果")
    again = bot.say("帮我给村干部写几句：我哥四十岁，一级肢体，有证，瘫在床上，低保户，在太原", "note")
    assert again.text.count("残疾人福利查询结果") == 1  # the same story again: the note once, not twice


def test_a_summary_to_pass_on_fits_a_wechat_message_and_names_nobody(bot):
    bot.answer("summary", CARE_TAIYUAN, {})
    replies = bot.say("把结果发给我儿子", "summary")
    summary = replies.texts[-1]
    assert len(summary.encode("utf-8")) <= 2048 and len(summary) <= 500
    assert "护理补贴：按规定能领（每月122元，2026年1月1日起" in summary and "山西省太原市" in summary
    assert "金额出处：山西省" in summary  # the figure's own page, not the national text that sets none
    assert "summary" not in summary and not __import__("re").search(r"\d{5,}", summary)  # no id, no number


def test_a_benefit_that_stopped_is_answered_with_what_decides_it_then_the_check(bot):
    replies = bot.say("每月那一百块咋就不发了？", "stopped")
    assert "停发的原因" in replies.text and "低保家庭中的" in replies.text and _cited(replies.text)
    assert replies.asks  # the check of today's situation follows


def test_dibao_itself_stopped_is_answered_with_the_hearing_the_law_requires_before_a_cut(bot):
    replies = bot.say("低保卡这个月没进钱，说是给停了，事先也没人来问过", "dibao-stopped")
    assert "第四十八条" in replies.text and "听您的意见" in replies.text and "渐退期" in replies.text
    assert "生活补贴" not in replies.text


def test_questions_around_the_verdict_get_the_line_they_ask_for(bot):
    bot.answer("around", CARE_TAIYUAN, {})
    payment = bot.say("护理补贴是按月发还是按年发，从哪个月算", "around").text
    assert "按月发" in payment and "审批要多久" not in payment
    regrade = bot.say("评的一级，要是以后更重了，能重新评定等级吗", "around").text
    assert "县级残联" in regrade and "没有写" in regrade and "按规定能领" not in regrade
    behalf = bot.say("我是孩子姥姥，康复救助我能去给他报吗", "grandma").text
    assert "代为申请" in behalf and "第" not in behalf.split("依据")[0]


def test_a_case_that_sets_up_a_question_is_no_what_if(bot):
    replies = bot.say("要是低保批下来了，从哪个月开始发钱", "dibao-payment")
    assert "下个月起" in replies.text and "这只是假设" not in replies.text


def test_a_need_for_care_shorter_than_six_months_is_confirmed_not_taken(bot):
    replies = bot.say("俺娘摔了以后卧床俩月了，肢体一级，有证，在太原，能领护理补贴吗", "short-care")
    assert replies.confirming and replies.asks == ["needs_long_term_care"]
    assert replies.results is None or replies.verdict("care_subsidy") != "eligible"


def test_a_term_compared_with_another_is_explained_not_recorded(bot):
    replies = bot.say("特困供养跟以前的五保户是一回事不", "tekun-term")
    assert "第十六条" in replies.text
    assert "特困供养人员" not in bot.say("我说了什么", "tekun-term").text


def test_a_value_said_in_passing_never_replaces_a_known_one_silently(bot):
    bot.answer("passing", CARE_TAIYUAN, {})
    # another grade inside a question, with no word that corrects: confirmed, not taken
    replies = bot.say("要是他三级肢体，护理补贴去哪办", "passing")
    assert "已改为" not in replies.text
    assert "残疾等级为一级" in bot.say("我说了什么", "passing").text
    # 低保 named as the programme asked about is no household
    bot.answer("passing-dibao", "我在太原，肢体一级，有证，家里不是低保", {"household": "是", "needs_long_term_care": "是", "age": "50", "employed": "没有"})
    replies = bot.say("低保是批下来那个月就有钱，还是从申请那个月算", "passing-dibao")
    assert "已改为" not in replies.text and "是低保家庭" not in replies.text
    # said as a correction, it is taken at once and said back
    assert "好的，已改为：残疾等级为三级" in bot.say("不对，是三级", "passing").text


def test_another_persons_age_is_not_the_persons(bot):
    replies = bot.say("村里帮一户问，老人八十多，儿子一级视力，有证，在太原，能领啥", "elder")
    assert replies.said_back is None or "age" not in replies.said_back
    replies = bot.say("王家老二，二级精神，有证，没工作，跟他爹过，他爹七十五了，在嘉兴海宁", "his-father")
    assert "75岁" not in replies.text


def test_a_range_that_holds_the_known_age_keeps_it(bot):
    bot.answer("range", "我弟智力二级，有证，34岁，没工作，在长治", {"household": "都不是", "needs_long_term_care": "不是"})
    replies = bot.say("俺弟三十好几了，想给他单独弄个低保，要准备啥", "range")
    assert "已改为" not in replies.text
    assert "34岁" in bot.say("我说了什么", "range").text


def test_how_much_in_everyday_words_after_the_verdict_is_the_amount_first(bot):
    bot.answer("how-much", CARE_TAIYUAN, {})
    replies = bot.say("太原这边一级的护理补贴一个月给多钱", "how-much")
    assert replies.texts[0].startswith("重度残疾人护理补贴：") and "122元" in replies.texts[0]


def test_what_long_term_care_means_is_the_clause_not_a_question_back(bot):
    replies = bot.say("护理补贴讲的长期照护，多久算长期？我妈住院才两个月", "long-term")
    assert "6个月以上" in replies.texts[0] and "补贴对象" in replies.text
    assert not replies.asks


def test_child_rehab_away_from_home_names_the_residence_permit(bot):
    replies = bot.say("户口在老家，孩子跟我们在太原住，有居住证，康复救助能在这边申请吗", "rehab-away")
    assert "居住证发放地" in replies.text and "二（三）" in replies.text


def test_a_certificates_term_is_answered_when_asked_in_other_words(bot):
    replies = bot.say("残疾证是不是有年限？我这证是2014年办的", "cert-term")
    assert "有效期十年" in replies.text and "第十九条" in replies.text


def test_a_question_about_privacy_deletes_nothing(bot):
    bot.answer("privacy", CARE_TAIYUAN, {})
    replies = bot.say("你们会保存我的信息吗", "privacy")
    assert "删除我的信息" in replies.text
    assert "残疾等级为一级" in bot.say("我说了什么", "privacy").text


def test_dont_know_is_never_a_no_and_the_verdict_says_who_can_tell(bot):
    replies = bot.say("我在太原，能领生活补贴吗", "unsure")
    assert replies.asks == ["has_certificate"]
    replies = bot.say("不知道", "unsure")
    assert "先跳过" in replies.text and "has_certificate" not in replies.asks
    assert replies.asks == ["household"]  # the next fact, not the same one again
    replies = bot.say("低保户", "unsure")
    assert replies.verdict("living_subsidy") == "need_info"  # not "ineligible": no certificate was said
    assert replies.results[0]["missing"] == ["has_certificate"]
    assert "您说不清楚的：是否持有残疾人证" in replies.text and "县级残联" in replies.text
    replies = bot.say("有残疾证", "unsure")
    assert replies.verdict("living_subsidy") == "eligible"


# --- every programme --------------------------------------------------------------------------------

def test_living_subsidy_for_a_dibao_household(bot):
    replies = bot.answer("living", "我有残疾证，家里是低保户，户口在太原，能领生活补贴吗",
                         {"age": "45岁", "orphan": "不是", "has_certificate": "有", "household": "低保家庭"})
    assert replies.verdict("living_subsidy") == "eligible"


def test_care_subsidy_in_shanghai_reaches_grade_3_intellectual(bot):
    replies = bot.answer("shanghai", "我儿子智力三级，有残疾证，户口在崇明，能领护理补贴吗",
                         {"needs_long_term_care": "是", "household": "都不是"})
    assert replies.verdict("care_subsidy") == "eligible"
    assert replies.results[0]["details"]["amount_yuan_per_month"] == 180  # from 2025-07-01
    assert "180元" in replies.text


def test_gradual_exit_in_shanxi_after_its_plan_ended_answers_from_the_national_rule(bot):
    # Shanxi's fixed 6 months ended with its plan (2025-12-31): today the national 83号 decides (refer,
    # 原则上不超过6个月) and the old rule is told as history, with the rights of the 2026 law
    replies = bot.answer("exit", "我家是低保户，在太原，收入超过低保标准了，渐退期还能有吗",
                         {"exit_cause": "就业", "income_above_line": "是", "months_above_line": "4个月",
                          "household": "低保家庭", "employed": "有"})
    assert replies.verdict("dibao_gradual_exit") == "refer"
    assert replies.results[0]["details"]["months_max"] == 6


def test_child_rehab_aid_for_a_4_year_old_with_autism_without_certificate(bot):
    replies = bot.answer("child", "孩子4岁，有自闭症，没有残疾证，在太原，能领康复救助吗",
                         {"household": "低保家庭", "in_welfare_institution": "不是", "orphan": "不是"})
    assert replies.verdict("child_rehab_aid") == "eligible"
    assert "has_certificate" not in replies.asked


def test_dibao_individual_for_a_low_income_household(bot):
    replies = bot.answer("single", "我肢体二级，有残疾证，家里是低保边缘户，在太原，能单独申请低保吗",
                         {"household": "低保边缘或低收入家庭", "age": "40岁", "employed": "没有"})
    assert replies.verdict("dibao_individual") == "eligible"


def test_what_can_i_get_screens_every_programme(bot):
    replies = bot.say("我能领什么补贴", "all")
    assert len(replies.asks) == 1
    answers = {"region": "太原", "age": "四十", "has_certificate": "有", "disability_category": "肢体",
               "disability_grade": "一级", "autism": "没有", "needs_long_term_care": "是", "household": "低保家庭",
               "in_welfare_institution": "不是", "orphan": "不是", "employed": "没有", "exit_cause": "其他原因",
               "income_above_line": "不是", "months_above_line": "0", "months_employed": "两个月"}
    fact = replies.asks[-1]
    replies = bot.answer("all", answers[fact], answers, limit=15)
    assert {r["program"] for r in replies.results} == {
        "living_subsidy", "care_subsidy", "dibao_gradual_exit", "child_rehab_aid", "dibao_individual"}
    # nobody works and no income rose: 渐退期 was not asked about, and the answer says so
    assert not {"exit_cause", "income_above_line", "months_above_line", "months_employed"} & set(replies.asked)
    assert all(r["verdict"] != "need_info" for r in replies.results if r["program"] != "dibao_gradual_exit")
    assert "没有问：低保渐退期" in replies.text
    assert replies.verdict("living_subsidy") == "eligible"


# --- people's own words (issue 8): each failure seen, as people wrote it ---------------------------------

def test_banli_dibao_names_the_programme_not_the_household(bot):
    replies = bot.say("我们家是低保边缘户，我女儿一级智力残疾，能不能单独给她办低保", "own-dibao")
    while replies.results is None:  # whatever else is needed, in people's words
        replies = bot.say({"has_certificate": "有的", "region": "太原", "age": "二十五",
                           "household": "低保边缘"}.get(replies.asks[-1], "不知道"), "own-dibao")
    assert replies.verdict("dibao_individual") == "eligible"
    assert "是低保家庭" not in replies.text and "是低保边缘或低收入家庭" in replies.text
    review = bot.say("我说了什么", "own-dibao")
    assert "是低保边缘或低收入家庭" in review.text and "是低保家庭" not in review.text


@pytest.mark.parametrize("fact,first,reply,value", [
    ("exit_cause", "我家低保户，在太原，收入超过低保标准了，渐退期能有吗", "自己做小生意", "self_employment"),
    ("exit_cause", "我家低保户，在太原，收入超过低保标准了，渐退期能有吗", "自己干买卖", "self_employment"),
    ("employed", "我在崇明，肢体一级，有证，能领生活补贴吗", "有活干", True),  # 上海's 重残无业
    ("has_certificate", "我在太原，能领生活补贴吗", "证在家里放着呢", True),
    ("needs_long_term_care", "我爸肢体一级，在太原，能领护理补贴吗", "得有人伺候着", True),
    ("household", "我在太原，肢体一级，有证，能领生活补贴吗", "啥也不是", "none"),
])
def test_a_reply_in_ones_own_words_answers_the_question(bot, fact, first, reply, value):
    sender = f"own-{fact}-{reply}"
    replies = bot.say(first, sender)
    for _ in range(4):  # get to the question
        if replies.asks and replies.asks[-1] == fact:
            break
        replies = bot.say({"household": "都不是" if fact == "employed" else "低保户", "income_above_line": "是",
                           "exit_cause": "就业", "employed": "有", "has_certificate": "有"}.get(replies.asks[-1], "不知道"),
                          sender)
    assert replies.asks[-1] == fact
    replies = bot.say(reply, sender)
    assert fact not in replies.asks, replies.texts  # answered: never asked again
    assert "回答不了" not in replies.text and "没听明白" not in replies.text


def test_places_as_people_say_them(bot):
    replies = bot.say("奉化的，肢体二级，有证，能领护理补贴吗", "own-place")
    assert "region" not in replies.asks
    assert "浙江省宁波市奉化区" in bot.say("我说了什么", "own-place").text
    replies = bot.say("溪口镇", "own-town")  # typed alone: a town of eleven counties, one of them 奉化
    assert replies.asks == ["region"] and "溪口镇" in replies.text and "11个" in replies.text  # no guess
    offered = [b["title"] for m in replies for b in m.get("buttons") or []]
    assert "浙江省宁波市奉化区" in offered
    bot.say(str(offered.index("浙江省宁波市奉化区") + 1), "own-town")  # the choice typed as its number
    assert "浙江省宁波市奉化区" in bot.say("我说了什么", "own-town").text
    replies = bot.say("我能领什么补贴", "own-town-reply")
    while replies.asks and replies.asks[-1] != "region":
        replies = bot.say("不知道", "own-town-reply")
    replies = bot.say("奉化溪口镇", "own-town-reply")  # as the answer to 户籍在哪里, pinned by its district
    assert "region" not in replies.asks and "奉化区" in replies.text


def test_programmes_in_peoples_words_set_what_is_asked(bot):
    replies = bot.say("那个护理的钱能领不", "own-care")
    assert replies.asks and replies.asks[-1] in ("disability_grade", "needs_long_term_care", "has_certificate")
    replies = bot.say("护理补贴", "own-bare")  # a bare programme name starts the check
    assert replies.asks and "想知道能领什么补贴" not in replies.text
    replies = bot.answer("own-62", "我62岁，肢体一级，有证，在太原，能领啥", {
        "household": "低保户", "needs_long_term_care": "是", "autism": "没有", "orphan": "不是",
        "in_welfare_institution": "不是"})
    assert not {"employed", "exit_cause", "income_above_line", "months_above_line", "months_employed"} & set(
        replies.asked)


def test_the_answer_comes_first_in_one_short_message(bot):
    replies = bot.answer("own-first", "她是我女儿，25岁，在崇明，智力一级，有证，离不开人照顾，家里低保边缘，她能领什么",
                         {"household": "低保边缘", "orphan": "不是", "autism": "没有",
                          "in_welfare_institution": "不是"})
    back, first = replies.texts[:2]
    assert back.startswith("我记下的：上海市崇明区，智力残疾一级，25岁，持有残疾人证") and len(back) <= 150
    assert len(first) <= 150 and first.startswith("按规定能领：")
    assert "护理补贴" in first and "生活补贴" in first
    applies = [r for r in replies.results if r["verdict"] != "ineligible"]
    # what it rests on, the answer, one message for each that applies, one for the rest
    assert len(replies.texts) <= 3 + len(applies)
    assert sum(len(t) for t in replies.texts) < 1600


def test_no_question_comes_more_than_twice_in_a_row(bot):
    """Every question of a whole screening answered with words that cannot be read: each comes at
    most twice in a row, and the check ends with what it can say."""
    replies = bot.say("我能领什么补贴", "own-gibberish")
    history: list[str] = []
    for _ in range(40):
        if replies.results is not None:
            break
        history += replies.asks
        replies = bot.say("呃这个那个", "own-gibberish")
    assert replies.results is not None, history
    runs = [len(list(g)) for _, g in __import__("itertools").groupby(history)]
    assert max(runs) <= 2, history
    assert all(r["verdict"] in ("need_info", "ineligible", "refer", "eligible") for r in replies.results)


def test_a_question_of_ones_own_after_two_misses_does_not_bring_the_question_a_third_time(bot):
    # blind conversation E028 (round e, 2026-12-08): an answer the bot took for a question of its own, after
    # the question had come twice, was answered, and the question came a third time
    first = bot.say("我爸肢体一级，在太原，能领护理补贴吗", "side-third")
    assert first.asks == ["needs_long_term_care"]
    assert bot.say("呃这个那个", "side-third").asks == ["needs_long_term_care"]
    replies = bot.say("为什么要问这个", "side-third")
    assert replies.texts  # the question of its own is answered
    assert "needs_long_term_care" not in replies.asks


# --- 重新开始, 我说了什么, a restart of the server ---------------------------------------------------------

def test_restart_clears_the_facts(bot):
    bot.say("我爸肢体一级，在太原", "restart")
    assert "山西省太原市" in bot.say("我说了什么", "restart").text
    replies = bot.say("重新开始", "restart")
    assert "重新开始" in replies.text
    assert "还没有告诉我" in bot.say("我说了什么", "restart").text


def test_a_conversation_survives_a_restart_of_the_server(bot, model, action_url, store, loop):
    replies = bot.say("我爸肢体一级，在太原，能领护理补贴吗", "survivor")
    assert replies.asks == ["needs_long_term_care"]
    fresh = Bot(load_agent(model, action_url, store, loop), loop)  # a new server on the same store
    assert "山西省太原市" in fresh.say("我说了什么", "survivor").text
    replies = fresh.say("是", "survivor")
    assert replies.verdict("care_subsidy") == "eligible"


# --- bad values, typed and forced ---------------------------------------------------------------------

def test_a_typed_age_of_200_gets_a_question_back(bot):
    bot.say("孩子有自闭症，在太原，能领康复救助吗", "age200")
    replies = bot.say("孩子200岁", "age200")
    assert "0到120岁" in replies.text and "200岁" in replies.text
    assert replies.asks == ["age"]
    assert "山西省太原市" in bot.say("我说了什么", "age200").text  # the other facts are kept


@pytest.mark.parametrize("forced,fact,words", [
    ('/inform{"age": 200}', "age", "200岁"),
    ('/inform{"disability_grade": 7}', "disability_grade", "7级"),
    ('/ask_eligibility{"disability_grade": "七"}', "disability_grade", "7级"),
])
def test_forced_bad_values_get_a_question_back(bot, forced, fact, words):
    sender = "forced-" + fact + str(len(forced))
    bot.say("我能领什么补贴", sender)
    replies = bot.say(forced, sender)
    assert words in replies.text
    assert replies.asks == [fact]


def test_a_forced_bad_value_with_another_intent_never_reaches_the_engine(bot):
    bot.say('/review{"disability_grade": 9, "age": 300}', "forced-review")
    replies = bot.say("我说了什么", "forced-review")
    assert "9" not in replies.text and "300" not in replies.text


# --- hostile input -------------------------------------------------------------------------------------

HOSTILE = {
    "empty": "",
    "blank": " ",
    "10000 characters": "啊" * 10_000,
    "10000 characters of facts": "我" + "肢体一级" * 2_500,
    "emoji": "😀😀😀",
    "emoji with modifiers": "👍🏽🇨🇳",
    "control characters": "\x00\x07\x1b[2J\u202e",
    "unknown intent": "/no_such_intent",
    "broken forced intent": '/inform{"age": "not json',
    "long forced place": "/inform{\"region\": \"" + "朝" * 300 + "\"}",
    "html": "<script>alert(1)</script>",
    "markdown": "**为什么**",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_gets_a_sensible_plain_reply(bot, text):
    sender = f"hostile-{abs(hash(text))}"
    replies = bot.say(text, sender)
    assert replies.texts, "no reply at all"
    # and the conversation still works afterwards
    assert bot.say("我能领什么补贴", sender).asks


STORY = ("他年轻时在厂里干活，后来身体一年不如一年。家里就我一个孩子，我在外地上班，每个月回去两次。"
         "医院跑了好多趟，钱也花了不少，亲戚们也帮了忙。我妈身体也不好，腰疼了好些年。"
         "村里的干部来看过一次，说可以问问政策。我不太懂这些，网上查了也看不明白。")


def test_a_situation_longer_than_the_nlu_reads_is_read_in_part_and_says_so(bot):
    replies = bot.say("我爸肢体一级，在太原，能领护理补贴吗？" + STORY * 10, "long")
    assert "只读了前1000个字" in replies.text
    assert replies.asks == ["needs_long_term_care"]  # what was read still counts


def test_hostile_input_inside_the_form_never_traps_and_loses_nothing(bot):
    bot.say("我爸肢体一级，在太原，能领护理补贴吗", "hostile-form")
    replies = bot.say("😀", "hostile-form")
    assert replies.asks == ["needs_long_term_care"] and "1 是，2 不是，3 不知道" in replies.text
    replies = bot.say("/inform{\"needs_long_term_care\": 5}", "hostile-form")
    assert "needs_long_term_care" not in replies.asks  # not a third time: skipped, never a no
    assert replies.verdict("care_subsidy") == "need_info" and "先跳过" in replies.text
    replies = bot.say("啊" * 10_000, "hostile-form")
    assert replies.texts
    assert "山西省太原市" in bot.say("我说了什么", "hostile-form").text  # the facts are all still there
    assert bot.say("要人照顾", "hostile-form").verdict("care_subsidy") == "eligible"


# --- what is stored --------------------------------------------------------------------------------------

def test_the_store_keeps_no_typed_words_nor_id_or_phone_numbers(bot, store):
    bot.say("我的电话是13812345678，身份证110101199003071234", "private")
    bot.say("我在太原，电话138 1234 5678", "private")
    bot.say('/inform{"region": "13812345678"}', "private")
    raw = store.read_bytes().decode("utf-8", errors="replace")
    for secret in ("13812345678", "110101199003071234", "138 1234 5678", "我的电话是", "电话138"):
        assert secret not in raw
    with sqlite3.connect(store) as db:
        rows = [json.loads(d) for (d,) in db.execute(
            "select data from events where sender_id = 'private' and type_name = 'user'")]
    assert rows and all(r["text"] == "[redacted]" for r in rows)
    assert all(r["parse_data"]["intent"]["name"] for r in rows)  # the intent is kept


def test_restart_deletes_what_was_said_before(bot, store):
    bot.say("我爸肢体一级，在太原", "forgotten")
    bot.say("重新开始", "forgotten")
    with sqlite3.connect(store) as db:
        types = [t for (t,) in db.execute(
            "select type_name from events where sender_id = 'forgotten' order by id")]
    assert types[0] == "restart" and "user" not in types and "slot" not in types


# --- zhucan chat ------------------------------------------------------------------------------------------

def test_the_terminal_chat_prints_plain_text_only(bot):
    """The loop of `zhucan chat` on the session's agent: greeting, answers, no payloads, 退出 and Ctrl-D."""
    import io

    from bot.channels.chat import talk

    out = io.StringIO()
    bot.loop.run_until_complete(talk(bot.agent, "terminal-test", io.StringIO(
        "我爸肢体一级，在太原，能领护理补贴吗\n\n是\n退出\n我说了什么\n"), out))
    text = out.getvalue()
    assert text.startswith("您好，我是助残问答。")
    assert "是否因为残疾需要长期有人照护" in text and "可以说：是；不是；不知道。" in text  # the button words
    assert "按规定能领：护理补贴" in text and "重度残疾人护理补贴：按规定符合条件" in text
    assert "{" not in text and "results" not in text and "我说了什么" not in text  # stopped at 退出
    out = io.StringIO()
    bot.loop.run_until_complete(talk(bot.agent, "terminal-test", io.StringIO("我说了什么\n"), out))  # then EOF
    assert "上次说的情况我还记着" in out.getvalue() and "山西省太原市" in out.getvalue()
    out = io.StringIO()
    bot.loop.run_until_complete(talk(bot.agent, "terminal-test", io.StringIO("删除我的信息\n"), out))
    assert "已经删除" in out.getvalue()
    assert bot.loop.run_until_complete(bot.agent.tracker_store.retrieve("terminal-test")) is None
    out = io.StringIO()
    bot.loop.run_until_complete(talk(bot.agent, "terminal-test", io.StringIO("我说了什么\n"), out))
    assert "上次说的情况我还记着" not in out.getvalue() and "山西省太原市" not in out.getvalue()


# --- zhucan serve ------------------------------------------------------------------------------------------

def test_serve_answers_over_rest_and_forgets(model, tmp_path):
    """`zhucan serve` with the project's credentials: REST replies with the payloads, then forget."""
    action_port, port = free_port(), free_port()
    endpoints = sqlite_endpoints(tmp_path, f"http://{HOST}:{action_port}/webhook")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
                             "--endpoints", str(endpoints)], cwd=ROOT, env=env, stdout=log, stderr=log)
    start = time.monotonic()
    try:
        wait_until_up(f"http://{HOST}:{port}/", proc, timeout=180)
        FIGURES["serve_up_s"] = round(time.monotonic() - start, 1)

        def post(path: str, body: dict):
            request = urllib.request.Request(f"http://{HOST}:{port}{path}", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())

        replies = post("/webhooks/rest/webhook", {"sender": "rest", "message": "我爸肢体一级，在太原，能领护理补贴吗"})
        assert {"custom": {"ask": "needs_long_term_care"}, "recipient_id": "rest"} in replies
        replies = post("/webhooks/rest/webhook", {"sender": "rest", "message": "是"})
        results = [r["custom"]["results"] for r in replies if "results" in r.get("custom", {})]
        assert results and results[0][0]["verdict"] == "eligible"
        # what the answer rests on, said back first: its words, then (REST sends a payload on its own) its values
        assert replies[0]["text"].startswith("我记下的：山西省太原市，肢体残疾一级")
        assert replies[1]["custom"]["said_back"]["disability_grade"] == 1
        # a correction after the verdict decides again at once, and is said back
        replies = post("/webhooks/rest/webhook", {"sender": "rest", "message": "我记岔了，是三级的"})
        assert replies[0]["text"] == "好的，已改为：残疾等级为三级。"
        assert [r["custom"]["said_back"]["disability_grade"] for r in replies if "said_back" in r.get("custom", {})] == [3]
        results = [r["custom"]["results"] for r in replies if "results" in r.get("custom", {})]
        assert results and results[0][0]["verdict"] == "refer"
        # a reply the rules cannot read is confirmed with what the learned reader proposes
        replies = post("/webhooks/rest/webhook", {"sender": "rest-2", "message": "我在太原，能领生活补贴吗"})
        replies = post("/webhooks/rest/webhook", {"sender": "rest-2", "message": "本本早就领回来了"})
        assert {"custom": {"ask": "has_certificate", "confirm": True}, "recipient_id": "rest-2"} in replies
        assert post("/webhooks/zhucan/forget", {"sender": "rest"}) == {"forgotten": True}
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    assert proc.returncode is not None


def test_a_note_about_children_is_not_said_of_a_parent(bot):
    # the 上饶 page on orphans is said "in case" when the age is not known, but never of a father
    replies = bot.answer("parent-note", "俺爹瘫在床上，一级肢体，在奉化，啥补贴能领？", {"household": "低保"})
    assert replies.verdict("living_subsidy") == "eligible" and "孤儿" not in replies.text


def test_a_story_that_asks_what_to_bring_gets_the_verdict_then_the_list(bot):
    replies = bot.answer("story-bring", "我妈二级视力，有证，低保户，在太原，要人照顾，护理补贴要带什么材料", {})
    assert replies.verdict("care_subsidy") == "eligible"
    end = next(i for i, m in enumerate(replies) if "results" in (m.get("custom") or {}))
    after = [m["text"] for m in replies[end + 1:] if m.get("text")]
    assert any("依据" in t or "没有写" in t for t in after), after  # the question, answered after the verdict
    # asked again with nothing new: the answer comes first, the verdict is only said to be unchanged
    again = bot.say("我妈二级视力，低保户，护理补贴要带什么材料", "story-bring")
    assert not again.asks and "结论和刚才一样" in again.text
    assert "结论和刚才一样" not in again.texts[0]


def test_what_a_word_means_comes_before_the_question_it_bears_on(bot):
    # the care need read from the story is confirmed; the meaning asked with it is answered first
    bot.answer("meaning-first", "俺娘肢体一级，有证，在长治潞州区，能领护理补贴吗",
               {"needs_long_term_care": "不知道", "household": "不知道", "age": "70"})
    replies = bot.say("护理补贴上说要长期照护，多长时间才叫长期啊，俺娘摔了以后卧床仨月了", "meaning-first")
    assert "6个月以上" in replies.texts[0] and "补贴对象" in replies.text
    assert replies.asks == ["needs_long_term_care"]


def test_how_much_and_whether_both_are_answered_together(bot):
    bot.answer("both", "崇明，我妈肢体一级，有证，70岁，低保户，卧床要人照顾", {})
    replies = bot.say("崇明一级的护理补贴一个月到底几钿 阿拉姆妈低保户 两样能一起拿伐", "both")
    assert replies.texts[0].startswith("重度残疾人护理补贴：") and "原文" in replies.text
    assert "可同时申领" in replies.text


def test_doubting_what_the_office_said_gets_the_reasons_and_their_words(bot):
    bot.answer("doubt", "崇明，我儿子26岁，智力三级，有证，能领护理补贴吗", {"needs_long_term_care": "不知道"})
    replies = bot.say("窗口讲只有一级二级才有护理补贴，三级没的，真的假的", "doubt")
    assert "三级智力、三级精神残疾人护理补贴标准" in replies.text and "沪民残福发〔2025〕5号" in replies.text


def test_a_question_that_names_nothing_kept_is_not_about_privacy(bot):
    bot.answer("not-privacy", "保定，我肢体二级，有证，低保户，40岁", {"needs_long_term_care": "不是"})
    replies = bot.say("俺们保定这生活补贴一个月给多少钱？我看网上说上海四百多，俺们这也一样不", "not-privacy")
    assert "删除我的信息" not in replies.text and "元" in replies.text


def test_a_summary_asked_in_other_words_is_the_summary(bot):
    bot.answer("summary-words", CARE_TAIYUAN, {})
    replies = bot.say("帮我写一段话发给村支书，就说我爸能申请护理补贴，让他帮着往上报，写短点", "summary-words")
    assert "可以直接转发" in replies.text and "没有找到答案" not in replies.text
