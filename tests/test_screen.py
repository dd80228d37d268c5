"""`zhucan screen`: a registry in, verdicts per person and programme out; bad rows never stop it."""
from __future__ import annotations

import subprocess
import sys

import sqlite_utils

REGISTRY = """id,region,age,has_certificate,disability_category,disability_grade,needs_long_term_care,household,receiving
A1,太原,40,是,肢体,1,是,低保,living_subsidy
A2,崇明,5,,,,,dibao,
A3,火星,40,yes,,,,,
A4,太原,200,yes,,,,,
A5,140100,30,yes,physical,7,,,
A6,太原,30,yes,physical,2,yes,none,care_subsidy
"""


def test_screen_writes_verdicts_and_reports_bad_rows(tmp_path):
    registry, out = tmp_path / "registry.csv", tmp_path / "results.db"
    registry.write_text(REGISTRY, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bot.cli", "screen", str(registry), "--out", str(out),
                          "--as-of", "2024-06-01"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # bad rows: named by line, field and what is allowed; the good rows still screened
    assert f"{registry}:4: skipped: region" in run.stderr
    assert f"{registry}:5: skipped: age: 200" in run.stderr
    assert f"{registry}:6: skipped: disability_grade: 7" in run.stderr
    db = sqlite_utils.Database(out)
    assert db["results"].count == 3 * 5
    assert {r["line"] for r in db["errors"].rows} == {4, 5, 6}
    verdict = {(r["person"], r["program"]): r["verdict"] for r in db["results"].rows}
    assert verdict[("A1", "care_subsidy")] == "eligible"
    assert verdict[("A1", "living_subsidy")] == "eligible"
    assert verdict[("A6", "living_subsidy")] == "ineligible"
    # A2: a 5-year-old in Chongming with nothing else known — unknown is not no
    assert verdict[("A2", "child_rehab_aid")] == "need_info"
    # 应补尽补: A1's care subsidy is owed but not received; A6's care subsidy is already received
    unclaimed = {(r["person"], r["program"]) for r in db.query("select * from unclaimed")}
    assert unclaimed == {("A1", "care_subsidy")}
    assert "1 entitlements not yet received" in run.stdout


def test_missing_file_and_unknown_column(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bot.cli", "screen", str(tmp_path / "nope.csv"),
                          "--out", str(tmp_path / "o.db"), "--quiet"], capture_output=True, text=True)
    assert run.returncode == 2 and "nope.csv" in run.stderr
    registry = tmp_path / "r.csv"
    registry.write_text("id,colour\nX,red\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bot.cli", "screen", str(registry), "--out",
                          str(tmp_path / "o.db"), "--quiet"], capture_output=True, text=True)
    assert run.returncode == 0 and ":2: skipped: colour" in run.stderr
