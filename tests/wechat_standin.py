"""A local stand-in for WeChat, for the channel's tests: both of WeChat's sides.

- WeChat's servers calling the Official Account's server: `WeChatStandIn.post` builds the XML a
  user's message arrives as, signs it (and in safe mode encrypts it) the way WeChat documents it,
  POSTs it to the channel, and waits `timeout` seconds (5, as WeChat) for the reply; when none
  comes it drops the connection and sends the same message again, up to `retries` times. A reply
  is checked as WeChat would (signature, encryption, addressee, size) and recorded.
- WeChat's API: `cgi-bin/token` hands out access tokens, `cgi-bin/message/custom/send` takes
  customer-service messages, checks them and records them.

The signing and AES here are written from WeChat's protocol description, not with wechatpy, so
that the channel (which uses wechatpy) is checked against the protocol and not against itself.

`received[openid]` is what each user saw, in order: ("reply", text) for a passive reply,
("custom", text) for a customer-service message.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import os
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ACCOUNT = "gh_0123456789ab"  # the Official Account's own id (ToUserName of what users send)
WECHAT_TIMEOUT = 5.0
MAX_BYTES = 2048


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _aes(key: bytes):
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def seal(aes_key: str, app_id: str, xml: str) -> str:
    """Safe mode: random(16) + length(4, network order) + message + AppID, PKCS#7 to 32-byte
    blocks, AES-256-CBC with the key's first 16 bytes as IV, base64."""
    key = base64.b64decode(aes_key + "=")
    body = xml.encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = _aes(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def unseal(aes_key: str, app_id: str, sealed: str) -> str:
    key = base64.b64decode(aes_key + "=")
    decryptor = _aes(key).decryptor()
    plain = decryptor.update(base64.b64decode(sealed)) + decryptor.finalize()
    plain = plain[:-plain[-1]]
    length = struct.unpack(">I", plain[16:20])[0]
    body, owner = plain[20:20 + length], plain[20 + length:]
    if owner.decode() != app_id:
        raise AssertionError(f"a reply sealed for AppID {owner!r}")
    return body.decode()


def to_xml(fields: dict[str, Any]) -> str:
    """WeChat's message XML: strings in CDATA, numbers bare."""
    nodes = []
    for name, value in fields.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            nodes.append(f"<{name}>{value}</{name}>")
        else:
            nodes.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return "<xml>" + "".join(nodes) + "</xml>"


def from_xml(text: str) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in ET.fromstring(text)}


@dataclass
class Attempt:
    status: int | None  # None: no answer within the timeout (the connection was dropped)
    body: str
    seconds: float


@dataclass
class Delivery:
    """One message as WeChat delivered it: every attempt, and what the user got from it."""
    fields: dict
    attempts: list[Attempt] = field(default_factory=list)
    reply: str | None = None  # the passive reply's text, if there was one

    @property
    def answered(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].status == 200


