"""What the web chat's browser tests share (tests/web): the server and the page as a person uses them."""
from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = Path(__file__).resolve().parent
sys.path.insert(0, str(WEB.parent))  # tests/: local_server

AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("ZHUCAN_CHROMIUM", "/usr/bin/chromium")
# As the machine's notes run Chromium: no background traffic to Google's services, no sandbox (root).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Another site, allowed to frame the chat (ZHUCAN_WEB_EMBED_ORIGINS), and one that is not: other origins,
# served by the test on loopback like the server (Chromium keeps a page whose address is public, or
# unknown, from loading anything from a local address).
EMBEDDER = f"http://127.0.0.1:{_free_port()}"
STRANGER = f"http://127.0.0.1:{_free_port()}"
FIGURES: dict = {}

RECORDER = """
(() => {
  window.__announced = [];
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__violations.push(e.violatedDirective + " " + e.blockedURI);
  });
  const spoken = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.data;
    if (node.nodeType !== Node.ELEMENT_NODE) return "";
    if (node.closest("[aria-hidden=true]") || getComputedStyle(node).display === "none") return "";
    return node.innerText;
  };
  new MutationObserver((records) => {
    const log = document.getElementById("log");
    if (!log) return;
    for (const r of records) {
      if (!log.contains(r.target)) continue;
      if (r.type === "childList") {
        for (const n of r.addedNodes) {
          window.__announced.push({kind: "added", live: log.getAttribute("aria-live"),
                                   text: spoken(n).replace(/\\s+/g, " ").trim()});
        }
      } else if (r.type === "characterData") {
        window.__announced.push({kind: "changed", live: log.getAttribute("aria-live"), text: r.target.data});
      }
    }
  }).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""


@dataclass
class Server:
    url: str
    log: Path
    db: Path
    typed: list = field(default_factory=list)  # every message a test typed, to look for in the log

    def post(self, path: str, body: dict):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def get(self, path: str):
        """GET path as is (redirects not followed): status, headers, body."""
        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            with urllib.request.build_opener(Stay).open(self.url + path, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def events_of(self, sender: str) -> int:
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


class Chat:
    """The chat page in one browser context, driven as a person would: by the keyboard."""

    def __init__(self, context, server: Server):
        self.context, self.server = context, server
        self.page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.seen = 0  # announcements already looked at

    def open(self):
        self.page.goto(self.server.url + "/chat/")
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("() => document.getElementById('log').getAttribute('aria-live') === 'polite'")
        self.seen = len(self.announced())
        return self

    def reload(self):
        self.page.reload()
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("() => document.getElementById('log').getAttribute('aria-live') === 'polite'")
        self.seen = len(self.announced())
        return self

    def announced(self) -> list[dict]:
        return self.page.evaluate("() => window.__announced")

    def focused(self) -> str:
        return self.page.evaluate("() => document.activeElement && (document.activeElement.id || "
                                  "document.activeElement.className)")

    def log_texts(self) -> list[str]:
        return [re.sub(r"\s+", " ", t).strip() for t in self.page.locator("#log > *").all_inner_texts()]

    def type_and_send(self, text: str) -> None:
        """Type into the focused input, press Enter (the input must have the focus already)."""
        assert self.focused() == "message"
        self.server.typed.append(text)
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")

    def new_announcements(self, bot_messages: int = 1, timeout: float = 60.0) -> list[str]:
        """What was announced since the last call, once the bot has said at least `bot_messages`
        messages and the page is no longer waiting."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = self.announced()[self.seen:]
            waiting = self.page.locator("#status").inner_text().strip()
            bots = [a for a in fresh if not a["text"].startswith("您说：")]
            if len(bots) >= bot_messages and not waiting:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer in {timeout:.0f} s; announced so far: {fresh}")
            self.page.wait_for_timeout(100)
        self.seen += len(fresh)
        assert all(a["kind"] == "added" and a["live"] == "polite" for a in fresh), fresh
        return [a["text"] for a in fresh]

    def storage(self, key: str):
        return self.page.evaluate("(key) => window.localStorage.getItem(key)", key)


