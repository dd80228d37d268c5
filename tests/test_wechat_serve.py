"""The WeChat channel as `zhucan serve` runs it: the trained model, the action server, the SQLite
store, and the WeChat stand-in (tests/wechat_standin.py) in safe mode, with its API for the access
token and customer-service messages.

Once per module: `zhucan serve` with WECHAT_* set, on free ports, its store in a temporary
directory. Each test talks as its own WeChat user. Answers are collected however they come (a
passive reply, or customer-service messages when the model is slower than four seconds).
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.channels import wechat as wx
from bot.channels.wechat_settings import WeChatSettings
from bot.plumbing.serve import HOST, free_port, wait_until_up
from bot.conversation.text import plain
from local_server import sqlite_endpoints
from wechat_standin import WeChatStandIn

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "zhucanServeToken"
APP_ID = "wx00112233445566ff"
SECRET = "ffeeddccbbaa99887766554433221100"
AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg"
ID_KEY = "wechat-serve-test-key"
SITUATION = "我爸肢体一级，在太原，能领护理补贴吗"
FIGURES: list[tuple] = []  # (seconds until the last message of an answer, how each one came)
QUIET = 1.5  # an answer is complete when nothing more has come for this long


def user(name: str) -> str:
    return f"oWeChatServeTest_{name}".ljust(28, "x")[:28]


def hashed(openid: str) -> str:
    return WeChatSettings(token=TOKEN, id_key=ID_KEY.encode()).sender(openid)


class LoopThread:
    """An event loop in a thread of its own, so that the stand-in's API keeps answering the
    server between tests."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 180):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from bot.plumbing.build import ensure_model

    ensure_model()
    tmp = tmp_path_factory.mktemp("wechat_serve")
    action_port, port = free_port(), free_port()
    endpoints = sqlite_endpoints(tmp, f"http://{HOST}:{action_port}/webhook")
    loop = LoopThread()
    wechat = loop.run(WeChatStandIn(TOKEN, APP_ID, SECRET, AES_KEY).start())
    wechat.url = f"http://{HOST}:{port}/webhooks/wechat/webhook"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "WECHAT_TOKEN": TOKEN,
           "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET, "WECHAT_ENCODING_AES_KEY": AES_KEY,
           "WECHAT_API_BASE_URL": wechat.api_base_url, "ZHUCAN_ID_KEY": ID_KEY,
           "XDG_STATE_HOME": str(tmp)}
    log_path = tmp / "serve.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
                             "--endpoints", str(endpoints)], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until_up(f"http://{HOST}:{port}/", proc, timeout=240)

        def ask(openid: str, kind: str = "text", **content) -> list[str]:
            before, start = len(wechat.texts(openid)), time.monotonic()
            texts = loop.run(wechat.answer(openid, kind, quiet=QUIET, **content))
            FIGURES.append((round(time.monotonic() - start - QUIET, 1),
                            "+".join(wechat.vias(openid)[before:])))
            return texts

        yield SimpleNamespace(wechat=wechat, loop=loop, tmp=tmp, proc=proc, log=log_path, port=port,
                              ask=ask)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        loop.run(wechat.stop())
        loop.close()


def teardown_module(module):
    if FIGURES:
        print("\nWeChat answers through zhucan serve (seconds until the last message, how each "
              "message came):", FIGURES, file=sys.stderr)


def readable(texts: list[str]) -> None:
    for text in texts:
        assert 0 < len(text) <= 500 and len(text.encode()) <= 2048, text[:80]
        assert plain(text) == text, text


def rows(served) -> bytes:
    """Every byte of the store: the database and its write-ahead log and shared memory."""
    return b"".join(f.read_bytes() for f in served.tmp.iterdir() if f.name.startswith("serve.db"))


def test_serve_runs_the_channel_in_safe_mode(served):
    with urllib.request.urlopen(f"http://{HOST}:{served.port}/webhooks/wechat/", timeout=10) as r:
        assert json.loads(r.read()) == {"status": "ok", "safe_mode": True, "customer_service": True}
    assert served.loop.run(served.wechat.handshake("1234567")) == (200, "1234567")
    status, _ = served.loop.run(served.wechat.forge(served.wechat.message(user("forged"), Content="你好")))
    assert status == 403


def test_a_complete_situation_is_answered_with_numbered_options_that_can_be_typed(served):
    alice = user("alice")
    texts = served.ask(alice, Content=SITUATION)
    readable(texts)
    assert texts[-1].endswith("\n回复 1 是，2 不是，3 不知道。"), texts
    texts = served.ask(alice, Content="1")  # the number is the option's words
    readable(texts)
    # the passive reply: what the answer rests on, then the answer, and nothing after it
    back, answer = texts[0].split("\n")
    assert back.startswith("我记下的：山西省太原市") and answer.startswith("按规定能领：护理补贴"), texts
    assert len(answer) <= 150, texts
    assert texts[1].startswith("重度残疾人护理补贴：按规定符合条件"), texts
    assert "怎么申请" in "".join(texts)
    texts = served.ask(alice, Content="为什么")  # the sources quoted: the longest answer
    readable(texts)
    assert "“" in "".join(texts) and "国发〔2015〕52号" in "".join(texts), texts
    assert served.wechat.problems == []


