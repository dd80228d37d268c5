"""The rule base as data: one YAML file per programme under rules/programs/.

A programme file holds layers. A layer is what one document says about the programme for one place
(national, province, city or district) over the document's period. For a person, the layers of every
place that contains them are stacked, the most specific first, and read as one decision list:

    requires   every layer's hard conditions (a false one: ineligible, with its reason)
    cases      the most specific layer's cases first, then its parent's, ...
    otherwise  the most specific layer's fallback
    unless     every layer's exceptions, read only after a grant (eligible or refer): they can take
               a grant away (特困供养 → refer), never give one, so nobody is asked about them in vain

Conditions are small mappings that read like the source:
    {household: dibao}                      equal
    {disability_grade: [1, 2]}              one of
    {age: {le: 6}}                          compare: lt le gt ge
    {all: [...]}, {any: [...]}, {not: ...}  combine; a mapping with several facts means all of them
Every outcome cites the clause it comes from with the source's own words; `zhucan rules lint` checks
that each quote really occurs in the cited clause.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .facts import FACTS, ProfileError, check_value

PROGRAMS_DIR = Path(__file__).with_name("programs")
NATIONAL = "000000"
VERDICTS = ("eligible", "ineligible", "need_info", "refer")
COMPARATORS = ("lt", "le", "gt", "ge")


class RuleError(ValueError):
    """A rule file that cannot be read; the message names the file and the offending entry."""


# --- conditions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Atom:
    fact: str
    op: str  # eq | in | lt | le | gt | ge
    operand: Any

    def test(self, value: Any) -> bool:
        if self.op == "eq":
            return value == self.operand
        if self.op == "in":
            return value in self.operand
        return {"lt": value < self.operand, "le": value <= self.operand,
                "gt": value > self.operand, "ge": value >= self.operand}[self.op]


@dataclass(frozen=True)
class Op:
    kind: str  # all | any | not
    parts: tuple


Condition = Atom | Op


def parse_condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict) or not raw:
        raise RuleError(f"{where}: a condition is a non-empty mapping, got {raw!r}")
    parts: list[Condition] = []
    for key, value in raw.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise RuleError(f"{where}: '{key}' takes a non-empty list")
            parts.append(Op(key, tuple(parse_condition(v, where) for v in value)))
        elif key == "not":
            parts.append(Op("not", (parse_condition(value, where),)))
        elif key in FACTS:
            parts.extend(_atoms(key, value, where))
        else:
            raise RuleError(f"{where}: unknown fact or operator '{key}'")
    return parts[0] if len(parts) == 1 else Op("all", tuple(parts))


def _atoms(fact: str, value: Any, where: str) -> list[Atom]:
    def ok(v: Any) -> Any:
        try:
            return check_value(fact, v) if fact != "region" else v
        except ProfileError as err:
            raise RuleError(f"{where}: {err}") from err

    if isinstance(value, list):
        return [Atom(fact, "in", tuple(ok(v) for v in value))]
    if isinstance(value, dict):
        bad = set(value) - set(COMPARATORS)
        if bad or not value:
            raise RuleError(f"{where}: {fact} compares with {', '.join(COMPARATORS)}, not {sorted(bad)}")
        return [Atom(fact, op, ok(v)) for op, v in value.items()]
    return [Atom(fact, "eq", ok(value))]


def condition_facts(cond: Condition) -> set[str]:
    if isinstance(cond, Atom):
        return {cond.fact}
    return set().union(*(condition_facts(p) for p in cond.parts))


def condition_atoms(cond: Condition) -> list[Atom]:
    if isinstance(cond, Atom):
        return [cond]
    return [a for p in cond.parts for a in condition_atoms(p)]


# --- details: figures computed from facts ("6 - months_above_line") ---------------------------

_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.Add, ast.Sub, ast.Constant, ast.Name, ast.Call,
                  ast.Load, ast.USub, ast.UnaryOp)


def compile_figure(text: str, where: str):
    """A detail written as arithmetic on facts, e.g. "= max(0, 6 - months_above_line)"."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise RuleError(f"{where}: cannot read figure {text!r}") from err
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise RuleError(f"{where}: figure {text!r} may only use + - max min and facts")
        if isinstance(node, ast.Name) and node.id not in FACTS and node.id not in ("max", "min"):
            raise RuleError(f"{where}: figure {text!r} names unknown fact {node.id!r}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) not in ("max", "min"):
            raise RuleError(f"{where}: figure {text!r} may only call max and min")
    code = compile(tree, where, "eval")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"max", "min"}

    def figure(profile: dict) -> Any:
        if not names <= profile.keys():
            return None
        return eval(code, {"__builtins__": {}, "max": max, "min": min}, dict(profile))  # noqa: S307 (checked above)

    figure.source = text  # the arithmetic as written, for rules/sql.py to compile
    return figure


