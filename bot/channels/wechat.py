"""The WeChat Official Account channel (公众号, CONTRACT.md section 6): a Rasa input channel.

Registered in bot/credentials.yml and served by `zhucan serve` at /webhooks/wechat/webhook when
WECHAT_TOKEN is set (settings: bot/channels/wechat_settings.py). The protocol is wechatpy's: the
signature check, XML parsing, safe-mode crypto (encrypt_type=aes), reply building and, through
bot/channels/wechat_api.py, customer-service messages. What this module adds is what WeChat's
way of calling makes necessary:

- Every request is checked: the GET handshake echoes `echostr` only when the signature holds, and a
  POST whose signature does not hold gets 403 and nothing else happens.
- The five-second rule. WeChat waits 5 s for a reply, then drops the connection and sends the same
  message again, up to three times. Each message (MsgId; FromUserName + CreateTime for events) is
  processed once, in a task of its own that a dropped connection does not cancel. A request waits
  for that task up to WECHAT_REPLY_WITHIN seconds (4): if the answer is ready it is the passive
  reply; if not, the reply is `success` and the answer goes out as customer-service messages when
  it is ready. A retry joins the same task, and only the request WeChat is still listening to (the
  latest) can carry the answer, so a person gets each answer once and nothing is processed twice.
  The conversation keeps "wx" + MsgId with the message, so with several servers (docs/deploy.md) a
  retry that reaches another server is answered from what the conversation already holds
  (bot.channels.rest.handle_once), never handled a second time; which request is the latest is
  known to each server only, so across servers a slow answer may arrive twice.
- One person's messages are answered in the order sent: a message waits until the previous one's
  answer has gone out. Different people never wait for each other.
- Plain text only, through bot.conversation.text.plain, and no message over 500 characters or WeChat's 2,048
  bytes, cut at sentence ends (bot.conversation.text.split_message); short answers that follow each other share
  one message, since a passive reply holds only one.
- Buttons become numbered options that can be typed: "回复 1 就业，2 自主创业，3 其他原因。". A bare
  number typed next is taken as that option (the words are relayed, as a Telegram button would).
- Voice: WeChat's transcript (Recognition) is taken as typed and read back ("我听到的是：…") so a
  misheard word can be corrected; a voice message without one gets a sentence on how to type.
- Images, stickers, links, video: a sentence on what works instead. A location: the place it names
  is offered as the household registration (户口) place, and used only once the person says yes.
- Subscribing gets the greeting; unsubscribing deletes everything stored about the person, as does
  a typed "删除我的信息" (the conversation's forget intent), and the person is told it is done.
- Privacy: the conversation store only sees "wx-" + a keyed hash of the OpenID. Nothing here logs
  an OpenID, a message or a reply; the OpenID is kept in memory only while its message is answered.
- The server down, slow or broken: the person gets an apology and a hint to try again, never silence.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import events as wx_events
from wechatpy import messages as wx_messages
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.channels.common import RateLimiter, SettingsError, describe, typeable_labels
from bot.channels.rest import handle_once
from bot.channels.wechat_api import CustomerService, DeliveryError
from bot.channels.wechat_settings import WeChatSettings
from bot.conversation.text import SENTENCE_ENDS, plain, split_message

logger = logging.getLogger(__name__)

LIMIT = 500  # characters a message, as everywhere in the project
MAX_BYTES = 2048  # WeChat's limit for a text message, in UTF-8 bytes
MAX_BODY = 64 * 1024  # WeChat's XML is a few hundred bytes
RETRY_GRACE = 1.0  # seconds after WeChat hung up in which its retry is expected
SUCCESS = "success"  # "received; no passive reply" (WeChat then does not ask again)
FORGET_RESPONSE = "utter_forget"  # the conversation's answer to its forget intent ("删除我的信息")

# What the channel says. Short sentences, the point first, no symbols a screen reader would spell out.
WELCOME = ("您好，欢迎关注助残问答。您说说自己或家人的情况，我告诉您可能领到哪些残疾人补贴，以及为什么。"
           "直接打字或者发语音说就行，比如“我爸在太原，肢体一级，能领护理补贴吗”。"
           "我的回答只是参考，能不能领由当地残联和民政部门决定。"
           "想删除这里保存的记录，发“删除我的信息”。")
SERVER_FAILED = "抱歉，系统暂时无法回答，这条消息没有处理。请过一会儿再发一次。"
SERVER_SLOW = "抱歉，系统这次太慢，没能回答。请过一会儿再发一次。"
NO_REPLY = "抱歉，系统这次没有给出回答，可能是暂时出了问题。请过一会儿再发一次，也可以换个说法。"
FORGET_DONE = ("已经删除。本系统保存的您的全部内容都删掉了：您说过的话、系统的回答，"
               "以及记下的情况，比如地区、残疾类别和等级。系统不再记得您说过什么，可以重新开始。"
               "微信里的聊天记录不归本系统管，需要的话请在微信里自己删除。")
FORGET_FAILED = "抱歉，系统暂时连不上，这次没有删除，您的记录还在。请过一会儿再发“删除我的信息”。"
HEARD = "我听到的是：{text}"
VOICE_UNREADABLE = ("抱歉，这条语音我听不出内容。请打字发给我；"
                    "也可以用手机输入法的语音输入，说完变成文字再发送。")
IMAGE = ("我看不了图片。请用文字或语音说说情况，比如残疾类别和等级、户口在哪里。"
         "残疾人证和身份证的号码不用发给我。")
STICKER = "收到您的表情。想问补贴的话，请用文字或语音说说情况。"
LINK = "我打不开链接。请把想问的内容直接用文字或语音告诉我。"
NOT_TEXT = "我只能读文字和语音消息。请用文字或语音说说情况。"
TOO_FAST = "消息发得太快了，请等半分钟再发。"
LOCATION_OFFER = "您发来的位置在{place}。补贴看的是户口所在地。您的户口在{place}吗？"
LOCATION_UNKNOWN = "从这个位置看不出是哪个区县。请直接告诉我户口在哪里，比如：户口在奉化。"
LOCATION_DECLINED = "好的，不用这个位置。请告诉我户口在哪个区县。"
LOCATION_TEXT = "户口在{place}"  # what is relayed to the conversation once the person says yes
YES, NO = "是", "不是"
OPTIONS = "回复 {choices}。"

# WeChat's own smileys arrive as text: "/::)", "/:rose", "[微笑]"; other stickers as this notice.
_SMILEYS = re.compile(r"(?:\s|\[[^\[\]\s]{1,6}\]|/:[^\s/\[]{1,8})+")
_UNSUPPORTED = "【收到不支持的消息类型，暂无法显示】"
_EDGES = " \t\r\n。.！!？?，,、；;：:~～"


# --- text as WeChat shows it ----------------------------------------------------------------------

def fits(text: str) -> bool:
    return len(text) <= LIMIT and len(text.encode("utf-8")) <= MAX_BYTES


def wechat_parts(text: str) -> list[str]:
    """`text` as messages WeChat takes: at most LIMIT characters and MAX_BYTES bytes, cut at
    sentence ends. (500 characters are at most 2,000 bytes in UTF-8, so the byte rule holds by
    itself; it is checked anyway, and a part over it is cut again at half its length.)"""
    out: list[str] = []
    pending = split_message(text, LIMIT)
    while pending:
        part = pending.pop(0)
        if fits(part):
            out.append(part)
        else:
            pending[:0] = split_message(part, max(1, len(part) // 2))
    return out


class Alone(str):
    """A part that ends its message: the short first message of a verdict (the conversation marks it
    {"answer_first": true}), so that a screen-reader user hears the answer before the details."""


def pack(parts: list[str]) -> list[str]:
    """Consecutive parts joined into as few messages as fit (a passive reply holds only one). Nothing is
    joined after a part marked Alone; what comes just before it in the same turn ("好的，已改为：残疾等级
    为三级。") may share its message, so the passive reply carries the answer, not only that."""
    out: list[str] = []
    for part in parts:
        if out and not isinstance(out[-1], Alone) and fits(out[-1] + "\n" + part):
            joined = out[-1] + "\n" + part
            out[-1] = Alone(joined) if isinstance(part, Alone) else joined
        else:
            out.append(part)
    return [str(p) for p in out]


def numbered(labels: list[str]) -> str:
    """["就业", "自主创业"] -> "回复 1 就业，2 自主创业。" """
    return OPTIONS.format(choices="，".join(f"{i} {label}" for i, label in enumerate(labels, 1)))


def render(replies: list[dict]) -> tuple[list[str], list[str] | None]:
    """The conversation's replies as WeChat texts, and the options of the last one (None: none).

    Custom payloads ({"ask": …}, {"results": …}) are for machines and are not sent."""
    parts: list[str] = []
    options: list[str] | None = None
    for reply in replies:
        text = plain(str(reply.get("text") or ""))
        if (reply.get("custom") or {}).get("answer_first") and parts and not text:
            parts[-1] = Alone(parts[-1])  # Rasa sends a message's text and its payload one after the other
        if not text:
            continue
        labels = typeable_labels(reply.get("buttons"))
        if labels:
            text += "\n" + numbered(labels)
        options = labels or None
        if (reply.get("custom") or {}).get("answer_first"):
            parts += [Alone(p) for p in wechat_parts(text)]
        else:
            parts += wechat_parts(text)
    return parts, options


def chosen(text: str, options: list[str] | None) -> str | None:
    """The option a bare number picks ("2", "２", "二", "2。"), or None."""
    if not options:
        return None
    bare = text.strip(_EDGES)
    if not bare or len(bare) > 3:
        return None
    from knowledge.textnorm import parse_number

    number = parse_number(bare)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1]
    return None


