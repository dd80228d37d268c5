"""The rule base as data: one YAML file per programme under rules/programs/ (the national rules and the
five plan places'), one per province under rules/places/ (a province's own rules for any programme), and
the amounts as dated parameters under rules/parameters/ (rules/parameters.py).

A programme file holds layers; a place file holds, per programme, the layers of its place. A layer is what one document says about the programme for one place
(national, province, city or district) over a period that starts no earlier than the day the document
was issued (`zhucan rules lint` checks it). For a person on a date, the layers in force on that date at
every place that contains them are stacked, the most specific first, and read as one decision list:

    requires   every layer's hard conditions (a false one: ineligible, with its reason)
    cases      the most specific layer's cases first, then its parent's, ...
    otherwise  the most specific layer's fallback
    unless     every layer's exceptions, read only after a grant (eligible or refer): they can take
               a grant away (特困供养 → refer), never give one, so nobody is asked about them in vain

A layer whose period has ended never decides: an expired plan cannot outrank a text still in force.
What it said is told as history beside the answer. Before any layer is in force (a date before the
national rule existed) the answer is refer: "no rule recorded yet" is not "no".

Amounts are kept apart from who qualifies, as parameters (rules/parameters/<programme>/<place>.yaml):
a timeline of what documents say a place pays, each period from a date no earlier than its document
(the day the figure took effect, or the day of the page that states it when that is not said), group by
group, each figure with its quote. For a person the most specific place with a period in force whose
figure fits them gives the amount (a typed `Amount`); it is told with its date, its page and what kind
of page that is (the issuing body's text, an official page, a repost, a dataset's record).

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

from knowledge.yamlfile import load_text

from .facts import FACTS, ProfileError, check_value

PROGRAMS_DIR = Path(__file__).with_name("programs")
PLACES_DIR = Path(__file__).with_name("places")
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
    apply: str | None = None  # how to apply while this layer is in force (else the programme's)
    apply_cites: tuple[Cite, ...] = ()

    def starts_by(self, as_of: date) -> bool:
        return self.valid_from is None or self.valid_from <= as_of

    def current(self, as_of: date) -> bool:
        return self.starts_by(as_of) and (self.valid_to is None or as_of <= self.valid_to)

    def ended(self, as_of: date) -> bool:
        return self.valid_to is not None and self.valid_to < as_of

    @property
    def decisive(self) -> bool:
        return bool(self.requires or self.unless or self.cases or self.otherwise)

    @property
    def conditions(self) -> list:
        """Every condition the layer reads: its requirements, exceptions and cases."""
        return [r.condition for r in self.requires] + [c.when for c in self.unless + self.cases]

    @property
    def outcomes(self) -> list:
        """Every outcome the layer can give, its fallback included."""
        return ([r.outcome for r in self.requires] + [c.outcome for c in self.unless + self.cases]
                + ([self.otherwise] if self.otherwise else []))


@dataclass(frozen=True)
class Figure:
    """One amount a place pays, for the people its condition fits: a sum, tiers, or a share of the local
    低保 standard."""
    when: Condition
    cite: Cite
    yuan: int | float | None = None
    options: tuple[tuple[str, int | float], ...] = ()  # ((label, yuan), ...) when it depends on a tier
    share: float | None = None  # 0.3: 30% of the local 低保 standard, when the source gives a share
    group: str = ""  # who it is for, as the parameter names the group ("一级残疾人")
    where: str = ""


DATE_KINDS = ("took_effect", "stated_on")


@dataclass(frozen=True)
class AmountEntry:
    """What one document says a place pays, over one period of a parameter's timeline: from the day the
    figures took effect (took_effect; never before the document existed) or, when that is not said, the
    day of the page that states them (stated_on). `effective`: the earlier day the document says its
    figures apply from, when it applies them back (a notice of August applying from July)."""
    place: str
    doc: str
    valid_from: date
    date_kind: str
    figures: tuple[Figure, ...]
    valid_to: date | None = None
    where: str = ""
    effective: date | None = None

    def current(self, as_of: date) -> bool:
        return self.valid_from <= as_of and (self.valid_to is None or as_of <= self.valid_to)


@dataclass(frozen=True)
class Amount:
    """The monthly amount one person's place pays them under one programme on one date: the typed
    answer to "how much" (rules.engine.amount_for), with where the figure comes from."""
    program: str
    place: str
    group: str
    since: date  # the day this figure answers from (its period's start)
    date_kind: str  # took_effect | stated_on
    doc: str
    source: str  # the document, as cited
    source_kind: str  # knowledge.sources.SOURCE_KINDS
    url: str | None
    cite: Cite
    yuan: int | float | None = None
    tiers: tuple[tuple[str, int | float], ...] = ()
    share: float | None = None
    effective: date | None = None  # the earlier day its document applies it from, if it says so

    @property
    def as_of(self) -> date:
        """The day the figure took effect, as its document says."""
        return self.effective or self.since

    def to_details(self) -> dict:
        """The figure as a result's details (CONTRACT.md section 2: amount_yuan_per_month, amount_as_of,
        amount_source), with how it is dated and what kind of page it comes from."""
        out: dict = {}
        if self.yuan is not None:
            out["amount_yuan_per_month"] = self.yuan
        elif self.tiers:
            out["amount_options"] = [{"label": label, "yuan_per_month": yuan} for label, yuan in self.tiers]
        elif self.share is not None:
            out["amount_share_of_dibao_line"] = self.share
        out.update({"amount_as_of": self.as_of.isoformat(), "amount_date_kind": self.date_kind,
                    "amount_place": self.place, "amount_doc": self.doc, "amount_source": self.source,
                    "amount_source_kind": self.source_kind, "amount_url": self.url})
        if self.effective:
            out["amount_stated_from"] = self.since.isoformat()
        return out

    @classmethod
    def from_details(cls, details: dict, program: str = "") -> "Amount | None":
        """The amount a result's details carry (a result read back from JSON), or None."""
        if not details or "amount_as_of" not in details:
            return None
        as_of = date.fromisoformat(details["amount_as_of"])
        stated = details.get("amount_stated_from")
        tiers = tuple((o["label"], o["yuan_per_month"]) for o in details.get("amount_options") or [])
        return cls(program, details.get("amount_place", ""), "", date.fromisoformat(stated) if stated else as_of,
                   details.get("amount_date_kind", "took_effect"), details.get("amount_doc", ""),
                   details.get("amount_source", ""),
                   details.get("amount_source_kind", ""), details.get("amount_url"), Cite("", "", ""),
                   details.get("amount_yuan_per_month"), tiers, details.get("amount_share_of_dibao_line"),
                   as_of if stated else None)


