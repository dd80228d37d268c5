"""The NLU stress sets: how well `bot.nlu.understand` reads messages written the way people write.

    python tests/nlu/stress.py [--show] FILE...    (FILE: tests/nlu/stress.yml, stress_round2.yml, stress_blind.yml…)

prints, per profile fact, how many of the values the items state were read correctly, read wrongly and
missed, and exits 1 when a floor of issue 8 is not met (0 values read wrongly, at most 10% missed).
`--show` lists every wrong or missed item, except for stress_blind.yml: its texts stay unseen by whoever
works on the NLU, so only its counts are ever printed.

The files (format and labelling rules in the header of stress.yml): a list `items:` of
{text, asked?, facts?, confirm?, programs?, dont_know?, as_of?}. Each item is read once with
`understand(text, asking=asked)` (and `as_of`, the day it is said on, when the item gives one), whose result has `.facts` (fact -> value read with confidence),
`.confirm` (fact -> value the bot would ask the user to confirm), `.programs` and `.dont_know`.

How a fact is counted, over all items:
- expected: the item states it, in `facts` (certain) or `confirm` (to be confirmed);
- correct: a certain or a confirm value equal to the expected one (inside it, for {between: [lo, hi]});
- wrong: a certain value that differs from the expected one, or a certain value for a fact the item does
  not state at all (a spurious value is a wrong value: a wrong verdict waiting to happen);
- missed: expected and not read correctly, and no certain value either (nothing read, or only a confirm
  value that differs);
- reported beside them: wrong confirmations (a confirm value that differs, or one for a fact the item does
  not state) and over-confident readings (expected as `confirm`, read as certain).
Programmes: correct (asked and read), wrong (read, not asked), missed (asked, not read). dont_know: correct
(said and read), wrong (read, not said), missed (said, not read).
"""
from __future__ import annotations

import argparse
from datetime import date
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STRESS = HERE / "stress.yml"
TRAPS = HERE / "stress_traps.yml"  # a second development set, written as traps by another author
BLIND = HERE / "stress_blind.yml"
BLIND2 = HERE / "stress_blind2.yml"  # a fourth author, every province, read blind since 2026-12-07
ROUND2 = HERE / "stress_round2.yml"  # the first blind set, a development set since its figures were recorded
ROUND3 = HERE / "stress_round3.yml"  # a third author, residents of every province: development set
ROUND5 = HERE / "stress_round5.yml"  # a fifth author: certificate, age and work only (development set)
ROUND6 = HERE / "stress_round6.yml"  # a sixth author, every province, read blind once (development set)
ROUND7 = HERE / "stress_round7.yml"  # a seventh author, long letters too, read blind once (development set)
ROUND8 = HERE / "stress_round8.yml"  # an eighth author, letters and call summaries of every province (development set)
PROGRAMS_DIR = ROOT / "rules" / "programs"

