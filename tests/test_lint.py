"""`zhucan rules lint` fails on exactly the faults a reviewer must never let through."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rules.lint import lint
from rules.model import RuleError, load_program

GOOD = """
program: demo
title: 演示
layers:
  - place: national
    doc: national-2015-52
    cases:
      - when: {disability_grade: [1, 2]}
        verdict: eligible
        reason: 一级、二级。
        cite:
          - {doc: national-2015-52, section: 补贴对象, quote: 对象为残疾等级被评定为一级、二级且需要长期照护的重度残疾人}
    otherwise:
      verdict: ineligible
      reason: 其他。
      cite:
        - {doc: national-2015-52, section: 补贴对象, quote: 对象为低保家庭中的残疾人}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_real_rule_base_is_clean():
    assert lint(today=date(2026, 11, 24)) == []


def test_a_clean_file_passes(tmp_path):
    assert lint(write(tmp_path, GOOD)) == []


def test_a_quote_that_is_not_in_the_clause_fails(tmp_path):
    bad = GOOD.replace("对象为低保家庭中的残疾人}", "对象为所有残疾人}")
    problems = lint(write(tmp_path, bad))
    assert len(problems) == 1 and "quote not found" in problems[0].message


def test_a_quote_from_another_section_fails(tmp_path):
    bad = GOOD.replace("section: 补贴对象, quote: 对象为低保", "section: 补贴标准, quote: 对象为低保")
    assert "quote not found" in lint(write(tmp_path, bad))[0].message


def test_a_section_that_does_not_exist_fails(tmp_path):
    bad = GOOD.replace("section: 补贴对象, quote: 对象为低保", "section: 第九十九条, quote: 对象为低保")
    assert "does not exist" in lint(write(tmp_path, bad))[0].message


def test_two_rules_for_one_place_and_date_fail(tmp_path):
    twice = GOOD + GOOD.split("layers:\n", 1)[1]
    problems = lint(write(tmp_path, twice))
    assert any("in force at once" in p.message for p in problems)


def test_a_place_left_without_a_rule_fails(tmp_path):
    ended = GOOD.replace("    doc: national-2015-52\n", "    doc: national-2015-52\n    valid_to: 2020-12-31\n", 1)
    ended = ended + """  - place: national
    doc: national-2022-83
    valid_from: 2022-10-20
    cases:
      - when: {disability_grade: 1}
        verdict: eligible
        reason: 一级。
        cite:
          - {doc: national-2022-83, section: 一（一）, quote: 成年无业重度残疾人可以参照“单人户”提出低保申请}
"""
    problems = lint(write(tmp_path, ended), today=date(2026, 11, 24))
    assert any("without a rule" in p.message for p in problems)


@pytest.mark.parametrize("typo, message", [
    ("reason: 其他。", "reason: 其他。\n      because: typo"),
    ("when: {disability_grade: [1, 2]}", "when: {disability_grad: [1, 2]}"),
    ("when: {disability_grade: [1, 2]}", "when: {disability_grade: [1, 7]}"),
    ("verdict: eligible", "verdict: maybe"),
])
def test_typos_are_errors_not_silence(tmp_path, typo, message):
    with pytest.raises(RuleError):
        load_program(write(tmp_path, GOOD.replace(typo, message, 1)) / "demo.yaml")


# --- dates: no layer before its document, no quote before its document ------------------------------

def test_a_layer_that_starts_before_its_document_was_issued_fails(tmp_path):
    # the plans used to start on the first day of their period (2021-01-01), months before they were issued
    early = GOOD + """  - place: "140000"
    doc: shanxi-2022-9
    valid_from: 2021-01-01
    cases:
      - when: {disability_grade: 3}
        verdict: eligible
        reason: 山西。
        cite:
          - {doc: shanxi-2022-9, section: 三（一）落实残疾人社会福利和社会优待政策, quote: 逐步扩大补贴对象覆盖面}
"""
    problems = lint(write(tmp_path, early), today=date(2024, 6, 1))
    assert any("starts 2021-01-01, before shanxi-2022-9 existed (issued 2022-03-29)" in p.message for p in problems)
    assert lint(write(tmp_path, early.replace("valid_from: 2021-01-01", "valid_from: 2022-03-29")),
                today=date(2024, 6, 1)) == []


def test_a_quote_shown_before_its_document_existed_fails(tmp_path):
    # 83号 (2022-10-20) quoted by a layer in force from 2021-07-01
    early = GOOD.replace("quote: 对象为低保家庭中的残疾人}",
                         "quote: 对象为低保家庭中的残疾人}\n        - {doc: national-2022-83, section: 一（三）, "
                         "quote: 可给予原则上不超过6个月的渐退期}")
    problems = lint(write(tmp_path, early), today=date(2024, 6, 1))
    assert any("quotes national-2022-83 from 2016-01-01, before it existed" in p.message for p in problems)


