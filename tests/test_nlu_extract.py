"""The NLU's rules without Rasa: normalisation, entity extraction, the spaCy pipeline they run on."""
import re
from datetime import date
import subprocess
import sys
from pathlib import Path

import pytest

from bot.nlu.extract import extract
from bot.nlu.normalise import find_repairs, normalise_text
from bot.nlu.understand import understand

ROOT = Path(__file__).resolve().parents[1]
WHOLE = "我爸在太原，肢体一级，瘫在床上要人照顾，能领护理补贴吗"


def found(text, nlp=None):
    """{(entity, value)} and the words each entity covers."""
    return {(e["entity"], e["value"]) for e in extract(text, nlp)}


def spans(text):
    return [(e["entity"], text[e["start"]:e["end"]], e["value"]) for e in extract(text)]


# --- a whole situation in one message -----------------------------------------------------------

def test_whole_situation():
    got = found(WHOLE)
    assert {("region", "140100"), ("disability_category", "physical"), ("disability_grade", "1"),
            ("needs_long_term_care", "true"), ("program", "care_subsidy"), ("subject", "father")} <= got
    assert {e for e, _ in got} <= {"region", "disability_category", "disability_grade", "needs_long_term_care",
                                    "program", "subject"}


def test_positions_are_in_the_text_as_typed():
    text = "我爸爸肢體一級，在太原"  # traditional characters: same length after normalisation
    assert ("region", "太原", "140100") in spans(text)
    assert ("disability_category", "肢體", "physical") in spans(text)
    assert ("disability_grade", "一級", "1") in spans(text)
    assert ("subject", "我爸爸", "father") in spans(text)


@pytest.mark.parametrize("text,expected", [
    ("我儿子今年12岁，智力二级，家里吃低保", {("subject", "son"), ("age", "12"), ("disability_category", "intellectual"),
                                   ("disability_grade", "2"), ("household", "dibao")}),
    ("俺娘看不见，办了证，一级的，户口在吕梁", {("subject", "mother"), ("disability_category", "vision"),
                                   ("has_certificate", "true"), ("disability_grade", "1"), ("region", "141100")}),
    ("孩子五岁，自闭症，在福利院，是孤儿", {("subject", "child"), ("age", "5"), ("autism", "true"),
                                 ("in_welfare_institution", "true"), ("orphan", "true")}),
    ("家里领低保，收入超过低保标准两个月了，因为找到工作了",
     {("household", "dibao"), ("income_above_line", "true"), ("months_above_line", "2"),
      ("exit_cause", "employment"), ("employed", "true")}),
    # working, with nothing said of the household's income: not why that income rose
    ("低保户，我上班三个月了，在哈尔滨呼兰", {("household", "dibao"), ("employed", "true"),
                                  ("months_employed", "3"), ("region", "230111")}),
    ("我开店以后收入超标了", {("exit_cause", "self_employment"), ("employed", "true"), ("income_above_line", "true")}),
    ("两项补贴能领吗", {("program", "living_subsidy+care_subsidy")}),
    ("残疾儿童康复救助怎么申请", {("program", "child_rehab_aid")}),
    ("我能单独申请低保吗", {("program", "dibao_individual")}),
    ("渐退期还有几个月", {("program", "dibao_gradual_exit")}),
])
def test_situations(text, expected):
    assert found(text) == expected


# --- numbers in any form ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,entity,value", [
    ("4岁", "age", "4"), ("四岁", "age", "4"), ("4 岁", "age", "4"), ("４岁", "age", "4"), ("４ 岁", "age", "4"),
    ("四周岁", "age", "4"), ("十七岁", "age", "17"), ("一百二十岁", "age", "120"), ("七十多岁", "age", "71~79"), ("十几岁", "age", "11~19"),
    ("孩子五岁半", "age", "5"), ("今年五十二", "age", "52"), ("孩子八个月大", "age", "0"),
    ("二级", "disability_grade", "2"), ("2级", "disability_grade", "2"), ("一级", "disability_grade", "1"),
    ("二级残疾", "disability_grade", "2"), ("残疾三级", "disability_grade", "3"), ("２级", "disability_grade", "2"),
    ("二級", "disability_grade", "2"), ("等级是2", "disability_grade", "2"), ("grade 1", "disability_grade", "1"),
    ("Level 3", "disability_grade", "3"), ("两个月", "months", "2"), ("十一个月", "months", "11"),
    ("三个多月", "months", "3"), ("收入超过低保标准两个月了", "months_above_line", "2"),
    ("超标半年了", "months_above_line", "6"), ("上班三个月了", "months_employed", "3"),
    ("打工一年半了", "months_employed", "18"), ("工作两年了", "months_employed", "24"),
    ("56", "number", "56"), ("五", "number", "5"), ("5 years old", "age", "5"),
])
def test_numbers(text, entity, value):
    assert (entity, value) in found(text), spans(text)


