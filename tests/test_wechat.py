"""The WeChat channel, driven by a stand-in for WeChat (tests/wechat_standin.py).

The channel runs as Rasa mounts it (rasa.core.channels.channel.register on a Sanic server); the
stand-in posts signed, and in safe mode encrypted, XML to it, retries as WeChat does, and takes
customer-service messages on its own API. Here the Rasa side is scripted (ScriptedAgent);
tests/test_wechat_serve.py runs the same against `zhucan serve` and the trained model.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import re
import socket
import time
import uuid
from contextlib import asynccontextmanager
from types import SimpleNamespace
from unittest import mock

import httpx
import pytest

pytest.importorskip("rasa")

from rasa.core.channels.channel import register  # noqa: E402
from rasa.core.tracker_store import InMemoryTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.exceptions import RasaException  # noqa: E402
from sanic import Sanic  # noqa: E402
from sanic.touchup import TouchUp  # noqa: E402

from bot.channels import wechat as wx  # noqa: E402
from bot.channels.common import SettingsError  # noqa: E402
from bot.channels.wechat_settings import WeChatSettings  # noqa: E402
from wechat_standin import ScriptedAgent, WeChatStandIn, echo  # noqa: E402

TOKEN = "zhucanToken2024"
APP_ID = "wx0123456789abcdef"
SECRET = "0123456789abcdef0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KEY = b"test-id-key"
ALICE, BOB = "o6_bmjrPTlm6_2sgVt7hMZOPfL2A", "o6_bmjrPTlm6_2sgVt7hMZOPfL2B"


def run(coro, timeout: float = 60):
    """Plain pytest, no plugin: each test runs its scenario in a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def openid(i: int) -> str:
    return f"o6_bmjrPTlm6_2sgVt7hMZOP{i:04d}"


def hashed(user: str) -> str:
    return WeChatSettings(token=TOKEN, id_key=KEY).sender(user)