# --- rules ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cite:
    doc: str
    section: str
    quote: str


@dataclass(frozen=True)
class Outcome:
    """What a rule concludes when its condition holds, with its reason and its source."""
    verdict: str
    reason: str
    cites: tuple[Cite, ...]
    details: tuple = ()  # ((key, constant or figure), ...)
    ask: str | None = None  # who to ask, for refer
    where: str = ""  # file and position, for lint messages

    def figures(self, profile: dict) -> dict:
        out = {}
        for key, value in self.details:
            out[key] = value(profile) if callable(value) else value
        return out


@dataclass(frozen=True)
class Case:
    when: Condition
    outcome: Outcome
    since: date | None = None  # a case added by a later document than its layer's
    # For an exception resting on local practice rather than the source's own words: when its facts are
    # unknown it is not asked about; the answer stands and says this sentence instead.
    unknown_note: str | None = None


@dataclass(frozen=True)
class Requirement:
    condition: Condition
    outcome: Outcome  # the ineligible outcome when the condition is false


@dataclass(frozen=True)
class Note:
    """A place's words that add no condition but belong beside the answer (a plan's commitment)."""
    text: str
    cites: tuple[Cite, ...]
    on: tuple[str, ...]  # verdicts it accompanies


@dataclass(frozen=True)
class Layer:
    program: str
    place: str
    doc: str
    valid_from: date | None
    valid_to: date | None
    requires: tuple[Requirement, ...] = ()
    unless: tuple[Case, ...] = ()
    cases: tuple[Case, ...] = ()
    otherwise: Outcome | None = None
    notes: tuple[Note, ...] = ()
    where: str = ""

    def starts_by(self, as_of: date) -> bool:
        return self.valid_from is None or self.valid_from <= as_of

    def current(self, as_of: date) -> bool:
        return self.starts_by(as_of) and (self.valid_to is None or as_of <= self.valid_to)


@dataclass(frozen=True)
class Program:
    id: str
    title: str
    apply: str | None
    apply_cites: tuple[Cite, ...]
    layers: tuple[Layer, ...]
    path: Path = field(compare=False, default=Path())


KEYS = {
    "layer": {"place", "doc", "valid_from", "valid_to", "requires", "unless", "cases", "otherwise", "notes"},
    "requires": {"if", "else", "cite"},
    "case": {"when", "verdict", "reason", "cite", "details", "ask", "since", "unknown_note"},
    "otherwise": {"verdict", "reason", "cite", "details", "ask"},
    "note": {"text", "cite", "shown_with"},
}


def _keys(raw: Any, kind: str, where: str) -> dict:
    """A mapping with only the keys its kind allows: a typo is an error, never silently ignored."""
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: expected a mapping, got {raw!r}")
    unknown = set(map(str, raw)) - KEYS[kind]
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(KEYS[kind])}")
    return raw


def _cites(raw: Any, where: str) -> tuple[Cite, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [raw]
    out = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict) or set(c) != {"doc", "section", "quote"}:
            raise RuleError(f"{where}: cite #{i + 1} needs exactly doc, section and quote")
        out.append(Cite(str(c["doc"]), str(c["section"]), str(c["quote"])))
    return tuple(out)


