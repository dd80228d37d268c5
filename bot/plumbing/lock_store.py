"""The Redis lock store for several Rasa servers, with every change of a lock made atomically.

Rasa answers the messages of one conversation one at a time: before handling a message it takes a
ticket from the conversation's lock and waits until that ticket is served. With several servers the
lock must live where all of them see it, in Redis. Rasa's own RedisLockStore keeps each lock as one
JSON value and changes it by reading it, changing it in Python and writing it back. Two servers doing
that at the same moment both read the same lock: both can draw the same ticket number and then answer
one person at the same time, or one writes back a lock without the ticket the other has just added,
whose message then fails (RasaHQ/rasa#9213; tests/scale/test_stores.py shows both). The messages of one
person do reach two servers at once: a double tap, a front end's retry after a timeout, WeChat's own
retries behind a load balancer.

Here every change of a lock (drawing a ticket, dropping expired ones, giving one back) is a Redis
transaction on its key: WATCH the key, read it, MULTI, write, EXEC; when another server changed the
key in between, EXEC fails and the change is made again on the lock as it now is. Tickets, waiting
and lifetimes are Rasa's own (rasa.core.lock.TicketLock).

A ticket lives as long as its server does. In Rasa a ticket expires a fixed time after it was drawn
(TICKET_LOCK_LIFETIME, 60 s by default), whether its server is answering slowly, waiting its turn or
dead: a message that waits behind a dead server's ticket has drawn its own at about the same time, so
both expire together and that message fails too; and a slow answer lets the next message in while it
is still being written. Here a server renews each of its tickets, waiting or served, every third of
the lifetime; only the tickets of a server that died (or whose event loop stalled for two thirds of the
lifetime) expire. So the lifetime is how long a dead server's conversations stay locked, and may be
short.

Each key also expires when its last ticket does, and is deleted when it holds no ticket: a server that
dies leaves no conversation id behind in Redis for longer than the lifetime.

endpoints.yml (`zhucan serve --lock-store URL` writes this for you):

    lock_store:
      type: bot.plumbing.lock_store.RedisLockStore
      url: ${ZHUCAN_LOCK_STORE_URL}        # redis://[:PASSWORD@]HOST:6379/1, rediss:// for TLS

or, as for Rasa's `type: redis`, url: HOST with port, db, username, password, use_ssl, key_prefix.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Tuple

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    LockError,
    LockStore,
)
from rasa.core.lock_store import RedisLockStore as RasaRedisLockStore

logger = logging.getLogger(__name__)


class LockStoreUnavailable(RuntimeError):
    """Redis cannot be reached when the server starts."""


def _where(client: redis.Redis) -> str:
    """Host, port and database of a client, without its password."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}/{kwargs.get('db', 0)}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


class RedisLockStore(RasaRedisLockStore):
    """Rasa's RedisLockStore, with tickets drawn and returned in Redis transactions."""

    def __init__(self, endpoint_config: Any = None, url: Optional[str] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            url = url or endpoint_config.url
            kwargs = {**endpoint_config.kwargs, **kwargs}
        key_prefix = kwargs.pop("key_prefix", None)
        timeout = float(kwargs.pop("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS))
        if url and "://" in url:
            self.red = redis.StrictRedis.from_url(url, socket_timeout=timeout)
        else:
            self.red = redis.StrictRedis(
                host=url or kwargs.pop("host", "localhost"), port=int(kwargs.pop("port", 6379)),
                db=int(kwargs.pop("db", 1)), username=kwargs.pop("username", None),
                password=kwargs.pop("password", None), ssl=bool(kwargs.pop("use_ssl", False)),
                ssl_certfile=kwargs.pop("ssl_certfile", None), ssl_keyfile=kwargs.pop("ssl_keyfile", None),
                ssl_ca_certs=kwargs.pop("ssl_ca_certs", None), socket_timeout=timeout)
        self.key_prefix = "lock:"
        if key_prefix:
            self._set_key_prefix(key_prefix)
        LockStore.__init__(self)
        try:
            self.red.ping()
        except redis.RedisError as exc:  # its message names host and port, never the password
            raise LockStoreUnavailable(f"cannot reach the Redis lock store at {_where(self.red)}: "
                                       f"{exc}") from None
        logger.info("lock store: Redis at %s", _where(self.red))

    # --- one atomic change ------------------------------------------------------------------------

    def _change(self, conversation_id: str,
                change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]) -> Any:
        """Apply `change` to the lock as it is in Redis and write its result, as one transaction.

        `change` gets the stored lock (None if there is none) and returns the lock to store (None or
        one without tickets: the key is deleted) and a result, returned from here. It may run more
        than once: when another server changes the key before ours is written, ours is redone."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    lock, result = change(lock)
                    pipe.multi()
                    self._write(pipe, key, lock)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    @staticmethod
    def _write(client: Any, key: str, lock: Optional[TicketLock]) -> None:
        if lock is not None:
            lock.remove_expired_tickets()
        if lock is None or not lock.tickets:
            client.delete(key)
            return
        expires = max(ticket.expires for ticket in lock.tickets)
        client.set(key, lock.dumps(), px=max(1, math.ceil((expires - time.time()) * 1000)))

    # --- the lock store's changes, each one transaction ---------------------------------------------

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """LockStore.lock, with the ticket renewed for as long as this server waits for it and holds it."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        renewing = asyncio.ensure_future(self._keep_alive(conversation_id, ticket, lock_lifetime))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            renewing.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_alive(self, conversation_id: str, ticket_number: int, lifetime: float) -> None:
        while True:
            await asyncio.sleep(max(lifetime / 3, 0.01))
            try:
                self.renew(conversation_id, ticket_number, lifetime)
            except redis.RedisError as exc:  # the next renewal may work; expiry is the fallback
                logger.warning("could not renew a lock ticket: %s", type(exc).__name__)

    def renew(self, conversation_id: str, ticket_number: int, lifetime: float) -> bool:
        """Push a live ticket's expiry to `lifetime` seconds from now; False if it is gone already
        (it expired: it is not brought back, another server may be answering in its place)."""
        def extend(lock: Optional[TicketLock]):
            ticket = lock._ticket_for_ticket_number(ticket_number) if lock is not None else None
            if ticket is not None:
                ticket.expires = max(ticket.expires, time.time() + lifetime)
            return lock, ticket is not None

        return self._change(conversation_id, extend)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def draw(lock: Optional[TicketLock]):
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, draw)
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: (lock, None))  # _write drops expired tickets

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def give_back(lock: Optional[TicketLock]):
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, give_back)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; the key goes when no one else holds one (in the same transaction)."""
        self.finish_serving(conversation_id, ticket_number)

    def save_lock(self, lock: TicketLock) -> None:
        self._write(self.red, self.key_prefix + lock.conversation_id, lock)
