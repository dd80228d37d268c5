"""Build the project's spaCy pipeline into bot/build/spacy_zh (a build output, not committed).

    python -m bot.nlp.build_spacy [OUT_DIR]

blank "zh" + the jieba tokenizer of bot/nlp/tokenizer.py + an entity_ruler whose patterns are
generated, never typed: one per lexicon term (label = the fact name, "program" or "subject"; id = the
canonical value) and one per gazetteer name (label "region"; id = the 6-digit code the gazetteer
resolves the name to, or the name itself when it names several places).

Rasa's SpacyNLP loads the result by path (config.yml: `model: bot/build/spacy_zh`); bot/plumbing/build.py
rebuilds it when its inputs change.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

__all__ = ["OUT_DIR", "LABELS", "value_id", "patterns", "build_nlp", "build"]

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "bot" / "build" / "spacy_zh"
PIPELINE_NAME = "zhucan_zh"
# lexicon kind -> entity label (the entity types of docs/conversation.md)
LABELS = {"programs": "program", "subject": "subject"}
REGION = "region"


def value_id(value) -> str:
    """A lexicon value as the canonical entity value: "physical", "true", "1", "a+b" for a pair."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "+".join(map(str, value))
    return str(value)


def patterns() -> Iterator[dict]:
    """Entity-ruler patterns: lexicon terms first, then place names."""
    from knowledge.gazetteer import PlaceError, gazetteer
    from knowledge.lexicon import lexicon

    seen = set()
    for term, kind, value in lexicon().entries():
        label = LABELS.get(kind, kind)
        key = (term, label, value_id(value))
        if key not in seen:
            seen.add(key)
            yield {"label": label, "pattern": term, "id": value_id(value)}
    g = gazetteer()
    for surface in sorted({s for s, _ in g.surface_forms()}):
        try:
            ident = g.resolve(surface).code
        except PlaceError:
            ident = surface  # several places: the chat asks which one
        yield {"label": REGION, "pattern": surface, "id": ident}


def build_nlp():
    """The pipeline in memory (what build() saves)."""
    import spacy

    from .tokenizer import NAME as TOKENIZER

    config = {"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}}
    nlp = spacy.blank("zh", config=config)
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = ("zhucan: jieba with the lexicon and gazetteer as dictionary, and an "
                               "entity ruler generated from them (bot/nlp/build_spacy.py)")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": False,
                                                 "overwrite_ents": True})
    ruler.add_patterns(list(patterns()))
    return nlp


def build(out_dir: str | Path = OUT_DIR) -> Path:
    """Build and save the pipeline; returns its directory."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp = build_nlp()
    nlp.to_disk(out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = build(argv[0] if argv else OUT_DIR)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
