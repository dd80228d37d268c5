"""The learned reader behind the rules (bot/nlu/learned.py) and what the conversation does with it.

Its training corpus (knowledge/answers/) and its test set (tests/nlu/replies_blind.yml) were written by
two authors who saw neither the code nor each other's file; the test set is measured against, never
trained on, and only its counts are printed (tests/nlu/replies.py).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from bot.conversation.questions import reply
from bot.nlu import learned
from bot.nlu.understand import understand

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("zhucan_nlu_replies", ROOT / "tests" / "nlu" / "replies.py")
replies = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(replies)

# Recorded on 2026-12-07, never tuned to: the whole reader may not get worse, and the learned reader
# alone must stay above this accuracy on replies its authors never saw.
# 2026-12-07, third session: 8 wrong, 6.6% missed, 93.5% on unseen words
# 2026-12-08: 7 wrong, 5.8% missed, 94.3% on unseen words (a hedge before a value confirms it, round 8)
BLIND_RECORDED = {"wrong": 7, "missed_share": 0.06, "learned_accuracy_unseen": 0.94}


@pytest.mark.parametrize("text,fact,value", [
    ("本本早就领回来了", "has_certificate", True),
    ("证一直没去弄", "has_certificate", False),
    ("就一般人家，啥也没评过", "household", "none"),
    ("穿衣吃饭都能自己来", "needs_long_term_care", False),
    ("他爸妈早就没了", "orphan", True),
    ("从小跟着他姥姥过", "in_welfare_institution", False),
    ("闺女寄钱回来了", "exit_cause", "other"),
    ("他自己弄了个修车铺", "exit_cause", "self_employment"),
])
def test_a_reply_the_rules_cannot_read_is_asked_back_with_what_it_most_likely_means(text, fact, value):
    reading = understand(text, asking=fact)
    assert fact not in reading.facts  # a proposal never decides anything by itself
    assert reading.confirm == {fact: value} and reading.learned.confident
    turn = reply(text, asking=fact)
    assert turn.confirming == {fact: value} and fact not in turn.set


def test_a_reply_that_says_nothing_of_the_question_gets_the_question_again():
    turn = reply("今天天气不错", asking="has_certificate")
    assert turn.confirming is None and not turn.set and turn.misses == 1


def test_not_knowing_in_everyday_words_is_asked_back_as_not_known_never_as_a_no():
    reading = understand("这个没印象", asking="autism")
    assert reading.unsure and "autism" not in reading.facts and "autism" not in reading.confirm


def test_a_no_to_a_yes_or_no_confirmation_is_the_other_value_and_the_no_is_not_read_again():
    turn = reply("不是，本本早就领回来了", asking="has_certificate", confirming={"has_certificate": False}, misses=1)
    assert turn.set == {"has_certificate": True}
    assert reply("不是", asking="has_certificate", confirming={"has_certificate": False}, misses=1).set == {
        "has_certificate": True}
    assert reply("对", asking="has_certificate", confirming={"has_certificate": False}, misses=1).set == {
        "has_certificate": False}
    # a no to "您是说不清楚…吗？" with nothing readable: the confirmation was the second asking; never a third
    again = reply("不是，我知道", asking="has_certificate", confirming={"has_certificate": "不知道"}, misses=1)
    assert not again.set and again.skip == ["has_certificate"]
    told = reply("不是，有证的", asking="has_certificate", confirming={"has_certificate": "不知道"}, misses=1)
    assert told.set == {"has_certificate": True}


def test_every_closed_fact_has_its_corpus():
    for fact in learned.closed_facts():
        data = yaml.safe_load((learned.ANSWERS_DIR / f"{fact}.yml").read_text(encoding="utf-8"))
        assert data["fact"] == fact
        labels = {str(k) for k in data["labels"]}
        assert {"dont_know", "none"} <= labels


def test_the_model_is_rebuilt_when_its_inputs_change(tmp_path, monkeypatch):
    path = tmp_path / "reader.pkl"
    monkeypatch.setattr(learned, "train", lambda facts=None: {"stub": True})
    learned.ensure_model(path)
    stamp = path.stat().st_mtime_ns
    learned.ensure_model(path)
    assert path.stat().st_mtime_ns == stamp  # unchanged inputs: kept
    monkeypatch.setattr(learned, "_fingerprint", lambda: "changed")
    learned.ensure_model(path)
    assert path.stat().st_mtime_ns != stamp


def test_blind_replies_figures(request):
    counts = replies.score(replies.load(replies.BLIND))
    total = sum((c for c in counts.values()), start=__import__("collections").Counter())
    request.config.zhucan_replies_scores = replies.table(counts)
    n = total["items"]
    assert total["wrong"] <= BLIND_RECORDED["wrong"], replies.table(counts)
    assert total["missed"] / n <= BLIND_RECORDED["missed_share"], replies.table(counts)
    # on the replies whose words are not in the training corpus (two authors write some short ones alike;
    # 567 of 709 since 吴语 勿 is written as 不, which makes one more reply the corpus's own words)
    assert total["unseen"] >= 0.79 * n
    assert total["learned right, unseen"] / total["unseen"] >= BLIND_RECORDED["learned_accuracy_unseen"], \
        replies.table(counts)