def is_sticker(text: str) -> bool:
    """A message of nothing but WeChat smileys or emoji, or WeChat's notice for a sticker."""
    return (not plain(text).strip() or text.strip() == _UNSUPPORTED
            or bool(_SMILEYS.fullmatch(text)))


def place_in(label: str | None):
    """The place a location's label starts with ("浙江省宁波市奉化区锦屏街道…" -> 奉化区), or None."""
    if not label:
        return None
    from knowledge.gazetteer import gazetteer

    found = gazetteer().find(label)
    return found[0][2] if found else None


def message_key(sender: str, message) -> str:
    """What WeChat's retries of one message have in common: MsgId, or for events the sender and
    the time (and the event, so that two events of the same second stay apart)."""
    if isinstance(message, wx_events.BaseEvent):
        return f"{sender}:{message.time}:{message.event}"
    if message.id:
        return f"{sender}:{message.id}"
    return f"{sender}:{message.time}:{message.type}"


# --- the conversation's output ----------------------------------------------------------------------

class Collector(CollectingOutputChannel):
    """Collects the bot's messages, and the names of the responses they came from."""

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[str] = []

    @classmethod
    def name(cls) -> str:
        return "wechat"  # responses in the domain may have a `channel: wechat` variant

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if message.get("utter_action"):
            self.responses.append(message["utter_action"])
        await super().send_response(recipient_id, message)


