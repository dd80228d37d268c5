"""The web chat in a real browser: `zhucan serve` on free ports, Debian's Chromium driven by Playwright.

Run by `make test-web` (ZHUCAN_WEB=1), which installs Chromium, Playwright and axe-core first; plain
`make test` skips these tests, so that it needs no browser.

Each test gets a fresh browser context (its own localStorage) and a `Chat` around its page. What a screen
reader would announce is read off the page itself: a MutationObserver, installed before the page's own
scripts run, records every node added to the log, with the log's aria-live at that moment (additions to a
polite live region are announced; additions while it is "off" are not), and every text changed in place.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webchat import AXE, CHROMIUM, EMBEDDER, FIGURES, FLAGS, RECORDER, ROOT, WEB, Chat, Server


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ZHUCAN_WEB") == "1":
        return
    skip = pytest.mark.skip(reason="the web chat in a real browser: run `make test-web`")
    for item in items:
        if WEB in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    from bot.plumbing.build import ensure_model
    from bot.plumbing.serve import HOST, free_port, wait_until_up
    from local_server import sqlite_endpoints

    ensure_model()
    directory = tmp_path_factory.mktemp("web")
    action_port, port = free_port(), free_port()
    endpoints = sqlite_endpoints(directory, f"http://{HOST}:{action_port}/webhook")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "ZHUCAN_WEB_EMBED_ORIGINS": EMBEDDER}
    log_path = directory / "serve.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--endpoints",
                             str(endpoints)], cwd=ROOT, env=env, stdout=log, stderr=log)
    start = time.monotonic()
    try:
        wait_until_up(f"http://{HOST}:{port}/", proc, timeout=300)
        FIGURES["serve_up_s"] = round(time.monotonic() - start, 1)
        yield Server(f"http://{HOST}:{port}", log_path, directory / "serve.db")
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test-web` installs Debian's package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        FIGURES["chromium"] = browser.version
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: `make test-web` installs it (npm ci in tests/web)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def chat_factory(browser, server):
    contexts = []

    def make(**options) -> Chat:
        options.setdefault("viewport", {"width": 1024, "height": 768})
        context = browser.new_context(locale="zh-CN", **options)
        context.add_init_script(RECORDER)
        contexts.append(context)
        return Chat(context, server)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def chat(chat_factory) -> Chat:
    return chat_factory().open()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if FIGURES:
        terminalreporter.section("Web chat")
        for key, value in FIGURES.items():
            terminalreporter.write_line(f"{key}: {json.dumps(value, ensure_ascii=False)}")
