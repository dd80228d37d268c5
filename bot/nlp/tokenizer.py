"""A spaCy tokenizer that segments Chinese with the project's jieba (knowledge.segment.tokenizer()).

The private jieba tokenizer knows every lexicon term and place name, so "护理补贴", "吃低保", "太原"
and "肢体" stay one token each. The text is segmented exactly as given: normalising here
(traditional -> simplified, NFKC) would move character offsets away from the message Rasa holds, so
normalisation is the job of the text normaliser that runs before spaCy (bot.nlu.TextNormaliser).

Registered in spaCy's registry as "zhucan.JiebaTokenizer.v1" through the `spacy_tokenizers` entry
point of pyproject.toml, so `spacy.load("bot/build/spacy_zh")` works in any process of this
environment (Rasa's SpacyNLP loads the pipeline by path).
"""
from __future__ import annotations

from spacy.tokens import Doc
from spacy.util import DummyTokenizer, get_words_and_spaces, registry
from spacy.vocab import Vocab

__all__ = ["JiebaTokenizer", "create_jieba_tokenizer", "NAME"]

NAME = "zhucan.JiebaTokenizer.v1"


class JiebaTokenizer(DummyTokenizer):
    """Segments with knowledge.segment.tokenizer() (jieba without HMM: every domain word is in its
    dictionary, and HMM can glue a one-character term to its neighbours)."""

    def __init__(self, vocab: Vocab, hmm: bool = False):
        self.vocab = vocab
        self.hmm = hmm
        self._jieba = None

    @property
    def jieba(self):
        if self._jieba is None:
            from knowledge.segment import tokenizer

            self._jieba = tokenizer()
        return self._jieba

    def __call__(self, text: str) -> Doc:
        if not text:
            return Doc(self.vocab, words=[], spaces=[])
        pieces = [w for w in self.jieba.cut(text, HMM=self.hmm) if w]
        words, spaces = get_words_and_spaces(pieces, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # The dictionary is knowledge/ (the lexicon and the gazetteer), read when first needed: nothing
    # to save with the pipeline, so DummyTokenizer's no-op (de)serialisation is what we want.


@registry.tokenizers(NAME)
def create_jieba_tokenizer(hmm: bool = False):
    """The factory spaCy calls from a pipeline's config: [nlp.tokenizer] @tokenizers = NAME."""

    def make(nlp) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab, hmm=hmm)

    return make
