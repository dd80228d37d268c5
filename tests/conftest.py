"""Shared pytest hooks, and the conversation's session fixtures (the trained model, the action server, the
agent on a temporary store: `bot`), shared by tests/test_conversation.py and tests/test_conversation_sets.py.

NLU figures (tests/test_nlu_model.py) and the stress-set tables (tests/test_nlu_stress.py): printed at
the end of every run that measured them, whatever the output capturing (-s or not), so that `make test`
shows them.
"""
import asyncio
import time
from pathlib import Path

import pytest



def pytest_configure(config):
    config.addinivalue_line("markers", "slow: trains a model or starts servers (runs once per session)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    scores = getattr(config, "zhucan_nlu_scores", None)
    if scores:
        terminalreporter.section("NLU scores")
        for line in scores.splitlines():
            terminalreporter.write_line(line)
    played = getattr(config, "zhucan_conversation_scores", None)
    if played:
        terminalreporter.section("Whole conversations (tests/nlu/conversations_*)")
        for line in played.splitlines():
            terminalreporter.write_line(line)
    replies = getattr(config, "zhucan_replies_scores", None)
    if replies:
        terminalreporter.section("Replies to a closed question (tests/nlu/replies_blind.yml)")
        for line in replies.splitlines():
            terminalreporter.write_line(line)
    stress = getattr(config, "zhucan_stress_scores", None)
    if stress:
        terminalreporter.section("NLU stress set")
        for line in stress.splitlines():
            terminalreporter.write_line(line)


# --- the conversation, once per session --------------------------------------------------------------


def _talk():
    from talk import FIGURES, Bot, load_agent

    return FIGURES, Bot, load_agent


@pytest.fixture(scope="session")
def model() -> Path:
    from bot.channels.chat import quiet_logging
    from bot.plumbing.build import ensure_model

    FIGURES = _talk()[0]
    quiet_logging()
    start = time.monotonic()
    path = ensure_model()
    FIGURES["ensure_model_s"] = round(time.monotonic() - start, 1)
    return path


@pytest.fixture(scope="session")
def action_url(tmp_path_factory):
    from bot.plumbing.serve import HOST, free_port, start_actions, stop

    port = free_port()
    log = open(tmp_path_factory.mktemp("actions") / "actions.log", "wb")
    proc = start_actions(port, log)
    yield f"http://{HOST}:{port}/webhook"
    stop(proc)
    log.close()


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state") / "zhucan.db"


@pytest.fixture(scope="session")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def bot(model, action_url, store, loop):
    FIGURES, Bot, load_agent = _talk()
    start = time.monotonic()
    agent = load_agent(model, action_url, store, loop)
    FIGURES["load_s"] = round(time.monotonic() - start, 1)
    return Bot(agent, loop)


