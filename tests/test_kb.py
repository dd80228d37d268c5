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