MAX_WRONG = 0
MAX_MISSED_SHARE = 0.10
# The blind set is read only through its counts and never tuned to: it estimates how the reader does on
# text its authors never saw, so it is not held to the development floors. What it is held to is the
# figures recorded when it was last measured: a change that reads it worse fails.
# The second blind set (2026-12-07, a new author): 12 values read wrongly and 14.1% missed by the reader
# before issue 14 (9694b49), 10 and 12.9% after it; then 8 and 13.2% (脑瘫 and 耳背 confirmed: 2 wrong fewer;
# 湖北's child rehabilitation to age 10 puts a rule's boundary inside one more approximate age, which is
# then asked, not settled: one value more missed).
# Then 8 and 12.9% (a person named after a word of another time is said of now; ages by a decade's name).
# Then 8 and 12.7% (stress_round3 worked on: shorthand with 残, corrected numbers, JioNLP short names…).
# Then 8 and 12.2% (a body part said to be disabled suggests 肢体, to confirm).
# Then 7 and 12.2% (a job or an age far from its person, with others named, is confirmed).
# Then 6 (低保 that a story later says was taken away is confirmed).
# Then 5 (a reply that begins by not knowing is confirmed; the person the message says it asks about).
# Then 5 and 12.0% (stress round 6 and the real letters worked on, 2026-12-07).
BLIND_RECORDED = (5, 0.121)  # values read wrongly, share of stated values missed
# The first blind set, read blind for the last time on 2026-12-07 (12 wrong, 15.9% missed; 14, 19% on
# 2026-11-27), then worked on: held to what it reads now until it meets the development floors.
# The second blind set, first read on 2026-12-07: 5 wrong, 9.1% of 385 values missed (held to it; never tuned to).
BLIND2_RECORDED = (5, 0.073)  # then 8.8% (the same change), 8.3% (care words, 没上过班, 当护工…), 8.1%, 7.8% (round 6), 7.5%, 7.3% (round 8)
ROUND2_RECORDED = (1, 0.07)
# Round 7, first read blind at 4a3cbe3 (15 wrong, 11.3% missed), then worked on; held to this until it meets
# the development floors
ROUND7_RECORDED = (1, 0.091)  # 2 wrong, 12.6% missed before the third session of 2026-12-07; 4 wrong after it
# Round 8, first read blind at 04cf0f1 (12 wrong, 11.5% of 524 values missed), then worked on: 9 wrong, 9.8% of 518; 8, 9.5%; 6, 8.7%; 6, 7.5%; 5, 7.4%
ROUND8_RECORDED = (4, 0.060)
# Real messages residents sent to their governments: long letters, traditional characters, formal words.
# Recorded on 2026-12-07 and held so that they cannot get worse unnoticed; the unseen part is never tuned to.
# The dev part: 48% missed, then 40% (小儿麻痹症 as its own word, 瘫痪 suggesting a need for care).
# Then 41 more messages (a second collector, 2026-12-07), odd ids dev, even ids unseen: read first at 7f8ba8e,
# dev 10 wrong and 22.7% of 66 values missed, unseen 5 wrong and 37.7% of 61 (the first 18 alone: 1 and 70.6%).
# Then 24 more (a third collector, ids s001-s024, mostly residents' words quoted in local news), read first at
# 04cf0f1 with the other parts: dev 4 wrong and 17.3% of 75 values missed, unseen 6 wrong and 33.3% of 81.
# Then dev 0 wrong (a place named in passing in a long story, or in an office's name, is confirmed).
REAL_RECORDED = {"dev": (0, 0.147), "unseen": (6, 0.334)}


def floors(path: Path) -> tuple[int, float]:
    """(most values read wrongly, largest share of stated values missed) a set is held to."""
    name, _, part = str(path).partition("#")
    if part:
        return REAL_RECORDED[part]
    if Path(path).name == ROUND2.name:
        return ROUND2_RECORDED
    if Path(path).name == ROUND7.name:
        return ROUND7_RECORDED
    if Path(path).name == ROUND8.name:
        return ROUND8_RECORDED
    if Path(path).name == BLIND2.name:
        return BLIND2_RECORDED
    return BLIND_RECORDED if is_blind(path) else (MAX_WRONG, MAX_MISSED_SHARE)

ITEM_KEYS = ("text", "asked", "facts", "confirm", "programs", "dont_know", "as_of")


@dataclass(frozen=True)
class Item:
    line: int  # where the item starts in its file (1-based)
    text: str
    asked: str | None = None
    facts: dict = field(default_factory=dict)
    confirm: dict = field(default_factory=dict)
    programs: tuple = ()
    dont_know: bool = False
    as_of: date | None = None  # the day it is said on, for words that count from today ("1958年出生")

    def expected(self) -> dict[str, tuple[str, Any]]:
        """fact -> ("certain" | "confirm", expected value)."""
        out = {k: ("certain", v) for k, v in self.facts.items()}
        out.update({k: ("confirm", v) for k, v in self.confirm.items()})
        return out


def is_blind(path: Path) -> bool:
    return Path(path).name.startswith("stress_blind") or str(path).endswith("#unseen")


# Real messages residents sent to their governments (tests/nlu/real_messages.yml), read as a set in two
# parts: FILE#dev, looked at while the reader is worked on, and FILE#unseen, counts only.
REAL = HERE / "real_messages.yml"


def _county(place: str) -> str:
    """The division code of a place name written in full, down to its county: a town or village at
    the end ("休宁县蓝田镇") is dropped."""
    import re

    from knowledge.gazetteer import PlaceError, gazetteer

    name = place
    while name:
        try:
            return gazetteer().resolve(name).code
        except PlaceError:
            shorter = re.sub(r"[^省市区县旗州盟]+(?:镇|乡|街道|村|社区|新区)$", "", name)
            if shorter == name:
                raise
            name = shorter
    raise ValueError(place)