def test_a_document_with_no_date_may_add_notes_but_not_decide(tmp_path):
    undated = GOOD + """  - place: "330400"
    doc: jiaxing-14th
    cases:
      - when: {age: {le: 6}}
        verdict: eligible
        reason: 嘉兴。
        cite:
          - {doc: jiaxing-14th, section: （五）2, quote: 0—6周岁残疾儿童康复服务与补贴比例达到100%}
"""
    problems = lint(write(tmp_path, undated), today=date(2024, 6, 1))
    assert any("jiaxing-14th has no issue or publication date" in p.message for p in problems)
    as_note = GOOD + """  - place: "330400"
    doc: jiaxing-14th
    notes:
      - text: 嘉兴的目标。
        cite:
          - {doc: jiaxing-14th, section: （五）2, quote: 0—6周岁残疾儿童康复服务与补贴比例达到100%}
"""
    assert lint(write(tmp_path, as_note), today=date(2024, 6, 1)) == []


def test_a_deciding_layer_needs_a_start_date(tmp_path):
    # the Shanghai amounts page states no start: a layer drawn from it must say from when it answers
    undated = GOOD + """  - place: "310000"
    doc: shanghai-2021-amounts
    cases:
      - when: {disability_grade: 1}
        verdict: eligible
        reason: 上海。
        cite:
          - {doc: shanghai-2021-amounts, section: 护理补贴, quote: 一级残疾人，补贴标准每人每月300元}
"""
    problems = lint(write(tmp_path, undated), today=date(2024, 6, 1))
    assert any("needs a start date" in p.message for p in problems)


# --- amounts: a date and a provenance, never a bare figure ------------------------------------------

AMOUNT = """program: demo
place: "310000"
description: 演示
unit: 元
period: month
last_checked: 2026-12-07
groups:
  - {key: grade_1, label: 一级残疾人, when: {disability_grade: 1}}
values:
  2021-12-27:
    doc: shanghai-2021-amounts
    date_kind: stated_on
    section: 护理补贴
    figures:
      grade_1: {yuan: 300, quote: 一级残疾人，补贴标准每人每月300元}
"""


def with_amount(tmp_path: Path, text: str = AMOUNT) -> Path:
    folder = tmp_path / "parameters" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "310000.yaml").write_text(text, encoding="utf-8")
    return write(tmp_path, GOOD)


def test_a_dated_amount_with_its_page_passes(tmp_path):
    assert lint(with_amount(tmp_path), today=date(2024, 6, 1)) == []


def test_an_amount_in_an_outcome_fails(tmp_path):
    bare = GOOD.replace("        reason: 一级、二级。\n", "        reason: 一级、二级。\n        details: {amount_yuan_per_month: 300}\n")
    problems = lint(write(tmp_path, bare), today=date(2024, 6, 1))
    assert any("belongs in a parameter" in p.message for p in problems)


def test_an_amount_from_a_document_that_does_not_say_what_kind_of_page_it_is_fails(tmp_path):
    unsourced = AMOUNT.replace("doc: shanghai-2021-amounts", "doc: national-2015-52") \
        .replace("section: 护理补贴", "section: 补贴标准") \
        .replace("quote: 一级残疾人，补贴标准每人每月300元", "quote: 残疾人两项补贴标准由省级人民政府")
    problems = lint(with_amount(tmp_path, unsourced), today=date(2024, 6, 1))
    assert any("source_kind" in p.message for p in problems)


def test_an_amount_whose_quote_is_not_in_its_page_fails(tmp_path):
    problems = lint(with_amount(tmp_path, AMOUNT.replace("每人每月300元}", "每人每月350元}")), today=date(2024, 6, 1))
    assert any("quote not found" in p.message for p in problems)


def test_an_amount_before_its_document_existed_fails(tmp_path):
    early = AMOUNT.replace("  2021-12-27:", "  2021-06-01:")
    problems = lint(with_amount(tmp_path, early), today=date(2024, 6, 1))
    assert any("before shanghai-2021-amounts existed" in p.message for p in problems)


def test_a_figure_applied_back_says_so_and_still_answers_from_its_documents_date(tmp_path):
    back = AMOUNT.replace("    date_kind: stated_on\n", "    date_kind: took_effect\n    effective: 2021-07-01\n")
    assert lint(with_amount(tmp_path, back), today=date(2024, 6, 1)) == []


def test_a_timeline_with_a_gap_fails(tmp_path):
    gap = AMOUNT + """  2022-06-01: null
  2023-01-01:
    doc: shanghai-2021-amounts
    date_kind: stated_on
    section: 护理补贴
    figures:
      grade_1: {yuan: 300, quote: 一级残疾人，补贴标准每人每月300元}
"""
    problems = lint(with_amount(tmp_path, gap), today=date(2024, 6, 1))
    assert any("a gap" in p.message for p in problems)


@pytest.mark.parametrize("old, new", [
    ("last_checked: 2026-12-07\n", ""),  # not said when it was last checked
    ("date_kind: stated_on", "date_kind: sometime"),
    ("{yuan: 300, quote:", "{quote:"),  # no figure
    (", quote: 一级残疾人，补贴标准每人每月300元}", "}"),  # no words
    ("    doc: shanghai-2021-amounts\n", ""),  # no document
    ("unit: 元", "unit: 美元"),
])
def test_an_amount_without_a_date_or_its_words_is_an_error(tmp_path, old, new):
    with pytest.raises(RuleError):
        load_program(with_amount(tmp_path, AMOUNT.replace(old, new)) / "demo.yaml",
                     parameters=tmp_path / "parameters")
