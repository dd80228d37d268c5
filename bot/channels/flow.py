"""Flow control for the Telegram front end: each chat in order, many chats at once.

A person who sends three messages quickly must get the answers in the order asked, or the
dialogue makes no sense; but one person waiting for a slow answer must not hold up everyone
else. `ChatOrder` gives both inside python-telegram-bot's update processing. (The rate limit
that stops one sender from taking the conversation server for themselves is
bot.channels.common.RateLimiter, shared with the WeChat channel.)
"""
from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
from typing import Any, Awaitable, Hashable

from telegram import Update
from telegram.ext import BaseUpdateProcessor


# When the update being handled arrived (time.monotonic()), before it waited for its chat's earlier
# updates: a handler that must answer within so many seconds of the person's message counts from here.
ARRIVED: contextvars.ContextVar[float] = contextvars.ContextVar("zhucan_update_arrived")


def waited() -> float:
    """Seconds since the update being handled arrived (0 outside ChatOrder)."""
    arrived = ARRIVED.get(None)
    return 0.0 if arrived is None else max(0.0, time.monotonic() - arrived)


def chat_key(update: object) -> Hashable | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class ChatOrder(BaseUpdateProcessor):
    """Runs updates of different chats concurrently and the updates of one chat one at a time,
    in the order they arrived.

    python-telegram-bot starts one task per update, in arrival order, and each task reaches
    `do_process_update` without pausing. Here it joins the end of its chat's queue (an Event
    per update, awaited by the next one) before its first pause, so arrival order is kept.
    The number of updates *running* is limited by `max_running`; PTB's own limit, which also
    counts updates waiting for their turn, is set much higher so that one busy chat cannot
    use up the slots of the others.
    """

    def __init__(self, max_running: int = 64, max_waiting: int = 10_000):
        super().__init__(max_waiting)
        self._running = asyncio.Semaphore(max_running)
        self._tails: dict[Hashable, asyncio.Event] = {}
        self.max_running = max_running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        ARRIVED.set(time.monotonic())  # this task's own context: the handler awaited below sees it
        key = chat_key(update)
        previous = self._tails.get(key) if key is not None else None
        done = asyncio.Event()
        if key is not None:
            self._tails[key] = done
        started = False
        try:
            if previous is not None:
                await previous.wait()
            async with self._running:
                started = True
                await coroutine
        finally:
            done.set()
            if key is not None and self._tails.get(key) is done:
                del self._tails[key]
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: never awaited, so close it

    async def initialize(self) -> None:
        """Nothing to set up: queues are created per chat as updates arrive."""

    async def shutdown(self) -> None:
        self._tails.clear()
