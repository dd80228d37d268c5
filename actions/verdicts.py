"""Verdicts, 为什么/详细, 我说了什么, and the side question 多少钱 (the questions around the verdict, 怎么申请
among them, are in actions/questions.py).

Every text goes out through `say`: plain text (bot.conversation.text.plain), cut at sentence ends into messages of
at most 500 characters (bot.conversation.text.split_message), because people listen to these with screen readers.
A verdict comes answer first (bot.conversation.render.render_answer): one short message with what the person can
get, then the explanations of what applies, then one sentence for what does not.
"""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.questions import unsure_sentence
from bot.conversation.render import LIMIT
from bot.nlu.understand import CHALLENGE
from rules.facts import FACTS

from .profile import (LAST_RESULTS_SLOT, asked_programs, asking_scope, checked_profile, evaluate,
                      programme_ids, scope, subject_is_adult, title, unsure_facts)

ASK_ALL = "我能领什么补贴"
SAME_AS_BEFORE = "这些结论和刚才一样。要再听理由和依据，请说：为什么。"
SAME_VERDICTS = "能不能领的结论和刚才一样。"
NOT_ASKED = "not_asked"  # in last_results' companion: programmes answered without their questions
ANSWER_FIRST = "answer_first"  # custom payload of the short first message of a verdict
SAID_BACK = "said_back"  # custom payload of the line before it: {fact: value} the answer rests on


def say(dispatcher: CollectingDispatcher, text: str, buttons: list[dict] | None = None) -> None:
    """Send `text` as plain messages of at most LIMIT characters; buttons go with the last one."""
    from bot.conversation.text import plain, split_message

    parts = split_message(plain(text), LIMIT)
    for i, part in enumerate(parts):
        if buttons and i == len(parts) - 1:
            dispatcher.utter_message(text=part, buttons=buttons)
        else:
            dispatcher.utter_message(text=part)


def say_summary(dispatcher: CollectingDispatcher, profile: dict, results: list[dict]) -> None:
    """The facts and the verdicts in one plain message that can be forwarded (render.shareable)."""
    from datetime import date

    from bot.conversation.render import shareable

    dispatcher.utter_message(text="下面这一条可以直接转发，里面没有姓名和证件号。")
    dispatcher.utter_message(text=shareable(profile, results, date.today()))


def amount_text(profile: dict, programs: list[str]) -> str:
    """How much each programme pays this person, with its date and source; or why no figure is said."""
    from bot.conversation.render import amount_sentences, cite_line
    from rules.engine import amount_for

    lines = []
    for pid in programs:
        amount = amount_for(pid, profile)
        if amount:
            lines.append(title(pid) + "：" + "".join(amount_sentences(amount)))
            if amount.cite.quote:  # the figure in its document's own words
                lines.append(cite_line(amount.cite.doc, amount.cite.section, amount.cite.quote))
    if not lines:
        if "region" not in profile:
            lines.append("各地金额不同。请告诉我户籍在哪里，比如：崇明、奉化、太原。")
        else:
            lines.append("收录的规定里没有您那里这一项的金额，或者金额要看残疾等级等情况。"
                         "可以先告诉我残疾等级，也可以问户籍所在地的县级残联或民政部门。")
    return "\n".join(lines)


def same_verdict(result: dict, before: dict | None) -> bool:
    """The same conclusion as last time, for the same reasons (said again in one sentence only)."""
    keys = ("verdict", "reasons", "source_status", "details")
    return before is not None and all(result.get(k) == before.get(k) for k in keys)


def _names(programs: list[str]) -> str:
    return "、".join(title(p) for p in programs)


