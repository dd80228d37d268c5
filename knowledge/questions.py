"""Questions people ask around a verdict (knowledge/questions.yaml), and the clauses that answer them.

    about("残疾证怎么办要带啥") -> Asked(answer="certificate_how", steps=("bring",))
    about("从哪个月开始发钱")     -> Asked(answer=None, steps=("payment",))
    about("今天几号")              -> Asked(answer=None, steps=())

`steps` are the lines of a programme's 办事清单 the question asks for (rules/model.py TOPICS); `answer`
is a topic of the file whose answer is its own sentence and the clause it quotes. `closest_clauses` is
the last resort: the clauses of knowledge/sources whose words are closest to the question's, with how
close, so that the front end can quote one when it is close enough and otherwise say that it does not
know. Nothing here invents an answer: every sentence said comes from this file or a clause.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .textnorm import normalise
from .yamlfile import load_text

QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")


@dataclass(frozen=True)
class Answer:
    topic: str
    ask: tuple[str, ...]
    say: str
    cites: tuple[tuple[str, str, str], ...]  # (doc, section, quote)
    # the word a meaning question names: with any of `meaning` (啥意思, 有什么区别…) anywhere in the
    # question, it asks this ("渐退期是个啥意思？是不是钱一个月比一个月少")
    concept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Asked:
    answer: str | None = None
    steps: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.answer or self.steps)


# How close the words of a `near` cue must be: from the start of the first to the end of the last, in
# characters of one clause (a question is short; "材料…够不够" and "交给谁" sit within a few words)
NEAR = 12
# a clause: words on two sides of its end are not said together
_CLAUSE = re.compile(r"[^，,。.！!？?；;\s]+")


@dataclass(frozen=True)
class Step:
    """The words that ask for one line of the 办事清单: whole `words`, or one word of each group of a
    `near` cue said close together (a thing and a question word: 材料…够不够, 得拿些啥; an act and a
    place: 交给谁, 往乡里跑)."""
    words: tuple[str, ...] = ()
    near: tuple[tuple[tuple[str, ...], ...], ...] = ()


@dataclass(frozen=True)
class Questions:
    steps: dict = field(default_factory=dict)  # topic -> Step
    answers: dict = field(default_factory=dict)  # topic -> Answer
    meaning: tuple[str, ...] = ()  # words that ask what something is or means


@lru_cache(maxsize=1)
def questions(path: Path = QUESTIONS_FILE) -> Questions:
    raw = load_text(path.read_text(encoding="utf-8"))
    if set(raw) != {"steps", "meaning", "answers"}:
        raise ValueError(f"{path.name}: needs exactly 'steps', 'meaning' and 'answers'")
    steps = {str(k): _step(path, str(k), v) for k, v in raw["steps"].items()}
    answers = {}
    for topic, a in raw["answers"].items():
        if not {"ask", "say", "cite"} <= set(a) <= {"ask", "say", "cite", "concept"} or not a["cite"]:
            raise ValueError(f"{path.name}: answer {topic} needs ask, say and cite (and may have concept)")
        answers[str(topic)] = Answer(str(topic), tuple(normalise(str(w)) for w in a["ask"]), str(a["say"]).strip(),
                                     tuple((str(c["doc"]), str(c["section"]), str(c["quote"])) for c in a["cite"]),
                                     tuple(normalise(str(w)) for w in a.get("concept") or ()))
    return Questions(steps, answers, tuple(normalise(str(w)) for w in raw["meaning"]))


def _step(path: Path, topic: str, raw) -> Step:
    """A step's words: a list of words, or {words: [...], near: [[[group], [group]...], ...]}."""
    if isinstance(raw, list):
        raw = {"words": raw}
    if not isinstance(raw, dict) or not set(raw) <= {"words", "near"}:
        raise ValueError(f"{path.name}: step {topic} is a list of words or {{words, near}}")
    near = []
    for cue in raw.get("near") or ():
        if not isinstance(cue, list) or len(cue) < 2 or not all(isinstance(g, list) and g for g in cue):
            raise ValueError(f"{path.name}: step {topic}: each near cue is two or more lists of words")
        near.append(tuple(tuple(normalise(str(w)) for w in g) for g in cue))
    return Step(tuple(normalise(str(w)) for w in raw.get("words") or ()), tuple(near))


