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

from .explain import describe, zh_date
from .facts import FACTS
from .model import (NATIONAL, Atom, Condition, Layer, Op, Outcome, Program, condition_atoms,
                    load_programs)


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


def stack(program: Program, region: str | None, as_of: date) -> list[Layer]:
    """The layers that speak for a place on a date, most specific place first.

    At each place the layer in force on the date wins; where none is in force, the latest one that
    has ended still answers (its verdicts are then flagged expired)."""
    from knowledge.gazetteer import gazetteer

    chain = gazetteer().chain(region) if region else [NATIONAL]
    out = []
    for code in chain:
        here = [layer for layer in program.layers if layer.place == code and layer.starts_by(as_of)]
        if not here:
            continue
        current = [layer for layer in here if layer.current(as_of)]
        pool = current or here
        out.append(max(pool, key=lambda layer: (layer.valid_to or date.max, layer.valid_from or date.min)))
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
    elif layers and program:  # only a local rule is in force yet: outside its cases, nothing applies
        items.append(Item(ALWAYS, not_in_force(program, as_of), layers[-1], "not_in_force"))
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
        return _not_yet(program, as_of)
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
        parts = [r.condition for r in layer.requires] + [c.when for c in layer.unless + layer.cases]
        for atom in (a for cond in parts for a in condition_atoms(cond) if a.fact == fact):
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
        reasons.append("您的情况：" + "，".join(describe(f, profile[f]) for f in decided_by) + "。")
    status = "current"
    if layer.valid_to and layer.valid_to < as_of:
        status = "expired"
        doc = _documents()[layer.doc]
        reasons.append(f"这个结论依据的{doc.citation()}适用期到{zh_date(layer.valid_to)}已经结束，"
                       f"目前没有收录新的规定，所以按这份最近的规定回答，请向当地核实是否已有新政策。")
    if outcome.verdict == "refer" and outcome.ask:
        reasons.append(f"请向{outcome.ask}询问。")
    reasons += first.caveats
    sources = [_source(c) for c in outcome.cites]
    for note in _notes(possible.layers, outcome.verdict):
        reasons.append(note.text)
        sources += [_source(c) for c in note.cites if _source(c) not in sources]
    details = {k: v for k, v in outcome.figures(profile).items() if v is not None}
    if outcome.verdict in ("eligible", "refer") and program.apply:
        details["apply"] = program.apply
        sources += [_source(c) for c in program.apply_cites if _source(c) not in sources]
    return Result(program.id, outcome.verdict, [], reasons, sources, status, details, rule=outcome.where)


def not_in_force(program: Program, as_of: date) -> Outcome:
    """The outcome for a date before the national rule of a programme was in force."""
    first = min((layer for layer in program.layers if layer.place == NATIONAL),
                key=lambda layer: layer.valid_from or date.min)
    outcomes = [r.outcome for r in first.requires] + [c.outcome for c in first.cases]
    outcomes += [first.otherwise] if first.otherwise else []
    reason = (f"{program.title}在{zh_date(as_of)}还没有全国统一的规定，"
              f"国家规定从{zh_date(first.valid_from)}起实施。")
    return Outcome("ineligible", reason, outcomes[0].cites[:1], (("in_force_from", first.valid_from.isoformat()),),
                   where=f"{program.path.name} (not yet in force)")


def _not_yet(program: Program, as_of: date) -> Result:
    """A date before the programme existed anywhere: nobody could get it then."""
    outcome = not_in_force(program, as_of)
    return Result(program.id, "ineligible", [], [outcome.reason], [_source(c) for c in outcome.cites], "current",
                  outcome.figures({}), rule=outcome.where)


def _notes(layers: list[Layer], verdict: str):
    for layer in layers:
        for note in layer.notes:
            if verdict in note.on:
                yield note


def _need_info(program: Program, profile: dict, as_of: date, possible: Possible,
               missing: list[str], scores: dict) -> Result:
    labels = "、".join(FACTS[f].label for f in missing)
    reasons = [f"还不能确定：答案取决于{labels}。"]
    known = [f for f in _ordered(f for b in possible.branches for f in b.facts) if f in profile]
    if known:
        reasons.append("已知：" + "，".join(describe(f, profile[f]) for f in known) + "。")
    sources: list[dict] = []
    for branch in possible.branches:
        for cite in branch.item.outcome.cites:
            src = _source(cite)
            if src not in sources:
                sources.append(src)
    expired = any(b.item.layer.valid_to and b.item.layer.valid_to < as_of for b in possible.branches)
    return Result(program.id, "need_info", missing, reasons, sources[:4],
                  "expired" if expired else "current", {}, scores)


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
