"""`zhucan screen`: a whole registry at once (the plans' 主动发现, 应补尽补).

The registry is a CSV file (or, read by DuckDB, a Parquet file) whose header names profile keys
(CONTRACT.md section 1). Two more columns are understood: `id` (the caseworker's own reference for the
person, kept as given) and `receiving` (programme ids the person already receives, separated by commas
or spaces). An empty cell is "not known". A bad row is reported with its line number and skipped; it
never stops the run.

Two engines give the same rows:
  duckdb (default)  the rules compiled to SQL (rules/sql.py) and run by DuckDB over the whole file.
                    Cells are read once per distinct value: each column's distinct values go through
                    rules.facts.parse_value, the one parser of typed values, and a row with any bad cell
                    goes to `errors` with its line and the first bad column, as the python engine does.
  python            the reference: rules.engine.evaluate(), person by person.

OUT ending in .db is SQLite, .duckdb DuckDB, .parquet Parquet. It holds a table `results` (one row per
person and programme: line, person, program, verdict, missing as a JSON list, rule (the deciding
rule's id), source_status, receiving, figures), a table `errors` (one row per skipped line) and a table
`rules` (what each rule id says: reason, sources, who to ask, constant details), with the views
`unclaimed` (entitled by the sources, not yet receiving) and `explained` (results with their reasons).
Parquet holds one table: errors and rules go beside it, in OUT's name with .errors.parquet and
.rules.parquet.
"""
from __future__ import annotations

import csv
import json
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

EXTRA_COLUMNS = ("id", "receiving")
FORMATS = {".db": "sqlite", ".sqlite": "sqlite", ".duckdb": "duckdb", ".parquet": "parquet"}
RESULTS = (("line", "INTEGER"), ("person", "STRING"), ("program", "STRING"), ("verdict", "STRING"),
           ("missing", "STRING"), ("rule", "STRING"), ("source_status", "STRING"), ("receiving", "BOOLEAN"),
           ("figures", "STRING"), ("amount_yuan", "DOUBLE"), ("amount_as_of", "STRING"))
ERRORS = (("line", "INTEGER"), ("id", "STRING"), ("field", "STRING"), ("value", "STRING"), ("message", "STRING"))
VIEWS = {
    "unclaimed": "SELECT * FROM results WHERE verdict = 'eligible' AND NOT receiving",
    "explained": "SELECT r.*, k.reason, k.ask, k.sources, k.details FROM results r LEFT JOIN rules k ON k.rule = r.rule",
}


class ScreenError(Exception):
    """A registry or an output that cannot be used at all; the message says why (exit 2)."""


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
    return validate_profile(data), parse_receiving(row.get("receiving"), programs)


def parse_receiving(cell: str | None, programs: set[str]) -> set[str]:
    from rules.facts import ProfileError

    receiving = set((cell or "").replace(",", " ").replace("，", " ").split())
    if receiving - programs:
        raise ProfileError("receiving", cell, "allowed: programme ids " + ", ".join(sorted(programs)))
    return receiving


def screen(registry: str, out: str, as_of: date | None = None, programs: list[str] | None = None,
           progress: bool = True, engine: str = "duckdb") -> int:
    from rules.engine import UnknownProgram
    from rules.model import load_programs

    as_of = as_of or date.today()
    catalogue = load_programs()
    try:
        wanted = list(programs or catalogue)
        unknown = [p for p in wanted if p not in catalogue]
        if unknown:
            raise UnknownProgram(f"unknown programme {unknown[0]!r}; allowed: {', '.join(catalogue)}")
        fmt = FORMATS.get(Path(out).suffix.lower())
        if fmt is None:
            raise ScreenError(f"--out {out}: the name must end in .db (SQLite), .duckdb or .parquet")
        run = ScreenDuckDB if engine == "duckdb" else ScreenPython
        summary = run(Path(registry), [catalogue[p] for p in wanted], as_of, progress).write(Path(out), fmt)
    except (ScreenError, UnknownProgram) as err:
        print(f"zhucan: {err}", file=sys.stderr)
        return 2
    for line, message in summary["errors"]:
        print(f"{registry}:{line}: skipped: {message}", file=sys.stderr)
    where = f"view 'unclaimed' in {out}" if fmt != "parquet" else f"verdict eligible, receiving false in {out}"
    print(f"{summary['people']} people screened, {len(summary['errors'])} rows skipped; "
          f"{summary['unclaimed']} entitlements not yet received ({where})")
    return 0