class ActionGiveVerdicts(Action):
    """The answer first, then what applies with its source, then the {"results": [...]} payload."""

    def name(self) -> Text:
        return "action_give_verdicts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        from bot.conversation.render import render_answer, said_back, summary

        from .questions import _text, answer_parts, pending_question  # (it imports this module)

        profile, events = checked_profile(tracker, dispatcher)
        named = scope(tracker)
        report = evaluate(profile, named, adult=subject_is_adult(tracker)).results
        results = [r.to_json() for r in report]
        not_asked = [] if named else [p for p in programme_ids() if p not in asking_scope(tracker, profile)]
        before = {r.get("program"): r for r in tracker.get_slot(LAST_RESULTS_SLOT) or []}
        asked = pending_question(tracker)  # "…低保户，护理补贴要带什么": a question inside the story
        if before and all(same_verdict(r, before.get(r["program"])) for r in results):
            if asked and asked[1] == "ask_summary":  # "…给村书记发个简要": the message to pass on, first
                say_summary(dispatcher, profile, results)
            elif asked and asked[1] == "ask_amount":  # "崇明一级的护理补贴一个月到底几钿": how much, first
                say(dispatcher, amount_text(profile, asked_programs(tracker) or named or programme_ids()))
                for part in answer_parts(tracker, asked[0], asked[1], known_only=True):
                    say(dispatcher, part)  # "…两样能一起拿伐": what else it asks that the clauses answer
                say(dispatcher, SAME_VERDICTS)
            elif asked:  # nothing new decided: the answer to the question, said first
                for part in answer_parts(tracker, asked[0], asked[1]):
                    say(dispatcher, part)
                say(dispatcher, SAME_VERDICTS)
            elif CHALLENGE.search(_text(tracker)):  # "窗口讲三级没的，真的假的": why, with the sources
                explain(dispatcher, [r for r in results if r["program"] in named] if named else results)
                say(dispatcher, SAME_VERDICTS)
            else:
                say(dispatcher, summary(results, not_asked) + SAME_AS_BEFORE)
            answer, asked = [], None  # answered above, once
        else:
            # a new verdict first, then the question asked with the story, where the knowledge base answers it
            answer = answer_parts(tracker, asked[0], asked[1], known_only=True) if asked and asked[2] else []
            # what the answer rests on, said first, so that a misheard value is caught and corrected
            resting = ["region", *(f for r in report for f in r.rests_on)]
            line, values = said_back(profile, resting)
            if line:
                dispatcher.utter_message(text=line, json_message={SAID_BACK: values})
            first, *rest = render_answer(results, profile, unsure_facts(tracker), not_asked)
            # the answer first, marked so that a front end that joins messages keeps it by itself
            dispatcher.utter_message(text=first, json_message={ANSWER_FIRST: True})
            for message in rest:
                dispatcher.utter_message(text=message)
        dispatcher.utter_message(json_message={"results": results})
        for part in answer:  # a new verdict first, then the question asked with the story
            say(dispatcher, part)
        if asked and asked[1] == "ask_summary" and not answer:  # then the message to pass on
            say_summary(dispatcher, profile, results)
        if named and len(named) < len(programme_ids()):
            say(dispatcher, f"想知道其他补贴能不能领，可以说：{ASK_ALL}。",
                buttons=[{"title": ASK_ALL, "payload": ASK_ALL}])
        return events + [SlotSet(LAST_RESULTS_SLOT, [{**r, NOT_ASKED: r["program"] in not_asked}
                                                     for r in results])]


def explain(dispatcher: CollectingDispatcher, results: list[dict]) -> None:
    """Each verdict's headline and reasons, then its sources in their own words."""
    from bot.conversation.render import headline, source_line

    for result in results:
        say(dispatcher, "\n".join([headline(result), *result.get("reasons", [])]))
        if result.get("sources"):
            say(dispatcher, "\n".join(source_line(s) for s in result["sources"]))


class ActionExplain(Action):
    """为什么 / 详细: the reasons and sources of the last verdicts, quoting the source words: of the
    programme named, else of those the answer only named in passing (not met, not asked), else all.

    While a question is open, it says why that question is asked."""

    def name(self) -> Text:
        return "action_explain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        asking = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
        if asking in FACTS:
            return self.why_ask(asking, dispatcher, tracker)
        results = tracker.get_slot(LAST_RESULTS_SLOT) or []
        named = asked_programs(tracker)
        passed_over = [r for r in results if r.get("verdict") == "ineligible" or r.get(NOT_ASKED)]
        if named:
            results = [r for r in results if r.get("program") in named] or results
        elif passed_over:
            results = passed_over
        if not results:
            say(dispatcher, "我还没有给出过结论，所以还没有可以解释的理由。请先说说您的情况，或者问：我能领什么补贴。")
            return []
        explain(dispatcher, results)
        return []

    @staticmethod
    def why_ask(fact: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        profile, events = checked_profile(tracker, dispatcher)
        needing = [r.program for r in evaluate(profile, asking_scope(tracker, profile)).results if fact in r.missing]
        text = f"问{FACTS[fact].label}，是因为"
        text += f"{_names(needing)}要看这一项才能判断。" if needing else "判断时要用到这一项。"
        say(dispatcher, text + "答完需要的问题，我会给出结论和依据。不知道可以说：不知道。")
        return events


class ActionReview(Action):
    """我说了什么: each fact held, in plain words, and how to change one."""

    def name(self) -> Text:
        return "action_review"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        from rules.explain import describe

        profile, events = checked_profile(tracker, dispatcher)
        programs = scope(tracker)
        if not profile:
            text = "您还没有告诉我任何情况。可以直接说，比如：我爸肢体一级，在太原。"
        else:
            text = "您告诉我的情况是：" + "，".join(describe(f, v) for f, v in profile.items()) + "。"
            text += f"您问的是{_names(programs)}。" if programs else ""
            text += unsure_sentence(unsure_facts(tracker))
            text += "要改哪一项，直接说，比如：不对，是三级。要全部清除，请说：重新开始。"
        say(dispatcher, text)
        return events


class ActionAnswerAmount(Action):
    """多少钱: the monthly amount of each programme asked about (or all) for the person's place, grade
    and today's date, as recorded with the date it took effect and its page (rules.engine.amount_for),
    whether or not they qualify; where nothing is recorded, or a fact it turns on is unknown, says so."""

    def name(self) -> Text:
        return "action_answer_amount"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        profile, events = checked_profile(tracker, dispatcher)
        say(dispatcher, amount_text(profile, asked_programs(tracker) or scope(tracker) or programme_ids()))
        return events
