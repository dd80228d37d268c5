"""The custom actions, one at a time, with rasa_sdk's own Tracker and CollectingDispatcher.

No model and no action server: these run in well under a second each. The whole conversations are in
tests/test_conversation.py.
"""
from __future__ import annotations

import asyncio
import unicodedata
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.form import ASK_ACTIONS, CERTIFICATE_ASSUMED, ValidateProfileForm
from actions.profile import BadValue, canonical, profile_from_slots, valid_programs
from actions.verdicts import ActionAnswerAmount, ActionExplain, ActionGiveVerdicts, ActionReview
from bot.nlu.extract import extract
from bot.conversation.questions import question
from bot.conversation.text import plain
from rules.engine import evaluate, in_play, next_question
from rules.explain import describe
from rules.facts import FACTS
from rules.model import load_programs

ROOT = Path(__file__).resolve().parents[1]
DOMAIN: dict = {}
for _part in sorted((ROOT / "bot" / "domain").glob("*.yml")):  # the folder Rasa reads, merged
    for _key, _value in (yaml.safe_load(_part.read_text(encoding="utf-8")) or {}).items():
        if isinstance(_value, dict):
            DOMAIN[_key] = {**DOMAIN.get(_key, {}), **_value}
        elif isinstance(_value, list):
            DOMAIN[_key] = DOMAIN.get(_key, []) + _value
        else:
            DOMAIN[_key] = _value
VERDICTS = {"eligible", "ineligible", "need_info", "refer"}
RESULT_KEYS = {"program", "verdict", "missing", "reasons", "sources", "source_status", "details"}
TAIYUAN = "140100"


def tracker(slots: dict | None = None, given: dict | None = None, intent: str = "inform",
            entities: list | None = None, in_form: bool = True, requested: str | None = None,
            confidence: float = 1.0, text: str = "…") -> Tracker:
    """A tracker as Rasa sends it: `slots` held before this turn, the user's `text` with the entities the
    NLU extracts from it. No entity mapping sets a fact's slot (bot/domain/facts.yml: custom mappings),
    so nothing is set this turn before the validation reads it; `given` adds such events to check that
    a stray one never wins over the reading."""
    if entities is None:
        entities = extract(text) if text != "…" else []
    message = {"intent": {"name": intent, "confidence": confidence}, "entities": entities, "text": text}
    events = [{"event": "user", "text": "…", "parse_data": message}]
    if in_form:
        events += [{"event": "slot", "name": "requested_slot", "value": requested},
                   {"event": "action", "name": "profile_form"}]
    values = {name: None for name in DOMAIN["slots"]} | {"requested_slot": requested} | (slots or {})
    for name, value in (given or {}).items():
        events.append({"event": "slot", "name": name, "value": value})
        values[name] = value
    loop = {"name": "profile_form", "validate": True, "rejected": False} if in_form else {}
    return Tracker("test", values, message, events, False, None, loop, "action_listen")


