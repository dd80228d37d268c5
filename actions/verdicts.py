"""Verdicts, 为什么 and 我说了什么.

Every text goes out through `say`: plain text (bot.text.plain), cut at sentence ends into messages of
at most 500 characters (bot.text.split_message), because people listen to these with screen readers.
"""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.ask import unsure_sentence, who_knows
from bot.render import LIMIT, VERDICT_ORDER
from rules.facts import FACTS

from .profile import (LAST_RESULTS_SLOT, asked_programs, checked_profile, evaluate, programme_ids,
                      scope, title, unsure_facts)

ASK_ALL = "我能领什么补贴"
SAME_AS_BEFORE = "\n这些结论和刚才一样。要再听理由和依据，请说：为什么。"


def say(dispatcher: CollectingDispatcher, text: str, buttons: list[dict] | None = None) -> None:
    """Send `text` as plain messages of at most LIMIT characters; buttons go with the last one."""
    from bot.text import plain, split_message

    parts = split_message(plain(text), LIMIT)
    for i, part in enumerate(parts):
        if buttons and i == len(parts) - 1:
            dispatcher.utter_message(text=part, buttons=buttons)
        else:
            dispatcher.utter_message(text=part)


def same_verdict(result: dict, before: dict | None) -> bool:
    """The same conclusion as last time, for the same reasons (said again in one sentence only)."""
    keys = ("verdict", "reasons", "source_status", "details")
    return before is not None and all(result.get(k) == before.get(k) for k in keys)


def _names(programs: list[str]) -> str:
    return "、".join(title(p) for p in programs)


class ActionGiveVerdicts(Action):
    """One message per programme, conclusion first, then the {"results": [...]} payload."""

    def name(self) -> Text:
        return "action_give_verdicts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        from bot.render import headline, render_result

        profile, events = checked_profile(tracker, dispatcher)
        programs = scope(tracker)
        results = [r.to_json() for r in evaluate(profile, programs).results]
        before = {r.get("program"): r for r in tracker.get_slot(LAST_RESULTS_SLOT) or []}
        unchanged = []
        for result in sorted(results, key=lambda r: VERDICT_ORDER[r["verdict"]]):
            if same_verdict(result, before.get(result["program"])):
                unchanged.append(headline(result))
            else:
                say(dispatcher, render_result(result))
        if unchanged:  # said once already: the conclusions only, in one message
            say(dispatcher, "\n".join(unchanged) + SAME_AS_BEFORE)
        still_unsure = [f for f in unsure_facts(tracker)
                        if any(f in r.get("missing", []) for r in results if r["verdict"] == "need_info")]
        if still_unsure:
            say(dispatcher, who_knows(still_unsure) + "问清楚以后直接告诉我，我再判断。")
        dispatcher.utter_message(json_message={"results": results})
        if programs and len(programs) < len(programme_ids()):
            say(dispatcher, f"想知道其他补贴能不能领，可以说：{ASK_ALL}。",
                buttons=[{"title": ASK_ALL, "payload": ASK_ALL}])
        return events + [SlotSet(LAST_RESULTS_SLOT, results)]


class ActionExplain(Action):
    """为什么: the reasons and sources of the last verdicts, quoting the source words.

    While a question is open, it says why that question is asked."""

    def name(self) -> Text:
        return "action_explain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        from bot.render import headline, source_line

        asking = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
        if asking in FACTS:
            return self.why_ask(asking, dispatcher, tracker)
        results = tracker.get_slot(LAST_RESULTS_SLOT) or []
        named = asked_programs(tracker)
        if named:
            results = [r for r in results if r.get("program") in named] or results
        if not results:
            say(dispatcher, "我还没有给出过结论，所以还没有可以解释的理由。请先说说您的情况，或者问：我能领什么补贴。")
            return []
        for result in results:
            say(dispatcher, "\n".join([headline(result), *result.get("reasons", [])]))
            if result.get("sources"):
                say(dispatcher, "\n".join(source_line(s) for s in result["sources"]))
        return []

    @staticmethod
    def why_ask(fact: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        profile, events = checked_profile(tracker, dispatcher)
        needing = [r.program for r in evaluate(profile, scope(tracker)).results if fact in r.missing]
        text = f"问{FACTS[fact].label}，是因为"
        text += f"{_names(needing)}要看这一项才能判断。" if needing else "判断时要用到这一项。"
        say(dispatcher, text + "答完需要的问题，我会给出结论和依据。")
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
