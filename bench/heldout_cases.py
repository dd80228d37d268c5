"""Dated provincial cases kept outside the project, run through the rules as `zhucan check` runs them
(figures, not a test: the cases are held out, so no file of theirs is in the repository).

    .venv/bin/python bench/heldout_cases.py FILE [--show]

FILE: `cases:` of {id, as_of, program, profile, verdict, amount_yuan, source}, written from public sources
by someone who never saw the rules. For each case it prints nothing but counts (unless --show): the
verdict right, wrong, or "need more information" (the rules asked for a fact the case leaves out: not a
verdict either way); and where the case gives a monthly figure, whether the answer says that figure
(a sum, or one of its tiers), another one, or none.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(path: Path, show: bool) -> int:
    from rules.engine import evaluate
    from rules.facts import validate_profile

    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    verdicts, amounts, by_year = Counter(), Counter(), Counter()
    for case in cases:
        as_of = case["as_of"] if isinstance(case["as_of"], date) else date.fromisoformat(str(case["as_of"]))
        try:
            profile = validate_profile({k: v for k, v in case["profile"].items()})
        except Exception as err:  # a profile the contract does not allow: counted, never guessed
            verdicts["profile refused"] += 1
            if show:
                print(f"{case['id']}: profile refused: {err}")
            continue
        result = evaluate(profile, [case["program"]], as_of).results[0]
        got, want = result.verdict, case["verdict"]
        kind = "right" if got == want else "need more information" if got == "need_info" else "wrong"
        verdicts[kind] += 1
        by_year[(as_of.year >= 2026, kind)] += 1
        details = result.details or {}
        said = details.get("amount_yuan_per_month")
        options = [o["yuan_per_month"] for o in details.get("amount_options") or []]
        expected = case.get("amount_yuan")
        if expected is not None:
            if said is not None and float(said) == float(expected) or float(expected) in map(float, options):
                amounts["the figure"] += 1
            elif said is None and not options:
                amounts["no figure"] += 1
            else:
                amounts["another figure"] += 1
        if show and (kind != "right" or expected is not None and not (
                said is not None and float(said) == float(expected) or float(expected) in map(float, options))):
            print(f"{case['id']} {as_of} {case['program']}: verdict {got} (expected {want}); "
                  f"amount {said if said is not None else options or None} (expected {expected})")
    n = sum(verdicts.values())
    print(f"{path.name}: {n} cases")
    print("  verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common())
          + f"  ({verdicts['right'] / n:.0%} right, {verdicts['wrong']} wrong)")
    print("    dated 2026: " + ", ".join(f"{k} {v}" for (new, k), v in sorted(by_year.items()) if new)
          + "; earlier: " + ", ".join(f"{k} {v}" for (new, k), v in sorted(by_year.items()) if not new))
    m = sum(amounts.values())
    if m:
        print(f"  figures expected in {m} cases: " + ", ".join(f"{k} {v}" for k, v in amounts.most_common()))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--show", action="store_true", help="list every case not answered as expected")
    args = parser.parse_args()
    return run(args.file, args.show)


if __name__ == "__main__":
    sys.exit(main())
