"""What every messaging front end needs, whatever the app: Telegram, WeChat, anything later.

- the id the conversation store sees: a keyed hash of the app's user id (`hashed_id`), with the key
  from ZHUCAN_ID_KEY or a 0600 file, so that a leaked tracker store does not say who talked to the
  bot while one person still keeps one conversation;
- a per-sender rate limit (`RateLimiter`, ZHUCAN_RATE_LIMIT);
- suggested answers as words a person could type (`typeable_labels`);
- an exception described for the log without its message, which may quote what the person wrote.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
import traceback
from pathlib import Path
from typing import Any, Hashable

from bot.conversation.text import plain

logger = logging.getLogger(__name__)


class SettingsError(Exception):
    """A missing or malformed setting: the front end cannot start."""


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


def hashed_id(key: bytes, prefix: str, user: Any) -> str:
    """The conversation id for a user of one app: prefix + 32 hex digits of HMAC-SHA256(key, id).

    The prefix ("tg-", "wx-") keeps the apps apart; the id itself never reaches the store."""
    return prefix + hmac.new(key, str(user).encode(), hashlib.sha256).hexdigest()[:32]


def parse_rate(raw: str | None) -> tuple[int, float]:
    """ZHUCAN_RATE_LIMIT: '8/30' -> 8 messages per 30 seconds."""
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


def describe(error: BaseException) -> str:
    """An exception for the log without its message, which may quote what the person wrote."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return type(error).__name__ + where


def typeable_labels(buttons: Any) -> list[str]:
    """Button titles a person could type instead of pressing: plain words, not commands.

    The conversation sends buttons whose title and payload are the words of an answer, in the
    order the question says them; a front end shows them its own way (a keyboard, numbered options)."""
    labels = []
    for button in buttons if isinstance(buttons, list) else []:
        title = plain(str(button.get("title", ""))) if isinstance(button, dict) else ""
        if title and "\n" not in title and not title.startswith("/") and len(title) <= 40 \
                and title not in labels:
            labels.append(title)
    return labels


class RateLimiter:
    """A token bucket per sender: `count` messages per `seconds`, refilled continuously.

    `check` answers "ok" (relay it), "notify" (first message over the limit: tell the person
    once) or "drop" (further messages over the limit: ignore them until the bucket refills).
    """

    def __init__(self, count: int = 8, seconds: float = 30.0, clock=time.monotonic):
        self.count, self.rate, self.clock = count, count / seconds, clock
        self._buckets: dict[Hashable, list] = {}  # key -> [tokens, last time, notified]

    def check(self, key: Hashable) -> str:
        now = self.clock()
        tokens, last, notified = self._buckets.get(key, (self.count, now, False))
        tokens = min(self.count, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = [tokens - 1, now, False]
            verdict = "ok"
        else:
            self._buckets[key] = [tokens, now, True]
            verdict = "drop" if notified else "notify"
        if len(self._buckets) > 10_000:
            self._prune(now)
        return verdict

    def forget(self, key: Hashable) -> None:
        self._buckets.pop(key, None)

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled completely: they hold nothing worth keeping."""
        full = [k for k, (tokens, last, _) in self._buckets.items()
                if tokens + (now - last) * self.rate >= self.count]
        for key in full:
            del self._buckets[key]