# --- reading the registry --------------------------------------------------------------------

def _connect():
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true; SET enable_progress_bar = false")
    return con


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except OSError as err:
        raise ScreenError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ScreenError(f"{path} is not UTF-8 text; save the registry as CSV UTF-8") from None
    if not header or not any(h.strip() for h in header):
        raise ScreenError(f"{path} has no header row")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ScreenError(f"{path}: the header names column {dupes[0]!r} twice")
    return header


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load_raw(con, path: Path, progress: bool) -> tuple[list[str], list[tuple]]:
    """Table `raw`: every cell as text, and `line`, the CSV line of the record (for Parquet, the row
    number counted from 1). Returns the columns and the rows with more cells than the header."""
    import duckdb

    if not path.exists():
        raise ScreenError(f"cannot read {path}: No such file or directory")
    if _is_parquet(path):
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(path)})").fetchall()]
        except duckdb.Error as err:
            raise ScreenError(f"cannot read {path} as Parquet: {err}") from None
        cells = ", ".join(f"CAST({_quote(c)} AS VARCHAR) AS {_quote(c)}" for c in cols)
        _run(con, f"CREATE TEMP TABLE raw AS SELECT file_row_number + 1 AS z_line, {cells} "
                  f"FROM read_parquet({_lit(path)}, file_row_number = true)", "reading", progress)
        return cols, []
    header = _header(path)
    types = ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header)
    options = (f"header = true, columns = {{{types}}}, auto_detect = false, delim = ',', quote = '\"', "
               f"escape = '\"', null_padding = true, strict_mode = false, ignore_errors = false")
    try:
        _run(con, f"CREATE TEMP TABLE raw0 AS SELECT * FROM read_csv({_lit(path)}, {options})", "reading", progress)
    except duckdb.Error as err:
        if "unicode" in str(err).lower():
            raise ScreenError(f"{path} is not UTF-8 text; save the registry as CSV UTF-8") from None
        return _load_raw_slowly(con, path, header, progress)
    records = con.execute("SELECT count(*) FROM raw0").fetchone()[0]
    if _lines(path) != records + 1:  # blank lines, cells over several lines, ragged rows
        con.execute("DROP TABLE raw0")
        return _load_raw_slowly(con, path, header, progress)
    con.execute("CREATE TEMP TABLE raw AS SELECT rowid + 2 AS z_line, * FROM raw0")
    con.execute("DROP TABLE raw0")
    return header, []


def _lines(path: Path) -> int:
    """Lines in the file (a last line without its newline counts)."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _load_raw_slowly(con, path: Path, header: list[str], progress: bool) -> tuple[list[str], list[tuple]]:
    """A registry that is not one record per line: read by Python's csv module (as the python engine
    reads it), so that every line number is exact, and handed to DuckDB as a clean temporary file."""
    from rules.facts import ProfileError

    too_long = []
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "registry.csv"
        with path.open(encoding="utf-8-sig", newline="") as src, clean.open("w", encoding="utf-8", newline="") as dst:
            reader, writer = csv.reader(src), csv.writer(dst)
            next(reader)
            writer.writerow(["z_line", *header])
            for row in reader:
                if not row:
                    continue
                if len(row) > len(header):
                    err = ProfileError("row", row[len(header):], "the row has more cells than the header")
                    too_long.append((reader.line_num, str(err.value), str(err)))
                    row = row[:len(header)]
                writer.writerow([reader.line_num, *row, *[""] * (len(header) - len(row))])
        types = ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in ["z_line", *header])
        _run(con, f"CREATE TEMP TABLE raw AS SELECT CAST(z_line AS INTEGER) AS z_line, * EXCLUDE (z_line) FROM "
                  f"read_csv({_lit(clean)}, header = true, columns = {{{types}}}, auto_detect = false, "
                  f"delim = ',', quote = '\"', escape = '\"')", "reading", progress)
    return header, too_long


INLINE = 200  # distinct cells of a column up to which they are mapped by CASE rather than by a join


def _in(cell: str, cells: list[str]) -> str:
    return f"({cell} IN ({', '.join(_lit(c) for c in cells)}))" if cells else "FALSE"


def _lit(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _run(con, sql: str, desc: str, progress: bool):
    """Run one statement; on a long run, show DuckDB's own progress as a bar on standard error."""
    if not progress:
        return con.execute(sql)
    from tqdm import tqdm

    outcome: dict = {}

    def work():
        try:
            outcome["result"] = con.execute(sql)
        except BaseException as err:  # noqa: BLE001 (re-raised in the caller's thread)
            outcome["error"] = err

    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    with tqdm(total=100, desc=desc, unit="%", file=sys.stderr, leave=False,
              bar_format="{desc}: {percentage:3.0f}% |{bar}| {elapsed}") as bar:
        while thread.is_alive():
            thread.join(0.2)
            done = con.query_progress()
            if done > bar.n:
                bar.update(done - bar.n)
            else:
                bar.refresh()  # the elapsed time moves on even where DuckDB reports no share done
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


