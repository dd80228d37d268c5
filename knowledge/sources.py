"""The project's clean copies of the source documents, and their parser.

Each document is one Markdown file under knowledge/sources/, named <id>.md: YAML front matter
(what the document is, where its text comes from, what was corrected) and a body in which headings
reproduce the document's own sections and every other paragraph is one clause, in the government's
own words. A clause is addressed as doc/section/para, e.g. "shanxi-2022-9/三（一）落实残疾人社会福利和社会优待政策/1":

- section: the numbering labels of the heading chain, with full-width parentheses ("第四部分一（二）1",
  "四（三）2（4）"); an unnumbered heading contributes its title ("补贴对象"); an article heading
  ("第八条") restarts the key. Clauses before the first heading have the section "".
- para: the 1-based position of the paragraph within its section.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from knowledge.yamlfile import load_text

SOURCES_DIR = Path(__file__).with_name("sources")

# record: a dated fact (an amount, who it is for) that this project wrote down from a secondary source
# because the official page could not be read; its front matter names the page and what kind it is.
KINDS = {"plan", "national", "local-practice", "local-guide", "news", "amounts", "certificate", "record"}
REQUIRED = ("id", "title", "number", "issuer", "issued", "valid_from", "valid_to", "place", "kind",
            "origin", "url", "notes")
# published: when the page carrying the text is dated; source_kind: what kind of page states the figures
# (see SOURCE_KINDS); in_force_clause: the section whose words set valid_from (本办法自…起施行), which
# dates a document whose issue date is not known; exists_by: when neither its issue date nor its page's
# is known, the day another dated document cites it (the notes say which), so it existed by then.
OPTIONAL = ("published", "source_kind", "in_force_clause", "exists_by")
# What kind of page a figure is read from, said with every amount: the issuing body's own text, an
# official page (a government portal's Q&A, explainer or news), a repost of the official text on another
# site, or a record in a public dataset that names the official page (not read here).
SOURCE_KINDS = {"official_notice": "发文机关的正式文件", "portal_qa": "政府网站上的问答或解读",
                "secondary": "转载，也就是别的网站转载的官方文件",
                "dataset": "公开数据集的记录，官方原文没有核实过"}
DATES = ("issued", "published", "valid_from", "valid_to", "exists_by")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    number: str | None
    issuer: str | None
    issued: date | None
    published: date | None
    valid_from: date | None
    valid_to: date | None
    place: str
    kind: str
    origin: str
    url: str | None
    notes: str | None
    source_kind: str | None = None
    in_force_clause: str | None = None
    exists_by: date | None = None

    def expired(self, as_of: date) -> bool:
        return self.valid_to is not None and self.valid_to < as_of

    def citation(self) -> str:
        if not self.number or self.number in self.title:  # "…实施办法（浙民福〔2021〕191号）的记录"
            return self.title
        return f"{self.title}（{self.number}）"

    def dated(self) -> date | None:
        """The earliest day the document is known to have existed: its issue date, else the date of the
        page that carries it, else the day a dated document cites it. None when none is known."""
        return self.issued or self.published or self.exists_by


@dataclass(frozen=True)
class Clause:
    doc: str
    section: str
    title: str
    path: str
    para: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.doc}/{self.section}/{self.para}"


_CN = "一二三四五六七八九十百零〇"
# A heading's numbering label, and the key it contributes to the section.
_LABELS = [
    (re.compile(rf"(第[{_CN}]+部分)[:：\s]*"), lambda m: m.group(1)),
    (re.compile(rf"(第[{_CN}]+章)\s*"), lambda m: m.group(1)),
    (re.compile(rf"(第[{_CN}]+条)\s*"), lambda m: m.group(1)),
    (re.compile(rf"([{_CN}]+)、\s*"), lambda m: m.group(1)),
    (re.compile(rf"[(（]?([{_CN}]+)[)）]\s*"), lambda m: f"（{m.group(1)}）"),  # 003 has "一)"
    (re.compile(r"(\d+)[.．、]\s*"), lambda m: m.group(1)),
    (re.compile(r"[(（](\d+)[)）]\s*"), lambda m: f"（{m.group(1)}）"),
]
_ARTICLE = re.compile(rf"第[{_CN}]+条$")


def split_heading(text: str) -> tuple[str, str]:
    """(key, title): the label's key ("（二）", "1", "第八条"), or the title for an unnumbered heading."""
    for pattern, key in _LABELS:
        m = pattern.match(text)
        if m:
            return key(m), text[m.end():].strip().rstrip("。：:")
    title = text.strip().rstrip("。：:")
    return title, title


def normalise_section(s: str) -> str:
    return re.sub(r"\s+", "", s).replace("(", "（").replace(")", "）")


def _fail(path: Path, line: int, message: str):
    raise ValueError(f"{path}:{line}: {message}")


