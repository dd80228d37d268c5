"""Rasa's REST channel (CONTRACT.md section 4), where a message sent again is answered only once.

    POST /webhooks/rest/webhook {"sender": "...", "message": "...", "message_id": "..."}

The request and the reply are Rasa's own; "message_id" is optional (1 to 128 letters, digits and
. _ : -, unique within the conversation: a Telegram update id, a WeChat MsgId). A front end that
gets no answer (a timeout, a server that died behind the load balancer) cannot know whether its
message was handled, and sending it again could apply it twice: the same answer taken twice, a
question skipped. With a message_id, the server that gets it checks the conversation under its lock
first: a message already handled is not handled again, and the answer it got then is sent again,
read from the tracker store. Without a message_id everything is as in Rasa.

Three more differences from Rasa's channel, for privacy and honesty: a failure is answered 500
with {"error": ...} instead of an empty list of replies (the front end can then apologise instead
of staying silent); a message during which a custom action failed is answered 503 with {"error":
...}, because Rasa itself goes on without that action's events and would send what little was said
before it, often nothing (an action server that stops before the Rasa server does: the person was
told "not understood"); and failures are logged without the words the person typed.

Registered in credentials.yml in place of Rasa's `rest:` (same name, same path):

    bot.channels.rest.RestInput:
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.forget import _real_stores

logger = logging.getLogger(__name__)
MESSAGE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# The custom actions that failed while the message of this request was handled (None: not watched).
FAILED_ACTIONS: contextvars.ContextVar[list | None] = contextvars.ContextVar("zhucan_failed_actions",
                                                                            default=None)


def watch_actions() -> None:
    """Make a failed custom action visible to the channel that is handling the message.

    Rasa's processor catches whatever a custom action raises (the action server refused the
    connection, answered 500, sent something invalid), logs it and carries on without the action's
    events. The request then gets whatever was said before the failure, typically nothing. Each
    RemoteAction.run is wrapped here to note its failure in FAILED_ACTIONS, which the request handler
    set for its own message (Rasa runs the actions of a message in the request's own task). A
    rejection (ActionExecutionRejection: a form that does not take the answer) is the dialogue going
    as planned, not a failure. Calling it again does nothing."""
    from rasa.core.actions import action

    run = action.RemoteAction.run
    if getattr(run, "zhucan_watched", False):
        return

    async def watched(self, *args, **kwargs):
        try:
            return await run(self, *args, **kwargs)
        except action.ActionExecutionRejection:
            raise
        except Exception:
            failed = FAILED_ACTIONS.get()
            if failed is not None:
                failed.append(self.name())
            raise

    watched.zhucan_watched = True
    action.RemoteAction.run = watched


def message_id_of(body: Any) -> str | None:
    """The request's message_id as text; None when it has none; ValueError when it is not one."""
    value = body.get("message_id") if isinstance(body, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not MESSAGE_ID.fullmatch(str(value)):
        raise ValueError("message_id must be 1 to 128 letters, digits or . _ : -")
    return str(value)


def where(exc: BaseException) -> str:
    """An exception's type and the line that raised it, without its message (which may quote what
    the person typed)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    last = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return type(exc).__name__ + last


async def replies_to(tracker_store: Any, sender: str, message_id: str) -> list[dict] | None:
    """The answer already given to message `message_id` of `sender`; None if it was never handled."""
    store = next(_real_stores(tracker_store), None)
    if callable(getattr(store, "replies_to", None)):  # bot.plumbing.tracker_store: two indexed queries
        return store.replies_to(sender, message_id)
    from rasa.shared.core.events import BotUttered, UserUttered

    tracker = await tracker_store.retrieve(sender)
    replies, found = [], False
    for event in tracker.events if tracker else []:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            replies.append(event.message())
    return replies if found else None


async def handle_once(agent: Any, message: UserMessage) -> None:
    """Agent.handle_message, except that a message whose message_id the conversation already holds
    gets the answer it got then instead of being handled again (both under the conversation's lock)."""
    if not agent.is_ready():
        logger.info("Ignoring message as there is no agent to handle it.")
        return
    async with agent.lock_store.lock(message.sender_id):
        replies = await replies_to(agent.tracker_store, message.sender_id, message.message_id)
        if replies is None:
            await agent.processor.handle_message(message)
            return
        logger.info("message %s of %s was handled before: its answer is sent again",
                    message.message_id, message.sender_id)
        for reply in replies:
            await message.output_channel.send_response(message.sender_id, reply)


class RestInput(RasaRestInput):
    """Rasa's REST channel with an optional message_id (see the module's docstring)."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        watch_actions()
        webhook = Blueprint("custom_webhook_RestInput", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            try:
                message_id = message_id_of(request.json)
            except ValueError as exc:
                return response.json({"error": str(exc)}, status=400)
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            if bool_arg(request, "stream", default=False):  # Rasa's own streaming, as it was
                return response.stream(self.stream_response(on_new_message, text, sender, channel, metadata),
                                       content_type="text/event-stream")
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=channel, metadata=metadata,
                                  message_id=message_id)
            failed: list[str] = []
            watching = FAILED_ACTIONS.set(failed)
            try:
                if message_id is None:
                    await on_new_message(message)
                else:
                    await handle_once(request.app.ctx.agent, message)
            except asyncio.CancelledError:
                logger.error("a message of %s was not answered in time", sender)
                return response.json({"error": "timed out"}, status=503)
            except Exception as exc:
                logger.error("a message of %s could not be handled: %s", sender, where(exc))
                return response.json({"error": "the message could not be handled"}, status=500)
            finally:
                FAILED_ACTIONS.reset(watching)
            if failed:
                logger.error("a message of %s was not answered in full: the action %s failed", sender, failed[0])
                return response.json({"error": "the answer could not be completed"}, status=503)
            return response.json(collector.messages)

        return webhook
