"""The eligibility engine: three-valued, explained, dated.

Each condition is true, false or unknown (Kleene logic). A programme's stacked decision list (see
rules/model.py) is walked in order; an unknown condition keeps both of its branches open. When every
open branch ends in the same verdict the verdict stands; otherwise the answer is need_info, listing
the unknown facts those branches turn on, the fact that settles the most first. Unknown is never no.

This module imports nothing from Rasa or TensorFlow: a caseworker's check must answer at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Iterable

from . import explain
from .facts import FACTS
from .model import (NATIONAL, Amount, Atom, Condition, Layer, Op, Outcome, Program, condition_atoms,
                    condition_facts, load_programs)


class UnknownProgram(ValueError):
    """A programme id that the rule base does not have."""


# --- three-valued evaluation ------------------------------------------------------------------


def evaluate_condition(cond: Condition, profile: dict) -> tuple[bool | None, frozenset[str]]:
    """(value, facts): the facts that decided a true/false value, or the unknown facts it waits on."""
    if isinstance(cond, Atom):
        if cond.fact not in profile:
            return None, frozenset((cond.fact,))
        return cond.test(profile[cond.fact]), frozenset((cond.fact,))
    if cond.kind == "not":
        value, facts = evaluate_condition(cond.parts[0], profile)
        return (None if value is None else not value), facts
    decisive = cond.kind == "any"  # the value that settles an all (False) or an any (True)
    unknown: set[str] = set()
    known: set[str] = set()
    for part in cond.parts:
        value, facts = evaluate_condition(part, profile)
        if value is decisive:
            return decisive, facts
        (unknown if value is None else known).update(facts)
    if unknown:
        return None, frozenset(unknown)
    return (not decisive), frozenset(known)


@dataclass(frozen=True)
class Item:
    trigger: Condition
    outcome: Outcome
    layer: Layer
    kind: str  # requires | unless | case | otherwise
    unknown_note: str | None = None


ALWAYS = Op("all", ())


def _chain(region: str | None) -> list[str]:
    from knowledge.gazetteer import gazetteer

    return gazetteer().chain(region) if region else [NATIONAL]


def stack(program: Program, region: str | None, as_of: date) -> list[Layer]:
    """The layers that speak for a place on a date, most specific place first: at each place of the
    region's chain (district, city, province, national), the layer in force on the date
    (valid_from <= as_of <= valid_to), if any. A layer whose period has ended never decides, so an
    expired local plan cannot outrank a national text still in force; see `history`."""
    out = []
    for code in _chain(region):
        current = [layer for layer in program.layers if layer.place == code and layer.current(as_of)]
        if current:  # lint allows one decisive layer per place and date
            out.append(max(current, key=lambda layer: (layer.decisive, layer.valid_from or date.min)))
    return out


def history(program: Program, region: str | None, as_of: date) -> list[Layer]:
    """Places of the chain with no layer in force: the latest layer there that has ended. What it said
    is told beside the answer as history; it never decides."""
    out = []
    for code in _chain(region):
        here = [layer for layer in program.layers if layer.place == code and layer.starts_by(as_of)]
        if here and not any(layer.current(as_of) for layer in here):
            out.append(max(here, key=lambda layer: layer.valid_to or date.max))
    return out


def decision_list(layers: list[Layer], as_of: date, program: Program | None = None
                  ) -> tuple[list[Item], list[Item]]:
    """(items, guards): the ordered decision list, and the exceptions that may take a grant away."""
    def in_force(cases):
        return [c for c in cases if c.since is None or c.since <= as_of]

    items: list[Item] = []
    for layer in layers:
        items += [Item(Op("not", (r.condition,)), r.outcome, layer, "requires") for r in layer.requires]
    for layer in layers:
        items += [Item(c.when, c.outcome, layer, "case") for c in in_force(layer.cases)]
    fallback = next((layer for layer in layers if layer.otherwise), None)
    if fallback:
        items.append(Item(ALWAYS, fallback.otherwise, fallback, "otherwise"))
    elif layers and program:  # only a local rule is in force yet: outside its cases, refer (not a no)
        items.append(Item(ALWAYS, not_in_force(program, as_of, local=True), layers[-1], "not_in_force"))
    guards = [Item(c.when, c.outcome, layer, "unless", c.unknown_note)
              for layer in layers for c in in_force(layer.unless)]
    return items, guards


@dataclass(frozen=True)
class Branch:
    item: Item
    certain: bool  # the trigger is true (not merely possible)
    facts: frozenset[str]  # facts that decided it (certain) or that it waits on (possible)
    caveats: tuple[str, ...] = ()  # exceptions of local practice that might apply: said, not asked
    ruled_out: frozenset[str] = frozenset()  # known facts that ruled out the items before it


def walk(plan: tuple[list[Item], list[Item]], profile: dict) -> tuple[list[Branch], set[str]]:
    """Every outcome still possible, in order, and the unknown facts they turn on.

    Exceptions (guards) are read only after a grant (eligible or refer): they can take a grant away,
    never give one, so a person who does not qualify is never asked about them."""
    items, guards = plan
    open_: list[Branch] = []
    waiting: set[str] = set()
    ruled_out: set[str] = set()
    for item in items:
        value, facts = evaluate_condition(item.trigger, profile)
        if value is False:
            ruled_out |= facts
            continue
        branch = Branch(item, value is True, facts, ruled_out=frozenset(ruled_out))
        if item.outcome.verdict in ("eligible", "refer") and guards:
            expanded, guard_waiting = _guarded(branch, guards, profile)
            open_ += expanded
            waiting |= guard_waiting
        else:
            open_.append(branch)
        if value is True:
            break
        waiting |= facts
    return open_, waiting


def _guarded(branch: Branch, guards: list[Item], profile: dict) -> tuple[list[Branch], set[str]]:
    out: list[Branch] = []
    waiting: set[str] = set()
    caveats: list[str] = []
    for guard in guards:
        value, facts = evaluate_condition(guard.trigger, profile)
        if value is False:
            continue
        if value is None and guard.unknown_note:
            caveats.append(guard.unknown_note)
            continue
        out.append(Branch(guard, branch.certain and value is True, branch.facts | facts))
        if value is True:
            return out, waiting
        waiting |= facts
    out.append(Branch(branch.item, branch.certain, branch.facts, tuple(caveats), branch.ruled_out))
    return out, waiting


# --- results ----------------------------------------------------------------------------------

@dataclass
class Result:
    program: str
    verdict: str
    missing: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    source_status: str = "current"
    details: dict = field(default_factory=dict)
    # how much knowing each missing fact would settle (for choosing the next question across programmes)
    scores: dict = field(default_factory=dict, repr=False)
    # the deciding outcome's id (Outcome.where: its file and position), None for need_info; registry
    # screening (rules/sql.py) reports it per row and joins the reason and sources by it
    rule: str | None = None
    # the known facts a settled verdict rests on (empty for need_info): those of the rule that decided it
    # and those that ruled out the rules before it (a requirement met, a case that did not fit); said back
    # to the person before the answer, so that a misheard one is caught
    rests_on: tuple = ()

    def to_json(self) -> dict:
        return {"program": self.program, "verdict": self.verdict, "missing": self.missing,
                "reasons": self.reasons, "sources": self.sources,
                "source_status": self.source_status, "details": self.details}


@dataclass
class Report:
    as_of: date
    region: str | None
    results: list[Result]

    def to_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "region": self.region,
                "results": [r.to_json() for r in self.results]}


def evaluate(profile: dict, programs: Iterable[str] | None = None, as_of: date | None = None) -> Report:
    """Answer every programme asked for (all when none is named) for a validated profile."""
    as_of = as_of or date.today()
    catalogue = load_programs()
    wanted = list(programs) if programs else list(catalogue)
    unknown = [p for p in wanted if p not in catalogue]
    if unknown:
        raise UnknownProgram(f"unknown programme {unknown[0]!r}; allowed: {', '.join(catalogue)}")
    results = [evaluate_program(catalogue[p], profile, as_of) for p in wanted]
    return Report(as_of, profile.get("region"), results)


def evaluate_program(program: Program, profile: dict, as_of: date) -> Result:
    if not _stack(program, profile.get("region"), as_of):
        return _not_yet(program, profile, as_of)
    outcome = _possible(program, profile, as_of)
    verdicts = {b.item.outcome.verdict for b in outcome.branches}
    if len(verdicts) == 1:
        return _settled(program, profile, as_of, outcome)
    missing = sorted(outcome.waiting, key=lambda f: list(FACTS).index(f))
    scores = {f: _settling_score(program, profile, as_of, f, len(missing)) for f in missing}
    missing.sort(key=lambda f: (-scores[f], list(FACTS).index(f)))
    return _need_info(program, profile, as_of, outcome, missing, scores)


@dataclass
class Possible:
    branches: list[Branch]
    waiting: set[str]
    layers: list[Layer]


def _possible(program: Program, profile: dict, as_of: date) -> Possible:
    """The outcomes still open. An unknown region is one more unknown fact: every place with rules
    of its own is tried, and the region is only asked for when the places disagree."""
    if "region" in profile:
        region = profile["region"]
        branches, waiting = walk(_decision_list(program, region, as_of), profile)
        return Possible(branches, waiting, _stack(program, region, as_of))
    branches, waiting = walk(_decision_list(program, None, as_of), profile)
    verdicts = {b.item.outcome.verdict for b in branches}
    region_matters = False
    for place in region_domain(program)[1:]:
        other, other_waiting = walk(_decision_list(program, place, as_of), profile)
        other_verdicts = {b.item.outcome.verdict for b in other}
        if other_verdicts != verdicts:
            region_matters = True
            branches, waiting = branches + other, waiting | other_waiting
    if region_matters:
        waiting.add("region")
    return Possible(branches, waiting, _stack(program, None, as_of))


# Keyed by programme id, not by the Program itself: hashing a deep frozen dataclass on every call cost
# more than the evaluation (a rule base is loaded once per process).
_STACKS: dict = {}
_PLANS: dict = {}


def _stack(program: Program, region: str | None, as_of: date) -> list[Layer]:
    key = (program.id, id(program), region, as_of)
    if key not in _STACKS:
        _STACKS[key] = stack(program, region, as_of)
    return _STACKS[key]


def _decision_list(program: Program, region: str | None, as_of: date) -> tuple[list[Item], list[Item]]:
    key = (program.id, id(program), region, as_of)
    if key not in _PLANS:
        _PLANS[key] = decision_list(_stack(program, region, as_of), as_of, program)
    return _PLANS[key]


def region_domain(program: Program) -> list[str]:
    return [NATIONAL] + sorted({layer.place for layer in program.layers} - {NATIONAL})


def fact_domain(program: Program, fact: str) -> tuple:
    """The values worth trying for a fact: its finite values, or the edges around every threshold
    the programme's conditions use (age 6/7, months 5/6/7 …)."""
    key = (program.id, id(program), fact)
    if key not in _DOMAINS:
        _DOMAINS[key] = _fact_domain(program, fact)
    return _DOMAINS[key]


