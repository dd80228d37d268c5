"""Runs the YAML cases under tests/cases/: each one a person, a date and what the sources say."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from rules.engine import evaluate
from rules.facts import validate_profile

CASES = Path(__file__).with_name("cases")

FILE_KEYS = {"defaults", "cases"}
CASE_KEYS = {"name", "program", "as_of", "profile", "expect"}
# what a case may expect; anything else (a typo such as `verdit:`) is an error, never silently passed
EXPECT_KEYS = {"verdict", "missing", "missing_set", "missing_excludes", "source_status", "details",
               "details_absent", "reasons_contain", "reasons_exclude", "sources_docs", "sources_exclude"}


class CaseError(ValueError):
    """A case file that says something the runner does not understand."""


def check_keys(spec: dict, where: str) -> None:
    if not isinstance(spec, dict) or set(spec) - FILE_KEYS:
        raise CaseError(f"{where}: a case file has only {sorted(FILE_KEYS)}")
    for case in spec.get("cases") or []:
        merged = {**spec.get("defaults", {}), **case}
        name = f"{where}: {case.get('name', '?')}"
        if set(merged) - CASE_KEYS:
            raise CaseError(f"{name}: unknown key(s) {sorted(set(merged) - CASE_KEYS)}; allowed {sorted(CASE_KEYS)}")
        if not isinstance(merged.get("expect"), dict) or not merged["expect"]:
            raise CaseError(f"{name}: a case expects something")
        unknown = set(merged["expect"]) - EXPECT_KEYS
        if unknown:
            raise CaseError(f"{name}: unknown expect key(s) {sorted(unknown)}; allowed {sorted(EXPECT_KEYS)}")


def _load():
    for path in sorted(CASES.rglob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        check_keys(spec, path.name)
        for case in spec["cases"]:
            merged = {**spec.get("defaults", {}), **case}
            yield pytest.param(merged, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("case", list(_load()))
def test_case(case):
    as_of = case["as_of"] if isinstance(case["as_of"], date) else date.fromisoformat(case["as_of"])
    result = evaluate(validate_profile(case["profile"]), [case["program"]], as_of).results[0].to_json()
    expect = case["expect"]
    shown = f"\n{yaml.safe_dump(result, allow_unicode=True)}"
    if "verdict" in expect:
        assert result["verdict"] == expect["verdict"], shown
    if "missing" in expect:
        assert result["missing"] == expect["missing"], shown
    if "missing_set" in expect:
        assert set(result["missing"]) == set(expect["missing_set"]), shown
    for fact in expect.get("missing_excludes", []):
        assert fact not in result["missing"], shown
    if "source_status" in expect:
        assert result["source_status"] == expect["source_status"], shown
    for key, value in expect.get("details", {}).items():
        assert key in result["details"] and result["details"][key] == value, shown
    for key in expect.get("details_absent", []):
        assert key not in result["details"], shown
    said = "".join(result["reasons"])
    contain = expect.get("reasons_contain", [])
    for words in [contain] if isinstance(contain, str) else contain:
        assert words in said, shown
    for words in expect.get("reasons_exclude", []):
        assert words not in said, shown
    docs = [s["doc"] for s in result["sources"]]
    for doc in expect.get("sources_docs", []):
        assert doc in docs, shown
    for doc in expect.get("sources_exclude", []):
        assert doc not in docs, shown
    # every verdict explains itself and quotes its source
    assert result["reasons"] and all(r.strip() for r in result["reasons"]), shown
    if result["verdict"] != "need_info":
        assert result["sources"] and all(s["quote"] for s in result["sources"]), shown
    else:
        assert result["missing"], shown
    # an amount is never told without its date and its page
    if any(k in result["details"] for k in ("amount_yuan_per_month", "amount_options", "amount_share_of_dibao_line")):
        assert {"amount_as_of", "amount_date_kind", "amount_source", "amount_source_kind",
                "amount_url"} <= set(result["details"]), shown
    if result["verdict"] == "ineligible":
        assert not any(k.startswith("amount") for k in result["details"]), shown


@pytest.mark.parametrize("spec, words", [
    ({"cases": [{"name": "typo", "program": "care_subsidy", "as_of": "2024-06-01", "profile": {},
                 "expect": {"verdit": "eligible"}}]}, "unknown expect key(s) ['verdit']"),
    ({"cases": [{"name": "typo", "program": "care_subsidy", "as_of": "2024-06-01", "profile": {},
                 "expect": {"verdict": "eligible", "reason_contain": "x"}}]}, "reason_contain"),
    ({"cases": [{"name": "typo", "programme": "care_subsidy", "as_of": "2024-06-01", "profile": {},
                 "expect": {"verdict": "eligible"}}]}, "programme"),
    ({"cases": [{"name": "empty", "program": "care_subsidy", "as_of": "2024-06-01", "profile": {},
                 "expect": {}}]}, "expects something"),
    ({"defaults": {}, "case": []}, "a case file has only"),
])
def test_a_typo_in_a_case_file_is_an_error_not_a_pass(spec, words):
    with pytest.raises(CaseError) as err:
        check_keys(spec, "demo.yaml")
    assert words in str(err.value)
