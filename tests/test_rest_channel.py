"""bot.channels.rest: a message sent again with the same message_id is answered, but handled once.

The channel's webhook is called as Sanic calls it, in front of a stand-in agent whose processor counts
the messages it handles and keeps the conversation in a real tracker store. (The channel on a running
server: tests/test_conversation.py and tests/scale.)
"""
import asyncio
import json
import logging
from types import SimpleNamespace

import pytest

pytest.importorskip("rasa")

from rasa.core.lock_store import InMemoryLockStore  # noqa: E402
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.channels.rest import RestInput, message_id_of  # noqa: E402
from bot.plumbing.tracker_store import PrivateSQLTrackerStore  # noqa: E402

SECRET_WORDS = "我爸瘫在床上"


class Processor:
    """Handles a message as Rasa would store it: the user's event, one answer, action_listen."""

    def __init__(self, store):
        self.store, self.handled = store, []

    async def handle_message(self, message):
        if message.text == "boom":
            raise ValueError(f"could not read {SECRET_WORDS}")
        self.handled.append(message.message_id)
        tracker = await self.store.retrieve(message.sender_id) or DialogueStateTracker.from_events(
            message.sender_id, [])
        answer = {"text": f"第{len(self.handled)}个回答", "buttons": [{"title": "是", "payload": "是"}]}
        tracker.update(UserUttered(message.text, {"name": "inform"}, message_id=message.message_id))
        tracker.update(BotUttered(answer["text"], {"buttons": answer["buttons"]}))
        tracker.update(BotUttered(None, {"custom": {"ask": "age"}}))
        tracker.update(ActionExecuted("action_listen"))
        await message.output_channel.send_response(message.sender_id, answer)
        await message.output_channel.send_response(message.sender_id, {"custom": {"ask": "age"}})
        await self.store.save(tracker)


def agent_on(store):
    processor = Processor(store)
    lock_store = InMemoryLockStore()

    async def handle_message(message):  # Agent.handle_message
        async with lock_store.lock(message.sender_id):
            await processor.handle_message(message)

    return SimpleNamespace(is_ready=lambda: True, processor=processor, lock_store=lock_store,
                           tracker_store=FailSafeTrackerStore(store), handle_message=handle_message)


class Client:
    """Calls the channel's POST /webhook handler as Sanic would, with the JSON body given."""

    def __init__(self, agent):
        routes = {route.uri: route.handler for route in RestInput().blueprint(agent.handle_message)._future_routes}
        self.receive, self.app = routes["/webhook"], SimpleNamespace(ctx=SimpleNamespace(agent=agent))

    async def post(self, body) -> tuple[int, object]:
        request = SimpleNamespace(json=body, args={}, app=self.app)
        answer = await self.receive(request)
        return answer.status, json.loads(answer.body)

    async def send(self, sender, text, message_id=None):
        body = {"sender": sender, "message": text}
        if message_id is not None:
            body["message_id"] = message_id
        status, replies = await self.post(body)
        assert status == 200, (status, replies)
        return replies


def serving(agent, scenario):
    return asyncio.run(scenario(Client(agent)))


@pytest.fixture(params=["sql", "memory"])
def store(request, tmp_path):
    if request.param == "sql":  # ours: two indexed queries
        return PrivateSQLTrackerStore(Domain.empty(), db=str(tmp_path / "t.db"))
    return InMemoryTrackerStore(Domain.empty())  # any other store: read from its tracker


def test_a_message_sent_again_is_answered_the_same_and_handled_once(store):
    agent = agent_on(store)

    async def scenario(client):
        first = await client.send("tg-1", "能领护理补贴吗", message_id=101)
        again = await client.send("tg-1", "能领护理补贴吗", message_id=101)
        other = await client.send("tg-1", "是", message_id="101.b")
        return first, again, other

    first, again, other = serving(agent, scenario)
    assert first == [{"recipient_id": "tg-1", "text": "第1个回答", "buttons": [{"title": "是", "payload": "是"}]},
                     {"recipient_id": "tg-1", "custom": {"ask": "age"}}]
    assert again == first
    assert other[0]["text"] == "第2个回答"
    assert agent.processor.handled == ["101", "101.b"]


