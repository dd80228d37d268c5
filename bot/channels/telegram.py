"""The Telegram front end: `zhucan telegram` (CONTRACT.md section 5).

It relays what a person writes to the conversation server (section 4) and sends the replies back
as plain text. Many users listen to Telegram through a screen reader, so every reply goes through
`bot.conversation.text.plain` and `split_message`, there is no parse mode, and suggested answers are a reply
keyboard whose labels are words the person could equally type: nothing depends on a button.

Privacy: the conversation server only ever sees a keyed hash of the chat id, and nothing here
logs message text or Telegram ids. Robustness: a failure of the server is answered with an
apology and a hint to try again, never with silence; chats run concurrently, each in order.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import inspect
import logging
import os
import secrets
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from telegram import (BotCommand, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove,
                      Update)
from telegram.constants import ChatAction
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (Application, ApplicationBuilder, ApplicationHandlerStop,
                          CommandHandler, ContextTypes, MessageHandler, TypeHandler, filters)

from bot.channels.common import RateLimiter, describe
from bot.channels.common import typeable_labels as keyboard_labels
from bot.channels.conversation import ConversationClient, ConversationError
from bot.channels.flow import ChatOrder, waited
from bot.channels.telegram_settings import Settings, SettingsError, base_file_url, sender_id
from bot.conversation.text import plain, split_message

logger = logging.getLogger("zhucan.telegram")

# (situation) -> messages, or an awaitable of them. It runs in a worker thread, never on the event loop.
QuickCheck = Callable[[str], "list[str] | Awaitable[list[str]]"]

# What the bot says. Short sentences, the point first, no symbols a screen reader would spell out.
WELCOME = ("您好，我是助残问答。您说说自己或家人的情况，我告诉您可能领到哪些残疾人补贴，以及为什么。"
           "我的回答只是参考，能不能领由当地残联和民政部门决定。"
           "直接用自己的话说就行，比如“我爸在太原，肢体一级，能领护理补贴吗”。"
           "想删除这里保存的记录，发 /forget。")
HELP = ("我能根据您说的情况，告诉您可能领到哪些残疾人补贴，以及为什么。"
        "直接用自己的话说情况就行，比如“我爸在太原，肢体一级，能领护理补贴吗”，"
        "发 /restart 重新开始，发 /forget 删除记录。")
SERVER_FAILED = ("抱歉，系统暂时无法回答，这条消息没有处理。"
                 "请过一会儿再发一次；如果一直不行，可以发 /restart 重新开始。")
# A message that waited its turn behind a slow one still gets at least this many seconds of its own.
LAST_TRY = 5.0
NO_ANSWER = "抱歉，我没有听懂。可以换个说法再说一次，或者发 /help 看看怎么说。"
RESTART_DONE = "好的，已经重新开始，之前说的情况不再算数。请重新说您的情况。要删除记录，请发 /forget。"
RESTART_FAILED = "抱歉，系统暂时连不上，没能重新开始。请过一会儿再发 /restart。"
FORGET_DONE = ("已经删除。本系统保存的这个对话的全部内容都删掉了：您说过的话、系统的回答，"
               "以及记下的情况，比如地区、残疾类别和等级。系统不再记得您说过什么，可以重新开始。"
               "手机上 Telegram 里的聊天记录不归本系统管，需要的话请在 Telegram 里自己删除。")
FORGET_FAILED = ("抱歉，系统暂时连不上，这次没有删除，您的记录还在。"
                 "请过一会儿再发 /forget。")
CHECK_REFUSED = ("/check 是给社工和经办人员用的快速核查命令。"
                 "您直接用自己的话说情况就行，我一样会告诉您能领哪些补贴。")
CHECK_PROMPT = "请用一条消息说要核查的情况，比如：太原，肢体一级，有残疾人证，低保家庭，45岁。"
CHECK_FAILED = "抱歉，快速核查出错了，没有结果。请稍后再试，或者直接说情况。"
CHECK_EMPTY = "这次核查没有得到结果。请把情况说得更具体一些再试。"
UNKNOWN_COMMAND = "没有这个命令。直接用文字说情况就行，或者发 /help 看看怎么用。"
NOT_TEXT = ("我只能读文字消息，请用文字描述情况。图片、语音、贴纸和文件我都看不到。"
            "打字不方便的话，可以用手机输入法的语音输入，把话转成文字再发。")
EDITED = "我不会读修改过的消息。请把改好的内容重新发一条。"
TOO_FAST = "消息发得太快了，请等半分钟再发。"
KEYBOARD_HINT = "可以点按钮，也可以直接打字"
COMMANDS = [
    BotCommand("start", "开始，说明能做什么"),
    BotCommand("help", "怎么用"),
    BotCommand("restart", "重新开始对话"),
    BotCommand("forget", "删除本系统保存的对话记录"),
    BotCommand("check", "社工专用：一条消息核查所有项目"),
]

# Updates that carry something other than text: the person gets told to write instead.
NON_TEXT = (filters.PHOTO | filters.VIDEO | filters.VIDEO_NOTE | filters.VOICE | filters.AUDIO
            | filters.ANIMATION | filters.Sticker.ALL | filters.Document.ALL | filters.LOCATION
            | filters.VENUE | filters.CONTACT | filters.POLL | filters.Dice.ALL)
NEW = filters.UpdateType.MESSAGE


def protect_logs() -> None:
    """Keep message text, ids and the bot token out of the logs.

    At DEBUG python-telegram-bot logs every update and every request's parameters (the text and
    the chat id), and httpx logs every URL at INFO, which contains the token. These loggers are
    held at a level where none of that is written, whatever the root logger is set to.
    """
    for name, level in (("telegram", logging.INFO), ("httpx", logging.WARNING),
                        ("httpcore", logging.WARNING)):
        library = logging.getLogger(name)
        if library.level == logging.NOTSET or library.level < level:
            library.setLevel(level)


def render_replies(replies: list[dict]) -> list[tuple[str, Any]]:
    """The conversation server's replies as (text, reply_markup) messages, in order.

    Custom payloads ({"ask": …}, {"results": …}) are for machines and are not sent. The last
    part of a reply with buttons carries them as a reply keyboard; a reply without buttons
    removes any keyboard left from before, so old suggestions do not linger.
    """
    messages = []
    for reply in replies:
        parts = split_message(plain(str(reply.get("text") or "")))
        if not parts:
            continue
        labels = keyboard_labels(reply.get("buttons"))
        markup = (ReplyKeyboardMarkup([[KeyboardButton(t) for t in labels[i:i + 2]]
                                       for i in range(0, len(labels), 2)],
                                      resize_keyboard=True, one_time_keyboard=True,
                                      input_field_placeholder=KEYBOARD_HINT)
                  if labels else ReplyKeyboardRemove())
        messages += [(part, None) for part in parts[:-1]] + [(parts[-1], markup)]
    return messages


def run_blocking(check: QuickCheck, situation: str) -> list[str]:
    """Run a quick check to the end in the calling (worker) thread.

    bot.caseworker.quickcheck.quick_check is declared async but never waits for anything: it computes. Its
    coroutine is run here on a loop of this thread's own, so the front end's loop never runs it."""
    answers = check(situation)
    if inspect.isawaitable(answers):
        answers = asyncio.run(_awaited(answers))
    return answers


async def _awaited(awaitable):
    return await awaitable


class Frontend:
    """The handlers, and the little state they share (all in memory, keyed by hashed id)."""

    def __init__(self, settings: Settings, conversation, quick_check: QuickCheck | None):
        self.settings = settings
        self.conversation = conversation
        self.quick_check = quick_check
        self.limiter = RateLimiter(settings.rate_count, settings.rate_seconds)
        # chats whose next message is a /check situation, until a deadline (time.monotonic())
        self.awaiting_check: dict[str, float] = {}
        # One thread for quick checks: off the event loop, and one check at a time, so that the
        # engine's first-use loading never runs twice at once.
        self.check_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zhucan-check")

    def await_check(self, sender: str) -> None:
        now = time.monotonic()
        for expired in [s for s, deadline in self.awaiting_check.items() if deadline <= now]:
            del self.awaiting_check[expired]
        self.awaiting_check[sender] = now + self.settings.check_wait

    def awaited_check(self, sender: str) -> bool:
        """Whether this chat's message is the situation of a /check sent in the last check_wait
        seconds (the wait ends either way: a later message is an ordinary one)."""
        deadline = self.awaiting_check.pop(sender, None)
        return deadline is not None and time.monotonic() < deadline

    # --- helpers -------------------------------------------------------------------------

    def sender(self, update: Update) -> str:
        return sender_id(self.settings.id_key, update.effective_chat.id)

    def is_caseworker(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.caseworkers

    async def say(self, bot, chat_id: int, text: str, markup: Any = None) -> None:
        """Send one plain-text message (no parse mode), waiting once if Telegram asks us to."""
        for attempt in (1, 2):
            try:
                await bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
                return
            except RetryAfter as exc:
                if attempt == 2:
                    raise
                wait = exc.retry_after
                await asyncio.sleep(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)

    async def say_all(self, bot, chat_id: int, texts: Sequence[str], markup: Any = None) -> None:
        """Several answers, each plain and split; `markup` goes on the very last message."""
        parts = [p for text in texts for p in split_message(plain(text))]
        for i, part in enumerate(parts):
            await self.say(bot, chat_id, part, markup if i == len(parts) - 1 else None)

    @contextlib.asynccontextmanager
    async def typing(self, bot, chat_id: int):
        """Show "typing…" while waiting (Telegram clears it after 5 s, so repeat every 4 s)."""
        async def keep_typing():
            while True:
                with contextlib.suppress(TelegramError):
                    await bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
                await asyncio.sleep(4)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def relay(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        """Relay a message and send the answer; an apology, never silence, within server_timeout
        seconds of the message's arrival (or LAST_TRY seconds after its turn came, when the messages
        before it in this chat took that long): each message of a chat waits for the one before it,
        and without counting from its arrival, a second message sent to a server that hangs would
        wait for two timeouts."""
        chat_id, sender = update.effective_chat.id, self.sender(update)
        limit = max(self.settings.server_timeout - waited(), min(LAST_TRY, self.settings.server_timeout))
        try:
            async with self.typing(context.bot, chat_id):
                replies = await asyncio.wait_for(self.conversation.send(sender, text), limit)
        except (ConversationError, asyncio.TimeoutError) as exc:
            logger.warning("conversation server failed for %s: %s", sender,
                           exc if isinstance(exc, ConversationError) else f"no answer within {limit:g} s")
            await self.say(context.bot, chat_id, SERVER_FAILED)
            return
        messages = render_replies(replies)
        if not messages:
            messages = [(NO_ANSWER, None)]
        for part, markup in messages:
            await self.say(context.bot, chat_id, part, markup)

    async def run_check(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                        situation: str) -> None:
        """The quick check runs in its own thread: the engine is plain Python that takes seconds
        on its first call, and every other chat must go on meanwhile."""
        chat_id = update.effective_chat.id
        if self.quick_check is None:
            from bot.caseworker.quickcheck import quick_check  # plain Python, no model: loaded on first use
            self.quick_check = quick_check
        loop = asyncio.get_running_loop()
        try:
            async with self.typing(context.bot, chat_id):
                answers = await asyncio.wait_for(
                    loop.run_in_executor(self.check_thread, run_blocking, self.quick_check, situation),
                    self.settings.check_timeout)
        except ValueError as exc:  # a situation it cannot read: the message says what is wrong
            await self.say_all(context.bot, chat_id, [f"没能看懂这个情况：{exc}"])
            return
        except asyncio.TimeoutError:
            logger.error("quick check for %s took more than %g s", self.sender(update),
                         self.settings.check_timeout)
            await self.say(context.bot, chat_id, CHECK_FAILED)
            return
        except Exception as exc:
            logger.error("quick check failed for %s: %s", self.sender(update), describe(exc))
            await self.say(context.bot, chat_id, CHECK_FAILED)
            return
        answers = [a for a in answers or [] if isinstance(a, str) and a.strip()]
        await self.say_all(context.bot, chat_id, answers or [CHECK_EMPTY])

    # --- handlers ------------------------------------------------------------------------

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every other handler: over the rate limit, nothing else happens."""
        if update.effective_message is None or update.effective_user is None:
            return
        verdict = self.limiter.check(sender_id(self.settings.id_key, update.effective_user.id))
        if verdict == "ok":
            return
        if verdict == "notify":
            logger.info("rate limit reached by %s", self.sender(update))
            await self.say(context.bot, update.effective_chat.id, TOO_FAST)
        raise ApplicationHandlerStop

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context.bot, update.effective_chat.id, WELCOME)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context.bot, update.effective_chat.id, HELP)

    async def restart(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, sender = update.effective_chat.id, self.sender(update)
        self.awaiting_check.pop(sender, None)
        try:
            async with self.typing(context.bot, chat_id):
                replies = await self.conversation.send(sender, "/restart")  # Rasa's restart intent
        except ConversationError as exc:
            logger.warning("restart failed for %s: %s", sender, exc)
            await self.say(context.bot, chat_id, RESTART_FAILED)
            return
        await self.say(context.bot, chat_id, RESTART_DONE, ReplyKeyboardRemove())
        for part, markup in render_replies(replies):
            await self.say(context.bot, chat_id, part, markup)

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, sender = update.effective_chat.id, self.sender(update)
        try:
            forgotten = await self.conversation.forget(sender)
        except ConversationError as exc:
            logger.warning("forget failed for %s: %s", sender, exc)
            forgotten = False
        if not forgotten:
            await self.say(context.bot, chat_id, FORGET_FAILED)
            return
        # What this process holds about the chat goes too (rate counters hold no content).
        self.awaiting_check.pop(sender, None)
        context.application.drop_chat_data(chat_id)
        if update.effective_user is not None:
            context.application.drop_user_data(update.effective_user.id)
        logger.info("forgot %s", sender)
        await self.say(context.bot, chat_id, FORGET_DONE, ReplyKeyboardRemove())

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.is_caseworker(update):
            await self.say(context.bot, update.effective_chat.id, CHECK_REFUSED)
            return
        words = (update.effective_message.text or "").split(None, 1)
        situation = words[1].strip() if len(words) > 1 else ""
        if not situation:
            self.await_check(self.sender(update))
            await self.say(context.bot, update.effective_chat.id, CHECK_PROMPT)
            return
        await self.run_check(update, context, situation)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sender = self.sender(update)
        text = update.effective_message.text
        if self.awaited_check(sender) and self.is_caseworker(update):
            await self.run_check(update, context, text)
            return
        # A leading "/" would make Rasa read the message as an intent name: send only the words.
        text = text.strip().lstrip("/").strip()
        if not text:
            await self.say(context.bot, update.effective_chat.id, UNKNOWN_COMMAND)
            return
        await self.relay(update, context, text)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context.bot, update.effective_chat.id, UNKNOWN_COMMAND)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context.bot, update.effective_chat.id, NOT_TEXT)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.say(context.bot, update.effective_chat.id, EDITED)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler failed: log where (never what was said) and still answer the person."""
        chat = update.effective_chat if isinstance(update, Update) else None
        who = sender_id(self.settings.id_key, chat.id) if chat else "-"
        logger.error("handling an update of %s failed: %s", who, describe(context.error))
        if chat is not None and not isinstance(context.error, (NetworkError, RetryAfter)):
            with contextlib.suppress(TelegramError):
                await self.say(context.bot, chat.id, SERVER_FAILED)


def build_application(settings: Settings, conversation=None,
                      quick_check: QuickCheck | None = None) -> Application:
    """The python-telegram-bot Application, with stand-ins injectable for tests.

    `conversation` needs `async send(sender, text) -> list[dict]` and `async forget(sender) ->
    bool`; by default it is a ConversationClient for settings.server_url. `quick_check` is
    `(situation) -> list[str]` (or an awaitable of it), run in a worker thread; by default
    bot.caseworker.quickcheck.quick_check, loaded on first use.
    """
    protect_logs()
    own_client = conversation is None
    if own_client:
        conversation = ConversationClient(settings.server_url, settings.server_timeout)
    frontend = Frontend(settings, conversation, quick_check)

    async def post_init(app: Application) -> None:
        try:
            await app.bot.set_my_commands(COMMANDS)
        except TelegramError as exc:  # the menu is a convenience; the bot works without it
            logger.warning("could not set the command menu: %s", describe(exc))

    async def post_shutdown(app: Application) -> None:
        frontend.check_thread.shutdown(wait=False, cancel_futures=True)
        if own_client:
            await conversation.aclose()

    app = (ApplicationBuilder()
           .token(settings.token)
           .base_url(settings.api_base_url)
           .base_file_url(base_file_url(settings.api_base_url))
           .concurrent_updates(ChatOrder(max_running=settings.max_concurrent))
           # Rasa's APScheduler 3.9 is importable, so PTB would start a JobQueue on it; the
           # job-queue extra is deliberately not installed (it clashes with Rasa): switch it off.
           .job_queue(None)
           .post_init(post_init)
           .post_shutdown(post_shutdown)
           .build())
    app.bot_data["frontend"] = frontend

    app.add_handler(TypeHandler(Update, frontend.gate), group=-1)
    for name in ("start", "help", "restart", "forget", "check"):
        app.add_handler(CommandHandler(name, getattr(frontend, name), filters=NEW))
    app.add_handler(MessageHandler(NEW & filters.COMMAND, frontend.unknown_command))
    app.add_handler(MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, frontend.text))
    app.add_handler(MessageHandler(NEW & NON_TEXT, frontend.not_text))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, frontend.edited))
    app.add_error_handler(frontend.on_error)
    return app


async def serve_webhook(app: Application, url: str, listen: str, port: int, secret: str,
                        stop: asyncio.Event) -> None:
    """Receive updates by webhook until `stop` is set.

    python-telegram-bot's own webhook server needs its webhooks extra (tornado), which is not
    installed; aiohttp (already there for Rasa) does the same in a few lines. Telegram only
    calls HTTPS URLs, so put a TLS proxy in front of `listen:port`.
    """
    from aiohttp import web

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), app.bot)
        except Exception:
            return web.Response(status=400)
        await app.update_queue.put(update)
        return web.Response()

    web_app = web.Application()
    web_app.router.add_post(urlsplit(url).path or "/", receive)
    runner = web.AppRunner(web_app, access_log=None)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        await runner.setup()
        await web.TCPSite(runner, listen, port).start()
        await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES,
                                  drop_pending_updates=False)
        logger.info("receiving updates by webhook on %s:%s", listen, port)
        await stop.wait()
    finally:
        await runner.cleanup()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


def _run_webhook(app: Application, args: argparse.Namespace, secret: str) -> None:
    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_webhook(app, args.webhook_url, args.listen, args.port, secret, stop)

    asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> int:
    """`zhucan telegram`: run the bot by long polling, or by webhook with --webhook-url."""
    parser = argparse.ArgumentParser(
        prog="zhucan telegram",
        description="Telegram front end of 助残问答. Needs TELEGRAM_BOT_TOKEN; see also "
                    "TELEGRAM_API_BASE_URL, ZHUCAN_SERVER_URL, ZHUCAN_CASEWORKERS, ZHUCAN_ID_KEY.")
    parser.add_argument("--webhook-url", help="receive updates at this public HTTPS URL instead "
                        "of long polling (put a TLS proxy in front of --listen/--port)")
    parser.add_argument("--listen", default="127.0.0.1", help="webhook: address to listen on")
    parser.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"zhucan telegram: {exc}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_application(settings)
    try:
        if args.webhook_url:
            secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
            _run_webhook(app, args, secret)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    except InvalidToken:
        print("zhucan telegram: Telegram does not accept TELEGRAM_BOT_TOKEN. "
              "Check it with @BotFather.", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"zhucan telegram: cannot reach the Bot API at {settings.api_base_url}: "
              f"{describe(exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
