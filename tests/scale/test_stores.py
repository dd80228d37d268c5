"""The conversation store on PostgreSQL and the lock store on Redis, without Rasa servers.

What a person would notice: the same privacy as on SQLite (no typed words, no ID or phone numbers;
/forget leaves nothing of the conversation readable in the database), a second server that must not
run beside the first is refused, and two servers never hold one conversation's lock at once.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from types import SimpleNamespace

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, LockError
from rasa.core.lock_store import RedisLockStore as RasaRedisLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.forget import forget_sender
from bot.plumbing.lock_store import LockStoreUnavailable, RedisLockStore
from bot.plumbing.tracker_store import MASK, REDACTED, PrivateSQLTrackerStore, StoreInUse
from scale.services import figure

PHONE, ID_CARD = "13912345678", "11010519491231002X"


def store_on(postgres, **kwargs) -> PrivateSQLTrackerStore:
    return PrivateSQLTrackerStore(Domain.empty(), host=postgres.url, **kwargs)


def rows(postgres, sender: str) -> list[dict]:
    return [json.loads(d) for (d,) in postgres.query(
        "SELECT data FROM events WHERE sender_id = %s ORDER BY id", sender)]


# --- the same privacy as on SQLite -------------------------------------------------------------------

def test_typed_words_and_numbers_never_reach_postgresql(postgres):
    store = store_on(postgres)
    sender = "pg-private-" + secrets.token_hex(4)
    said = UserUttered(f"我在太原，电话{PHONE}", {"name": "inform", "confidence": 1.0},
                       [{"entity": "region", "value": "140100", "start": 2, "end": 4, "text": "太原"}])
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_session_start"), said, SlotSet("region", "140100"),
        SlotSet("age", f"身份证 {ID_CARD}"), BotUttered("好的，太原。"), ActionExecuted("action_listen")])
    asyncio.run(store.save(tracker))
    stored = rows(postgres, sender)
    dump = json.dumps(stored, ensure_ascii=False)
    assert PHONE not in dump and ID_CARD not in dump and "电话" not in dump and MASK in dump
    user = next(r for r in stored if r["event"] == "user")
    assert user["text"] == REDACTED and user["parse_data"]["entities"][0]["value"] == "140100"
    again = asyncio.run(store_on(postgres).retrieve(sender))  # another server reads it back
    assert SlotSet("region", "140100") in list(again.events)
    assert again.latest_message.intent["name"] == "inform"


def test_a_restart_deletes_what_came_before_on_postgresql(postgres):
    store = store_on(postgres)
    sender = "pg-restart-" + secrets.token_hex(4)
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_session_start"),
                                                        SlotSet("region", "140100")])
    asyncio.run(store.save(tracker))
    tracker.update(Restarted())
    tracker.update(SlotSet("age", 5))
    asyncio.run(store.save(tracker))
    assert [r["event"] for r in rows(postgres, sender)] == ["restart", "slot"]


# --- /forget: no row, and no row version -------------------------------------------------------------

def _versions_holding(postgres, needle: str) -> dict[str, int]:
    """Row versions, live or deleted, that still hold `needle`: in the events table's pages, in its
    sender index's pages, and (for long values) in its TOAST table, read page by page (pageinspect)."""
    found = {}
    found["table"] = postgres.query(
        "SELECT count(*) FROM generate_series(0, pg_relation_size('events') / 8192 - 1) AS b, "
        "heap_page_items(get_raw_page('events', b::int)) AS t "
        "WHERE t.t_data IS NOT NULL AND position(convert_to(%s, 'UTF8') IN t.t_data) > 0", needle)[0][0]
    found["sender index"] = postgres.query(
        "SELECT count(*) FROM generate_series(1, pg_relation_size('ix_events_sender_id') / 8192 - 1) AS b, "
        "bt_page_items(get_raw_page('ix_events_sender_id', b::int)) AS i "
        "WHERE position(convert_to(%s, 'UTF8') IN decode(replace(i.data, ' ', ''), 'hex')) > 0", needle)[0][0]
    toast = postgres.query("SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'events'")[0][0]
    found["deleted TOAST chunks"] = postgres.query(
        f"SELECT count(*) FROM generate_series(0, pg_relation_size('{toast}') / 8192 - 1) AS b, "
        f"heap_page_items(get_raw_page('{toast}', b::int)) AS t WHERE t.t_xmax <> 0 AND t.t_data IS NOT NULL")[0][0]
    return found