_DOMAINS: dict = {}


def _fact_domain(program: Program, fact: str) -> tuple:
    if fact == "region":
        return tuple(region_domain(program))
    spec = FACTS[fact]
    if spec.domain():
        return spec.domain()
    points = {spec.low, spec.high}
    for layer in program.layers:
        for atom in (a for cond in layer.conditions for a in condition_atoms(cond) if a.fact == fact):
            for t in (atom.operand if atom.op == "in" else (atom.operand,)):
                points.update(v for v in (t - 1, t, t + 1) if spec.low <= v <= spec.high)
    return tuple(sorted(points))


def _settling_score(program: Program, profile: dict, as_of: date, fact: str, missing: int) -> float:
    """How much of what is left to ask a fact's answer settles, on average over its possible values:
    1.0 when every answer settles the verdict, less when some answers leave other questions open."""
    values = fact_domain(program, fact)
    if not values:
        return 0.0
    total = 0.0
    for value in values:
        after = _possible(program, {**profile, fact: value}, as_of)
        if len({b.item.outcome.verdict for b in after.branches}) == 1:
            total += 1.0
        else:
            total += max(0, missing - len(after.waiting)) / missing
    return total / len(values)


# --- explanations -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _documents():
    from knowledge.sources import load_documents

    return load_documents()


