"""Screening throughput and check latency, printed as figures (not a test).

    .venv/bin/python bench/screening.py [--people 100000]

Generates a registry of random (seeded) people across the places the plans name and elsewhere, with
some facts left blank as real registries have them, screens it with `zhucan screen` for all
programmes, and prints profiles per second. Then times `zhucan check` as a caseworker runs it.
"""
from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = ["140100", "140200", "141100", "310151", "310104", "330213", "330400", "230111", "110105", "440300"]
COLUMNS = ["id", "region", "age", "has_certificate", "disability_category", "disability_grade", "autism",
           "needs_long_term_care", "household", "in_welfare_institution", "orphan", "employed", "exit_cause",
           "income_above_line", "months_above_line", "months_employed", "receiving"]


def person(rng: random.Random, i: int) -> dict:
    def maybe(value, known=0.85):
        return value if rng.random() < known else ""

    age = rng.choice([rng.randint(0, 17), rng.randint(18, 90), rng.randint(18, 90)])
    return {
        "id": f"P{i:06d}", "region": rng.choice(REGIONS), "age": maybe(age, 0.95),
        "has_certificate": maybe(rng.choice(["yes", "yes", "yes", "no"])),
        "disability_category": maybe(rng.choice(["vision", "hearing", "speech", "physical", "intellectual",
                                                 "mental", "multiple"])),
        "disability_grade": maybe(rng.randint(1, 4)), "autism": maybe(rng.choice(["yes", "no", "no"]), 0.5),
        "needs_long_term_care": maybe(rng.choice(["yes", "no"]), 0.6),
        "household": maybe(rng.choice(["dibao", "low_income", "tekun", "none", "none"])),
        "in_welfare_institution": maybe("no", 0.3), "orphan": maybe("no", 0.3),
        "employed": maybe(rng.choice(["yes", "no", "no"]), 0.7),
        "exit_cause": maybe(rng.choice(["employment", "self_employment", "other"]), 0.3),
        "income_above_line": maybe(rng.choice(["yes", "no"]), 0.4),
        "months_above_line": maybe(rng.randint(0, 14), 0.3), "months_employed": maybe(rng.randint(0, 14), 0.3),
        "receiving": rng.choice(["", "", "living_subsidy", "care_subsidy"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()

    from bot.screen import screen

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        registry, out = Path(tmp) / "registry.csv", Path(tmp) / "results.db"
        with registry.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(person(rng, i) for i in range(args.people))
        start = time.perf_counter()
        screen(str(registry), str(out), date(2026, 11, 24), None, progress=False)
        elapsed = time.perf_counter() - start
    print(f"screening: {args.people} people x 5 programmes in {elapsed:.1f} s = "
          f"{args.people / elapsed:,.0f} profiles/s ({args.people * 5 / elapsed:,.0f} verdicts/s)")

    zhucan = [str(ROOT / ".venv" / "bin" / "zhucan")]
    profile = '{"region": "太原", "disability_category": "physical", "disability_grade": 1, ' \
              '"has_certificate": true, "needs_long_term_care": true}'
    times = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run([*zhucan, "check", "--json", "-"], input=profile, text=True, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(f"zhucan check (whole process, all programmes): median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