@pytest.mark.parametrize("text,entity,value", [
    ("200岁", "age", "200"), ("七级", "disability_grade", "7"), ("0级", "disability_grade", "0"),
    ("九百个月", "months", "900"),
])
def test_values_out_of_range_are_extracted_for_the_actions_to_reject(text, entity, value):
    assert (entity, value) in found(text)


@pytest.mark.parametrize("text", ["三年级", "2020年", "我想问一下", "3月份", "第一次来", "一级市场", "二级医院", "三级甲等", "高一级"])
def test_numbers_that_are_not_facts(text):
    assert not {e for e, _ in found(text)} & {"age", "disability_grade", "months", "months_above_line",
                                              "months_employed", "number"}, spans(text)


# --- negation, yes/no phrases, questions ------------------------------------------------------------

@pytest.mark.parametrize("text,entity,value", [
    ("没有残疾证", "has_certificate", "false"), ("没证", "has_certificate", "false"),
    ("还没办证", "has_certificate", "false"), ("残疾证还没办下来", "has_certificate", "false"),
    ("残疾证正在办", "has_certificate", "false"), ("无证", "has_certificate", "false"),
    ("不需要人照顾", "needs_long_term_care", "false"), ("不用人照顾", "needs_long_term_care", "false"),
    ("生活能自理", "needs_long_term_care", "false"), ("不需要护理", "needs_long_term_care", "false"),
    ("不是低保", "household", "none"), ("没有低保", "household", "none"), ("没吃低保", "household", "none"),
    # "不是特困" says only what the household is not: no value (tested in test_term_inside_a_phrase)
    ("没上班", "employed", "false"), ("没有工作", "employed", "false"),
    ("无业", "employed", "false"), ("失业在家", "employed", "false"), ("不是自闭症", "autism", "false"),
    ("不在福利院", "in_welfare_institution", "false"), ("不是孤儿", "orphan", "false"),
    ("收入没超过低保标准", "income_above_line", "false"), ("收入低于低保标准", "income_above_line", "false"),
    ("no certificate", "has_certificate", "false"),
])
def test_negation(text, entity, value):
    got = {(e, v) for e, v in found(text) if e == entity}
    assert got == {(entity, value)}, spans(text)


@pytest.mark.parametrize("text,entity,value", [
    ("办了证", "has_certificate", "true"), ("有证", "has_certificate", "true"), ("有残疾证", "has_certificate", "true"),
    ("残疾证早就办了", "has_certificate", "true"), ("持证", "has_certificate", "true"),
    ("瘫在床上", "needs_long_term_care", "true"), ("要人照顾", "needs_long_term_care", "true"),
    ("离不开人", "needs_long_term_care", "true"), ("生活不能自理", "needs_long_term_care", "true"),
    ("孤独症", "autism", "true"), ("自闭症", "autism", "true"), ("福利院", "in_welfare_institution", "true"),
    ("孤儿", "orphan", "true"), ("在上班", "employed", "true"), ("吃低保", "household", "dibao"),
    ("低保边缘户", "household", "low_income"), ("五保户", "household", "tekun"), ("普通家庭", "household", "none"),
    ("收入超过了低保标准", "income_above_line", "true"),
])
def test_yes_phrases(text, entity, value):
    assert (entity, value) in found(text), spans(text)


@pytest.mark.parametrize("text,entity", [
    ("有没有残疾证", "has_certificate"), ("是不是低保", "household"), ("需不需要人照顾", "needs_long_term_care"),
    ("怎么办残疾证", "has_certificate"), ("还能领低保吗", "household"),
])
def test_questions_settle_nothing(text, entity):
    assert entity not in {e for e, _ in found(text)}, spans(text)


def test_a_later_correction_comes_last():
    # a non-list slot takes the last value Rasa extracted
    ents = [e for e in extract("不是低保，是低保边缘") if e["entity"] == "household"]
    assert [e["value"] for e in ents] == ["none", "low_income"]


def test_negated_span_takes_in_the_negation():
    assert spans("我爸没有残疾证") == [("subject", "我爸", "father"), ("has_certificate", "没有残疾证", "false")]


# --- places ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("太原", "140100"), ("在太原", "140100"), ("山西太原", "140100"), ("宁波奉化", "330213"), ("崇明区", "310151"),
    ("户口在呼兰", "230111"), ("上海崇明", "310151"), ("住朝阳", "朝阳"), ("Taiyuan", "140100"),
    ("in Chongming", "310151"),
])
def test_places(text, value):
    assert ("region", value) in found(text)


def test_a_place_that_is_denied_is_not_taken():
    assert found("在大同，不是太原") >= {("region", "140200")}
    assert ("region", "140100") not in found("在大同不是太原")


def test_an_ordinary_word_is_not_a_place():
    assert not {e for e, _ in found("家里不富裕")} & {"region"}


# --- typos, traditional characters, full width, mixed English ---------------------------------------