def test_what_can_i_get_is_asked_through_and_answered_in_several_messages(served):
    """Every programme screened: each question answered by its option number where it has
    options. The verdicts are longer than one message: the passive reply, then customer-service
    messages, in order."""
    from knowledge.facts import FACTS

    questions = {fact: spec.question for fact, spec in FACTS.items()}

    answers = {"region": "太原", "age": "四十", "has_certificate": "有", "disability_category": "肢体",
               "disability_grade": "一级", "autism": "不是", "needs_long_term_care": "是",
               "household": "低保家庭", "in_welfare_institution": "不是", "orphan": "不是",
               "employed": "没有", "exit_cause": "其他原因", "income_above_line": "不是",
               "months_above_line": "0", "months_employed": "两个月"}
    ivan = user("ivan")
    texts, asked, numbers = served.ask(ivan, Content="我能领什么补贴"), [], 0
    for _ in range(16):
        readable(texts)
        facts = [fact for fact, question in questions.items() if question in texts[-1]]
        if not facts:
            break
        assert facts[0] not in asked, f"{facts[0]} asked twice"
        asked.append(facts[0])
        options = re.search(r"\n回复 (.+)。$", texts[-1])
        words = dict(reversed(o.split(" ", 1)) for o in options.group(1).split("，")) if options else {}
        answer = words.get(answers[facts[0]], answers[facts[0]])
        numbers += answer.isdigit() and bool(words)
        texts = served.ask(ivan, Content=answer)
    answer = "\n".join(texts)
    for title in ("困难残疾人生活补贴", "重度残疾人护理补贴", "残疾儿童康复救助"):
        assert title in answer, answer
    assert numbers >= 3
    vias = served.wechat.vias(ivan)[-len(texts):]
    assert len(texts) >= 2 and vias == ["reply"] + ["custom"] * (len(texts) - 1), vias


def test_voice_with_recognition_is_read_back_and_answered(served):
    bob = user("bob")
    texts = served.ask(bob, "voice", MediaId="m1", Format="amr", Recognition=SITUATION + "。")
    readable(texts)
    assert texts[0].startswith(f"我听到的是：{SITUATION}。\n"), texts
    assert "回复 1 是，2 不是，3 不知道。" in texts[-1]
    texts = served.ask(bob, "voice", MediaId="m2", Format="amr")
    assert texts == [wx.VOICE_UNREADABLE]


def test_a_location_becomes_the_place_after_a_yes(served):
    carol = user("carol")
    texts = served.ask(carol, "location", Location_X="29.65", Location_Y="121.40", Scale="15",
                       Label="浙江省宁波市奉化区锦屏街道南山路150号")
    assert texts == ["您发来的位置在浙江省宁波市奉化区。补贴看的是户口所在地。"
                     "您的户口在浙江省宁波市奉化区吗？\n回复 1 是，2 不是。"]
    served.ask(carol, Content="1")
    review = "".join(served.ask(carol, Content="我说了什么"))
    assert "浙江省宁波市奉化区" in review, review


def test_typing_delete_my_information_deletes_it_and_says_so(served):
    dave = user("dave")
    served.ask(dave, Content=SITUATION)
    assert hashed(dave).encode() in rows(served)
    assert served.ask(dave, Content="删除我的信息") == [wx.FORGET_DONE]
    assert hashed(dave).encode() not in rows(served)


def test_unsubscribing_leaves_no_rows_in_the_database_files(served):
    erin, frank = user("erin"), user("frank")
    for openid in (erin, frank):
        served.ask(openid, Content=SITUATION)
        served.ask(openid, Content="是")
    assert hashed(erin).encode() in rows(served)
    delivery = served.loop.run(served.wechat.send(erin, "event", Event="unsubscribe"))
    assert delivery.answered and delivery.reply is None
    raw = rows(served)
    assert hashed(erin).encode() not in raw
    assert hashed(frank).encode() in raw  # the others' conversations are still there


def test_the_server_log_holds_no_openid_and_no_words(served):
    served.ask(user("grace"), Content="我的电话是13912345678，身份证110101199003071234")
    time.sleep(0.5)
    log = served.log.read_text(encoding="utf-8", errors="replace")
    for forbidden in ("oWeChatServeTest", "13912345678", "110101199003071234", "太原", SECRET, AES_KEY):
        assert forbidden not in log, forbidden


def test_with_the_action_server_down_the_person_gets_a_polite_message(served):
    """Last in this module: it stops the action server that `zhucan serve` started."""
    actions = [pid for pid in children(served.proc.pid)
               if b"rasa_sdk" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(actions) == 1
    os.kill(actions[0], signal.SIGTERM)
    deadline = time.monotonic() + 15
    while not gone(actions[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    texts = served.ask(user("heidi"), Content=SITUATION)
    assert texts == [wx.NO_REPLY], texts  # Rasa carries on without the actions and says nothing
    assert "抱歉" in texts[0] and "再发一次" in texts[0]
