"""The rules compiled to SQL: a whole registry screened by a database, not person by person.

What is compiled. For one programme and one date, the decision lists that the engine builds itself
(rules.engine.stack() and decision_list()) become SQL over a table of typed profiles: one column per
fact, NULL for "not known", and a plan column saying which decision list a row's region reads (the
compiler asks the engine for every region in the registry and every place that has rules; regions
whose decision lists are the same share a plan; -1 is the region not known). Nothing is read from
the YAML a second time: a change to the rule base or to how layers stack reaches the SQL by itself.

Three-valued logic survives because SQL's AND, OR and NOT are Kleene's, as the engine's are:
`disability_grade IN (1, 2)` on a NULL grade is NULL, never false, and a NULL condition keeps both
of its branches open. core() gives, for each row of a relation, what rules.engine.evaluate_program()
gives:

    verdict        the verdicts still open (walk(), _guarded() for the exceptions read after a grant,
                   and for an unknown region every place with rules, as in _possible()): one verdict
                   stands, several give need_info
    rule           the deciding outcome's id (Outcome.where, the file and position: Result.rule);
                   NULL for need_info. Reasons and sources are joined by it (rule_catalogue())
    source_status  expired when a deciding (or, for need_info, an open) rule's document has ended
    missing        the facts the open branches wait on, in the engine's order (below)

Patterns. A row's answer depends only on its plan and on which class each fact's value falls in:
values that no condition of the programme tells apart (ages 7 to 17 for the child rehabilitation aid,
every household but 特困 for the care subsidy) give every condition the same value, NULL included
(unknown is a class of its own). So a CASE per fact maps each row to its pattern key, core() runs on
one row per distinct pattern in the registry (a few thousand for a province), and every row takes
its pattern's answer by a join. `figures` ("= 6 - months_above_line") are computed from the row's own
values, and so is the amount owed to an eligible row (`amount_yuan`, `amount_as_of`): an amount plan
column says which places with figures (rules/parameters/) a row's region lies in, most specific first,
and a CASE reads their figures as rules.engine.amount_for() does (an unknown fact a figure turns on
stops it: NULL, never the next figure's sum).

The order of `missing`. The engine asks first for the fact whose answer settles the most: for each
missing fact it tries every value worth trying (fact_domain()) and scores what is left open. For each
pattern with two or more missing facts the same compiled SQL runs on hypothetical rows, one per
missing fact and value tried, and the scores are added in the engine's order in double precision, as
the engine adds them, so that ties break alike. No Python runs per row or per pattern.

Dialects: the SQL is plain (CASE, COALESCE, IS NULL, GREATEST, CONCAT_WS, integer |, VALUES): the
same text runs on DuckDB and Spark SQL. `Dialect` holds what differs: how a step's small table is kept
(CACHE TABLE on Spark, which also keeps its optimizer from inlining the rules into one huge plan).
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from .engine import ALWAYS, Item, decision_list, fact_domain, not_in_force, region_domain, stack
from .facts import FACTS
from .model import Atom, Condition, Program, condition_atoms

GRANTS = ("eligible", "refer")  # verdicts after which the exceptions (`unless`) are read
BITS = {"eligible": 1, "ineligible": 2, "refer": 4}  # a set of open verdicts as an integer
SETTLED = "(1, 2, 4)"  # exactly one verdict open
UNKNOWN = -1  # the plan of a row whose region is not known
ORDER = {fact: i for i, fact in enumerate(FACTS)}
SQL_TYPES = {"bool": "BOOLEAN", "int": "INTEGER", "enum": "STRING", "region": "STRING"}


class CompileError(ValueError):
    """A rule the compiler cannot express; the engine still answers it."""


@dataclass(frozen=True)
class Dialect:
    name: str

    def materialize(self, name: str, sql: str) -> str:
        """Keep an intermediate result as a table. On Spark this also keeps the optimizer from pushing
        filters through the stacked projections of the rules (which multiplies the plan's size)."""
        if self.name == "spark":
            return f"CACHE TABLE {name} AS {sql}"
        return f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}"

    def values(self, rows: list[tuple], alias: str, columns: tuple[str, ...]) -> str:
        body = ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)
        return f"(VALUES {body}) AS {alias}({', '.join(columns)})"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