@pytest.mark.parametrize("typed,meant", [
    ("崇名", "崇明"), ("我在崇名", "我在崇明"), ("住太源", "住太原"), ("山西太源", "山西太原"), ("他是太源人", "他是太原人"),
    ("崇名区", "崇明区"), ("户口在奉话", "户口在奉化"), ("护理补帖能领吗", "护理补贴能领吗"), ("生活补帖", "生活补贴"),
    ("我爸爸肢體一級，在太原", "我爸爸肢体一级，在太原"), ("孩子４岁", "孩子4岁"), ("ＧＲＡＤＥ　１", "GRADE 1"),
])
def test_normaliser_repairs(typed, meant):
    assert normalise_text(typed) == meant


@pytest.mark.parametrize("text,entity,value", [
    ("我爸在太源，肢体一级", "region", "140100"), ("户口在崇名", "region", "310151"),
    ("护理补帖能领吗", "program", "care_subsidy"), ("能領護理補貼嗎", "program", "care_subsidy"),
    ("我媽視力二級", "disability_category", "vision"), ("孤獨症", "autism", "true"),
    ("我爸 grade 1 physical disability", "disability_category", "physical"),
    ("我爸 grade 1 physical disability", "disability_grade", "1"), ("我妈是blind", "disability_category", "vision"),
    ("孩子autism", "autism", "true"), ("my dad is paralyzed", "disability_category", "physical"),
    ("有certificate，dibao家庭", "household", "dibao"), ("我可以领care subsidy吗", "program", "care_subsidy"),
])
def test_typos_traditional_and_english_reach_the_same_values(text, entity, value):
    assert (entity, value) in found(text), spans(text)


ORDINARY = [
    "离家太远了", "我在太远的地方上班", "我把钱给他了", "今天天气不错", "名字叫明明", "我想问一下低保的事",
    "你好，请问在吗", "谢谢你的帮助", "我明天再来问", "这个补贴怎么算的", "我们家就在城里住", "他是好人",
    "我去医院看病了", "孩子上学的事情", "明白了，谢谢", "我妈身体还行", "你说的我没听懂", "为什么不能领",
    "我说了什么", "重新开始", "再见", "帮我看看", "时间过得真快", "他在外地打工", "我爸年纪大了",
    "请问怎么申请", "没有别的了", "就是这些情况", "麻烦你了", "好的，知道了", "我在家带孩子",
    "她是我妈妈", "老人家腿脚不灵便", "钱不够花", "去哪里办理", "社区让我来问的", "我有点担心",
    "能不能快一点", "我们村里的人都说能领", "村委会不给办", "明天去民政局", "你们的电话是多少",
]


@pytest.mark.parametrize("sentence", ORDINARY)
def test_ordinary_sentences_are_not_changed(sentence):
    assert normalise_text(sentence) == sentence


def test_source_documents_are_not_changed():
    """Nearly two thousand sentences of plain Chinese prose: no repair fires."""
    changed = []
    for path in sorted((ROOT / "knowledge" / "sources").glob("*.md")):
        for sentence in re.split(r"[。\n！？]", path.read_text(encoding="utf-8")):
            if sentence.strip() and find_repairs(sentence):
                changed.append((path.name, sentence[:40], find_repairs(sentence)))
    assert not changed


@pytest.mark.parametrize("text", ["", "   ", "\x00", "😀😀", "a" * 5000, "一" * 5000, "<b>太原</b>",
                                  "/inform{\"age\": 200}"])
def test_hostile_text(text):
    assert len(normalise_text(text)) == len(text)
    extract(text)  # no exception


# --- the spaCy pipeline ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nlp():
    import bot.nlp

    return bot.nlp.load()


def test_spacy_pipeline_loads_in_a_fresh_process():
    from bot.plumbing.build import ensure_spacy

    path = ensure_spacy()
    code = ("import spacy; nlp = spacy.load(%r); d = nlp('我爸在太原肢体一级'); "
            "print('|'.join(t.text for t in d)); print('|'.join(e.label_ + '=' + e.ent_id_ for e in d.ents))"
            % str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True,
                         env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}).stdout.splitlines()
    tokens = out[-2].split("|")
    assert "太原" in tokens and "肢体" in tokens
    assert "region=140100" in out[-1] and "disability_category=physical" in out[-1]


TEMPLATES = ["我在{}", "{}能领吗", "我家{}，能领吗？", "俺娘是{}", "不是{}"]


def test_every_lexicon_term_stays_whole_in_the_spacy_pipeline(nlp):
    from knowledge.lexicon import lexicon

    broken = []
    for term in sorted({t for t, _, _ in lexicon().entries()}):
        for template in TEMPLATES:
            doc = nlp(template.format(term))
            if term.lower() not in [t.lower_ for t in doc]:
                broken.append((template.format(term), [t.text for t in doc]))
    assert not broken


def test_entity_ruler_gives_canonical_ids(nlp):
    doc = nlp("我爸在太原肢体一级，吃低保，能领两项补贴吗")
    ents = {(e.text, e.label_, e.ent_id_) for e in doc.ents}
    assert {("太原", "region", "140100"), ("肢体", "disability_category", "physical"),
            ("一级", "disability_grade", "1"), ("吃低保", "household", "dibao"),
            ("两项补贴", "program", "living_subsidy+care_subsidy"), ("我爸", "subject", "father")} <= ents


