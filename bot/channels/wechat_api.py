"""Customer-service messages (客服消息, `cgi-bin/message/custom/send`) for the WeChat channel.

An answer that is not ready within WeChat's five seconds is sent this way, as are the parts of an
answer after the first (a passive reply holds one message). It goes through wechatpy's client,
which fetches and renews the access token. That client is synchronous (requests), so every call
runs in a small thread pool: the Rasa server's event loop never waits on WeChat's API.

WeChat accepts customer-service messages for 48 hours after the user's last message, and only from
an account that has the permission (a verified 服务号 or 订阅号) and whose server IP is on the
account's IP whitelist (IP白名单) for the access token. Refusals are logged with WeChat's error
code, never with the message or the OpenID.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.common import describe

logger = logging.getLogger(__name__)

HTTP_TIMEOUT = 10.0
# WeChat's answers that mean "not now" (-1 system busy, 45009 call limit); anything else is final.
BUSY = (-1, 45009)
# Final refusals worth a sentence in the log: what the operator has to do about them.
EXPLAINED = {
    40164: "the server's IP address is not on the Official Account's IP whitelist (IP白名单)",
    40125: "WECHAT_APP_SECRET is wrong",
    40013: "WECHAT_APP_ID is wrong",
    48001: "the Official Account has no permission for customer-service messages (客服消息)",
    45015: "the user's last message is more than 48 hours old",
    43004: "the user no longer follows the Official Account",
}


class DeliveryError(Exception):
    """A customer-service message that WeChat did not accept."""


def protect_logs() -> None:
    """Keep the app secret, access tokens, OpenIDs and message text out of the logs.

    urllib3 logs every URL at DEBUG (the token request carries the app secret, every API call
    the access token), and wechatpy logs failed answers. Held at levels where none is written."""
    for name, level in (("urllib3", logging.WARNING), ("requests", logging.WARNING),
                        ("wechatpy", logging.INFO)):
        library = logging.getLogger(name)
        if library.level == logging.NOTSET or library.level < level:
            library.setLevel(level)


class _Session(requests.Session):
    """wechatpy fetches the access token without a timeout: every request gets one here."""

    def request(self, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = HTTP_TIMEOUT
        return super().request(*args, **kwargs)


class _Client(WeChatClient):
    """wechatpy's client, pointed at `base_url` for the access token as for everything else
    (wechatpy 1.8 always fetches the token from api.weixin.qq.com)."""

    def __init__(self, app_id: str, secret: str, base_url: str):
        super().__init__(app_id, secret, timeout=HTTP_TIMEOUT)
        self.API_BASE_URL = base_url + "cgi-bin/"
        self._http = _Session()

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class CustomerService:
    """Sends text messages to a user, one call at a time per message, off the event loop."""

    def __init__(self, app_id: str, secret: str, base_url: str, attempts: int = 3):
        protect_logs()
        self._client = _Client(app_id, secret, base_url)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="zhucan-wechat-api")
        self.attempts = attempts

    async def send_text(self, openid: str, text: str) -> None:
        """Send one text message; a busy or unreachable API is tried `attempts` times in all.

        Raises DeliveryError when WeChat refuses it (the reason is logged, without content)."""
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.attempts + 1):
            try:
                await loop.run_in_executor(self._pool, self._client.message.send_text, openid, text)
                return
            except WeChatClientException as exc:
                code = exc.errcode
                transient = code is None or code in BUSY  # None: an HTTP error status
                reason = EXPLAINED.get(code, f"errcode {code}")
            except requests.RequestException as exc:
                transient, reason = True, describe(exc)
            if not transient or attempt == self.attempts:
                logger.warning("WeChat did not accept a customer-service message: %s", reason)
                raise DeliveryError(reason)
            await asyncio.sleep(0.5 * 2 ** (attempt - 1))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
