"""Screening throughput and memory of both engines, and check latency, printed as figures (not a test).

    .venv/bin/python bench/screening.py [--people 1000000] [--python-people 100000]

Generates a seeded synthetic registry (tests/synthetic_registry.py: people across the places the plans
name and elsewhere, with the blanks real registries have; kept in bench/out/ for the next run), then runs
`zhucan screen` as a caseworker would, one process per run, and prints wall time, CPU time and peak
memory (the process's maximum resident set) of:
  - the DuckDB engine (the rules compiled to SQL) on the whole registry, writing Parquet, DuckDB and
    SQLite (SQLite is written row by row through Python's sqlite3, and is the slowest);
  - the python engine (the reference, person by person) on the first --python-people people.
The machine's core count and load average are printed with them: other work on the machine slows
every figure. Then times `zhucan check` as a caseworker runs it.
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
ZHUCAN = str(ROOT / ".venv" / "bin" / "zhucan")
AS_OF = "2026-11-27"


def registry(people: int, seed: int) -> Path:
    from synthetic_registry import write_registry

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"registry-{people}-{seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_registry(path.with_suffix(".tmp"), people, seed).rename(path)
        print(f"(generated {path.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s)")
    return path


def head(path: Path, people: int) -> Path:
    """The header and the first `people` rows of a registry."""
    out = path.with_name(f"{path.stem}-head-{people}.csv")
    if not out.exists():
        with path.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
            dst.writelines(itertools.islice(src, people + 1))
    return out


def run(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(args)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def screen(path: Path, people: int, engine: str, out: Path) -> None:
    wall, cpu, mem = run([ZHUCAN, "screen", str(path), "--out", str(out), "--engine", engine,
                          "--as-of", AS_OF, "--quiet"])
    print(f"  {engine:6} {people:>9,} people x 5 programmes -> {out.suffix:8} {wall:6.1f} s "
          f"({people / wall:>9,.0f} people/s, {people * 5 / wall:>10,.0f} verdicts/s), "
          f"CPU {cpu:5.1f} s, peak memory {mem:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--python-people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()

    big = registry(args.people, args.seed)
    small = head(big, args.python_people)
    load = os.getloadavg()
    print(f"screening ({os.cpu_count()} cores; load average {load[0]:.1f} before the runs):")
    out = ROOT / "bench" / "out"
    for suffix in (".parquet", ".duckdb", ".db"):
        screen(big, args.people, "duckdb", out / f"results{suffix}")
    screen(small, args.python_people, "duckdb", out / "results-small.parquet")
    screen(small, args.python_people, "python", out / "results-python.parquet")
    print(f"  (load average {os.getloadavg()[0]:.1f} after the runs)")

    profile = '{"region": "太原", "disability_category": "physical", "disability_grade": 1, ' \
              '"has_certificate": true, "needs_long_term_care": true}'
    times = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run([ZHUCAN, "check", "--json", "-"], input=profile, text=True, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    print(f"zhucan check (whole process, all programmes): median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
