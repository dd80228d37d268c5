"""Runs the YAML cases under tests/cases/: each one a person, a date and what the sources say."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from rules.engine import evaluate
from rules.facts import validate_profile

CASES = Path(__file__).with_name("cases")


def _load():
    for path in sorted(CASES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
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
        assert result["details"].get(key) == value, shown
    if "reasons_contain" in expect:
        assert expect["reasons_contain"] in "".join(result["reasons"]), shown
    for words in expect.get("reasons_exclude", []):
        assert words not in "".join(result["reasons"]), shown
    docs = [s["doc"] for s in result["sources"]]
    for doc in expect.get("sources_docs", []):
        assert doc in docs, shown
    # every verdict explains itself and quotes its source
    assert result["reasons"] and all(r.strip() for r in result["reasons"]), shown
    if result["verdict"] != "need_info":
        assert result["sources"] and all(s["quote"] for s in result["sources"]), shown
    else:
        assert result["missing"], shown
