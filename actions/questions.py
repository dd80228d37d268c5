"""What a family asks around the verdict (issue 17): how to apply, what to bring, how long, from when it is
paid, what if it is refused or stopped; what a word means; what if a fact changed; a summary to pass on.

Every answer comes from the rule base or the knowledge base, never from the action: a programme's 办事清单
(rules/programs/<programme>.yaml `procedure`), the questions the clauses answer (knowledge/questions.yaml),
or the closest clause of knowledge/sources when it is close enough; otherwise an honest "I don't know"
and who can tell. The words are made in bot/conversation/render.py.
"""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.render import DEFAULT_STEPS

from .profile import (LAST_RESULTS_SLOT, PROGRAMS_SLOT, asked_programs, checked_profile, evaluate, facts_told,
                      scope)
from .verdicts import say, say_summary

# How close (TF-IDF cosine, 0-1) the nearest clause must be for it to be quoted as the answer.
CLAUSE_CLOSE_ENOUGH = 0.45


def _text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


# 低保 in a question that names no programme: how to apply for 低保 itself, which is the 办事清单 of
# 单独申请低保 (民发〔2021〕57号 and the 社会救助法 are about applying for 低保, alone or as a family)
DIBAO = ("dibao_individual", "申请低保")
TWO_SUBSIDIES = ["living_subsidy", "care_subsidy"]
WHAT_IF_HINT = "我能按改变后的情况重新判断的，是这样的假设：要是评上二级呢？要是找到工作，低保会怎样？"
SAID_TWO = "上面说的是残疾人两项补贴。问别的补贴，请说它的名字，比如：康复救助、单独申请低保。"


def _about_dibao(text: str) -> bool:
    """Whether a question names 低保 itself ("低宝" too), not a subsidy, the 渐退期 or a 低保边缘 family."""
    from bot.nlu.normalise import normalise_text

    text = normalise_text(text)
    return "低保" in text and not any(w in text for w in ("边缘", "补贴", "渐退"))


def _programs_asked(tracker: Tracker, text: str, refused: bool = False) -> tuple[list[tuple[str, str | None]], bool]:
    """([(programme, heading)], guessed) for a question: the programmes it names, else 低保 when it says
    so, else those asked about, else those the last answer granted (or, for a refusal, turned down), else
    the two subsidies (guessed: said so)."""
    named = asked_programs(tracker) or scope(tracker)
    if asked_programs(tracker):
        return [(p, None) for p in named], False
    if _about_dibao(text):  # "低宝" is 低保 typed by its sound
        return [DIBAO], False
    if named:
        return [(p, None) for p in named], False
    last = tracker.get_slot(LAST_RESULTS_SLOT) or []
    wanted = ("ineligible", "refer") if refused else ("eligible", "refer")
    granted = [r["program"] for r in last if r.get("verdict") in wanted]
    if granted:
        return [(p, None) for p in granted], False
    return [(p, None) for p in TWO_SUBSIDIES], True


def answer_parts(tracker: Tracker, text: str, intent: str | None, default_steps: tuple = (),
                 known_only: bool = False) -> list[str]:
    """The answer to a question around the verdict, in messages: the 办事清单 lines it asks for, a topic
    the clauses answer, the closest clause, or "I don't know" and who can tell (`known_only`: [] rather
    than the last two, for a question found inside a story)."""
    from bot.conversation.render import DONT_KNOW_ANSWER, clause_answer, steps_text, topic_answer
    from knowledge.questions import about, closest_clauses, questions
    from rules.model import load_programs

    asked = about(text)
    # a refusal's answer only where the words say refusal too: the classifier alone takes other questions
    # (and stories) for refusals, and the answer would then be about something not asked
    steps = asked.steps or default_steps
    said = []
    if asked.answer:  # "残疾证怎么办理，要带什么": the certificate's answer, not the subsidies' 办事清单
        said.append(topic_answer(questions().answers[asked.answer]))
    if steps and (not asked.answer or asked_programs(tracker)):
        programs = load_programs()
        which, guessed = _programs_asked(tracker, text, refused="refused" in steps)
        parts = [part for pid, heading in which if (part := steps_text(programs[pid], steps, heading))]
        said += parts
        if parts and guessed:
            said.append(SAID_TWO)
    if not said and not known_only:
        close = closest_clauses(text, limit=1)
        if close and close[0][0] >= CLAUSE_CLOSE_ENOUGH:
            said.append(clause_answer(close[0][1]))
        else:
            said.append(DONT_KNOW_ANSWER)
    return said


