"""Amounts as dated parameters, in the manner of OpenFisca's: one file per parameter, one timeline each.

    rules/parameters/<programme>/<place code>.yaml     the monthly amount one place pays under one programme

A parameter file reads like this (the keys are all required but `effective`, `section`, `groups`):

    program: care_subsidy
    place: "310000"                     # the place it applies in, and in every place inside it
    description: 上海市重度残疾人护理补贴标准
    unit: 元
    period: month
    last_checked: 2026-12-07            # the day someone last looked for a newer figure
    groups:                             # who gets which figure; a person takes the first group that fits
      - {key: grade_1, label: 一级残疾人, when: {disability_grade: 1}}
      - {key: grade_2, label: 二级残疾人, when: {disability_grade: 2}}
    values:                             # the timeline: each date starts a period that ends the day
      2021-12-27:                       # before the next date
        doc: shanghai-2021-amounts      # the document (knowledge/sources/<doc>.md): its title, number,
        date_kind: stated_on            # issue date, page and what kind of page it is
        section: 护理补贴
        figures:                        # per group: yuan, tiers [{label, yuan}] or share_of_dibao_line
          grade_1: {yuan: 300, quote: 一级残疾人，补贴标准每人每月300元}
      2025-08-07:                       # never before the document existed: a notice dated 2025-08-07
        doc: shanghai-2025-5            # that applies its figures from 2025-07-01 says so in
        effective: 2025-07-01           # `effective`, and answers from its own date
        date_kind: took_effect
        ...
      2027-01-01: null                  # the timeline ends (only at its end: no gaps)

A group with no figure in a period is not paid by that document (a person of that group gets the figure
of the place around it, if any). Every figure quotes the words it is read from (`quote`, in `section` of
the document: `zhucan rules lint` checks that they are there). `zhucan rules table` writes the figures in
force for every place, with their sources, to docs/amounts.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from knowledge.yamlfile import load_text

from .model import DATE_KINDS, NATIONAL, AmountEntry, Cite, Figure, Op, RuleError, parse_condition

PARAMETERS_DIR = Path(__file__).with_name("parameters")
UNITS = {"元"}
PERIODS = {"month"}
KEYS = {"program", "place", "description", "unit", "period", "last_checked", "groups", "values"}
VALUE_KEYS = {"doc", "date_kind", "effective", "section", "figures"}
FIGURE_KEYS = {"yuan", "tiers", "share_of_dibao_line", "quote", "section"}


@dataclass(frozen=True)
class Parameter:
    """One parameter file, read: its metadata and its timeline as amount entries."""
    program: str
    place: str
    description: str
    last_checked: date
    entries: tuple[AmountEntry, ...]
    path: Path
    gaps: tuple[date, ...] = ()  # a date after which the timeline stops, then starts again


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    raise RuleError(f"{where}: dates are written YYYY-MM-DD, got {value!r}")


def _only(raw: Any, keys: set, where: str) -> dict:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: expected a mapping, got {raw!r}")
    unknown = set(map(str, raw)) - keys
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(keys)}")
    return raw


def load_parameter(path: Path, documents: dict) -> Parameter:
    where = f"parameters/{path.parent.name}/{path.name}"
    raw = load_text(path.read_text(encoding="utf-8"))
    _only(raw, KEYS, where)
    missing = [k for k in ("program", "place", "description", "unit", "period", "last_checked", "values")
               if raw.get(k) is None]
    if missing:
        raise RuleError(f"{where}: needs {', '.join(missing)}")
    if raw["program"] != path.parent.name:
        raise RuleError(f"{where}: program {raw['program']!r} is not its folder's ({path.parent.name})")
    place = NATIONAL if str(raw["place"]) == "national" else str(raw["place"])
    if place != path.stem:
        raise RuleError(f"{where}: place {place!r} is not its file's name ({path.stem})")
    if raw["unit"] not in UNITS or raw["period"] not in PERIODS:
        raise RuleError(f"{where}: unit must be one of {sorted(UNITS)} and period one of {sorted(PERIODS)}")
    groups: dict[str, tuple[str, Any]] = {}
    for i, g in enumerate(raw.get("groups") or [{"key": "all", "label": "", "when": None}]):
        gw = f"{where} group {i + 1}"
        _only(g, {"key", "label", "when"}, gw)
        groups[str(g["key"])] = (str(g.get("label") or ""),
                                 parse_condition(g["when"], gw) if g.get("when") else Op("all", ()))
    dates = sorted(raw["values"], key=lambda d: _date(d, where))
    entries, gaps = [], []
    for i, day in enumerate(dates):
        value = raw["values"][day]
        vw = f"{where} {day}"
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        if value is None:
            if nxt is not None:
                gaps.append(day)
            continue
        _only(value, VALUE_KEYS, vw)
        doc = value.get("doc")
        if doc not in documents:
            raise RuleError(f"{vw}: unknown document {doc!r}")
        if value.get("date_kind") not in DATE_KINDS:
            raise RuleError(f"{vw}: date_kind must be one of {', '.join(DATE_KINDS)}")
        given_figures = {str(k): f for k, f in (value.get("figures") or {}).items()}
        unknown = [k for k in given_figures if k not in groups]
        if unknown:
            raise RuleError(f"{vw}: no group {unknown[0]!r} (groups: {', '.join(groups)})")
        figures = []
        for key in (k for k in groups if k in given_figures):  # a person takes the first group that fits
            f, fw = given_figures[key], f"{vw} {key}"
            _only(f, FIGURE_KEYS, fw)
            given = [k for k in ("yuan", "tiers", "share_of_dibao_line") if f.get(k) is not None]
            if len(given) != 1:
                raise RuleError(f"{fw}: give exactly one of yuan, tiers or share_of_dibao_line")
            section = f.get("section") or value.get("section")
            if not section or not f.get("quote"):
                raise RuleError(f"{fw}: a figure quotes its document: section and quote")
            tiers = []
            for t in f.get("tiers") or []:
                if not isinstance(t, dict) or set(t) != {"label", "yuan"}:
                    raise RuleError(f"{fw}: each tier is {{label, yuan}}")
                tiers.append((str(t["label"]), t["yuan"]))
            label, when = groups[key]
            figures.append(Figure(when, Cite(doc, str(section), str(f["quote"]).strip()), f.get("yuan"), tuple(tiers),
                                  f.get("share_of_dibao_line"), label, fw))
        if not figures:
            raise RuleError(f"{vw}: a period needs figures (or null, to end the timeline)")
        end = _date(nxt, where) - timedelta(days=1) if nxt is not None else None
        effective = value.get("effective")
        entries.append(AmountEntry(place, doc, _date(day, vw), value["date_kind"], tuple(figures), end, vw,
                                   _date(effective, vw) if effective is not None else None))
    return Parameter(str(raw["program"]), place, str(raw["description"]), _date(raw["last_checked"], where),
                     tuple(entries), path, tuple(gaps))


def load_parameters(program: str, documents: dict, directory: Path = PARAMETERS_DIR) -> tuple[Parameter, ...]:
    return tuple(load_parameter(p, documents) for p in sorted((directory / program).glob("*.yaml")))
