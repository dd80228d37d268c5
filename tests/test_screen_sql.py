"""The rules compiled to SQL give the engine's answers: the differential test, and unknown is not no.

200,000 generated registry rows (tests/synthetic_registry.py: realistic blanks, place names and codes,
Chinese and English words, a few bad rows) are screened by the compiled SQL on DuckDB at several dates
and compared, row by row and programme by programme, with rules.engine.evaluate_program(): verdict,
missing facts in order, deciding rule, source status and figures. The engine evaluates each distinct
profile once per programme (the profile cut down to the facts that programme reads), so the whole test
takes about a minute.
"""
from __future__ import annotations

import ast
import json
import time
from datetime import date

import duckdb
import pytest

from bot.screening.screen import EXTRA_COLUMNS, ScreenDuckDB, parse_receiving
from rules.engine import amount_for, evaluate_program
from rules.facts import FACTS, ProfileError, parse_value
from rules.model import condition_atoms, load_programs
from rules.sql import CompiledProgram, figures_of, sql_type
from synthetic_registry import write_registry

PEOPLE = 200_000
DATES = ["2015-06-01", "2021-03-01", "2024-06-01", "2026-11-27"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return write_registry(tmp_path_factory.mktemp("registry") / "registry.csv", PEOPLE, seed=11, bad_rate=0.001)


@pytest.fixture(scope="module")
def reference(registry):
    """line -> (person, profile, receiving) for good rows, and the lines of bad rows, read as the python
    engine reads them (each distinct cell parsed once)."""
    import csv

    memo: dict = {}
    catalogue = set(load_programs())

    def cell(key, text):
        if (key, text) not in memo:
            try:
                memo[key, text] = (parse_receiving(text, catalogue) if key == "receiving"
                                   else parse_value(key, text), None)
            except ProfileError as err:
                memo[key, text] = (None, err)
        value, err = memo[key, text]
        if err:
            raise err
        return value

    good, bad = {}, set()
    with registry.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            try:
                profile = {k: cell(k, v) for k, v in row.items() if k not in EXTRA_COLUMNS and v.strip()}
                receiving = cell("receiving", row["receiving"])
            except ProfileError:
                bad.add(reader.line_num)
                continue
            good[reader.line_num] = (row["id"], profile, receiving)
    return good, bad


def _facts_read(program) -> list[str]:
    """The facts a programme's conditions and figures read (its answer depends on nothing else)."""
    facts = {"region"}
    for layer in program.layers:
        conds = [r.condition for r in layer.requires] + [c.when for c in layer.unless + layer.cases]
        facts |= {a.fact for c in conds for a in condition_atoms(c)}
        outcomes = [r.outcome for r in layer.requires] + [c.outcome for c in layer.unless + layer.cases]
        for outcome in outcomes + ([layer.otherwise] if layer.otherwise else []):
            for _, value in outcome.details:
                if callable(value):
                    facts |= {n.id for n in ast.walk(ast.parse(value.source, mode="eval")) if isinstance(n, ast.Name)}
    return sorted(facts - {"max", "min"})


@pytest.mark.parametrize("as_of", DATES)
def test_compiled_rules_give_the_engines_answer_for_every_row(registry, reference, as_of):
    good, bad = reference
    day = date.fromisoformat(as_of)
    programs = list(load_programs().values())
    started = time.perf_counter()
    screen = ScreenDuckDB(registry, programs, day, progress=False)
    rows = screen.con.execute(screen.results_sql()).fetchall()
    errors = {line for (line,) in screen.con.execute("SELECT line FROM people WHERE z_err IS NOT NULL").fetchall()}
    sql_seconds = time.perf_counter() - started
    assert errors == bad and len(bad) > 50
    assert len(rows) == len(good) * len(programs)

    outcomes = {}
    for program in programs:
        for layer in program.layers:
            for o in [r.outcome for r in layer.requires] + [c.outcome for c in layer.unless + layer.cases]:
                outcomes[o.where] = o
            if layer.otherwise:
                outcomes[layer.otherwise.where] = layer.otherwise
    by_id = {p.id: p for p in programs}
    reads = {p.id: _facts_read(p) for p in programs}
    expected: dict = {}
    owed: dict = {}
    mismatches = []
    amounts = 0
    for line, person, program, verdict, missing, rule, status, receiving, figures, yuan, yuan_as_of in rows:
        row_person, profile, received = good[line]
        facts = reads[program]
        key = (program, tuple(profile.get(f) for f in facts))
        if key not in expected:
            cut = {f: profile[f] for f in facts if f in profile}
            r = evaluate_program(by_id[program], cut, day)
            o = outcomes.get(r.rule)
            expected[key] = (r.verdict, json.dumps(r.missing), r.rule, r.source_status,
                             figures_of(o.details, cut) if o and r.verdict != "need_info" else None)
        got = (verdict, missing, rule, status, figures)
        if got != expected[key] or person != row_person or receiving != (program in received):
            mismatches.append((line, program, profile, got, expected[key]))
        # what an eligible person is owed a month: the engine's amount for the whole profile
        if verdict == "eligible":
            akey = (program, tuple(sorted(profile.items())))
            if akey not in owed:
                a = amount_for(program, profile, day)
                owed[akey] = (a.yuan, a.as_of.isoformat()) if a and a.yuan is not None else (None, None)
            if (yuan, yuan_as_of) != owed[akey]:
                mismatches.append((line, program, profile, (yuan, yuan_as_of), owed[akey]))
            amounts += yuan is not None
        elif (yuan, yuan_as_of) != (None, None):
            mismatches.append((line, program, profile, (verdict, yuan), "no amount unless eligible"))
    assert not mismatches, f"{len(mismatches)} rows differ, e.g. {mismatches[:3]}"

    # the comparison means something: every verdict occurs, and missing facts are ordered by what
    # settles most, not merely listed in FACTS order
    verdicts = {r[3] for r in rows}
    order = list(FACTS)
    long_missing = [json.loads(r[4]) for r in rows if r[3] == "need_info" and len(json.loads(r[4])) >= 2]
    reordered = [m for m in long_missing if m != sorted(m, key=order.index)]
    if as_of != "2015-06-01":  # before the national rules, few programmes were in force
        assert verdicts == {"eligible", "ineligible", "need_info", "refer"}, verdicts
    if as_of >= "2024":  # the amounts recorded: Shanghai from 2021-12-27, the provinces later
        assert amounts > 1_000, amounts
        assert len(long_missing) > 10_000 and len(reordered) > 1_000
    print(f"\n{as_of}: {len(rows):,} rows; compiled SQL {sql_seconds:.1f} s; engine on {len(expected):,} "
          f"distinct profiles, {time.perf_counter() - started:.1f} s in all")


def _table(profiles: list[dict], compiled: CompiledProgram):
    con = duckdb.connect()
    cols = ", ".join(f"{f} {sql_type(f)}" for f in FACTS)
    con.execute(f"CREATE TABLE people (line INTEGER, person VARCHAR, plan INTEGER, {cols})")
    for i, p in enumerate(profiles):
        con.execute(f"INSERT INTO people VALUES (?, ?, ?, {', '.join('?' * len(FACTS))})",
                    [i, str(i), compiled.plan_of(p.get("region")), *[p.get(f) for f in FACTS]])
    return con


def _screen(profiles: list[dict], program: str, as_of: date) -> list[tuple]:
    """(verdict, missing, rule) from the compiled SQL, each rule checked against the engine's."""
    compiled = CompiledProgram(load_programs()[program], as_of, {p["region"] for p in profiles if "region" in p})
    con = _table(profiles, compiled)
    prepare, results = compiled.steps("people", "plan", "FALSE", "z")
    for statement in prepare:
        con.execute(statement)
    rows = [(r[3], json.loads(r[4]), r[5]) for r in con.execute(results + " ORDER BY line").fetchall()]
    for row, profile in zip(rows, profiles):
        assert row[2] == evaluate_program(compiled.program, profile, as_of).rule
    return [row[:2] + ((row[2] or "").split(" ")[0],) for row in rows]


def test_a_null_fact_is_unknown_never_false():
    """SQL's NULL is the engine's unknown: a grade-1 person in 太原 with the care need not recorded is
    asked about it, not refused; recorded as no, refused; recorded as yes, granted by the national rule."""
    base = {"region": "140100", "has_certificate": True, "disability_grade": 1}
    rows = _screen([base, {**base, "needs_long_term_care": False}, {**base, "needs_long_term_care": True}],
                   "care_subsidy", date(2024, 6, 1))
    assert rows[0] == ("need_info", ["needs_long_term_care"], "")
    assert rows[1] == ("ineligible", [], "care_subsidy.yaml")
    assert rows[2] == ("eligible", [], "care_subsidy.yaml")


def test_unknown_region_tries_every_place():
    """With the region unknown, a household on 低保 with a certificate still gets 生活补贴 everywhere
    (settled), while a 低收入 household depends on the place (上海 pays it): the region is asked."""
    base = {"has_certificate": True, "disability_grade": 2, "age": 40, "employed": True}
    rows = _screen([{**base, "household": "dibao"}, {**base, "household": "low_income"}],
                   "living_subsidy", date(2024, 6, 1))
    assert rows[0] == ("eligible", [], "living_subsidy.yaml")
    assert rows[1][0] == "need_info" and "region" in rows[1][1]