def _outcome(raw: dict, where: str, verdict: str | None = None) -> Outcome:
    verdict = verdict or raw.get("verdict")
    if verdict not in ("eligible", "ineligible", "refer"):
        raise RuleError(f"{where}: verdict must be eligible, ineligible or refer, got {verdict!r}")
    reason = raw.get("reason") or raw.get("else")
    if not reason:
        raise RuleError(f"{where}: every outcome needs a reason in plain Chinese")
    cites = _cites(raw.get("cite"), where)
    if not cites:
        raise RuleError(f"{where}: every outcome cites its source")
    details = []
    for key, value in (raw.get("details") or {}).items():
        # "= 6 - months_above_line" is a figure computed from facts; anything else is a constant
        if isinstance(value, str) and value.startswith("="):
            value = compile_figure(value[1:].strip(), where)
        elif isinstance(value, date):
            value = value.isoformat()
        details.append((key, value))
    if verdict == "refer" and not raw.get("ask"):
        raise RuleError(f"{where}: a refer outcome says who to ask ('ask')")
    return Outcome(verdict, reason.strip(), cites, tuple(details), raw.get("ask"), where)


def _date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    raise RuleError(f"{where}: dates are written YYYY-MM-DD, got {value!r}")


def load_program(path: Path, documents: dict | None = None) -> Program:
    """Read one programme file. Layer dates default to the cited document's period."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise RuleError(f"{path.name}: not valid YAML: {err}") from err
    if not isinstance(raw, dict) or "program" not in raw or "layers" not in raw:
        raise RuleError(f"{path.name}: needs 'program' and 'layers'")
    pid = raw["program"]
    if documents is None:
        from knowledge.sources import load_documents
        documents = load_documents()
    layers = []
    for i, lr in enumerate(raw["layers"]):
        where = f"{path.name} layer {i + 1}"
        _keys(lr, "layer", where)
        doc = lr.get("doc")
        if doc not in documents:
            raise RuleError(f"{where}: unknown document {doc!r}")
        d = documents[doc]
        place = str(lr.get("place", d.place))
        if place == "national":
            place = NATIONAL
        layers.append(Layer(
            program=pid, place=place, doc=doc,
            valid_from=_date(lr.get("valid_from", d.valid_from), where),
            valid_to=_date(lr.get("valid_to", d.valid_to), where),
            requires=tuple(
                Requirement(parse_condition(_keys(r, "requires", f"{where} requires {j + 1}")["if"],
                                            f"{where} requires {j + 1}"),
                            _outcome(r, f"{where} requires {j + 1}", "ineligible"))
                for j, r in enumerate(lr.get("requires") or [])),
            unless=tuple(_case(c, f"{where} unless {j + 1}") for j, c in enumerate(lr.get("unless") or [])),
            cases=tuple(_case(c, f"{where} case {j + 1}") for j, c in enumerate(lr.get("cases") or [])),
            otherwise=(_outcome(_keys(lr["otherwise"], "otherwise", f"{where} otherwise"), f"{where} otherwise")
                       if lr.get("otherwise") else None),
            notes=tuple(Note(_keys(n, "note", f"{where} note {j + 1}")["text"].strip(), _cites(n.get("cite"), f"{where} note {j + 1}"),
                             tuple(n.get("shown_with") or VERDICTS))
                        for j, n in enumerate(lr.get("notes") or [])),
            where=where,
        ))
    return Program(pid, raw.get("title", pid), raw.get("apply"),
                   _cites(raw.get("apply_cite"), f"{path.name} apply"), tuple(layers), path)


def _case(raw: dict, where: str) -> Case:
    _keys(raw, "case", where)
    if "when" not in raw:
        raise RuleError(f"{where}: a case needs 'when'")
    return Case(parse_condition(raw["when"], where), _outcome(raw, where), _date(raw.get("since"), where),
                raw.get("unknown_note"))


@lru_cache(maxsize=4)
def load_programs(directory: Path = PROGRAMS_DIR) -> dict[str, Program]:
    programs = {}
    for path in sorted(directory.glob("*.yaml")):
        p = load_program(path)
        if p.id in programs:
            raise RuleError(f"{path.name}: programme {p.id} is defined twice")
        programs[p.id] = p
    return programs
