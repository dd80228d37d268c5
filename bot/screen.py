"""`zhucan screen`: a whole registry at once (the plans' 主动发现, 应补尽补).

The registry is a CSV file whose header names profile keys (CONTRACT.md section 1). Two more columns
are understood: `id` (the caseworker's own reference for the person, kept as given) and `receiving`
(programme ids the person already receives, separated by commas or spaces). An empty cell is
"not known". A bad row is reported with its line number and skipped; it never stops the run.

The output is a SQLite database with a table `results` (one row per person and programme), a table
`errors` (one row per skipped line) and a view `unclaimed`: entitled by the sources, not receiving.
"""
from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

EXTRA_COLUMNS = ("id", "receiving")
BATCH = 2000


def parse_row(row: dict, programs: set[str]) -> tuple[dict, set[str]]:
    """A CSV row → (validated profile, programmes already received). Raises ProfileError."""
    from rules.facts import FACTS, ProfileError, parse_value, validate_profile

    data = {}
    for key, cell in row.items():
        if key is None:
            raise ProfileError("row", cell, "the row has more cells than the header")
        if key in EXTRA_COLUMNS or cell is None or not cell.strip():
            continue
        if key not in FACTS:
            raise ProfileError(key, cell, "unknown column; allowed: " + ", ".join((*FACTS, *EXTRA_COLUMNS)))
        data[key] = parse_value(key, cell)
    receiving = set((row.get("receiving") or "").replace(",", " ").replace("，", " ").split())
    if receiving - programs:
        raise ProfileError("receiving", row["receiving"], "allowed: programme ids " + ", ".join(sorted(programs)))
    return validate_profile(data), receiving


def screen(registry: str, out: str, as_of: date, programs: list[str] | None = None,
           progress: bool = True) -> int:
    import sqlite_utils
    from tqdm import tqdm

    from rules.engine import evaluate
    from rules.facts import ProfileError
    from rules.model import load_programs

    catalogue = set(load_programs())
    path = Path(registry)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as err:
        print(f"zhucan: cannot read {registry}: {err.strerror}", file=sys.stderr)
        return 2
    db = sqlite_utils.Database(out, recreate=True)
    db["results"].create({"line": int, "person": str, "program": str, "verdict": str, "receiving": bool,
                          "missing": str, "reasons": str, "source_status": str, "sources": str, "details": str})
    db["errors"].create({"line": int, "id": str, "field": str, "value": str, "message": str})
    results, errors, rows_ok = [], [], 0
    with handle, tqdm(desc="screening", unit=" people", disable=not progress, file=sys.stderr) as bar:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            print(f"zhucan: {registry} has no header row", file=sys.stderr)
            return 2
        for row in reader:
            line = reader.line_num
            bar.update(1)
            try:
                profile, receiving = parse_row(row, catalogue)
            except ProfileError as err:
                errors.append({"line": line, "id": row.get("id"), "field": err.key,
                               "value": str(err.value), "message": str(err)})
                continue
            rows_ok += 1
            for r in evaluate(profile, programs, as_of).results:
                results.append({
                    "line": line, "person": row.get("id") or str(line), "program": r.program,
                    "verdict": r.verdict, "receiving": r.program in receiving,
                    "missing": json.dumps(r.missing, ensure_ascii=False),
                    "reasons": "\n".join(r.reasons), "source_status": r.source_status,
                    "sources": json.dumps(r.sources, ensure_ascii=False),
                    "details": json.dumps(r.details, ensure_ascii=False),
                })
            if len(results) >= BATCH:
                db["results"].insert_all(results, batch_size=BATCH)
                results.clear()
    db["results"].insert_all(results, batch_size=BATCH)
    db["errors"].insert_all(errors)
    db["results"].create_index(["program", "verdict"], if_not_exists=True)
    db.create_view("unclaimed", "select * from results where verdict = 'eligible' and not receiving",
                   replace=True)
    for e in errors:
        print(f"{registry}:{e['line']}: skipped: {e['message']}", file=sys.stderr)
    unclaimed = db.execute("select count(*) from unclaimed").fetchone()[0]
    print(f"{rows_ok} people screened, {len(errors)} rows skipped; "
          f"{unclaimed} entitlements not yet received (view 'unclaimed' in {out})")
    return 0
