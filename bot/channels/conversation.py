"""The client of the conversation server (CONTRACT.md section 4: Rasa's REST channel).

Front ends relay what a person says and get the bot's replies back. Every way this can fail
(server down, slow, broken) becomes one exception, so a front end has exactly one place to turn
a failure into an apology instead of silence.

How long a person can be kept waiting is bounded three ways:
- the whole exchange, not each step of it, takes at most `timeout` seconds (ZHUCAN_SERVER_TIMEOUT,
  30 by default: an answer under heavy load can take 15 s); httpx's own timeouts count each step
  apart, so a connection that was slow to open, or an answer sent slowly, could take several times
  as long;
- opening a connection takes at most CONNECT_TIMEOUT seconds: a server that cannot even accept one is
  not going to answer;
- after PROBE_EVERY seconds without an answer, and again every PROBE_EVERY seconds, the client asks
  the server whether it is still there (GET /, which answers at once while it takes messages). A
  server that is stopping has closed its door by then, and one that hangs does not answer that
  either: the person is told at once instead of at the end of `timeout`. A server that is only slow
  answers, and the wait goes on.
"""
from __future__ import annotations

import asyncio
import os

import httpx

DEFAULT_URL = "http://127.0.0.1:5005"
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 3.0
PROBE_EVERY = 5.0
PROBE_TIMEOUT = 2.0


class ConversationError(Exception):
    """The conversation server did not give a usable answer."""


class ConversationUnavailable(ConversationError):
    """The server could not be reached, took too long, or failed (5xx): try again later."""


def server_url(environ=os.environ) -> str:
    return (environ.get("ZHUCAN_SERVER_URL") or DEFAULT_URL).rstrip("/")


def seconds(environ, name: str, default: float, below: float | None = None, why: str = "") -> float:
    """A setting given in seconds: more than 0 and, when `below` is given, less than it."""
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0 or (below is not None and value >= below):
        limit = f" and less than {below:g}{why}" if below is not None else ""
        raise ValueError(f"{name}={raw!r} must be more than 0 seconds{limit}")
    return value


def server_timeout(environ=os.environ) -> float:
    return seconds(environ, "ZHUCAN_SERVER_TIMEOUT", DEFAULT_TIMEOUT)


class ConversationClient:
    """Talks to the Rasa server: `send` a message, `forget` a conversation.

    `sender` is whatever opaque id the front end chose; this client never sees who it stands for.
    """

    def __init__(self, base_url: str | None = None, timeout: float | None = None,
                 client: httpx.AsyncClient | None = None, probe_every: float = PROBE_EVERY):
        self.base_url = (base_url or server_url()).rstrip("/")
        self.timeout = timeout if timeout is not None else server_timeout()
        self.probe_every = probe_every
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout, connect=min(CONNECT_TIMEOUT, self.timeout)))
        self._owns_client = client is None

    async def alive(self) -> bool:
        """Whether the server still takes messages: GET / answers 200 within PROBE_TIMEOUT seconds."""
        try:
            response = await self._client.get(self.base_url + "/", timeout=PROBE_TIMEOUT)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _exchange(self, path: str, payload: dict) -> httpx.Response:
        """The server's response, within self.timeout, while the server says it is still there."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        request = asyncio.ensure_future(self._client.post(self.base_url + path, json=payload))
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise ConversationUnavailable(f"no answer within {self.timeout:g} s")
                done, _ = await asyncio.wait({request}, timeout=min(left, self.probe_every))
                if done:
                    return request.result()
                if loop.time() < deadline and not await self.alive() and not request.done():
                    raise ConversationUnavailable("the server stopped answering (it is stopping or hangs)")
        finally:
            if not request.done():
                request.cancel()  # httpx closes the connection it was using
            elif not request.cancelled():
                request.exception()  # retrieved, so that asyncio does not report it as lost

    async def _post(self, path: str, payload: dict):
        try:
            response = await self._exchange(path, payload)
        except httpx.TimeoutException as exc:
            raise ConversationUnavailable(f"timed out after {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:  # connection refused, reset, DNS, protocol errors
            raise ConversationUnavailable(f"cannot reach the server: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ConversationUnavailable(f"server error {response.status_code}")
        if response.status_code >= 400:
            raise ConversationError(f"request refused: {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ConversationError("the answer is not JSON") from exc

    async def send(self, sender: str, text: str, message_id: str | None = None) -> list[dict]:
        """The bot's replies to `text`, in order: dicts with "text", "buttons", "custom".

        `message_id` (the platform's id of the message, unique in the conversation) makes sending
        the same message again safe: it is answered, but handled only once (bot/channels/rest.py)."""
        payload = {"sender": sender, "message": text}
        if message_id is not None:
            payload["message_id"] = str(message_id)
        replies = await self._post("/webhooks/rest/webhook", payload)
        if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
            raise ConversationError("the answer is not a list of messages")
        return replies

    async def forget(self, sender: str) -> bool:
        """Delete everything the server holds about `sender`; True only if it says it did."""
        answer = await self._post("/webhooks/zhucan/forget", {"sender": sender})
        return isinstance(answer, dict) and answer.get("forgotten") is True

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
