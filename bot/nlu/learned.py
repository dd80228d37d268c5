"""The learned reader behind the rules: what a reply to a closed question most likely means, with how
likely, for the replies the rule reader (bot.nlu.understand) cannot read.

    propose("证一直没去弄", "has_certificate")  -> Proposal(value=False, probability=0.89)
    propose("在奉化", "has_certificate")         -> Proposal(value=None, probability=0.87)   # no answer

It never sets a fact. The conversation confirms a proposal at or above THRESHOLD ("您是说没有残疾人证
吗？"); below it the question comes again, numbered, once, and is then skipped as unknown. A misread
word can therefore cost a question, never a verdict.

One small model per closed fact (yes/no facts, the options of an enum, the grade): TF-IDF over the
characters of the reply (one to three at a time, so that 没证, 证没 and 没去弄 are features whatever
the words around them) and a multinomial logistic regression over the fact's values plus two more
labels, `dont_know` and `no_answer` (the reply does not answer this question). Trained on:
- knowledge/answers/<fact>.yml: replies written for training, by an author who did not see the test
  sets (tests/nlu/replies_blind.yml is measured against, never trained on);
- the fact's own words in knowledge/facts.yaml (options, terms, answer phrases), and the lexicon's
  everyday yes, no and 不知道 for yes/no facts.

Trained in about two seconds, and kept as a build output (bot/build/reader.pkl, never committed): it is
rebuilt whenever its inputs change (their fingerprint is stored with it), by `make` through
bot.plumbing.build, or on first use. Nothing is downloaded.
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSWERS_DIR = ROOT / "knowledge" / "answers"
MODEL_PATH = ROOT / "bot" / "build" / "reader.pkl"
THRESHOLD = 0.6  # at or above: confirmed before it counts; below: asked again, numbered
DONT_KNOW, NONE = "dont_know", "no_answer"
# The corpus writes `none` for a reply that does not answer, and household's value none (都不是) as
# `none_of_these`.
_CORPUS_LABELS = {"none": NONE, "none_of_these": "none"}

__all__ = ["Proposal", "propose", "probability_of", "closed_facts", "train", "ensure_model", "THRESHOLD"]


@dataclass(frozen=True)
class Proposal:
    """The value a reply most likely means (None: it does not answer; DONT_KNOW: not known), and how
    likely, by the model."""
    value: Any
    probability: float
    label: str

    @property
    def confident(self) -> bool:
        return self.probability >= THRESHOLD


def closed_facts() -> list[str]:
    """The facts whose question offers options: yes/no facts, enums, the grade."""
    from knowledge.facts import FACTS

    return [name for name, f in FACTS.items() if f.kind in ("bool", "enum") or f.values]


def _label(fact: str, value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _value(fact: str, label: str) -> Any:
    from knowledge.facts import FACTS

    if label in (DONT_KNOW, NONE):
        return label
    spec = FACTS[fact]
    if spec.kind == "bool":
        return label == "true"
    if spec.kind == "int":
        return int(label)
    return label


def _corpus_files() -> list[Path]:
    return sorted(ANSWERS_DIR.glob("*.yml"))


def examples(fact: str) -> list[tuple[str, str]]:
    """(text, label) to train the model of one fact."""
    from knowledge.facts import FACTS
    from knowledge.lexicon import lexicon

    out: list[tuple[str, str]] = []
    path = ANSWERS_DIR / f"{fact}.yml"
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for label, texts in (data.get("labels") or {}).items():
            label = _CORPUS_LABELS.get(str(label), str(label))
            out += [(str(t), label) for t in texts or []]
    spec = FACTS[fact]
    for v in spec.values.values():
        label = _label(fact, v.value)
        words = [v.option, v.label, *v.terms, *v.answers]
        out += [(w, label) for w in words if w]
    if spec.kind == "bool":
        lex = lexicon()
        out += [(w, "true") for w in lex.replies("affirm")] + [(w, "false") for w in lex.replies("deny")]
    out += [(w, DONT_KNOW) for w in lexicon().replies("dont_know")]
    return out


def _fingerprint() -> str:
    import sklearn

    h = hashlib.sha256(sklearn.__version__.encode())
    for path in [*_corpus_files(), ROOT / "knowledge" / "facts.yaml", ROOT / "knowledge" / "lexicon.yaml",
                 Path(__file__)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _normal(text: str) -> str:
    from .normalise import clip, normalise_text

    return normalise_text(clip(text)).strip()


def train(facts: list[str] | None = None) -> dict:
    """fact -> a fitted pipeline (TF-IDF over characters, logistic regression)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    models = {}
    for fact in facts or closed_facts():
        data = examples(fact)
        texts, labels = [_normal(t) for t, _ in data], [label for _, label in data]
        model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                              LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced"))
        model.fit(texts, labels)
        models[fact] = model
    return models


def ensure_model(path: Path = MODEL_PATH) -> Path:
    """Train and store the models when their inputs changed; return the path."""
    fingerprint = _fingerprint()
    if path.exists():
        try:
            with path.open("rb") as f:
                if pickle.load(f).get("fingerprint") == fingerprint:
                    return path
        except Exception:  # an unreadable or older file is rebuilt
            pass
    models = train()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump({"fingerprint": fingerprint, "models": models}, f)
    tmp.replace(path)
    return path


@lru_cache(maxsize=1)
def _models() -> dict:
    with ensure_model().open("rb") as f:
        return pickle.load(f)["models"]


def propose(text: str, fact: str) -> Proposal:
    """The model's reading of `text` as a reply to the question about `fact`."""
    model = _models().get(fact)
    if model is None or not text or not text.strip():
        return Proposal(None, 0.0, NONE)
    probabilities = model.predict_proba([_normal(text)])[0]
    best = int(probabilities.argmax())
    label = str(model.classes_[best])
    value = _value(fact, label)
    return Proposal(None if value == NONE else value, float(probabilities[best]), label)


def probability_of(text: str, fact: str, value: Any) -> float:
    """How likely the model finds that `text` means `value` as a reply to the question about `fact`."""
    model = _models().get(fact)
    if model is None:
        return 1.0
    label = _label(fact, value)
    classes = [str(c) for c in model.classes_]
    if label not in classes:
        return 1.0
    return float(model.predict_proba([_normal(text)])[0][classes.index(label)])
