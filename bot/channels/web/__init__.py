"""The web chat: a page at /chat/ that talks to the REST channel, and a script that puts it on another page.

Registered in bot/credentials.yml (`bot.channels.web.WebInput:`), so that `zhucan serve` serves:

    GET /chat            -> a redirect to chat/ (the page's files and calls are relative to it)
    GET /chat/           the page (static/chat.html): plain HTML, CSS and JS, no build step
    GET /chat/<file>     its script, style sheet and settings script (static/)
    GET /chat/embed.js   for another site: <script src="https://HOST/chat/embed.js" defer></script>
                         puts the chat where the script stands, in an iframe
    GET /chat/config.json  what the page needs from the conversation: the words of its answer to
                         "删除我的信息" (so the page deletes, as the button does)

The page itself sends messages to /webhooks/rest/webhook (with a message_id) and deletes with
/webhooks/zhucan/forget; the sender id is "web-" and a random UUID kept in the browser.

Every page response carries a strict Content-Security-Policy (nothing but this server's own files,
no inline script or style), so the page makes no third-party request. Another site may show the chat
in a frame only when its origin is listed in ZHUCAN_WEB_EMBED_ORIGINS (space or comma separated, e.g.
"https://www.example.gov.cn"); by default only this server's own pages may.

Nothing here logs what people say: the page's requests carry no message in their URLs.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.web_settings import embed_origins

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
# The page's files; nothing else under static/ is served.
FILES = ("chat.html", "chat.js", "chat.css", "settings.js", "embed.js", "icon.svg")
FORGET_RESPONSE = "utter_forget"


def content_security_policy(origins: tuple[str, ...] = ()) -> str:
    """This server's files only: no inline script or style, no other site; framed by `origins`."""
    ancestors = " ".join(("'self'",) + origins)
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; font-src 'self'; media-src 'none'; object-src 'none'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")


@dataclass(frozen=True)
class File:
    body: bytes
    content_type: str
    etag: str


def load_files() -> dict[str, File]:
    files = {}
    for name in FILES:
        body = (STATIC / name).read_bytes()
        files[name] = File(body, TYPES[Path(name).suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return files


class WebInput(InputChannel):
    """Serves the web chat's files at /chat/ (see the module's docstring); the conversation itself goes
    through the REST and forget channels."""

    def __init__(self, origins: tuple[str, ...] = ()):
        self.origins = origins
        self.files = load_files()
        self.headers = {
            "Content-Security-Policy": content_security_policy(origins),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "WebInput":
        return cls(embed_origins())

    def url_prefix(self) -> str:
        return "/chat"  # Rasa joins it to /webhooks/: an absolute path stays as it is

    def send(self, request: Request, name: str) -> HTTPResponse:
        file = self.files[name]
        headers = {**self.headers, "ETag": file.etag, "Cache-Control": "no-cache"}
        if name == "embed.js":  # loaded by other sites' pages
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            headers["Access-Control-Allow-Origin"] = "*"
        if request.headers.get("If-None-Match") == file.etag:
            return response.empty(status=304, headers=headers)
        return response.raw(file.body, content_type=file.content_type, headers=headers)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint("zhucan_web", __name__)

        @web.route("", methods=["GET"], strict_slashes=True)
        async def bare(request: Request) -> HTTPResponse:
            # relative, so that it also holds behind a proxy that serves the chat under a path
            return response.redirect("chat/", status=301, headers=dict(self.headers))  # it adds Location

        @web.route("/", methods=["GET"], strict_slashes=True)
        async def page(request: Request) -> HTTPResponse:
            return self.send(request, "chat.html")

        @web.route("/config.json", methods=["GET"])
        async def config(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            said = None
            try:
                said = agent.domain.responses[FORGET_RESPONSE][0]["text"]
            except (AttributeError, KeyError, IndexError, TypeError):
                pass
            return response.json({"forget_said": said}, headers={**self.headers, "Cache-Control": "no-store"})

        @web.route("/<name:str>", methods=["GET"])
        async def file(request: Request, name: str) -> HTTPResponse:
            if name not in self.files or name == "chat.html":
                return response.text("not found", status=404, headers=dict(self.headers))
            return self.send(request, name)

        return web
