"""The conversation store that keeps the minimum: Rasa's SQL tracker store without raw messages.

Rasa keeps every event of a conversation, including each message's text. This store keeps what the
dialogue needs (intents, entities, slots, the bot's answers) and never the words a person typed:
before an event is written, a user message's text is replaced by "[redacted]" (its intent and
entities stay, so a conversation can be reloaded and continued after a restart), and anything that
looks like an ID-card or phone number is masked wherever it appears in the stored event: entity
values, slot values, bot messages. After 重新开始 (a Restarted event) the earlier events of the
conversation are deleted: nothing said before it can be used again, so nothing of it is kept. An
event broker, if one is configured, is sent the same redacted events.

Configure it in endpoints.yml by module path (SQLite here; any SQLAlchemy dialect works the same):

    tracker_store:
      type: bot.tracker_store.PrivateSQLTrackerStore
      dialect: sqlite
      db: var/zhucan.db

A relative SQLite path is taken from the project root, and its directory is created.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Restarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[1]
REDACTED = "[redacted]"
MASK = "[number removed]"
# 18-digit ID card numbers (the last may be X), mainland mobile numbers, landlines with an area code;
# digits may be written in full width or with spaces or dashes between groups.
_SEP = r"[\s\-]?"
SENSITIVE = re.compile(
    r"(?<![0-9０-９])("
    r"[1-9１-９](?:" + _SEP + r"[0-9０-９]){16}" + _SEP + r"[0-9０-９Xx]"      # ID card
    r"|1[3-9３-９](?:" + _SEP + r"[0-9０-９]){9}"                               # mobile
    r"|0[1-9](?:[0-9]){1,2}" + _SEP + r"[2-9](?:[0-9]){6,7}"                   # landline
    r")(?![0-9０-９])"
)


def mask(text: str) -> str:
    """`text` with every ID-card or phone number replaced."""
    return SENSITIVE.sub(MASK, text)


def scrub(value: Any) -> Any:
    """A JSON value with every string masked."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    return value


def redact_event(data: dict) -> dict:
    """One event as it may be stored: no user text, no ID-card or phone numbers anywhere."""
    return json.loads(redacted_json(data))


def redacted_json(data: dict) -> str:
    """redact_event(data) as JSON, made without copying or walking an event that needs nothing.

    Most events (slots, actions, the bot's answers) hold no number to mask: one regex pass over
    their JSON says so, and the JSON is stored as it is. The event itself is never changed (Rasa
    still holds it)."""
    text = json.dumps(data, ensure_ascii=False)
    user = data.get("event") == UserUttered.type_name
    if not user and not SENSITIVE.search(text):
        return text
    data = scrub(json.loads(text))  # a copy: the tracker's own event is left alone
    if user:
        data["text"] = REDACTED
        parse = data.get("parse_data")
        if isinstance(parse, dict):
            parse["text"] = REDACTED
            for entity in parse.get("entities") or []:
                if isinstance(entity, dict):
                    entity.pop("text", None)
    return json.dumps(data, ensure_ascii=False)


class PrivateSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores redacted events and forgets everything before a restart."""

    def __init__(self, domain=None, dialect: str = "sqlite", host=None, port=None,
                 db: str = "var/zhucan.db", *args, **kwargs) -> None:
        if dialect == "sqlite" and db and db != ":memory:":
            path = Path(db).expanduser()
            if not path.is_absolute():
                path = ROOT / path
            path.parent.mkdir(parents=True, exist_ok=True)
            db = str(path)
        super().__init__(domain, dialect, host, port, db, *args, **kwargs)
        if dialect == "sqlite":
            self._tune_sqlite()

    def _tune_sqlite(self) -> None:
        """Keep SQLite connections open and write-ahead logged.

        SQLAlchemy 1.4 opens a new connection for every session on a SQLite file, and by default
        each commit waits for a full sync of the database file. A pool of open connections and WAL
        with synchronous=NORMAL keep every commit atomic and cheaper; a power cut may lose the
        last moments of a conversation, never corrupt it.
        secure_delete overwrites what is deleted (a restart, /forget) instead of leaving it in
        free pages of the file; wipe_deleted() then empties the write-ahead log."""
        import sqlalchemy as sa

        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                       connect_args={"check_same_thread": False})

        @sa.event.listens_for(self.engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def wipe_deleted(self) -> None:
        """After a deletion: copy the log into the database and truncate it, so that no earlier
        version of a deleted conversation stays in the -wal file."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _stream_new_events(self, event_broker, new_events, sender_id: str) -> None:
        """An event broker, if one is configured, gets the same redacted events."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **redact_event(event.as_dict())})

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the events not stored yet, redacted (SQLTrackerStore.save, plus redaction)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            restarted_id = None
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                row = self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=redacted_json(data),
                )
                session.add(row)
                if isinstance(event, Restarted):
                    session.flush()
                    restarted_id = row.id
            if restarted_id is not None:
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == tracker.sender_id,
                    self.SQLEvent.id < restarted_id,
                ).delete(synchronize_session=False)
            session.commit()
