"""The goal-driven form: ask only what the engine still needs, one fact at a time.

validate_profile_form checks every value the user has just given (and any profile slot that still
holds a bad value, however it got there), then names the one fact to ask next: the rules engine's
next_question for the programmes asked about, or nothing when they are all settled (the form then
ends and action_give_verdicts answers). A value that was just rejected is asked again at once.

action_ask_<fact> (one class per fact, generated from bot.ask.QUESTIONS) sends the question, with
buttons when the answers are few, then the custom payload {"ask": "<fact>"} (CONTRACT.md section 4).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.ask import QUESTIONS
from rules.facts import FACTS

from .profile import (PROGRAMS_SLOT, UNSURE_SLOT, BadValue, asked_programs, canonical, entities,
                      enum_words, next_fact, place_choices, profile_from_slots, scope, unsure_facts)

YES_NO = {"has_certificate": ("有", "没有"), "employed": ("有", "没有")}
IS_ISNT = ("是", "不是")
# Real yes/no answers ("是", "没有", "否", "no") are classified at 0.67 and above; noise at about 0.45.
YES_NO_MIN_CONFIDENCE = 0.6
CERTIFICATE_ASSUMED = "您说了残疾等级，我就按已经办了残疾人证来判断。如果没有证，请告诉我：没有残疾证。"
READ_IN_PART = "您的消息很长，我只读了前{limit}个字。后面的情况，请分几条短一点的消息告诉我。"
SKIPPED = "好的，{label}这一项先跳过，不当作没有。以后知道了，直接告诉我就行。"


def said_dont_know(tracker: Tracker) -> str | None:
    """The fact being asked, when the user has just said they do not know it (不知道, 不清楚)."""
    asking = tracker.get_slot("requested_slot")
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if intent == "dont_know" and asking in FACTS and not entities(tracker, asking):
        return asking
    return None


def unsure_yes_no(tracker: Tracker, fact: str) -> bool:
    """Whether `fact` was filled only by a yes or no (affirm/deny) the NLU is not sure of.

    A fact decides a verdict, so a bare "a", "。" or a single emoji, which the classifier may call a
    yes at low confidence, must not answer a question."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return (intent.get("name") in ("affirm", "deny")
            and (intent.get("confidence") or 0.0) < YES_NO_MIN_CONFIDENCE
            and not entities(tracker, fact))


def rejected_this_turn(tracker: Tracker) -> list[str]:
    """Facts the user gave in this turn whose value was then rejected (slot cleared by validation).

    The slots set in this turn are the run of SlotSet events at the end of the tracker: the
    candidates Rasa extracted, followed by the validation's own events."""
    run: list[dict] = []
    for event in reversed(tracker.events):
        if event.get("event") != "slot":
            break
        run.append(event)
    given = [e["name"] for e in reversed(run) if e.get("name") in FACTS and e.get("value") is not None]
    return [f for f in dict.fromkeys(given) if tracker.slots.get(f) is None]