def _source(cite) -> dict:
    return dict(_source_of(cite))


@lru_cache(maxsize=1024)
def _source_of(cite) -> tuple:
    doc = _documents()[cite.doc]
    return (("doc", cite.doc), ("title", doc.citation()), ("section", cite.section), ("quote", cite.quote))


def _ordered(facts: Iterable[str]) -> list[str]:
    order = list(FACTS)
    return sorted(set(facts), key=order.index)


def _settled(program: Program, profile: dict, as_of: date, possible: Possible) -> Result:
    """Every open branch gives the same verdict: explained by the one that surely applies.

    (With the certificate unknown and a household that is not 低保, "no certificate, no subsidy" is
    still open but unknown; the answer's reason is the household, which is known.)"""
    first = next((b for b in possible.branches if b.certain), possible.branches[0])
    outcome, layer = first.item.outcome, first.item.layer
    # the fallback's own condition is "always": what decided it is what ruled out the rules before it
    deciding = first.facts | (first.ruled_out if first.item.kind == "otherwise" else frozenset())
    decided_by = [f for f in _ordered(deciding) if f in profile]
    reasons = [outcome.reason]
    if decided_by:
        reasons.append(explain.situation(decided_by, profile))
    # expired layers never decide (see stack), so a verdict always rests on a text in force
    status = "expired" if layer.ended(as_of) else "current"
    if outcome.verdict == "refer" and outcome.ask:
        reasons.append(explain.ask_office(outcome.ask))
    reasons += first.caveats
    sources = [_source(c) for c in outcome.cites]
    for note in _notes(possible.layers, outcome.verdict):
        reasons.append(note.text)
        sources += [_source(c) for c in note.cites if _source(c) not in sources]
    told, told_sources = _history(program, profile, as_of, outcome.verdict)
    reasons += told
    sources += [s for s in told_sources if s not in sources]
    details = {k: v for k, v in outcome.figures(profile).items() if v is not None}
    if outcome.verdict in ("eligible", "refer"):
        amount = _amount(program, profile, as_of)
        if amount is not None:
            details.update(amount.to_details())
            if _source(amount.cite) not in sources:
                sources.append(_source(amount.cite))
        apply_layer = next((lr for lr in possible.layers if lr.apply), None)
        apply, apply_cites = ((apply_layer.apply, apply_layer.apply_cites) if apply_layer
                              else (program.apply, program.apply_cites))
        if apply:
            details["apply"] = apply
            sources += [_source(c) for c in apply_cites if _source(c) not in sources]
    rests_on = tuple(f for f in _ordered(first.facts | first.ruled_out) if f in profile)
    return Result(program.id, outcome.verdict, [], reasons, sources, status, details, rule=outcome.where,
                  rests_on=rests_on)