def _examples(path):
    from rasa.shared.nlu.training_data.loading import load_data

    return [ex.get("text") for ex in load_data(str(path)).training_examples]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_spacy_and_plain_paths_agree(nlp):
    """extract(text, nlp) (entity ruler) and extract(text) (the same match in Python) give the same."""
    texts = _examples(ROOT / "bot" / "data" / "nlu.yml") + _examples(ROOT / "tests" / "nlu" / "heldout.yml")
    differ = [t for t in texts if extract(t, nlp) != extract(t)]
    assert not differ


def test_ensure_spacy_rebuilds_only_when_its_inputs_change():
    import time

    import bot.plumbing.build as build

    inputs = {str(p.relative_to(ROOT)) for p in build._files(build.SPACY_INPUTS)}
    assert {"knowledge/lexicon.yaml", "knowledge/gazetteer.py", "knowledge/places.yaml", "knowledge/segment.py",
            "bot/nlp/tokenizer.py", "bot/nlp/build_spacy.py", "knowledge/facts.yaml"} <= inputs
    path = build.ensure_spacy()
    assert build.SPACY_STAMP.read_text(encoding="utf-8").strip() == build.spacy_fingerprint()
    start = time.monotonic()
    assert build.ensure_spacy() == path
    assert time.monotonic() - start < 1.0  # up to date: nothing rebuilt


def test_a_person_named_after_another_time_is_said_of_now():
    # voice input runs on: 以前 reaches 低保户, not the daughter named after it
    r = understand("我们家以前是低保户我女儿听力三级")
    assert r.facts.get("disability_category") == "hearing" and "household" not in r.facts
    assert "household" not in understand("以前我女儿是低保户").facts


def test_a_job_someone_had_is_not_another_person():
    r = understand("我爸年轻时候是村里的赤脚医生后来得了阿尔茨海默现在七十六岁要人二十四小时看着")
    assert r.facts.get("age") == 76 and r.facts.get("needs_long_term_care") is True


def test_a_number_denied_is_not_the_value():
    assert understand("刚才说错了，不是九岁，是七岁", asking="age").facts == {"age": 7}
    assert "age" not in understand("九岁还是七岁", asking="age").facts


def test_shorthand_with_its_certificate_word():
    r = understand("崇明堡镇 听残二 67")
    assert r.facts.get("disability_category") == "hearing" and r.facts.get("disability_grade") == 2
    assert "disability_grade" not in understand("电视二台").facts


def test_care_given_to_someone_named_is_theirs():
    r = understand("我今年五十五，伺候我那脑瘫儿子快三十年了，江苏睢宁的")
    assert "age" not in r.facts  # the mother's age, not the son's


def test_a_job_said_far_from_its_person_when_others_are_named_is_confirmed():
    r = understand("我儿子智力二级有证，孩子他爸常年在外，儿子今年二十了，平时在家帮着干点杂事，有时候去镇上的厂里上班")
    assert "employed" not in r.facts and r.confirm.get("employed") is True
    assert understand("我儿子智力二级有证，在镇上的厂里上班").facts.get("employed") is True


def test_dibao_that_a_story_later_says_was_taken_away_is_confirmed():
    r = understand("我自幼肢体残疾，2022年才给我办理了低保，今年又被取消了，也没人通知我")
    assert "household" not in r.facts and r.confirm.get("household") == "dibao"
    assert understand("我家是低保户，孩子智力二级").facts.get("household") == "dibao"


def test_what_an_office_told_the_writer_is_confirmed():
    r = understand("过了几天政府给我打电话说我个人人均年收入超标了，我就纳闷这是谁的收入")
    assert "income_above_line" not in r.facts and r.confirm.get("income_above_line") is True


def test_who_the_message_says_it_asks_about():
    r = understand("我老公有残疾证，听力的。今天想问问我们家孩子，三岁半了还不太会说话")
    assert "has_certificate" not in r.facts and "disability_category" not in r.facts
    r = understand("我女儿二十九，外孙女三岁，残疾的是外孙女", asking="age")
    assert r.facts.get("age") == 3


def test_a_reply_about_them_beside_someone_elses():
    assert understand("他没有，有证的是他哥", asking="has_certificate").facts == {"has_certificate": False}
    assert "has_certificate" not in understand("残疾证？那个没有", asking="has_certificate").facts


def test_ages_said_in_other_ways():
    assert understand("实岁十二，虚岁十三", asking="age").facts == {"age": 12}
    assert understand("我自个儿是二级视力残疾，今年六十有二").facts.get("age") == 62
    assert "age" not in understand("我家孩子读大三了，学校说残疾学生有补助").facts


