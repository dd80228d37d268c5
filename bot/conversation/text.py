"""Plain text for people who listen to it.

Every front end (terminal, Telegram, anything later) sends text through here, because a screen
reader reads every character aloud: "**" becomes "asterisk asterisk", an emoji becomes its long
Unicode name, and a 2,000-character message has to be listened to from the start again when the
reader loses its place. So `plain` takes the decoration out and `split_message` cuts long answers
where a listener expects a pause: at the end of a sentence.
"""
from __future__ import annotations

import html
import re
import unicodedata

# Where a sentence ends, and where a clause ends (used only when one sentence is too long).
SENTENCE_ENDS = "。！？；!?;\n"
CLAUSE_ENDS = "，、,：:"
# Closing quotes and brackets stay with the sentence they close: 他说“可以。”
CLOSERS = "”’」』）)】》〉\"'"

# Symbols (category So) that carry meaning in a benefits answer and must not be stripped.
MEANINGFUL_SYMBOLS = frozenset("°℃℉㎡㎞㎏")

_HTML_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])\s*/?>", re.I)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
_CODE_FENCE = re.compile(r"^\s*```[^\n]*$", re.M)
_HEADER = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.M)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)
_BULLET = re.compile(r"^[ \t]*[-*+•][ \t]+", re.M)
_RULE = re.compile(r"^[ \t]*([-*_=])([ \t]*\1){2,}[ \t]*$", re.M)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1", re.S)
_EMPHASIS = re.compile(r"(?<![A-Za-z0-9*_])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![A-Za-z0-9*_])")
_LEFTOVER_MARKS = re.compile(r"\*{2,}|_{2,}|~{2,}")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _link(match: re.Match) -> str:
    label, url = match.group(1).strip(), match.group(2)
    return url if not label or label == url else f"{label}（{url}）"


def _is_decoration(ch: str) -> bool:
    """Emoji, dingbats, box drawing, skin tones, variation selectors, ZWJ, keycaps, flag tags."""
    if ch in MEANINGFUL_SYMBOLS:
        return False
    cat = unicodedata.category(ch)
    if cat in ("So", "Sk", "Co", "Me"):
        return True
    if ch == "\u200d" or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":
        return True
    return "\U000e0000" <= ch <= "\U000e007f"  # tag characters (subdivision flags)


def plain(text: str) -> str:
    """The words of `text` without Markdown, HTML, emoji or decorative symbols.

    Chinese punctuation is left alone (it is how a screen reader knows where to pause);
    runs of spaces become one space and more than one blank line becomes one.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    text = html.unescape(text)
    text = _CODE_FENCE.sub("", text)
    text = _RULE.sub("", text)
    text = _HEADER.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    text = _LINK.sub(_link, text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _LEFTOVER_MARKS.sub("", text)
    text = "".join(ch for ch in text if not _is_decoration(ch))
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _pieces(text: str, ends: str) -> list[str]:
    """`text` cut after each character in `ends` (and any closing quotes right after it)."""
    pieces, start, i, n = [], 0, 0, len(text)
    while i < n:
        if text[i] in ends:
            i += 1
            while i < n and text[i] in CLOSERS:
                i += 1
            pieces.append(text[start:i])
            start = i
        else:
            i += 1
    if start < n:
        pieces.append(text[start:])
    return pieces


def _safe_cut(text: str, limit: int) -> int:
    """A cut position <= limit that does not separate a character from its combining marks."""
    cut = limit
    while cut > 1 and (unicodedata.combining(text[cut]) or text[cut] in "\u200d\ufe0f\ufe0e"
                       or "\udc00" <= text[cut] <= "\udfff"):
        cut -= 1
    return cut


def _fit(piece: str, limit: int) -> list[str]:
    """One sentence longer than `limit`: cut at clause ends, and only as a last resort anywhere."""
    if len(piece) <= limit:
        return [piece]
    out = []
    for clause in _pieces(piece, CLAUSE_ENDS):
        while len(clause) > limit:
            cut = _safe_cut(clause, limit)
            out.append(clause[:cut])
            clause = clause[cut:]
        out.append(clause)
    return out


def _pack(pieces: list[str], limit: int) -> list[str]:
    parts, current = [], ""
    for piece in pieces:
        if current and len(current) + len(piece) > limit:
            parts.append(current)
            current = ""
        current += piece
    if current:
        parts.append(current)
    return parts


def split_message(text: str, limit: int = 500) -> list[str]:
    """`text` as messages of at most `limit` characters, cut at sentence ends.

    Sentences are kept whole and packed greedily; a sentence longer than `limit` is cut at its
    clause ends (，、), and a clause longer than that at `limit`. Order is kept and nothing but
    the whitespace at the cuts is lost; empty parts are dropped (Telegram refuses them).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not text or not text.strip():
        return []
    pieces = []
    for sentence in _pieces(text, SENTENCE_ENDS):
        pieces.extend(_fit(sentence, limit))
    # Pack, then strip: stripping can only shorten a part, so every part stays within limit.
    return [p.strip() for p in _pack(pieces, limit) if p.strip()]
