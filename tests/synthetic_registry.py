"""A synthetic disability registry, seeded: what the screening tests and bench/screening.py read.

People in the places the plans name and elsewhere, written as a registry is: codes and place names,
Chinese and English words, numbers with units ("一级", "5岁"), and blanks where a registry does not know
(more for the facts a caseworker rarely records). A few rows are bad (a grade of 7, a place that does
not exist) and must be reported, not screened.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

COLUMNS = ["id", "region", "age", "has_certificate", "disability_category", "disability_grade", "autism",
           "needs_long_term_care", "household", "in_welfare_institution", "orphan", "employed", "exit_cause",
           "income_above_line", "months_above_line", "months_employed", "receiving"]
# places with rules of their own (and places inside them), places without, written as a registry would
REGIONS = ["140100", "140105", "140200", "141100", "太原", "大同市", "310151", "崇明区", "310104", "310000",
           "330213", "奉化", "330400", "嘉兴", "330402", "230111", "呼兰区", "230100", "110105", "440300",
           "510104", "北京"]
YES_WORDS = ["yes", "是", "有", "true"]
NO_WORDS = ["no", "否", "没有", "false"]
CATEGORIES = ["vision", "hearing", "speech", "physical", "intellectual", "mental", "multiple",
              "视力", "听力", "言语", "肢体", "智力", "精神", "多重"]
HOUSEHOLDS = ["dibao", "low_income", "tekun", "none", "none", "低保", "低收入", "特困", "none"]
BAD = [("disability_grade", "7"), ("region", "火星"), ("age", "200"), ("household", "富裕"),
       ("has_certificate", "也许"), ("receiving", "pension")]


def person(rng: random.Random, i: int, bad_rate: float = 0.0) -> dict:
    random, choice = rng.random, rng.choice

    def maybe(value, known: float = 0.85):
        return value if random() < known else ""

    def yes(p_yes: float = 0.5) -> str:
        return choice(YES_WORDS if random() < p_yes else NO_WORDS)

    age = rng.choice([rng.randint(0, 6), rng.randint(7, 17), rng.randint(18, 90), rng.randint(18, 90), 6, 7, 18])
    grade = rng.randint(1, 4)
    row = {
        "id": f"P{i:07d}",
        "region": maybe(rng.choice(REGIONS), 0.97),
        "age": maybe(rng.choice([str(age), str(age), f"{age}岁"]), 0.95),
        "has_certificate": maybe(yes(0.75)),
        "disability_category": maybe(rng.choice(CATEGORIES)),
        "disability_grade": maybe(rng.choice([str(grade), str(grade), "一二三四"[grade - 1] + "级"])),
        "autism": maybe(yes(0.2), 0.5),
        "needs_long_term_care": maybe(yes(0.5), 0.6),
        "household": maybe(rng.choice(HOUSEHOLDS)),
        "in_welfare_institution": maybe(yes(0.05), 0.3),
        "orphan": maybe(yes(0.05), 0.3),
        "employed": maybe(yes(0.3), 0.7),
        "exit_cause": maybe(rng.choice(["employment", "self_employment", "other", "就业", "创业"]), 0.3),
        "income_above_line": maybe(yes(0.5), 0.4),
        "months_above_line": maybe(str(rng.randint(0, 14)), 0.3),
        "months_employed": maybe(str(rng.randint(0, 14)), 0.3),
        "receiving": rng.choice(["", "", "", "living_subsidy", "care_subsidy", "living_subsidy care_subsidy"]),
    }
    if bad_rate and rng.random() < bad_rate:
        key, value = rng.choice(BAD)
        row[key] = value
    return row


def write_registry(path: Path, people: int, seed: int = 20261124, bad_rate: float = 0.001) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(person(rng, i, bad_rate) for i in range(people))
    return path