# What a 办事清单 line can be about: where to apply, what to bring, who may apply on the person's
# behalf, what the office checks itself, how long it takes, from when it is paid, applying away from the
# 户籍, the yearly review, and what to do if it is refused or stopped.
TOPICS = ("where", "bring", "on_behalf", "office_checks", "how_long", "payment", "elsewhere", "review",
          "refused")


@dataclass(frozen=True)
class Step:
    """One line of a programme's 办事清单: our plain sentence, with the words of the text that says it, or
    (`unstated`) the honest sentence that no text in reach says it and who to ask."""
    topic: str
    text: str
    cites: tuple[Cite, ...]
    unstated: bool = False
    where: str = ""


@dataclass(frozen=True)
class Program:
    id: str
    title: str
    apply: str | None
    apply_cites: tuple[Cite, ...]
    layers: tuple[Layer, ...]
    path: Path = field(compare=False, default=Path())
    amounts: tuple[AmountEntry, ...] = ()
    # When a person names no programme, this one is asked about only once this condition is true (低保
    # 渐退期 only where someone works or the income rose); None: always. Its verdict is still given.
    ask_when: Condition | None = None
    short_title: str = ""  # for the one-line summary ("护理补贴"); the title when not given
    parameters: tuple = ()  # the parameter files its amounts come from (rules.parameters.Parameter)
    procedure: tuple[Step, ...] = ()  # the 办事清单: where, what to bring, how long, if refused