def test_a_reply_that_begins_by_not_knowing_is_confirmed():
    r = understand("说不好，他在外面打工好几年没回来了，现在干啥不知道", asking="employed")
    assert "employed" not in r.facts


def test_a_household_that_left_dibao_is_not_a_dibao_household():
    r = understand("我们家去年年底退了低保，结果我那份残疾人生活补贴也跟着停了")
    assert "household" not in r.facts and r.confirm.get("household") != "dibao"
    assert understand("不是，现在啥都不是了，去年退了低保", asking="household").facts == {"household": "none"}


def test_he_is_never_the_speaker_and_someone_together():
    r = understand("俺家老头子前年中风了，一直躺炕上，肢体二级，家里就俺俩，没吃低保，他今年七十一了，能领点啥")
    assert r.facts.get("age") == 71


def test_an_age_that_describes_the_person_after_it_is_theirs():
    """"80多岁的老头": the age of the old man named right after it, not of the writer named before."""
    r = understand("我叫李秀兰，今年63岁，我自幼肢体残疾。让80多岁的老头去镇上找民政")
    assert r.facts.get("age") == 63
    r = understand("俺娘七十了，家里还有个五十多岁的傻儿子，智力二级")
    assert r.facts.get("age") in range(51, 60) or r.inexact.get("age") == (51, 59)


def test_a_disability_subsidy_once_received_suggests_a_certificate():
    """Paid to certificate holders: a subsidy received, now or before, suggests one, to be confirmed."""
    r = understand("以前政府每月给100元的贫困残疾补助，为什么后面就给取消了")
    assert r.confirm.get("has_certificate") is True and "has_certificate" not in r.facts
    for text in ("以前没领过残疾补贴", "如果领了护理补贴还能领低保吗", "我爸能领护理补贴吗"):
        r = understand(text)
        assert "has_certificate" not in r.facts and "has_certificate" not in r.confirm, text


@pytest.mark.parametrize("text, asked, fact, value", [
    ("下礼拜过八岁生日", "age", "age", 7),  # the birthday still to come (as of 2026-12-07)
    ("我今年五十二 他比我小三岁", "age", "age", 49),
    ("阿拉姆妈今年九十 二级肢残 屋里厢勿是低保", None, "household", None),  # 吴语 勿是 denies
    ("正在给孩子办残疾证，材料都交上去了", None, "has_certificate", False),
    ("每个月卡上打过来三百多块的低保金", "household", "household", "dibao"),
])
def test_everyday_words_found_in_a_blind_set(text, asked, fact, value):
    r = understand(text, asking=asked, as_of=date(2026, 12, 7))
    assert r.facts.get(fact) == value, (text, r.facts, r.confirm)


def test_whose_facts_in_a_family_story():
    # two disabled people, which one the talk goes on about is not said: confirmed, not taken
    r = understand("我爸肢体三级 我弟弟智力二级 两个人都有证 想问他俩分别能拿啥")
    assert "disability_category" not in r.facts and "disability_grade" not in r.facts
    # the speaker says it is about themself, after naming a son
    r = understand("我儿子今年三十 在上海打工 是我自己股骨头坏死拄拐好几年了 今年六十一")
    assert r.facts.get("age") == 61 and "employed" not in r.facts
    # 额 is the speaker; "额爸" the father; "几级额不清楚" only says what the speaker knows
    r = understand("额爸六十四 砸断了腰 有残疾证 几级额不清楚 这几年一直躺着要人翻身擦洗 额在县城跑滴滴养家")
    assert r.facts.get("age") == 64 and "employed" not in r.facts and "employed" not in r.confirm
    # "不是我自己的儿子": not the speaker
    r = understand("不是我自己的儿子是我大姑姐家的那个孩子他是智力残疾然后今年十三了")
    assert r.facts.get("age") == 13


def test_a_space_after_a_place_ending_is_not_inside_a_word():
    """"王江泾镇 康复训练": 镇康 is a county's name, but a town's name ends at 镇."""
    assert understand("嘉兴秀洲区王江泾镇 康复训练能报销吗").facts.get("region") == "330411"
    assert "child_rehab_aid" in understand("嘉兴秀洲区王江泾镇 康复训练能报销吗").programs


def test_numbers_said_between_pauses():
    # a round number, then a grade of its own: two numbers, not 九十二级
    r = understand("阿拉姆妈今年九十 二级肢残")
    assert r.facts.get("age") == 90 and r.facts.get("disability_grade") == 2
    # a number alone between pauses in a story about someone: their age, to confirm
    r = understand("俺媳妇得了抑郁症 一直在家躺着 三十一 俺们是河南商丘睢县的")
    assert r.confirm.get("age") == 31 and "age" not in r.facts


