"""bot.plumbing.tracker_store: what reaches the database, and what Rasa gets back."""
import asyncio
import json
import sqlite3

import pytest

pytest.importorskip("rasa")

from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (ActionExecuted, BotUttered, Restarted, SlotSet,  # noqa: E402
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.plumbing.tracker_store import MASK, REDACTED, PrivateSQLTrackerStore  # noqa: E402

PHONE, ID_CARD = "13912345678", "11010519491231002X"


def stored(path) -> list[dict]:
    with sqlite3.connect(path) as db:
        return [json.loads(d) for (d,) in db.execute("select data from events order by id")]


def test_typed_words_and_numbers_never_reach_the_database_and_the_tracker_is_untouched(tmp_path):
    db = tmp_path / "t.db"
    store = PrivateSQLTrackerStore(Domain.empty(), db=str(db))
    said = UserUttered(f"我在太原，电话{PHONE}", {"name": "inform", "confidence": 1.0},
                       [{"entity": "region", "value": "140100", "start": 2, "end": 4, "text": "太原"}])
    events = [ActionExecuted("action_session_start"), said, SlotSet("region", "140100"),
              SlotSet("age", f"身份证 {ID_CARD}"), BotUttered("好的，太原。"), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("s", events)
    asyncio.run(store.save(tracker))
    rows = stored(db)
    dump = json.dumps(rows, ensure_ascii=False)
    assert PHONE not in dump and ID_CARD not in dump and "电话" not in dump and MASK in dump
    user = next(r for r in rows if r["event"] == "user")
    assert user["text"] == REDACTED and user["parse_data"]["intent"]["name"] == "inform"
    assert user["parse_data"]["entities"][0]["value"] == "140100" and "text" not in user["parse_data"]["entities"][0]
    assert any(r.get("text") == "好的，太原。" for r in rows)  # the bot's own words are kept
    # the live tracker Rasa is still using keeps what was said
    assert tracker.latest_message.text.endswith(PHONE)
    # and a reload continues the conversation with its facts
    again = asyncio.run(store.retrieve("s"))
    assert SlotSet("region", "140100") in list(again.events)
    assert again.latest_message.intent["name"] == "inform"


def test_a_restart_deletes_what_came_before(tmp_path):
    db = tmp_path / "t.db"
    store = PrivateSQLTrackerStore(Domain.empty(), db=str(db))
    tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_session_start"),
                                                     SlotSet("region", "140100")])
    asyncio.run(store.save(tracker))
    tracker.update(Restarted())
    tracker.update(SlotSet("age", 5))
    asyncio.run(store.save(tracker))
    assert [r["event"] for r in stored(db)] == ["restart", "slot"]


def test_forget_leaves_no_trace_in_the_database_files(tmp_path):
    from types import SimpleNamespace

    from bot.channels.forget import forget_sender

    db = tmp_path / "t.db"
    store = PrivateSQLTrackerStore(Domain.empty(), db=str(db))
    secret = "太原市小店区某某街道残疾人张某某"
    for sender in ("gone", "kept"):
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, [
            ActionExecuted("action_session_start"), BotUttered(f"{sender}：{secret}"),
            SlotSet("region", "140100")])))
    asyncio.run(forget_sender(SimpleNamespace(tracker_store=store), "gone"))
    raw = b"".join(f.read_bytes() for f in tmp_path.iterdir() if f.name.startswith("t.db"))
    assert f"gone：{secret}".encode() not in raw
    assert f"kept：{secret}".encode() in raw  # the other conversation is still there


# --- one server, or several: the claim on the store ----------------------------------------------------