def run(action, t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return events, dispatcher.messages


def slot_events(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def required(slots: dict, programs: list | None = None) -> list[str]:
    t = tracker({**slots, "programs": programs})
    return asyncio.run(ValidateProfileForm().required_slots([], CollectingDispatcher(), t, DOMAIN))


def results_of(messages: list[dict]) -> list[dict]:
    """The {"results": [...]} payload of a verdict (CONTRACT.md section 4)."""
    return next(m["custom"]["results"] for m in messages if "results" in (m.get("custom") or {}))


def assert_readable(text: str) -> None:
    """Plain text a screen reader reads well: short, nothing to strip, no symbols, no controls."""
    assert 0 < len(text) <= 500, len(text)
    assert plain(text) == text, text
    assert not any(unicodedata.category(ch) in ("So", "Sk", "Cc", "Co") and ch != "\n" for ch in text), text
    for mark in ("**", "__", "##", "```", "<", ">", "|"):
        assert mark not in text, (mark, text)


# --- the next question ------------------------------------------------------------------------------

def test_required_slots_follow_the_engine():
    for programs in (None, ["care_subsidy"], ["child_rehab_aid"], ["dibao_gradual_exit"]):
        # with no programme named, those in play for this person (not 渐退期 while nobody works)
        expected = next_question(evaluate({}, programs or in_play({}), None).results)
        assert required({}, programs) == [expected]


def test_required_slots_shrink_to_nothing_as_facts_arrive():
    slots = {"region": TAIYUAN, "disability_category": "physical", "disability_grade": 1}
    assert required(slots, ["care_subsidy"]) == ["has_certificate"]
    slots["has_certificate"] = True
    assert required(slots, ["care_subsidy"]) == ["needs_long_term_care"]
    slots["needs_long_term_care"] = True
    assert required(slots, ["care_subsidy"]) == []


def test_a_fact_given_is_never_asked_again():
    person = {"region": TAIYUAN, "age": 40, "has_certificate": True, "disability_category": "physical",
              "disability_grade": 2, "autism": False, "needs_long_term_care": True, "household": "dibao",
              "in_welfare_institution": False, "orphan": False, "employed": True, "exit_cause": "employment",
              "income_above_line": True, "months_above_line": 3, "months_employed": 3}
    slots: dict = {"age": 40}
    asked: list[str] = []
    every = list(load_programs())
    while True:
        nxt = required(slots, every)
        if not nxt:
            break
        (fact,) = nxt
        assert fact not in slots and fact not in asked, (fact, asked)
        asked.append(fact)
        slots[fact] = person[fact]
    assert "age" not in asked
    assert all(r.verdict != "need_info" for r in evaluate(slots, None, None).results)


# --- validation -------------------------------------------------------------------------------------

def test_values_from_the_nlu_and_forced_ones_become_canonical():
    assert canonical("has_certificate", "true") is True
    assert canonical("autism", False) is False
    assert canonical("age", "4") == 4
    assert canonical("disability_grade", 3) == 3
    assert canonical("region", "太原") == TAIYUAN
    assert canonical("region", TAIYUAN) == TAIYUAN
    assert canonical("disability_category", "physical") == "physical"
    assert valid_programs(["living_subsidy+care_subsidy", "nonsense", 7]) == ["living_subsidy", "care_subsidy"]


@pytest.mark.parametrize("fact,value,words", [
    ("age", 200, ["0到120岁", "200岁"]),
    ("age", "两百岁", ["0到120岁", "200岁"]),
    ("age", -1, ["0到120岁"]),
    ("age", 4.5, ["0到120岁"]),
    ("age", True, ["年龄"]),
    ("disability_grade", 7, ["一级到四级", "7级"]),
    ("disability_grade", "7", ["一级到四级", "7级"]),
    ("disability_category", "飞行", ["残疾类别", "肢体"]),
    ("household", ["dibao"], ["低保"]),
    ("months_above_line", 700, ["0到600个月", "700个月"]),
    ("has_certificate", "也许吧", ["残疾人证"]),
    ("region", "火星", ["没有找到", "火星"]),
    ("region", "", ["省、市或区县"]),
    ("region", "13812345678", ["这串数字"]),
    ("age", "110101199003071234", ["这串数字"]),
])
def test_bad_values_are_rejected_with_a_clear_sentence(fact, value, words):
    with pytest.raises(BadValue) as err:
        canonical(fact, value)
    for word in words:
        assert word in err.value.message
    assert_readable(err.value.message)


@pytest.mark.parametrize("said,fact,words", [
    ("我今年200岁", "age", ["年龄要在0到120岁之间", "200岁"]),
    ("是7级", "disability_grade", ["一级到四级", "7级"]),
])
def test_a_bad_value_gets_a_question_back_and_keeps_every_other_fact(said, fact, words):
    held = {"region": TAIYUAN, "disability_category": "physical", "has_certificate": True}
    events, messages = run(ValidateProfileForm(), tracker(held, text=said))
    slots = slot_events(events)
    assert slots[fact] is None
    assert slots["requested_slot"] == fact  # asked again at once
    assert not any(slots.get(k, v) != v for k, v in held.items())  # nothing else cleared or changed
    (message,) = texts(messages)
    assert all(w in message for w in words)
    # and the question that follows is the fact's own, with its payload
    _, asked = run(ASK_ACTIONS[fact](), tracker(held))
    assert texts(asked) == [question(fact)[0]]
    assert asked[-1]["custom"] == {"ask": fact}


def test_an_ambiguous_place_asks_which_one_listing_the_candidates():
    events, messages = run(ValidateProfileForm(), tracker({"age": 4}, text="我们在朝阳"))
    slots = slot_events(events)
    assert slots["region"] is None and slots["requested_slot"] == "region"
    assert slots.get("age", 4) == 4
    (said,) = texts(messages)
    assert "北京市朝阳区" in said and "辽宁省朝阳市" in said
    _, asked = run(ASK_ACTIONS["region"](), tracker({"age": 4, "choices": slots["choices"]}))
    titles = [b["title"] for b in asked[0]["buttons"]]
    assert "北京市朝阳区" in titles
    assert all(b["title"] == b["payload"] for b in asked[0]["buttons"])
    assert asked[-1]["custom"] == {"ask": "region"}


def test_a_place_typed_with_a_typo_or_unknown():
    events, _ = run(ValidateProfileForm(), tracker({}, text="太源", requested="region"))
    # 源 for 原: the same sound, repaired, and a repair is a guess: asked back before it counts
    assert "region" not in slot_events(events)
    assert slot_events(events)["confirming"] == {"region": TAIYUAN}
    _, asked = run(ASK_ACTIONS["region"](), tracker({"confirming": {"region": TAIYUAN}, "requested_slot": "region"}))
    assert texts(asked) == ["您说的是山西省太原市吗？请回答 是 或 不是。"]
    events, messages = run(ValidateProfileForm(), tracker({}, text="火星县", requested="region"))
    assert slot_events(events).get("region") is None
    assert "没有找到“火星县”" in texts(messages)[0]


def test_bad_values_held_from_an_earlier_turn_are_cleared_too():
    # e.g. forced with /why{"disability_grade": 9}: set outside the form, never validated there
    events, messages = run(ValidateProfileForm(), tracker({"disability_grade": 9}, text="三十岁"))
    assert slot_events(events)["disability_grade"] is None
    assert slot_events(events)["age"] == 30
    assert any("9级" in t for t in texts(messages))


def test_a_grade_means_a_certificate_and_says_so():
    events, messages = run(ValidateProfileForm(), tracker({}, text="一级"))
    assert slot_events(events)["has_certificate"] is True
    assert CERTIFICATE_ASSUMED in texts(messages)
    events, _ = run(ValidateProfileForm(), tracker({"has_certificate": False}, text="一级"))
    assert "has_certificate" not in slot_events(events)


def test_the_programmes_asked_about_and_all_of_them():
    events, _ = run(ValidateProfileForm(), tracker(text="那个护理的钱能领不", intent="ask_eligibility"))
    assert slot_events(events)["programs"] == ["care_subsidy"]
    events, _ = run(ValidateProfileForm(), tracker({"programs": ["care_subsidy"]}, text="我能领什么补贴",
                                                   intent="ask_eligibility"))
    assert slot_events(events)["programs"] is None  # 我能领什么补贴: every programme


def test_a_reply_that_cannot_be_read_gets_the_question_numbered_then_is_skipped():
    held = {"region": TAIYUAN, "disability_grade": 1, "has_certificate": True, "programs": ["care_subsidy"]}
    first = tracker(held, text="a", intent="affirm", confidence=0.45, requested="needs_long_term_care")
    events, messages = run(ValidateProfileForm(), first)
    slots = slot_events(events)
    assert slots.get("needs_long_term_care") is None and slots["requested_slot"] == "needs_long_term_care"
    assert slots["misses"] == {"fact": "needs_long_term_care", "count": 1} and texts(messages) == ["没听明白。"]
    _, asked = run(ASK_ACTIONS["needs_long_term_care"](), tracker({**held, "misses": slots["misses"]}))
    again = texts(asked)[0]
    assert again.startswith("是否因为残疾需要长期有人照护") and "1 是，2 不是，3 不知道" in again
    second = tracker({**held, "misses": slots["misses"]}, text="啊啊", requested="needs_long_term_care")
    events, messages = run(ValidateProfileForm(), second)
    slots = slot_events(events)
    assert slots["unsure"] == ["needs_long_term_care"] and slots.get("needs_long_term_care") is None
    assert "先跳过，不当作没有" in texts(messages)[0]
    assert slots["requested_slot"] is None  # nothing else to ask: never a third time


@pytest.mark.parametrize("said,value", [("嗯", True), ("得有人", True), ("要的", True), ("用不着", False),
                                        ("可不是嘛", True), ("不用不用", False), ("1", True), ("2", False)])
def test_yes_and_no_as_people_say_them(said, value):
    held = {"region": TAIYUAN, "disability_grade": 1, "has_certificate": True, "programs": ["care_subsidy"]}
    events, _ = run(ValidateProfileForm(), tracker(held, text=said, requested="needs_long_term_care"))
    assert slot_events(events)["needs_long_term_care"] is value


def test_words_close_to_an_option_are_asked_back_before_they_count():
    held = {"region": TAIYUAN, "programs": ["care_subsidy"]}
    events, _ = run(ValidateProfileForm(), tracker(held, text="手脚不利索", requested="disability_category"))
    slots = slot_events(events)
    assert slots["confirming"] == {"disability_category": "physical"} and slots.get("disability_category") is None
    assert slots["requested_slot"] == "disability_category"
    _, asked = run(ASK_ACTIONS["disability_category"](), tracker({**held, "confirming": slots["confirming"]}))
    assert texts(asked)[0].startswith("您说的是肢体残疾吗") and asked[-1]["custom"]["confirm"] == "physical"
    events, _ = run(ValidateProfileForm(), tracker({**held, "confirming": slots["confirming"]}, text="对",
                                                   requested="disability_category"))
    assert slot_events(events)["disability_category"] == "physical"
    assert slot_events(events)["confirming"] is None


def test_a_bare_number_with_nothing_asked_is_asked_back_as_an_age():
    held = {"region": TAIYUAN, "disability_category": "physical", "disability_grade": 1,
            "has_certificate": True, "programs": ["care_subsidy"]}
    events, _ = run(ValidateProfileForm(), tracker(held, text="77了", requested=None))
    slots = slot_events(events)
    assert slots["confirming"] == {"age": 77} and slots.get("age") is None
    _, asked = run(ASK_ACTIONS["age"](), tracker({**held, "confirming": slots["confirming"]}))
    assert texts(asked)[0].startswith("您说的是77岁吗")


def test_dont_know_skips_the_question_and_is_never_a_no():
    held = {"region": TAIYUAN, "disability_category": "physical", "disability_grade": 1,
            "has_certificate": True, "programs": ["living_subsidy"]}
    t = tracker(held, text="不知道", intent="dont_know", requested="household")
    events, messages = run(ValidateProfileForm(), t)
    slots = slot_events(events)
    assert slots["unsure"] == ["household"] and "household" not in slots
    assert texts(messages)[0].startswith("好的，家庭低保等情况这一项先跳过，不当作没有")
    # nothing else settles the living subsidy here, so the form ends instead of asking again
    assert slots["requested_slot"] is None
    # the verdict stays need_info and says who can tell
    events, messages = verdicts({**held, "unsure": ["household"]})
    said = "\n".join(texts(messages))
    results = results_of(messages)
    assert [r["verdict"] for r in results] == ["need_info"]
    assert "您说不清楚的：家庭低保等情况。" in said and "乡镇人民政府" in said
    for text in texts(messages):
        assert_readable(text)


@pytest.mark.parametrize("said", ["还没评级", "证办了等级还没出来", "孩子还在评残呢"])
def test_a_grade_not_decided_yet_is_skipped_like_dont_know(said):
    held = {"region": TAIYUAN, "disability_category": "physical", "has_certificate": True,
            "programs": ["care_subsidy"]}
    events, messages = run(ValidateProfileForm(), tracker(held, text=said, requested="disability_grade"))
    slots = slot_events(events)
    assert slots["unsure"] == ["disability_grade"] and slots.get("disability_grade") is None
    assert texts(messages)[0].startswith("好的，残疾等级这一项先跳过")


def test_a_skipped_fact_is_not_asked_again_but_the_next_one_is():
    held = {"programs": ["care_subsidy"], "unsure": ["has_certificate"]}
    asked = asyncio.run(ValidateProfileForm().required_slots([], CollectingDispatcher(), tracker(held), DOMAIN))
    assert asked and asked != ["has_certificate"]
    # given later after all, the fact counts and is no longer "unsure"
    t = tracker({**held, "has_certificate": True, "disability_grade": 1, "needs_long_term_care": True,
                 "region": TAIYUAN}, intent="review", in_form=False)
    _, messages = run(ActionReview(), t)
    assert "不清楚" not in texts(messages)[0]
    _, messages = run(ActionReview(), tracker({"region": TAIYUAN, "unsure": ["household"]}, intent="review",
                                              in_form=False))
    assert "您说不清楚的：家庭低保等情况。" in texts(messages)[0]


def test_dont_know_with_an_answer_in_it_is_the_answer():
    t = tracker({"programs": ["care_subsidy"]}, text="二级吧，不知道对不对", intent="dont_know",
                requested="disability_grade")
    events, _ = run(ValidateProfileForm(), t)
    assert slot_events(events)["disability_grade"] == 2 and slot_events(events)["unsure"] == []


def test_a_side_question_is_left_to_the_dialogue_and_not_counted():
    held = {"region": TAIYUAN, "programs": ["care_subsidy"]}
    events, messages = run(ValidateProfileForm(), tracker(held, text="为什么要问这个", intent="why",
                                                          requested="disability_grade"))
    assert not any(e["event"] == "slot" and e["name"] in ("misses", "unsure") for e in events)
    assert not texts(messages)


def test_a_message_longer_than_the_nlu_reads_is_told_so():
    long = tracker({"programs": ["care_subsidy"]}, text="太原", requested="region")
    long.latest_message["clipped_at"] = 1000  # what the NLU says of a message it read in part
    _, messages = run(ValidateProfileForm(), long)
    assert "只读了前1000个字" in texts(messages)[0]
    short = tracker({"programs": ["care_subsidy"]}, text="太原", requested="region")
    _, messages = run(ValidateProfileForm(), short)
    assert not any("只读了" in t for t in texts(messages))


def test_profile_from_slots_drops_bad_values():
    profile, bad = profile_from_slots({"age": 200, "disability_grade": "2", "region": "太原"})
    assert profile == {"disability_grade": 2, "region": TAIYUAN}
    assert set(bad) == {"age"}


# --- the questions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fact", list(FACTS))
def test_every_question_is_the_shared_one_with_typeable_buttons_and_the_ask_payload(fact):
    _, messages = run(ASK_ACTIONS[fact](), tracker())
    assert messages[0]["text"] == question(fact)[0]
    assert_readable(messages[0]["text"])
    for button in messages[0]["buttons"]:
        assert button["title"] == button["payload"] and not button["payload"].startswith("/")
    assert messages[-1]["custom"] == {"ask": fact}
    kind = FACTS[fact].kind
    if kind in ("bool", "enum") or fact == "disability_grade":
        assert len(messages[0]["buttons"]) >= 2


# --- verdicts, 为什么, 我说了什么 ----------------------------------------------------------------------

EVERY_PROGRAMME = {"region": "崇明", "age": 40, "has_certificate": True, "disability_category": "intellectual",
                   "disability_grade": 3, "needs_long_term_care": True, "household": "low_income",
                   "employed": False, "orphan": False}


def verdicts(slots: dict) -> tuple[list[dict], list[dict]]:
    return run(ActionGiveVerdicts(), tracker(slots, in_form=False))


def test_verdicts_answer_first_then_what_applies_then_one_sentence_for_the_rest():
    from bot.conversation.render import SUMMARY_LIMIT, headline

    events, messages = verdicts(EVERY_PROGRAMME)
    said = [m for m in messages if "results" not in (m.get("custom") or {})]
    results = results_of(messages)
    assert [r["program"] for r in results] == [r.program for r in evaluate(
        profile_from_slots(EVERY_PROGRAMME)[0], None, None).results]  # the payload is complete
    for result in results:
        assert set(result) == RESULT_KEYS
        assert result["verdict"] in VERDICTS
        assert all(set(s) >= {"doc", "title", "section", "quote"} for s in result["sources"])
    for text in texts(said):
        assert_readable(text)
    # first what the answer rests on, said back with its values, then the answer in one short message
    back, first = said[0], texts(said)[1]
    assert back["text"].startswith("我记下的：") and back["text"].endswith("说错了直接告诉我，比如：不对，是三级。")
    rests = back["custom"]["said_back"]
    profile = profile_from_slots(EVERY_PROGRAMME)[0]
    assert rests and all(profile[f] == v for f, v in rests.items())
    deciding = {f for r in evaluate(profile, None, None).results for f in r.rests_on}
    assert set(rests) == {"region", "disability_category"} | deciding and "disability_grade" in deciding
    assert len(first) <= SUMMARY_LIMIT and first.startswith("按规定能领：")
    applies = [r for r in results if r["verdict"] != "ineligible"]
    for result in applies:  # each one that applies or is open: its own explanation, with its source
        assert any(t.startswith(headline(result)) and "依据：" in t for t in texts(said)), result["program"]
    for result in results:
        if result["verdict"] == "ineligible":  # named once, in one sentence, with how to hear why
            assert not any(t.startswith(headline(result)) for t in texts(said))
            assert any("不符合条件的：" in t and "请说：详细" in t for t in texts(said))
    assert sum(len(t) for t in texts(said)) < 1500
    assert slot_events(events)["last_results"][0]["program"] == results[0]["program"]


def test_one_programme_asked_then_the_others_are_offered():
    slots = {"region": TAIYUAN, "disability_category": "physical", "disability_grade": 1,
             "has_certificate": True, "needs_long_term_care": True, "programs": ["care_subsidy"]}
    _, messages = verdicts(slots)
    results = results_of(messages)
    assert [(r["program"], r["verdict"]) for r in results] == [("care_subsidy", "eligible")]
    assert messages[0]["text"] == "我记下的：山西省太原市，肢体残疾一级，持有残疾人证，因残疾需要长期照护。说错了直接告诉我，比如：不对，是三级。"
    assert messages[0]["custom"] == {"said_back": {"region": TAIYUAN, "disability_category": "physical",
                                                   "disability_grade": 1, "has_certificate": True,
                                                   "needs_long_term_care": True}}
    assert messages[1]["text"].startswith("按规定能领：护理补贴")
    assert messages[2]["text"].startswith("重度残疾人护理补贴：按规定符合条件")
    offer = messages[-1]
    assert offer["buttons"] == [{"title": "我能领什么补贴", "payload": "我能领什么补贴"}]


def test_an_unchanged_verdict_is_said_in_one_sentence():
    slots = {"region": TAIYUAN, "disability_category": "physical", "disability_grade": 1,
             "has_certificate": True, "needs_long_term_care": True, "programs": ["care_subsidy"]}
    events, first = verdicts(slots)
    _, again = verdicts({**slots, "age": 45, "last_results": slot_events(events)["last_results"]})
    # the same answer is not said back nor told again: one sentence
    assert texts(again)[0] == texts(first)[1] + "这些结论和刚才一样。要再听理由和依据，请说：为什么。"
    assert results_of(first) == results_of(again)  # the payload is complete every time
    _, changed = verdicts({**slots, "needs_long_term_care": False, "last_results": slot_events(events)["last_results"]})
    assert changed[0]["text"].startswith("我记下的：") and "不需要长期照护" in changed[0]["text"]
    assert "结论和刚才一样" not in changed[1]["text"] and "不符合" in changed[1]["text"]


def test_an_expired_plan_is_said_and_where_to_apply():
    slots = {"region": "呼兰", "household": "dibao", "employed": True, "months_employed": 5,
             "income_above_line": True, "exit_cause": "employment", "programs": ["dibao_gradual_exit"]}
    _, messages = verdicts(slots)
    said = "".join(texts(messages))
    assert "已经结束" in said  # the date caveat
    slots = {"region": TAIYUAN, "disability_category": "physical", "disability_grade": 1,
             "has_certificate": True, "needs_long_term_care": True, "programs": ["care_subsidy"]}
    assert "怎么申请" in "".join(texts(verdicts(slots)[1]))


def test_verdicts_never_see_a_bad_value():
    events, messages = verdicts({**EVERY_PROGRAMME, "disability_grade": 7, "age": 200})
    assert slot_events(events)["disability_grade"] is None and slot_events(events)["age"] is None
    results = results_of(messages)
    assert all("7级" not in " ".join(r["reasons"]) for r in results)


def test_detail_explains_what_the_answer_only_named_and_why_quotes_every_source():
    events, _ = verdicts(EVERY_PROGRAMME)
    results = slot_events(events)["last_results"]
    _, messages = run(ActionExplain(), tracker({**EVERY_PROGRAMME, "last_results": results}, intent="why",
                                               in_form=False))
    said = "\n".join(texts(messages))
    passed_over = [r for r in results if r["verdict"] == "ineligible"]
    assert passed_over and all(r["reasons"][0] in said for r in passed_over)
    assert not any(r["reasons"][0] in said for r in results if r["verdict"] != "ineligible")
    # with nothing passed over, 为什么 explains everything
    results = [r for r in results if r["verdict"] != "ineligible"]
    _, messages = run(ActionExplain(), tracker({**EVERY_PROGRAMME, "last_results": results}, intent="why",
                                               in_form=False))
    said = "\n".join(texts(messages))
    for result in results:
        for reason in result["reasons"]:
            assert reason in said
        for source in result["sources"]:  # the source's own words, or what a record says
            assert source["quote"].rstrip("。") in said and source["title"] in said
    for text in texts(messages):
        assert_readable(text)


def test_why_about_one_programme_and_why_with_nothing_yet():
    events, _ = verdicts(EVERY_PROGRAMME)
    results = slot_events(events)["last_results"]
    _, messages = run(ActionExplain(), tracker({"last_results": results}, intent="why", in_form=False,
                                               entities=[{"entity": "program", "value": "care_subsidy"}]))
    assert texts(messages)[0].startswith("重度残疾人护理补贴")
    assert not any(t.startswith("困难残疾人生活补贴") for t in texts(messages))
    _, messages = run(ActionExplain(), tracker(intent="why", in_form=False))
    assert "还没有给出过结论" in texts(messages)[0]


def test_why_while_a_question_is_open_says_why_it_is_asked():
    t = tracker({"region": TAIYUAN, "disability_grade": 1, "has_certificate": True,
                 "programs": ["care_subsidy"]}, intent="why", requested="needs_long_term_care")
    _, messages = run(ActionExplain(), t)
    assert "重度残疾人护理补贴" in texts(messages)[0] and "长期照护" in texts(messages)[0]


def test_review_lists_every_fact_held_and_how_to_change_one():
    slots = {"region": TAIYUAN, "age": 4, "autism": True, "household": "dibao", "disability_grade": 7}
    events, messages = run(ActionReview(), tracker(slots, intent="review", in_form=False))
    said = "\n".join(texts(messages))
    for fact in ("region", "age", "autism", "household"):
        assert describe(fact, canonical(fact, slots[fact])) in said
    assert "不对，是三级" in said
    assert "残疾等级为七级" not in said and slot_events(events)["disability_grade"] is None
    _, messages = run(ActionReview(), tracker(intent="review", in_form=False))
    assert "还没有告诉我" in texts(messages)[0]
