"""Settings of the Telegram front end, from the environment (CONTRACT.md section 5).

Also the one place that turns a Telegram chat id into the id the conversation server sees:
a keyed hash (bot.channels.common.hashed_id), so that a leaked tracker store does not say who
talked to the bot, while one chat still keeps one conversation.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from bot.channels.common import SettingsError, hashed_id, load_id_key, parse_rate
from bot.channels.conversation import server_timeout, server_url

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


def parse_caseworkers(raw: str | None) -> frozenset[int]:
    """'123, 456' -> {123, 456}; anything but a number is an error that names it."""
    ids = set()
    for entry in (raw or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        if not entry.isascii() or not entry.isdigit():
            raise SettingsError(f"ZHUCAN_CASEWORKERS: {entry!r} is not a Telegram user id "
                                "(user ids are numbers, separated by commas)")
        ids.add(int(entry))
    return frozenset(ids)


def base_file_url(base_url: str) -> str:
    """The file URL that belongs to a Bot API base URL: .../bot -> .../file/bot."""
    i = base_url.rfind("/bot")
    return base_url[:i] + "/file" + base_url[i:] if i >= 0 else base_url


def sender_id(key: bytes, chat_id: int) -> str:
    """The conversation id for a chat: 'tg-' + 32 hex digits of HMAC-SHA256(key, chat id)."""
    return hashed_id(key, "tg-", chat_id)


@dataclass(frozen=True)
class Settings:
    token: str
    id_key: bytes = field(repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    caseworkers: frozenset[int] = frozenset()
    server_url: str = "http://127.0.0.1:5005"
    server_timeout: float = 30.0
    rate_count: int = 8
    rate_seconds: float = 30.0
    max_concurrent: int = 64
    check_wait: float = 300.0  # seconds a bare /check waits for the situation in the next message
    check_timeout: float = 60.0  # seconds a quick check may take before the caseworker is told

    def __repr__(self) -> str:  # never print the token
        return (f"Settings(api_base_url={self.api_base_url!r}, server_url={self.server_url!r}, "
                f"caseworkers={len(self.caseworkers)})")

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        token = (environ.get("TELEGRAM_BOT_TOKEN") or "").strip()
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in "
                                "Telegram and put the token it gives you in TELEGRAM_BOT_TOKEN.")
        try:
            timeout = server_timeout(environ)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        count, seconds = parse_rate(environ.get("ZHUCAN_RATE_LIMIT"))
        caseworkers = parse_caseworkers(environ.get("ZHUCAN_CASEWORKERS"))
        return cls(  # the key file is created last, once everything else is known to be valid
            token=token,
            id_key=load_id_key(environ),
            api_base_url=(environ.get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL).strip(),
            caseworkers=caseworkers,
            server_url=server_url(environ),
            server_timeout=timeout,
            rate_count=count,
            rate_seconds=seconds,
        )
