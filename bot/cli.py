"""zhucan: disability benefits, explained.

  zhucan check PROFILE.json          is this person eligible, and why (--json for machines)
  zhucan check --region 太原 --grade 1 --category physical --certificate yes
  zhucan screen REGISTRY.csv --out results.db
                                     a whole registry: who is entitled but not yet receiving
                                     (--engine duckdb|python; --out .db, .duckdb or .parquet)
  zhucan ask                         answer the questions the rules need, one at a time
  zhucan rules lint                  check every rule against its source
  zhucan rules table                 every province's amounts in force, with sources (docs/amounts.md)
  zhucan sources search 渐退期        find the clauses of the source documents
  zhucan kb build                    build the SQLite knowledge base
  zhucan chat | serve | telegram     talk to the bot (terminal, REST server, Telegram)

Imports stay lazy: `zhucan check` must answer in well under half a second.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path



def fact_options() -> dict[str, list[str]]:
    """The command-line options of each profile fact: its short form (knowledge/facts.yaml `option`,
    what a caseworker types: --grade, --care) and its full name (--disability-grade)."""
    from rules.facts import FACTS

    out = {}
    for name, fact in FACTS.items():
        full = "--" + name.replace("_", "-")
        out[name] = list(dict.fromkeys(o for o in (fact.option, full) if o))
    return out


class UsageError(Exception):
    """Bad input from the command line: exit 2 with this message."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def read_profile(args) -> dict:
    from rules.facts import parse_value, validate_profile

    data: dict = {}
    if args.profile:
        try:
            text = sys.stdin.read() if args.profile == "-" else open(args.profile, encoding="utf-8").read()
        except OSError as err:
            raise UsageError(f"cannot read profile {args.profile}: {err.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(f"profile {args.profile} is not valid JSON: {err.msg} at line {err.lineno}") from None
        if not isinstance(data, dict):
            raise UsageError("profile: a profile is a JSON object of facts, e.g. {\"age\": 5}")
    for fact in fact_options():
        value = getattr(args, fact, None)
        if value is not None:
            data[fact] = parse_value(fact, value)
    return validate_profile(data)


def cmd_check(args) -> int:
    from rules.engine import evaluate

    profile = read_profile(args)
    report = evaluate(profile, args.program or None, args.as_of).to_json()
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from bot.conversation.render import render_report

        print(render_report(report))
    return 0


def cmd_screen(args) -> int:
    from bot.screening.screen import screen

    return screen(args.registry, args.out, args.as_of, args.program or None, progress=not args.quiet,
                  engine=args.engine)


def cmd_ask(args) -> int:
    from bot.caseworker.ask import ask_loop

    return ask_loop(args.as_of, args.program or None)


def cmd_table(args) -> int:
    from rules.table import OUT, markdown

    text = markdown(args.as_of or date.today())
    if args.out == "-":
        sys.stdout.write(text)
    else:
        out = Path(args.out) if args.out else OUT
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}")
    return 0


def cmd_lint(args) -> int:
    from rules.lint import lint

    problems = lint()
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("rules lint: every quote found, every rule and amount dated, no conflicts, no gaps")
    return 0


def cmd_sources_search(args) -> int:
    from knowledge.kb import search

    hits = search(" ".join(args.query), db_path=args.db, limit=args.limit)
    if not hits:
        print("没有找到相关条文。")
        return 1
    for hit in hits:
        print(f"{hit['title']} {hit['section']}\n{hit['text']}\n")
    return 0


def cmd_kb_build(args) -> int:
    from knowledge.kb import build
    from rules.model import write_rules

    path = build(args.db, more=[write_rules])
    print(f"knowledge base written to {path}")
    return 0


# Commands whose options belong to another module's parser: `zhucan serve --port 5006` is
# bot.plumbing.serve's `--port 5006`. They are handed over before zhucan's own parser sees them (argparse's
# REMAINDER refuses a remainder that starts with an option).
DELEGATED = {"chat": ("bot.channels.chat", "talk to the bot in the terminal"),
             "serve": ("bot.plumbing.serve", "the REST server of CONTRACT.md section 4"),
             "telegram": ("bot.channels.telegram", "the Telegram front end")}


