"""Talking to the bot in-process, as the conversation tests and the blind conversation set do: the trained
model loaded with Rasa's Agent on the project's tracker store, and the real action server. Every bot
message is checked on the way: plain text a screen reader reads well, at most 500 characters."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from bot.conversation.text import plain

LIMIT = 500
FIGURES: dict = {"longest": (0, "")}


def readable(text: str) -> None:
    assert 0 < len(text) <= LIMIT, (len(text), text[:80])
    assert plain(text) == text, text
    assert not any(unicodedata.category(c) in ("So", "Sk", "Cc", "Co") and c != "\n" for c in text), text


class Replies(list):
    """The bot's answer to one message: Rasa's output messages, in order."""

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self if m.get("text")]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def asks(self) -> list[str]:
        return [m["custom"]["ask"] for m in self if "ask" in (m.get("custom") or {})]

    @property
    def confirming(self):
        """The value a confirmation asks about ("您说的是…吗？"), or None for a plain question."""
        found = [m["custom"]["confirm"] for m in self if "confirm" in (m.get("custom") or {})]
        return found[-1] if found else None

    @property
    def said_back(self) -> dict | None:
        """The facts a verdict rests on, as the bot said them back before it."""
        found = [m["custom"]["said_back"] for m in self if "said_back" in (m.get("custom") or {})]
        return found[-1] if found else None

    @property
    def results(self) -> list[dict] | None:
        found = [m["custom"]["results"] for m in self if "results" in (m.get("custom") or {})]
        return found[-1] if found else None

    def verdict(self, program: str) -> str:
        return next(r["verdict"] for r in self.results or [] if r["program"] == program)


class Bot:
    def __init__(self, agent, loop):
        self.agent, self.loop = agent, loop

    def say(self, text: str, sender: str) -> Replies:
        replies = Replies(self.loop.run_until_complete(self.agent.handle_text(text, sender_id=sender)) or [])
        for message in replies:
            assert set(message) <= {"recipient_id", "text", "buttons", "custom", "image", "attachment"}, message
            if message.get("text"):
                readable(message["text"])
                if len(message["text"]) > FIGURES["longest"][0]:
                    FIGURES["longest"] = (len(message["text"]), message["text"][:40])
            for button in message.get("buttons") or []:
                assert button["title"] == button["payload"]
        return replies

    def answer(self, sender: str, first: str, answers: dict[str, str], limit: int = 12) -> Replies:
        """Say `first`, then answer each question from `answers` until the verdicts come.

        A question about a fact not in `answers`, or about one asked before, fails the test."""
        replies = self.say(first, sender)
        asked: list[str] = []
        while replies.results is None:
            assert replies.asks, f"neither a question nor a verdict: {replies.texts}"
            fact = replies.asks[-1]
            assert fact not in asked, f"{fact} asked twice"
            assert fact in answers, f"unexpected question about {fact}: {replies.texts}"
            asked.append(fact)
            replies = self.say(answers[fact], sender)
            assert len(asked) <= limit
        replies.asked = asked
        return replies


def load_agent(model: Path, action_url: str, db: Path, loop):
    from rasa.core.agent import load_agent as load
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    from bot.plumbing.rasa_runtime import install

    install()  # Rasa as zhucan serve and zhucan chat run it

    endpoints = AvailableEndpoints(
        action=EndpointConfig(action_url),
        tracker_store=EndpointConfig(type="bot.plumbing.tracker_store.PrivateSQLTrackerStore",
                                     dialect="sqlite", db=str(db)))
    return loop.run_until_complete(load(str(model), endpoints=endpoints))
