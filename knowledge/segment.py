"""Chinese word segmentation that keeps the domain's words whole.

A private jieba.Tokenizer (jieba's global one is left alone: Rasa and other code use it) with every
lexicon term and every gazetteer name added, so "护理补贴", "吃低保", "看不见", "呼兰" stay one token,
and a place written after the place that contains it ("山西太原", "宁波奉化") splits into the two names.

    cut("我爸在山西太原，肢体一级") == ["我爸", "在", "山西", "太原", "，", "肢体", "一级"]

`write_user_dict(path)` writes the same words as a jieba user dictionary for Rasa's JiebaTokenizer.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Mapping

import jieba

from .textnorm import normalise

__all__ = ["tokenizer", "cut", "domain_words", "write_user_dict", "TERM_FREQ", "PLACE_FREQ"]

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict …" chatter on stderr

# Frequencies high enough that a domain word beats any split of it and any word across its edges,
# low enough not to swamp jieba's model: each added frequency also adds to the corpus total (jieba's
# is 6*10^7; the ~6,600 domain words roughly double it), and a word jieba already knows as more
# frequent keeps its own frequency. Lexicon terms outrank place names, so a place alias never
# breaks a term apart. tests/test_segment.py checks every term and the plans' place names.
TERM_FREQ = 50_000
PLACE_FREQ = 10_000


_WORDS: list[tuple[str, int, str]] = []  # what tokenizer() added, for write_user_dict


def domain_words(known: Mapping[str, int] | None = None) -> list[tuple[str, int, str]]:
    """(word, frequency, part-of-speech tag) for every lexicon term and place name; frequency 0
    means "not a word" (jieba's del_word): a word of jieba's dictionary `known` that glues a place
    and a place inside it together, as "山西太原" would. Without `known`: the words tokenizer() added."""
    if known is None:
        tokenizer()
        return list(_WORDS)
    return list(_domain_words(known))


def _domain_words(known: Mapping[str, int]) -> Iterator[tuple[str, int, str]]:
    from .gazetteer import gazetteer
    from .lexicon import lexicon

    seen: dict[str, tuple[int, str]] = {}
    g = gazetteer()
    for surface, _code in g.surface_forms():
        seen.setdefault(surface, (max(PLACE_FREQ, known.get(surface) or 0), "ns"))
    for term, _kind, _value in lexicon().entries():
        seen[term] = (max(TERM_FREQ, known.get(term) or 0), "nz")
    yield from ((w, f, t) for w, (f, t) in seen.items())
    for outer in g.places():
        kids = g.children(outer.code) if outer.level in ("province", "city") else []
        if not kids:
            continue
        outer_names = g.names(outer.code)
        for kid in kids:
            for a in outer_names:
                for b in g.names(kid.code):
                    if known.get(a + b) and a + b not in seen:
                        yield a + b, 0, "ns"


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer with the domain words (built once, about half a second)."""
    t = jieba.Tokenizer()
    t.initialize()
    words = domain_words(t.FREQ)
    for word, freq, tag in words:
        t.add_word(word, freq, tag)
    _WORDS[:] = words
    return t


def cut(text: str, hmm: bool = False) -> list[str]:
    """Normalise, then segment. HMM (jieba's guess at unknown words) is off by default: it glues a
    one-character term to the single characters after it ("盲能领吗" -> "盲能", "领", "吗"), and
    the domain's words are all in the dictionary anyway."""
    return [w for w in tokenizer().cut(normalise(text), HMM=hmm) if w.strip()]


def write_user_dict(path: str | Path) -> Path:
    """Write the domain words as a jieba user dictionary ("word freq tag" per line). Give a file
    path; Rasa's JiebaTokenizer takes the folder holding it as its dictionary_path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = sorted(f"{w} {f} {t}" for w, f, t in domain_words())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
