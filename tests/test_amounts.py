"""How much, for a place, a programme, the facts a figure turns on and a date: rules.engine.amount_for."""
from datetime import date

import pytest

from rules.engine import UnknownProgram, amount_for, evaluate

CHONGMING_GRADE_1 = {"region": "310151", "disability_grade": 1, "disability_category": "physical"}


def test_the_figure_follows_the_date():
    assert amount_for("care_subsidy", CHONGMING_GRADE_1, date(2021, 3, 1)) == {}  # no page yet
    then = amount_for("care_subsidy", CHONGMING_GRADE_1, date(2023, 6, 1))
    assert (then["amount_yuan_per_month"], then["amount_as_of"], then["amount_date_kind"]) == (300, "2021-12-27", "stated_on")
    now = amount_for("care_subsidy", CHONGMING_GRADE_1, date(2026, 11, 27))
    assert (now["amount_yuan_per_month"], now["amount_as_of"], now["amount_date_kind"]) == (350, "2025-07-01", "took_effect")
    assert now["amount_source_kind"] == "portal_qa" and now["amount_url"].startswith("https://www.shanghai.gov.cn/")
    assert "记录" in now["amount_source"]  # the record says it is one


def test_the_figure_follows_the_grade_and_says_nothing_when_a_fact_it_turns_on_is_unknown():
    assert amount_for("care_subsidy", {**CHONGMING_GRADE_1, "disability_grade": 2}, date(2026, 11, 27))[
        "amount_yuan_per_month"] == 180
    assert amount_for("care_subsidy", {"region": "310151"}, date(2026, 11, 27)) == {}
    assert amount_for("care_subsidy", {"disability_grade": 1}, date(2026, 11, 27)) == {}  # where?


def test_it_says_how_much_not_whether():
    # the chat's "how much" question: a grade 1 person without a care need is not eligible, but the
    # figure for their place and grade is still what they asked for
    person = {**CHONGMING_GRADE_1, "has_certificate": True, "needs_long_term_care": False}
    assert evaluate(person, ["care_subsidy"], date(2026, 11, 27)).results[0].verdict == "ineligible"
    assert amount_for("care_subsidy", person, date(2026, 11, 27))["amount_yuan_per_month"] == 350


def test_tiers_and_rules_are_told_as_such():
    tiers = amount_for("care_subsidy", {"region": "330213", "disability_grade": 4, "disability_category": "mental"},
                       date(2026, 11, 27))["amount_options"]
    assert [o["yuan_per_month"] for o in tiers] == [540, 270, 135]
    assert amount_for("living_subsidy", {"region": "330400"}, date(2026, 11, 27))["amount_rule"] == "当地低保标准的30%"


def test_an_unknown_programme_is_an_error():
    with pytest.raises(UnknownProgram):
        amount_for("pension", CHONGMING_GRADE_1, date(2026, 11, 27))
