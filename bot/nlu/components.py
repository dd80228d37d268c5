"""Custom Rasa 3.6 graph components of zhucan's NLU pipeline (config.yml).

- TextNormaliser, first in the pipeline (before SpacyNLP): rewrites the message text in place with
  bot.nlu.normalise.normalise_text (NFKC, traditional -> simplified, typo repair of place and
  programme names), keeping its length so that every entity position stays valid. The text as
  typed is not kept anywhere (the tracker store keeps no typed words).
- LexiconEntityExtractor, after SpacyNLP and SpacyTokenizer: entities by rule (bot.nlu.extract) from
  the entity ruler's matches in the spaCy doc, numbers, negation and places. Each entity carries
  "extractor": "LexiconEntityExtractor", so `rasa test nlu` reports on it.
- LexiconFeaturizer, with the other featurizers: which kinds of entity the rules find (a fact, a
  denied fact, a programme, a place, a number…) as sparse features for the intent classifier, so that
  "不需要护理" (a denied fact: inform) and "不需要" (deny) are told apart by what they say, not by
  a guess from characters. The same rules run in training and in prediction.
- IntentClassifier: Rasa's LogisticRegressionClassifier (fast: about a millisecond a message) that
  answers a message without a letter, digit or character (empty, whitespace, emoji or punctuation
  only) with no intent at confidence 0, so that FallbackClassifier turns it into nlu_fallback
  instead of the graph failing on a message without features.
- IntentChecks, last (after FallbackClassifier): a small-talk, yes/no, out-of-scope or fallback
  intent on a message that carries a fact, a place or a number ("77了", "谢谢，他八十了", "我记岔了，
  是三级的") becomes inform or ask_eligibility: no message that says something about the person is
  out of scope; and restart or forget count only as the whole message ("从哪个月开始发钱" is not a
  restart; "你们会保存我的信息吗" asks about privacy, it deletes nothing).

None is trained: their knowledge is the lexicon, the gazetteer and the rules of bot/nlu.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
import numpy as np
import scipy.sparse
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.questions import about  # a question's topic and 办事清单 lines (falsy: neither)

from .extract import ENTITY_TYPES, EXTRA_TYPES, extract_doc
from .normalise import CLIPPED_AT, MAX_CHARS, clip, normalise_text
from .understand import (ASKS_AMOUNT, ASKS_OUTCOME, ASKS_SUMMARY, CORRECTS, PRIVACY_WORDS, STOPPED_WORDS, SUPPOSE,
                         supposed)

logger = logging.getLogger(__name__)

__all__ = ["TextNormaliser", "LexiconEntityExtractor", "LexiconFeaturizer", "IntentClassifier", "IntentChecks"]

_FOUND = "zhucan_found_entities"  # the extractor's result, for the featurizer (not in the output)


class _Stateless:
    """What a component with nothing to train or keep needs: no options of its own, made anew."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = config

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls(config)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TextNormaliser(_Stateless, GraphComponent):
    """NFKC, traditional -> simplified and typo repair of the message text, length kept; only the
    first bot.nlu.normalise.MAX_CHARS characters of a message are read."""

    @staticmethod
    def _normalise(message: Message) -> None:
        text = message.get(TEXT)
        if not text or not isinstance(text, str):
            return
        normalised = normalise_text(clip(text))
        if normalised != text:
            message.set(TEXT, normalised)
        if len(text) > MAX_CHARS:  # the dialogue tells the user that the rest was not read
            message.set(CLIPPED_AT, MAX_CHARS, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LexiconEntityExtractor(_Stateless, GraphComponent, EntityExtractorMixin):
    """Entities from the lexicon, numbers, negation and the gazetteer (bot.nlu.extract)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP, SpacyTokenizer]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or not isinstance(text, str):
                continue
            found = extract_doc(text, message.get(SPACY_DOCS[TEXT]))
            message.set(_FOUND, [dict(e) for e in found])
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


# feature columns: each entity type, each one denied ("false"/"none"), and "any profile fact"
_COLUMNS = [*ENTITY_TYPES, *EXTRA_TYPES]
_FACTS = [t for t in ENTITY_TYPES if t not in ("program", "subject")]
_NEGATED = {t: len(_COLUMNS) + i for i, t in enumerate(_FACTS)}
_ANY_FACT = len(_COLUMNS) + len(_FACTS)
_WIDTH = _ANY_FACT + 1


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LexiconFeaturizer(SparseFeaturizer, GraphComponent):
    """What the rules found in a message, as sparse features for intent classification."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP, SpacyTokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SparseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, {**self.get_default_config(), **config})

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LexiconFeaturizer":
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT], [])
        if not text or not isinstance(text, str) or not tokens:
            return
        found = message.get(_FOUND)
        if found is None:  # training: the extractor is not part of the training graph
            found = extract_doc(text, message.get(SPACY_DOCS[TEXT]))
        sequence = np.zeros((len(tokens), _WIDTH), dtype=np.float32)
        sentence = np.zeros((1, _WIDTH), dtype=np.float32)
        for entity in found:
            columns = []
            if entity["entity"] in _COLUMNS:
                columns.append(_COLUMNS.index(entity["entity"]))
            if entity["entity"] in _NEGATED and entity["value"] in ("false", "none"):
                columns.append(_NEGATED[entity["entity"]])
            if entity["entity"] in _FACTS or entity["entity"] in EXTRA_TYPES:
                columns.append(_ANY_FACT)
            for c in columns:
                sentence[0, c] = 1.0
                for i, token in enumerate(tokens):
                    if token.start < entity["end"] and entity["start"] < token.end:
                        sequence[i, c] = 1.0
        self.add_features_to_message(scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence),
                                     TEXT, message)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """LogisticRegressionClassifier that never fails on a message it has no features for."""

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        """The same matrix as LogisticRegressionClassifier._create_X, built in one step.

        Rasa's version asks each message for its combined sequence and sentence features (deep
        copies and pairwise sparse stacking of every featurizer's output) and then keeps only the
        sentence features: a tenth of the server's time per message. Here each message's sentence
        features are stacked once, sparse ones in pipeline order, then dense ones, as Rasa does."""
        rows = []
        for message in messages:
            sentence = [f for f in message.features
                        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            parts = ([scipy.sparse.csr_matrix(f.features) for f in sentence if f.is_sparse()]
                     + [scipy.sparse.csr_matrix(f.features) for f in sentence if f.is_dense()])
            rows.append(scipy.sparse.hstack(parts, format="csr") if parts
                        else scipy.sparse.csr_matrix((1, 0)))
        return scipy.sparse.vstack(rows, format="csr")

    def process(self, messages: List[Message]) -> List[Message]:
        width = getattr(self.clf, "n_features_in_", None)
        if width is None:  # not trained (no intents in the data)
            return messages
        good, empty = [], []
        for message in messages:
            text = message.get(TEXT) or ""
            wordless = not any(ch.isalnum() for ch in text)  # "", "   ", "😀", "？？"
            (empty if wordless or self._create_X([message]).shape[1] != width else good).append(message)
        if good:
            super().process(good)
        for message in empty:
            message.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
            message.set("intent_ranking", [], add_to_output=True)
        return messages


# Intents that never carry a fact of the profile, a place or a number: a message classified so that does
# carry one is about the person's situation ("77了" is someone's age however much it looks like "走了";
# "刚才说错了，证还没办下来" corrects a fact however much it looks like a no; a story the classifier
# finds unlike anything it knows is still a story).
NEVER_WITH_FACTS = ("goodbye", "thank", "greet", "help", "review", "out_of_scope", "nlu_fallback", "affirm",
                    "deny", "dont_know")
# Intents that change or delete what is stored: only a short message that asks for the command in so many
# words, states no fact and asks no question is one (knowledge/lexicon.yaml `commands`): "从哪个月开始发钱"
# is a question, "你们会保存我的信息吗" asks about privacy, "重新说一下，是二级" corrects a fact.
COMMANDS = ("restart", "forget")
PRIVACY = "ask_privacy"
# Questions around a verdict, which may come with the situation: a story (two facts or more) is read as the
# situation, whatever else it asks ("…肢体一级，户口在崇明，想问问能拿哪些补助"; "我妈二级视力，低保户，护理
# 补贴要带什么"): the verdict comes first, and the question the classifier saw (kept in the parse as
# `asked_too`) is answered after it (actions.questions.pending_question). With fewer facts the question is
# answered and the facts it states are kept (actions.profile.facts_told).
ASKED_TOO = "asked_too"
AROUND_THE_VERDICT = ("ask_info", "ask_refused", "ask_stopped", "ask_summary", "ask_privacy")
STORY_FACTS = 2
# "What if" is only a supposed case: without 要是/如果/假如… it is a correction or a fact ("是三级，不是二级");
# and a supposed case is never a fact: "假设我找到工作了低保会停吗" asks, it does not say that they work.
SUPPOSABLE = ("inform", "ask_eligibility", "ask_amount", "ask_info", "ask_stopped", "ask_refused", "why",
              "out_of_scope", "nlu_fallback", "affirm", "deny")
_SAYS_SOMETHING = set(_FACTS) | set(EXTRA_TYPES)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentChecks(_Stateless, GraphComponent):
    """Last in the pipeline, after FallbackClassifier. A message whose intent is one of NEVER_WITH_FACTS
    but which states a fact, a place or a number is inform (or ask_eligibility, whichever the classifier
    ranked higher), whatever its confidence: no message that says something about the person is out of
    scope. A restart or forget that does not ask for it in so many words is not one: it becomes the next
    intent the classifier ranked (a forget, a question about privacy), so nothing is cleared by a word in
    passing.
    A question whose words ask what the knowledge base answers is asked of it (ask_info)."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            facts_decide(message)
            suppositions(message)
            commands_whole(message)
            privacy_named(message)
            stopped_named(message)
            questions_asked(message)
        return messages


def _set_intent(message: Message, name: str, confidence: float) -> None:
    ranking = message.get("intent_ranking") or []
    ranking = [{"name": name, "confidence": confidence}] + [r for r in ranking if r.get("name") != name]
    message.set("intent", {"name": name, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)


def facts_decide(message: Message) -> None:
    from knowledge.language import asks

    intent = message.get("intent") or {}
    name = intent.get("name")
    said = {e.get("entity") for e in message.get(ENTITIES, []) if e.get("entity") in _SAYS_SOMETHING}
    text = message.get(TEXT) or ""
    if name == "what_if" and (not SUPPOSE.search(text) or (about(text)
                                                          and not (_asks_outcome(text) and supposed(text)))):
        # not a supposed case, or one that sets up a question the 办事清单 or a clause answers ("要是以后更重了，
        # 能重新评定等级吗"): the next intent the classifier saw, checked in turn
        ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "what_if"]
        _set_intent(message, ranking[0]["name"] if ranking else "nlu_fallback",
                    ranking[0].get("confidence", 0.0) if ranking else 0.0)
        intent = message.get("intent") or {}
        name = intent.get("name")
    if name != "ask_summary" and len(said) >= STORY_FACTS and ASKS_SUMMARY.search(text):
        message.set(ASKED_TOO, "ask_summary", add_to_output=True)  # "王家老二，二级精神…给村书记发个简要"
    elif name != "ask_amount" and len(said) >= STORY_FACTS and ASKS_AMOUNT.search(text) \
            and not about(text).steps:
        # "崇明一级的护理补贴一个月几钿…两样能一起拿伐": how much, then what else the clauses answer
        message.set(ASKED_TOO, "ask_amount", add_to_output=True)
    elif name in AROUND_THE_VERDICT and len(said) >= STORY_FACTS:
        # a story with a question in it: the check first, then the question (actions.questions.pending_question)
        message.set(ASKED_TOO, name, add_to_output=True)
    elif name == "ask_info" and said and not asks(text):
        pass  # "残疾证是去年办的": a fact stated, nothing asked
    elif name in AROUND_THE_VERDICT and said and CORRECTS.search(text):
        pass  # "刚才说错了，证还没办下来": a correction, not a refusal
    elif name in ("nlu_fallback", "out_of_scope") and any(e.get("entity") == "program"
                                                          for e in message.get(ENTITIES, [])):
        _set_intent(message, "ask_eligibility", intent.get("confidence", 0.0))
        return  # "护理补贴": a programme named alone asks about it
    elif name not in NEVER_WITH_FACTS or not said:
        return
    ranking = message.get("intent_ranking") or []
    order = [r.get("name") for r in ranking]
    name = min(("inform", "ask_eligibility"), key=lambda n: order.index(n) if n in order else len(order))
    confidence = max(intent.get("confidence", 0.0), next((r.get("confidence", 0.0) for r in ranking
                                                         if r.get("name") == name), 0.0))
    _set_intent(message, name, confidence)


# A question whose words ask what knowledge/questions.yaml answers (要带什么, 多久能批, 残疾证怎么办,
# 渐退期是什么意思) is a question around the verdict, whatever programme it names ("护理补贴要带什么"), unless
# it is a story or asks something of its own kind (a refusal, a stopped benefit, a supposed case…).
ASKING_KINDS = ("ask_eligibility", "inform", "ask_apply", "out_of_scope", "nlu_fallback", "why", "help", "ask_amount")


def _asks_outcome(text: str) -> bool:
    """After the supposed case, a question about what it would bring: a what-if, even when the words before
    it ask the knowledge base something too ("下个月去重新评 要是评成二级了 护理那个钱是不是就能拿了").
    Whether a case is supposed at all (understand.supposed) is for the caller, which may know already."""
    found = SUPPOSE.search(text)
    return bool(found and ASKS_OUTCOME.search(text[found.end():]))


def suppositions(message: Message) -> None:
    intent = message.get("intent") or {}
    text = message.get(TEXT) or ""
    if intent.get("name") in SUPPOSABLE and SUPPOSE.search(text) and supposed(text):
        if about(text) and not _asks_outcome(text):  # supposed(text): said just above
            return  # "要是低保批下来了，钱从哪个月开始给": the case sets up a question the 办事清单 answers
        _set_intent(message, "what_if", intent.get("confidence", 0.0))


def questions_asked(message: Message) -> None:
    from knowledge.language import asks

    intent = message.get("intent") or {}
    said = {e.get("entity") for e in message.get(ENTITIES, []) if e.get("entity") in _SAYS_SOMETHING}
    if intent.get("name") in ASKING_KINDS + AROUND_THE_VERDICT + ("what_if", "review") and len(said) < STORY_FACTS \
            and ASKS_SUMMARY.search(message.get(TEXT) or ""):
        # "麻烦总结下，我发给我老公", "帮我写一段话发给村支书…让他帮着往上报", "你把我这情况写成一段话": whatever else
        # it seems to ask (a review of the facts too)
        _set_intent(message, "ask_summary", intent.get("confidence", 0.0))
        return
    if intent.get("name") not in ASKING_KINDS:
        return
    asked = about(message.get(TEXT) or "")
    if asked.answer:  # what a word means: a count ("住院才两个月") does not make the question a story
        said -= set(EXTRA_TYPES)
    if len(said) >= STORY_FACTS or (said and not asks(message.get(TEXT) or "")):
        return  # a story, or a fact stated ("还没有去办残疾证"), not a question
    if asked.answer or (asked.steps and intent.get("name") != "ask_apply"):
        _set_intent(message, "ask_info", intent.get("confidence", 0.0))
    elif intent.get("name") != "ask_amount" and ASKS_AMOUNT.search(message.get(TEXT) or ""):
        _set_intent(message, "ask_amount", intent.get("confidence", 0.0))  # "一级的给多钱": how much


def stopped_named(message: Message) -> None:
    """A benefit said to have stopped names the stopping ("咋就不发了", "给停了", "取消了"); without such a word
    a question the 办事清单 answers is asked of it ("铜钿是直接打到卡里伐 几号到账", "这得等到甚时候才有个准信")."""
    intent = message.get("intent") or {}
    text = message.get(TEXT) or ""
    if intent.get("name") != "ask_stopped" or STOPPED_WORDS.search(text) or not about(text).steps:
        return
    _set_intent(message, "ask_info", intent.get("confidence", 0.0))


def privacy_named(message: Message) -> None:
    """A question about what is kept names it ("你们会保存我的信息吗"); without such a word the classifier's
    next guess is taken ("生活补贴一个月给多少钱？我看网上说上海四百多" asks how much)."""
    intent = message.get("intent") or {}
    if intent.get("name") != PRIVACY or PRIVACY_WORDS.search(message.get(TEXT) or ""):
        return
    if ASKS_AMOUNT.search(message.get(TEXT) or ""):
        _set_intent(message, "ask_amount", intent.get("confidence", 0.0))
        return
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != PRIVACY]
    _set_intent(message, ranking[0]["name"] if ranking else "nlu_fallback",
                ranking[0].get("confidence", 0.0) if ranking else 0.0)


def commands_whole(message: Message) -> None:
    from knowledge.lexicon import lexicon

    intent = message.get("intent") or {}
    name = intent.get("name")
    said = any(e.get("entity") in _SAYS_SOMETHING for e in message.get(ENTITIES, []))
    if name not in COMMANDS or (not said and lexicon().command(name, message.get(TEXT) or "")):
        return
    if name == "forget":
        _set_intent(message, PRIVACY, intent.get("confidence", 0.0))
        return
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") not in COMMANDS]
    if ranking:
        _set_intent(message, ranking[0]["name"], ranking[0].get("confidence", 0.0))
    else:
        _set_intent(message, "nlu_fallback", 0.0)