def test_later_in_a_story_is_now():
    r = understand("小时候在福利院待过两年 后来我们抱回来自己养了", asking="in_welfare_institution")
    assert r.facts.get("in_welfare_institution") is False
    # the 户口 said to be elsewhere than the place named: that place is confirmed
    r = understand("我们是大同浑源县的 我小姑子三十二 聋哑人 她户口还在娘家没迁")
    assert "region" not in r.facts and r.confirm.get("region") == "140225"
    # the 户口 named but tied to no place said: the place where they live is confirmed
    r = understand("不晓得户口落在哪里 反正一直跟我在嘉兴住", asking="region")
    assert "region" not in r.facts and r.confirm.get("region") == "330400"
    # …unless the 户口 is said to be there, or only its kind is said
    assert understand("我们是奉化的，户口也在这边").facts.get("region") == "330213"
    assert understand("奉化的 农村户口 肢体二级").facts.get("region") == "330213"
    assert understand("奉化的，户口本带着").facts.get("region") == "330213"


@pytest.mark.parametrize("text,code", [
    ("儿子户口在澉浦 现在跟我们住在海宁市区 他是精神残疾", "330424"),  # a town's short name after 户口在
    ("哈尔滨的 呼兰那疙瘩 哪个街道记不清了", "230111"),  # a short name inside a city the message names
    ("嘉兴的 我在海盐", "330424"),
])
def test_the_place_of_the_hukou_and_short_names_inside_a_named_city(text, code):
    assert understand(text).facts.get("region") == code


@pytest.mark.parametrize("text,fact,value", [
    ("户口在方台 肢体一级", "region", "110106"),  # 方台镇 of 呼兰, or 丰台 mistyped: asked
    ("住太源", "region", "140100"), ("家里是低保边源户", "household", "low_income"),
])
def test_a_value_read_from_a_repaired_typo_is_confirmed(text, fact, value):
    r = understand(text)
    assert fact not in r.facts and r.confirm.get(fact) == value


def test_who_a_certificate_is_done_for_and_who_only_asks():
    # the one a certificate is applied for, named inside the words, is whose it is
    r = understand("我想着给我妈办个残疾证，看乡上有啥补贴没有")
    assert r.confirm.get("has_certificate") is False or r.facts.get("has_certificate") is False
    # "他想知道": who asks, not whose the facts are
    r = understand("他90岁的老母亲从高处摔伤，造成瘫痪，他想知道能不能申请领取残疾证")
    assert r.facts.get("age") == 90 and r.confirm.get("has_certificate") is False


@pytest.mark.parametrize("text", ["还没有 disability certificate", "my dad has no disability certificate",
                                  "我妈 stroke 之后 bedridden，还没有 certificate"])
def test_a_negation_before_english_words_denies_them(text):
    r = understand(text)
    assert r.facts.get("has_certificate", r.confirm.get("has_certificate")) is False, (text, r.facts, r.confirm)


@pytest.mark.parametrize("text", [
    "本市实施的困难残疾人生活补贴制度,其中有一条是低收入对象每月增加200元",  # real message (dev), a group of people
    "低收入人群有什么补贴", "收入多少算低保户", "这收入指的是多少为低收入?",
])
def test_a_group_of_people_or_what_a_term_means_is_nobodys_household(text):
    r = understand(text)
    assert "household" not in r.facts, r.facts


def test_someone_said_to_be_of_a_group_is_of_it():
    assert understand("我是低保对象").facts.get("household") == "dibao"
    assert understand("他家属于低收入人群 肢体二级").facts.get("household") == "low_income"
    assert understand("低保对象", asking="household").facts.get("household") == "dibao"  # the reply itself


LONG_LETTER = ("我90岁了,不记得该怎么申请鉴定了,自己身体也不好走动不方便。我老婆今年83岁,后来情况越来越严重,吃饭完全靠喂,"
               "大小便根本不知道什么时候会拉,话也不会讲了。儿子50多岁还没退休,有两个孩子,小的今年刚上小学,女儿一家在滨江。")


def test_a_place_named_in_passing_in_a_long_story_is_confirmed():
    # real message s007 (dev), cut: the daughter's family lives in 滨江; where the writer's 户口 is, is not said
    r = understand(LONG_LETTER)
    assert "region" not in r.facts and r.confirm.get("region") == "330108"
    # a place in an office's name: where something was done, maybe in another county
    r = understand("我叫唐喜爱,家里孩子2012年出生,1周岁时还不会开口说话,跟他交流时也没有什么反应,后来去了好几个医院,结果都一样。"
                   "2015年6月23日,在安庆市残联康复中心筛选合格后,我们接到省立医院可以免费手术的通知。")
    assert "region" not in r.facts
    # the words say where they live: taken, however long the story
    r = understand("尊敬的区领导：您好！我是崇明区竖新镇居民，家中三口人，一直享受最低生活保障。我本人今年三十九岁，是持证的"
                   "肢体四级残疾人，左手因工伤缺了两根手指。今年七月份，我到一家农业合作社做仓库管理员。")
    assert r.facts.get("region") == "310151"
    assert understand("女儿一家在滨江").facts.get("region") == "330108"  # a short message: nothing else to be


