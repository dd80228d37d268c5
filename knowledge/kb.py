"""The SQLite knowledge base, built with sqlite-utils from the files that hold each fact.

Tables: documents, clauses (with full-text search over a jieba-segmented column, because SQLite's
own tokenizers do not segment Chinese), places (the gazetteer, with parent links), lexicon (every domain
term), and, added by the rules layer, rules (every outcome of every layer, beside its citation). It is a build output:
the sources, rules, gazetteer and lexicon files are the truth; this is for searching and browsing
(`sqlite-utils tables knowledge/zhucan.db --counts`, `zhucan sources search 渐退期`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

DEFAULT_DB = Path(__file__).with_name("zhucan.db")


def segment_for_index(text: str) -> str:
    """Words and their dictionary sub-words, space-separated: "渐退期" is found by 渐退 too."""
    from .segment import tokenizer
    from .textnorm import normalise

    return " ".join(w for w in tokenizer().cut_for_search(normalise(text)) if w.strip())


def segment_query(text: str) -> list[list[str]]:
    """Each query word with its dictionary sub-words as alternatives: 渐退期 also finds 渐退机制."""
    from .segment import cut, tokenizer

    words = [w for w in cut(text) if w.strip() and any(ch.isalnum() for ch in w)]
    return [[w] + [s for s in tokenizer().cut_for_search(w) if len(s) >= 2 and s != w] for w in words]


def build(db_path: str | Path | None = None, more: Iterable[Callable] = ()) -> Path:
    """Write the knowledge base; each of `more` is called with the database to add tables of the
    layers above this one (the rules: `zhucan kb build` passes rules.model.write_rules)."""
    import sqlite_utils

    from .gazetteer import gazetteer
    from .lexicon import lexicon
    from .sources import load_clauses, load_documents

    path = Path(db_path or DEFAULT_DB)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite_utils.Database(tmp)

    db["documents"].insert_all(
        ({**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(d).items()},
          "citation": d.citation()} for d in load_documents().values()),
        pk="id")
    documents = load_documents()
    # The index holds the document's title and the clause's headings too: "上海 护理补贴" finds the
    # Shanghai clause that itself only says 本市.
    db["clauses"].insert_all(
        ({"id": c.id, "doc": c.doc, "section": c.section, "title": c.title, "path": c.path,
          "para": c.para, "text": c.text,
          "text_seg": segment_for_index(" ".join((documents[c.doc].title, c.path, c.text)))}
         for c in load_clauses()),
        pk="id", foreign_keys=[("doc", "documents", "id")])
    db["clauses"].enable_fts(["text_seg"], create_triggers=True)

    g = gazetteer()
    places = sorted({code for _, code in g.surface_forms()} | {"000000"})
    db["places"].insert_all(
        ({"code": p.code, "name": p.name, "short": p.short, "level": p.level, "parent": p.parent,
          "full_name": p.full_name} for p in map(g.get, places)),
        pk="code")
    db["places"].add_foreign_key("parent", "places", "code", ignore=True)
    db["aliases"].insert_all(({"surface": s, "code": c} for s, c in g.surface_forms()),
                             foreign_keys=[("code", "places", "code")])

    db["lexicon"].insert_all(({"term": t, "kind": k, "value": json.dumps(v, ensure_ascii=False)}
                              for t, k, v in lexicon().entries()))

    for add in more:
        add(db)
    db.conn.close()
    tmp.replace(path)
    return path


def search(query: str, db_path: str | Path | None = None, limit: int = 10) -> list[dict]:
    """Clauses matching every word of the query (segmented the way the index is), best first."""
    import sqlite_utils

    path = Path(db_path or DEFAULT_DB)
    if not path.exists():
        build(path)
    words = segment_query(query)
    if not words:
        return []
    db = sqlite_utils.Database(path)

    def quoted(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    match = " AND ".join("(" + " OR ".join(map(quoted, alts)) + ")" for alts in words)
    sql = """
        select c.id, c.doc, c.section, c.title as heading, c.text, d.citation as title
        from clauses_fts f join clauses c on c.rowid = f.rowid join documents d on d.id = c.doc
        where clauses_fts match :match order by f.rank limit :limit
    """
    return [dict(zip(("id", "doc", "section", "heading", "text", "title"), row))
            for row in db.execute(sql, {"match": match, "limit": limit}).fetchall()]
