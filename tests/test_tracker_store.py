"""bot.tracker_store: what reaches the database, and what Rasa gets back."""
import asyncio
import json
import sqlite3

import pytest

pytest.importorskip("rasa")

from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (ActionExecuted, BotUttered, Restarted, SlotSet,  # noqa: E402
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.tracker_store import MASK, REDACTED, PrivateSQLTrackerStore  # noqa: E402

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