def load_real(path: Path, part: str) -> list[Item]:
    """The messages of one part of the real-messages file as stress items: what the message itself
    states (`facts`, `confirm`, `programs`; what only the official reply establishes is not counted)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for i, m in enumerate(data["messages"]):
        if m["part"] != part:
            continue
        facts, confirm = dict(m.get("facts") or {}), dict(m.get("confirm") or {})
        for said in (facts, confirm):
            if "region" in said:
                said["region"] = _county(str(said["region"]))
        out.append(Item(line=i + 1, text=str(m["text"]), facts=facts, confirm=confirm,
                        programs=tuple(m.get("programs") or ())))
    return out


# --- reading and checking the files ----------------------------------------------------------------

def read(path: Path) -> list[tuple[int, Any]]:
    """The raw items of a file with the line each starts on. Raises ValueError for a file that is not
    a mapping with a list under `items`."""
    src = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(src)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError(f"{path}: expected a mapping with a list under 'items'")
    root = yaml.compose(src)
    seq = next(v for k, v in root.value if k.value == "items")
    return [(node.start_mark.line + 1, raw) for node, raw in zip(seq.value, data["items"])]


def program_ids() -> set[str]:
    return {p.stem for p in PROGRAMS_DIR.glob("*.yaml")}


def _between(value: Any) -> tuple[int, int] | None:
    if isinstance(value, dict) and set(value) == {"between"}:
        b = value["between"]
        if isinstance(b, list) and len(b) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in b):
            return b[0], b[1]
    return None


def value_problem(fact: str, value: Any) -> str | None:
    """Why `value` is not a canonical value of `fact` (None when it is)."""
    from rules.facts import FACTS, ProfileError, check_value

    spec = FACTS.get(fact)
    if spec is None:
        return f"unknown fact {fact!r}"
    if isinstance(value, dict):
        rng = _between(value)
        if spec.kind != "int" or rng is None:
            return f"{fact}: {value!r} is not a value; a range is {{between: [lo, hi]}} of a number fact"
        lo, hi = rng
        if lo > hi:
            return f"{fact}: range {lo}-{hi} is empty"
        return value_problem(fact, lo) or value_problem(fact, hi)
    if spec.kind == "region" and not (isinstance(value, str) and len(value) == 6 and value.isdigit()):
        return f"region: {value!r} is not a 6-digit code (quote it: \"330213\")"
    try:
        canonical = check_value(fact, value)
    except ProfileError as err:
        return str(err)
    if canonical != value or type(canonical) is not type(value):
        return f"{fact}: {value!r} is not canonical (the profile value is {canonical!r})"
    return None


def problems(raw_items: list[tuple[int, Any]]) -> list[str]:
    """Everything wrong with a file's items: unknown keys, facts, values, programmes; duplicates."""
    from rules.facts import FACTS

    known_programs = program_ids()
    out, seen = [], {}
    for line, raw in raw_items:
        where = f"line {line}"
        if not isinstance(raw, dict):
            out.append(f"{where}: an item is a mapping")
            continue
        for key in raw:
            if key not in ITEM_KEYS:
                out.append(f"{where}: unknown key {key!r} (known: {', '.join(ITEM_KEYS)})")
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            out.append(f"{where}: text must be a non-empty string (quote numbers: \"2\")")
            continue
        asked = raw.get("asked")
        if asked is not None and asked not in FACTS:
            out.append(f"{where}: asked {asked!r} is not a profile fact")
        key = (asked, text.strip())
        if key in seen:
            out.append(f"{where}: duplicate of line {seen[key]}: {text!r}" + (f" (asked {asked})" if asked else ""))
        seen.setdefault(key, line)
        labelled = {}
        for part in ("facts", "confirm"):
            values = raw.get(part, {})
            if not isinstance(values, dict):
                out.append(f"{where}: {part} must be a mapping of fact: value")
                continue
            for fact, value in values.items():
                problem = value_problem(fact, value)
                if problem:
                    out.append(f"{where}: {part}: {problem}")
                if fact in labelled:
                    out.append(f"{where}: {fact} is both in {labelled[fact]} and in {part}")
                labelled[fact] = part
        programs = raw.get("programs", [])
        if not isinstance(programs, list):
            out.append(f"{where}: programs must be a list")
        else:
            for p in programs:
                if p not in known_programs:
                    out.append(f"{where}: unknown programme {p!r} (known: {', '.join(sorted(known_programs))})")
            if len(set(map(str, programs))) != len(programs):
                out.append(f"{where}: a programme is listed twice")
        if "as_of" in raw and not isinstance(raw["as_of"], date):
            out.append(f"{where}: as_of must be a date, YYYY-MM-DD")
        if "dont_know" in raw:
            if raw["dont_know"] is not True:
                out.append(f"{where}: dont_know is only written as true")
            elif asked is None:
                out.append(f"{where}: dont_know needs the question it answers (asked)")
            elif asked in labelled:
                out.append(f"{where}: says it does not know {asked} and gives a value for it")
    return out