@pytest.mark.parametrize("text,fact", [
    ("去年村上说我有工作收入了，低保要退，给了我半年的渐退期", "months_above_line"),  # the period's length
    ("家里本来是低保，去年我开店收入高了，低保就取消了", "household"),  # what it was
    ("坚持做康复训练在他们长大后能基本生活自理", "needs_long_term_care"),  # what is hoped for
])
def test_a_period_granted_a_former_state_and_a_hope_state_nothing_now(text, fact):
    assert fact not in understand(text).facts


@pytest.mark.parametrize("text,asked,fact,value", [
    ("他没有 我在厂里上班", "employed", "employed", False),  # the speaker's own job said after the answer
    ("孩子没有 我自己有一个 我是肢体四级", "has_certificate", "has_certificate", False),
])
def test_a_reply_about_them_beside_the_speakers_own(text, asked, fact, value):
    r = understand(text, asking=asked)
    assert r.facts.get(fact) == value
    assert "disability_grade" not in r.facts  # 我是肢体四级: the speaker's


@pytest.mark.parametrize("text", ["这我哪知道 证又不在我这", "具体几级我真说不上来"])
def test_everyday_not_knowing(text):
    assert understand(text, asking="disability_grade").dont_know


@pytest.mark.parametrize("text,code", [
    ("孩子三岁半 自闭症 刚确诊 海宁的 康复救助怎么申请", "330481"),  # a place and 的 between pauses
    ("阿拉屋里厢老头子中风了 半边身体动弗了 崇明额 残疾证还呒没办 护理补贴好领伐", "310151"),  # 吴语 额 for 的
    ("阿拉嘉善额 娘舅智力残疾 有证额 二级", "330421"),  # 阿拉: we
])
def test_where_people_say_they_are_from(text, code):
    assert understand(text).facts.get("region") == code


def test_wu_negation_and_the_wu_of_after_a_place():
    r = understand("阿拉屋里厢老头子中风了 半边身体动弗了 崇明额 残疾证还呒没办 护理补贴好领伐")
    assert r.facts.get("has_certificate") is False  # 呒没 is 没有; 崇明额 is 崇明的, not 崇明 and 我


@pytest.mark.parametrize("text", ["康复可以报不嘛", "康复还能给报不能", "俺家闺女十二了 智力二级 有证 恁这能申请康复不"])
def test_rehabilitation_asked_about_as_people_ask(text):
    assert "child_rehab_aid" in understand(text).programs


def test_a_son_named_by_his_place_among_siblings_is_who_the_story_is_about():
    r = understand("编辑同志：我是云南曲靖市会泽县的，我家小儿子今年九岁，生下来就听不见，也不会说话，去年在县残联评了多重残疾"
                   "一级，证也领了。孩子现在在昆明特殊教育学校读书，我在昆明做保洁。")
    assert "employed" not in r.facts  # the writer's job, not the boy's
    assert r.facts.get("age") == 9


def test_a_reply_about_two_of_the_family_is_confirmed():
    r = understand("我爱人是二级 孩子的我记不清了", asking="disability_grade")
    assert "disability_grade" not in r.facts and r.confirm.get("disability_grade") == 2
    assert understand("我儿子二级", asking="disability_grade").facts.get("disability_grade") == 2


def test_taken_in_by_a_family_is_not_in_an_institution():
    r = understand("小时候在福利院待过 后来被现在的爸妈收养了", asking="in_welfare_institution")
    assert r.facts.get("in_welfare_institution", r.confirm.get("in_welfare_institution")) is False


def test_the_child_is_the_son_the_story_named():
    r = understand("我儿子今年十四岁，评的是肢体二级。想问一下孩子这种情况能不能领护理补贴")
    assert r.facts.get("age") == 14 and r.facts.get("disability_grade") == 2
    # a son and a daughter named: 孩子 is either, and no one's facts are given to the other
    r = understand("我儿子今年十四岁，我女儿肢体二级，孩子能领护理补贴吗")
    assert "disability_grade" not in r.facts or "age" not in r.facts


def test_a_later_value_after_but_is_confirmed():
    r = understand("平时能自己吃饭穿衣，但离不开人看着，出门会走丢")
    assert "needs_long_term_care" not in r.facts and r.confirm.get("needs_long_term_care") is True


@pytest.mark.parametrize("text", ["洗澡上厕所都要我妈帮忙", "日日要人喂饭", "现在在家，无法工作，需专人照看", "他现在在家里躺着不能动"])
def test_care_in_more_words(text):
    assert understand(text).facts.get("needs_long_term_care") is True


def test_a_call_summary_names_the_caller_in_the_third_person():
    # 来电人 is who calls, and 跟着来电人 names them as whom the child lives with: the autism is the daughter's
    r = understand("来电人反映：其本人在嘉兴市南湖区一家物流公司上班，户口在安徽省阜阳市临泉县，女儿今年三岁多，跟着来电人在"
                   "嘉兴生活，近期在嘉兴市第二医院确诊孤独症，暂未办残疾证。")
    assert r.facts.get("autism") is True and r.facts.get("age") == 3 and "employed" not in r.facts
    r = understand("来电人反映：其本人户籍在河南省南阳市邓州市，今年四十六岁，重新评定为视力二级，残疾证已经换了。家里有老人孩子，"
                   "属于低收入家庭。")
    assert r.facts.get("household") == "low_income"  # the children the family has are not another family