# --- the DuckDB engine -----------------------------------------------------------------------

class ScreenDuckDB:
    """The rules compiled to SQL, run by DuckDB over the whole registry."""

    def __init__(self, registry: Path, programs: list, as_of: date, progress: bool):
        from rules.facts import FACTS, ProfileError, parse_value
        from rules.model import load_programs
        from rules.sql import CompiledProgram

        self.programs, self.as_of, self.progress = programs, as_of, progress
        self.con = con = _connect()
        columns, too_long = _load_raw(con, registry, progress)
        all_ids = set(load_programs())
        # every column's distinct cells through the one parser of typed values
        dictionaries: dict[str, dict] = {}
        read = [c for c in columns if c != "id"]
        distinct = con.execute(f"SELECT {', '.join(f'list(DISTINCT {_quote(c)})' for c in read)} FROM raw").fetchone() \
            if read else ()
        for col, cells in zip(read, distinct):
            table = {}
            for cell in cells:
                if cell is None or not cell.strip():
                    continue
                try:
                    if col == "receiving":
                        value = parse_receiving(cell, all_ids)
                    elif col not in FACTS:
                        raise ProfileError(col, cell, "unknown column; allowed: " + ", ".join((*FACTS, *EXTRA_COLUMNS)))
                    else:
                        value = parse_value(col, cell)
                    table[cell] = (value, None)
                except ProfileError as err:
                    table[cell] = (None, (err.key, str(err.value), str(err)))
            dictionaries[col] = table
        regions = sorted({v for v, e in dictionaries.get("region", {}).values() if e is None})
        self.compiled = [CompiledProgram(p, as_of, regions) for p in programs]
        self._people(columns, dictionaries, too_long)

    def _people(self, columns: list[str], dictionaries: dict, too_long: list) -> None:
        """Table `people`: line, person, one typed column per fact, each programme's plan and whether
        it is received; z_err* for the first bad cell of a bad row (in header order, as parse_row)."""
        from rules.facts import FACTS
        from rules.sql import lit, sql_type

        con = self.con
        n_programs = len(self.compiled)
        select, joins, errors = ["r.z_line AS line"], [], []
        select.append("COALESCE(r.id, CAST(r.z_line AS VARCHAR)) AS person" if "id" in columns
                      else "CAST(r.z_line AS VARCHAR) AS person")
        for n, col in enumerate(c for c in columns if c in dictionaries):
            fact = col if col in FACTS else None
            # cell -> (value, error, plans, received): what the cell means, computed once per distinct cell;
            # a region's plans are each programme's rule plan, then each programme's amount plan
            meaning = {}
            for cell, (value, err) in dictionaries[col].items():
                plans = ([cp.plan_of(value) for cp in self.compiled] + [cp.amount_plan_of(value) for cp in self.compiled]
                         if fact == "region" and err is None else None)
                received = [cp.program.id in value for cp in self.compiled] if col == "receiving" and not err else None
                meaning[cell] = (value, err, plans, received)
            cell = f"r.{_quote(col)}"
            if len(meaning) <= INLINE:  # a few distinct cells: CASE expressions
                def case(pick, default="NULL"):
                    whens = " ".join(f"WHEN {_lit(c)} THEN {lit(v)}" for c, m in meaning.items()
                                     if (v := pick(m)) is not None)
                    return f"CASE {cell} {whens} ELSE {default} END" if whens else default
                expr = {"bad": _in(cell, [c for c, m in meaning.items() if m[1]]),
                        "efield": case(lambda m: m[1] and m[1][0]), "evalue": case(lambda m: m[1] and m[1][1]),
                        "emsg": case(lambda m: m[1] and m[1][2])}
                if fact:
                    expr["v"] = f"CAST({case(lambda m: m[0] if not m[1] else None)} AS {sql_type(fact)})"
                for i in range(n_programs):
                    expr[f"plan{i}"] = case(lambda m: m[2][i] if m[2] else None, "-1")
                    expr[f"aplan{i}"] = case(lambda m: m[2][n_programs + i] if m[2] else None, "-1")
                    expr[f"recv{i}"] = f"COALESCE({_in(cell, [c for c, m in meaning.items() if m[3] and m[3][i]])}, FALSE)"
            else:  # many (a national registry's regions): a join
                name = f"d{n}"
                cols = ["raw VARCHAR", "efield VARCHAR", "evalue VARCHAR", "emsg VARCHAR"]
                cols += [f"v {sql_type(fact).replace('STRING', 'VARCHAR')}"] if fact else []
                cols += [f"plan{i} INTEGER" for i in range(n_programs)] + [f"aplan{i} INTEGER" for i in range(n_programs)]
                cols += [f"recv{i} BOOLEAN" for i in range(n_programs)]
                con.execute(f"CREATE TEMP TABLE {name} ({', '.join(cols)})")
                con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", [
                    [c, *(m[1] or (None, None, None)), *([m[0] if not m[1] else None] if fact else []),
                     *(m[2] or [None] * 2 * n_programs), *(m[3] or [None] * n_programs)] for c, m in meaning.items()])
                joins.append(f"LEFT JOIN {name} ON {name}.raw = {cell}")
                expr = {k: f"{name}.{k}" for k in ("efield", "evalue", "emsg", "v")}
                expr["bad"] = f"({name}.emsg IS NOT NULL)"
                for i in range(n_programs):
                    expr[f"plan{i}"] = f"COALESCE({name}.plan{i}, -1)"
                    expr[f"aplan{i}"] = f"COALESCE({name}.aplan{i}, -1)"
                    expr[f"recv{i}"] = f"COALESCE({name}.recv{i}, FALSE)"
            errors.append((col, expr))
            if fact:
                select.append(f"{expr['v']} AS {fact}")
            if fact == "region":
                select += [f"{expr[f'plan{i}']} AS plan{i}" for i in range(n_programs)]
                select += [f"{expr[f'aplan{i}']} AS aplan{i}" for i in range(n_programs)]
            if col == "receiving":
                select += [f"{expr[f'recv{i}']} AS recv{i}" for i in range(n_programs)]
        present = set(columns)
        select += [f"CAST(NULL AS {sql_type(f)}) AS {f}" for f in FACTS if f not in present]
        if "region" not in present:
            select += [f"-1 AS plan{i}" for i in range(len(self.compiled))]
            select += [f"-1 AS aplan{i}" for i in range(len(self.compiled))]
        if "receiving" not in present:
            select += [f"FALSE AS recv{i}" for i in range(len(self.compiled))]
        # the first bad cell in header order; receiving is checked after every other column, as parse_row does
        errors.sort(key=lambda e: e[0] == "receiving")
        for part, key in (("efield", "z_err_field"), ("evalue", "z_err_value"), ("emsg", "z_err")):
            whens = " ".join(f"WHEN {e['bad']} THEN {e[part]}" for _, e in errors if e["bad"] != "FALSE")
            select.append(f"CASE {whens} END AS {key}" if whens else f"CAST(NULL AS VARCHAR) AS {key}")
        select.append(("r.id" if "id" in present else "CAST(NULL AS VARCHAR)") + " AS z_id")
        _run(con, f"CREATE TEMP TABLE people AS SELECT {', '.join(select)} FROM raw r {' '.join(joins)}",
             "checking", self.progress)
        con.execute("DROP TABLE raw")
        if too_long:  # rows with more cells than the header: bad when no cell before was
            con.execute("CREATE TEMP TABLE too_long (line INTEGER, value VARCHAR, message VARCHAR)")
            con.executemany("INSERT INTO too_long VALUES (?, ?, ?)", too_long)
            con.execute("UPDATE people SET z_err_field = 'row', z_err_value = t.value, z_err = t.message "
                        "FROM too_long t WHERE t.line = people.line AND people.z_err IS NULL")

    def results_sql(self) -> str:
        """The results of every programme, from the compiled SQL (the ordering patterns prepared first)."""
        parts = []
        for i, cp in enumerate(self.compiled):
            prepare, results = cp.steps("(SELECT * FROM people WHERE z_err IS NULL)", f"plan{i}", f"recv{i}", f"z{i}",
                                        f"aplan{i}")
            for statement in prepare:
                _run(self.con, statement, f"patterns {cp.program.id}", self.progress)
            parts.append(results)
        return " UNION ALL ".join(parts)

    def errors_sql(self) -> str:
        return ("SELECT line, z_id AS id, z_err_field AS field, z_err_value AS value, z_err AS message "
                "FROM people WHERE z_err IS NOT NULL ORDER BY line")

    def people(self) -> int:
        return self.con.execute("SELECT count(*) FROM people WHERE z_err IS NULL").fetchone()[0]

    def write(self, out: Path, fmt: str) -> dict:
        _rules_table(self.con, self.programs, self.as_of)
        self.con.execute(f"CREATE TEMP TABLE errors AS {self.errors_sql()}")
        return _write(self.con, self.results_sql(), out, fmt, self.people(), self.progress)


