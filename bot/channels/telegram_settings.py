"""Settings of the Telegram front end, from the environment (CONTRACT.md section 5).

Also the one place that turns a Telegram chat id into the id the conversation server sees:
a keyed hash, so that a leaked tracker store does not say who talked to the bot, while one
chat still keeps one conversation.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.conversation import server_timeout, server_url

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class SettingsError(Exception):
    """A missing or malformed setting: the front end cannot start."""


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


def parse_rate(raw: str | None) -> tuple[int, float]:
    """'8/30' -> 8 messages per 30 seconds."""
    if not raw:
        return 8, 30.0
    try:
        count, seconds = raw.split("/")
        count, seconds = int(count), float(seconds)
    except ValueError:
        raise SettingsError(f"ZHUCAN_RATE_LIMIT={raw!r}: write it as MESSAGES/SECONDS, "
                            "for example 8/30") from None
    if count < 1 or seconds <= 0:
        raise SettingsError(f"ZHUCAN_RATE_LIMIT={raw!r}: both numbers must be positive")
    return count, seconds


def base_file_url(base_url: str) -> str:
    """The file URL that belongs to a Bot API base URL: .../bot -> .../file/bot."""
    i = base_url.rfind("/bot")
    return base_url[:i] + "/file" + base_url[i:] if i >= 0 else base_url


def key_path(environ=os.environ) -> Path:
    state = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "zhucan" / "id.key"


def load_id_key(environ=os.environ) -> bytes:
    """ZHUCAN_ID_KEY, or a random key kept in a 0600 file so ids stay stable across restarts."""
    if environ.get("ZHUCAN_ID_KEY"):
        return environ["ZHUCAN_ID_KEY"].encode()
    path = key_path(environ)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes().strip()
        else:
            key = secrets.token_hex(32).encode()
            with os.fdopen(fd, "wb") as f:
                f.write(key + b"\n")
            logger.info("created a new id key in %s", path)
    except OSError as exc:
        raise SettingsError(f"cannot read or create the id key {path}: {exc.strerror}; "
                            "set ZHUCAN_ID_KEY instead") from None
    if not key:
        raise SettingsError(f"the id key file {path} is empty; delete it or set ZHUCAN_ID_KEY")
    if path.stat().st_mode & 0o077:
        logger.warning("the id key %s can be read by other users; chmod 600 it", path)
    return key


def sender_id(key: bytes, chat_id: int) -> str:
    """The conversation id for a chat: 'tg-' + 32 hex digits of HMAC-SHA256(key, chat id)."""
    return "tg-" + hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:32]


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
