"""The Telegram front end, driven through the real python-telegram-bot stack.

A stand-in Bot API (tests/telegram_standin.py) serves updates by getUpdates and records every
sendMessage; a stand-in conversation server plays Rasa. Nothing is mocked inside PTB.
"""
import asyncio
import dataclasses
import logging
import os
import random
import re
import signal
import stat
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from telegram import Update

from bot.channels import telegram as tg
from bot.channels.telegram_settings import (Settings, SettingsError, base_file_url, load_id_key,
                                            parse_caseworkers, sender_id)
from telegram_standin import (BotApiStandIn, ConversationStandIn, echo, free_port,
                                    wait_until)

TOKEN = "123456789:TEST-token-abcdefghijklmnopqrstuvw"
KEY = b"test-id-key"
ALICE, BOB, CAROL = 700000001, 700000002, 700000003
CASEWORKER = 700000077
ROOT = Path(__file__).resolve().parents[1]


def run(coro):
    """Plain pytest, no plugin: each test runs its scenario in a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coro, 30))


@asynccontextmanager
async def bot_running(script=echo, quick_check=None, conversation=None, **changes):
    api = await BotApiStandIn().start()
    conv = await ConversationStandIn(script).start()
    settings = dataclasses.replace(
        Settings(token=TOKEN, id_key=KEY, api_base_url=api.base_url, server_url=conv.url,
                 server_timeout=5.0, caseworkers=frozenset({CASEWORKER})), **changes)
    app = tg.build_application(settings, conversation=conversation, quick_check=quick_check)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(timeout=1, allowed_updates=Update.ALL_TYPES)
    try:
        yield SimpleNamespace(api=api, conv=conv, app=app, settings=settings)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
        await conv.stop()
        await api.stop()


async def settled(bot):
    """Until every pushed update has been fetched and fully handled."""
    await bot.api.all_fetched()
    await asyncio.wait_for(bot.app.update_queue.join(), 5)


def keyboard(message):
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("keyboard", []) for b in row]


# --- relaying -------------------------------------------------------------------------------

def test_replies_are_relayed_in_order_as_plain_text():
    def script(sender, message):
        return [{"recipient_id": sender, "text": "**结论**：可以申请护理补贴 ✅"},
                {"recipient_id": sender, "custom": {"results": [{"program": "care_subsidy"}]}},
                {"recipient_id": sender, "custom": {"ask": "region"}, "text": "您的户籍在哪里？"}]

    async def scenario():
        async with bot_running(script) as bot:
            bot.api.push_text(ALICE, "我爸肢体一级，能领护理补贴吗")
            texts = await bot.api.wait_for(ALICE, 2)
            await settled(bot)
            assert texts == ["结论：可以申请护理补贴", "您的户籍在哪里？"]
            assert all("parse_mode" not in m and "entities" not in m for m in bot.api.sent)
            assert bot.conv.messages() == ["我爸肢体一级，能领护理补贴吗"]
            actions = [p for method, p in bot.api.calls if method == "sendChatAction"]
            assert actions and actions[0]["action"] == "typing"
            assert [p["commands"] for m, p in bot.api.calls if m == "setMyCommands"][0] == [
                {"command": c.command, "description": c.description} for c in tg.COMMANDS]

    run(scenario())


def test_a_long_reply_is_split_at_sentence_ends():
    long_text = "".join(f"第{i}条：申请时请带上残疾人证和户口本，到街道办理。" for i in range(40))

    async def scenario():
        async with bot_running(lambda s, m: [{"recipient_id": s, "text": long_text}]) as bot:
            bot.api.push_text(ALICE, "要带什么材料")
            await bot.api.wait_for(ALICE, 2)
            await settled(bot)
            parts = bot.api.texts(ALICE)
            assert len(parts) >= 3
            assert all(len(p) <= 500 and p.endswith("。") for p in parts)
            assert "".join(parts) == long_text

    run(scenario())


def test_buttons_become_a_reply_keyboard_of_words_one_could_type():
    buttons = [{"title": "是", "payload": "/affirm"}, {"title": "不是", "payload": "/deny"},
               {"title": "👍", "payload": "/affirm"}, {"title": "/restart", "payload": "/restart"},
               {"title": "**不知道**", "payload": "/dont_know"}]

    def script(sender, message):
        if message == "有证":
            return [{"recipient_id": sender, "text": "好的。"}]
        return [{"recipient_id": sender, "text": "很长的说明。" * 100},
                {"recipient_id": sender, "text": "有残疾人证吗？", "buttons": buttons}]

    async def scenario():
        async with bot_running(script) as bot:
            bot.api.push_text(ALICE, "护理补贴")
            await bot.api.wait_for(ALICE, 3)
            first, *_, end_of_first_reply, last = bot.api.to(ALICE)
            assert last["text"] == "有残疾人证吗？"
            assert keyboard(last) == ["是", "不是", "不知道"]
            assert last["reply_markup"]["one_time_keyboard"] is True
            assert last["reply_markup"]["resize_keyboard"] is True
            assert end_of_first_reply["reply_markup"] == {"remove_keyboard": True}
            assert "reply_markup" not in first  # only the last part of a reply carries markup
            bot.api.push_text(ALICE, "有证")  # typing instead of pressing works the same
            texts = await bot.api.wait_for(ALICE, 4)
            assert texts[-1] == "好的。"
            assert bot.api.to(ALICE)[-1]["reply_markup"] == {"remove_keyboard": True}

    run(scenario())


def test_an_empty_answer_is_not_silence():
    async def scenario():
        async with bot_running(lambda s, m: []) as bot:
            bot.api.push_text(ALICE, "嗯")
            assert await bot.api.wait_for(ALICE, 1) == [tg.NO_ANSWER]

    run(scenario())


# --- commands -------------------------------------------------------------------------------

def test_start_help_and_unknown_commands():
    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(ALICE, "/start")
            bot.api.push_text(ALICE, "/help")
            bot.api.push_text(ALICE, "/nonsense")
            start, help_text, unknown = await bot.api.wait_for(ALICE, 3)
            assert "/forget" in start and "决定" in start
            assert len(re.findall(r"[。！？]", help_text)) == 2 and help_text.endswith("。")
            assert "我爸在太原，肢体一级，能领护理补贴吗" in help_text
            assert "/help" in unknown
            assert bot.conv.requests == []

    run(scenario())


def test_restart_tells_the_server_to_start_over():
    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(ALICE, "/restart")
            texts = await bot.api.wait_for(ALICE, 2)
            assert texts[0] == tg.RESTART_DONE
            assert bot.conv.requests == [{"sender": sender_id(KEY, ALICE), "message": "/restart"}]

    run(scenario())


def test_a_leading_slash_is_not_passed_on_as_a_rasa_intent():
    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(ALICE, "/你好")  # no bot_command entity: plain text to Telegram
            await bot.api.wait_for(ALICE, 1)
            assert bot.conv.messages() == ["你好"]

    run(scenario())


# --- caseworkers ----------------------------------------------------------------------------

def test_check_answers_caseworkers_and_politely_refuses_everyone_else():
    asked = []

    async def quick_check(situation):
        asked.append(situation)
        return ["困难残疾人生活补贴：按规定符合条件，可以申请。", "重度残疾人护理补贴：按规定不符合条件。"]

    async def scenario():
        async with bot_running(quick_check=quick_check) as bot:
            bot.api.push_text(ALICE, "/check 太原 肢体一级 低保")
            refusal = await bot.api.wait_for(ALICE, 1)
            assert refusal == [tg.CHECK_REFUSED] and "社工" in refusal[0]
            bot.api.push_text(CASEWORKER, "/check 太原 肢体一级 低保")
            assert await bot.api.wait_for(CASEWORKER, 2) == [
                "困难残疾人生活补贴：按规定符合条件，可以申请。", "重度残疾人护理补贴：按规定不符合条件。"]
            bot.api.push_text(CASEWORKER, "/check")  # the situation comes in the next message
            bot.api.push_text(CASEWORKER, "大同，视力二级，有证")
            texts = await bot.api.wait_for(CASEWORKER, 5)
            assert texts[2] == tg.CHECK_PROMPT
            assert asked == ["太原 肢体一级 低保", "大同，视力二级，有证"]
            assert bot.conv.requests == []  # a check is not a conversation

    run(scenario())


def test_check_by_default_runs_the_real_quick_check_without_the_bot_server():
    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(CASEWORKER, "/check 崇明，孩子5岁，孤独症，有证")
            texts = await bot.api.wait_for(CASEWORKER, 6)
            assert texts[0].startswith("读到的情况：户籍在上海市崇明区，5岁")
            assert any(t.startswith("残疾儿童康复救助：") for t in texts[1:])
            assert bot.conv.requests == []

    run(scenario())


def test_a_slow_check_does_not_hold_up_the_other_chats():
    """The engine computes in a worker thread: while a check blocks for a second, Alice's
    message is answered at once."""
    import threading
    import time as clock

    release = threading.Event()
    threads = []

    def slow_check(situation):  # blocking, like the engine on its first call
        threads.append(threading.current_thread().name)
        release.wait(10)
        return ["核查完成。"]

    async def scenario():
        async with bot_running(quick_check=slow_check) as bot:
            bot.api.push_text(CASEWORKER, "/check 太原 肢体一级")
            await wait_until(lambda: threads, what="the check to start")
            started = clock.monotonic()
            bot.api.push_text(ALICE, "我在太原")
            assert await bot.api.wait_for(ALICE, 1) == ["收到：我在太原"]
            assert clock.monotonic() - started < 1.0
            assert bot.api.texts(CASEWORKER) == []  # the check is still running
            release.set()
            assert await bot.api.wait_for(CASEWORKER, 1) == ["核查完成。"]
            assert threads[0].startswith("zhucan-check")

    run(scenario())


def test_a_check_that_never_ends_is_reported_not_awaited_forever():
    import threading

    stuck = threading.Event()

    def endless(situation):
        stuck.wait(5)
        return ["太晚了。"]

    async def scenario():
        async with bot_running(quick_check=endless, check_timeout=0.3) as bot:
            bot.api.push_text(CASEWORKER, "/check 太原 肢体一级")
            assert await bot.api.wait_for(CASEWORKER, 1) == [tg.CHECK_FAILED]
            stuck.set()

    run(scenario())


def test_a_bare_check_waits_for_the_situation_only_for_a_while():
    asked = []

    async def quick_check(situation):
        asked.append(situation)
        return ["核查完成。"]

    async def scenario():
        async with bot_running(quick_check=quick_check, check_wait=0.3) as bot:
            bot.api.push_text(CASEWORKER, "/check")
            assert await bot.api.wait_for(CASEWORKER, 1) == [tg.CHECK_PROMPT]
            await asyncio.sleep(0.5)  # the caseworker went away; this is a new conversation
            bot.api.push_text(CASEWORKER, "我在太原")
            assert (await bot.api.wait_for(CASEWORKER, 2))[1] == "收到：我在太原"
            assert asked == [] and bot.conv.messages() == ["我在太原"]
            bot.api.push_text(CASEWORKER, "/check")  # within the wait it is the situation
            bot.api.push_text(CASEWORKER, "大同，视力二级")
            assert (await bot.api.wait_for(CASEWORKER, 4))[3] == "核查完成。"
            assert asked == ["大同，视力二级"]

    run(scenario())


# --- privacy --------------------------------------------------------------------------------

def test_forget_deletes_the_conversation_and_raw_ids_never_reach_the_server():
    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(ALICE, "我在太原")
            bot.api.push_text(BOB, "我在大同")
            await bot.api.wait_for(ALICE, 1)
            await bot.api.wait_for(BOB, 1)
            hashed = sender_id(KEY, ALICE)
            assert re.fullmatch(r"tg-[0-9a-f]{32}", hashed)
            assert hashed in bot.conv.store
            bot.api.push_text(ALICE, "/forget")
            texts = await bot.api.wait_for(ALICE, 2)
            assert texts[-1] == tg.FORGET_DONE
            assert bot.conv.forgotten == [hashed]
            assert hashed not in bot.conv.store and sender_id(KEY, BOB) in bot.conv.store
            for raw in bot.conv.raw:
                for user in (ALICE, BOB):
                    assert str(user).encode() not in raw

    run(scenario())


def test_forget_never_claims_a_deletion_that_did_not_happen():
    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(ALICE, "我在太原")
            await bot.api.wait_for(ALICE, 1)
            bot.conv.mode = "error"
            bot.api.push_text(ALICE, "/forget")
            texts = await bot.api.wait_for(ALICE, 2)
            assert texts[-1] == tg.FORGET_FAILED and "没有删除" in texts[-1]
            assert sender_id(KEY, ALICE) in bot.conv.store

    run(scenario())


def test_logs_hold_no_message_text_no_raw_id_and_no_token(caplog):
    caplog.set_level(logging.DEBUG)
    secret_words = "我的身份证号是一二三"

    async def scenario():
        async with bot_running() as bot:
            bot.api.push_text(ALICE, secret_words)
            bot.api.push_text(BOB, "/forget")
            await bot.api.wait_for(ALICE, 1)
            await bot.api.wait_for(BOB, 1)
            bot.conv.mode = "error"
            bot.api.push_text(ALICE, secret_words)
            await bot.api.wait_for(ALICE, 2)

    run(scenario())
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records  # something was logged, just not these:
    for forbidden in (secret_words, "收到", str(ALICE), str(BOB), TOKEN, TOKEN.split(":")[1]):
        assert forbidden not in logged
    assert sender_id(KEY, ALICE) in logged  # the hashed id is what identifies a chat in logs


# --- robustness -----------------------------------------------------------------------------

def test_each_chat_in_order_while_chats_run_concurrently():
    rng = random.Random(4)

    async def scenario():
        async with bot_running() as bot:
            bot.conv.delay = lambda sender, message: rng.uniform(0.01, 0.08)
            chats = (ALICE, BOB, CAROL)
            for i in range(5):
                for chat in chats:
                    bot.api.push_text(chat, f"{chat}-{i}")
            for chat in chats:
                texts = await bot.api.wait_for(chat, 5)
                assert texts == [f"收到：{chat}-{i}" for i in range(5)]
            assert bot.conv.max_in_flight_per_sender == 1  # one chat: strictly one at a time
            assert bot.conv.max_in_flight >= 2  # different chats: at the same time

    run(scenario())


@pytest.mark.parametrize("failure", ["down", "error", "slow"])
def test_a_failing_server_gets_an_apology_and_a_retry_hint(failure):
    changes = {"server_url": f"http://127.0.0.1:{free_port()}"} if failure == "down" else {}

    async def scenario():
        async with bot_running(server_timeout=0.3, **changes) as bot:
            bot.conv.mode = "ok" if failure == "down" else failure
            bot.api.push_text(ALICE, "能领补贴吗")
            texts = await bot.api.wait_for(ALICE, 1, timeout=5)
            assert texts == [tg.SERVER_FAILED]
            assert "抱歉" in texts[0] and "再发一次" in texts[0]
            bot.conv.mode = "ok"
            if failure != "down":  # the server is back: the same chat works again
                bot.api.push_text(ALICE, "能领补贴吗")
                assert (await bot.api.wait_for(ALICE, 2))[-1] == "收到：能领补贴吗"

    run(scenario())


def test_a_message_sent_while_the_server_is_stopping_gets_an_apology_within_seconds():
    """Issue 16's outside check: a message sent while the conversation server was stopping got no reply
    within 60 s. A stopping server closes its door first and may keep a connection it accepted without
    ever answering on it; the front end then waited for its whole timeout (30 s, counted per step of
    the exchange), with "typing..." on. Now it asks the server whether it is still there after a few
    seconds, and with the default timeout the person hears within seconds."""
    from bot.channels.conversation import PROBE_EVERY, PROBE_TIMEOUT

    async def scenario():
        async with bot_running(server_timeout=Settings.server_timeout) as bot:
            assert bot.settings.server_timeout == 30.0  # the default, as `zhucan telegram` runs
            bot.conv.mode = "stopping"
            started = time.monotonic()
            bot.api.push_text(ALICE, "我爸肢体一级，能领护理补贴吗")
            assert await bot.api.wait_for(ALICE, 1, timeout=PROBE_EVERY + PROBE_TIMEOUT + 3) == [tg.SERVER_FAILED]
            assert time.monotonic() - started < PROBE_EVERY + PROBE_TIMEOUT + 2
            assert bot.conv.messages() == ["我爸肢体一级，能领护理补贴吗"]  # it was taken, then never answered

    run(scenario())


def test_a_server_that_accepts_and_never_reads_gets_an_apology_within_seconds():
    """A process that no longer accepts connections while its socket still listens (the kernel
    completes the handshake for it): nothing ever comes back."""
    import socket

    from bot.channels.conversation import PROBE_EVERY, PROBE_TIMEOUT

    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)

        async def scenario():
            async with bot_running(server_timeout=30.0,
                                   server_url=f"http://127.0.0.1:{hole.getsockname()[1]}") as bot:
                started = time.monotonic()
                bot.api.push_text(ALICE, "能领补贴吗")
                assert await bot.api.wait_for(ALICE, 1, timeout=PROBE_EVERY + PROBE_TIMEOUT + 3) == [
                    tg.SERVER_FAILED]
                assert time.monotonic() - started < PROBE_EVERY + PROBE_TIMEOUT + 2

        run(scenario())


def test_a_message_behind_one_that_hangs_is_answered_within_the_timeout_of_its_own_arrival(monkeypatch):
    """The server is up but one conversation hangs (an action server that never answers holds the
    conversation's lock). Each message of a chat waits for the one before it; the second one is
    still answered within the timeout counted from when it arrived, not two timeouts later."""
    monkeypatch.setattr(tg, "LAST_TRY", 0.5)

    async def scenario():
        async with bot_running(server_timeout=2.0) as bot:
            bot.conv.mode = "hang"
            started = time.monotonic()
            bot.api.push_text(ALICE, "第一条")
            bot.api.push_text(ALICE, "第二条")
            assert await bot.api.wait_for(ALICE, 2, timeout=6) == [tg.SERVER_FAILED, tg.SERVER_FAILED]
            assert time.monotonic() - started < 2.0 + 0.5 + 1.0  # not 2 x 2 s
            assert bot.conv.messages() == ["第一条", "第二条"]

    run(scenario())


def test_an_unexpected_failure_still_gets_an_answer_and_logs_no_content(caplog):
    class Broken:  # an injected conversation whose error message quotes the user
        async def send(self, sender, text):
            raise RuntimeError(f"cannot parse {text}")

        async def forget(self, sender):
            return True

    async def failing_check(situation):
        raise RuntimeError(f"no idea about {situation}")

    async def scenario():
        async with bot_running(conversation=Broken(), quick_check=failing_check) as bot:
            bot.api.push_text(ALICE, "秘密的话")
            bot.api.push_text(CASEWORKER, "/check 秘密的情况")
            assert await bot.api.wait_for(ALICE, 1) == [tg.SERVER_FAILED]
            assert await bot.api.wait_for(CASEWORKER, 1) == [tg.CHECK_FAILED]

    run(scenario())
    assert "RuntimeError" in caplog.text
    assert "秘密" not in caplog.text and str(ALICE) not in caplog.text


def test_photos_stickers_voice_and_edits_get_a_helpful_reply():
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
    sticker = {"file_id": "s1", "file_unique_id": "u2", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}
    voice = {"file_id": "v1", "file_unique_id": "u3", "duration": 3}

    async def scenario():
        async with bot_running() as bot:
            bot.api.push("message", ALICE, photo=photo, caption="看看这个")
            bot.api.push("message", ALICE, sticker=sticker)
            bot.api.push("message", ALICE, voice=voice)
            bot.api.push("edited_message", ALICE, text="改过的话")
            texts = await bot.api.wait_for(ALICE, 4)
            assert texts == [tg.NOT_TEXT] * 3 + [tg.EDITED]
            assert "文字" in tg.NOT_TEXT
            await settled(bot)
            assert bot.conv.requests == []

    run(scenario())


def test_rate_limit_notifies_once_and_does_not_relay_the_excess():
    async def scenario():
        async with bot_running(rate_count=3, rate_seconds=30) as bot:
            for i in range(7):
                bot.api.push_text(ALICE, f"第{i}条")
            bot.api.push_text(BOB, "我不受影响")
            await bot.api.wait_for(ALICE, 4)
            await bot.api.wait_for(BOB, 1)
            await settled(bot)
            assert bot.api.texts(ALICE) == ["收到：第0条", "收到：第1条", "收到：第2条", tg.TOO_FAST]
            assert sorted(bot.conv.messages()) == sorted(["第0条", "第1条", "第2条", "我不受影响"])

    run(scenario())


# --- settings and running -------------------------------------------------------------------

def test_missing_token_exits_with_2_and_says_what_to_do(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert tg.main([]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_a_bad_caseworker_id_is_a_startup_error_that_names_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ZHUCAN_CASEWORKERS", "123, zhang")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert tg.main([]) == 2
    assert "'zhang'" in capsys.readouterr().err
    assert parse_caseworkers(" 12 ,34,, ") == {12, 34}
    with pytest.raises(SettingsError):
        parse_caseworkers("-5")


def test_settings_key_file_and_urls(tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path)}
    settings = Settings.from_env(env)
    key_file = tmp_path / "zhucan" / "id.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings.from_env(env).id_key == settings.id_key == load_id_key(env)  # stable
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert TOKEN not in repr(settings)
    assert load_id_key({"ZHUCAN_ID_KEY": "k"}) == b"k"
    assert base_file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert base_file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert sender_id(b"a", 1) != sender_id(b"b", 1) and sender_id(b"a", 1) != sender_id(b"a", 2)


def test_webhook_mode_receives_updates_only_with_the_secret():
    async def scenario():
        api = await BotApiStandIn().start()
        conv = await ConversationStandIn().start()
        settings = Settings(token=TOKEN, id_key=KEY, api_base_url=api.base_url,
                            server_url=conv.url)
        app = tg.build_application(settings)
        port, stop = free_port(), asyncio.Event()
        url = f"http://127.0.0.1:{port}/telegram/hook"
        server = asyncio.create_task(tg.serve_webhook(app, url, "127.0.0.1", port, "s3cret", stop))
        try:
            await wait_until(lambda: api.webhook is not None, what="setWebhook")
            assert api.webhook["url"] == url and api.webhook["secret_token"] == "s3cret"
            update = {"update_id": 1, "message": {
                "message_id": 1, "date": 0, "text": "你好",
                "chat": {"id": ALICE, "type": "private"},
                "from": {"id": ALICE, "is_bot": False, "first_name": "用户"}}}
            async with httpx.AsyncClient() as client:
                refused = await client.post(url, json=update)
                accepted = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            assert refused.status_code == 403 and accepted.status_code == 200
            assert await api.wait_for(ALICE, 1) == ["收到：你好"]
        finally:
            stop.set()
            await server
            await conv.stop()
            await api.stop()

    run(scenario())


def test_zhucan_telegram_runs_by_long_polling_and_stops_cleanly(tmp_path):
    """main() as `zhucan telegram` runs it: run_polling in its own process, stopped by SIGINT."""
    async def scenario():
        api = await BotApiStandIn().start()
        conv = await ConversationStandIn().start()
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
               "ZHUCAN_SERVER_URL": conv.url, "XDG_STATE_HOME": str(tmp_path),
               "PYTHONPATH": str(ROOT)}
        env.pop("ZHUCAN_ID_KEY", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import sys; from bot.channels.telegram import main; "
                                  "sys.exit(main([]))",
            env=env, cwd=str(ROOT), stderr=asyncio.subprocess.PIPE)
        try:
            api.push_text(ALICE, "我在太原")
            assert await api.wait_for(ALICE, 1, timeout=20) == ["收到：我在太原"]
            assert any(method == "setMyCommands" for method, _ in api.calls)
            updates_calls = [p for m, p in api.calls if m == "getUpdates"]
            assert set(updates_calls[-1]["allowed_updates"]) == set(Update.ALL_TYPES)
            process.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(process.wait(), 15)
            stderr = (await process.stderr.read()).decode()
            assert code == 0, stderr
            assert "我在太原" not in stderr and TOKEN not in stderr and str(ALICE) not in stderr
            assert stat.S_IMODE((tmp_path / "zhucan" / "id.key").stat().st_mode) == 0o600
            assert conv.requests[0]["sender"] == sender_id(
                (tmp_path / "zhucan" / "id.key").read_bytes().strip(), ALICE)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await conv.stop()
            await api.stop()

    run(scenario())
