"""Deleting a conversation on request: the server side of the front ends' /forget.

Rasa keeps every event of a conversation in its tracker store and has no endpoint that removes
them, so a person who says "forget me" would otherwise stay on disk. This custom input channel
adds one. Register it in credentials.yml:

    bot.channels.forget.ForgetInput:

which serves POST /webhooks/zhucan/forget {"sender": id} -> {"forgotten": true}
and GET /webhooks/zhucan/health.

The server must only listen on 127.0.0.1 (CONTRACT.md section 4): like Rasa's own REST channel,
this trusts whoever can reach it.
"""
from __future__ import annotations

import inspect
import logging
from typing import Any, Awaitable, Callable, Iterator

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


class NotSupported(Exception):
    """A tracker store this module does not know how to delete from."""


def _real_stores(store: TrackerStore) -> Iterator[TrackerStore]:
    """The stores that hold data, behind Rasa's wrappers (FailSafe also keeps a fallback)."""
    if isinstance(store, FailSafeTrackerStore):
        yield from _real_stores(store._tracker_store)
        if store._fallback_tracker_store is not None:
            yield from _real_stores(store._fallback_tracker_store)
    elif isinstance(store, AwaitableTrackerStore):
        yield from _real_stores(store._tracker_store)
    else:
        yield store


async def _delete_from(store: TrackerStore, sender: str) -> None:
    if isinstance(store, SQLTrackerStore):
        with store.session_scope() as session:
            session.query(store.SQLEvent).filter(
                store.SQLEvent.sender_id == sender).delete(synchronize_session=False)
            session.commit()
        if callable(getattr(store, "wipe_deleted", None)):
            store.wipe_deleted()  # SQLite: no copy left in the write-ahead log
    elif isinstance(store, InMemoryTrackerStore):
        store.store.pop(sender, None)
    elif isinstance(store, RedisTrackerStore):
        store.red.delete(store.key_prefix + sender)
    elif callable(getattr(store, "delete", None)):
        result = store.delete(sender)
        if inspect.isawaitable(result):
            await result
    else:
        raise NotSupported(type(store).__name__)


async def forget_sender(agent: Any, sender: str) -> None:
    """Delete every event of `sender` from the agent's tracker store, then its lock.

    The conversation's lock is held while deleting, so a message being answered at the same
    moment cannot write the conversation back afterwards.
    """
    stores = list(_real_stores(agent.tracker_store))
    unsupported = [type(s).__name__ for s in stores if not isinstance(
        s, (SQLTrackerStore, InMemoryTrackerStore, RedisTrackerStore))
        and not callable(getattr(s, "delete", None))]
    if unsupported:
        raise NotSupported(", ".join(unsupported))
    lock_store = getattr(agent, "lock_store", None)
    if lock_store is None:
        for store in stores:
            await _delete_from(store, sender)
    else:  # leaving the lock deletes it too, unless a message of this sender is waiting for it
        async with lock_store.lock(sender):
            for store in stores:
                await _delete_from(store, sender)
    if await agent.tracker_store.retrieve(sender) is not None:
        raise RuntimeError("the tracker is still there after deleting it")


async def handle_forget(request: Request) -> HTTPResponse:
    try:
        body = request.json
    except Exception:  # sanic raises on malformed JSON
        body = None
    sender = body.get("sender") if isinstance(body, dict) else None
    if not isinstance(sender, str) or not sender or len(sender) > 255:
        return response.json({"forgotten": False, "error": "sender is required"}, status=400)
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return response.json({"forgotten": False, "error": "no agent loaded"}, status=503)
    try:
        await forget_sender(agent, sender)
    except NotSupported as exc:
        logger.error("cannot forget a conversation in tracker store %s", exc)
        return response.json({"forgotten": False,
                              "error": f"deleting is not supported for {exc}"}, status=501)
    except LockError:
        return response.json({"forgotten": False, "error": "conversation busy"}, status=503)
    logger.info("forgot conversation %s", sender)
    return response.json({"forgotten": True})


async def handle_health(request: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


class ForgetInput(InputChannel):
    """Adds /webhooks/zhucan/forget and /webhooks/zhucan/health to the Rasa server."""

    @classmethod
    def name(cls) -> str:
        return "zhucan"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("zhucan_forget", __name__)
        blueprint.add_route(handle_health, "/health", methods=["GET"])
        blueprint.add_route(handle_forget, "/forget", methods=["POST"])
        return blueprint
