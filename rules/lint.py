"""`zhucan rules lint`: the checks a reviewer would otherwise do by hand.

- every quote really occurs in the clause it cites (the government's words, not ours);
- no two layers decide the same programme for the same place on the same date;
- no place or date where a programme is in force is left without a verdict (each stack ends in an
  `otherwise`, from the programme's first date on);
- the lexicon's words for programmes name programmes that exist, and every programme has words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

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
    for layer in program.layers:
        outcomes = [r.outcome for r in layer.requires] + [c.outcome for c in layer.unless + layer.cases]
        if layer.otherwise:
            outcomes.append(layer.otherwise)
        for outcome in outcomes:
            for cite in outcome.cites:
                yield cite, outcome.where
        for note in layer.notes:
            for cite in note.cites:
                yield cite, f"{layer.where} note"


def _overlap(a, b) -> bool:
    a0, a1 = a.valid_from or date.min, a.valid_to or date.max
    b0, b1 = b.valid_from or date.min, b.valid_to or date.max
    return a0 <= b1 and b0 <= a1


def check_program(program: Program, today: date | None = None) -> list[Problem]:
    from rules.engine import decision_list, stack

    problems = [p for cite, where in _all_cites(program) if (p := check_cite(cite, where))]
    decisive = [layer for layer in program.layers if layer.requires or layer.unless or layer.cases
                or layer.otherwise]
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
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            program = load_program(path)
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