def pending_question(tracker: Tracker) -> tuple[str, str, bool] | None:
    """(text, intent, sure) of a question around the verdict asked inside the story that led to it ("…低保户，
    护理补贴要带什么"), not yet answered: the latest user message since the last verdict that was read as the
    situation while the classifier saw a question in it (`asked_too`), or whose words ask what the
    knowledge base answers. `sure`: the knowledge base's words agree that it asks (the classifier alone
    takes many stories for refusals)."""
    from knowledge.questions import about

    for event in reversed(tracker.events):
        if event.get("event") == "bot" and "results" in ((event.get("data") or {}).get("custom") or {}):
            return None
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if not text or text.startswith("/") or intent not in ("ask_eligibility", "inform"):
            continue
        asked = about(text)
        if asked.answer or asked.steps:
            return text, "ask_refused" if "refused" in asked.steps else (parse.get("asked_too") or "ask_info"), True
        if parse.get("asked_too"):
            return text, parse["asked_too"], False
    return None


class ActionAnswerQuestion(Action):
    """A question around the verdict: the 办事清单 lines it asks for, a topic the clauses answer, the
    closest clause, or "I don't know" and who can tell."""

    default_steps: tuple = ()

    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        for part in answer_parts(tracker, _text(tracker), intent, self.default_steps):
            say(dispatcher, part)
        return facts_told(tracker)


class ActionAnswerApply(ActionAnswerQuestion):
    """怎么申请, 去哪里办, 要带什么: the 办事清单 of the programmes asked about (or those that apply)."""

    default_steps = DEFAULT_STEPS

    def name(self) -> Text:
        return "action_answer_apply"


class ActionAnswerStopped(Action):
    """"每月那一百块咋就不发了": a question about eligibility. What decides each programme (its national
    rule's own reason and words), that a change in these can stop it, what the office must do and what the
    person can do, then the check of today's situation (the form asks what it needs). 低保 itself stopped
    ("低保卡里没钱了，说给停了"): the 渐退期's rule and what the law requires before 低保 is cut."""

    def name(self) -> Text:
        return "action_answer_stopped"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        from bot.conversation.render import stopped
        from rules.model import load_programs

        named = asked_programs(tracker) or (["dibao_gradual_exit"] if _about_dibao(_text(tracker)) else TWO_SUBSIDIES)
        programs = load_programs()
        head, _, rest = stopped([programs[p] for p in named]).partition("\n")
        say(dispatcher, head)  # the answer first, in one short message; what decides each programme after it
        if rest:
            say(dispatcher, rest)
        return facts_told(tracker) + [SlotSet(PROGRAMS_SLOT, named)]


class ActionWhatIf(Action):
    """"要是评上二级呢": the verdicts again with the changed facts, the difference in one short message;
    what is stored stays as it was."""

    def name(self) -> Text:
        return "action_what_if"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        from bot.conversation.render import what_if
        from bot.nlu.understand import supposed

        profile, events = checked_profile(tracker, dispatcher)
        change = supposed(_text(tracker), profile)
        if not change:
            # "要是俺娘哪天没了，俺兄弟的低保会咋样": a case the facts cannot hold; what the texts say of it, or
            # that they do not say, then how a case the rules can decide again is asked
            intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
            for part in answer_parts(tracker, _text(tracker), intent):
                say(dispatcher, part)
            say(dispatcher, WHAT_IF_HINT)
            return events
        named = asked_programs(tracker) or scope(tracker)
        before = [r.to_json() for r in evaluate(profile, named).results]
        after = [r.to_json() for r in evaluate({**profile, **change}, named).results]
        say(dispatcher, what_if(change, before, after))
        return events


class ActionSummary(Action):
    """"把结果发给我儿子": the facts and the last verdicts in one plain message that can be forwarded."""

    def name(self) -> Text:
        return "action_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        profile, events = checked_profile(tracker, dispatcher)
        results = tracker.get_slot(LAST_RESULTS_SLOT) or []
        if not results:
            say(dispatcher, "还没有结论可以转发。请先说说情况，或者问：我能领什么补贴。")
            return events
        say_summary(dispatcher, profile, results)
        return events
