"""Rewrite what people type into the form every dictionary of the project holds, without moving a
single character: Rasa keeps entity positions in the message text, so the normalised text has exactly
the length of the original and character i of one is character i of the other.

1. Unicode NFKC, character by character ("４岁" -> "4岁", "ＧＲＡＤＥ" -> "GRADE"); Chinese full-width
   punctuation ("，？！") is kept as typed, as knowledge.textnorm does; a character whose NFKC form is
   not one character ("㎏") is kept.
2. Traditional -> simplified (OpenCC t2s through knowledge.textnorm; "肢體一級" -> "肢体一级"), kept
   only when it maps character to character, which it does except for rare phrases.
3. Typo repair of place names and domain terms by pinyin: "崇名" -> "崇明", "护理补帖" -> "护理补贴",
   "低保边源户" -> "低保边缘户", "太源" -> "太原". A stretch of text is repaired only when all of this holds:
   - it is whole jieba tokens (the project's tokenizer), not a known word: not a lexicon term, not a
     place name, not a word of jieba's dictionary;
   - the repaired text is a place name of the gazetteer or a term of the lexicon (three characters or
     more for terms), of the same length;
   - at least one character is the same, at most one in three differs, and every differing
     character is a one-character token (a typo breaks a word into single characters) with a
     reading, tone included, that the right character also has (the pinyin IME picked the wrong
     homophone: 名/明 ming2, 帖/贴 tie1; 远 yuan3 is not 原 yuan2, so "离家太远" stays);
   - a place must stand where a place is expected: after 在/住/是/到/去/户口/老家…, before
     人/那边/市/区/县…, after another place, or alone as the whole message; the gazetteer must
     then read it as a place (knowledge.gazetteer.Gazetteer.mentions, not weak).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["CLIPPED_AT", "MAX_CHARS", "clip", "normalise_text", "normalise_with_repairs", "repair_typos", "Repair"]

# Full-width punctuation that NFKC would turn into ASCII: kept as typed (as knowledge.textnorm does).
_KEEP = frozenset(chr(c) for c in range(0xFF01, 0xFF5F) if not chr(c).isalnum())
_HAN = re.compile(r"[\u4e00-\u9fff]+\Z")
_MAX_LEN = 8
_PROGRAM_MIN_LEN = 3
# Where a place is expected (as in knowledge/gazetteer.py's cues, plus the type suffixes)
_BEFORE = ("在", "住", "是", "到", "去", "自", "于", "回", "户口", "户籍", "老家", "家乡", "来自")
_AFTER = ("人", "户口", "户籍", "那边", "这边", "那里", "这里", "市", "区", "县", "省", "州", "的户口")
_PUNCT = " \t\r\n,.;:!?，。；：！？、\"'“”‘’()（）[]【】《》~～…"


def _nfkc_char(ch: str) -> str:
    if ch.isascii() or ch in _KEEP:
        return ch
    n = unicodedata.normalize("NFKC", ch)
    return n if len(n) == 1 else ch


def _simplified(text: str) -> str:
    from knowledge.textnorm import to_simplified

    s = to_simplified(text)
    if len(s) == len(text):
        return s
    out = []
    for ch in text:
        c = to_simplified(ch)
        out.append(c if len(c) == 1 else ch)
    return "".join(out)


# What the NLU reads of one message. A situation takes a few sentences; matching costs grow faster
# than the text, and a message of 10,000 characters would hold the server for seconds.
MAX_CHARS = 1000
# In the parse data of a message the NLU read only in part: how many characters it read.
CLIPPED_AT = "clipped_at"


def clip(text: str) -> str:
    """The part of a message that is read: its first MAX_CHARS characters."""
    return text[:MAX_CHARS] if text else (text or "")


def normalise_text(text: str) -> str:
    """NFKC, traditional -> simplified, typo repair; the result has the length of `text`."""
    return normalise_with_repairs(text)[0]


def normalise_with_repairs(text: str) -> tuple[str, list[tuple[int, int]]]:
    """normalise_text(text), and the spans [start, end) its typo repair rewrote: what the reader read
    there is a guess at what was meant ("户口在方台" read as 丰台), to be confirmed, not taken."""
    if not text:
        return text or "", []
    out = "".join(map(_nfkc_char, text))
    out = _simplified(out)
    out = _standard_spellings(out)
    repairs = find_repairs(out) if out and not out.isascii() else []
    out = _apply(out, repairs)
    assert len(out) == len(text)
    return out, [(start, end) for start, end, _typed, _fixed in repairs]


def _standard_spellings(text: str) -> str:
    """木有 -> 没有 (knowledge/language.yaml `written_as`): each as long as the word it stands for."""
    from knowledge.language import means

    for written, word in means("written_as").items():
        if len(written) != len(word):
            raise ValueError(f"language.yaml written_as: {written!r} and {word!r} differ in length")
        if written in text:
            text = text.replace(written, word)
    return text


# --- typo repair --------------------------------------------------------------------------------

class Repair(tuple):
    """(start, end, typed, repaired)"""


@lru_cache(maxsize=None)
def _readings(ch: str) -> frozenset:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(ch, style=Style.TONE3, heteronym=True, errors="ignore")[0] or ())


class _Targets:
    """Place names and programme terms, indexed by (length, position, character)."""

    def __init__(self):
        from knowledge.gazetteer import gazetteer
        from knowledge.lexicon import lexicon

        self.places = {s for s, _ in gazetteer().surface_forms() if len(s) >= 2}
        # every domain term of three characters or more: programmes ("护理补帖"), households ("低保边源户")
        self.programs = {t for t, kind, _ in lexicon().entries() if len(t) >= _PROGRAM_MIN_LEN and kind != "subject"}
        self.program_words = {t for t, kind, _ in lexicon().entries() if kind == "programs"}
        self.known = self.places | {t for t, _, _ in lexicon().entries()}
        self.index: dict[tuple[int, int, str], set[str]] = {}
        for t in self.places | self.programs:
            if len(t) > _MAX_LEN or not _HAN.match(t):
                continue
            for i, ch in enumerate(t):
                self.index.setdefault((len(t), i, ch), set()).add(t)

    def candidates(self, window: str) -> set[str]:
        n = len(window)
        out: set[str] = set()
        for i, ch in enumerate(window):
            out |= self.index.get((n, i, ch), set())
        return out


@lru_cache(maxsize=1)
def _targets() -> _Targets:
    return _Targets()


def _homophone(a: str, b: str, tone: bool = True) -> bool:
    if tone:
        return bool(_readings(a) & _readings(b))
    return bool({r.rstrip("12345") for r in _readings(a)} & {r.rstrip("12345") for r in _readings(b)})


def _place_expected(text: str, start: int, end: int, known_places) -> bool:
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    if not text[:start].strip(_PUNCT) and not text[end:].strip(_PUNCT):
        return True  # the whole message: an answer to "在哪里"
    if before.endswith(_BEFORE) or after.startswith(_AFTER):
        return True
    return any(before.endswith(p) for p in known_places if len(p) >= 2 and before[-len(p):] == p)


def repair_typos(text: str) -> str:
    """Repair mistyped place and programme names (see the module doc); same length as `text`."""
    if not text or text.isascii():
        return text
    return _apply(text, find_repairs(text))


def _apply(text: str, repairs: list) -> str:
    chars = list(text)
    for start, end, _typed, fixed in repairs:
        chars[start:end] = fixed
    return "".join(chars)


def find_repairs(text: str) -> list[Repair]:
    from knowledge.segment import tokenizer

    jb = tokenizer()
    targets = _targets()
    tokens = [(w, s, e) for w, s, e in jb.tokenize(text, HMM=False)]
    found: list[tuple[int, int, str, str]] = []
    for i in range(len(tokens)):
        for j in range(i, len(tokens)):
            start, end = tokens[i][1], tokens[j][2]
            if end - start > _MAX_LEN:
                break
            if end - start < 2:
                continue
            window = text[start:end]
            if not _HAN.match(window) or window in targets.known:
                continue
            if i == j:
                continue  # one token of two or more characters: a word of the dictionary
            single = set()  # positions (in window) of one-character tokens
            for w, s, e in tokens[i:j + 1]:
                if e - s == 1:
                    single.add(s - start)
            fix = _best_fix(window, targets, single)
            if fix is None:
                continue
            if fix in targets.places and fix not in targets.programs:
                if not _place_expected(text, start, end, ()) and not _after_place(text, start):
                    continue
                if not _gazetteer_agrees(text, start, end, fix):
                    continue
            found.append((start, end, window, fix))
    # A term of four characters or more, mistyped so that its pieces glue to the words around them
    # ("智利残疾一级": 智利|残疾一级): looked for character by character too, but never cutting a word
    # in two ("渐退机制" is not a mistyped 渐退期).
    starts = {s for _, s, _ in tokens}
    ends = {e for _, _, e in tokens}
    for start in range(len(text)):
        for end in range(start + 4, min(len(text), start + _MAX_LEN) + 1):
            window = text[start:end]
            if not _HAN.match(window) or window in targets.known:
                continue
            fix = _best_fix(window, targets, set())
            if fix is None or fix not in targets.programs:
                continue
            cut = [k for k in range(len(window)) if window[k] != fix[k]]
            if all(_inside_window(tokens, start + k, start, end) for k in cut) and (start in starts or end in ends):
                found.append((start, end, window, fix))
    # longest first, then leftmost; no overlaps
    found.sort(key=lambda r: (-(r[1] - r[0]), r[0]))
    chosen: list[Repair] = []
    for r in found:
        if all(r[1] <= c[0] or r[0] >= c[1] for c in chosen):
            chosen.append(Repair(r))
    return sorted(chosen)


def _inside_window(tokens, position: int, start: int, end: int) -> bool:
    """Whether the token holding `position` lies inside [start, end)."""
    return any(s <= position < e and start <= s and e <= end for _, s, e in tokens)


@lru_cache(maxsize=None)
def _common(ch: str) -> bool:
    """A character that is a frequent word by itself (的, 了, 是…): never a typo's stand-in."""
    from knowledge.segment import tokenizer

    return (tokenizer().FREQ.get(ch) or 0) > 100_000


