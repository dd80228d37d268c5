"""The stress sets of issues 8 and 14 (tests/nlu/stress.yml, stress_traps.yml, stress_round2.yml,
stress_round3.yml, stress_round5.yml, stress_blind.yml, stress_blind2.yml) and their floors.

Messages and replies written the way residents, families and caseworkers type, each with the facts it
states, read by bot.nlu.understand (counting rules in tests/nlu/stress.py). Floors for the two
development sets: 0 values read wrongly (a wrong value is a wrong verdict waiting to happen), at most
10% of the stated values missed. The blind set, never tuned to, is held to its recorded figures. A failure on stress.yml lists every wrong or missed item; on stress_blind.yml it gives
only the counts per fact, so that its texts stay unseen by whoever tunes the NLU.

The per-fact tables are printed at the end of every run (tests/conftest.py, "NLU stress set").
The files themselves are checked even before bot.nlu.understand exists.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("zhucan_nlu_stress", ROOT / "tests" / "nlu" / "stress.py")
stress = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(stress)

MIN_ITEMS = {stress.STRESS.name: 400, stress.TRAPS.name: 300, stress.ROUND2.name: 150, stress.ROUND3.name: 160,
             stress.ROUND5.name: 140, stress.ROUND6.name: 160, stress.ROUND7.name: 150, stress.ROUND8.name: 150, stress.BLIND.name: 150,
             stress.BLIND2.name: 140}
SETS = [stress.STRESS, stress.TRAPS, stress.ROUND2, stress.ROUND3, stress.ROUND5, stress.ROUND6, stress.ROUND7,
        stress.ROUND8, stress.BLIND, stress.BLIND2]
FOCUSED = {stress.ROUND5}  # written about a few facts only: not every question is answered in it
# Round 8's only reply to months_above_line ("半年") repeated stress.yml's and was taken out
NOT_EVERY_QUESTION = FOCUSED | {stress.ROUND8}
# A third of the items answer a question just asked, and every question of CONTRACT section 1 is answered
# in some item (a fact added later needs replies of its own before it is measured as a reply).
MIN_REPLY_SHARE = 0.25
CONTRACT_FACTS = {"region", "age", "has_certificate", "disability_category", "disability_grade", "autism",
                  "needs_long_term_care", "household", "in_welfare_institution", "orphan", "employed",
                  "exit_cause", "income_above_line", "months_above_line", "months_employed"}


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_set_is_valid(path):
    raw = stress.read(path)
    assert stress.problems(raw) == []
    assert len(raw) >= MIN_ITEMS[path.name]


@pytest.mark.parametrize("path", [p for p in SETS if p not in NOT_EVERY_QUESTION], ids=lambda p: p.name)
def test_every_question_is_answered_in_peoples_words(path):
    items = stress.load(path)
    replies = [it for it in items if it.asked]
    assert len(replies) >= MIN_REPLY_SHARE * len(items)
    assert CONTRACT_FACTS <= {it.asked for it in replies}
    assert any(it.dont_know for it in replies)


def test_the_sets_share_no_item():
    seen: set = set()
    for path in SETS:
        items = {(it.asked, it.text.strip()) for it in stress.load(path)}
        assert not (items & seen), path.name
        seen |= items


def _training_texts() -> set[str]:
    """Every NLU example in bot/data, without its entity annotations ([words](entity) or [words]{...})."""
    texts = set()
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.add(re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:]).strip())
    return texts


def test_stress_sets_are_never_trained_on():
    train = _training_texts()
    assert len(train) > 100  # the training data was found and read
    shared = [it.text for p in SETS for it in stress.load(p) if len(it.text) > 4 and it.text.strip() in train]
    assert shared == []


@pytest.fixture(scope="session")
def reports(request):
    try:
        from bot.nlu.understand import understand
    except ModuleNotFoundError as err:
        if err.name != "bot.nlu.understand":
            raise
        request.config.zhucan_stress_scores = "not measured: bot.nlu.understand does not exist yet"
        pytest.skip("bot.nlu.understand does not exist yet (issue 8)")
    out = {p.name: stress.score(stress.load(p), understand, p) for p in SETS}
    out.update({str(p): stress.measure(p, understand) for p in REAL_PARTS})
    request.config.zhucan_stress_scores = "\n".join(stress.table(r) for r in out.values())
    return out


def _problem_list(report) -> str:
    if stress.is_blind(report.path):
        return "counts per fact (items not shown): " + stress.counts_only(report)
    return "\n" + stress.listing(report, ("wrong", "missed"), facts_only=True)


REAL_PARTS = [Path(f"{stress.REAL}#dev"), Path(f"{stress.REAL}#unseen")]


def _key(path: Path) -> str:
    return str(path) if "#" in str(path) else path.name


@pytest.mark.parametrize("path", SETS + REAL_PARTS, ids=lambda p: p.name)
def test_no_value_is_read_wrongly(reports, path):
    report = reports[_key(path)]
    wrong = report.total().wrong
    assert wrong <= stress.floors(path)[0], _problem_list(report)


@pytest.mark.parametrize("path", SETS + REAL_PARTS, ids=lambda p: p.name)
def test_at_most_a_tenth_of_the_stated_values_is_missed(reports, path):
    report = reports[_key(path)]
    missed_share = report.missed_share()
    assert missed_share <= stress.floors(path)[1], _problem_list(report)
