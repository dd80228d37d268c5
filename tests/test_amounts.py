"""How much, for a place, a programme, the facts a figure turns on and a date: rules.engine.amount_for,
read from the dated parameters of rules/parameters/ (rules/parameters.py)."""
from datetime import date

import pytest

from bot.conversation.render import amount_sentences
from rules.engine import UnknownProgram, amount_for, evaluate
from rules.model import Amount

CHONGMING_GRADE_1 = {"region": "310151", "disability_grade": 1, "disability_category": "physical"}


def test_the_figure_follows_the_date():
    assert amount_for("care_subsidy", CHONGMING_GRADE_1, date(2021, 3, 1)) is None  # no page yet
    then = amount_for("care_subsidy", CHONGMING_GRADE_1, date(2023, 6, 1))
    assert (then.yuan, then.as_of, then.date_kind) == (300, date(2021, 12, 27), "stated_on")
    now = amount_for("care_subsidy", CHONGMING_GRADE_1, date(2026, 11, 27))
    assert (now.yuan, now.as_of, now.date_kind, now.doc) == (350, date(2025, 7, 1), "took_effect", "shanghai-2025-5")
    assert now.source_kind == "secondary" and now.url and "沪民残福发〔2025〕5号" in now.source


def test_a_notice_that_applies_its_figure_back_answers_from_its_own_date_and_says_so():
    # 沪民残福发〔2025〕5号 is dated 2025-08-07 and applies from 2025-07-01: before it existed, the 2021 figure
    assert amount_for("care_subsidy", CHONGMING_GRADE_1, date(2025, 7, 15)).yuan == 300
    now = amount_for("care_subsidy", CHONGMING_GRADE_1, date(2025, 8, 7))
    assert (now.yuan, now.since, now.effective) == (350, date(2025, 8, 7), date(2025, 7, 1))
    said = "".join(amount_sentences(now))
    assert "2025年7月1日起执行的，文件是2025年8月7日印发的" in said and "转载" in said


def test_the_figure_follows_the_grade_and_says_nothing_when_a_fact_it_turns_on_is_unknown():
    assert amount_for("care_subsidy", {**CHONGMING_GRADE_1, "disability_grade": 2}, date(2026, 11, 27)).yuan == 180
    assert amount_for("care_subsidy", {"region": "310151"}, date(2026, 11, 27)) is None
    assert amount_for("care_subsidy", {"disability_grade": 1}, date(2026, 11, 27)) is None  # where?


def test_it_says_how_much_not_whether():
    # the chat's "how much" question: a grade 1 person without a care need is not eligible, but the
    # figure for their place and grade is still what they asked for
    person = {**CHONGMING_GRADE_1, "has_certificate": True, "needs_long_term_care": False}
    assert evaluate(person, ["care_subsidy"], date(2026, 11, 27)).results[0].verdict == "ineligible"
    assert amount_for("care_subsidy", person, date(2026, 11, 27)).yuan == 350


def test_tiers_and_shares_are_told_as_such():
    tiers = amount_for("care_subsidy", {"region": "330213", "disability_grade": 4, "disability_category": "mental"},
                       date(2026, 11, 27)).tiers
    assert [yuan for _, yuan in tiers] == [540, 270, 135]
    share = amount_for("living_subsidy", {"region": "330400"}, date(2026, 11, 27))
    assert share.share == 0.3 and "当地低保标准的30%" in "".join(amount_sentences(share))


def test_a_citys_figure_ends_when_its_document_does_and_the_provinces_answers():
    # 宁波's 2021 notice set 30% of 宁波's standard; its 2024 measures do not restate it
    assert amount_for("living_subsidy", {"region": "330213"}, date(2023, 6, 1)).doc == "ningbo-2021-two-subsidies"
    assert amount_for("living_subsidy", {"region": "330213"}, date(2026, 11, 27)).doc == "zhejiang-2021-191"


def test_the_details_of_a_result_carry_the_amount_and_read_back_the_same():
    now = amount_for("care_subsidy", CHONGMING_GRADE_1, date(2026, 11, 27))
    details = now.to_details()
    assert (details["amount_yuan_per_month"], details["amount_as_of"]) == (350, "2025-07-01")  # CONTRACT.md 2
    back = Amount.from_details(details)
    assert (back.yuan, back.as_of, back.since, back.source, back.source_kind) == (
        now.yuan, now.as_of, now.since, now.source, now.source_kind)


def test_an_unknown_programme_is_an_error():
    with pytest.raises(UnknownProgram):
        amount_for("pension", CHONGMING_GRADE_1, date(2026, 11, 27))


def test_the_table_of_every_provinces_amounts_is_what_the_parameters_make():
    from rules.table import current, rows

    assert current(), "docs/amounts.md is out of date: run zhucan rules table"
    table = rows(date(2026, 12, 7))
    assert len(table) == 31  # every province-level division of the mainland
    shanghai = next(r for r in table if r["code"] == "310000")
    assert any("350元" in cell and "沪民残福发〔2025〕5号" in cell for cell in shanghai["care_subsidy"])


def test_a_places_file_adds_its_layers_and_a_bad_one_is_an_error(tmp_path):
    from knowledge.sources import load_documents
    from rules.model import RuleError, place_layers

    (tmp_path / "330000.yaml").write_text(
        "place: \"330000\"\ntitle: 浙江省\nprograms:\n  care_subsidy:\n    - doc: zhejiang-care-tiers\n"
        "      valid_from: 2024-10-24\n      cases: []\n", encoding="utf-8")
    (layer,) = place_layers("care_subsidy", load_documents(), tmp_path)
    assert (layer.place, layer.doc, layer.where) == ("330000", "zhejiang-care-tiers", "places/330000.yaml care_subsidy layer 1")
    (tmp_path / "330000.yaml").write_text("place: \"330100\"\ntitle: 杭州\nprograms: {}\n", encoding="utf-8")
    with pytest.raises(RuleError, match="not its file's name"):
        place_layers("care_subsidy", load_documents(), tmp_path)


def test_a_figure_for_a_kind_of_family_the_profile_cannot_say_is_told_with_whom_it_is_for():
    # 甘肃's minimums turn on the rural 低保 class, 兰州's figure is for urban 低保 families
    lanzhou = {"region": "620100", "household": "dibao", "has_certificate": True}
    said = "".join(amount_sentences(amount_for("living_subsidy", lanzhou, date(2026, 12, 7))))
    assert "城市低保家庭中的残疾人" in said and "110元" in said and "2021年1月1日起" in said
    tianshui = {**lanzhou, "region": "620500"}
    said = "".join(amount_sentences(amount_for("living_subsidy", tianshui, date(2026, 12, 7))))
    assert "农村一类、二类低保家庭" in said and "100元" in said and "50元" in said


def test_a_level_known_only_from_a_dataset_is_said_with_its_day_and_kind():
    xining = {"region": "630100", "disability_grade": 1}
    assert amount_for("care_subsidy", xining, date(2026, 1, 28)) is None  # before the briefing
    said = "".join(amount_sentences(amount_for("care_subsidy", xining, date(2026, 12, 7))))
    assert "100元" in said and "2026年1月29日" in said and "数据集" in said
