"""`zhucan chat` (`make chat`): talk to the bot in the terminal. No token, no network beyond 127.0.0.1.

    zhucan chat [--sender NAME] [--endpoints bot/endpoints.yml]

It builds the model if its inputs changed (bot.plumbing.build.ensure_model), starts the action server on a
free port of 127.0.0.1, loads the model in this process with the tracker store of the endpoints
file (SQLite, var/zhucan.db, without the words typed: bot/plumbing/tracker_store.py), and talks: one line in,
the bot's answers out as plain text (the custom payloads of CONTRACT.md section 4 are for programs, not
printed). The conversation is kept under --sender (default "terminal"), so the facts given are still
there the next time. Type 退出 or press Ctrl-D to leave; 重新开始 clears the facts; 删除我的信息 deletes the
whole conversation from the store.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

from bot.plumbing.serve import ENDPOINTS, HOST, free_port, start_actions, stop

QUIT = {"退出", "quit", "exit"}
FORGOTTEN = "已经删除。这台电脑上存下的这次对话的全部内容都删掉了：您说过的情况和系统的回答。可以重新开始。"
DEFAULT_SENDER = "terminal"


def quiet_logging() -> None:
    """Warnings and errors only, on standard error; Rasa logs messages' text at debug level."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    for name in ("tensorflow", "absl", "sanic", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import jieba  # it sets its own logger to debug when imported

    jieba.setLogLevel(logging.WARNING)
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category)


@contextlib.contextmanager
def start_up_noise_hidden():
    """Keep the libraries' start-up warnings off the screen (a screen reader would read them all);
    they are shown if start-up fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as noise:
        os.dup2(noise.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            noise.seek(0)
            sys.stderr.write(noise.read().decode(errors="replace")[-5000:])
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def endpoints_for(path: Path, action_url: str):
    """The endpoints of a file, with the action endpoint replaced."""
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    endpoints = AvailableEndpoints.read_endpoints(str(path))
    endpoints.action = EndpointConfig(action_url)
    return endpoints


async def load(model: Path, endpoints):
    from rasa.core.agent import load_agent

    from bot.plumbing.rasa_runtime import install

    install()  # the action server's replies checked against a schema checked once

    return await load_agent(str(model), endpoints=endpoints)


def render(messages: list[dict]) -> list[str]:
    """The text of the bot's messages, plain, with the button words when the text does not say them."""
    from bot.conversation.text import plain

    out = []
    for message in messages:
        text = plain(message.get("text") or "")
        words = [b.get("title", "") for b in message.get("buttons") or []]
        if words and not all(w in text for w in words):
            text += "\n可以说：" + "；".join(words) + "。"
        if text:
            out.append(text)
    return out


async def talk(agent, sender: str, stdin=sys.stdin, stdout=sys.stdout) -> None:
    greeting = agent.domain.responses["utter_greet"][0]["text"]
    forget_said = agent.domain.responses["utter_forget"][0]["text"]  # the answer to 删除我的信息
    tracker = await agent.tracker_store.retrieve(sender)
    held = tracker is not None and any(
        tracker.get_slot(s.name) is not None for s in agent.domain.slots
        if s.name not in ("requested_slot", "programs", "last_results", "session_started_metadata"))
    print(greeting, file=stdout)
    if held:
        print("上次说的情况我还记着。要看，请说：我说了什么。要清除，请说：重新开始。", file=stdout)
    print("结束请输入：退出。", file=stdout)
    while True:
        stdout.write("\n> ")
        stdout.flush()
        line = stdin.readline()
        if not line:  # Ctrl-D
            print("", file=stdout)
            return
        text = line.strip()
        if not text:
            continue
        if text.lower() in QUIT:
            return
        try:
            replies = await agent.handle_text(text, sender_id=sender)
            if any(r.get("text") == forget_said for r in replies or []):  # 删除我的信息: do it here
                from bot.channels.forget import forget_sender

                await forget_sender(agent, sender)
                replies = [{"text": FORGOTTEN}]
        except Exception:  # noqa: BLE001  keep talking; the log has the error, not the words
            logging.getLogger(__name__).exception("could not answer a message")
            replies = [{"text": "对不起，出了点问题，这句没能回答。请再说一次，或者换个说法。"}]
        print("\n\n".join(render(replies or [])), file=stdout)  # a blank line between messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhucan chat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sender", default=DEFAULT_SENDER,
                        help="the conversation to continue (default: terminal)")
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS)
    args = parser.parse_args(argv)

    print("正在准备，第一次可能要几分钟……", file=sys.stderr)
    with start_up_noise_hidden():
        quiet_logging()
        from bot.plumbing.build import ensure_model

        model = ensure_model()
    port = free_port()
    with tempfile.TemporaryFile() as log:
        actions = start_actions(port, log)
        try:
            async def run() -> None:
                with start_up_noise_hidden():
                    endpoints = endpoints_for(args.endpoints, f"http://{HOST}:{port}/webhook")
                    agent = await load(model, endpoints)
                await talk(agent, args.sender)

            asyncio.run(run())
        except KeyboardInterrupt:
            print("", file=sys.stderr)
        finally:
            stop(actions)
    return 0