def _best_fix(window: str, targets: _Targets, single: set[int]) -> str | None:
    n = len(window)
    max_diff = max(1, n // 3)
    best = None
    for t in targets.candidates(window):
        diffs = [k for k in range(n) if t[k] != window[k]]
        if not diffs or len(diffs) > max_diff:
            continue
        term = t in targets.programs
        # A domain term of four characters or more is long enough to be recognised with one character
        # mistyped inside a word ("智利残疾", "精深残疾"); and a term's homophone may differ in tone
        # ("特捆户", "残疾征"). A place keeps the strict rule: "离家太远" is not 太原.
        if any((k not in single and not (term and n >= 4)) or not _homophone(window[k], t[k], tone=not term)
               or (_common(window[k]) and n < 4) for k in diffs):
            continue
        if n == 3 and 0 in diffs and t not in targets.program_words:
            continue  # "及重度", "内低保": a word before a two-character term, not a typo of a longer one
        key = (len(diffs), t not in targets.programs, t)
        if best is None or key < best[0]:
            best = (key, t)
    return best[1] if best else None


def _after_place(text: str, start: int) -> bool:
    """A place name right before: "山西太源"."""
    from knowledge.gazetteer import gazetteer

    for m in gazetteer().mentions(text[:start]):
        if m.end == start and not m.weak:
            return True
    return False


def _gazetteer_agrees(text: str, start: int, end: int, fix: str) -> bool:
    from knowledge.gazetteer import gazetteer

    repaired = text[:start] + fix + text[end:]
    for m in gazetteer().mentions(repaired):
        if m.start <= start and m.end >= end:
            return not m.weak
    return False