class ConversationUnavailable(Exception):
    """No agent to answer (the model is not loaded)."""


# --- one message and its retries -----------------------------------------------------------------

@dataclass
class Exchange:
    """One WeChat message: processed once by `task`, answered once, whatever the retries."""
    key: str
    openid: str
    sender: str
    task: asyncio.Task | None = None
    state: str = "open"  # open -> passive (the first text was a reply) or late (all sent by API)
    requests: int = 0  # how many requests (first and retries) have come for it
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # the answer has gone out
    settled_at: float | None = None

    def settle(self) -> None:
        if not self.settled.is_set():
            self.settled.set()
            self.settled_at = time.monotonic()


@dataclass
class Remembered:
    """Something said to a person that their next message may answer."""
    value: Any
    until: float


class WeChatBot:
    """The channel's state and logic, for one Rasa server (all in memory, keyed by hashed id)."""

    def __init__(self, settings: WeChatSettings,
                 on_new_message: Callable[[UserMessage], Awaitable[Any]],
                 agent: Callable[[], Any] = lambda: None):
        self.settings = settings
        self.on_new_message = on_new_message
        self.agent = agent
        self.crypto = (WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
                       if settings.safe_mode else None)
        self.api = (CustomerService(settings.app_id, settings.app_secret, settings.api_base_url)
                    if settings.can_send else None)
        self.limiter = RateLimiter(settings.rate_count, settings.rate_seconds)
        self.exchanges: OrderedDict[str, Exchange] = OrderedDict()
        self.tails: dict[str, Exchange] = {}  # each person's latest message, for their order
        self.options: dict[str, Remembered] = {}  # numbered options last offered to a person
        self.offers: dict[str, Remembered] = {}  # a place offered from a location, to confirm
        self.background: set[asyncio.Task] = set()
        self.voice_without_text_logged = False

    # --- requests ---------------------------------------------------------------------------

    def signed(self, request: Request) -> bool:
        args = request.args
        try:
            check_signature(self.settings.token, args.get("signature", ""),
                            args.get("timestamp", ""), args.get("nonce", ""))
        except InvalidSignatureException:
            return False
        return True

    async def handshake(self, request: Request) -> HTTPResponse:
        if not self.signed(request):
            return response.text("forbidden", status=403)
        return response.text(request.args.get("echostr", ""))

    async def receive(self, request: Request) -> HTTPResponse | None:
        arrived = time.monotonic()
        if not self.signed(request):
            logger.warning("refused a WeChat request with a bad signature")
            return response.text("forbidden", status=403)
        if len(request.body or b"") > MAX_BODY:
            return response.text("too large", status=413)
        args = request.args
        encrypted = args.get("encrypt_type") == "aes"
        try:
            if encrypted and self.crypto is not None:
                xml = self.crypto.decrypt_message(request.body, args.get("msg_signature", ""),
                                                  args.get("timestamp", ""), args.get("nonce", ""))
            else:
                xml = request.body
            message = parse_message(xml)
        except InvalidSignatureException:
            logger.warning("refused a WeChat request with a bad message signature")
            return response.text("forbidden", status=403)
        except InvalidAppIdException:
            logger.warning("refused a WeChat message sealed for another AppID")
            return response.text("forbidden", status=403)
        except Exception as exc:  # not XML, not decryptable, no MsgType
            if encrypted and self.crypto is None:
                logger.error("WeChat sent an encrypted message, but WECHAT_ENCODING_AES_KEY is not set")
            else:
                logger.warning("could not read a WeChat message: %s", describe(exc))
            return response.text("bad request", status=400)
        if message is None or not message.source:
            return response.text("bad request", status=400)
        encrypted = encrypted and self.crypto is not None  # compatible mode without a key: plain
        exchange = self.exchange_for(message)
        text, after = await self.reply(exchange, arrived)
        if text is None:
            return response.text(SUCCESS)
        body = TextReply(content=text.replace("]]>", "]] >"), message=message).render()
        if encrypted:
            body = self.crypto.encrypt_message(body, args.get("nonce", ""), str(int(time.time())))
        if after is None:
            return response.text(body, content_type="application/xml")
        # The passive reply first, then the rest of the answer as customer-service messages.
        try:
            out = await request.respond(content_type="application/xml")
            await out.send(body.encode("utf-8"), end_stream=True)
        finally:
            self.spawn(after())
        return None

    # --- the five-second rule ---------------------------------------------------------------

    def exchange_for(self, message) -> Exchange:
        sender = self.settings.sender(message.source)
        key = message_key(sender, message)
        exchange = self.exchanges.get(key)
        if exchange is None:
            self.prune()
            exchange = Exchange(key=key, openid=message.source, sender=sender)
            self.exchanges[key] = exchange
            previous, self.tails[sender] = self.tails.get(sender), exchange
            exchange.task = asyncio.create_task(self.process(exchange, message, previous))
        return exchange

    async def reply(self, exchange: Exchange, arrived: float):
        """(the passive reply or None for `success`, what to do once it is sent or None)."""
        exchange.requests += 1
        mine = exchange.requests
        try:
            if exchange.state == "open" and not exchange.task.done():
                remaining = self.settings.reply_within - (time.monotonic() - arrived)
                if remaining > 0:
                    await asyncio.wait({exchange.task}, timeout=remaining)
        except asyncio.CancelledError:
            # WeChat hung up (its five seconds are over). It asks again at once, unless that was
            # its last try: if no retry has come a moment later, the answer goes out by
            # customer-service messages.
            self.spawn(self.late_unless_retried(exchange, mine))
            raise
        if mine != exchange.requests:
            return None, None  # a retry came: WeChat no longer listens to this request
        if exchange.state == "late":
            return None, None
        if not exchange.task.done():
            self.go_late(exchange)
            return None, None
        texts = exchange.task.result()
        if not texts:
            exchange.settle()
            return None, None
        first_time = exchange.state == "open"
        exchange.state = "passive"
        if len(texts) == 1 or not first_time:
            exchange.settle()
            return texts[0], None
        if self.api is None:  # a passive reply holds one message, and there is no other way
            logger.warning("%d more messages of an answer for %s cannot be sent: WECHAT_APP_ID and "
                           "WECHAT_APP_SECRET are not set", len(texts) - 1, exchange.sender)
            exchange.settle()
            return texts[0], None

        async def rest() -> None:
            try:
                await self.send(exchange, texts[1:])
            finally:
                exchange.settle()

        return texts[0], rest

    async def late_unless_retried(self, exchange: Exchange, request: int) -> None:
        await asyncio.sleep(RETRY_GRACE)
        if exchange.requests == request and exchange.state == "open":
            self.go_late(exchange)

    def go_late(self, exchange: Exchange) -> None:
        exchange.state = "late"

        async def deliver() -> None:
            try:
                texts = await exchange.task
                if texts:
                    await self.send(exchange, texts)
            finally:
                exchange.settle()

        self.spawn(deliver())

    async def send(self, exchange: Exchange, texts: list[str]) -> None:
        if self.api is None:
            logger.warning("an answer for %s was not ready in time and cannot be sent: "
                           "WECHAT_APP_ID and WECHAT_APP_SECRET are not set", exchange.sender)
            return
        for text in texts:
            try:
                await self.api.send_text(exchange.openid, text)
            except DeliveryError:
                logger.warning("the rest of an answer for %s was not delivered", exchange.sender)
                return

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def prune(self) -> None:
        """Forget message ids answered more than keep_seconds ago (WeChat retries within 15 s)."""
        now = time.monotonic()
        for key in [k for k, e in self.exchanges.items()
                    if e.settled_at is not None and now - e.settled_at > self.settings.keep_seconds]:
            exchange = self.exchanges.pop(key)
            if self.tails.get(exchange.sender) is exchange:
                del self.tails[exchange.sender]
        for memory in (self.options, self.offers):
            for sender in [s for s, r in memory.items() if r.until <= now]:
                del memory[sender]

    # --- answering one message ---------------------------------------------------------------

    async def process(self, exchange: Exchange, message, previous: Exchange | None) -> list[str]:
        """The answer to one message, as WeChat texts. Never raises: a failure is an apology."""
        if previous is not None:  # this person's previous message is answered first
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(previous.settled.wait(), self.settings.answer_timeout + 60)
        try:
            return pack(await self.answer(exchange, message))
        except Exception as exc:
            logger.error("answering a WeChat message of %s failed: %s", exchange.sender, describe(exc))
            return [SERVER_FAILED]

    async def answer(self, exchange: Exchange, message) -> list[str]:
        sender = exchange.sender
        if isinstance(message, wx_events.BaseEvent):
            if isinstance(message, (wx_events.SubscribeEvent, wx_events.SubscribeScanEvent)):
                return [WELCOME]
            if isinstance(message, wx_events.UnsubscribeEvent):
                await self.forget(sender, told=False)
            return []  # menu clicks, location reports, template receipts: nothing to say
        verdict = self.limiter.check(sender)
        if verdict != "ok":
            return [TOO_FAST] if verdict == "notify" else []
        if isinstance(message, wx_messages.TextMessage):
            return await self.on_text(sender, message.content or "", self.message_id(message))
        if isinstance(message, wx_messages.VoiceMessage):
            return await self.on_voice(sender, message.recognition, self.message_id(message))
        if isinstance(message, wx_messages.LocationMessage):
            return await self.on_location(sender, message.label)
        if isinstance(message, wx_messages.ImageMessage):
            return [IMAGE]
        if isinstance(message, wx_messages.LinkMessage):
            return [LINK]
        return [NOT_TEXT]

    async def on_voice(self, sender: str, recognition: str | None,
                       message_id: str | None = None) -> list[str]:
        heard = plain(recognition or "").strip()
        if not heard:
            if not self.voice_without_text_logged:
                self.voice_without_text_logged = True
                logger.info("a voice message came without a transcript: switch on 接收语音识别结果 "
                            "in the Official Account's settings")
            return [VOICE_UNREADABLE]
        said = HEARD.format(text=heard)
        if said[-1] not in SENTENCE_ENDS + "”’）)":
            said += "。"
        return wechat_parts(said) + await self.on_text(sender, heard, message_id)

    async def on_location(self, sender: str, label: str | None) -> list[str]:
        # The gazetteer is built on first use (about a second): not on the event loop.
        place = await asyncio.to_thread(place_in, label)
        if place is None:
            return [LOCATION_UNKNOWN]
        self.offers[sender] = Remembered(place.full_name, time.monotonic() + self.settings.remember_seconds)
        self.remember_options(sender, [YES, NO])
        return wechat_parts(LOCATION_OFFER.format(place=place.full_name) + "\n" + numbered([YES, NO]))

    async def on_text(self, sender: str, text: str, message_id: str | None = None) -> list[str]:
        text = text.strip()
        if is_sticker(text):
            return [STICKER]
        option = chosen(text, self.recall(self.options, sender))
        if option is not None:
            text = option  # the number stands for the words of the option, as a button would
        offer = self.recall(self.offers, sender)
        if offer is not None:
            self.offers.pop(sender, None)
            yes = await self.yes_or_no(text)
            if yes is False:
                self.options.pop(sender, None)
                return [LOCATION_DECLINED]
            if yes is True:
                text = LOCATION_TEXT.format(place=offer)
        # A leading "/" would make Rasa read the message as an intent name: send only the words.
        text = text.lstrip("/").strip()
        if not text:
            return [NO_REPLY]
        try:
            replies, responses = await self.converse(sender, text, message_id)
        except asyncio.TimeoutError:
            logger.warning("the conversation took more than %g s for %s",
                           self.settings.answer_timeout, sender)
            return [SERVER_SLOW]
        except ConversationUnavailable:
            logger.warning("no agent to answer %s", sender)
            return [SERVER_FAILED]
        if FORGET_RESPONSE in responses:
            return [FORGET_DONE] if await self.forget(sender, told=True) else [FORGET_FAILED]
        parts, options = render(replies)
        self.remember_options(sender, options)
        return parts or [NO_REPLY]

    @staticmethod
    def message_id(message) -> str | None:
        """The id the conversation keeps with the message: "wx" + MsgId."""
        return f"wx{message.id}" if message.id else None

    async def converse(self, sender: str, text: str,
                       message_id: str | None = None) -> tuple[list[dict], list[str]]:
        """The conversation's answer. With a message_id, a message the conversation already holds
        (WeChat's retry reaching another server) is answered as before, not handled twice."""
        agent = self.agent()
        if agent is None or not agent.is_ready():
            raise ConversationUnavailable()
        collector = Collector()
        message = UserMessage(text, collector, sender, input_channel=WeChatInput.name(),
                              message_id=message_id)
        handled = self.on_new_message(message) if message_id is None else handle_once(agent, message)
        await asyncio.wait_for(handled, self.settings.answer_timeout)
        return collector.messages, collector.responses

    async def yes_or_no(self, text: str) -> bool | None:
        """A yes or no to an offer: the option words, else the NLU's affirm or deny (sure ones)."""
        if text in (YES, NO):
            return text == YES
        agent = self.agent()
        if agent is None or not agent.is_ready():
            return None
        try:
            parsed = await agent.parse_message(text)
        except Exception as exc:
            logger.warning("could not read a yes or no: %s", describe(exc))
            return None
        intent = parsed.get("intent") or {}
        if (intent.get("confidence") or 0) < 0.6:
            return None
        return {"affirm": True, "deny": False}.get(intent.get("name"))

    def remember_options(self, sender: str, options: list[str] | None) -> None:
        if options:
            self.options[sender] = Remembered(options, time.monotonic() + self.settings.remember_seconds)
        else:
            self.options.pop(sender, None)

    @staticmethod
    def recall(memory: dict[str, Remembered], sender: str):
        remembered = memory.get(sender)
        if remembered is None or remembered.until <= time.monotonic():
            memory.pop(sender, None)
            return None
        return remembered.value

    async def forget(self, sender: str, told: bool) -> bool:
        """Delete everything stored about a person: the conversation, and what is held here."""
        from bot.channels.forget import forget_sender

        self.options.pop(sender, None)
        self.offers.pop(sender, None)
        self.limiter.forget(sender)
        agent = self.agent()
        for attempt in (1, 2):
            try:
                if agent is None or getattr(agent, "tracker_store", None) is None:
                    raise ConversationUnavailable()
                await forget_sender(agent, sender)
                logger.info("forgot %s", sender)
                return True
            except Exception as exc:
                logger.error("could not forget %s%s: %s", sender,
                             "" if told else " after they unsubscribed", describe(exc))
                if attempt == 1:
                    await asyncio.sleep(1.0)
        return False

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        if self.api is not None:
            self.api.close()


