"""Settings of the web chat (bot/channels/web), from the environment. Nothing here imports Rasa, so that
`zhucan serve` checks them before it starts anything.

    ZHUCAN_WEB_EMBED_ORIGINS  the sites whose pages may show the chat in a frame (/chat/embed.js):
                              origins such as https://www.example.gov.cn, separated by spaces or
                              commas; by default none but this server's own pages
"""
from __future__ import annotations

import os
import re

from bot.channels.common import SettingsError

EMBED_ENV = "ZHUCAN_WEB_EMBED_ORIGINS"
_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?")


def embed_origins(environ=os.environ) -> tuple[str, ...]:
    """The origins allowed to frame the chat, from ZHUCAN_WEB_EMBED_ORIGINS; a SettingsError that names
    a value that is not an origin."""
    origins = []
    for entry in re.split(r"[\s,]+", (environ.get(EMBED_ENV) or "").strip()):
        if not entry:
            continue
        origin = entry.rstrip("/")
        if not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"{EMBED_ENV}: {entry!r} is not a site's origin; write each as https://host "
                                "or https://host:port (no path), separated by spaces or commas")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)
