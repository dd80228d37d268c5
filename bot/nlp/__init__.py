"""The project's spaCy pipeline for Chinese: blank "zh", jieba with the lexicon and gazetteer as its
dictionary (tokenizer.py), an entity ruler generated from them (build_spacy.py).

`load()` gives the pipeline built into bot/build/spacy_zh, building it first when its inputs changed
(bot.plumbing.build.ensure_spacy), loaded once per process.
"""
from __future__ import annotations

from functools import lru_cache

__all__ = ["load"]


@lru_cache(maxsize=1)
def load():
    import spacy

    from bot.plumbing.build import ensure_spacy

    return spacy.load(ensure_spacy())