# --- the python engine (the reference) -------------------------------------------------------

class ScreenPython:
    """rules.engine.evaluate(), person by person."""

    def __init__(self, registry: Path, programs: list, as_of: date, progress: bool):
        self.registry, self.programs, self.as_of, self.progress = registry, programs, as_of, progress

    def _rows(self):
        """(line, row as a dict of cells) in file order."""
        if _is_parquet(self.registry):
            con = _connect()
            if not self.registry.exists():
                raise ScreenError(f"cannot read {self.registry}: No such file or directory")
            cur = con.execute(f"SELECT * FROM read_parquet({_lit(self.registry)}, file_row_number = true) "
                              f"ORDER BY file_row_number")
            names = [d[0] for d in cur.description]
            while batch := cur.fetchmany(10000):
                for values in batch:
                    row = {k: (None if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                           for k, v in zip(names, values) if k != "file_row_number"}
                    yield values[names.index("file_row_number")] + 1, row
            return
        _header(self.registry)
        with self.registry.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, row

    def write(self, out: Path, fmt: str) -> dict:
        from tqdm import tqdm

        from rules.engine import evaluate_program
        from rules.facts import ProfileError
        from rules.model import Amount, load_programs
        from rules.sql import figures_of

        catalogue = set(load_programs())
        outcomes = {}
        for program in self.programs:
            for layer in program.layers:
                for o in layer.outcomes:
                    outcomes[o.where] = o
        con = _connect()
        people = 0
        with tempfile.TemporaryDirectory() as tmp:
            results_csv, errors_csv = Path(tmp) / "results.csv", Path(tmp) / "errors.csv"
            with results_csv.open("w", newline="", encoding="utf-8") as rf, \
                    errors_csv.open("w", newline="", encoding="utf-8") as ef, \
                    tqdm(desc="screening", unit=" people", disable=not self.progress, file=sys.stderr) as bar:
                results, errors = csv.writer(rf), csv.writer(ef)
                try:
                    for line, row in self._rows():
                        bar.update(1)
                        try:
                            profile, receiving = parse_row(row, catalogue)
                        except ProfileError as err:
                            errors.writerow([line, row.get("id"), err.key, str(err.value), str(err)])
                            continue
                        people += 1
                        person = row.get("id") or str(line)
                        for program in self.programs:
                            r = evaluate_program(program, profile, self.as_of)
                            outcome = outcomes.get(r.rule)
                            figures = figures_of(outcome.details, profile) if outcome and r.verdict != "need_info" else None
                            amount = Amount.from_details(r.details) if r.verdict == "eligible" else None
                            owed = (amount.yuan, amount.as_of.isoformat()) if amount and amount.yuan is not None \
                                else (None, None)
                            results.writerow([line, person, r.program, r.verdict, json.dumps(r.missing),
                                              r.rule, r.source_status, r.program in receiving, figures, *owed])
                except UnicodeDecodeError:
                    raise ScreenError(f"{self.registry} is not UTF-8 text; save the registry as CSV UTF-8") from None
            for name, path, cols in (("results", results_csv, RESULTS), ("errors", errors_csv, ERRORS)):
                types = ", ".join(f"'{c}': '{t.replace('STRING', 'VARCHAR')}'" for c, t in cols)
                con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM read_csv({_lit(path)}, header = false, "
                            f"columns = {{{types}}}, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                            f"nullstr = '')")
        _rules_table(con, self.programs, self.as_of)
        return _write(con, "SELECT * FROM results", out, fmt, people, self.progress)


# --- writing ---------------------------------------------------------------------------------

def _rules_table(con, programs: list, as_of: date) -> None:
    from rules.sql import RULE_COLUMNS, rule_catalogue

    con.execute(f"CREATE OR REPLACE TEMP TABLE rules ({', '.join(c + ' VARCHAR' for c in RULE_COLUMNS)})")
    con.executemany(f"INSERT INTO rules VALUES ({', '.join('?' * len(RULE_COLUMNS))})",
                    [[r[c] for c in RULE_COLUMNS] for r in rule_catalogue(programs, as_of)])


def _remove(path: Path, *suffixes: str) -> None:
    for p in [path, *(path.with_name(path.name + s) for s in suffixes)]:
        if p.exists():
            p.unlink()


def _write(con, results: str, out: Path, fmt: str, people: int, progress: bool) -> dict:
    """Write results (a query), errors and rules to OUT; the summary for the caller to print."""
    errors = [(line, msg) for line, msg in con.execute("SELECT line, message FROM errors ORDER BY line").fetchall()]
    ordered = results  # programme by programme, each in the registry's order
    if fmt == "parquet":
        _remove(out)
        _run(con, f"COPY ({ordered}) TO {_lit(out)} (FORMAT parquet)", "screening", progress)
        for name in ("errors", "rules"):
            side = out.with_name(f"{out.stem}.{name}.parquet")
            con.execute(f"COPY {name} TO {_lit(side)} (FORMAT parquet)")
        unclaimed = con.execute(f"SELECT count(*) FROM read_parquet({_lit(out)}) "
                                f"WHERE verdict = 'eligible' AND NOT receiving").fetchone()[0]
    elif fmt == "duckdb":
        _remove(out, ".wal")
        con.execute(f"ATTACH {_lit(out)} AS z_out")
        _run(con, f"CREATE TABLE z_out.results AS {ordered}", "screening", progress)
        con.execute("CREATE TABLE z_out.errors AS SELECT * FROM errors")
        con.execute("CREATE TABLE z_out.rules AS SELECT * FROM rules")
        con.execute("USE z_out")
        for name, sql in VIEWS.items():
            con.execute(f"CREATE VIEW {name} AS {sql}")
        unclaimed = con.execute("SELECT count(*) FROM unclaimed").fetchone()[0]
        con.execute("USE memory")
        con.execute("DETACH z_out")
    else:
        unclaimed = _write_sqlite(con, ordered, out, progress)
    return {"people": people, "errors": errors, "unclaimed": unclaimed}


def _write_sqlite(con, results: str, out: Path, progress: bool) -> int:
    import sqlite3

    _remove(out, "-journal", "-wal", "-shm")
    db = sqlite3.connect(out)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    types = {"STRING": "TEXT", "BOOLEAN": "INTEGER", "INTEGER": "INTEGER", "DOUBLE": "REAL"}
    from rules.sql import RULE_COLUMNS

    for name, cols in (("results", RESULTS), ("errors", ERRORS), ("rules", [(c, "STRING") for c in RULE_COLUMNS])):
        db.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {types[t]}' for c, t in cols)})")
    unclaimed = 0
    cur = _run(con, results, "screening", progress)
    insert = f"INSERT INTO results VALUES ({', '.join('?' * len(RESULTS))})"
    verdict, receiving = [c for c, _ in RESULTS].index("verdict"), [c for c, _ in RESULTS].index("receiving")
    while batch := cur.fetchmany(100_000):
        db.executemany(insert, batch)
        unclaimed += sum(1 for row in batch if row[verdict] == "eligible" and not row[receiving])
    for name, cols in (("errors", ERRORS), ("rules", [(c, "") for c in RULE_COLUMNS])):
        rows = con.execute(f"SELECT * FROM {name}").fetchall()
        db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", rows)
    db.execute("CREATE INDEX results_program_verdict ON results (program, verdict)")
    for name, sql in VIEWS.items():
        db.execute(f"CREATE VIEW {name} AS {sql}")
    db.commit()
    db.close()
    return unclaimed