def _delegate(command: str, rest: list[str]) -> int:
    import importlib

    return importlib.import_module(DELEGATED[command][0]).main(rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhucan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="is this person eligible, and why",
                           description="Answer every programme (or those named) for one person. Facts come "
                                       "from a JSON profile (CONTRACT.md section 1) and/or options; options win.")
    check.add_argument("profile", nargs="?", help="a JSON file, or - for standard input")
    check.add_argument("--json", action="store_true", help="print the verdict JSON of CONTRACT.md section 3")
    _common(check)
    facts = check.add_argument_group("facts", "each also accepts Chinese words: --category 肢体 --household 低保")
    for fact, flags in fact_options().items():
        facts.add_argument(*flags, dest=fact, metavar="VALUE")
    check.set_defaults(run=cmd_check)

    screen = sub.add_parser("screen", help="screen a whole registry (CSV or Parquet)",
                            description="One row per person and programme with the verdict, the missing facts and "
                                        "the deciding rule. Columns are profile keys (plus an optional person id "
                                        "column 'id' and 'receiving'); bad rows are reported with their line number "
                                        "and skipped.")
    screen.add_argument("registry", help="a CSV file with a header row of profile keys, or a Parquet file")
    screen.add_argument("--out", required=True,
                        help="the file to write: .db SQLite, .duckdb DuckDB, .parquet Parquet (table results)")
    screen.add_argument("--engine", choices=("duckdb", "python"), default="duckdb",
                        help="duckdb: the rules compiled to SQL (default); python: the engine, person by person")
    screen.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(screen)
    screen.set_defaults(run=cmd_screen)

    ask = sub.add_parser("ask", help="answer the questions the rules need, one at a time")
    _common(ask)
    ask.set_defaults(run=cmd_ask)

    rules = sub.add_parser("rules", help="the rule base").add_subparsers(dest="what", required=True)
    rules.add_parser("lint", help="every quote in its clause, no conflicts, no gaps").set_defaults(run=cmd_lint)
    table = rules.add_parser("table", help="every province's amounts in force, with their sources (docs/amounts.md)")
    table.add_argument("--as-of", type=_date, default=None, help="the day (default: today)")
    table.add_argument("--out", default=None, help="where to write it (default: docs/amounts.md; - for standard output)")
    table.set_defaults(run=cmd_table)

    sources = sub.add_parser("sources", help="the source documents").add_subparsers(dest="what", required=True)
    search = sources.add_parser("search", help="full-text search of the clauses (Chinese is segmented)")
    search.add_argument("query", nargs="+")
    search.add_argument("--db", default=None, help="knowledge base (default: knowledge/zhucan.db, built if missing)")
    search.add_argument("--limit", type=int, default=10)
    search.set_defaults(run=cmd_sources_search)

    kb = sub.add_parser("kb", help="the SQLite knowledge base").add_subparsers(dest="what", required=True)
    kb_build = kb.add_parser("build", help="(re)build it from the sources, rules, gazetteer and lexicon")
    kb_build.add_argument("--db", default=None)
    kb_build.set_defaults(run=cmd_kb_build)

    for name, (_, text) in DELEGATED.items():  # listed in the help; run by main() before parsing
        sub.add_parser(name, help=text + f" (zhucan {name} --help for its options)", add_help=False)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD", help="the date to answer for (default: today)")
    p.add_argument("--program", action="append", metavar="ID",
                   help="a programme id (repeatable): living_subsidy care_subsidy dibao_gradual_exit "
                        "child_rehab_aid dibao_individual; default all")


def main(argv: list[str] | None = None) -> int:
    from rules.engine import UnknownProgram
    from rules.facts import ProfileError

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:
        return _delegate(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if getattr(args, "as_of", 0) is None:
        args.as_of = date.today()
    try:
        return args.run(args)
    except ProfileError as err:
        print(f"zhucan: bad profile: {err}", file=sys.stderr)
        return 2
    except (UsageError, UnknownProgram) as err:
        print(f"zhucan: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