KEYS = {
    "program": {"program", "title", "short_title", "ask_when", "apply", "apply_cite", "layers", "procedure"},
    "step": {"topic", "text", "cite", "unstated"},
    "layer": {"place", "doc", "valid_from", "valid_to", "requires", "unless", "cases", "otherwise", "notes",
              "apply", "apply_cite"},
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


def _layer(lr: Any, where: str, pid: str, documents: dict, default_place: str | None = None) -> Layer:
    _keys(lr, "layer", where)
    doc = lr.get("doc")
    if doc not in documents:
        raise RuleError(f"{where}: unknown document {doc!r}")
    d = documents[doc]
    place = str(lr.get("place", default_place or d.place))
    if place == "national":
        place = NATIONAL
    return Layer(
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
        notes=tuple(Note(_keys(n, "note", f"{where} note {j + 1}")["text"].strip(),
                         _cites(n.get("cite"), f"{where} note {j + 1}"), tuple(n.get("shown_with") or VERDICTS))
                    for j, n in enumerate(lr.get("notes") or [])),
        where=where,
        apply=(lr.get("apply") or "").strip() or None,
        apply_cites=_cites(lr.get("apply_cite"), f"{where} apply"),
    )


def place_layers(pid: str, documents: dict, directory: Path | None = None) -> list[Layer]:
    """The layers of a programme kept with their place (rules/places/<code>.yaml: a province's own
    rules for every programme), in the files' order."""
    out = []
    for path in sorted((directory or PLACES_DIR).glob("*.yaml")):
        raw = load_text(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or set(raw) - {"place", "title", "programs"} or "place" not in raw:
            raise RuleError(f"places/{path.name}: needs place, title and programs, and nothing else")
        place = str(raw["place"])
        if place != path.stem:
            raise RuleError(f"places/{path.name}: place {place!r} is not its file's name")
        for i, lr in enumerate((raw.get("programs") or {}).get(pid) or []):
            out.append(_layer(lr, f"places/{path.name} {pid} layer {i + 1}", pid, documents, place))
    return out


def load_program(path: Path, documents: dict | None = None, places: Path | None = None,
                 parameters: Path | None = None) -> Program:
    """Read one programme file, with its places' layers (rules/places/) and its amounts
    (rules/parameters/<programme>/). Layer dates default to the cited document's period."""
    from .parameters import PARAMETERS_DIR, load_parameters

    try:
        raw = load_text(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise RuleError(f"{path.name}: not valid YAML: {err}") from err
    if not isinstance(raw, dict) or "program" not in raw or "layers" not in raw:
        raise RuleError(f"{path.name}: needs 'program' and 'layers'")
    _keys(raw, "program", path.name)
    pid = raw["program"]
    if documents is None:
        from knowledge.sources import load_documents
        documents = load_documents()
    layers = [_layer(lr, f"{path.name} layer {i + 1}", pid, documents) for i, lr in enumerate(raw["layers"])]
    layers += place_layers(pid, documents, places)
    params = load_parameters(pid, documents, parameters or PARAMETERS_DIR)
    return Program(pid, raw.get("title", pid), raw.get("apply"),
                   _cites(raw.get("apply_cite"), f"{path.name} apply"), tuple(layers), path,
                   tuple(e for p in params for e in p.entries),
                   parse_condition(raw["ask_when"], f"{path.name} ask_when") if raw.get("ask_when") else None,
                   str(raw.get("short_title") or raw.get("title", pid)), params,
                   tuple(_step(s, f"{path.name} procedure {i + 1}") for i, s in enumerate(raw.get("procedure") or [])))


def _step(raw: Any, where: str) -> Step:
    _keys(raw, "step", where)
    if raw.get("topic") not in TOPICS:
        raise RuleError(f"{where}: topic must be one of {', '.join(TOPICS)}, got {raw.get('topic')!r}")
    text = str(raw.get("text") or "").strip()
    if not text:
        raise RuleError(f"{where}: a step says what to do in plain Chinese ('text')")
    cites = _cites(raw.get("cite"), where)
    unstated = bool(raw.get("unstated"))
    if bool(cites) == unstated:
        raise RuleError(f"{where}: a step either cites the text that says it, or is `unstated: true` "
                        f"(no text in reach says it) and then cites nothing")
    if unstated and "没有写" not in text:
        raise RuleError(f"{where}: an unstated step says so in its text (…没有写…) and who to ask")
    return Step(str(raw["topic"]), text, cites, unstated, where)


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


def write_rules(db) -> None:
    """The table `rules` of the knowledge base (a sqlite_utils Database): every outcome of every layer,
    beside its citation, for browsing (`zhucan kb build` calls this after knowledge.kb.build's tables)."""
    import json

    rows = []
    for program in load_programs().values():
        for layer in program.layers:
            entries = [("requires", r.outcome) for r in layer.requires]
            entries += [("unless", c.outcome) for c in layer.unless] + [("case", c.outcome) for c in layer.cases]
            entries += [("otherwise", layer.otherwise)] if layer.otherwise else []
            for kind, outcome in entries:
                rows.append({"program": program.id, "place": layer.place, "doc": layer.doc,
                             "valid_from": str(layer.valid_from or ""), "valid_to": str(layer.valid_to or ""),
                             "kind": kind, "verdict": outcome.verdict, "reason": outcome.reason,
                             "where_": outcome.where,
                             "cites": json.dumps([vars(c) for c in outcome.cites], ensure_ascii=False)})
    db["rules"].insert_all(rows, foreign_keys=[("doc", "documents", "id"), ("place", "places", "code")])