class ValidateProfileForm(FormValidationAction):
    """Validation and the choice of the next question for profile_form."""

    def name(self) -> Text:
        return "validate_profile_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        rejected = rejected_this_turn(tracker)
        if rejected:
            return rejected[:1]
        profile, _ = profile_from_slots(tracker.slots)
        fact = next_fact(profile, scope(tracker), skip=unsure_facts(tracker))
        return [fact] if fact else []

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """Validate every fact just given and every profile slot still holding a bad value.

        (rasa_sdk's default validates only the slots that required_slots() lists; here that is one
        fact at most, and the user may have given several, or corrected an earlier one.)"""
        candidates = {k: v for k, v in tracker.slots_to_validate().items() if k in FACTS}
        _, bad = profile_from_slots(tracker.slots)
        for fact in bad:
            candidates.setdefault(fact, tracker.slots.get(fact))
        values: Dict[Text, Any] = {}
        for fact, value in candidates.items():
            if value is not None and unsure_yes_no(tracker, fact):
                dispatcher.utter_message(response="utter_not_understood")
                values[fact] = None  # asked again at once
                continue
            values.update(getattr(self, f"validate_{fact}")(value, dispatcher, tracker, domain))
        if (values.get("disability_grade") is not None and tracker.slots.get("has_certificate") is None
                and "has_certificate" not in candidates):
            # A grade is what the 残疾人证 states (certificate-2017 第二条: the certificate is the legal
            # proof of category and grade), so a person who names one holds it. Said, so it can be corrected.
            dispatcher.utter_message(text=CERTIFICATE_ASSUMED)
            values["has_certificate"] = True
        self._say_if_clipped(dispatcher, tracker)
        return ([SlotSet(k, v) for k, v in values.items()] + self._unsure_events(dispatcher, tracker)
                + self._programs_events(tracker))

    @staticmethod
    def _say_if_clipped(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The NLU reads the first MAX_CHARS characters of a message: a longer one is told so."""
        from bot.nlu.normalise import CLIPPED_AT

        read = (tracker.latest_message or {}).get(CLIPPED_AT)  # set by the NLU's TextNormaliser
        if isinstance(read, int) and not isinstance(read, bool):
            dispatcher.utter_message(text=READ_IN_PART.format(limit=read))

    @staticmethod
    def _unsure_events(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """不知道 to a question: the fact is skipped, never taken as a no (a "no" to 有没有残疾证 or to
        the household question could turn an "eligible" into an "ineligible")."""
        fact = said_dont_know(tracker)
        if fact is None:
            return []
        dispatcher.utter_message(text=SKIPPED.format(label=FACTS[fact].label))
        return [SlotSet(UNSURE_SLOT, [*unsure_facts(tracker), fact])]

    @staticmethod
    def _programs_events(tracker: Tracker) -> List[EventType]:
        """The programmes asked about: those named now, or all of them for "我能领什么补贴"."""
        named = asked_programs(tracker)
        if named:
            return [SlotSet(PROGRAMS_SLOT, named)]
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "ask_eligibility" or entities(tracker, "program"):
            return [SlotSet(PROGRAMS_SLOT, None)]  # all of them (a forced unknown id counts as none)
        return []


def _validator(fact: str):
    def validate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {fact: None}
        try:
            return {fact: canonical(fact, value)}
        except BadValue as bad:
            dispatcher.utter_message(text=bad.message)
            return {fact: None}

    validate.__name__ = f"validate_{fact}"
    validate.__doc__ = f"{FACTS[fact].label}: the canonical value, or None and a sentence saying why."
    return validate


for _fact in FACTS:
    setattr(ValidateProfileForm, f"validate_{_fact}", _validator(_fact))


# --- the questions ------------------------------------------------------------------------------------

def answer_words(fact: str) -> list[str]:
    """The answers a user could type to a question, when there are few (for buttons)."""
    spec = FACTS[fact]
    if spec.kind == "bool":
        return list(YES_NO.get(fact, IS_ISNT))
    if fact == "disability_grade":
        from rules.explain import grade_zh

        return [grade_zh(g) for g in range(spec.low, spec.high + 1)]
    if spec.kind == "enum":
        words = enum_words(fact)
        question = QUESTIONS[fact]
        if all(w in question for w in words):  # in the order the question says them
            words.sort(key=question.index)
        return words
    return []


def buttons(words: list[str]) -> list[dict]:
    """Buttons whose title is what a user could type, and whose payload is the same words."""
    return [{"title": w, "payload": w} for w in words]


class AskFact(Action, ABC):
    """Ask for one fact: the shared question, typeable buttons, then {"ask": fact}."""

    @property
    @abstractmethod
    def fact(self) -> str:
        ...

    def name(self) -> Text:
        return f"action_ask_{self.fact}"

    def question(self, tracker: Tracker) -> tuple[str, list[str]]:
        return QUESTIONS[self.fact], answer_words(self.fact)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        text, words = self.question(tracker)
        dispatcher.utter_message(text=text, buttons=buttons(words))
        dispatcher.utter_message(json_message={"ask": self.fact})
        return []


class AskRegion(AskFact):
    """After a place name that matched several places, or none, offer the places it could be."""

    fact = "region"

    def question(self, tracker: Tracker) -> tuple[str, list[str]]:
        for entity in reversed(entities(tracker, "region")):
            choices = place_choices(entity.get("value"))
            if choices:
                return "请说是哪一个地方，说全称，比如：" + choices[0] + "。", choices
        return QUESTIONS["region"], []


def _ask_class(fact: str) -> type:
    name = "ActionAsk" + "".join(part.title() for part in fact.split("_"))
    return type(name, (AskFact,), {"fact": fact, "__doc__": f"Ask: {QUESTIONS[fact]}",
                                   "__module__": __name__})


ASK_ACTIONS = {"region": AskRegion}
for _fact in FACTS:
    if _fact not in ASK_ACTIONS:
        ASK_ACTIONS[_fact] = _ask_class(_fact)
        globals()[ASK_ACTIONS[_fact].__name__] = ASK_ACTIONS[_fact]
