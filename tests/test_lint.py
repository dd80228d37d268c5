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
