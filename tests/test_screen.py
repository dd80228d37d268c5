"""`zhucan screen`: a registry in, verdicts per person and programme out; bad rows never stop it."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

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


# A registry as they come: a blank line, a place name over two lines, a row with one cell too many,
# bad values, an unknown programme in `receiving`, and a row without an id.
ODD = ("id,region,age,has_certificate,disability_grade,household,needs_long_term_care,receiving\n"
       "A1,太原,40,是,1,低保,是,living_subsidy\n"
       "\n"
       "A2,\"崇明\n区\",5,,,dibao,,\n"
       "A3,火星,40,yes,,,,\n"
       "A4,太原,30,yes,2,none,yes,care_subsidy,extra\n"
       "A5,140100,30,yes,7,,,\n"
       "A6,太原,30,yes,2,none,yes\n"
       ",奉化,,,,,,pension\n"
       ",奉化,3,是,,低保,,\n")


def _tables(path):
    import duckdb

    if path.suffix == ".db":
        db = sqlite_utils.Database(path)
        return {t: sorted(tuple(r.values()) for r in db[t].rows) for t in ("results", "errors", "rules")}
    con = duckdb.connect()
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall()) for t in ("results", "errors", "rules")}
    side = {"results": path, "errors": path.with_name(f"{path.stem}.errors.parquet"),
            "rules": path.with_name(f"{path.stem}.rules.parquet")}
    return {t: sorted(con.execute(f"SELECT * FROM read_parquet('{p}')").fetchall()) for t, p in side.items()}


def _screen(*args):
    return subprocess.run([sys.executable, "-m", "bot.cli", "screen", *map(str, args), "--as-of", "2024-06-01"],
                          capture_output=True, text=True, timeout=300)


def test_both_engines_write_the_same_tables_in_every_format(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from synthetic_registry import write_registry

    odd = tmp_path / "odd.csv"
    odd.write_text(ODD, encoding="utf-8")
    plain = write_registry(tmp_path / "plain.csv", 400, seed=3, bad_rate=0.02)
    for registry in (odd, plain):
        for suffix in (".db", ".duckdb", ".parquet"):
            outs = {}
            for engine in ("duckdb", "python"):
                out = tmp_path / f"{registry.stem}-{engine}{suffix}"
                run = _screen(registry, "--out", out, "--engine", engine, "--quiet")
                assert run.returncode == 0, run.stderr
                outs[engine] = (_tables(out), run.stdout.replace(str(out), "OUT"), run.stderr)
            assert outs["duckdb"] == outs["python"], (registry.name, suffix)
    # odd.csv: each bad line named once, with the line it ends on; the good ones screened
    odd_run = _screen(odd, "--out", tmp_path / "odd.duckdb", "--quiet")
    assert [line.split(": skipped")[0] for line in odd_run.stderr.splitlines()] == [
        f"{odd}:6", f"{odd}:7", f"{odd}:8", f"{odd}:10"]
    assert "row: ['extra'] is not allowed; the row has more cells than the header" in odd_run.stderr
    assert "receiving: 'pension' is not allowed" in odd_run.stderr
    db = _tables(tmp_path / "odd.duckdb")
    people = {(r[0], r[1]) for r in db["results"]}
    assert people == {(2, "A1"), (5, "A2"), (9, "A6"), (11, "11")}  # a row without an id is known by its line


def test_parquet_registry_and_the_deciding_rule(tmp_path):
    import duckdb

    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    parquet = tmp_path / "registry.parquet"
    duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{registry}', all_varchar = true)) TO '{parquet}'")
    run = _screen(parquet, "--out", tmp_path / "out.duckdb", "--quiet")
    assert run.returncode == 0, run.stderr
    assert f"{parquet}:3: skipped: region" in run.stderr  # the row number, counted from 1
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    got = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT person, program, verdict, rule, reason FROM explained").fetchall()}
    verdict, rule, reason = got[("A1", "care_subsidy")]
    from rules.engine import evaluate_program
    from rules.model import load_programs

    program = load_programs()["care_subsidy"]
    engine = evaluate_program(program, {"region": "140100", "age": 40, "has_certificate": True,
                                        "disability_category": "physical", "disability_grade": 1,
                                        "needs_long_term_care": True, "household": "dibao"}, date(2024, 6, 1))
    assert (verdict, rule) == ("eligible", engine.rule) and rule.startswith("care_subsidy.yaml layer ")
    assert reason == engine.reasons[0]  # the deciding rule's own reason, joined from the rules table
    assert con.execute("SELECT person, program FROM unclaimed").fetchall() == [("A1", "care_subsidy")]


def test_output_name_and_progress(tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    run = _screen(registry, "--out", tmp_path / "out.csv")
    assert run.returncode == 2 and ".db (SQLite), .duckdb or .parquet" in run.stderr
    run = _screen(registry, "--out", tmp_path / "out.parquet", "--program", "pension")
    assert run.returncode == 2 and "unknown programme 'pension'" in run.stderr
    # without --quiet the stages of a run are shown on standard error, never on standard output
    run = _screen(registry, "--out", tmp_path / "out.parquet")
    assert run.returncode == 0 and "reading" in run.stderr and "screening" in run.stderr
    assert run.stdout.startswith("3 people screened")


def test_columns_with_many_distinct_cells_are_read_alike(tmp_path, monkeypatch):
    """A national registry has thousands of distinct places: such a column is mapped by a join, not by
    CASE; the rows and the errors come out the same."""
    import bot.screening.screen as screen
    from rules.model import load_programs

    odd = tmp_path / "odd.csv"
    odd.write_text(ODD, encoding="utf-8")
    programs = list(load_programs().values())

    def tables():
        run = screen.ScreenDuckDB(odd, programs, date(2024, 6, 1), progress=False)
        screen._rules_table(run.con, programs, run.as_of)
        run.con.execute(f"CREATE TEMP TABLE errors AS {run.errors_sql()}")
        return sorted(run.con.execute(run.results_sql()).fetchall()), run.con.execute("SELECT * FROM errors").fetchall()

    inline = tables()
    monkeypatch.setattr(screen, "INLINE", 0)
    assert tables() == inline and len(inline[1]) == 4