def test_forget_on_postgresql_leaves_no_row_and_no_row_version(postgres):
    store = store_on(postgres)
    gone, kept, raw = (f"pg-{what}-{secrets.token_hex(4)}" for what in ("gone", "kept", "raw"))
    # a long answer of random characters, which PostgreSQL keeps out of line (TOAST), not compressed
    long_answer = "".join(chr(0x4E00 + secrets.randbelow(20000)) for _ in range(3000))
    for sender in (gone, kept, raw):
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, [
            ActionExecuted("action_session_start"), BotUttered(f"{sender}：太原市某某街道残疾人张某某"),
            BotUttered(long_answer), SlotSet("region", "140100")])))

    # What PostgreSQL keeps after a plain DELETE: the row versions, until VACUUM removes them.
    with postgres.superuser() as db:
        db.cursor().execute("DELETE FROM events WHERE sender_id = %s", (raw,))
    assert postgres.query("SELECT count(*) FROM events WHERE sender_id = %s", raw)[0][0] == 0
    kept_after_delete = _versions_holding(postgres, raw)
    assert kept_after_delete["table"] >= 4 and kept_after_delete["sender index"] >= 1

    # /forget: the rows go at once, and the VACUUM it starts removes the row versions of both.
    asyncio.run(forget_sender(SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore()), gone))
    assert postgres.query("SELECT count(*) FROM events WHERE sender_id = %s", gone)[0][0] == 0
    assert store.vacuumed(timeout=60)
    assert _versions_holding(postgres, gone) == {"table": 0, "sender index": 0, "deleted TOAST chunks": 0}
    assert _versions_holding(postgres, raw) == {"table": 0, "sender index": 0, "deleted TOAST chunks": 0}
    assert _versions_holding(postgres, kept)["table"] >= 4  # the other conversation is all there
    assert asyncio.run(store.retrieve(kept)) is not None

    # Bytes that VACUUM freed stay in the files until new rows need the space (and in the
    # write-ahead log until its segments are recycled): counted here, not asserted (docs/deploy.md).
    postgres.query("CHECKPOINT")
    path = postgres.query("SELECT current_setting('data_directory') || '/' || pg_relation_filepath('events')")[0][0]
    leftover = open(path, "rb").read().count(f"{gone}：".encode())
    figure("PostgreSQL after /forget", f"rows of the forgotten conversation: 0; row versions after VACUUM: 0; "
                                       f"its bytes still in the table file's free space: {leftover} of 1 "
                                       f"(overwritten as new rows need the space)")


# --- one server with in-memory locks, or several with Redis --------------------------------------------

def test_a_server_with_in_memory_locks_is_alone_on_its_store(postgres):
    alone = store_on(postgres, single_server=True)
    try:
        with pytest.raises(StoreInUse, match="must be the only one") as refused:
            store_on(postgres, single_server=True)
        assert postgres.password not in str(refused.value)
        with pytest.raises(StoreInUse, match="before starting more servers"):
            store_on(postgres, single_server=False)
    finally:
        alone.release_claim()
    several = [store_on(postgres, single_server=False) for _ in range(2)]  # with Redis: as many as wanted
    try:
        with pytest.raises(StoreInUse):
            store_on(postgres, single_server=True)
    finally:
        for store in several:
            store.release_claim()
    store_on(postgres, single_server=True).release_claim()  # free again once they are gone


# --- the Redis lock store ------------------------------------------------------------------------------