def load(path: Path) -> list[Item]:
    """The items of a valid file (ValueError listing the problems of an invalid one)."""
    raw_items = read(path)
    found = problems(raw_items)
    if found:
        raise ValueError(f"{path}: " + "; ".join(found[:20]))
    return [Item(line=line, text=raw["text"], asked=raw.get("asked"), facts=dict(raw.get("facts") or {}),
                 confirm=dict(raw.get("confirm") or {}), programs=tuple(raw.get("programs") or ()),
                 dont_know=bool(raw.get("dont_know")), as_of=raw.get("as_of")) for line, raw in raw_items]


# --- scoring ---------------------------------------------------------------------------------------

def matches(expected: Any, got: Any) -> bool:
    """A read value equals the expected one, or lies inside an expected range. True is not 1."""
    rng = _between(expected)
    if rng is not None:
        return isinstance(got, int) and not isinstance(got, bool) and rng[0] <= got <= rng[1]
    return type(got) is type(expected) and got == expected


@dataclass
class Count:
    expected: int = 0
    correct: int = 0
    wrong: int = 0
    unstated: int = 0  # of the wrong ones: a certain value for a fact the item does not state
    missed: int = 0
    wrong_confirm: int = 0
    over_confident: int = 0

    def add(self, other: "Count") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Finding:
    item: Item
    what: str  # a fact name, "programs" or "dont_know"
    kind: str  # "wrong" | "missed" | "wrong confirmation"
    expected: Any
    read: Any


@dataclass
class Report:
    path: Path
    items: int = 0
    replies: int = 0
    facts: dict[str, Count] = field(default_factory=dict)
    programs: Count = field(default_factory=Count)
    dont_know: Count = field(default_factory=Count)
    findings: list[Finding] = field(default_factory=list, repr=False)  # texts: never in a repr (blind set)

    def total(self) -> Count:
        total = Count()
        for c in self.facts.values():
            total.add(c)
        return total

    def missed_share(self) -> float:
        t = self.total()
        return t.missed / t.expected if t.expected else 0.0

    def passes(self) -> bool:
        wrong, missed = floors(self.path)
        return self.total().wrong <= wrong and self.missed_share() <= missed


def _as_dict(value: Any) -> dict:
    return dict(value or {})


def score(items: Iterable[Item], understand: Callable[..., Any], path: Path = Path("?")) -> Report:
    from rules.facts import FACTS

    report = Report(path=Path(path), facts={name: Count() for name in FACTS})
    for item in items:
        report.items += 1
        report.replies += item.asked is not None
        result = (understand(item.text, asking=item.asked, as_of=item.as_of) if item.as_of
                  else understand(item.text, asking=item.asked))
        certain, confirm = _as_dict(result.facts), _as_dict(result.confirm)
        expected = item.expected()
        for fact in list(FACTS) + sorted((set(certain) | set(confirm)) - set(FACTS)):
            c = report.facts.setdefault(fact, Count())
            if fact in expected:
                kind, exp = expected[fact]
                c.expected += 1
                if fact in certain:
                    c.over_confident += kind == "confirm"
                    if matches(exp, certain[fact]):
                        c.correct += 1
                    else:
                        c.wrong += 1
                        report.findings.append(Finding(item, fact, "wrong", exp, certain[fact]))
                elif fact in confirm:
                    if matches(exp, confirm[fact]):
                        c.correct += 1
                    else:
                        c.missed += 1
                        c.wrong_confirm += 1
                        report.findings.append(Finding(item, fact, "wrong confirmation", exp, confirm[fact]))
                else:
                    c.missed += 1
                    report.findings.append(Finding(item, fact, "missed", exp, None))
            else:
                if fact in certain:
                    c.wrong += 1
                    c.unstated += 1
                    report.findings.append(Finding(item, fact, "wrong", None, certain[fact]))
                if fact in confirm:
                    c.wrong_confirm += 1
                    report.findings.append(Finding(item, fact, "wrong confirmation", None, confirm[fact]))
        asked, read = set(item.programs), set(result.programs or ())
        p = report.programs
        p.expected += len(asked)
        p.correct += len(asked & read)
        p.wrong += len(read - asked)
        p.unstated += len(read - asked)
        p.missed += len(asked - read)
        if read != asked:
            report.findings.append(Finding(item, "programs", "wrong" if read - asked else "missed",
                                           sorted(asked), sorted(read)))
        said, heard = item.dont_know, bool(result.dont_know)
        d = report.dont_know
        d.expected += said
        d.correct += said and heard
        d.wrong += heard and not said
        d.unstated += heard and not said
        d.missed += said and not heard
        if said != heard:
            report.findings.append(Finding(item, "dont_know", "wrong" if heard else "missed", said, heard))
    return report