def lit(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def sql_type(fact: str) -> str:
    return SQL_TYPES[FACTS[fact].kind]


# --- conditions: Kleene logic is SQL's own ---------------------------------------------------

def cond_sql(cond: Condition) -> str:
    if isinstance(cond, Atom):
        if cond.fact == "region":
            raise CompileError("a condition on region: places are layers, not conditions")
        if cond.op == "eq":
            return f"({cond.fact} = {lit(cond.operand)})"
        if cond.op == "in":
            return f"({cond.fact} IN ({', '.join(lit(v) for v in cond.operand)}))"
        return f"({cond.fact} {dict(lt='<', le='<=', gt='>', ge='>=')[cond.op]} {lit(cond.operand)})"
    if cond.kind == "not":
        return f"(NOT {cond_sql(cond.parts[0])})"
    if not cond.parts:
        return "TRUE" if cond.kind == "all" else "FALSE"
    return "(" + f" {cond.kind.upper().replace('ALL', 'AND').replace('ANY', 'OR')} ".join(
        cond_sql(p) for p in cond.parts) + ")"


def _is_null(cond: Condition) -> str:
    return f"({cond.fact} IS NULL)" if isinstance(cond, Atom) else f"({cond_sql(cond)} IS NULL)"


def wait_sql(cond: Condition, fact: str) -> str | None:
    """When `cond` is unknown: whether `fact` is among the unknown facts it waits on, as the engine's
    evaluate_condition() collects them (the unknown parts only; a part already true or false adds
    nothing). None: never."""
    if isinstance(cond, Atom):
        return "TRUE" if cond.fact == fact else None
    if cond.kind == "not":
        return wait_sql(cond.parts[0], fact)
    terms: list[str] = []
    for part in cond.parts:
        inner = wait_sql(part, fact)
        term = None if inner is None else _is_null(part) if inner == "TRUE" else f"({_is_null(part)} AND {inner})"
        if term and term not in terms:
            terms.append(term)
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def _or(terms: Iterable[str]) -> str:
    terms = [t for t in terms if t and t != "FALSE"]
    if "TRUE" in terms:
        return "TRUE"
    return "(" + " OR ".join(terms) + ")" if terms else "FALSE"


def _and(*terms: str) -> str:
    terms = tuple(t for t in terms if t != "TRUE")
    if "FALSE" in terms:
        return "FALSE"
    return "(" + " AND ".join(terms) + ")" if terms else "TRUE"


# --- figures ("= max(0, 6 - months_above_line)") ---------------------------------------------

def figure_sql(text: str) -> str:
    """A figure's arithmetic as SQL; NULL when a fact it reads is unknown (as the engine's None)."""
    tree = ast.parse(text, mode="eval")
    names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"max", "min"})

    def conv(node) -> str:
        if isinstance(node, ast.Expression):
            return conv(node.body)
        if isinstance(node, ast.BinOp):
            return f"({conv(node.left)} {'+' if isinstance(node.op, ast.Add) else '-'} {conv(node.right)})"
        if isinstance(node, ast.UnaryOp):
            return f"(-{conv(node.operand)})"
        if isinstance(node, ast.Constant):
            return lit(node.value)
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Call):
            return f"{'GREATEST' if node.func.id == 'max' else 'LEAST'}({', '.join(conv(a) for a in node.args)})"
        raise CompileError(f"cannot compile figure {text!r}")

    known = " AND ".join(f"{n} IS NOT NULL" for n in names) or "TRUE"
    return f"CASE WHEN {known} THEN {conv(tree)} END"


# --- one programme on one date ---------------------------------------------------------------

@dataclass
class Plan:
    """One decision list (the engine's items and guards) and its index in the SQL."""
    index: int
    items: list[Item]
    guards: list[Item]


def _signature(items: list[Item], guards: list[Item]) -> tuple:
    def one(i: Item) -> tuple:
        return (i.kind, i.outcome.where, i.layer.where, i.layer.valid_to, i.unknown_note, i.trigger)
    return tuple(map(one, items)), tuple(map(one, guards))


