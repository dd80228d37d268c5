"""`zhucan rules lint`: the checks a reviewer would otherwise do by hand.

- every quote really occurs in the clause it cites (the government's words, not ours);
- no layer starts before its document was issued, and no quote is shown on a date before the document
  it comes from existed (a document with no known date may only add notes, unless its own words set the
  day it takes effect: `in_force_clause`);
- no two layers decide the same programme for the same place on the same date;
- no place or date where a programme is in force is left without a verdict (each stack ends in an
  `otherwise`, from the programme's first date on);
- every amount has a date and a provenance: it is a dated value of a parameter (rules/parameters/, never
  in an outcome's details), no value takes effect before its document existed, a timeline has no gap,
  and each document gives the page's address and what kind of page it is (official text, official page,
  repost or dataset);
- the lexicon's words for programmes name programmes that exist, and every programme has words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from knowledge.sources import SOURCE_KINDS

from .model import NATIONAL, PROGRAMS_DIR, Cite, Program, RuleError, load_program


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_cite(cite: Cite, where: str) -> Problem | None:
    from knowledge.sources import find_clauses, load_documents

    if cite.doc not in load_documents():
        return Problem(where, f"cites unknown document {cite.doc!r}")
    clauses = find_clauses(cite.doc, cite.section)
    if not clauses:
        return Problem(where, f"cites {cite.doc} section {cite.section!r}, which does not exist")
    if not any(_squash(cite.quote) in _squash(c.text) for c in clauses):
        return Problem(where, f"quote not found in {cite.doc} {cite.section}: {cite.quote}")
    return None


def _all_cites(program: Program):
    for cite in program.apply_cites:
        yield cite, f"{program.path.name} apply"
    for step in program.procedure:
        for cite in step.cites:
            yield cite, step.where
    for layer in program.layers:
        for outcome in layer.outcomes:
            for cite in outcome.cites:
                yield cite, outcome.where
        for note in layer.notes:
            for cite in note.cites:
                yield cite, f"{layer.where} note"
        for cite in layer.apply_cites:
            yield cite, f"{layer.where} apply"


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _dated(doc) -> tuple[date | None, str]:
    """The earliest day a document is known to exist, and how that is known."""
    if doc.dated():
        return doc.dated(), "issued" if doc.issued else "published" if doc.published else "cited by then"
    if doc.in_force_clause and doc.valid_from:
        return doc.valid_from, f"its {doc.in_force_clause}"
    return None, ""


def check_dates(program: Program) -> list[Problem]:
    """No layer before its document; no quote before its document; documents that date themselves."""
    from knowledge.sources import find_clauses, load_documents

    documents = load_documents()
    problems = []
    for doc in {layer.doc for layer in program.layers}:
        d = documents[doc]
        if d.in_force_clause and not d.dated():
            clauses = find_clauses(doc, d.in_force_clause)
            if not d.valid_from or not any(_zh(d.valid_from) in c.text for c in clauses):
                problems.append(Problem(program.path.name, f"{doc}: {d.in_force_clause} does not say it takes "
                                                           f"effect on {d.valid_from}"))
    for layer in program.layers:
        start = layer.valid_from
        own, how = _dated(documents[layer.doc])
        if start is None and layer.decisive:
            problems.append(Problem(layer.where, f"a layer that decides needs a start date ({layer.doc} gives "
                                                 f"none): set valid_from"))
            continue
        if own is None:
            if layer.decisive:
                problems.append(Problem(layer.where, f"{layer.doc} has no issue or publication date: it may "
                                                     f"add notes but not decide"))
        elif start and start < own:
            problems.append(Problem(layer.where, f"starts {start}, before {layer.doc} existed ({how} {own})"))
        shown = [(o.cites, o.where, None) for o in
                 [r.outcome for r in layer.requires] + [layer.otherwise] * bool(layer.otherwise)]
        shown += [(c.outcome.cites, c.outcome.where, c.since) for c in layer.unless + layer.cases]
        shown += [(n.cites, f"{layer.where} note", None) for n in layer.notes]
        shown += [(layer.apply_cites, f"{layer.where} apply", None)]
        for cites, where, since in shown:
            first = max(d for d in (start, since) if d) if (start or since) else None
            for cite in cites:
                when, how = _dated(documents[cite.doc])
                if first and when and first < when:
                    problems.append(Problem(where, f"quotes {cite.doc} from {first}, before it existed "
                                                   f"({how} {when})"))
    return problems


def check_amounts(program: Program) -> list[Problem]:
    """Every amount is a parameter's dated value: it has a date no earlier than its document, a document
    with the page's address and kind, its own words; its timeline has no gap."""
    from knowledge.sources import load_documents

    documents = load_documents()
    problems = []
    for layer in program.layers:
        for outcome in layer.outcomes:
            keys = [k for k, _ in outcome.details if k.startswith("amount")]
            if keys:
                problems.append(Problem(outcome.where, f"an amount ({', '.join(keys)}) belongs in a parameter "
                                                       f"(rules/parameters/{program.id}/), with its date and its page"))
    for parameter in program.parameters:
        where = f"parameters/{program.id}/{parameter.path.name}"
        for gap in parameter.gaps:
            problems.append(Problem(where, f"the timeline stops on {gap} and starts again: a gap"))
    for entry in program.amounts:
        doc = documents[entry.doc]
        if not doc.url or not doc.source_kind:
            problems.append(Problem(entry.where, f"{entry.doc} must give the page's url and its source_kind "
                                                 f"({', '.join(sorted(SOURCE_KINDS))})"))
        own, how = _dated(doc)
        if own is None:
            problems.append(Problem(entry.where, f"{entry.doc} has no issue or publication date: its figures "
                                                 f"cannot be dated"))
        elif entry.valid_from < own:
            problems.append(Problem(entry.where, f"takes effect {entry.valid_from}, before {entry.doc} existed "
                                                 f"({how} {own}); a figure applied back says so in `effective`"))
        if entry.effective and entry.effective >= entry.valid_from:
            problems.append(Problem(entry.where, "`effective` is for a figure applied from before its "
                                                 "document's date; otherwise start the period on it"))
        for figure in entry.figures:
            if (p := check_cite(figure.cite, figure.where)):
                problems.append(p)
    return problems