def test_a_second_server_with_in_memory_locks_is_refused_on_the_same_sqlite_file(tmp_path):
    from bot.plumbing.tracker_store import StoreInUse

    db = str(tmp_path / "t.db")
    first = PrivateSQLTrackerStore(Domain.empty(), db=db, single_server=True)
    with pytest.raises(StoreInUse, match="must be the only one"):
        PrivateSQLTrackerStore(Domain.empty(), db=db, single_server=True)
    with pytest.raises(StoreInUse, match="before starting more servers"):
        PrivateSQLTrackerStore(Domain.empty(), db=db, single_server=False)
    PrivateSQLTrackerStore(Domain.empty(), db=str(tmp_path / "other.db"), single_server=True)  # another file
    first.release_claim()
    several = [PrivateSQLTrackerStore(Domain.empty(), db=db, single_server=False) for _ in range(2)]
    with pytest.raises(StoreInUse):
        PrivateSQLTrackerStore(Domain.empty(), db=db, single_server=True)
    for store in several:
        store.release_claim()
    PrivateSQLTrackerStore(Domain.empty(), db=db)  # Rasa's CLI and the tests claim nothing


def test_a_whole_url_works_like_the_parts(tmp_path):
    db = tmp_path / "url.db"
    store = PrivateSQLTrackerStore(Domain.empty(), host=f"sqlite:///{db}")
    asyncio.run(store.save(DialogueStateTracker.from_events("s", [SlotSet("region", "140100")])))
    assert [r["event"] for r in stored(db)] == ["slot"]
    with sqlite3.connect(db) as conn:  # tuned as with the parts: write-ahead logged
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_that_cannot_be_opened_is_an_error_not_a_silent_memory_store():
    """Rasa serves from memory when a tracker store raises ImportError; ours must not let it."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    for url in ("mysql://u@h/db", "mssql+nosuchdriver://u@h/db"):  # no driver installed; no such dialect
        with pytest.raises(RuntimeError, match="cannot be opened"):
            TrackerStore.create(EndpointConfig(url, type="bot.plumbing.tracker_store.PrivateSQLTrackerStore"))


# --- the answer already given to a message --------------------------------------------------------------

def test_replies_to_finds_the_answer_given_to_a_message_id(tmp_path):
    store = PrivateSQLTrackerStore(Domain.empty(), db=str(tmp_path / "t.db"))
    events = [ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
              UserUttered("能领护理补贴吗", {"name": "ask_eligibility"}, message_id="tg_1"),
              BotUttered("有没有残疾人证？", {"buttons": [{"title": "有", "payload": "有"}]}),
              BotUttered(None, {"custom": {"ask": "has_certificate"}}), ActionExecuted("action_listen"),
              UserUttered(f"有，电话{PHONE}", {"name": "inform"}, message_id="tg_2"),
              BotUttered(f"残疾等级是几级？{PHONE}"), ActionExecuted("action_listen")]
    asyncio.run(store.save(DialogueStateTracker.from_events("s", events)))
    first = store.replies_to("s", "tg_1")
    assert [m.get("text") for m in first] == ["有没有残疾人证？", None]
    assert first[0]["buttons"] == [{"title": "有", "payload": "有"}]
    assert first[1]["custom"] == {"ask": "has_certificate"}
    assert [m["text"] for m in store.replies_to("s", "tg_2")] == [f"残疾等级是几级？{MASK}"]  # as stored
    assert store.replies_to("s", "tg_3") is None and store.replies_to("other", "tg_1") is None
    assert store.replies_to("s", "tg%") is None and store.replies_to("s", "tg__") is None  # no wildcards


def test_a_message_id_that_looks_like_a_phone_number_is_kept_as_given(tmp_path):
    store = PrivateSQLTrackerStore(Domain.empty(), db=str(tmp_path / "t.db"))
    events = [UserUttered(f"电话{PHONE}", {"name": "inform"}, message_id="13812345678"),
              BotUttered("好的"), ActionExecuted("action_listen")]
    asyncio.run(store.save(DialogueStateTracker.from_events("s", events)))
    user = next(r for r in stored(tmp_path / "t.db") if r["event"] == "user")
    assert user["message_id"] == "13812345678" and PHONE not in json.dumps(user, ensure_ascii=False)
    assert [m["text"] for m in store.replies_to("s", "13812345678")] == ["好的"]