def test_without_a_message_id_every_message_is_handled_as_in_rasa(store):
    agent = agent_on(store)

    async def scenario(client):
        return [await client.send("tg-2", "是") for _ in range(2)]

    first, second = serving(agent, scenario)
    assert first[0]["text"] == "第1个回答" and second[0]["text"] == "第2个回答"
    assert len(agent.processor.handled) == 2


def test_a_bad_message_id_is_refused_and_a_failure_is_an_error_that_does_not_quote_the_user(caplog):
    agent = agent_on(InMemoryTrackerStore(Domain.empty()))

    async def scenario(client):
        assert (await client.post({"sender": "tg-3", "message": "是", "message_id": "two words"}))[0] == 400
        status, answer = await client.post({"sender": "tg-3", "message": "boom", "message_id": "m1"})
        assert status == 500 and answer == {"error": "the message could not be handled"}
        assert (await client.post({"sender": "tg-3", "message": "boom"}))[0] == 500

    with caplog.at_level(logging.DEBUG):
        serving(agent, scenario)
    assert agent.processor.handled == []
    assert "ValueError at " in caplog.text and SECRET_WORDS not in caplog.text


class ActionServerGone(Processor):
    """A message whose custom action cannot reach the action server, handled as Rasa's processor handles
    it: the failure is logged and swallowed, the action's events are lost, and nothing more is said."""

    def __init__(self, store, action_url):
        super().__init__(store)
        self.action_url = action_url

    async def handle_message(self, message):
        from rasa.core.actions.action import RemoteAction
        from rasa.utils.endpoints import EndpointConfig

        if message.text != "是":
            return await super().handle_message(message)
        tracker = await self.store.retrieve(message.sender_id) or DialogueStateTracker.from_events(
            message.sender_id, [])
        action = RemoteAction("action_ask_age", EndpointConfig(self.action_url))
        try:
            await action.run(message.output_channel, None, tracker, Domain.empty())
        except Exception:  # as rasa.core.processor.MessageProcessor._run_action does
            logging.getLogger("rasa.core.processor").exception("Encountered an exception while running action")


def test_an_action_that_fails_makes_the_answer_a_503_not_an_empty_list(caplog):
    """The action server stops before the Rasa server (both get SIGTERM when a service stops): Rasa went
    on without the action and answered 200 with [], which Telegram told the person as 我没有听懂."""
    from bot.plumbing.serve import free_port

    store = InMemoryTrackerStore(Domain.empty())
    agent = agent_on(store)
    agent.processor = ActionServerGone(store, f"http://127.0.0.1:{free_port()}/webhook")

    async def handle_message(message):
        async with agent.lock_store.lock(message.sender_id):
            await agent.processor.handle_message(message)

    agent.handle_message = handle_message

    async def scenario(client):
        status, answer = await client.post({"sender": "tg-4", "message": "是"})
        assert (status, answer) == (503, {"error": "the answer could not be completed"})
        status, answer = await client.post({"sender": "tg-4", "message": "是", "message_id": "m9"})
        assert status == 503
        assert (await client.send("tg-4", "能领护理补贴吗"))[0]["text"] == "第1个回答"  # no action failed: 200

    with caplog.at_level(logging.DEBUG):
        serving(agent, scenario)
    assert "the action action_ask_age failed" in caplog.text


@pytest.mark.parametrize("body,expected", [
    ({"message_id": "wx_2301.7:a-b"}, "wx_2301.7:a-b"), ({"message_id": 7}, "7"), ({}, None), (None, None)])
def test_message_ids_accepted(body, expected):
    assert message_id_of(body) == expected


@pytest.mark.parametrize("value", ["", "a b", "x" * 129, True, 1.5, ["a"], "名字"])
def test_message_ids_refused(value):
    with pytest.raises(ValueError):
        message_id_of({"message_id": value})