# --- history: what an ended layer said -----------------------------------------------------------

def _history(program: Program, profile: dict, as_of: date, verdict: str) -> tuple[list[str], list[dict]]:
    """Sentences about rules that have ended at the person's places, and their quotes: the case of an
    ended layer that surely fits the person (what the old plan would have answered). They never decide.
    An ended plan's notes (its targets and commitments) are not repeated once it has ended."""
    reasons: list[str] = []
    sources: list[dict] = []
    for layer in history(program, profile.get("region"), as_of):
        if any(evaluate_condition(r.condition, profile)[0] is False for r in layer.requires):
            continue  # that rule was never about them
        case = next((c for c in layer.cases if evaluate_condition(c.when, profile)[0] is True), None)
        if case is None:
            continue
        doc = _documents()[layer.doc]
        reasons.append(explain.ended_plan(doc.citation(), layer.valid_to, case.outcome.reason))
        sources += [_source(c) for c in case.outcome.cites if _source(c) not in sources]
    return reasons, sources


# --- amounts -----------------------------------------------------------------------------------

def _amount_entry(program: Program, region: str | None, as_of: date, profile: dict):
    """(entry, figure) for the most specific place with an entry in force whose figure fits the person;
    (None, None) when the place is unknown, nothing is recorded, or an unknown fact leaves it open."""
    if not region:
        return None, None
    for code in _chain(region):
        here = [e for e in program.amounts if e.place == code and e.current(as_of)]
        if not here:
            continue
        entry = max(here, key=lambda e: e.valid_from)
        for figure in entry.figures:
            value, _ = evaluate_condition(figure.when, profile)
            if value is None:
                return None, None  # an earlier figure might be theirs: say nothing rather than guess
            if value:
                return entry, figure
    return None, None