async def serve(channels, agent=None) -> SimpleNamespace:
    """Channels mounted as Rasa mounts them, on a Sanic server of their own on a free port."""
    app = Sanic(f"wechat_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    # Sanic 21.12 rewrites a few of its own methods when an app starts (TouchUp), and cannot do
    # it twice in one process: the first server here does it and puts the originals back when
    # it stops (so that later tests' servers can do it again); servers meanwhile skip it.
    touched = all(getattr(target, "__touched__", False) for target, _ in TouchUp._registry)
    originals = {} if touched else {(t, m): t.__dict__[m] for t, m in TouchUp._registry}
    with mock.patch.object(TouchUp, "run", lambda app: None) if touched else contextlib.nullcontext():
        await server.startup()
    await server.start_serving()

    async def stop():
        server.close()
        await server.wait_closed()
        for (target, name), method in originals.items():
            setattr(target, name, method)
            target.__touched__ = False

    return SimpleNamespace(url=f"http://127.0.0.1:{sock.getsockname()[1]}", stop=stop)


@asynccontextmanager
async def channel_running(script=echo, aes: bool = False, timeout: float = 5.0, retries: int = 3,
                          **changes):
    """The channel as Rasa runs it, a scripted agent behind it, the WeChat stand-in before it."""
    wechat = await WeChatStandIn(TOKEN, APP_ID, SECRET, AES_KEY if aes else None,
                                 timeout=timeout, retries=retries).start()
    settings = dataclasses.replace(
        WeChatSettings(token=TOKEN, id_key=KEY, app_id=APP_ID, app_secret=SECRET,
                       encoding_aes_key=AES_KEY if aes else "", api_base_url=wechat.api_base_url,
                       answer_timeout=10.0), **changes)
    channel = wx.WeChatInput(settings)
    agent = ScriptedAgent(script)
    server = await serve([channel], agent)
    wechat.url = server.url + "/webhooks/wechat/webhook"
    try:
        yield SimpleNamespace(wechat=wechat, agent=agent, channel=channel, settings=settings)
        assert wechat.problems == []
    finally:
        if channel.bot is not None:
            await channel.bot.close()
        await server.stop()
        await wechat.stop()


# --- verification -------------------------------------------------------------------------------

def test_the_handshake_echoes_only_with_a_good_signature():
    async def scenario():
        async with channel_running() as bot:
            assert await bot.wechat.handshake("8236405736") == (200, "8236405736")
            status, body = await bot.wechat.handshake("8236405736", good=False)
            assert status == 403 and "8236405736" not in body

    run(scenario())


@pytest.mark.parametrize("aes, forged", [(False, "signature"), (True, "signature"),
                                         (True, "msg_signature")])
def test_a_bad_signature_is_refused_and_nothing_is_processed(aes, forged):
    async def scenario():
        async with channel_running(aes=aes) as bot:
            status, body = await bot.wechat.forge(bot.wechat.message(ALICE, Content="我在太原"), forged)
            assert status == 403 and "收到" not in body
            await asyncio.sleep(0.2)
            assert bot.agent.handled == [] and bot.wechat.received == {}
            assert not [c for c in bot.wechat.api_calls if c[0].endswith("custom/send")]

    run(scenario())


@pytest.mark.parametrize("aes", [False, True], ids=["plain", "safe"])
def test_a_text_is_answered_by_a_passive_reply_in_plain_and_safe_mode(aes):
    async def scenario():
        async with channel_running(aes=aes) as bot:
            delivery = await bot.wechat.send(ALICE, Content="我爸在太原，肢体一级")
            assert delivery.reply == "收到：我爸在太原，肢体一级"
            assert len(delivery.attempts) == 1 and delivery.attempts[0].seconds < 2
            if aes:  # nothing readable on the wire in safe mode
                assert "太原" not in delivery.attempts[0].body and "<Encrypt>" in delivery.attempts[0].body
            assert bot.wechat.received[ALICE] == [("reply", "收到：我爸在太原，肢体一级")]
            assert bot.agent.handled == [(hashed(ALICE), "我爸在太原，肢体一级")]

    run(scenario())


def test_the_channel_is_off_without_a_token_and_a_bad_setting_stops_the_server(monkeypatch):
    for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_ENCODING_AES_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert wx.WeChatInput.from_credentials(None).settings is None
    monkeypatch.setenv("WECHAT_TOKEN", "a b")
    with pytest.raises(RasaException, match="WECHAT_TOKEN must be 3 to 32 letters or digits"):
        wx.WeChatInput.from_credentials(None)

    async def scenario():
        off = await serve([wx.WeChatInput(None)])
        try:
            async with httpx.AsyncClient() as client:
                answer = await client.post(off.url + "/webhooks/wechat/webhook", content=b"<xml/>")
            assert answer.status_code == 404 and "WECHAT_TOKEN" in answer.text
        finally:
            await off.stop()

    run(scenario())


def test_settings_from_the_environment(tmp_path):
    base = {"WECHAT_TOKEN": TOKEN, "ZHUCAN_ID_KEY": "k"}
    settings = WeChatSettings.from_env(base)
    assert not settings.safe_mode and not settings.can_send
    assert settings.api_base_url == "https://api.weixin.qq.com/" and settings.reply_within == 4.0
    full = WeChatSettings.from_env({**base, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET,
                                    "WECHAT_ENCODING_AES_KEY": AES_KEY,
                                    "WECHAT_API_BASE_URL": "http://127.0.0.1:9/"})
    assert full.safe_mode and full.can_send and full.api_base_url == "http://127.0.0.1:9/"
    for secret in (TOKEN, SECRET, AES_KEY):
        assert secret not in repr(full)
    assert WeChatSettings.from_env({"ZHUCAN_ID_KEY": "k"}) is None
    bad = [({"WECHAT_APP_ID": APP_ID}, "WECHAT_APP_SECRET"),
           ({"WECHAT_ENCODING_AES_KEY": AES_KEY}, "needs WECHAT_APP_ID"),
           ({"WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET,
             "WECHAT_ENCODING_AES_KEY": "short"}, "43 letters and digits"),
           ({"WECHAT_REPLY_WITHIN": "5"}, "less than 5"),
           ({"WECHAT_API_BASE_URL": "api.weixin.qq.com"}, "https://")]
    for extra, message in bad:
        with pytest.raises(SettingsError, match=message):
            WeChatSettings.from_env({**base, **extra})
    one = WeChatSettings(token=TOKEN, id_key=b"a")
    assert re.fullmatch(r"wx-[0-9a-f]{32}", one.sender(ALICE))
    assert one.sender(ALICE) != one.sender(BOB)
    assert one.sender(ALICE) != WeChatSettings(token=TOKEN, id_key=b"b").sender(ALICE)


# --- the five-second rule and retries -------------------------------------------------------------

def test_a_slow_answer_is_delivered_once_by_customer_service_within_the_real_five_seconds():
    """WeChat's real timing: it waits 5 s. The answer takes 6 s: the channel replies `success`
    after 4 s (so WeChat does not ask again) and sends the answer when it is ready."""
    async def scenario():
        async with channel_running() as bot:
            assert bot.wechat.timeout == 5.0 and bot.settings.reply_within == 4.0
            bot.agent.delay = lambda sender, text: 6.0
            start = time.monotonic()
            delivery = await bot.wechat.send(ALICE, Content="我在太原，能领什么补贴")
            assert len(delivery.attempts) == 1 and delivery.answered and delivery.reply is None
            assert delivery.attempts[0].body == "success"
            assert 3.9 < delivery.attempts[0].seconds < 5.0
            assert await bot.wechat.wait_for(ALICE, 1, timeout=5) == ["收到：我在太原，能领什么补贴"]
            assert time.monotonic() - start >= 6.0
            await bot.wechat.quiet(ALICE, 1.0)
            assert bot.wechat.received[ALICE] == [("custom", "收到：我在太原，能领什么补贴")]
            assert len(bot.agent.handled) == 1

    run(scenario())


def test_retries_are_joined_to_the_message_they_repeat_and_the_latest_gets_the_answer():
    """WeChat gives up after 0.3 s here; the answer takes 1 s: the first three attempts are
    dropped, the fourth carries the answer. The message is processed once, answered once."""
    async def scenario():
        async with channel_running(timeout=0.3, reply_within=2.0) as bot:
            bot.agent.delay = lambda sender, text: 1.0
            delivery = await bot.wechat.send(ALICE, Content="我在大同")
            assert [a.status for a in delivery.attempts] == [None, None, None, 200]
            assert delivery.reply == "收到：我在大同"
            await bot.wechat.quiet(ALICE, 1.0)
            assert bot.wechat.received[ALICE] == [("reply", "收到：我在大同")]
            assert bot.agent.handled == [(hashed(ALICE), "我在大同")]

    run(scenario())


def test_when_every_retry_is_dropped_the_answer_still_comes_once():
    """Slower still: all four attempts time out; when WeChat has hung up for good, the answer
    goes out as a customer-service message, once."""
    async def scenario():
        async with channel_running(timeout=0.3, reply_within=2.0) as bot:
            bot.agent.delay = lambda sender, text: 2.0
            delivery = await bot.wechat.send(ALICE, Content="我在大同")
            assert [a.status for a in delivery.attempts] == [None] * 4
            assert await bot.wechat.wait_for(ALICE, 1, timeout=5) == ["收到：我在大同"]
            await bot.wechat.quiet(ALICE, 1.0)
            assert bot.wechat.vias(ALICE) == ["custom"]
            assert len(bot.agent.handled) == 1

    run(scenario())


@pytest.mark.parametrize("aes", [False, True], ids=["plain", "safe"])
def test_a_repeated_message_id_is_never_processed_again(aes):
    async def scenario():
        async with channel_running(aes=aes) as bot:
            fields = bot.wechat.message(ALICE, Content="有残疾证")
            first = await bot.wechat.post(dict(fields))
            again = await bot.wechat.post(dict(fields))  # WeChat lost the first reply and asks again
            assert first.reply == again.reply == "收到：有残疾证"
            event = bot.wechat.message(BOB, "event", Event="subscribe", EventKey="")
            await bot.wechat.post(dict(event))
            await bot.wechat.post(dict(event))
            assert bot.agent.handled == [(hashed(ALICE), "有残疾证")]
            assert bot.wechat.texts(BOB) == [wx.WELCOME, wx.WELCOME]  # the same reply, not a second greeting
            other = await bot.wechat.send(ALICE, Content="有残疾证")  # a new message, same words
            assert other.reply == "收到：有残疾证" and len(bot.agent.handled) == 2

    run(scenario())


def test_a_retry_that_reaches_another_server_gets_the_answer_without_a_second_handling():
    """Several servers share one tracker store and lock store (docs/deploy.md): the conversation
    keeps "wx" + MsgId with the message, so a retry the load balancer sends to another server is
    answered from what the conversation holds, and the answer to the question is recorded once."""
    async def scenario():
        async with channel_running() as bot:
            other_agent = ScriptedAgent(echo)
            other_agent.tracker_store, other_agent.lock_store = bot.agent.tracker_store, bot.agent.lock_store
            other = await serve([wx.WeChatInput(bot.settings)], other_agent)
            try:
                fields = bot.wechat.message(ALICE, Content="一级肢体")
                first = await bot.wechat.post(dict(fields))
                bot.wechat.url, here = other.url + "/webhooks/wechat/webhook", bot.wechat.url
                again = await bot.wechat.post(dict(fields))
                assert first.reply == again.reply == "收到：一级肢体"
                assert bot.agent.handled == [(hashed(ALICE), "一级肢体")] and other_agent.handled == []
                later = await bot.wechat.send(ALICE, Content="一级肢体")  # a new message, same words
                assert later.reply == "收到：一级肢体" and other_agent.handled == [(hashed(ALICE), "一级肢体")]
                bot.wechat.url = here
            finally:
                await other.stop()

    run(scenario())


def test_one_persons_answers_come_in_the_order_asked_even_when_the_first_is_late():
    async def scenario():
        async with channel_running(reply_within=0.5) as bot:
            bot.agent.delay = lambda sender, text: 1.5 if text == "第一条" else 0.0
            first = asyncio.create_task(bot.wechat.send(ALICE, Content="第一条"))
            await asyncio.sleep(0.1)
            second = asyncio.create_task(bot.wechat.send(ALICE, Content="第二条"))
            await asyncio.gather(first, second)
            assert await bot.wechat.wait_for(ALICE, 2, timeout=5) == ["收到：第一条", "收到：第二条"]
            assert bot.wechat.vias(ALICE) == ["custom", "custom"]

    run(scenario())


def test_twenty_users_at_once_each_get_their_own_answers_in_order():
    rng = random.Random(10)
    users = [openid(i) for i in range(20)]

    def script(sender, text):
        return [{"text": f"{sender[-6:]}：{text}"}]

    async def talk(wechat, user):
        for n in range(3):
            await wechat.send(user, Content=f"{user[-4:]}的第{n}条")

    async def scenario():
        async with channel_running(script, aes=True) as bot:
            bot.agent.delay = lambda sender, text: rng.uniform(0.01, 0.15)
            await asyncio.gather(*(talk(bot.wechat, user) for user in users))
            for user in users:
                assert bot.wechat.texts(user) == [f"{hashed(user)[-6:]}：{user[-4:]}的第{n}条"
                                                  for n in range(3)]
            assert len(bot.agent.handled) == 60
            assert bot.agent.max_in_flight >= 5 and bot.agent.max_in_flight_per_sender == 1

    run(scenario())


# --- what WeChat shows ------------------------------------------------------------------------------

def test_a_long_answer_is_a_passive_reply_and_customer_service_messages_in_order():
    long_text = "".join(f"第{i}条：申请时请带上残疾人证和户口本，到街道办理。" for i in range(40))
    buttons = [{"title": w, "payload": w} for w in ("就业", "自主创业", "其他原因")]

    def script(sender, text):
        return [{"text": "结论：可以申请。"}, {"text": long_text},
                {"custom": {"ask": "exit_cause"}},
                {"text": "退出低保的原因是什么？", "buttons": buttons}]

    async def scenario():
        async with channel_running(script) as bot:
            delivery = await bot.wechat.send(ALICE, Content="渐退期")
            texts = await bot.wechat.quiet(ALICE, 1.0)
            assert delivery.reply == texts[0] and texts[0].startswith("结论：可以申请。\n第0条")
            assert bot.wechat.vias(ALICE) == ["reply"] + ["custom"] * (len(texts) - 1)
            assert len(texts) >= 3
            assert all(len(t) <= 500 and len(t.encode()) <= 2048 for t in texts)
            assert texts[-1].endswith("退出低保的原因是什么？\n回复 1 就业，2 自主创业，3 其他原因。")
            assert "".join(texts).replace("\n", "") == (
                "结论：可以申请。" + long_text + "退出低保的原因是什么？回复 1 就业，2 自主创业，3 其他原因。")
            assert "ask" not in "".join(texts)

    run(scenario())


def test_a_typed_number_answers_the_numbered_options_with_their_words():
    buttons = [{"title": w, "payload": w} for w in ("就业", "自主创业", "其他原因")]

    def script(sender, text):
        if text == "退出原因":
            return [{"text": "退出低保的原因是什么？", "buttons": buttons}]
        return [{"text": f"收到：{text}"}]

    async def scenario():
        async with channel_running(script) as bot:
            reply = (await bot.wechat.send(ALICE, Content="退出原因")).reply
            assert reply == "退出低保的原因是什么？\n回复 1 就业，2 自主创业，3 其他原因。"
            assert (await bot.wechat.send(ALICE, Content="２")).reply == "收到：自主创业"
            assert (await bot.wechat.send(ALICE, Content="2")).reply == "收到：2"  # options answered
            await bot.wechat.send(ALICE, Content="退出原因")
            assert (await bot.wechat.send(ALICE, Content="三。")).reply == "收到：其他原因"
            await bot.wechat.send(ALICE, Content="退出原因")
            assert (await bot.wechat.send(ALICE, Content="4")).reply == "收到：4"  # no option 4
            assert bot.agent.texts_of(hashed(ALICE))[1:3] == ["自主创业", "2"]

    run(scenario())


def test_plain_text_only_and_no_message_over_2048_bytes():
    wide = "𠀀" * 700 + "。"  # four bytes a character in UTF-8

    def script(sender, text):
        return [{"text": "**结论**：可以申请护理补贴 ✅"}, {"text": wide}]

    async def scenario():
        async with channel_running(script) as bot:
            await bot.wechat.send(ALICE, Content="护理补贴")
            texts = await bot.wechat.quiet(ALICE, 1.0)
            assert texts[0] == "结论：可以申请护理补贴"
            assert all(len(t.encode()) <= 2048 and len(t) <= 500 for t in texts)
            assert "".join(texts).count("𠀀") == 700

    run(scenario())
    assert wx.wechat_parts("𠀀" * 1200) and all(
        len(p.encode()) <= 2048 for p in wx.wechat_parts("𠀀" * 1200))


# --- voice, pictures, places, events ----------------------------------------------------------------

def test_voice_with_recognition_is_read_back_and_answered_as_typed_text():
    async def scenario():
        async with channel_running() as bot:
            delivery = await bot.wechat.send(ALICE, "voice", MediaId="m1", Format="amr",
                                             Recognition="我爸在太原肢体一级")
            assert delivery.reply == "我听到的是：我爸在太原肢体一级。\n收到：我爸在太原肢体一级"
            assert bot.agent.handled == [(hashed(ALICE), "我爸在太原肢体一级")]

    run(scenario())


def test_voice_without_recognition_says_how_to_type_and_relays_nothing():
    async def scenario():
        async with channel_running() as bot:
            for recognition in ({}, {"Recognition": ""}):
                delivery = await bot.wechat.send(ALICE, "voice", MediaId="m2", Format="amr",
                                                 **recognition)
                assert delivery.reply == wx.VOICE_UNREADABLE
            assert "打字" in wx.VOICE_UNREADABLE and "语音输入" in wx.VOICE_UNREADABLE
            assert bot.agent.handled == []

    run(scenario())


def test_pictures_stickers_links_and_video_get_a_useful_reply_and_reach_no_conversation():
    async def scenario():
        async with channel_running() as bot:
            send = bot.wechat.send
            assert (await send(ALICE, "image", PicUrl="http://x/1.jpg", MediaId="i1")).reply == wx.IMAGE
            assert (await send(ALICE, Content="/::)")).reply == wx.STICKER
            assert (await send(ALICE, Content="[微笑][强]")).reply == wx.STICKER
            assert (await send(ALICE, Content="👍")).reply == wx.STICKER
            assert (await send(ALICE, Content="【收到不支持的消息类型，暂无法显示】")).reply == wx.STICKER
            assert (await send(ALICE, "link", Title="补贴政策", Description="", Url="http://x")).reply == wx.LINK
            assert (await send(ALICE, "video", MediaId="v1", ThumbMediaId="t1")).reply == wx.NOT_TEXT
            assert bot.agent.handled == []
            assert "号码不用发给我" in wx.IMAGE  # a photo of a certificate is not wanted either

    run(scenario())


def test_subscribing_gets_the_greeting_and_other_events_get_nothing():
    async def scenario():
        async with channel_running() as bot:
            welcome = await bot.wechat.send(ALICE, "event", Event="subscribe", EventKey="")
            assert welcome.reply == wx.WELCOME and "删除我的信息" in wx.WELCOME and "语音" in wx.WELCOME
            report = await bot.wechat.send(ALICE, "event", Event="LOCATION", Latitude="30.1",
                                           Longitude="121.2", Precision="50")
            assert report.answered and report.reply is None and report.attempts[0].body == "success"
            assert bot.agent.handled == [] and bot.wechat.texts(ALICE) == [wx.WELCOME]

    run(scenario())


def test_a_location_is_offered_as_the_place_and_used_only_after_a_yes():
    location = dict(Location_X="29.65", Location_Y="121.40", Scale="15",
                    Label="浙江省宁波市奉化区锦屏街道南山路150号")

    async def scenario():
        async with channel_running() as bot:
            offer = (await bot.wechat.send(ALICE, "location", **location)).reply
            assert offer == ("您发来的位置在浙江省宁波市奉化区。补贴看的是户口所在地。"
                             "您的户口在浙江省宁波市奉化区吗？\n回复 1 是，2 不是。")
            assert bot.agent.handled == []  # nothing is used before the person says so
            assert (await bot.wechat.send(ALICE, Content="1")).reply == "收到：户口在浙江省宁波市奉化区"

            await bot.wechat.send(BOB, "location", **location)
            assert (await bot.wechat.send(BOB, Content="不是")).reply == wx.LOCATION_DECLINED
            bot.agent.intents["对的"] = ("affirm", 0.95)
            await bot.wechat.send(BOB, "location", **location)
            assert (await bot.wechat.send(BOB, Content="对的")).reply == "收到：户口在浙江省宁波市奉化区"
            await bot.wechat.send(BOB, "location", **location)  # something else: the offer lapses
            assert (await bot.wechat.send(BOB, Content="我想问低保")).reply == "收到：我想问低保"
            assert (await bot.wechat.send(BOB, Content="是")).reply == "收到：是"

            unknown = await bot.wechat.send(ALICE, "location", Location_X="0", Location_Y="0",
                                            Scale="15", Label="")
            assert unknown.reply == wx.LOCATION_UNKNOWN
            assert [t for _, t in bot.agent.handled] == [
                "户口在浙江省宁波市奉化区", "户口在浙江省宁波市奉化区", "我想问低保", "是"]

    run(scenario())


# --- deleting ---------------------------------------------------------------------------------------

def test_a_typed_forget_deletes_the_conversation_and_says_so():
    def script(sender, text):
        if text == "删除我的信息":  # the conversation's forget intent and its answer
            return [{"text": "在Telegram上，发送 /forget 会删除。", "utter_action": "utter_forget"}]
        return [{"text": f"收到：{text}"}]

    async def scenario():
        async with channel_running(script) as bot:
            await bot.wechat.send(ALICE, Content="我在太原")
            await bot.wechat.send(BOB, Content="我在大同")
            assert await bot.agent.tracker_store.retrieve(hashed(ALICE)) is not None
            reply = (await bot.wechat.send(ALICE, Content="删除我的信息")).reply
            assert reply == wx.FORGET_DONE and "Telegram" not in reply
            assert await bot.agent.tracker_store.retrieve(hashed(ALICE)) is None
            assert await bot.agent.tracker_store.retrieve(hashed(BOB)) is not None

    run(scenario())


def test_unsubscribing_deletes_the_conversation_and_what_the_channel_holds():
    buttons = [{"title": "是", "payload": "是"}, {"title": "不是", "payload": "不是"}]

    async def scenario():
        async with channel_running(lambda s, t: [{"text": "需要人照顾吗？", "buttons": buttons}]) as bot:
            await bot.wechat.send(ALICE, Content="我在太原")
            assert hashed(ALICE) in bot.channel.bot.options
            delivery = await bot.wechat.send(ALICE, "event", Event="unsubscribe")
            assert delivery.answered and delivery.reply is None
            assert await bot.agent.tracker_store.retrieve(hashed(ALICE)) is None
            assert hashed(ALICE) not in bot.channel.bot.options

    run(scenario())


def test_a_deletion_that_fails_is_never_claimed():
    def script(sender, text):
        return [{"text": "好的。", "utter_action": "utter_forget"}]

    class Stubborn(InMemoryTrackerStore):  # deleting from it never works
        async def retrieve(self, sender_id):
            return DialogueStateTracker.from_events(sender_id, [])

    async def scenario():
        async with channel_running(script) as bot:
            bot.agent.tracker_store = Stubborn(Domain.empty())
            reply = (await bot.wechat.send(ALICE, Content="删除我的信息")).reply
            assert reply == wx.FORGET_FAILED and "没有删除" in reply

    run(scenario())


# --- failures ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("failure", ["not loaded", "error", "slow", "silent"])
def test_a_failing_bot_server_gets_a_polite_message_not_silence(failure):
    expected = {"not loaded": wx.SERVER_FAILED, "error": wx.SERVER_FAILED,
                "slow": wx.SERVER_SLOW, "silent": wx.NO_REPLY}[failure]

    async def scenario():
        async with channel_running(lambda s, t: [] if failure == "silent" else echo(s, t),
                                   reply_within=0.5, answer_timeout=1.0) as bot:
            bot.agent.ready = failure != "not loaded"
            bot.agent.mode = "error" if failure == "error" else "ok"
            bot.agent.delay = lambda s, t: 3.0 if failure == "slow" else 0.0
            await bot.wechat.send(ALICE, Content="能领补贴吗")
            assert await bot.wechat.wait_for(ALICE, 1, timeout=5) == [expected]
            assert "抱歉" in expected and ("再发一次" in expected or "再试" in expected)
            bot.agent.ready, bot.agent.mode = True, "ok"
            bot.agent.delay = lambda s, t: 0.0
            if failure != "silent":  # back again: the same person gets answers again
                assert (await bot.wechat.send(ALICE, Content="能领补贴吗")).reply == "收到：能领补贴吗"

    run(scenario())


def test_without_customer_service_permission_a_late_answer_is_logged_not_crashed(caplog):
    async def scenario():
        async with channel_running(reply_within=0.3) as bot:
            bot.wechat.custom_permission = False
            bot.agent.delay = lambda s, t: 0.6 if t == "慢一点的问题" else 0.0
            await bot.wechat.send(ALICE, Content="慢一点的问题")
            await asyncio.sleep(2.0)
            assert bot.wechat.received == {}
            assert (await bot.wechat.send(BOB, Content="快的")).reply == "收到：快的"

    run(scenario())
    assert "no permission for customer-service messages" in caplog.text


def test_too_many_messages_are_told_once_and_not_relayed():
    async def scenario():
        async with channel_running(rate_count=2, rate_seconds=30) as bot:
            replies = [(await bot.wechat.send(ALICE, Content=f"第{i}条")).reply for i in range(4)]
            assert replies == ["收到：第0条", "收到：第1条", wx.TOO_FAST, None]
            assert (await bot.wechat.send(BOB, Content="我不受影响")).reply == "收到：我不受影响"
            assert len(bot.agent.handled) == 3

    run(scenario())


# --- privacy ----------------------------------------------------------------------------------------

def test_the_store_sees_only_a_keyed_hash_and_logs_hold_no_openid_text_or_numbers(caplog):
    caplog.set_level(logging.DEBUG)
    secret_words = "我的身份证号是110101199003071234，电话13912345678"

    async def scenario():
        async with channel_running(aes=True, reply_within=0.3) as bot:
            await bot.wechat.send(ALICE, Content=secret_words)
            await bot.wechat.send(ALICE, "voice", MediaId="m", Format="amr", Recognition=secret_words)
            await bot.wechat.send(ALICE, "location", Location_X="1", Location_Y="2", Scale="1",
                                  Label="浙江省宁波市奉化区锦屏街道")
            bot.agent.delay = lambda s, t: 0.6  # late: an access token and customer-service calls
            await bot.wechat.send(BOB, Content=secret_words)
            await bot.wechat.wait_for(BOB, 1, timeout=5)
            bot.agent.mode = "error"
            await bot.wechat.send(BOB, Content=secret_words)
            await bot.wechat.wait_for(BOB, 2, timeout=5)
            senders = {sender for sender, _ in bot.agent.handled}
            assert senders == {hashed(ALICE), hashed(BOB)}

    run(scenario())
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records
    for forbidden in (ALICE, BOB, "身份证", "110101199003071234", "13912345678", "收到", "奉化",
                      SECRET, "ACCESS_TOKEN", AES_KEY, TOKEN):
        assert forbidden not in logged, forbidden
    assert hashed(BOB) in logged  # a failure names the hashed id


def test_the_access_log_never_shows_the_openid_wechat_puts_in_the_query():
    record = logging.LogRecord("sanic.access", logging.INFO, __file__, 1, "", None, None)
    record.request = f"POST http://example.org/webhooks/wechat/webhook?signature=ab&openid={ALICE}"
    assert wx._QueryFilter().filter(record)
    assert record.request == "POST http://example.org/webhooks/wechat/webhook"
    channel = wx.WeChatInput(WeChatSettings(token=TOKEN, id_key=KEY))
    channel.blueprint(lambda message: None)
    assert any(isinstance(f, wx._QueryFilter) for f in logging.getLogger("sanic.access").filters)


def test_without_app_id_and_secret_passive_replies_work_and_the_rest_is_logged(caplog):
    def script(sender, text):
        return [{"text": "很长的说明。" * 100}]

    async def scenario():
        async with channel_running(script, app_id="", app_secret="") as bot:
            delivery = await bot.wechat.send(ALICE, Content="材料")
            assert delivery.reply == "很长的说明。" * 83  # the first 498 characters, whole sentences
            await bot.wechat.quiet(ALICE, 0.5)
            assert bot.wechat.api_calls == [] and bot.wechat.vias(ALICE) == ["reply"]

    run(scenario())
    assert "1 more messages of an answer for wx-" in caplog.text


def test_the_answer_ends_its_message_and_what_came_just_before_it_may_share_it():
    """A passive reply holds one message: a correction said back goes with the answer that follows it,
    and the details never join the answer."""
    parts, _ = wx.render([{"text": "好的，已改为：残疾等级为三级。"},
                          {"text": "要问当地：护理补贴。"}, {"custom": {"answer_first": True}},
                          {"text": "重度残疾人护理补贴：要由当地决定。"}, {"text": "不符合条件的：康复救助。"}])
    assert wx.pack(parts) == ["好的，已改为：残疾等级为三级。\n要问当地：护理补贴。",
                              "重度残疾人护理补贴：要由当地决定。\n不符合条件的：康复救助。"]