def _overlap(a, b) -> bool:
    a0, a1 = a.valid_from or date.min, a.valid_to or date.max
    b0, b1 = b.valid_from or date.min, b.valid_to or date.max
    return a0 <= b1 and b0 <= a1


def check_program(program: Program, today: date | None = None) -> list[Problem]:
    from rules.engine import decision_list, stack

    problems = [p for cite, where in _all_cites(program) if (p := check_cite(cite, where))]
    problems += check_dates(program) + check_amounts(program)
    decisive = [layer for layer in program.layers if layer.decisive]
    for i, a in enumerate(decisive):
        for b in decisive[i + 1:]:
            if a.place == b.place and _overlap(a, b):
                problems.append(Problem(
                    b.where, f"{program.id} has two rules for place {a.place} in force at once "
                             f"({a.where} and {b.where}); give them consecutive periods"))
    national = [layer for layer in program.layers if layer.place == NATIONAL and layer.otherwise]
    if not national:
        return problems + [Problem(program.path.name, f"{program.id} has no national rule with an otherwise")]
    start = min(layer.valid_from or date.min for layer in national)
    today = today or date.today()
    dates = {start, today}
    for layer in program.layers:
        for d in (layer.valid_from, layer.valid_to):
            if d and d >= start:
                dates.update((d - timedelta(days=1), d, d + timedelta(days=1)))
    places = {layer.place for layer in program.layers}
    for place in sorted(places):
        for when in sorted(d for d in dates if d >= start):
            items, _ = decision_list(stack(program, None if place == NATIONAL else place, when), when)
            if not items or items[-1].kind != "otherwise":
                problems.append(Problem(program.path.name,
                                        f"{program.id} leaves place {place} without a rule on {when}"))
    return problems


def lint(directory: Path = PROGRAMS_DIR, today: date | None = None) -> list[Problem]:
    """Every programme of `directory`, with the places' layers and the parameters beside it (for a rule
    base elsewhere than rules/programs/, its own `places/` and `parameters/` folders, if any)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    real = Path(directory).resolve() == PROGRAMS_DIR.resolve()
    places = None if real else Path(directory) / "places"
    parameters = None if real else Path(directory) / "parameters"
    for path in sorted(directory.glob("*.yaml")):
        try:
            program = load_program(path, places=places, parameters=parameters)
        except RuleError as err:
            problems.append(Problem(path.name, str(err)))
            continue
        if program.id in seen:
            problems.append(Problem(path.name, f"programme {program.id} is also defined in {seen[program.id]}"))
        seen[program.id] = path.name
        problems += check_program(program, today)
    if Path(directory).resolve() == PROGRAMS_DIR.resolve():  # the real rule base, the real lexicon
        problems += check_lexicon(set(seen))
    return problems


def check_lexicon(programs: set[str]) -> list[Problem]:
    """knowledge/lexicon.yaml names programmes by id; the knowledge layer cannot check them itself."""
    from knowledge.lexicon import PROGRAMS, lexicon

    problems = []
    named: set[str] = set()
    for term in lexicon().terms(PROGRAMS):
        ids = term.value if isinstance(term.value, tuple) else (term.value,)
        named.update(ids)
        for pid in ids:
            if pid not in programs:
                problems.append(Problem("knowledge/lexicon.yaml", f"programs.{pid}: no programme {pid!r} in "
                                        f"rules/programs/ (known: {', '.join(sorted(programs))})"))
    for pid in sorted(programs - named):
        problems.append(Problem("knowledge/lexicon.yaml", f"programme {pid} has no words under programs"))
    return problems