def _amount(program: Program, profile: dict, as_of: date) -> Amount | None:
    entry, figure = _amount_entry(program, profile.get("region"), as_of, profile)
    if entry is None:
        return None
    doc = _documents()[entry.doc]
    return Amount(program.id, entry.place, figure.group, entry.valid_from, entry.date_kind, entry.doc,
                  doc.citation(), doc.source_kind or "official_notice", doc.url, figure.cite, figure.yuan,
                  figure.options, figure.share, entry.effective)


def amount_for(program_id: str, profile: dict, as_of: date | None = None) -> Amount | None:
    """The monthly amount recorded for a person's place, programme, grade (and the other facts a figure
    turns on) and date, with its source (rules.model.Amount); None when the place is unknown, nothing is
    recorded there, or a fact it turns on is unknown. It says nothing about whether they qualify."""
    catalogue = load_programs()
    if program_id not in catalogue:
        raise UnknownProgram(f"unknown programme {program_id!r}; allowed: {', '.join(catalogue)}")
    return _amount(catalogue[program_id], profile, as_of or date.today())


def not_in_force(program: Program, as_of: date, local: bool = False) -> Outcome:
    """The outcome for a date before the national rule of a programme was in force: refer, never no.

    No rule recorded is not a rule that says no: a place may have had its own scheme before the
    national one (judgement call, written beside each programme's first national layer). `local` is
    set when a local rule is in force but does not fit the person."""
    first = min((layer for layer in program.layers if layer.place == NATIONAL),
                key=lambda layer: layer.valid_from or date.min)
    outcomes = [r.outcome for r in first.requires] + [c.outcome for c in first.cases]
    outcomes += [first.otherwise] if first.otherwise else []
    cites = _in_force_cite(first.doc, first.valid_from) or outcomes[0].cites[:1]
    reason = explain.before_national_rule(program.title, as_of, first.valid_from, local)
    return Outcome("refer", reason, cites, (("in_force_from", first.valid_from.isoformat()),),
                   explain.NOT_IN_FORCE_ASK, where=f"{program.path.name} (not yet in force)")


@lru_cache(maxsize=64)
def _in_force_cite(doc: str, start: date) -> tuple:
    """The sentence of a document that sets the day it takes effect (…自2016年1月1日起全面实施), quoted."""
    from knowledge.sources import load_clauses

    from .model import Cite

    day = explain.zh_date(start)
    for clause in load_clauses():
        if clause.doc == doc and day in clause.text:
            sentence = next(s for s in clause.text.split("。") if day in s)
            return (Cite(doc, clause.section, sentence),)
    return ()


def _not_yet(program: Program, profile: dict, as_of: date) -> Result:
    """A date before the programme's national rule and with no local rule in force: refer."""
    outcome = not_in_force(program, as_of)
    reasons = [outcome.reason, explain.ask_office(outcome.ask)]
    sources = [_source(c) for c in outcome.cites]
    told, told_sources = _history(program, profile, as_of, outcome.verdict)
    return Result(program.id, "refer", [], reasons + told, sources + told_sources, "current",
                  outcome.figures({}), rule=outcome.where)


def _notes(layers: list[Layer], verdict: str):
    for layer in layers:
        for note in layer.notes:
            if verdict in note.on:
                yield note


