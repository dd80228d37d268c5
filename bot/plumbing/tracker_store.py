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
      type: bot.plumbing.tracker_store.PrivateSQLTrackerStore
      dialect: sqlite
      db: var/zhucan.db

A relative SQLite path is taken from the project root, and its directory is created. Instead of the
parts, `url` may hold a whole database URL; `zhucan serve --tracker-store` (bot/plumbing/stores.py) writes

      url: ${ZHUCAN_TRACKER_STORE_URL}       # postgresql://USER@HOST:5432/DATABASE

One server or several. `single_server: true` (what zhucan serve sets when the lock store is in-memory)
makes this server claim the store for itself: on PostgreSQL a session advisory lock, on SQLite an
flock on the file beside the database, held as long as the server runs. `single_server: false` (a
shared lock store) takes the same claim shared. So a server with in-memory locks does not start
where another server already runs, and no server starts beside one with in-memory locks: two servers
with separate in-memory locks could answer one person at the same time and interleave their
conversation. Without the setting (Rasa's CLI, tests) nothing is claimed.

Deleting on PostgreSQL. A DELETE makes rows invisible at once, but PostgreSQL keeps each deleted row
version in the table's and its index's pages until VACUUM removes it (so that older transactions can
still read it). After a /forget (wipe_deleted) this store runs VACUUM on the events table in a
background thread, so no row version of a forgotten conversation stays readable in the table or the
sender index; what VACUUM frees is overwritten only as new rows need the space, write-ahead log
segments keep their copy until they are recycled, and backups keep theirs: erasure at rest there is
the job of disk encryption and of the backup retention (docs/deploy.md).
"""
from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, Restarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[2]
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
        if isinstance(original := json.loads(text).get("message_id"), str):
            # the front end's id of the message, kept as given: a platform's message number can look
            # like a phone number, and a masked id would not be recognised when the message comes again
            data["message_id"] = original
        parse = data.get("parse_data")
        if isinstance(parse, dict):
            parse["text"] = REDACTED
            for entity in parse.get("entities") or []:
                if isinstance(entity, dict):
                    entity.pop("text", None)
    return json.dumps(data, ensure_ascii=False)


# The key of the PostgreSQL advisory lock by which servers claim a store ("zhucan" in ASCII).
CLAIM_KEY = 0x7A687563616E
logger = logging.getLogger(__name__)


class StoreInUse(RuntimeError):
    """Another server uses this store in a way this one cannot be beside (see single_server)."""


def _postgresql(url: str) -> str:
    """postgres:// (Heroku's and libpq's spelling) as SQLAlchemy wants it: postgresql://."""
    scheme = url.split("://", 1)[0]
    return "postgresql" + url[len(scheme):] if scheme.split("+")[0] == "postgres" else url


class PrivateSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores redacted events and forgets everything before a restart."""

    def __init__(self, domain=None, dialect: str = "sqlite", host=None, port=None,
                 db: str = "var/zhucan.db", *args, single_server: bool | None = None, **kwargs) -> None:
        if host and "://" in str(host):  # a whole URL: Rasa passes endpoints' `url` as host
            from sqlalchemy.engine import make_url

            host = _postgresql(str(host))
            try:
                dialect = make_url(host).get_backend_name()
            except Exception:  # its message would repeat the URL, password and all
                raise ValueError("the tracker store's url is not a database URL") from None
        elif dialect == "sqlite" and db and db != ":memory:":
            path = Path(db).expanduser()
            if not path.is_absolute():
                path = ROOT / path
            path.parent.mkdir(parents=True, exist_ok=True)
            db = str(path)
        from sqlalchemy.exc import NoSuchModuleError

        try:
            super().__init__(domain, dialect, host, port, db, *args, **kwargs)
        except (ImportError, AttributeError, NoSuchModuleError) as exc:
            # Rasa answers the first two by serving from memory instead, which would lose every
            # conversation at the next restart and split them between servers: refuse instead.
            raise RuntimeError(f"the {dialect} tracker store cannot be opened: {exc}") from None
        self._vacuum_lock = threading.Lock()
        self._vacuum_wanted = False
        self._vacuum_thread: threading.Thread | None = None
        self._claim = None
        if self.engine.dialect.name == "sqlite":
            self._tune_sqlite()
        if single_server is not None:
            self._claim_store(bool(single_server))

    @property
    def shown(self) -> str:
        """The database, fit to print (no password)."""
        return self.engine.url.render_as_string(hide_password=True)

    def _claim_store(self, single: bool) -> None:
        """Claim the store for this server alone (single) or as one of several; StoreInUse if taken."""
        if single:
            problem = (f"another server already uses the conversation store {self.shown}. This one keeps "
                       f"its locks in memory, so it must be the only one: give every server the same "
                       f"Redis lock store (ZHUCAN_LOCK_STORE_URL or --lock-store), or stop the other one.")
        else:
            problem = (f"a server that keeps its locks in memory already uses the conversation store "
                       f"{self.shown}, so it must stay the only one: restart it with the Redis lock store "
                       f"(ZHUCAN_LOCK_STORE_URL or --lock-store) before starting more servers.")
        if self.engine.dialect.name == "postgresql":
            # A session-level lock on a connection of its own, outside any transaction (an open one
            # would keep VACUUM from removing deleted rows), held until this process ends.
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            function = "pg_try_advisory_lock" if single else "pg_try_advisory_lock_shared"
            if not connection.exec_driver_sql(f"SELECT {function}({CLAIM_KEY})").scalar():
                connection.close()
                raise StoreInUse(problem)
            self._claim = connection
        elif self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            import fcntl

            handle = open(f"{self.engine.url.database}.servers", "a")  # noqa: SIM115 (held open)
            try:
                fcntl.flock(handle, (fcntl.LOCK_EX if single else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise StoreInUse(problem) from None
            self._claim = handle

    def release_claim(self) -> None:
        """Give up this server's claim on the store (it also goes when the process ends)."""
        claim, self._claim = self._claim, None
        if claim is None:
            return
        if hasattr(claim, "invalidate"):  # a database connection: end its session, not back to the pool
            claim.invalidate()
        claim.close()

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
        """After a deletion, remove what the database still keeps of the deleted rows.

        SQLite (secure_delete overwrites the pages): copy the log into the database and truncate it,
        so that no earlier version of a deleted conversation stays in the -wal file.
        PostgreSQL: VACUUM the events table soon, in a thread of its own (see the module's docstring)."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif self.engine.dialect.name == "postgresql":
            self._vacuum_soon()

    def _vacuum_soon(self) -> None:
        """Run VACUUM on the events table after the latest deletion; several deletions close together
        share one run, and the answer to /forget does not wait for it."""
        with self._vacuum_lock:
            self._vacuum_wanted = True
            if self._vacuum_thread is not None:
                return  # the running one sees the flag and goes again
            self._vacuum_thread = threading.Thread(target=self._vacuum, name="zhucan-vacuum", daemon=True)
            self._vacuum_thread.start()

    def _vacuum(self) -> None:
        table = self.SQLEvent.__tablename__
        while True:
            with self._vacuum_lock:
                if not self._vacuum_wanted:
                    self._vacuum_thread = None
                    return
                self._vacuum_wanted = False
            try:
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(f"VACUUM {table}")
            except Exception as exc:  # autovacuum will get there; the deleted rows are invisible already
                logger.warning("VACUUM of %s after a deletion failed: %s", table, type(exc).__name__)

    def vacuumed(self, timeout: float = 60.0) -> bool:
        """Wait until no VACUUM is pending or running; False if one still is after `timeout` seconds."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._vacuum_lock:
                if self._vacuum_thread is None:
                    return True
            time.sleep(0.05)
        return False

    def replies_to(self, sender_id: str, message_id: str) -> list[dict] | None:
        """What the bot answered to the user message `message_id` of `sender_id`, as output messages;
        None if no such message is stored (it was never handled, or it was deleted since).

        Lets a message sent again (after a timeout, or a server that died before answering) be
        answered from the store instead of being handled a second time (bot.channels.rest)."""
        quoted = json.dumps(str(message_id), ensure_ascii=False)
        like = ('%"message_id": ' + quoted.replace("\\", "\\\\").replace("%", "\\%")
                .replace("_", "\\_") + "%")
        event = self.SQLEvent
        with self.session_scope() as session:
            rows = session.query(event.id, event.data).filter(
                event.sender_id == sender_id, event.type_name == UserUttered.type_name,
                event.data.like(like, escape="\\")).order_by(event.id).all()
            handled = [row.id for row in rows if json.loads(row.data).get("message_id") == message_id]
            if not handled:
                return None
            following = session.query(event.type_name, event.data).filter(
                event.sender_id == sender_id, event.id > handled[-1],
                event.type_name.in_((UserUttered.type_name, BotUttered.type_name))).order_by(event.id).all()
        replies = []
        for type_name, data in following:
            if type_name == UserUttered.type_name:
                break
            replies.append(Event.from_parameters(json.loads(data)).message())
        return replies

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