# --- printing --------------------------------------------------------------------------------------

_HEAD = ("expected", "correct", "wrong", "unstated", "missed", "wrong confirm", "over-confident")


def _row(name: str, c: Count, width: int) -> str:
    cells = (c.expected, c.correct, c.wrong, c.unstated, c.missed, c.wrong_confirm, c.over_confident)
    return f"  {name:<{width}}" + "".join(f"{v:>{len(h) + 2}}" for v, h in zip(cells, _HEAD))


def table(report: Report) -> str:
    """The per-fact table: expected, read correctly, read wrongly (of them: unstated facts), missed, and
    the wrong confirmations and over-confident readings beside them."""
    total = report.total()
    width = max(len(n) for n in list(report.facts) + ["all facts", "programmes"])
    lines = [f"{_rel(report.path)}: {report.items} items ({report.replies} replies to a question), "
             f"{total.expected} fact values stated",
             f"  {'':<{width}}" + "".join(f"{h:>{len(h) + 2}}" for h in _HEAD)]
    lines += [_row(name, c, width) for name, c in report.facts.items()]
    lines.append(_row("all facts", total, width))
    lines.append(_row("programmes", report.programs, width))
    lines.append(_row("dont_know", report.dont_know, width))
    verdict = "meets" if report.passes() else "FAILS"
    wrong, missed = floors(report.path)
    kind = "the recorded figures (never tuned to)" if is_blind(report.path) else "the floors"
    lines.append(f"  {verdict} {kind}: {total.wrong} values read wrongly (at most {wrong}), "
                 f"{100 * report.missed_share():.1f}% of stated values missed (at most {100 * missed:.0f}%)")
    return "\n".join(lines)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _fmt(value: Any) -> str:
    rng = _between(value)
    if rng is not None:
        return f"{rng[0]}-{rng[1]}"
    return "-" if value is None else repr(value)


def listing(report: Report, kinds: tuple[str, ...] = ("wrong", "missed", "wrong confirmation"),
            facts_only: bool = False) -> str:
    """The findings of the given kinds, kind by kind, one line each: where, text, what was expected and
    read. `facts_only`: leave out programmes and dont_know."""
    lines = []
    for f in sorted(report.findings, key=lambda f: kinds.index(f.kind) if f.kind in kinds else 0):
        if f.kind not in kinds or (facts_only and f.what in ("programs", "dont_know")):
            continue
        it = f.item
        asked = f" [asked {it.asked}]" if it.asked else ""
        lines.append(f"  line {it.line}{asked} {it.text!r}: {f.what} {f.kind}: expected {_fmt(f.expected)}, "
                     f"read {_fmt(f.read)}")
    return "\n".join(lines)


def counts_only(report: Report) -> str:
    """Per fact, how many values were read wrongly and missed: no texts (for stress_blind.yml)."""
    rows = [f"{name}: {c.wrong} wrong, {c.missed} missed of {c.expected}"
            for name, c in report.facts.items() if c.wrong or c.missed]
    return "; ".join(rows) or "none"


def measure(path: Path, understand: Callable[..., Any] | None = None) -> Report:
    if understand is None:
        from bot.nlu.understand import understand
    name, _, part = str(path).partition("#")
    items = load_real(Path(name), part) if part else load(path)
    return score(items, understand, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list every wrong or missed item")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    ok = True
    for path in args.files:
        try:
            report = measure(path)
        except ValueError as err:
            print(err, file=sys.stderr)
            return 2
        print(table(report))
        if args.show:
            if is_blind(path):
                print("  (items of the blind set are not listed: " + counts_only(report) + ")")
            else:
                print(listing(report) or "  nothing wrong or missed")
        ok = ok and report.passes()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
