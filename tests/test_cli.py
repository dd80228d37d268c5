"""The caseworker's command line as a caseworker and an outside tool would use it (CONTRACT.md 3)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from bot.cli import main

ZHUCAN = [sys.executable, "-m", "bot.cli"]


def run(*args, stdin: str | None = None):
    return subprocess.run([*ZHUCAN, *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_check_json_contract_shape(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"region": "太原", "disability_category": "physical", "disability_grade": 1,
                                   "has_certificate": True, "needs_long_term_care": True}, ensure_ascii=False))
    out = run("check", "--json", "--as-of", "2024-06-01", "--program", "care_subsidy", str(profile))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["as_of"] == "2024-06-01" and report["region"] == "140100"
    (result,) = report["results"]
    assert set(result) == {"program", "verdict", "missing", "reasons", "sources", "source_status", "details"}
    assert result["program"] == "care_subsidy" and result["verdict"] == "eligible"
    assert set(result["sources"][0]) == {"doc", "title", "section", "quote"}


def test_check_reads_stdin_and_answers_every_programme():
    out = run("check", "--json", "-", stdin='{"age": 4, "autism": true}')
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["as_of"] == date.today().isoformat()
    assert [r["program"] for r in report["results"]] == [
        "care_subsidy", "child_rehab_aid", "dibao_gradual_exit", "dibao_individual", "living_subsidy"]


def test_options_in_chinese_and_human_mode(capsys):
    code = main(["check", "--as-of", "2024-06-01", "--program", "care_subsidy", "--region", "太原",
                 "--grade", "一级", "--category", "肢体", "--certificate", "有", "--care", "是"])
    text = capsys.readouterr().out
    assert code == 0
    assert text.startswith("重度残疾人护理补贴：按规定符合条件")
    assert "原文：" in text
    assert not any(ch in text for ch in "*#|`<>")  # plain text: nothing a screen reader stumbles on


def test_check_gives_the_amount_of_the_date_with_its_page(tmp_path, capsys):
    """Issue 9: the same person on two dates gets what was true on each, in JSON and in words."""
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"region": "崇明", "disability_category": "physical", "disability_grade": 1,
                                   "has_certificate": True, "needs_long_term_care": True, "household": "dibao"},
                                  ensure_ascii=False))
    out = run("check", "--json", "--as-of", "2026-11-27", "--program", "care_subsidy", str(profile))
    (result,) = json.loads(out.stdout)["results"]
    assert result["details"]["amount_yuan_per_month"] == 350 and result["details"]["amount_as_of"] == "2025-07-01"
    assert result["details"]["amount_source_kind"] == "secondary" and result["details"]["amount_url"]
    assert main(["check", "--as-of", "2026-11-27", "--program", "care_subsidy", str(profile)]) == 0
    text = capsys.readouterr().out
    assert "每人每月350元" in text and "2025年7月1日起执行" in text and "2025年8月7日印发" in text
    assert "沪民残福发〔2025〕5号" in text and "转载" in text  # the notice, reposted: said what kind of page
    assert main(["check", "--as-of", "2023-06-01", "--program", "care_subsidy", str(profile)]) == 0
    text = capsys.readouterr().out
    assert "每人每月300元" in text and "2021年12月27日" in text and "从哪天起执行没有写明" in text


def test_check_cites_the_2026_law_where_it_applies(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"region": "太原", "disability_grade": 1, "has_certificate": True,
                                   "household": "low_income", "disability_category": "physical"}), encoding="utf-8")
    law = "national-2026-social-assistance-law"
    after = json.loads(run("check", "--json", "--as-of", "2026-11-27", "--program", "dibao_individual",
                           str(profile)).stdout)["results"][0]
    assert after["verdict"] == "eligible" and law in [s["doc"] for s in after["sources"]]
    assert "居住证" in after["details"]["apply"] and "热线" in after["details"]["apply"]
    before = json.loads(run("check", "--json", "--as-of", "2023-06-01", "--program", "dibao_individual",
                            str(profile)).stdout)["results"][0]
    assert before["verdict"] == "eligible" and law not in [s["doc"] for s in before["sources"]]


@pytest.mark.parametrize("profile, key", [
    ('{"colour": "red"}', "colour"),
    ('{"disability_grade": 7}', "disability_grade"),
    ('{"age": -1}', "age"),
    ('{"age": "four"}', "age"),
    ('{"household": "rich"}', "household"),
    ('{"has_certificate": "yes"}', "has_certificate"),
    ('{"region": "火星"}', "region"),
    ('{"region": "鼓楼"}', "region"),
])
def test_bad_profile_exits_2_naming_the_key(profile, key):
    out = run("check", "--json", "-", stdin=profile)
    assert out.returncode == 2
    assert out.stdout == ""
    assert key in out.stderr
    if key != "region":
        assert "allowed" in out.stderr  # says what would have been right


def test_ambiguous_place_lists_candidates():
    out = run("check", "--json", "-", stdin='{"region": "鼓楼"}')
    assert out.returncode == 2 and "南京" in out.stderr and "福州" in out.stderr


def test_bad_option_and_program_exit_2():
    assert run("check", "--grade", "七级").returncode == 2
    out = run("check", "--program", "free_money", "--age", "3")
    assert out.returncode == 2 and "free_money" in out.stderr
    out = run("check", "not-there.json")
    assert out.returncode == 2 and "not-there.json" in out.stderr
    out = run("check", "-", stdin="{not json")
    assert out.returncode == 2 and "JSON" in out.stderr


def test_rules_lint_passes():
    out = run("rules", "lint")
    assert out.returncode == 0, out.stderr


def test_chat_serve_and_telegram_take_their_own_options():
    for command, option in (("serve", "--port"), ("chat", "--sender"), ("telegram", "--webhook-url")):
        proc = run(command, "--help")
        assert proc.returncode == 0 and option in proc.stdout and f"zhucan {command}" in proc.stdout
    assert "zhucan serve --help" in run("--help").stdout
