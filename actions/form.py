"""The goal-driven form: ask only what the engine still needs, one fact at a time, and read every reply
as an answer to the question just asked before anything else.

validate_profile_form passes the message to bot.conversation.questions.reply (the one policy shared with `zhucan
ask`, see its docstring): an answer sets the fact, words close to an option are asked back ("您说的是
肢体残疾吗？"), 不知道 skips the fact, a reply that cannot be read gets the question again once, short and
numbered, and is then skipped as unknown; no question comes more than twice in a row. Slots filled by
No entity mapping sets a fact's slot: what the reply means in context decides, and only this validation
sets them. A side
question that answers nothing (为什么, 帮助, 多少钱…) is left to the dialogue's rules (the form rejects the
turn), which answer it and come back to the question.

required_slots names the one fact to ask next: a value to confirm, a value just refused, or the rules
engine's next_question for the programmes asked about (or those in play for this person), leaving out the
facts the user does not know; nothing when every verdict is settled (the form then ends and
action_give_verdicts answers).

action_ask_<fact> (one class per fact of knowledge/facts.yaml) sends the question (or the confirmation,
or the short numbered form after a miss) with typable buttons, then the custom payload {"ask": "<fact>"}
(CONTRACT.md section 4; a confirmation adds "confirm": the value).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.questions import confirmation, question, reply
from rules.facts import FACTS

from .profile import (CHOICES_SLOT, CONFIRMING_SLOT, MISSES_SLOT, PROGRAMS_SLOT, SUBJECT_SLOT, UNSURE_SLOT,
                      BadValue, asked_in_a_row, asking_scope, canonical, entities, misses, next_fact,
                      profile_from_slots, unsure_facts, valid_programs)
from .verdicts import say

CERTIFICATE_ASSUMED = "您说了残疾等级，我就按已经办了残疾人证来判断。如果没有证，请告诉我：没有残疾证。"
READ_IN_PART = "您的消息很长，我只读了前{limit}个字。后面的情况，请分几条短一点的消息告诉我。"
# Intents that are questions of their own: a message of one of these that answers nothing is left to
# the dialogue's rules (answered, then the question again), and is not counted as a missed answer.
SIDE_QUESTIONS = {"why", "review", "help", "goodbye", "forget", "greet", "thank", "ask_amount", "ask_apply",
                  "restart", "ask_info", "ask_refused", "ask_stopped", "what_if", "ask_summary", "ask_privacy"}
SIDE_QUESTION_MIN_CONFIDENCE = 0.5


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/"):  # Rasa's forced intent syntax ("/inform{...}"): no words to read
        return ""
    return text


def _last_user(tracker: Tracker) -> int:
    for i in range(len(tracker.events) - 1, -1, -1):
        if tracker.events[i].get("event") == "user":
            return i
    return len(tracker.events)


def forced_facts(tracker: Tracker) -> dict:
    """The facts of a message forced with Rasa's /inform{...} syntax (no words to read): its entities,
    checked like any other value."""
    message = tracker.latest_message or {}
    return {e["entity"]: e.get("value") for e in message.get("entities") or []
            if isinstance(e, dict) and e.get("entity") in FACTS and e.get("value") is not None}


def rejected_this_turn(tracker: Tracker) -> list[str]:
    """Facts the user gave in this turn whose value was then refused (slot cleared by validation).

    The slots set in this turn are the run of SlotSet events at the end of the tracker: a refused value
    is set as said and then cleared (get_validation_events), so it shows here."""
    run: list[dict] = []
    for event in reversed(tracker.events):
        if event.get("event") != "slot":
            break
        run.append(event)
    given = [e["name"] for e in reversed(run) if e.get("name") in FACTS and e.get("value") is not None]
    return [f for f in dict.fromkeys(given) if tracker.slots.get(f) is None]


class ValidateProfileForm(FormValidationAction):
    """The reading of every reply, and the choice of the next question, for profile_form."""

    def name(self) -> Text:
        return "validate_profile_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        confirming = tracker.get_slot(CONFIRMING_SLOT)
        if isinstance(confirming, dict) and confirming:
            return [next(iter(confirming))]
        rejected = [f for f in rejected_this_turn(tracker) if f not in unsure_facts(tracker)]
        if rejected:  # a value just refused is asked again at once, unless it has been asked twice
            return rejected[:1]
        profile, _ = profile_from_slots(tracker.slots)
        skip = unsure_facts(tracker)
        fact = next_fact(profile, asking_scope(tracker, profile), skip=skip)
        if fact and asked_in_a_row(tracker, fact) >= 2:
            # asked twice, then a question of the person's own answered in between: a third time in a row
            # would trap them, so the next fact comes (this one can still be said at any time)
            fact = next_fact(profile, asking_scope(tracker, profile), skip=[*skip, fact])
        return [fact] if fact else []

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        before = dict(tracker.slots)  # the facts' slots are set only here: what they hold is from before
        asking = tracker.get_slot("requested_slot") if tracker.active_loop.get("name") else None
        asking = asking if asking in FACTS else None
        profile, _ = profile_from_slots(before)
        intent, confidence = _intent(tracker)
        confirming = before.get(CONFIRMING_SLOT) if isinstance(before.get(CONFIRMING_SLOT), dict) else None
        turn = reply(_text(tracker), asking=asking, profile=profile,
                     misses=misses(tracker, asking), confirming=confirming or None,
                     side_question=intent in SIDE_QUESTIONS and confidence >= SIDE_QUESTION_MIN_CONFIDENCE,
                     choices=before.get(CHOICES_SLOT) if asking == "region" else None)
        if not turn.handled:
            return []  # not a reply: the form rejects the turn and the dialogue's rules answer it

        values: Dict[Text, Any] = {}
        # a bad value held from an earlier turn (forced with /why{"disability_grade": 9}): cleared, said why
        for fact, bad in profile_from_slots(before)[1].items():
            dispatcher.utter_message(text=bad.message)
            values[fact] = None
        # values forced with /inform{...} (no words to read) are checked like any other
        if not _text(tracker):
            for fact, value in forced_facts(tracker).items():
                turn.set.setdefault(fact, value)
        # a value it cannot take (said "200岁", or forced): kept for a moment, then cleared, so that the
        # question comes again at once (rejected_this_turn)
        refused = [SlotSet(fact, str(said)) for fact, said in turn.refused.items()]
        values.update({fact: None for fact in turn.refused})
        for fact, value in turn.set.items():
            try:
                values[fact] = canonical(fact, value)
            except BadValue as bad:
                dispatcher.utter_message(text=bad.message)
                values[fact] = None
                refused.append(SlotSet(fact, str(value)))
        for sentence in turn.say:
            dispatcher.utter_message(text=sentence)
        if (values.get("disability_grade") is not None and before.get("has_certificate") is None
                and values.get("has_certificate") is None):
            # A grade is what the 残疾人证 states (certificate-2017 第二条: the certificate is the legal
            # proof of category and grade), so a person who names one holds it. Said, so it can be corrected.
            dispatcher.utter_message(text=CERTIFICATE_ASSUMED)
            values["has_certificate"] = True
        self._say_if_clipped(dispatcher, tracker)
        unsure = [f for f in unsure_facts(tracker) if values.get(f) is None] + \
                 [f for f in turn.skip if f not in unsure_facts(tracker)]
        events = refused + [SlotSet(k, v) for k, v in values.items()]
        events += [SlotSet(UNSURE_SLOT, unsure), SlotSet(CONFIRMING_SLOT, turn.confirming),
                   SlotSet(MISSES_SLOT, {"fact": (next(iter(turn.confirming)) if turn.confirming else asking),
                                         "count": turn.misses}),
                   SlotSet(CHOICES_SLOT, turn.choices or None)]
        if turn.subject:
            events.append(SlotSet(SUBJECT_SLOT, turn.subject))
        return events + self._programs_events(tracker, turn.programs, intent)

    @staticmethod
    def _say_if_clipped(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The NLU reads the first MAX_CHARS characters of a message: a longer one is told so."""
        from bot.nlu.normalise import CLIPPED_AT

        read = (tracker.latest_message or {}).get(CLIPPED_AT)  # set by the NLU's TextNormaliser
        if isinstance(read, int) and not isinstance(read, bool):
            dispatcher.utter_message(text=READ_IN_PART.format(limit=read))

    @staticmethod
    def _programs_events(tracker: Tracker, named: list[str], intent: str | None) -> List[EventType]:
        """The programmes asked about: those named now, or all that matter for "我能领什么补贴"."""
        named = valid_programs(named) or valid_programs([e.get("value") for e in entities(tracker, "program")])
        if named:
            return [SlotSet(PROGRAMS_SLOT, named)]
        if intent == "ask_eligibility":
            return [SlotSet(PROGRAMS_SLOT, None)]
        return []


