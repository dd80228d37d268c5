"""Settings of the WeChat channel, from the environment (CONTRACT.md section 6).

    WECHAT_TOKEN             the Official Account's server Token (3 to 32 letters or digits);
                             without it the channel is off
    WECHAT_APP_ID            AppID, and
    WECHAT_APP_SECRET        AppSecret: needed for customer-service messages (a slow answer) and,
                             with the key below, for safe mode
    WECHAT_ENCODING_AES_KEY  EncodingAESKey (43 letters or digits): safe mode; absent: plain mode
    WECHAT_API_BASE_URL      WeChat's API, https://api.weixin.qq.com/ (a local stand-in in tests)
    WECHAT_REPLY_WITHIN      seconds to wait for the answer before replying "success" and sending it
                             as customer-service messages instead (default 4; WeChat waits 5)

shared with the Telegram front end: ZHUCAN_ID_KEY (the key of the id hash), ZHUCAN_RATE_LIMIT,
ZHUCAN_SERVER_TIMEOUT (how long an answer may take at all before the person is told it failed).
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from dataclasses import dataclass, field

from bot.channels.common import SettingsError, hashed_id, load_id_key, parse_rate
from bot.channels.conversation import seconds, server_timeout

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com/"
WECHAT_TIMEOUT = 5.0  # WeChat drops a reply that takes longer than this, and asks again
DEFAULT_REPLY_WITHIN = 4.0

_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")


@dataclass(frozen=True)
class WeChatSettings:
    token: str = field(repr=False)
    id_key: bytes = field(repr=False)
    app_id: str = ""
    app_secret: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    reply_within: float = DEFAULT_REPLY_WITHIN
    answer_timeout: float = 30.0
    rate_count: int = 8
    rate_seconds: float = 30.0
    remember_seconds: float = 3600.0  # numbered options and a place offered stay valid this long
    keep_seconds: float = 120.0  # a message id is remembered this long after it was answered

    @property
    def safe_mode(self) -> bool:
        return bool(self.encoding_aes_key)

    @property
    def can_send(self) -> bool:
        """Whether customer-service messages can be sent (they need an access token)."""
        return bool(self.app_id and self.app_secret)

    def sender(self, openid: str) -> str:
        """The conversation id of a WeChat user: 'wx-' + 32 hex digits of a keyed hash of the OpenID."""
        return hashed_id(self.id_key, "wx-", openid)

    @classmethod
    def from_env(cls, environ=os.environ) -> "WeChatSettings | None":
        """The settings, or None when WECHAT_TOKEN is not set (the channel is off)."""
        token = (environ.get("WECHAT_TOKEN") or "").strip()
        if not token:
            return None
        if not _TOKEN.fullmatch(token):
            raise SettingsError("WECHAT_TOKEN must be 3 to 32 letters or digits, the same as the "
                                "Token in the Official Account's server settings (服务器配置)")
        app_id = (environ.get("WECHAT_APP_ID") or "").strip()
        secret = (environ.get("WECHAT_APP_SECRET") or "").strip()
        if bool(app_id) != bool(secret):
            missing = "WECHAT_APP_SECRET" if app_id else "WECHAT_APP_ID"
            raise SettingsError(f"{missing} is not set: give both the AppID and the AppSecret "
                                "(基本配置 in the Official Account's admin pages), or neither")
        aes_key = (environ.get("WECHAT_ENCODING_AES_KEY") or "").strip()
        if aes_key:
            if not _AES_KEY.fullmatch(aes_key):
                raise SettingsError("WECHAT_ENCODING_AES_KEY must be the 43 letters and digits of "
                                    "the EncodingAESKey in the server settings (服务器配置)")
            try:
                if len(base64.b64decode(aes_key + "=")) != 32:
                    raise ValueError
            except (binascii.Error, ValueError):
                raise SettingsError("WECHAT_ENCODING_AES_KEY is not a valid EncodingAESKey; copy it "
                                    "again from the server settings (服务器配置)") from None
            if not app_id:
                raise SettingsError("WECHAT_ENCODING_AES_KEY needs WECHAT_APP_ID (and "
                                    "WECHAT_APP_SECRET): safe-mode messages are sealed with the AppID")
        base_url = (environ.get("WECHAT_API_BASE_URL") or DEFAULT_API_BASE_URL).strip()
        if not base_url.startswith(("https://", "http://")):
            raise SettingsError(f"WECHAT_API_BASE_URL={base_url!r} must start with https://")
        try:
            timeout = server_timeout(environ)
            reply_within = seconds(environ, "WECHAT_REPLY_WITHIN", DEFAULT_REPLY_WITHIN,
                                   below=WECHAT_TIMEOUT, why=", the seconds WeChat waits for a reply")
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        count, per = parse_rate(environ.get("ZHUCAN_RATE_LIMIT"))
        settings = cls(  # the key file is created last, once everything else is known to be valid
            token=token, id_key=load_id_key(environ), app_id=app_id, app_secret=secret,
            encoding_aes_key=aes_key, api_base_url=base_url.rstrip("/") + "/",
            reply_within=reply_within, answer_timeout=timeout, rate_count=count,
            rate_seconds=per)
        if not settings.can_send:
            logger.warning("WECHAT_APP_ID and WECHAT_APP_SECRET are not set: an answer that takes "
                           "more than %g s cannot be delivered", reply_within)
        return settings
