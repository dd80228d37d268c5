"""bot.channels.forget: /forget really removes a conversation from Rasa's tracker store."""
import asyncio
import socket
import sqlite3
import uuid
from types import SimpleNamespace

import pytest

pytest.importorskip("rasa")

from rasa.core.lock_store import InMemoryLockStore  # noqa: E402
from rasa.core.tracker_store import (  # noqa: E402
    FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore)
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.channels.conversation import ConversationClient  # noqa: E402
from bot.channels.forget import ForgetInput, forget_sender, handle_forget  # noqa: E402

GONE, KEPT = "tg-" + "a" * 32, "tg-" + "b" * 32


def _events(text):
    return [ActionExecuted("action_session_start"), UserUttered(text, {"name": "ask"}),
            SlotSet("region", "140100"), ActionExecuted("action_listen")]


async def _sql_agent(path):
    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path))
    for sender in (GONE, KEPT):
        await store.save(DialogueStateTracker.from_events(sender, _events("我爸在太原，肢体一级")))
    return SimpleNamespace(tracker_store=FailSafeTrackerStore(store), lock_store=InMemoryLockStore())


def _rows(path):
    with sqlite3.connect(path) as db:
        return dict(db.execute("select sender_id, count(*) from events group by sender_id"))


class _Request:
    def __init__(self, body, agent):
        self.json = body
        self.app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))


def test_forget_route_deletes_the_senders_rows_from_sql(tmp_path):
    path = tmp_path / "rasa.db"

    async def scenario():
        agent = await _sql_agent(path)
        assert _rows(path)[GONE] >= 4
        answer = await handle_forget(_Request({"sender": GONE}, agent))
        assert answer.status == 200 and b'"forgotten":true' in answer.body
        assert await agent.tracker_store.retrieve(GONE) is None
        assert agent.lock_store.get_lock(GONE) is None

    asyncio.run(scenario())
    rows = _rows(path)
    assert GONE not in rows and rows[KEPT] >= 4


def test_forget_route_rejects_a_request_without_sender(tmp_path):
    async def scenario():
        agent = await _sql_agent(tmp_path / "rasa.db")
        answer = await handle_forget(_Request({"message": "x"}, agent))
        assert answer.status == 400

    asyncio.run(scenario())


def test_in_memory_store_and_unknown_store():
    async def scenario():
        store = InMemoryTrackerStore(Domain.empty())
        await store.save(DialogueStateTracker.from_events(GONE, _events("你好")))
        await forget_sender(SimpleNamespace(tracker_store=FailSafeTrackerStore(store)), GONE)
        assert GONE not in store.store

        class Opaque:  # neither a known store nor one with delete()
            async def retrieve(self, sender):
                return None
        answer = await handle_forget(_Request({"sender": GONE},
                                              SimpleNamespace(tracker_store=Opaque())))
        assert answer.status == 501

    asyncio.run(scenario())


def test_forget_through_a_running_sanic_server_and_the_client(tmp_path):
    """The channel as Rasa mounts it (credentials.yml), called by the front end's client."""
    from rasa.core.channels.channel import register
    from sanic import Sanic

    path = tmp_path / "rasa.db"

    async def scenario():
        app = Sanic(f"zhucan_forget_{uuid.uuid4().hex[:8]}")
        app.ctx.agent = await _sql_agent(path)
        register([ForgetInput()], app, route="/webhooks/")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        await server.start_serving()
        client = ConversationClient(f"http://127.0.0.1:{port}", timeout=5)
        try:
            assert await client.forget(GONE) is True
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    assert GONE not in _rows(path)