# --- the questions ------------------------------------------------------------------------------------

def buttons(words: list[str]) -> list[dict]:
    """Buttons whose title is what a user could type, and whose payload is the same words."""
    return [{"title": w, "payload": w} for w in words]


def _meaning_asked(tracker: Tracker) -> str | None:
    """The answer to what a word means (knowledge/questions.yaml), when the message just read as the
    situation also asks it and nothing has been said to it yet: it bears on the question that follows."""
    from bot.conversation.render import topic_answer
    from knowledge.questions import about, questions

    from .questions import _text

    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    text = _text(tracker)
    if last_user is None or not text or any(e.get("event") == "bot" for e in events[last_user + 1:]):
        return None
    asked = about(text)
    if not asked.answer or asked.steps:
        return None
    return topic_answer(questions().answers[asked.answer])


class AskFact(Action, ABC):
    """Ask for one fact: the question (or its confirmation, or its short numbered form after a miss),
    typable buttons, then {"ask": fact}."""

    @property
    @abstractmethod
    def fact(self) -> str:
        ...

    def name(self) -> Text:
        return f"action_ask_{self.fact}"

    def question(self, tracker: Tracker) -> tuple[str, list[str], dict]:
        confirming = tracker.get_slot(CONFIRMING_SLOT)
        if isinstance(confirming, dict) and self.fact in confirming:
            text, words = confirmation(self.fact, confirming[self.fact])
            return text, words, {"confirm": confirming[self.fact]}
        text, words = question(self.fact, again=misses(tracker, self.fact) >= 1)
        return text, words, {}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        meaning = _meaning_asked(tracker)
        if meaning:  # "多长时间才算长期？她住了四个月院": what the word means, then the question it bears on
            say(dispatcher, meaning)
        text, words, extra = self.question(tracker)
        dispatcher.utter_message(text=text, buttons=buttons(words))
        dispatcher.utter_message(json_message={"ask": self.fact, **extra})
        return []


class AskRegion(AskFact):
    """After a place name that matched several places, offer the places it could be."""

    fact = "region"

    def question(self, tracker: Tracker) -> tuple[str, list[str], dict]:
        text, words, extra = super().question(tracker)
        choices = tracker.get_slot(CHOICES_SLOT) or []
        if choices and not extra:
            if len(choices) <= 3:  # several places named, none said to be the 户口 ("我在宁波，我爸在大同")
                return "户口现在在哪里？是" + "，还是".join(choices) + "？", list(choices), extra
            return "是哪一个？说下面的一个，或者连同区县一起说。", list(choices)[:5], extra
        return text, words, extra


def _ask_class(fact: str) -> type:
    name = "ActionAsk" + "".join(part.title() for part in fact.split("_"))
    return type(name, (AskFact,), {"fact": fact, "__doc__": f"Ask: {FACTS[fact].question}",
                                   "__module__": __name__})


ASK_ACTIONS = {"region": AskRegion}
for _fact in FACTS:
    if _fact not in ASK_ACTIONS:
        ASK_ACTIONS[_fact] = _ask_class(_fact)
        globals()[ASK_ACTIONS[_fact].__name__] = ASK_ACTIONS[_fact]