class CompiledProgram:
    """One programme's rules on one date, compiled for the regions given (and every place with
    rules). `sql(...)` methods return SQL text over a relation of typed profiles."""

    def __init__(self, program: Program, as_of: date, regions: Iterable[str] = (), dialect: Dialect = DUCKDB):
        self.program, self.as_of, self.dialect = program, as_of, dialect
        self.plans: list[Plan] = []
        self._by_signature: dict[tuple, Plan] = {}
        self.national = self._plan(None)
        self.places = [(code, self._plan(code)) for code in region_domain(program)[1:]]
        self.region_plan = {code: self._plan(code).index for code in sorted(set(regions))}
        self.not_in_force = not_in_force(program, as_of)
        # the facts its conditions read, in FACTS order, and the classes of values they tell apart
        atoms: dict[str, set[Atom]] = {}
        for layer in program.layers:
            for atom in (a for c in layer.conditions for a in condition_atoms(c)):
                atoms.setdefault(atom.fact, set()).add(atom)
        if "region" in atoms:
            raise CompileError(f"{program.id}: a condition on region: places are layers, not conditions")
        self.facts = sorted(atoms, key=ORDER.get)
        self.classes = {f: _classes(f, sorted(atoms[f], key=repr)) for f in self.facts}
        # the conditions, each computed once per row whatever plan reads it
        self.conds: dict[Condition, str] = {}
        for plan in self.plans:
            for item in plan.items + plan.guards:
                if item.trigger != ALWAYS and item.trigger not in self.conds:
                    self.conds[item.trigger] = f"z_c{len(self.conds)}"
        self.figures = {}
        for item in (i for p in self.plans for i in p.items + p.guards):
            parts = [(k, v.source) for k, v in item.outcome.details if callable(v)]
            if parts:
                self.figures[item.outcome.where] = parts
        # the amounts: for each region, the places of its chain with figures in force, most specific first
        self.amount_chains: list[tuple] = []
        self.region_amount = {code: self._amount_chain(code) for code in sorted(set(regions))}

    def _amount_chain(self, region: str) -> int:
        from knowledge.gazetteer import gazetteer

        chain = []
        for code in gazetteer().chain(region):
            here = [e for e in self.program.amounts if e.place == code and e.current(self.as_of)]
            if here:
                chain.append(max(here, key=lambda e: e.valid_from))
        key = tuple(chain)
        if key not in self.amount_chains:
            self.amount_chains.append(key)
        return self.amount_chains.index(key)

    def amount_plan_of(self, region: str | None) -> int:
        return UNKNOWN if region is None else self.region_amount[region]

    def amount_sql(self, aplan_col: str) -> tuple[str, str]:
        """(yuan, as_of): the monthly sum a row's place pays its group, and the day it took effect, as
        SQL over the row's facts; NULL where no sum is recorded (tiers and shares are not sums) or a
        fact the figure turns on is unknown."""
        yuan, when = [], []
        for index, entries in enumerate(self.amount_chains):
            y, w = [], []
            for entry in entries:
                day = (entry.effective or entry.valid_from).isoformat()
                for figure in entry.figures:
                    cond = cond_sql(figure.when) if figure.when != ALWAYS else "TRUE"
                    if cond != "TRUE":
                        y.append(f"WHEN ({cond}) IS NULL THEN NULL")
                        w.append(f"WHEN ({cond}) IS NULL THEN NULL")
                    y.append(f"WHEN {cond} THEN {lit(figure.yuan)}")
                    w.append(f"WHEN {cond} THEN {lit(day if figure.yuan is not None else None)}")
            if y:
                yuan.append(f"WHEN {index} THEN CASE {' '.join(y)} END")
                when.append(f"WHEN {index} THEN CASE {' '.join(w)} END")
        if not yuan:
            return "CAST(NULL AS DOUBLE)", "CAST(NULL AS STRING)"
        return (f"CAST(CASE {aplan_col} {' '.join(yuan)} END AS DOUBLE)",
                f"CAST(CASE {aplan_col} {' '.join(when)} END AS STRING)")

    def _plan(self, region: str | None) -> Plan:
        items, guards = decision_list(stack(self.program, region, self.as_of), self.as_of, self.program)
        sig = _signature(items, guards)
        if sig not in self._by_signature:
            self._by_signature[sig] = Plan(len(self.plans), items, guards)
            self.plans.append(self._by_signature[sig])
        return self._by_signature[sig]

    def plan_of(self, region: str | None) -> int:
        return UNKNOWN if region is None else self.region_plan[region]

    # -- the parts of one plan --

    def _ref(self, cond: Condition) -> str:
        return "TRUE" if cond == ALWAYS else self.conds[cond]

    def _first(self, p: Plan) -> str:
        """The index of the first item that is true (the walk stops there); len(items) if none."""
        whens = []
        for i, item in enumerate(p.items):
            if item.trigger == ALWAYS:
                return f"CASE {' '.join(whens)} ELSE {i} END" if whens else str(i)
            whens.append(f"WHEN {self._ref(item.trigger)} THEN {i}")
        return f"CASE {' '.join(whens)} ELSE {len(p.items)} END" if whens else str(len(p.items))

    def _gfirst(self, p: Plan) -> str:
        if not p.guards:
            return "0"
        whens = " ".join(f"WHEN {self._ref(g.trigger)} THEN {j}" for j, g in enumerate(p.guards))
        return f"CASE {whens} ELSE {len(p.guards)} END"

    def _open(self, p: Plan, i: int) -> str:
        """Item i is an open branch: the first true one, or unknown before it."""
        item = p.items[i]
        if item.trigger == ALWAYS:
            return f"(z_f{p.index} = {i})"
        return f"((z_f{p.index} = {i}) OR (z_f{p.index} > {i} AND {self._ref(item.trigger)} IS NULL))"

    def _gopen(self, p: Plan, j: int) -> str:
        """Guard j is an open branch after a grant: the first true one, or unknown before it (unless
        it is an exception of local practice, which is said, not asked)."""
        guard = p.guards[j]
        if guard.unknown_note:
            return f"(z_g{p.index} = {j})"
        return f"((z_g{p.index} = {j}) OR (z_g{p.index} > {j} AND {self._ref(guard.trigger)} IS NULL))"

    def _grant(self, p: Plan, item: Item) -> bool:
        return item.outcome.verdict in GRANTS and bool(p.guards)

    def _open_grant(self, p: Plan) -> str:
        return _or(self._open(p, i) for i, item in enumerate(p.items) if self._grant(p, item))

    def _branches(self, p: Plan) -> list[tuple[str, Item]]:
        """Every branch the engine's walk can open, with the condition (over z_f, z_g) that it is open."""
        out = []
        any_guard_true = f"(z_g{p.index} < {len(p.guards)})"
        open_grant = self._open_grant(p)
        for i, item in enumerate(p.items):
            if self._grant(p, item):
                out.append((_and(self._open(p, i), f"NOT {any_guard_true}"), item))
            else:
                out.append((self._open(p, i), item))
        if open_grant != "FALSE":
            out += [(_and(open_grant, self._gopen(p, j)), g) for j, g in enumerate(p.guards)]
        return out

    def _verdicts(self, p: Plan) -> str:
        """The set of open verdicts as bits: eligible 1, ineligible 2, refer 4."""
        has = {v: [] for v in BITS}
        for cond, item in self._branches(p):
            has[item.outcome.verdict].append(cond)
        return " + ".join(f"(CASE WHEN {_or(conds)} THEN {BITS[v]} ELSE 0 END)" for v, conds in has.items())

    def _deciding(self, p: Plan) -> list[tuple[str, Item]]:
        """(condition, item) in order: the branch that explains a settled verdict (the first certain one,
        else the first open one), as _settled() picks it."""
        out = []
        for i, item in enumerate(p.items):
            here = f"(z_f{p.index} = {i})"
            if self._grant(p, item):
                out += [(_and(here, f"(z_g{p.index} = {j})"), g) for j, g in enumerate(p.guards)]
            out.append((here, item))
        if all(item.trigger != ALWAYS for item in p.items):  # no certain branch: the first open one
            for i, item in enumerate(p.items):
                if self._grant(p, item):
                    out += [(_and(self._open(p, i), self._gopen(p, j)), g) for j, g in enumerate(p.guards)]
                out.append((self._open(p, i), item))
        return out

    def _expired(self, item: Item) -> bool:
        ended = getattr(item.layer, "ended", None)  # Layer.ended(as_of) where the model has it
        return bool(ended(self.as_of) if ended else item.layer.valid_to and item.layer.valid_to < self.as_of)

    def _waiting(self, p: Plan, fact: str) -> str:
        """Whether `fact` is among the facts the open branches of plan p wait on (walk()'s `waiting`)."""
        terms = []
        for i, item in enumerate(p.items):
            w = wait_sql(item.trigger, fact) if item.trigger != ALWAYS else None
            if w is not None:
                terms.append(_and(f"(z_f{p.index} > {i})", f"({self._ref(item.trigger)} IS NULL)", w))
        guard_terms = []
        for j, guard in enumerate(p.guards):
            w = wait_sql(guard.trigger, fact) if not guard.unknown_note else None
            if w is not None:
                guard_terms.append(_and(f"(z_g{p.index} > {j})", f"({self._ref(guard.trigger)} IS NULL)", w))
        if guard_terms:
            terms.append(_and(self._open_grant(p), _or(guard_terms)))
        return _or(terms)

    # -- per row --

    def _unknown_places(self) -> list[Plan]:
        """The plans of the places tried when the region is not known, other than the national one."""
        seen, out = {self.national.index}, []
        for _, plan in self.places:
            if plan.index not in seen:
                seen.add(plan.index)
                out.append(plan)
        return out

    def _per_plan(self, plan_col: str, expr) -> str:
        """CASE over the row's plan; `expr(plan)` for a known region, `expr(None)` for an unknown one."""
        whens = " ".join(f"WHEN {p.index} THEN {expr(p)}" for p in self.plans)
        return f"CASE {plan_col} {whens} WHEN {UNKNOWN} THEN {expr(None)} END"

    def core(self, src: str, plan_col: str, final: bool = True) -> str:
        """SELECT src.*, verdict, rule, z_expired, w_<fact> ..., z_m over `src`, a relation with one typed
        column per fact and `plan_col`. final=False: _possible() only (no "not yet in force" check), as the
        engine's hypothetical evaluation reads it."""
        conds = ", ".join(f"{cond_sql(c)} AS {name}" for c, name in self.conds.items())
        s1 = f"SELECT *{', ' + conds if conds else ''} FROM {src}"
        firsts = ", ".join(f"{self._first(p)} AS z_f{p.index}, {self._gfirst(p)} AS z_g{p.index}" for p in self.plans)
        s2 = f"SELECT *, {firsts} FROM ({s1}) z1"
        sets = ", ".join(f"{self._verdicts(p)} AS z_vs{p.index}" for p in self.plans)
        s3 = f"SELECT *, {sets} FROM ({s2}) z2"
        nat, others = self.national.index, self._unknown_places()
        union = " | ".join(f"z_vs{p.index}" for p in [self.national] + others)
        differs = _or(f"(z_vs{p.index} <> z_vs{nat})" for p in others)
        vs = self._per_plan(plan_col, lambda p: f"z_vs{p.index}" if p else f"({union})")
        empty = [p.index for p in self.plans if not p.items] if final else []
        if final and not self.national.items:
            empty.append(UNKNOWN)
        not_yet = f"({plan_col} IN ({', '.join(map(str, empty))}))" if empty else "FALSE"
        s4 = (f"SELECT *, {vs} AS z_vs, {not_yet} AS z_ny, "
              f"({plan_col} = {UNKNOWN} AND {differs}) AS z_rm FROM ({s3}) z3")

        def case(pairs, value) -> str:
            if not pairs:  # an empty decision list (nothing in force): no rule decides
                return "NULL"
            return "CASE " + " ".join(f"WHEN {c} THEN {value(item)}" for c, item in pairs) + " END"

        rule = self._per_plan(plan_col, lambda p: case(self._deciding(p or self.national), lambda i: lit(i.outcome.where)))
        expired_settled = self._per_plan(plan_col, lambda p: case(self._deciding(p or self.national),
                                                                  lambda i: lit(self._expired(i))))

        def expired_open(p: Plan) -> str:
            return _or(c for c, item in self._branches(p) if self._expired(item))

        expired_need = self._per_plan(plan_col, lambda p: expired_open(p) if p else _or(
            [expired_open(self.national)] + [_and(f"(z_vs{o.index} <> z_vs{nat})", expired_open(o)) for o in others]))
        verdict = (f"CASE WHEN z_ny THEN {lit(self.not_in_force.verdict)} WHEN z_vs = 1 THEN 'eligible' "
                   f"WHEN z_vs = 2 THEN 'ineligible' WHEN z_vs = 4 THEN 'refer' ELSE 'need_info' END")
        open_ = f"(NOT z_ny AND z_vs NOT IN {SETTLED})"

        def waiting(fact: str) -> str:
            return self._per_plan(plan_col, lambda p: self._waiting(p, fact) if p else _or(
                [self._waiting(self.national, fact)]
                + [_and(f"(z_vs{o.index} <> z_vs{nat})", self._waiting(o, fact)) for o in others]))

        waits = ", ".join(f"CASE WHEN {open_} THEN COALESCE({waiting(f)}, FALSE) ELSE FALSE END AS w_{f}"
                          for f in self.facts)
        s5 = (f"SELECT *, {verdict} AS verdict, "
              f"CASE WHEN z_ny THEN {lit(self.not_in_force.where)} WHEN z_vs IN {SETTLED} THEN {rule} END AS rule, "
              f"CASE WHEN z_ny THEN FALSE WHEN z_vs IN {SETTLED} THEN {expired_settled} ELSE {expired_need} END "
              f"AS z_expired, {waits}{', ' if waits else ''}({open_} AND z_rm) AS w_region FROM ({s4}) z4")
        count = " + ".join(f"(CASE WHEN w_{f} THEN 1 ELSE 0 END)" for f in [*self.facts, "region"])
        return f"SELECT *, {count} AS z_m FROM ({s5}) z5"

    # -- the pattern a row's order of missing facts depends on --

    def _radix(self) -> list[tuple[str, int]]:
        out, r = [], 1
        for f in self.facts:
            out.append((f, r))
            r *= len(self.classes[f]) + 1
        out.append((None, r))  # the plan
        return out

    def _code(self, fact: str) -> str:
        whens = " ".join(f"WHEN {cond} THEN {k + 1}" for k, (cond, _) in enumerate(self.classes[fact]))
        return f"CASE WHEN {fact} IS NULL THEN 0 {whens} END"

    def key_sql(self, plan_col: str) -> str:
        terms = [f"({self._code(f)}) * {r}" if f else f"({plan_col} + 1) * {r}" for f, r in self._radix()]
        return " + ".join(terms)

    def _canonical(self, fact: str) -> str:
        whens = " ".join(f"WHEN {cond} THEN {lit(rep)}" for cond, rep in self.classes[fact])
        return f"CASE {whens} END"

    def classes_sql(self, people: str, plan_col: str) -> str:
        """The rule SQL on one row per distinct pattern of `people` (each fact's value replaced by its
        class's representative): a row and its pattern agree on every condition."""
        canon = [f"CAST({self._canonical(f)} AS {sql_type(f)}) AS {f}" for f in self.facts]
        distinct = f"SELECT DISTINCT {', '.join(canon + [f'{plan_col} AS z_plan'])} FROM {people}"
        return f"SELECT {self.key_sql('z_plan')} AS z_key, * FROM ({self.core(f'({distinct}) d', 'z_plan')}) c"

    def patterns_sql(self, classes: str) -> str:
        """The patterns whose missing facts need ordering (need_info, two or more): key, plan, values, flags."""
        flags = ", ".join(f"w_{f}" for f in [*self.facts, "region"])
        return (f"SELECT z_key, z_plan, {', '.join([*self.facts, flags])}, z_m FROM {classes} "
                f"WHERE verdict = 'need_info' AND z_m >= 2")

    def steps(self, people: str, plan_col: str, receiving: str, prefix: str,
              aplan_col: str | None = None) -> tuple[list[str], str]:
        """The statements that answer every pattern of `people` (each keeps a small table), and the query
        of the results. `receiving`: an SQL expression over people, whether the person receives it;
        `aplan_col`: the column of amount plans (amount_plan_of()), None when amounts are not wanted."""
        classes, patterns, hypotheses, orders, answers = (
            f"{prefix}_{step}" for step in ("classes", "patterns", "hypotheses", "orders", "answers"))
        prepare = [self.dialect.materialize(classes, self.classes_sql(people, plan_col)),
                   self.dialect.materialize(patterns, self.patterns_sql(classes)),
                   self.dialect.materialize(hypotheses, self.hypotheses_sql(patterns)),
                   self.dialect.materialize(orders, self.order_sql(hypotheses)),
                   self.dialect.materialize(answers, self.answers_sql(classes, orders))]
        return prepare, self.results_sql(people, plan_col, answers, receiving, aplan_col)

    def hypotheses_sql(self, patterns: str) -> str:
        """For each pattern, missing fact f and value v worth trying (fact_domain()): the pattern with f = v."""
        candidates = [*self.facts, "region"]
        rows = []  # (fact index, value index, then the value in its fact's column, NULL in the others)
        for fi, f in enumerate(candidates):
            for vi, v in enumerate(fact_domain(self.program, f)):
                value = self.plan_of_place(v) if f == "region" else v
                rows.append((fi, vi, *[value if g == f else None for g in candidates]))
        table = self.dialect.values(rows, "d", ("z_fi", "z_vi", *[f"v_{g}" for g in candidates]))
        cols = [f"CASE WHEN d.z_fi = {fi} THEN d.v_{f} ELSE p.{f} END AS {f}" for fi, f in enumerate(self.facts)]
        cols.append(f"CASE WHEN d.z_fi = {len(self.facts)} THEN d.v_region ELSE p.z_plan END AS z_plan")
        missing = "CASE d.z_fi " + " ".join(f"WHEN {fi} THEN p.w_{f}" for fi, f in enumerate(candidates)) + " END"
        return (f"SELECT p.z_key, p.z_m AS z_m0, d.z_fi, d.z_vi, {', '.join(cols)} "
                f"FROM {patterns} p CROSS JOIN {table} WHERE {missing}")

    def order_sql(self, hypotheses: str) -> str:
        """z_key, missing (a JSON list in the engine's order) for each pattern of `hypotheses`.

        As _settling_score(): for each missing fact f and each value v worth trying, the row with f = v
        is evaluated again; it scores 1 if its verdict is settled, else the share of the original missing
        facts no longer missing. A fact's score is the mean over its values, summed in the engine's
        order in double precision; the facts go by score, highest first, then in FACTS order."""
        candidates = [*self.facts, "region"]
        core = self.core(hypotheses, "z_plan", final=False)
        share = (f"CASE WHEN z_vs IN {SETTLED} THEN CAST(1 AS DOUBLE) "
                 f"ELSE CAST(GREATEST(0, z_m0 - z_m) AS DOUBLE) / z_m0 END")
        width = max(len(fact_domain(self.program, f)) for f in candidates)
        shares = ", ".join(f"MAX(CASE WHEN z_vi = {k} THEN z_a END) AS z_a{k}" for k in range(width))

        def mean(f: str) -> str:
            n = len(fact_domain(self.program, f))
            total = "z_a0"
            for k in range(1, n):
                total = f"({total} + z_a{k})"
            return f"{total} / {n}"

        score = "CASE z_fi " + " ".join(f"WHEN {fi} THEN {mean(f)}" for fi, f in enumerate(candidates)) + " END"
        per_fact = (f"SELECT z_key, z_fi, {score} AS z_s FROM (SELECT z_key, z_fi, {shares} FROM "
                    f"(SELECT z_key, z_fi, z_vi, {share} AS z_a FROM ({core}) c) a GROUP BY z_key, z_fi) b")
        pivot = ", ".join(f"MAX(CASE WHEN z_fi = {fi} THEN z_s END) AS s_{f}" for fi, f in enumerate(candidates))

        def rank(f: str) -> str:
            ahead = " + ".join(
                f"(CASE WHEN s_{g} > s_{f} OR (s_{g} = s_{f} AND {int(ORDER[g] < ORDER[f])} = 1) THEN 1 ELSE 0 END)"
                for g in candidates if g != f)
            return f"CASE WHEN s_{f} IS NULL THEN NULL ELSE {ahead} END"

        ranks = ", ".join(f"{rank(f)} AS r_{f}" for f in candidates)
        slots = ", ".join(
            "CASE " + " ".join(f"WHEN r_{f} = {k} THEN '\"{f}\"'" for f in candidates) + " END"
            for k in range(len(candidates)))
        return (f"SELECT z_key, CONCAT('[', CONCAT_WS(', ', {slots}), ']') AS missing FROM "
                f"(SELECT z_key, {ranks} FROM (SELECT z_key, {pivot} FROM ({per_fact}) s GROUP BY z_key) p) r")

    def plan_of_place(self, code: str) -> int:
        return self._plan(code).index if code not in self.region_plan else self.region_plan[code]

    def answers_sql(self, classes: str, orders: str) -> str:
        """Per pattern: verdict, missing (a JSON list, in order), rule, source_status."""
        one = " ".join(f"WHEN c.w_{f} THEN '[\"{f}\"]'" for f in [*self.facts, "region"])
        return (f"SELECT c.z_key, c.verdict, CASE WHEN c.z_m = 0 THEN '[]' WHEN c.z_m = 1 THEN CASE {one} END "
                f"ELSE o.missing END AS missing, c.rule, CASE WHEN c.z_expired THEN 'expired' ELSE 'current' END "
                f"AS source_status FROM {classes} c LEFT JOIN {orders} o ON o.z_key = c.z_key")

    def results_sql(self, people: str, plan_col: str, answers: str, receiving: str,
                    aplan_col: str | None = None) -> str:
        """line, person, program, verdict, missing, rule, source_status, receiving, figures (and, with
        `aplan_col`, amount_yuan and amount_as_of for an eligible row): each row of `people` takes its
        pattern's answer; figures and amounts are computed from the row's own values."""
        figures = "CAST(NULL AS STRING)"
        if self.figures:
            whens = []
            for rule, parts in self.figures.items():
                fields = ", ".join(
                    f"CASE WHEN ({figure_sql(src)}) IS NOT NULL THEN CONCAT('\"{key}\": ', "
                    f"CAST({figure_sql(src)} AS STRING)) END" for key, src in parts)
                whens.append(f"WHEN {lit(rule)} THEN NULLIF(CONCAT('{{', CONCAT_WS(', ', {fields}), '}}'), '{{}}')")
            figures = f"CASE a.rule {' '.join(whens)} END"
        amounts = ""
        if aplan_col is not None:
            yuan, when = self.amount_sql(f"p.{aplan_col}")
            amounts = (f", CASE WHEN a.verdict = 'eligible' THEN {yuan} END AS amount_yuan, "
                       f"CASE WHEN a.verdict = 'eligible' AND {yuan} IS NOT NULL THEN {when} END AS amount_as_of")
        return (f"SELECT p.line, p.person, {lit(self.program.id)} AS program, a.verdict, a.missing, a.rule, "
                f"a.source_status, {receiving} AS receiving, {figures} AS figures{amounts} "
                f"FROM (SELECT *, {self.key_sql(plan_col)} AS z_key FROM {people}) p "
                f"JOIN {answers} a ON a.z_key = p.z_key")


