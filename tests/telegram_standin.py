"""Local stand-ins for the Telegram Bot API and the conversation server, for tests.

Both are real HTTP servers (aiohttp on 127.0.0.1, a free port), so the front end is tested
through python-telegram-bot's real network stack: updates go in through getUpdates (or a
webhook), and every sendMessage call comes out here, recorded.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from typing import Callable

from aiohttp import web

from bot.plumbing.serve import free_port  # noqa: F401  (the tests take a port from here)

BOT_USER = {"id": 900000001, "is_bot": True, "first_name": "助残问答", "username": "zhucan_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
JSON_PARAMS = ("reply_markup", "allowed_updates", "commands", "scope", "entities")




async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def close_door(runner: web.AppRunner) -> None:
    """Stop listening for new connections, as a server does first when it stops; the connections it
    has accepted stay open."""
    for site in runner.sites:
        site._server.close()


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.005)


class BotApiStandIn:
    """Answers the Bot API methods python-telegram-bot calls, in the Bot API's shapes."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []  # every call: (method, parameters)
        self.sent: list[dict] = []  # sendMessage parameters, in the order received
        self.updates: list[dict] = []  # not yet confirmed by an offset
        self.offset_seen = 0  # the highest offset a getUpdates call has confirmed
        self.last_update_id = 0
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self.webhook: dict | None = None

    async def start(self) -> "BotApiStandIn":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, self.port = await _serve(app)
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        return self

    async def stop(self) -> None:
        self._arrived.set()
        await self._runner.cleanup()

    # --- the test's side -------------------------------------------------------------------

    def push(self, kind: str, chat_id: int, user_id: int | None = None, **content) -> int:
        """Queue an update: kind is "message" or "edited_message"; content is the message's."""
        update_id = self.last_update_id = next(self._ids)
        user_id = user_id or chat_id
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "用户"},
                   "from": {"id": user_id, "is_bot": False, "first_name": "用户"}, **content}
        if kind == "edited_message":
            message["edit_date"] = int(time.time())
        self.updates.append({"update_id": update_id, kind: message})
        self._arrived.set()
        return update_id

    def push_text(self, chat_id: int, text: str, user_id: int | None = None) -> int:
        content = {"text": text}
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)  # as Telegram marks them
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return self.push("message", chat_id, user_id, **content)

    def to(self, chat_id: int) -> list[dict]:
        return [m for m in self.sent if m["chat_id"] == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.to(chat_id)]

    async def wait_for(self, chat_id: int, count: int, timeout: float = 5.0) -> list[str]:
        await wait_until(lambda: len(self.to(chat_id)) >= count, timeout,
                         f"{count} messages to chat {chat_id}, got {self.texts(chat_id)}")
        return self.texts(chat_id)

    async def all_fetched(self, timeout: float = 5.0) -> None:
        """Until the bot has confirmed every queued update (it has put them in its queue)."""
        last = self.last_update_id
        await wait_until(lambda: self.offset_seen > last, timeout, "getUpdates to confirm")

    # --- the Bot API's side ----------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in JSON_PARAMS:
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        if "chat_id" in params:
            params["chat_id"] = int(params["chat_id"])
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        handler = getattr(self, "_" + method, None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": f"Not Found: method {method}"}, status=404)
        return web.json_response({"ok": True, "result": await handler(params)})

    async def _getMe(self, params):
        return BOT_USER

    async def _getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        self.offset_seen = max(self.offset_seen, offset)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._arrived.clear()
            wait = min(float(params.get("timeout") or 0), 1.0)
            if wait:
                try:
                    await asyncio.wait_for(self._arrived.wait(), wait)
                except asyncio.TimeoutError:
                    pass
        return self.updates[:int(params.get("limit") or 100)]

    async def _sendMessage(self, params):
        self.sent.append(params)
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"}, "from": BOT_USER,
                "text": params["text"]}

    async def _sendChatAction(self, params):
        return True

    async def _setMyCommands(self, params):
        return True

    async def _deleteWebhook(self, params):
        self.webhook = None
        return True

    async def _setWebhook(self, params):
        self.webhook = params
        return True

    async def _getWebhookInfo(self, params):
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}

    async def _close(self, params):
        return True

    async def _logOut(self, params):
        return True


def echo(sender: str, message: str) -> list[dict]:
    return [{"recipient_id": sender, "text": f"收到：{message}"}]


class ConversationStandIn:
    """Rasa's REST channel and the zhucan forget channel, scripted.

    `mode` is "ok", "slow" (answers after `slow_seconds`), "error" (500), "hang" (takes the
    message and never answers, while GET / still says it is up) or "stopping" (takes the message,
    stops listening, as a server that is being stopped does, and never answers); for "down", point
    the front end at `free_port()` instead. `store` is a dict-backed tracker store: every
    message is kept under its sender until forgotten.
    """

    def __init__(self, script: Callable[[str, str], list[dict]] = echo):
        self.script = script
        self.mode = "ok"
        self.slow_seconds = 2.0
        self.delay: Callable[[str, str], float] = lambda sender, message: 0.0
        self.requests: list[dict] = []  # every JSON body received, on any route
        self.raw: list[bytes] = []  # and its bytes, to search for what must not be there
        self.store: dict[str, list[str]] = {}
        self.forgotten: list[str] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight = 0
        self.max_in_flight_per_sender = 0
        self._release = asyncio.Event()

    async def start(self) -> "ConversationStandIn":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_post("/webhooks/zhucan/forget", self._forget)
        app.router.add_get("/", self._hello)
        self._runner, self.port = await _serve(app)
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def stop(self) -> None:
        self._release.set()
        await self._runner.cleanup()

    async def _hello(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa")

    def messages(self) -> list[str]:
        return [r["message"] for r in self.requests if "message" in r]

    async def _body(self, request: web.Request) -> dict:
        raw = await request.read()
        self.raw.append(raw)
        body = json.loads(raw)
        self.requests.append(body)
        return body

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        sender, message = body["sender"], body["message"]
        self.in_flight[sender] = self.in_flight.get(sender, 0) + 1
        self.max_in_flight = max(self.max_in_flight, sum(self.in_flight.values()))
        self.max_in_flight_per_sender = max(self.max_in_flight_per_sender, self.in_flight[sender])
        try:
            if self.mode == "stopping":
                close_door(self._runner)
            if self.mode in ("hang", "stopping"):
                await self._release.wait()
                return web.json_response({"error": "stopped"}, status=503)
            if self.mode == "slow":
                try:
                    await asyncio.wait_for(self._release.wait(), self.slow_seconds)
                except asyncio.TimeoutError:
                    pass
            else:
                await asyncio.sleep(self.delay(sender, message))
            if self.mode == "error":
                return web.json_response({"error": "boom"}, status=500)
            self.store.setdefault(sender, []).append(message)
            return web.json_response(self.script(sender, message))
        finally:
            self.in_flight[sender] -= 1

    async def _forget(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if self.mode != "ok":
            return web.json_response({"forgotten": False}, status=500)
        self.forgotten.append(body["sender"])
        self.store.pop(body["sender"], None)
        return web.json_response({"forgotten": True})