class WeChatStandIn:
    def __init__(self, token: str, app_id: str, app_secret: str, aes_key: str | None = None,
                 timeout: float = WECHAT_TIMEOUT, retries: int = 3):
        self.token, self.app_id, self.app_secret, self.aes_key = token, app_id, app_secret, aes_key
        self.timeout, self.retries = timeout, retries
        self.url = ""  # the Official Account's server URL, set by the test
        self.received: dict[str, list[tuple[str, str]]] = {}
        self.deliveries: list[Delivery] = []
        self.api_calls: list[tuple[str, dict]] = []  # every API call: (path, parameters or body)
        self.problems: list[str] = []  # anything WeChat would refuse, with why
        self.tokens: set[str] = set()
        self.custom_permission = True  # False: 48001, the account may not send these
        self.last_seen: dict[str, float] = {}  # openid -> time of the user's last message
        self.unsubscribed: set[str] = set()
        self.custom_delay: Callable[[str], float] = lambda openid: 0.0
        self._msg_ids = itertools.count(int(time.time()) * 1000)
        self._changed = asyncio.Event()

    # --- running ----------------------------------------------------------------------------

    async def start(self) -> "WeChatStandIn":
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.api_base_url = f"http://127.0.0.1:{self.port}/"
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        await self._session.close()
        await self._runner.cleanup()

    # --- what users see ---------------------------------------------------------------------

    def _saw(self, openid: str, via: str, text: str) -> None:
        if len(text.encode()) > MAX_BYTES:
            self.problems.append(f"a {via} message of {len(text.encode())} bytes")
        self.received.setdefault(openid, []).append((via, text))
        self._changed.set()

    def texts(self, openid: str) -> list[str]:
        return [text for _, text in self.received.get(openid, [])]

    def vias(self, openid: str) -> list[str]:
        return [via for via, _ in self.received.get(openid, [])]

    async def wait_for(self, openid: str, count: int, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.texts(openid)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {count} messages, got {self.texts(openid)}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.05)
        return self.texts(openid)

    async def quiet(self, openid: str, seconds: float) -> list[str]:
        """Until `openid` has received nothing new for `seconds`; everything received."""
        count, since = len(self.texts(openid)), time.monotonic()
        while time.monotonic() - since < seconds:
            await asyncio.sleep(0.05)
            if len(self.texts(openid)) != count:
                count, since = len(self.texts(openid)), time.monotonic()
        return self.texts(openid)

    async def answer(self, openid: str, kind: str = "text", quiet: float = 1.5,
                     timeout: float = 60.0, **content) -> list[str]:
        """Send a message and return the new messages of the whole answer, however delivered."""
        before = len(self.texts(openid))
        await self.send(openid, kind, **content)
        await self.wait_for(openid, before + 1, timeout)
        return (await self.quiet(openid, quiet))[before:]

    # --- WeChat's servers posting to the Official Account -----------------------------------

    def message(self, openid: str, kind: str = "text", **content) -> dict:
        """The fields of a user's message or event, as WeChat sends them."""
        fields: dict[str, Any] = {"ToUserName": ACCOUNT, "FromUserName": openid,
                                  "CreateTime": int(time.time())}
        if kind == "event":
            fields["MsgType"] = "event"
            fields.update(content)  # Event, EventKey, Latitude…
            return fields
        fields["MsgType"] = kind
        fields.update(content)
        fields["MsgId"] = next(self._msg_ids)
        return fields

    def signed_query(self, encrypt: str | None = None, openid: str = "") -> dict:
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10 ** 9))
        query = {"signature": signature(self.token, timestamp, nonce), "timestamp": timestamp,
                 "nonce": nonce, "openid": openid}
        if encrypt is not None:
            query.update(encrypt_type="aes", msg_signature=signature(self.token, timestamp, nonce, encrypt))
        return query

    async def send(self, openid: str, kind: str = "text", **content) -> Delivery:
        return await self.post(self.message(openid, kind, **content))

    async def post(self, fields: dict, encrypted: bool | None = None) -> Delivery:
        """Deliver one message as WeChat does: retries after `timeout` seconds without a reply."""
        encrypted = bool(self.aes_key) if encrypted is None else encrypted
        openid = fields.get("FromUserName", "")
        if fields.get("Event") == "unsubscribe":
            self.unsubscribed.add(openid)
        elif fields.get("MsgType") != "event" or fields.get("Event") == "subscribe":
            self.last_seen[openid] = time.monotonic()
            self.unsubscribed.discard(openid)
        xml = to_xml(fields)
        delivery = Delivery(fields)
        self.deliveries.append(delivery)
        for _ in range(1 + self.retries):
            if encrypted:
                sealed = seal(self.aes_key, self.app_id, xml)
                body = to_xml({"ToUserName": ACCOUNT, "Encrypt": sealed})
                query = self.signed_query(sealed, openid)
            else:
                body, query = xml, self.signed_query(None, openid)
            attempt = await self._attempt(query, body)
            delivery.attempts.append(attempt)
            if attempt.status == 200:
                delivery.reply = self._read_reply(openid, attempt.body, encrypted)
                return delivery
            if attempt.status is not None and attempt.status < 500:
                return delivery  # refused: WeChat shows "该公众号暂时无法提供服务"
        return delivery

    async def _attempt(self, query: dict, body: str) -> Attempt:
        start = time.monotonic()
        try:
            async with self._session.post(self.url, params=query, data=body.encode(),
                                          headers={"Content-Type": "text/xml"},
                                          timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                text = await resp.text()
                return Attempt(resp.status, text, time.monotonic() - start)
        except asyncio.TimeoutError:
            return Attempt(None, "", time.monotonic() - start)
        except aiohttp.ClientError as exc:
            return Attempt(None, type(exc).__name__, time.monotonic() - start)

    def _read_reply(self, openid: str, body: str, encrypted: bool) -> str | None:
        if body in ("", "success"):
            return None
        try:
            reply = from_xml(body)
            if encrypted:
                expected = signature(self.token, reply["TimeStamp"], reply["Nonce"], reply["Encrypt"])
                if reply.get("MsgSignature") != expected:
                    self.problems.append("an encrypted reply with a wrong MsgSignature")
                    return None
                reply = from_xml(unseal(self.aes_key, self.app_id, reply["Encrypt"]))
        except Exception as exc:  # WeChat would show "该公众号暂时无法提供服务"
            self.problems.append(f"an unreadable reply ({type(exc).__name__}): {body[:200]}")
            return None
        if reply.get("ToUserName") != openid or reply.get("FromUserName") != ACCOUNT:
            self.problems.append("a reply to the wrong user or from the wrong account")
            return None
        if reply.get("MsgType") != "text":
            self.problems.append(f"a reply of type {reply.get('MsgType')}")
            return None
        self._saw(openid, "reply", reply.get("Content", ""))
        return reply.get("Content", "")

    async def handshake(self, echostr: str, good: bool = True) -> tuple[int, str]:
        query = self.signed_query()
        query["echostr"] = echostr
        if not good:
            query["signature"] = "0" * 40
        async with self._session.get(self.url, params=query) as resp:
            return resp.status, await resp.text()

    async def forge(self, fields: dict, what: str = "signature") -> tuple[int, str]:
        """Post a message once with a signature that does not hold (what: signature or
        msg_signature)."""
        xml = to_xml(fields)
        if what == "msg_signature":
            sealed = seal(self.aes_key, self.app_id, xml)
            body = to_xml({"ToUserName": ACCOUNT, "Encrypt": sealed})
            query = self.signed_query(sealed, fields["FromUserName"])
            query["msg_signature"] = "f" * 40
        else:
            body, query = xml, self.signed_query(None, fields["FromUserName"])
            query["signature"] = signature("not-the-token", query["timestamp"], query["nonce"])
        async with self._session.post(self.url, params=query, data=body.encode()) as resp:
            return resp.status, await resp.text()

    # --- WeChat's API -----------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        self.api_calls.append(("cgi-bin/token", params))
        if params.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if params.get("secret") != self.app_secret or params.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = "ACCESS_TOKEN_" + secrets.token_hex(8)
        self.tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _custom_send(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.api_calls.append(("cgi-bin/message/custom/send", body))
        if request.query.get("access_token") not in self.tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if not self.custom_permission:
            return web.json_response({"errcode": 48001, "errmsg": "api unauthorized"})
        openid = body.get("touser", "")
        if openid in self.unsubscribed:
            return web.json_response({"errcode": 43004, "errmsg": "require subscribe"})
        seen = self.last_seen.get(openid)
        if seen is None or time.monotonic() - seen > 48 * 3600:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        if body.get("msgtype") != "text" or not isinstance(body.get("text"), dict):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        content = body["text"].get("content", "")
        if len(content.encode()) > MAX_BYTES:
            self.problems.append(f"a customer-service message of {len(content.encode())} bytes")
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        await asyncio.sleep(self.custom_delay(openid))
        self._saw(openid, "custom", content)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


# --- the Rasa side, scripted ------------------------------------------------------------------------

def echo(sender: str, text: str) -> list[dict]:
    return [{"text": f"收到：{text}"}]


class ScriptedAgent:
    """What the channel needs of Rasa's Agent, scripted: handle_message (one conversation at a
    time, as Rasa's lock store makes it), parse_message, is_ready, and a real tracker store and
    lock store for forgetting.

    `script(sender, text)` gives the replies: dicts as Rasa's output channels get them ("text",
    "buttons", "custom", "utter_action"). `delay(sender, text)` seconds before answering; `mode`
    "ok" or "error" (handle_message raises); `ready` False: no model loaded.
    """

    def __init__(self, script: Callable[[str, str], list[dict]] = echo):
        from rasa.core.lock_store import InMemoryLockStore
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        self.script = script
        self.delay: Callable[[str, str], float] = lambda sender, text: 0.0
        self.mode = "ok"
        self.ready = True
        self.intents: dict[str, tuple[str, float]] = {}  # text -> (intent, confidence)
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.lock_store = InMemoryLockStore()
        self.handled: list[tuple[str, str]] = []  # (sender, text), in the order they started
        self.in_flight: dict[str, int] = {}
        self.max_in_flight = 0
        self.max_in_flight_per_sender = 0

    def is_ready(self) -> bool:
        return self.ready

    async def parse_message(self, text: str) -> dict:
        name, confidence = self.intents.get(text, ("inform", 0.9))
        return {"text": text, "intent": {"name": name, "confidence": confidence}, "entities": []}

    @property
    def processor(self) -> SimpleNamespace:
        # as Rasa's: the agent takes the conversation's lock, its processor does not
        return SimpleNamespace(handle_message=self.process)

    async def handle_message(self, message) -> None:
        if not self.ready:
            return None
        async with self.lock_store.lock(message.sender_id):
            await self.process(message)

    async def process(self, message) -> None:
        from rasa.shared.core.events import BotUttered, UserUttered

        sender, text = message.sender_id, message.text
        self.in_flight[sender] = self.in_flight.get(sender, 0) + 1
        self.max_in_flight = max(self.max_in_flight, sum(self.in_flight.values()))
        self.max_in_flight_per_sender = max(self.max_in_flight_per_sender, self.in_flight[sender])
        try:
            self.handled.append((sender, text))
            await asyncio.sleep(self.delay(sender, text))
            if self.mode == "error":
                raise RuntimeError(f"cannot handle {text}")
            tracker = await self.tracker_store.get_or_create_tracker(sender)
            tracker.update(UserUttered(text, {"name": "inform"}, message_id=message.message_id))
            replies = [dict(reply) for reply in self.script(sender, text)]
            for reply in replies:
                tracker.update(BotUttered(reply.get("text"), {k: v for k, v in reply.items() if k != "text"}))
            await self.tracker_store.save(tracker)
            for reply in replies:
                await message.output_channel.send_response(sender, dict(reply))
        finally:
            self.in_flight[sender] -= 1

    def texts_of(self, sender: str) -> list[str]:
        return [text for s, text in self.handled if s == sender]
