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
    # Sanic 21.12 rewrites a few of its own methods when the first app of a process starts
    # (TouchUp) and fails doing it again for a second one: once done, it is not done again.
    done = all(getattr(target, "__touched__", False) for target, _ in TouchUp._registry)
    with mock.patch.object(TouchUp, "run", lambda app: None) if done else contextlib.nullcontext():
        await server.startup()
    await server.start_serving()

    async def stop():
        server.close()
        await server.wait_closed()

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
                       answer_timeout=5.0), **changes)
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
        async with channel_running() as bot:
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