def _front_matter(path: Path, lines: list[str]) -> tuple[dict, int]:
    if not lines or lines[0].strip() != "---":
        _fail(path, 1, "expected front matter starting with ---")
    closing = [i for i in range(1, len(lines)) if lines[i].strip() == "---"]
    if not closing:
        _fail(path, 1, "front matter is not closed with ---")
    end = closing[0]
    try:
        meta = load_text("\n".join(lines[1:end]))
    except yaml.YAMLError as err:
        _fail(path, getattr(getattr(err, "problem_mark", None), "line", 0) + 2,
              f"front matter is not valid YAML: {err}")
    if not isinstance(meta, dict):
        _fail(path, 2, "front matter must be a mapping")
    return meta, end + 1


def _document(path: Path, meta: dict) -> Document:
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        _fail(path, 1, f"front matter lacks {', '.join(missing)}")
    unknown = set(meta) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        _fail(path, 1, f"unknown front-matter keys {sorted(unknown)}")
    if meta["id"] != path.stem:
        _fail(path, 1, f"id {meta['id']!r} does not match the file name")
    for key in DATES:
        if meta.get(key) is not None and not isinstance(meta[key], date):
            _fail(path, 1, f"{key} must be a date written YYYY-MM-DD, got {meta[key]!r}")
    if not (isinstance(meta["place"], str) and re.fullmatch(r"\d{6}", meta["place"])):
        _fail(path, 1, f'place must be a quoted 6-digit code such as "140000", got {meta["place"]!r}')
    if meta["kind"] not in KINDS:
        _fail(path, 1, f"kind {meta['kind']!r} is not one of {sorted(KINDS)}")
    if meta.get("source_kind") is not None and meta["source_kind"] not in SOURCE_KINDS:
        _fail(path, 1, f"source_kind {meta['source_kind']!r} is not one of {sorted(SOURCE_KINDS)}")
    if meta["kind"] == "record" and not (meta.get("source_kind") and meta["url"]):
        _fail(path, 1, "a record names the page it rests on: it needs url and source_kind")
    for key in ("title", "origin"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            _fail(path, 1, f"{key} must be non-empty text")
    if meta["valid_from"] and meta["valid_to"] and meta["valid_to"] < meta["valid_from"]:
        _fail(path, 1, "valid_to is before valid_from")
    return Document(**{k: meta.get(k) for k in Document.__dataclass_fields__})


def _clauses(path: Path, doc: str, lines: list[str], first: int) -> list[Clause]:
    clauses: list[Clause] = []
    seen: set[str] = set()
    chain: list[tuple[int, str, str, str]] = []  # (level, key, title, text) of the open headings
    counts: dict[tuple, int] = {}
    previous = ""
    for no, raw in enumerate(lines[first:], start=first + 1):
        line = raw.strip()
        if line.startswith("#"):
            m = re.fullmatch(r"(#+)\s+(\S.*)", line)
            if not m:
                _fail(path, no, "a heading needs '#' marks, a space and its text")
            level, text = len(m.group(1)), m.group(2).strip()
            key, title = split_heading(text)
            while chain and chain[-1][0] >= level:
                chain.pop()
            chain.append((level, key, title, text))
        elif line:
            if previous and not previous.startswith("#"):
                _fail(path, no, "a paragraph continues on a second line: join it into one line")
            start = max((i for i, h in enumerate(chain) if _ARTICLE.match(h[1])), default=0)
            section = "".join(h[1] for h in chain[start:])
            node = tuple(h[3] for h in chain)
            counts[node] = counts.get(node, 0) + 1
            clause = Clause(doc=doc, section=section, title=chain[-1][2] if chain else "",
                            path=" / ".join(h[3] for h in chain), para=counts[node], text=line)
            if clause.id in seen:
                _fail(path, no, f"duplicate clause id {clause.id}")
            seen.add(clause.id)
            clauses.append(clause)
        previous = line
    return clauses


def _parse(path: Path) -> tuple[Document, list[Clause]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    meta, first = _front_matter(path, lines)
    document = _document(path, meta)
    return document, _clauses(path, document.id, lines, first)


@functools.lru_cache(maxsize=None)
def _load(directory: Path) -> tuple[dict[str, Document], tuple[Clause, ...]]:
    documents: dict[str, Document] = {}
    clauses: list[Clause] = []
    for path in sorted(directory.glob("*.md")):
        document, found = _parse(path)
        documents[document.id] = document
        clauses.extend(found)
    return documents, tuple(clauses)


def load_documents(directory: str | Path = SOURCES_DIR) -> dict[str, Document]:
    return dict(_load(Path(directory).resolve())[0])


def load_clauses(directory: str | Path = SOURCES_DIR) -> list[Clause]:
    """Every clause of every document, in document order (documents sorted by file name)."""
    return list(_load(Path(directory).resolve())[1])


def find_clauses(doc_id: str, section: str, directory: str | Path = SOURCES_DIR) -> list[Clause]:
    wanted = normalise_section(section)
    return [c for c in load_clauses(directory)
            if c.doc == doc_id and normalise_section(c.section) == wanted]