def _draw_tickets(make_store, conversation: str, threads: int = 8, each: int = 60) -> list[int]:
    """Tickets drawn for one conversation by `threads` servers at once (each its own connection)."""
    drawn: list[int] = []
    start = threading.Barrier(threads)

    def server():
        store = make_store()
        start.wait()
        mine = [store.issue_ticket(conversation, 120) for _ in range(each)]
        drawn.extend(mine)

    workers = [threading.Thread(target=server) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return drawn


def test_tickets_drawn_by_several_servers_at_once_are_all_different(redis_server):
    conversation = "tickets-" + secrets.token_hex(4)
    drawn = _draw_tickets(lambda: RedisLockStore(url=redis_server.url), conversation)
    assert len(drawn) == 480 and len(set(drawn)) == 480
    lock = RedisLockStore(url=redis_server.url).get_lock(conversation)
    assert len(lock.tickets) == 480  # none lost either
    # Rasa's own RedisLockStore, the same way: what the transactions prevent (a figure, not a test)
    stock = _draw_tickets(lambda: RasaRedisLockStore(host="127.0.0.1", port=redis_server.port, db=1,
                                                     password=redis_server.password), "stock-" + conversation)
    kept = len(RasaRedisLockStore(host="127.0.0.1", port=redis_server.port, db=1,
                                  password=redis_server.password).get_lock("stock-" + conversation).tickets)
    redis_server.client().delete("lock:stock-" + conversation)  # Rasa's keys never expire
    figure("Redis lock store", f"480 tickets drawn by 8 threads at once: ours {len(set(drawn))} different, "
                               f"480 kept; Rasa's RedisLockStore {len(set(stock))} different, {kept} kept")


def test_one_conversation_is_answered_by_one_server_at_a_time(redis_server):
    """Four servers increment one counter in Redis, each read-wait-write under the conversation's lock:
    any overlap loses an increment."""
    conversation, counter = "mutex-" + secrets.token_hex(4), "counter-" + secrets.token_hex(4)
    errors: list[Exception] = []

    def server():
        store, client = RedisLockStore(url=redis_server.url), redis_server.client()

        async def work():
            for _ in range(25):
                async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.002):
                    value = int(client.get(counter) or 0)
                    await asyncio.sleep(0.002)
                    client.set(counter, value + 1)
        try:
            asyncio.run(work())
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    workers = [threading.Thread(target=server) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors and int(redis_server.client().get(counter)) == 100
    assert redis_server.client().exists("lock:" + conversation) == 0  # nothing left behind


def test_a_dead_servers_lock_expires_with_its_ticket(redis_server):
    conversation = "dead-" + secrets.token_hex(4)
    store = RedisLockStore(url=redis_server.url)
    store.issue_ticket(conversation, 1.5)  # a server that died while answering: never given back
    ttl = redis_server.client().pttl("lock:" + conversation)
    assert 0 < ttl <= 1500

    async def next_message():
        start = time.monotonic()
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.05):
            return time.monotonic() - start

    waited = asyncio.run(next_message())
    assert 0.5 < waited < 5
    assert redis_server.client().exists("lock:" + conversation) == 0


def test_a_slow_answer_keeps_its_lock_and_a_waiting_message_keeps_its_place(redis_server):
    """Tickets of 0.6 s; the first server answers for 2 s, the second waits its turn all along:
    it gets the lock when the first is done, not when the first ticket's time is up, and its own
    ticket, drawn 0.6 s before its turn would have come in Rasa, has not expired."""
    conversation = "slow-" + secrets.token_hex(4)
    timeline: list[tuple[str, float]] = []

    def server(name: str, delay: float, hold: float, errors: list):
        store = RedisLockStore(url=redis_server.url)

        async def message():
            await asyncio.sleep(delay)
            async with store.lock(conversation, lock_lifetime=0.6, wait_time_in_seconds=0.05):
                timeline.append((name + " in", time.monotonic()))
                await asyncio.sleep(hold)
                timeline.append((name + " out", time.monotonic()))
        try:
            asyncio.run(message())
        except Exception as exc:  # noqa: BLE001 (asserted below)
            errors.append(exc)

    errors: list = []
    workers = [threading.Thread(target=server, args=("first", 0, 2.0, errors)),
               threading.Thread(target=server, args=("second", 0.2, 0.1, errors))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert [name for name, _ in sorted(timeline, key=lambda t: t[1])] == ["first in", "first out",
                                                                          "second in", "second out"]


def test_an_unreachable_redis_is_said_at_start_without_its_password(redis_server):
    from bot.plumbing.serve import free_port

    url = f"redis://:{redis_server.password}@127.0.0.1:{free_port()}/1"
    with pytest.raises(LockStoreUnavailable) as err:
        RedisLockStore(url=url)
    assert "cannot reach the Redis lock store at 127.0.0.1" in str(err.value)
    assert redis_server.password not in str(err.value)
    store = RedisLockStore(url=redis_server.url)
    store.red = redis.StrictRedis.from_url(url, socket_timeout=1)  # Redis gone after the start
    with pytest.raises(LockError):  # the message fails with Rasa's own error
        store.issue_ticket("x")
