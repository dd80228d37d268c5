"""bot.channels.web without a browser: its setting, its headers, the files it serves and refuses.
(The page itself, in Chromium: tests/web, run by `make test-web`.)"""
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.channels.common import SettingsError
from bot.channels.web_settings import embed_origins

ROOT = Path(__file__).resolve().parents[1]


def test_embed_origins_are_read_and_a_bad_one_is_named():
    assert embed_origins({}) == ()
    assert embed_origins({"ZHUCAN_WEB_EMBED_ORIGINS": " https://www.example.gov.cn, http://127.0.0.1:8080/ "
                                                      "https://www.example.gov.cn"}) == (
        "https://www.example.gov.cn", "http://127.0.0.1:8080")
    for bad in ("www.example.gov.cn", "https://example.gov.cn/chat", "javascript:alert(1)", "*", "'self'"):
        with pytest.raises(SettingsError, match="ZHUCAN_WEB_EMBED_ORIGINS"):
            embed_origins({"ZHUCAN_WEB_EMBED_ORIGINS": bad})


def test_zhucan_serve_refuses_a_bad_embed_origin_before_starting_anything():
    env = {"PATH": "/usr/bin:/bin", "ZHUCAN_WEB_EMBED_ORIGINS": "https://ok.example.cn ftp://files.example.cn"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ZHUCAN_WEB_EMBED_ORIGINS: 'ftp://files.example.cn' is not a site's origin" in done.stderr


def serve(origins=()):
    pytest.importorskip("rasa")
    from bot.channels.web import WebInput

    channel = WebInput(origins)
    routes = {route.uri: route.handler for route in channel.blueprint(None)._future_routes}
    agent = SimpleNamespace(domain=SimpleNamespace(responses={"utter_forget": [{"text": "说“重新开始”。"}]}))
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))

    def get(uri, headers=None, **args):
        request = SimpleNamespace(headers=headers or {}, app=app, args={})
        return asyncio.run(routes[uri](request, **args))

    return channel, get


def test_the_page_and_its_files_come_with_a_policy_that_allows_nothing_but_them():
    channel, get = serve(("https://www.example.gov.cn",))
    page = get("/")
    policy = page.headers["Content-Security-Policy"]
    assert page.status == 200 and page.content_type == "text/html; charset=utf-8"
    assert "default-src 'self'" in policy and "frame-ancestors 'self' https://www.example.gov.cn" in policy
    assert "unsafe" not in policy
    assert b'<html lang="zh-CN">' in page.body
    again = get("/", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status == 304 and "Location" not in again.headers
    moved = get("")
    assert moved.status == 301 and moved.headers["Location"] == "chat/"
    assert "Location" not in get("/").headers  # the redirect did not leave its Location on the others
    script = get("/<name:str>", name="chat.js")
    assert script.status == 200 and script.content_type == "text/javascript; charset=utf-8"
    embed = get("/<name:str>", name="embed.js")
    assert embed.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    for name in ("chat.html", "__init__.py", "..", "credentials.yml"):
        assert get("/<name:str>", name=name).status == 404
    assert json.loads(get("/config.json").body) == {"forget_said": "说“重新开始”。"}


def test_the_static_files_hold_no_inline_script_or_style_and_no_outside_address():
    static = ROOT / "bot" / "channels" / "web" / "static"
    html = (static / "chat.html").read_text(encoding="utf-8")
    assert "<script>" not in html and not re.search(r"\s(style|on[a-z]+)=", html)
    for path in static.iterdir():
        addresses = set(re.findall(r"https?://[^\s\"'<>)]+", path.read_text(encoding="utf-8")))
        assert addresses <= {"http://www.w3.org/2000/svg", "https://HOST/chat/embed.js"}, (path.name, addresses)
