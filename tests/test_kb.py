"""The SQLite knowledge base: Chinese full-text search that works, and clean tables to browse."""
from __future__ import annotations

import pytest
import sqlite_utils

from knowledge.kb import build, search
from rules.model import write_rules


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("kb") / "kb.db", more=[write_rules])  # as `zhucan kb build` does


def test_tables(db):
    d = sqlite_utils.Database(db)
    assert {"documents", "clauses", "rules", "places", "aliases", "lexicon"} <= set(d.table_names())
    from knowledge.sources import load_documents

    assert d["documents"].count == len(load_documents()) > 20  # every source document, none left out
    assert d["places"].get("330213")["name"] == "奉化区"
    assert d["places"].get("330213")["parent"] == "330200"
    assert d["rules"].count > 20


def test_search_segments_chinese(db):
    hits = search("渐退期", db_path=db)
    docs = {h["doc"] for h in hits}
    # the national measures, the 2022 notice, Fenghua and Shanxi say 渐退期; Hulan says 渐退机制
    assert {"national-2021-57", "national-2022-83", "fenghua-2022-1", "shanxi-2022-9", "hulan-2018-14"} <= docs
    assert all(h["title"] and h["section"] is not None for h in hits)


def test_search_combines_words_and_document_titles(db):
    hits = search("上海 护理补贴", db_path=db)
    assert hits and hits[0]["doc"] == "shanghai-2021-amounts"
    assert search("火星移民补贴", db_path=db) == []


def test_a_meaning_question_names_its_concept_in_any_words():
    from knowledge.questions import about

    assert about("渐退期是个啥意思？是不是钱一个月比一个月少").answer == "term_gradual_exit"
    assert about("我家算低保边缘户，那跟低保、特困有什么区别啊").answer == "term_low_income"
    assert about("低保怎么申请").answer is None  # a how, not a what


def test_a_step_is_found_by_a_thing_and_a_question_said_together():
    """Ways of asking nobody listed: a thing to take along and a question word close together, an act
    and a place or person, money and when; the same words far apart in a story ask nothing."""
    from knowledge.questions import about

    assert about("光有诊断书够不够啊").steps == ("bring",)
    assert about("得拿些啥过去").steps == ("bring",)
    assert about("低保申请到底交给谁").steps == ("where",)
    assert about("还用我自己往乡里跑不").steps == ("on_behalf",)
    assert about("审下来要多少日子").steps == ("how_long",)
    assert "payment" in about("钱是哪边打").steps
    assert about("护理补贴能不能在上海办").steps == ("elsewhere",)
    # not questions about a step
    assert about("谁能申请护理补贴").steps == ()  # who is eligible, not where to go
    assert about("我自己听力二级在跑滴滴").steps == ()
    assert about("一个月就拿那几百块啥也干不了").steps == ()
    assert about("这几个月下来看病花了不少钱").steps == ()
    assert about("证件都齐了，我想问问他这种情况能领什么").steps == ()  # the thing and the question in two clauses