# --- the Rasa channel ----------------------------------------------------------------------------

class _QueryFilter(logging.Filter):
    """Sanic's access log writes each request's URL, and WeChat puts the OpenID in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, str) and "/wechat/" in request and "?" in request:
            record.request = request.split("?", 1)[0]
        return True


class WeChatInput(InputChannel):
    """Serves GET/POST /webhooks/wechat/webhook (registered in bot/credentials.yml).

    Off (404) unless WECHAT_TOKEN is set; a malformed setting stops the server with a message."""

    def __init__(self, settings: WeChatSettings | None = None):
        self.settings = settings
        self.bot: WeChatBot | None = None

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "WeChatInput":
        try:
            settings = WeChatSettings.from_env()
        except SettingsError as exc:
            raise RasaException(f"WeChat channel: {exc}") from None
        if settings is None:
            logger.info("WeChat channel off: WECHAT_TOKEN is not set")
        return cls(settings)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("wechat_webhook", __name__)
        settings = self.settings
        if settings is None:
            async def off(request: Request) -> HTTPResponse:
                return response.text("the WeChat channel is off: WECHAT_TOKEN is not set", status=404)

            blueprint.add_route(off, "/webhook", methods=["GET", "POST"])
            return blueprint

        access = logging.getLogger("sanic.access")
        if not any(isinstance(f, _QueryFilter) for f in access.filters):
            access.addFilter(_QueryFilter())

        def bot_for(request: Request) -> WeChatBot:
            if self.bot is None:
                ctx = request.app.ctx
                self.bot = WeChatBot(settings, on_new_message, lambda: getattr(ctx, "agent", None))
            return self.bot

        async def handshake(request: Request) -> HTTPResponse:
            return await bot_for(request).handshake(request)

        async def receive(request: Request):
            return await bot_for(request).receive(request)

        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "safe_mode": settings.safe_mode,
                                  "customer_service": settings.can_send})

        @blueprint.listener("before_server_stop")
        async def close(app, loop) -> None:
            if self.bot is not None:
                await self.bot.close()

        blueprint.add_route(health, "/", methods=["GET"])
        blueprint.add_route(handshake, "/webhook", methods=["GET"])
        blueprint.add_route(receive, "/webhook", methods=["POST"])
        return blueprint