def test_oneself_opening_a_clause_is_whoever_the_message_is_about():
    r = understand("另反映本人是視力殘疾人,原來一直由母親照顧自己。現在母親去世了,自己一個人生活不能自理。")  # real message (dev)
    assert r.facts.get("needs_long_term_care") is True  # not the mother's
    r = understand("我爸瘫了三年，我妈在照顾，自己不能翻身")
    assert r.facts.get("needs_long_term_care") is True  # the father's: he is who it is about


@pytest.mark.parametrize("text,confirm", [
    ("好像是精神三级", {"disability_category": "mental", "disability_grade": 3}),
    ("像是孤独症", {"autism": True}),
])
def test_a_hedged_value_is_confirmed_not_dropped(text, confirm):
    r = understand(text)
    assert r.confirm == confirm and not r.facts


def test_the_parents_age_is_not_the_persons():
    r = understand("我弟弟今年三十七岁，精神残疾三级，有证。父母都七十多岁了。")
    assert r.facts.get("age") == 37
    # parents said to be gone are an orphan's words, not a person the facts after them are of
    r = understand("我表妹从小没了爸妈一直在县里的儿童福利院长大的今年十五了听力二级")
    assert r.facts.get("age") == 15 and r.facts.get("disability_grade") == 2


@pytest.mark.parametrize("text", ["家里收入加上她的工资到底超没超低保标准我也算不清", "有证没证我得回去翻翻"])
def test_a_verb_asked_both_ways_says_neither(text):
    # blind conversation E016: "超没超" read as 没超, a no that decided 渐退期 wrongly
    r = understand(text)
    assert not r.facts and not r.confirm
    assert understand("他现在没在上班", asking="employed").facts.get("employed") is False  # 在没在: not asked


@pytest.mark.parametrize("text,age", [
    ("2020年12月20号生的", 5), ("还差十几天满六岁，现在五周岁", 5),  # blind conversation E028, on 2026-12-07
    ("我闺女五周岁了 自闭症确诊快一年 听说过了六岁就不给康复补了", 5),  # the rule's limit is nobody's age
])
def test_ages_by_a_birth_day_a_birthday_weeks_away_and_a_rules_limit(text, age):
    assert understand(text, asking="age", as_of=date(2026, 12, 7)).facts.get("age") == age


def test_a_benefit_said_to_be_stopped_is_not_had():
    r = understand("不是，低保七月份就取消了，现在什么都不是", asking="household")  # blind conversation E035
    assert r.facts.get("household") == "none"
    assert "household" not in understand("家里原是低保户，七月份低保被取消了").facts


@pytest.mark.parametrize("text,program", [
    ("可否单独纳低保？", "dibao_individual"), ("能否单独给哥哥申请低保？", "dibao_individual"),
    ("我想问一下是不是马上就没了还是能缓几个月的", "dibao_gradual_exit"),
])
def test_programmes_asked_as_letters_ask(text, program):
    assert program in understand(text).programs


@pytest.mark.parametrize("text", ["残疾证有吗", "我爸残疾证有没有，不知道", "残疾证有没有"])
def test_a_certificate_asked_about_is_not_had(text):
    assert "has_certificate" not in understand(text).facts


def test_a_certificate_said_to_be_there_after_its_name():
    assert understand("俺娘是精神残疾 一级 证有 俺家低保户").facts.get("has_certificate") is True


def test_asked_for_a_neighbour_the_neighbours_child_is_who_it_is_about():
    r = understand("我是陕西渭南市蒲城县的读者，想替邻居家问个事。邻居家的孩子今年十五岁，智力残疾，证上写的是二级，孩子妈妈走了，"
                   "爸爸在外面打工一年到头不回家，孩子跟爷爷奶奶过。")
    assert r.facts.get("age") == 15 and r.facts.get("disability_category") == "intellectual"
    assert "employed" not in r.facts  # the father's work
    # not asked for anyone: the neighbour's child is someone else
    assert "autism" not in understand("邻居家孩子是自闭症，我家孩子五岁").facts


@pytest.mark.parametrize("text", ["现在就在家里也上不了班", "无法工作，需专人照看", "他不能干活"])
def test_no_work_said_as_what_cannot_be_done(text):
    assert understand(text).facts.get("employed") is False


def test_his_parents_work_is_theirs():
    r = understand("不是 他爸妈都在 就是在外地打工", asking="orphan")
    assert r.facts == {"orphan": False}


def test_a_certificate_said_by_its_grade_after_is():
    assert understand("我老伴今年七十三，双腿残疾，是肢体三级证。").facts.get("has_certificate") is True
    assert "has_certificate" not in understand("是不是肢体三级证").facts