def _need_info(program: Program, profile: dict, as_of: date, possible: Possible,
               missing: list[str], scores: dict) -> Result:
    reasons = [explain.undecided(missing)]
    known = [f for f in _ordered(f for b in possible.branches for f in b.facts) if f in profile]
    if known:
        reasons.append(explain.known(known, profile))
    sources: list[dict] = []
    for branch in possible.branches:
        for cite in branch.item.outcome.cites:
            src = _source(cite)
            if src not in sources:
                sources.append(src)
    sources = sources[:4]
    for note in _notes(possible.layers, "need_info"):
        reasons.append(note.text)
        sources += [_source(c) for c in note.cites if _source(c) not in sources]
    # the figure, when the facts it turns on are known: "how much" can be answered before "whether"
    amount = _amount(program, profile, as_of)
    details = amount.to_details() if amount else {}
    expired = any(b.item.layer.ended(as_of) for b in possible.branches)
    return Result(program.id, "need_info", missing, reasons, sources,
                  "expired" if expired else "current", details, scores)


ADULT_AGES = (18, 40, 60, 90)


def in_play(profile: dict, adult: bool = False, as_of: date | None = None) -> list[str]:
    """The programmes worth asking about for a person who named none: those whose `ask_when` holds
    (低保渐退期 once someone works or the income rose), and, for a person known to be an adult (a
    parent, a spouse) whose age is not given, not those that no adult can get (child rehabilitation)."""
    as_of = as_of or date.today()
    out = []
    for program in load_programs().values():
        if program.ask_when is not None and evaluate_condition(program.ask_when, profile)[0] is not True:
            continue
        if adult and "age" not in profile and all(
                evaluate_program(program, {**profile, "age": age}, as_of).verdict == "ineligible"
                for age in ADULT_AGES):
            continue
        out.append(program.id)
    return out


def same_answers(profile: dict, fact: str, values: Iterable, as_of: date | None = None) -> bool:
    """Whether every value in `values` gives the same verdicts and figures for every programme: then
    an approximate number ("七十好几": 72..79) can be taken as any of them without changing an answer."""
    answers = set()
    for value in values:
        report = evaluate({**profile, fact: value}, None, as_of)
        answers.add(tuple((r.program, r.verdict, tuple(r.missing),
                           tuple(sorted((k, str(v)) for k, v in r.details.items()))) for r in report.results))
        if len(answers) > 1:
            return False
    return True


def turns_within(fact: str, low: int, high: int, region: str | None = None, as_of: date | None = None) -> bool:
    """Whether a rule in force for the place (every place, when it is not known) compares `fact` with a
    boundary inside low..high, or computes a figure from it. Then which value of an approximate number
    ("十来个月": 8..15, across the 渐退期's 12 months) is meant can change an answer once more is known,
    even where it changes none yet."""
    as_of = as_of or date.today()
    span = range(low, high + 1)
    for program in load_programs().values():
        layers = (_stack(program, region, as_of) if region
                  else [layer for layer in program.layers if layer.current(as_of)])
        for layer in layers:
            for atom in (a for cond in layer.conditions for a in condition_atoms(cond) if a.fact == fact):
                if len({atom.test(v) for v in span}) > 1:
                    return True
            if any(callable(value) and fact in getattr(value, "source", "")
                   for outcome in layer.outcomes for _, value in outcome.details):
                return True
    return False


def uses_fact(program_id: str, fact: str) -> bool:
    """Whether any layer of a programme, at any place and time, has a condition on `fact`."""
    return any(fact in condition_facts(cond) for layer in load_programs()[program_id].layers
               for cond in layer.conditions)


def next_question(results: Iterable[Result], skip: Iterable[str] = ()) -> str | None:
    """The fact to ask next across several programmes: the one that settles the most of them.

    Facts in `skip` (those the person said they do not know) are never chosen; None when nothing
    else is left to ask."""
    skip = frozenset(skip)
    total: dict[str, float] = {}
    for result in results:
        for fact, score in result.scores.items():
            if fact not in skip:
                total[fact] = total.get(fact, 0.0) + score
    if not total:
        return None
    order = list(FACTS)
    return max(total, key=lambda f: (total[f], -order.index(f)))