def _classes(fact: str, atoms: list[Atom]) -> list[tuple[str, object]]:
    """The values of a fact that the atoms tell apart: [(SQL condition, a representative value)]."""
    spec = FACTS[fact]
    values = spec.domain() or tuple(range(spec.low, spec.high + 1))
    groups: dict[tuple, list] = {}
    for v in values:
        groups.setdefault(tuple(a.test(v) for a in atoms), []).append(v)
    out = []
    for members in groups.values():
        if spec.kind == "int" and not spec.domain():
            runs, start = [], members[0]
            for a, b in zip(members, members[1:] + [None]):
                if b != a + 1:
                    runs.append(f"({fact} BETWEEN {start} AND {a})")
                    start = b
            cond = " OR ".join(runs)
        else:
            cond = f"({fact} IN ({', '.join(lit(v) for v in members)}))"
        out.append((cond, members[0]))
    return out


# --- what the rule ids mean ------------------------------------------------------------------

RULE_COLUMNS = ("rule", "program", "verdict", "reason", "ask", "sources", "details", "doc", "place",
                "valid_from", "valid_to", "source_status")


def rule_catalogue(programs: Iterable[Program], as_of: date) -> list[dict]:
    """One row per outcome a rule id can name: its verdict, reason, sources and constant details (the
    figures computed per person are in the results' `figures`)."""
    from .engine import _source

    rows = []
    for program in programs:
        outcomes = []
        for layer in program.layers:
            outcomes += [(outcome, layer) for outcome in layer.outcomes]
        outcomes.append((not_in_force(program, as_of), None))
        for outcome, layer in outcomes:
            details = {k: v for k, v in outcome.details if not callable(v)}
            if outcome.verdict in GRANTS and program.apply:
                details["apply"] = program.apply
            expired = bool(layer and layer.valid_to and layer.valid_to < as_of)
            rows.append({
                "rule": outcome.where, "program": program.id, "verdict": outcome.verdict,
                "reason": outcome.reason, "ask": outcome.ask,
                "sources": json.dumps([_source(c) for c in outcome.cites], ensure_ascii=False),
                "details": json.dumps(details, ensure_ascii=False),
                "doc": layer.doc if layer else None, "place": layer.place if layer else None,
                "valid_from": layer.valid_from.isoformat() if layer and layer.valid_from else None,
                "valid_to": layer.valid_to.isoformat() if layer and layer.valid_to else None,
                "source_status": "expired" if expired else "current",
            })
    return rows


def figures_of(outcome_details: tuple, profile: dict) -> str | None:
    """The Python engine's side of `figures`: the computed details of the deciding outcome, as JSON."""
    out = {k: v(profile) for k, v in outcome_details if callable(v)}
    out = {k: v for k, v in out.items() if v is not None}
    return json.dumps(out, ensure_ascii=False) if out else None