def _near_spans(norm: str, cue: tuple[tuple[str, ...], ...]) -> list[tuple[int, int]]:
    """Where one word of every group of `cue` is said within NEAR characters of one clause, in any order."""
    spans = []
    for clause in _CLAUSE.finditer(norm):
        start, text = clause.start(), clause.group()
        found = [[(m.start(), m.end()) for w in group for m in re.finditer(re.escape(w), text)] for group in cue]
        if not all(found):
            continue
        for a, b in found[0]:  # anchored on each word of the first group: the closest of each other group
            lo, hi = a, b
            for others in found[1:]:
                s, e = min(others, key=lambda o: max(o[1], hi) - min(o[0], lo))
                lo, hi = min(lo, s), max(hi, e)
            if hi - lo <= NEAR:
                spans.append((start + lo, start + hi))
    return spans


# Words of emphasis inside a question that change nothing it asks
_EMPHASIS = re.compile("到底|究竟")


@lru_cache(maxsize=256)
def about(text: str) -> Asked:
    """What a question asks for: a topic of the answers (its longest matching words win) and the
    办事清单 lines. Kept for the last messages read: the intent checks and the action that answers ask it
    of the same message."""
    norm = _EMPHASIS.sub("", normalise(text or ""))  # "单人户到底啥意思" asks as "单人户啥意思"
    q = questions()
    best, length, word = None, 0, ""
    for topic, a in q.answers.items():
        for w in a.ask:
            if w in norm and len(w) > length:
                best, length, word = topic, len(w), w
    if best is None and any(m in norm for m in q.meaning):
        # "渐退期是个啥意思", "边缘户跟低保有什么区别": the concept named (the longest, then the first said)
        named = [(-len(w), norm.find(w), topic) for topic, a in q.answers.items() for w in a.concept if w in norm]
        if named:
            best = min(named)[2]
    found = {t: [m.span() for w in step.words for m in re.finditer(re.escape(w), norm)]
             + [span for cue in step.near for span in _near_spans(norm, cue)] for t, step in q.steps.items()}
    found = {t: spans for t, spans in found.items() if spans}
    if word:  # the answer's own words count as a topic's: "多长时间才算长期" is not 多长时间 (how_long)
        found[None] = [m.span() for m in re.finditer(re.escape(word), norm)]
    # a topic whose every word lies inside another topic's words is that topic's: 从批下来那个月 (payment)
    # holds 批下来 (how_long)
    steps = tuple(t for t, spans in found.items()
                  if t is not None and not all(any(o != t and a <= s and e <= b and (a, b) != (s, e)
                                                   for o, others in found.items() for a, b in others)
                                               for s, e in spans))
    return Asked(best, steps)


@lru_cache(maxsize=1)
def _index():
    """A TF-IDF index over every clause of knowledge/sources, words segmented by the project's jieba."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .segment import cut
    from .sources import load_clauses

    clauses = [c for c in load_clauses() if len(c.text) >= 12]
    vectorizer = TfidfVectorizer(tokenizer=lambda t: [w for w in cut(t) if w.strip()], lowercase=False,
                                 token_pattern=None, sublinear_tf=True)
    matrix = vectorizer.fit_transform([c.text for c in clauses])
    return clauses, vectorizer, matrix


def closest_clauses(text: str, limit: int = 3) -> list[tuple[float, object]]:
    """(similarity 0-1, clause) of the clauses closest to `text`, best first."""
    clauses, vectorizer, matrix = _index()
    query = vectorizer.transform([normalise(text or "")])
    if query.nnz == 0:
        return []
    scores = (matrix @ query.T).toarray().ravel()
    order = scores.argsort()[::-1][:limit]
    return [(float(scores[i]), clauses[i]) for i in order if scores[i] > 0]
